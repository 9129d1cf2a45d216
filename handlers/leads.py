"""`/leads`: the leads a person can act on, and the ones they flagged themselves."""

from __future__ import annotations

from datetime import datetime

from handlers.accounts import did_you_mean, find_account, known_to
from handlers.config import Person
from handlers.context import Scout
from handlers.errors import Answer, use_case
from handlers.guards import require_access, require_person
from handlers.people import may_see, visible_accounts
from handlers.replies import LeadItem, Reply, Section, error
from handlers.requests import Request
from handlers.views import lead_item, own_flag_item
from store.leads import credits, list_leads
from store.tables import OPEN_STAGES, Lead

MAX_SHOWN = 25


@use_case
def leads(scout: Scout, request: Request) -> Reply:
    """`/leads [account | mine]`: open leads on your accounts, newest first."""
    person = require_person(scout, request)
    word = request.text.strip()
    now = scout.now()
    with scout.db.session() as session:
        if word.casefold() == "mine":
            rows = list_leads(session, flagged_by=person.id)
            title = "Leads you flagged"
        else:
            if word:
                account = find_account(scout.config, word)
                if account is None or account not in known_to(scout.config, person):
                    raise Answer(error(did_you_mean(scout.config, word, person), "Which account?"))
                require_access(scout, person, account)
                accounts = [account.id]
                title = f"Open leads: {account.name}"
            else:
                accounts = [a.id for a in visible_accounts(scout.config, person)]
                title = "Open leads on your accounts"
            rows = list_leads(session, accounts=accounts, stages=OPEN_STAGES)
        rows.reverse()
        shown = rows[:MAX_SHOWN]
        credit = credits(session, [lead.id for lead in shown])
    # Your own flags on accounts you are not on show their fate, nothing of the team's work.
    items = tuple(_shown(scout, person, lead, now, credit[lead.id]) for lead in shown)
    if not items:
        return Reply(title=title, kind="info", text="Nothing here yet. Flag what you hear with /flag ACCOUNT remark.")
    text = f"Showing the newest {MAX_SHOWN} of {len(rows)}." if len(rows) > MAX_SHOWN else ""
    return Reply(title=title, text=text, items=items)


def _may_act(scout: Scout, person: Person, account_id: str) -> bool:
    account = scout.config.account(account_id)
    return account is not None and may_see(person, account)


def _shown(scout: Scout, person: Person, lead: Lead, now: datetime, credit: list[str]) -> LeadItem:
    if _may_act(scout, person, lead.account):
        return lead_item(scout.config, lead, now, credit)
    return own_flag_item(scout.config, lead, now, person.id, lead.text)


@use_case
def home(scout: Scout, request: Request) -> Reply:
    """App Home: the fate of my flags, and for leads and managers their accounts' open leads."""
    person = require_person(scout, request)
    now = scout.now()
    with scout.db.session() as session:
        mine = list_leads(session, flagged_by=person.id)[-MAX_SHOWN:]
        accounts = [a.id for a in visible_accounts(scout.config, person)] if person.role != "delivery" else []
        theirs = list_leads(session, accounts=accounts, stages=OPEN_STAGES)[-MAX_SHOWN:] if accounts else []
        credit = credits(session, [lead.id for lead in mine + theirs])
    sections = [Section(
        title="Leads you flagged",
        text="" if mine else "None yet. Use /flag ACCOUNT remark, or \u201cFlag as lead\u201d on any message.",
        items=tuple(_shown(scout, person, lead, now, credit[lead.id]) for lead in reversed(mine)),
    )]
    if person.role != "delivery":
        sections.append(Section(
            title="Open leads on your accounts",
            text="" if theirs else "No open leads right now.",
            items=tuple(lead_item(scout.config, lead, now, credit[lead.id]) for lead in reversed(theirs)),
        ))
    return Reply(title=f"Scout for {person.name}", sections=tuple(sections), ephemeral=False)
