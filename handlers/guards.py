"""Checks shared by the use cases; each raises Answer with the reply the user gets."""

from __future__ import annotations

from sqlmodel import Session

from handlers.config import Account, Person
from handlers.context import Scout
from handlers.errors import Answer
from handlers.people import identify, may_see, not_on_team_text, stranger_text
from handlers.replies import error, refused
from handlers.requests import Request
from store.leads import get_lead
from store.tables import Lead


def require_person(scout: Scout, request: Request) -> Person:
    person = identify(scout.config, request)
    if person is None:
        raise Answer(refused(stranger_text()))
    return person


def require_access(scout: Scout, person: Person, account: Account) -> None:
    if not may_see(person, account):
        raise Answer(refused(not_on_team_text(scout.config, account)))


def parse_lead_id(raw: str | int | None) -> int:
    text = str(raw or "").strip().lstrip("#")
    if not (text.isascii() and text.isdigit()) or len(text) > 12:  # "²".isdigit() is True
        raise Answer(error("Which lead? Give its number, like 12 (it shows as #12 in my replies)."))
    return int(text)


def require_lead(scout: Scout, session: Session, person: Person, raw_id: str | int | None) -> Lead:
    """The lead, if it exists and the person may act on its account. A lead on an account
    they may not see gets the same answer as a missing one, so nothing leaks."""
    lead_id = parse_lead_id(raw_id)
    lead = get_lead(session, lead_id)
    account = scout.config.account(lead.account) if lead else None
    if lead is None or account is None or not may_see(person, account):
        raise Answer(error(f"I can't find lead #{lead_id} on any account you work on."))
    return lead
