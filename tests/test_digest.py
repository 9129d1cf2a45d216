"""The weekly account digest as a reply: new leads, waiting leads, nothing when quiet."""

from __future__ import annotations

from handlers import decide
from handlers.digest import weekly_digest
from handlers.flag import flag
from tests.conftest import ask


def test_digest_splits_new_and_waiting_leads(scout, clock, config):
    flag(scout, ask("dan", "acme they want tax planning help"))
    clock.advance(days=8)
    flag(scout, ask("dan", "acme asked about a pen test"))
    clock.advance(days=1)
    digest = weekly_digest(scout, config.account("acme"))
    assert digest.title == "Weekly cross-sell digest: Acme Corp"
    assert digest.ephemeral is False
    assert [s.title for s in digest.sections] == ["New since the last digest (1)", "Still waiting for a decision (1)"]
    assert digest.sections[0].items[0].id == 2
    assert [a.label for a in digest.sections[1].items[0].actions] == ["Qualify", "Drop", "Snooze"]


def test_snoozed_and_decided_leads_stay_out_until_they_wake(scout, clock, config):
    flag(scout, ask("dan", "acme they want tax planning help"))
    flag(scout, ask("dan", "acme asked about a pen test"))
    decide.snooze(scout, ask("lee"), 1)
    decide.qualify(scout, ask("lee"), 2, {"client_fit": "High"})
    digest = weekly_digest(scout, config.account("acme"))
    assert digest is None
    clock.advance(days=7)
    digest = weekly_digest(scout, config.account("acme"))
    assert [i.id for s in digest.sections for i in s.items] == [1]


def test_quiet_account_gets_no_digest(scout, config):
    assert weekly_digest(scout, config.account("initech")) is None
