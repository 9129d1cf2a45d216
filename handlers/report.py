"""The managers' monthly report: the portfolio metrics the method asks to track (pipeline by
stage, conversion, win rate, time to close, sources, origination credit, wallet share and
white space, stale leads), with two charts, since managers read a picture faster than a table."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from handlers.config import AppConfig
from handlers.context import Scout
from handlers.people import shared_accounts
from handlers.pipeline import total_value
from handlers.replies import Chart, Field, Reply, Section, Table
from handlers.views import money
from handlers.wallet import opportunities, wallet_share, white_space
from store.leads import credits, list_leads, stages_reached
from store.tables import OPEN_STAGES, Lead, Source, Stage

LADDER = (Stage.IDENTIFIED, Stage.EXPLORING, Stage.QUALIFIED, Stage.PROPOSED, Stage.NEGOTIATING, Stage.WON)
TOP_OPPORTUNITIES = 5
CREDITED_STAGES = {Stage.QUALIFIED.value, Stage.PROPOSED.value, Stage.NEGOTIATING.value, Stage.WON.value}


def monthly_report(scout: Scout, start: datetime, end: datetime) -> Reply | None:
    """The portfolio over every account, for managers; None when nobody has flagged anything."""
    # It goes to every manager, so a private account's leads stay out of it altogether.
    config = scout.config.model_copy(update={"accounts": shared_accounts(scout.config)})
    shared = {account.id for account in config.accounts}
    with scout.db.session() as session:
        leads = [lead for lead in list_leads(session, accounts=shared) if lead.created_at < end]
        if not leads:
            return None
        reached = stages_reached(session, [lead.id for lead in leads])
        credit = credits(session, [lead.id for lead in leads])
    for lead in leads:
        reached[lead.id].add(lead.stage)
    month = [lead for lead in leads if start <= lead.created_at < end]
    open_leads = [lead for lead in leads if lead.is_open]
    sections = (
        _by_stage(open_leads),
        _conversion(leads, reached),
        _sources(month),
        _origination(config, leads, reached, credit),
        _wallets(config, leads),
        _stale(config, open_leads),
    )
    return Reply(
        title=f"Monthly cross-sell report: {start:%B %Y}",
        text=f"{config.firm}: {len(month)} lead(s) flagged in {start:%B}, {len(open_leads)} open in the pipeline.",
        fields=_headline(leads, open_leads),
        sections=tuple(s for s in sections if s is not None),
        charts=_charts(config, open_leads),
        ephemeral=False,
        meta={"cadence": "monthly"},
    )


def _headline(leads: list[Lead], open_leads: list[Lead]) -> tuple[Field, ...]:
    won = [lead for lead in leads if lead.stage == Stage.WON]
    lost = [lead for lead in leads if lead.stage == Stage.LOST]
    closed = won + lost
    days = [(lead.closed_at - lead.created_at).days for lead in closed if lead.closed_at]
    return (
        Field("Open pipeline", f"{len(open_leads)} lead(s), {money(total_value(open_leads))}"),
        Field("Cross-sell win rate", f"{len(won) / len(closed):.0%} ({len(won)} of {len(closed)} closed)"
              if closed else "no lead closed yet"),
        Field("Identification to close", f"{sum(days) / len(days):.0f} days on average" if days else "-"),
        Field("Won value", money(total_value(won))),
    )


def _by_stage(open_leads: list[Lead]) -> Section:
    rows = []
    for stage in OPEN_STAGES:
        at = [lead for lead in open_leads if lead.stage == stage]
        rows.append((stage.value.capitalize(), str(len(at)), money(total_value(at))))
    return Section(title="Open pipeline by stage", table=Table(("Stage", "Leads", "Value"), tuple(rows)))


def _conversion(leads: list[Lead], reached: dict[int, set[str]]) -> Section:
    """Share of all leads ever flagged that got at least as far as each stage."""
    def got_to(stage: Stage) -> int:
        later = {s.value for s in LADDER[LADDER.index(stage):]}
        return sum(1 for lead in leads if reached[lead.id] & later)

    total = len(leads)
    rows = tuple((stage.value.capitalize(), str(got_to(stage)), f"{got_to(stage) / total:.0%}") for stage in LADDER)
    return Section(title="Conversion by stage (all leads so far)", table=Table(("Reached", "Leads", "Share"), rows))


def _sources(month: list[Lead]) -> Section:
    counts = Counter(lead.source for lead in month)
    rows = tuple((source.value, str(counts.get(source.value, 0))) for source in Source)
    return Section(title="Leads flagged this month, by source", table=Table(("Source", "Leads"), rows))


def _origination(config: AppConfig, leads: list[Lead], reached: dict[int, set[str]],
                 credit: dict[int, list[str]]) -> Section:
    """Who heard the needs that went somewhere: qualified or further (credit is shared)."""
    qualified: Counter[str] = Counter()
    won: Counter[str] = Counter()
    for lead in leads:
        if reached[lead.id] & CREDITED_STAGES:
            for person in credit.get(lead.id) or [lead.flagged_by]:
                qualified[person] += 1
                won[person] += lead.stage == Stage.WON
    if not qualified:
        return Section(title="Origination credit", text="No flagged lead has been qualified yet.")
    rows = tuple((config.person_name(p), str(n), str(won[p])) for p, n in qualified.most_common())
    return Section(title="Origination credit", table=Table(("Flagged by", "Qualified or further", "Won"), rows))


def _wallets(config: AppConfig, leads: list[Lead]) -> Section:
    rows = []
    for account in config.accounts:
        share = wallet_share(account)
        provided = sum(1 for line in account.services if line.status == "provided")
        mine = {s for lead in leads if lead.account == account.id and lead.stage != Stage.DROPPED
                for s in lead.services}
        biggest = opportunities(account)[:1]
        rows.append((
            account.name, str(provided), "-" if share.share is None else f"{share.share:.0%}",
            f"{config.service_name(biggest[0][0])} ({money(biggest[0][1])})" if biggest else "-",
            str(len(white_space(config, account, mine))),
        ))
    top = sorted(
        ((spend, account.name, config.service_name(sid)) for account in config.accounts
         for sid, spend, _ in opportunities(account)),
        reverse=True,
    )[:TOP_OPPORTUNITIES]
    text = "Biggest white-space opportunities: " + "; ".join(
        f"{name}, {service} ({money(spend)} a year elsewhere)" for spend, name, service in top
    ) if top else ""
    return Section(
        title="Services per client and wallet share", text=text,
        table=Table(("Account", "Services", "Wallet share", "Biggest opportunity", "White space"), tuple(rows)),
    )


def _stale(config: AppConfig, open_leads: list[Lead]) -> Section | None:
    limit = config.digests.weekly.stale_after
    stale = [lead for lead in open_leads if lead.nudges >= limit]
    if not stale:
        return None
    rows = tuple(
        (f"#{lead.id}", config.account(lead.account).name if config.account(lead.account) else lead.account,
         str(lead.nudges), lead.text[:80])
        for lead in sorted(stale, key=lambda lead: -lead.nudges)
    )
    return Section(title=f"Stale leads ({len(stale)})", table=Table(("Lead", "Account", "Digests", "Remark"), rows))


def _charts(config: AppConfig, open_leads: list[Lead]) -> tuple[Chart, ...]:
    def value(leads: list[Lead]) -> float:
        return total_value(leads) or 0.0

    stages = tuple(stage.value.capitalize() for stage in OPEN_STAGES)
    by_stage = tuple(value([lead for lead in open_leads if lead.stage == stage]) for stage in OPEN_STAGES)
    names = tuple(account.name for account in config.accounts)
    by_account = tuple(value([lead for lead in open_leads if lead.account == a.id]) for a in config.accounts)
    return (
        Chart(title="Open pipeline by stage", categories=stages,
              series=(("Estimated value", by_stage),), unit="$"),
        Chart(title="Open pipeline by account", categories=names, series=(("Estimated value", by_account),), unit="$"),
    )
