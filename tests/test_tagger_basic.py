"""The first tagger on the test catalog: services, kinds, conflicts, triggers, negation, money."""

from __future__ import annotations

import pytest

from nlp.amounts import find_amounts
from nlp.clean import clean_markup


def test_services_and_triggers_with_evidence(tagger, config):
    tags = tagger.tag("They just raised a Series B and their books are a mess", config.account("acme"))
    assert tags.lead is True
    assert [(s.id, s.evidence, s.kind, s.conflict) for s in tags.services] == [
        ("outsourced_accounting", "books are a mess", "cross-sell", True)
    ]
    assert [(t.id, t.evidence) for t in tags.triggers] == [("funding_round", "Series B")]
    assert tags.suggested == ["audit", "fractional_cfo"]


def test_no_conflict_where_the_firm_is_not_the_auditor(tagger, config):
    tags = tagger.tag("their books are a mess", config.account("globex"))
    assert tags.services[0].conflict is False


def test_negated_service_is_not_a_lead(tagger):
    tags = tagger.tag("they are not planning an audit this year")
    assert tags.lead is False
    assert tags.negated == ["audit"]
    assert tags.modifiers[0].kind == "negated"


def test_small_talk_is_not_a_lead(tagger):
    assert tagger.tag("lunch order is in, thai place again").lead is False


def test_json_has_the_contract_fields(tagger):
    data = tagger.tag("they want tax planning, budget ~$300K").to_json()
    assert set(data) >= {"lead", "score", "services", "triggers", "suggested", "negated", "amounts"}
    assert set(data["services"][0]) >= {"id", "score", "evidence", "kind", "conflict"}
    assert data["amounts"] == [{"text": "~$300K", "value": 300000.0, "currency": "USD"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("raised $40M", [("$40M", 40e6, "USD")]),
        ("about EUR 2.5m budget", [("about EUR 2.5m", 2.5e6, "EUR")]),
        ("£120,000 a year", [("£120,000", 120000.0, "GBP")]),
        ("we have 40 people", []),
    ],
)
def test_amounts(text, expected):
    assert [(a.text, a.value, a.currency) for a in find_amounts(text)] == expected


def test_markup_is_cleaned_before_tagging():
    raw = "<@U123> said <https://x.io|the audit plan> :fire: `code` <!channel> &amp; <at>Scout</at> done"
    assert clean_markup(raw) == "said the audit plan code & done"
