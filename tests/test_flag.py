"""Flagging through the handlers: leads, evidence, credit, accounts and refusals."""

from __future__ import annotations

from handlers.flag import MAX_REMARK_CHARS, flag
from store.leads import credits, events_for
from tests.conftest import ask, stored_leads


def test_flag_creates_a_lead_with_services_kinds_and_an_event(scout):
    reply = flag(scout, ask("dan", "acme they want help with tax planning next year"))
    assert reply.kind == "ok"
    assert reply.title == "Lead #1 flagged on Acme Corp"
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.stage, lead.flagged_by, lead.source) == ("acme", "identified", "dan", "slash")
    assert lead.services == ["tax_planning"]
    assert lead.text == "they want help with tax planning next year"
    item = reply.items[0]
    assert [(s.id, s.kind) for s in item.services] == [("tax_planning", "cross-sell")]
    with scout.db.session() as session:
        assert [e.kind for e in events_for(session, lead.id)] == ["flagged"]


def test_service_the_account_already_buys_is_an_upsell(scout):
    reply = flag(scout, ask("dan", "acme wants us to take on more tax returns for the new entities"))
    assert [(s.id, s.kind) for s in reply.items[0].services] == [("tax_compliance", "upsell")]


def test_account_by_alias_and_case(scout):
    reply = flag(scout, ask("dan", "ACME Corporation: their books are a mess"))
    assert reply.items[0].account == "acme"
    assert reply.items[0].text == "their books are a mess"


def test_account_implied_by_channel(scout):
    reply = flag(scout, ask("dan", "they just raised a round", channel="CACME"))
    assert reply.items[0].account == "acme"
    assert [t.id for t in reply.items[0].triggers] == ["funding_round"]


def test_repeat_flag_adds_evidence_and_shares_credit(scout):
    flag(scout, ask("dan", "acme frustrated with their payroll provider"))
    reply = flag(scout, ask("lee", "acme keeps moaning about the payroll provider again"))
    assert reply.title == "Added to lead #1 on Acme Corp"
    (lead,) = stored_leads(scout)
    with scout.db.session() as session:
        assert credits(session, [lead.id]) == {lead.id: ["dan", "lee"]}
        assert [e.kind for e in events_for(session, lead.id)] == ["flagged", "evidence"]
    assert reply.items[0].flagged_by == ("Dan Delivery", "Lee Lead")


def test_different_need_on_same_account_is_a_new_lead(scout):
    flag(scout, ask("dan", "acme frustrated with their payroll provider"))
    reply = flag(scout, ask("dan", "acme asked about a pen test"))
    assert reply.title == "Lead #2 flagged on Acme Corp"


def test_empty_flag_gets_usage_and_stores_nothing(scout):
    reply = flag(scout, ask("dan", "   "))
    assert reply.kind == "usage"
    assert "/flag acme" in reply.text
    assert stored_leads(scout) == []


def test_account_only_gets_usage(scout):
    reply = flag(scout, ask("dan", "acme"))
    assert reply.kind == "usage"
    assert "Acme Corp" in reply.text


def test_unknown_account_suggests_the_closest(scout):
    reply = flag(scout, ask("dan", "acmee they need an audit"))
    assert reply.kind == "error"
    assert "Did you mean Acme Corp (acme)?" in reply.text
    assert stored_leads(scout) == []


def test_stranger_is_refused_politely(scout):
    reply = flag(scout, ask("UNKNOWN", "acme they need an audit"))
    assert reply.kind == "refused"
    assert "don't know you" in reply.text
    assert stored_leads(scout) == []


def test_delivery_person_off_the_team_may_flag(scout):
    reply = flag(scout, ask("tom", "acme want a pen test"))
    assert reply.kind == "ok"


def test_conflict_warning_for_audit_client(scout):
    reply = flag(scout, ask("dan", "acme their books are a mess"))
    assert reply.items[0].services[0].conflict is True
    assert any("Auditor independence" in w for w in reply.warnings)


def test_long_remark_is_kept_up_to_the_limit_with_a_note(scout):
    remark = "they need an audit " + "x" * (MAX_REMARK_CHARS + 500)
    reply = flag(scout, ask("dan", "acme " + remark))
    (lead,) = stored_leads(scout)
    assert len(lead.text) == MAX_REMARK_CHARS
    assert any("kept the first part" in w for w in reply.warnings)


def test_sql_looking_text_is_stored_verbatim(scout):
    remark = "they need an audit'); DROP TABLE lead; --"
    flag(scout, ask("dan", "acme " + remark))
    assert stored_leads(scout)[0].text == remark
