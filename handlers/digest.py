"""The weekly account digest: what was flagged since the last one, and what still waits."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.config import Account
from handlers.context import Scout
from handlers.replies import Reply, Section
from handlers.views import lead_item
from store.leads import credits, list_leads
from store.tables import Stage


def weekly_digest(scout: Scout, account: Account, since: datetime | None = None) -> Reply | None:
    """The account's weekly prompt, or None when there is nothing to act on."""
    now = scout.now()
    since = since or now - timedelta(days=7)
    with scout.db.session() as session:
        open_leads = list_leads(session, accounts=[account.id], stages=[Stage.IDENTIFIED, Stage.EXPLORING])
        awake = [lead for lead in open_leads if not lead.snoozed_until or lead.snoozed_until <= now]
        credit = credits(session, [lead.id for lead in awake])
    new = [lead for lead in awake if lead.created_at >= since]
    waiting = [lead for lead in awake if lead.created_at < since]
    if not new and not waiting:
        return None
    sections = []
    if new:
        sections.append(Section(
            title=f"New since last week ({len(new)})",
            items=tuple(lead_item(scout.config, lead, now, credit[lead.id]) for lead in new),
        ))
    if waiting:
        sections.append(Section(
            title=f"Still waiting for a decision ({len(waiting)})",
            items=tuple(lead_item(scout.config, lead, now, credit[lead.id]) for lead in waiting),
        ))
    lead_name = scout.config.person_name(account.lead)
    return Reply(
        title=f"Weekly cross-sell digest: {account.name}",
        text=f"{lead_name}, please Qualify, Drop or Snooze each lead so nothing your team heard is lost.",
        sections=tuple(sections),
        ephemeral=False,
        meta={"account": account.id, "cadence": "weekly"},
    )
