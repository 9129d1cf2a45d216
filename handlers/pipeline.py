"""`/pipeline [account]`: open leads by stage for one account, or the portfolio."""

from __future__ import annotations

from handlers.accounts import account_for_channel, did_you_mean, find_account, known_to
from handlers.config import Account, Person
from handlers.context import Scout
from handlers.errors import Answer, use_case
from handlers.guards import require_access, require_person
from handlers.people import visible_accounts
from handlers.replies import Field, Reply, Section, Table, error
from handlers.requests import Request
from handlers.views import lead_item, money
from handlers.wallet import wallet_share, white_space
from store.leads import credits, list_leads, stage_totals
from store.tables import OPEN_STAGES, Lead, Stage

WHITE_SPACE_SHOWN = 6
OPEN_VALUES = frozenset(s.value for s in OPEN_STAGES)


def total_value(leads: list[Lead]) -> float | None:
    """The sum of estimated values, or None when no lead has one yet."""
    values = [lead.estimated_value for lead in leads if lead.estimated_value is not None]
    return sum(values) if values else None


@use_case
def pipeline(scout: Scout, request: Request) -> Reply:
    person = require_person(scout, request)
    word = request.text.strip()
    if word:
        account = find_account(scout.config, word)
        if account is None or account not in known_to(scout.config, person):
            raise Answer(error(did_you_mean(scout.config, word, person), "Which account?"))
    else:
        account = account_for_channel(scout.config, request.channel)
    if account is None:
        return portfolio(scout, person)
    require_access(scout, person, account)
    return account_pipeline(scout, account)


def account_pipeline(scout: Scout, account: Account) -> Reply:
    config, now = scout.config, scout.now()
    with scout.db.session() as session:
        leads = list_leads(session, accounts=[account.id])
        open_leads = [lead for lead in leads if lead.is_open]
        credit = credits(session, [lead.id for lead in open_leads])
    sections = []
    for stage in OPEN_STAGES:
        at_stage = [lead for lead in open_leads if lead.stage == stage]
        if at_stage:
            value = total_value(at_stage)
            sections.append(Section(
                title=f"{stage.value.capitalize()} ({len(at_stage)}, {money(value)})",
                items=tuple(lead_item(config, lead, now, credit[lead.id]) for lead in at_stage),
            ))
    share = wallet_share(account)
    lead_services = {s for lead in leads if lead.stage != Stage.DROPPED for s in lead.services}
    space = white_space(config, account, lead_services)
    space_text = ", ".join(config.service_name(s) for s in space[:WHITE_SPACE_SHOWN])
    if len(space) > WHITE_SPACE_SHOWN:
        space_text += f" and {len(space) - WHITE_SPACE_SHOWN} more"
    won = [lead for lead in leads if lead.stage == Stage.WON]
    fields = (
        Field("Open leads", str(len(open_leads))),
        Field("Pipeline value", money(total_value(open_leads))),
        Field("Wallet share", share.describe()),
        Field("Won", str(len(won))),
        Field("White space", space_text or "none"),
    )
    text = "" if open_leads else "No open leads yet. Flag what you hear with /flag."
    return Reply(
        title=f"Pipeline: {account.name}", text=text, fields=fields, sections=tuple(sections),
        meta={"account": account.id},
    )


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _portfolio_row(account: Account, stages: dict[str, tuple[int, float | None]]) -> tuple[str, ...]:
    open_here = [stages[s.value] for s in OPEN_STAGES if s.value in stages]
    share = wallet_share(account).share
    return (
        account.name,
        str(sum(n for n, _ in open_here)),
        money(_sum([v for _, v in open_here])),
        str(stages.get(Stage.WON.value, (0, None))[0]),
        "-" if share is None else f"{share:.0%}",
    )


def portfolio(scout: Scout, person: Person) -> Reply:
    accounts = visible_accounts(scout.config, person)
    if not accounts:
        return Reply(
            title="Your portfolio", kind="info",
            text="You are not on any account team yet. /pipeline ACCOUNT works for accounts you are on.",
        )
    with scout.db.session() as session:
        totals = stage_totals(session, [a.id for a in accounts], every=len(accounts) == len(scout.config.accounts))
    rows = tuple(_portfolio_row(a, totals[a.id]) for a in accounts)
    open_totals = [t for stages in totals.values() for s, t in stages.items() if s in OPEN_VALUES]
    fields = (
        Field("Accounts", str(len(accounts))),
        Field("Open leads", str(sum(n for n, _ in open_totals))),
        Field("Pipeline value", money(_sum([v for _, v in open_totals]))),
    )
    table = Table(columns=("Account", "Open", "Value", "Won", "Wallet share"), rows=rows)
    return Reply(
        title="Your portfolio", fields=fields, sections=(Section(title="Accounts", table=table),),
        text="/pipeline ACCOUNT shows one account's leads.",
    )
