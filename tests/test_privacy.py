"""Privacy: stored remarks follow their message's edits and deletes, a person's remarks can be
forgotten, dropped leads are pruned after retention_days; on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import select

from handlers import decide
from handlers.flag import flag
from handlers.privacy import forget, message_deleted, message_edited, prune
from handlers.requests import Request
from store.leads import get_lead
from store.tables import Evidence, LeadEvent
from tests.conftest import ask, stored_leads


def _from_message(person_slack: str, text: str, ts: str) -> Request:
    return Request(platform="slack", user=person_slack, text=f"acme {text}", channel="CACME", source="shortcut",
                   message_ts=ts, permalink=f"https://x.slack.com/archives/CACME/p{ts.replace('.', '')}")


def _all(scout, table):
    with scout.db.session() as session:
        return list(session.exec(select(table)))


def test_an_edited_message_changes_the_stored_remark_and_drops_the_old_words(scout):
    flag(scout, _from_message("UDAN", "they want help with tax planning next year", "1700.1"))
    assert message_edited(scout, "CACME", "1700.1", "they want tax planning help, budget $40k") == [1]
    with scout.db.session() as session:
        lead = get_lead(session, 1)
    assert lead.text == "they want tax planning help, budget $40k"
    assert "next year" not in str(lead.tags)
    assert [e.text for e in _all(scout, Evidence)] == ["they want tax planning help, budget $40k"]
    assert all("next year" not in f"{e.from_value}{e.to_value}{e.reason}" for e in _all(scout, LeadEvent))


def test_an_edit_elsewhere_changes_nothing(scout):
    flag(scout, _from_message("UDAN", "they want help with tax planning", "1700.1"))
    assert message_edited(scout, "CACME", "1700.9", "something else") == []
    assert message_edited(scout, "COTHER", "1700.1", "something else") == []
    assert [lead.text for lead in stored_leads(scout)] == ["they want help with tax planning"]


def test_a_deleted_message_takes_its_words_and_drops_a_lead_resting_on_it(scout):
    flag(scout, _from_message("UDAN", "they want help with tax planning", "1700.1"))
    assert message_deleted(scout, "CACME", "1700.1") == [1]
    (lead,) = stored_leads(scout)
    assert (lead.stage, lead.stage_reason) == ("dropped", "message deleted")
    assert "tax planning" not in lead.text and lead.permalink is None
    assert _all(scout, Evidence) == []


def test_a_deleted_first_remark_hands_the_lead_to_the_next_one(scout):
    flag(scout, _from_message("UDAN", "they want help with tax planning", "1700.1"))
    flag(scout, _from_message("ULEE", "acme's CFO asked me about tax planning again", "1700.2"))
    message_deleted(scout, "CACME", "1700.1")
    (lead,) = stored_leads(scout)
    assert (lead.stage, lead.flagged_by, lead.text) == ("identified", "lee", "acme's CFO asked me about tax planning again")


def test_forget_removes_a_persons_remarks_and_keeps_shared_leads_for_the_others(scout):
    flag(scout, ask("dan", "acme they want help with tax planning"))
    flag(scout, ask("lee", "acme the CFO asked about tax planning again"))  # shares lead 1
    flag(scout, ask("dan", "acme asked about a pen test"))  # only Dan's
    assert forget(scout, "dan") == (2, 1)
    (lead,) = stored_leads(scout)
    assert (lead.id, lead.flagged_by, lead.text) == (1, "lee", "the CFO asked about tax planning again")
    assert {e.flagged_by for e in _all(scout, Evidence)} == {"lee"}
    assert all(e.lead_id == 1 for e in _all(scout, LeadEvent))


def test_prune_deletes_dropped_leads_after_retention_days_only(scout, clock):
    scout.config = scout.config.model_copy(update={"retention_days": 30})
    flag(scout, ask("dan", "acme they want help with tax planning"))
    flag(scout, ask("dan", "acme asked about a pen test"))
    decide.drop(scout, ask("lee"), 1, "Bad timing")
    clock.advance(days=29)
    assert prune(scout) == 0
    clock.advance(days=2)
    assert prune(scout) == 1
    assert [lead.id for lead in stored_leads(scout)] == [2]


def test_without_retention_days_nothing_is_pruned(scout, clock):
    flag(scout, ask("dan", "acme they want help with tax planning"))
    decide.drop(scout, ask("lee"), 1, "Bad timing")
    clock.advance(days=3650)
    assert prune(replace(scout, config=scout.config.model_copy(update={"retention_days": None}))) == 0


