"""What the weekly digest says: what was flagged since the last one, what still waits, and the
reminders for leads nobody decided on. Sending it once is handlers/digest_run.py's job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from handlers.config import Account, AppConfig
from handlers.context import Scout
from handlers.replies import Reply, Section
from handlers.views import lead_item
from store.leads import credits, list_leads
from store.tables import Lead, Stage

DECIDING_STAGES = (Stage.IDENTIFIED, Stage.EXPLORING)


def awaiting_decision(session: Session, account: Account, now: datetime) -> list[Lead]:
    """Open leads that nobody has qualified yet and that are not snoozed."""
    leads = list_leads(session, accounts=[account.id], stages=list(DECIDING_STAGES))
    return [lead for lead in leads if not lead.snoozed_until or lead.snoozed_until <= now]


def weekly_digest(scout: Scout, account: Account, since: datetime | None = None) -> Reply | None:
    """The account's weekly prompt as it stands now (a preview: nothing is changed), or None
    when there is nothing to act on."""
    now = scout.now()
    with scout.db.session() as session:
        leads = awaiting_decision(session, account, now)
        credit = credits(session, [lead.id for lead in leads])
    return compose_weekly(scout.config, account, now, since or now - timedelta(days=7), leads, [], credit)


def compose_weekly(
    config: AppConfig, account: Account, now: datetime, since: datetime,
    leads: Sequence[Lead], expired: list[Lead], credit: dict[int, list[str]],
) -> Reply | None:
    new = [lead for lead in leads if lead.created_at > since]
    waiting = [lead for lead in leads if lead.created_at <= since]
    def items(group: list[Lead]) -> tuple:
        return tuple(lead_item(config, lead, now, credit.get(lead.id)) for lead in group)

    sections = [
        Section(title=title, text=text, items=items(group))
        for title, text, group in (
            (f"New since the last digest ({len(new)})", "", new),
            (f"Still waiting for a decision ({len(waiting)})", "", waiting),
            (f"Dropped as expired ({len(expired)})",
             "Nobody decided on these for too long. Revive one if it still matters.", expired),
        )
        if group
    ]
    if not sections:
        return None
    return Reply(
        title=f"Weekly cross-sell digest: {account.name}",
        text=f"{config.person_name(account.lead)}, please Qualify, Drop or Snooze each lead so nothing "
             "your team heard is lost.",
        sections=tuple(sections),
        ephemeral=False,
        meta={"account": account.id, "cadence": "weekly"},
    )


def stale_reminder(config: AppConfig, account: Account, now: datetime, leads: Sequence[Lead],
                   credit: dict[int, list[str]]) -> Reply:
    """To the account lead: these leads sat through several digests with no decision."""
    return _needs_decision(
        config, account, now, leads, credit, f"Stale leads on {account.name}",
        f"These leads have been in {config.digests.weekly.stale_after} weekly digests and nobody has decided "
        "on them. A quick Qualify, Drop or Snooze keeps the pipeline honest.",
    )


def escalation(config: AppConfig, account: Account, now: datetime, leads: Sequence[Lead],
               credit: dict[int, list[str]]) -> Reply:
    """To the managers: leads still undecided after the escalation limit."""
    weekly = config.digests.weekly
    return _needs_decision(
        config, account, now, leads, credit, f"Undecided leads on {account.name}",
        f"{config.person_name(account.lead)} has not decided on these after {weekly.escalate_after} weekly "
        f"digests. They expire after {weekly.expire_after}.",
    )


def _needs_decision(config: AppConfig, account: Account, now: datetime, leads: Sequence[Lead],
                    credit: dict[int, list[str]], title: str, text: str) -> Reply:
    return Reply(
        title=title, text=text,
        items=tuple(lead_item(config, lead, now, credit.get(lead.id)) for lead in leads),
        ephemeral=False,
        meta={"account": account.id, "cadence": "weekly"},
    )
