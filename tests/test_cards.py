"""Adaptive Cards for Teams: titles and data of actions, escaping, size limits, in-place updates."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adaptive_cards import (
    MAX_CARD_BYTES,
    escape_text,
    qualify_form,
    render_card,
    replace_lead_card,
    submitted,
)
from handlers.replies import Action, LeadItem, Reply, Section
from handlers.views import DROP, QUALIFY, SNOOZE
from tests.helpers.reply_strategies import replies


def _lead(n: int, text: str = "they want help with tax planning") -> LeadItem:
    actions = tuple(Action(a.id, a.label, str(n), a.style) for a in (QUALIFY, DROP, SNOOZE))
    return LeadItem(id=n, account="acme", account_name="Acme Corp", text=text, stage="identified",
                    flagged_by=("Dan Delivery",), actions=actions)


def _submits(card) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_lead_buttons_are_submits_titled_exactly_and_carry_the_lead():
    card = render_card(Reply(title="Digest", items=(_lead(7),)))
    assert [(a["title"], a["data"]) for a in _submits(card)] == [
        ("Qualify", {"scout": "qualify", "lead": "7"}), ("Drop", {"scout": "drop", "lead": "7"}),
        ("Snooze", {"scout": "snooze", "lead": "7"})]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [n["id"] for n in card["body"] if n.get("type") == "Container"] == ["lead-7"]


def test_user_text_cannot_mention_link_or_format():
    text = escape_text("<at>Bob</at> **now** [click](http://evil) _x_")
    assert "<at>" not in text and "**" not in text and "[click]" not in text
    assert "\\*\\*now\\*\\*" in text and "\\[click\\]" in text


def test_card_json_in_a_remark_stays_text():
    remark = json.dumps({"type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": "password"}]})
    card = render_card(Reply(title="Flagged", items=(_lead(1, remark),)))
    assert not any(n.get("type") == "Input.Text" for n in card["body"])
    assert "Input.Text" in json.dumps(card)  # as quoted text inside a TextBlock


def test_a_40000_character_remark_is_trimmed_and_the_card_fits():
    card = render_card(Reply(title="Flagged", items=(_lead(1, "x" * 40_000),)))
    size = len(json.dumps(card).encode())
    assert size < MAX_CARD_BYTES and "(trimmed)" in json.dumps(card)


def test_sixty_leads_are_cut_with_a_note_and_the_card_fits():
    card = render_card(Reply(title="Digest", sections=(Section(title="New", items=tuple(_lead(n, "y" * 900)
                                                                                       for n in range(1, 61))),)))
    shown = [n for n in card["body"] if n.get("type") == "Container"]
    assert 0 < len(shown) < 60
    assert f"and {60 - len(shown)} more; see @Scout leads" in json.dumps(card)
    assert len(json.dumps(card).encode()) < MAX_CARD_BYTES


def test_replace_lead_card_changes_only_that_lead():
    card = render_card(Reply(title="Digest", items=(_lead(1), _lead(2))))
    dropped = LeadItem(id=2, account="acme", account_name="Acme Corp", text="they want help with tax planning",
                       stage="dropped", actions=(Action("revive", "Revive", "2"),))
    outcome = Reply(title="Lead #2 dropped by Lee Lead", text="Reason: Bad timing", items=(dropped,),
                    actions=(Action("undo", "Undo", "2"),))
    new = replace_lead_card(card, outcome)
    containers = {n["id"]: n for n in new["body"] if n.get("type") == "Container"}
    assert containers["lead-1"] == next(n for n in card["body"] if n.get("id") == "lead-1")
    assert [a["title"] for a in _submits(containers["lead-2"])] == ["Revive", "Undo"]
    assert "dropped by Lee Lead" in json.dumps(containers["lead-2"])
    assert replace_lead_card(render_card(Reply(title="x", items=(_lead(1),))), outcome) is None


def test_qualify_form_presets_current_ratings():
    form = qualify_form(3, {"client_fit": "High", "stage": "exploring"})
    inputs = {n["id"]: n for n in form["body"] if n.get("id")}
    assert set(inputs) == {"client_fit", "service_applicability", "internal_capability", "competitive_position",
                           "value", "stage"}
    assert (inputs["client_fit"]["value"], inputs["stage"]["value"]) == ("High", "exploring")
    assert [(a["title"], a["data"]) for a in _submits(form)] == [("Save", {"scout": "qualify_save", "lead": "3"})]


def test_submitted_reads_junk_safely():
    assert submitted(None) == ("", "", {})
    assert submitted(["drop"]) == ("", "", {})
    assert submitted({"scout": "drop", "lead": 4, "reason": "x"}) == ("drop", "4", {"reason": "x"})
    assert submitted({"scout": {"a": 1}, "lead": [1]}) == ("", "", {})


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=3000), st.text(max_size=200))
def test_any_text_renders_within_limits_with_titled_buttons(remark, title):
    card = render_card(Reply(title=title, text=remark, items=(_lead(1, remark), _lead(2, remark))))
    assert len(json.dumps(card).encode()) < MAX_CARD_BYTES
    assert all(a["title"] for a in _submits(card))
    assert all("<" not in b.get("text", "") for b in card["body"] if b.get("type") == "TextBlock")


# -- every card renderer, for any reply -----------------------------------------------------------

TEAMS_LIMIT = 28_000  # what Teams accepts for a message; MAX_CARD_BYTES leaves room for updates


def _text_blocks(node) -> list[dict]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append(node)
        for value in node.values():
            found += _text_blocks(value)
    elif isinstance(node, list):
        for value in node:
            found += _text_blocks(value)
    return found


def assert_card_ok(card: dict, limit: int = MAX_CARD_BYTES, inputs: tuple[str, ...] = ("Input.ChoiceSet",)) -> None:
    """Within the size limit, text only in TextBlocks with no tag, titled submits carrying
    strings, and no element a remark could have smuggled in (no input but Scout's own)."""
    assert card["type"] == "AdaptiveCard"
    assert len(json.dumps(card, ensure_ascii=False).encode()) < limit
    for block in _text_blocks(card):
        assert isinstance(block["text"], str) and "<" not in block["text"] and ">" not in block["text"]
    for action in _submits(card):
        assert action["title"] and isinstance(action["data"]["scout"], str) and isinstance(action["data"]["lead"], str)
    kinds = {n.get("type") for n in json.loads(json.dumps(card))["body"]}
    assert kinds <= {"TextBlock", "FactSet", "Container", "ActionSet", *inputs}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reply=replies())
def test_any_reply_renders_as_a_card_within_the_size_limit(reply):
    assert_card_ok(render_card(reply), inputs=())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(reply=replies(), outcome=replies(), with_reason=st.booleans())
def test_replacing_a_lead_in_any_card_keeps_it_under_what_teams_accepts(reply, outcome, with_reason):
    from bot.adaptive_cards import drop_reason_inputs

    new = replace_lead_card(render_card(reply), outcome, drop_reason_inputs(1) if with_reason else None)
    if new is not None:
        assert_card_ok(new, TEAMS_LIMIT)


@settings(max_examples=30, deadline=None)
@given(lead_id=st.integers(0, 10**12), fit=st.sampled_from([None, "High", "junk"]), stage=st.text(max_size=20))
def test_the_qualify_form_is_always_a_valid_card(lead_id, fit, stage):
    assert_card_ok(qualify_form(lead_id, {"client_fit": fit, "stage": stage}),
                   inputs=("Input.ChoiceSet", "Input.Text"))
