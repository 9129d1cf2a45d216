"""Listening in account channels by the account's monitoring mode."""

from __future__ import annotations

from dataclasses import replace

from handlers.monitor import channel_message
from store.leads import list_leads
from tests.conftest import ask


def _said(scout, person, text, channel):
    return channel_message(scout, replace(ask(person, text, channel=channel), message_ts="1700000000.000100"))


def _stored(scout):
    with scout.db.session() as session:
        return list_leads(session)


def test_suggest_mode_offers_to_flag_privately_and_stores_nothing(scout):
    reply = channel_message(scout, ask("dan", "they are frustrated with their payroll provider", channel="CACME"))
    assert reply.meta["monitoring"] == "suggest"
    assert reply.ephemeral is True
    assert [a.label for a in reply.actions] == ["Flag it", "Not a lead"]
    assert "HR consulting" in reply.fields[0].value
    assert _stored(scout) == []


def test_small_talk_gets_nothing(scout):
    reply = channel_message(scout, ask("dan", "lunch order is in, thai place again", channel="CACME"))
    assert reply.meta.get("silent") == "yes"


def test_auto_mode_captures_the_lead_from_the_channel(scout):
    reply = _said(scout, "olga", "they want a managed security service for the firewall alerts", "CGLOBEX")
    assert reply.meta["monitoring"] == "auto"
    (lead,) = _stored(scout)
    assert (lead.account, lead.flagged_by, lead.services) == ("globex", "olga", ["managed_security"])
    assert lead.message_ts == "1700000000.000100"


def test_off_mode_stays_silent_even_for_a_lead(scout):
    reply = channel_message(scout, ask("olga", "they need a proper audit this year", channel="CINITECH"))
    assert reply.meta.get("silent") == "yes"
    assert _stored(scout) == []


def test_people_outside_the_firm_are_not_listened_to(scout):
    reply = channel_message(scout, ask("UCLIENT", "we need an audit this year please", channel="CACME"))
    assert reply.meta.get("silent") == "yes"
