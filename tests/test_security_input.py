"""Malformed requests get a 4xx on both endpoints, never a 500, and change nothing: bodies that
are empty, not JSON, JSON of the wrong shape, unknown Slack payload types and Teams activity
types, and bodies over the server's limit. The Slack ones are correctly signed, so they reach
Scout's own code rather than stopping at the signature check."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.server import MAX_BODY_BYTES
from tests.conftest import stored_leads
from tests.helpers.slack_limits import assert_every_call

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _payload(payload: object) -> str:
    return urlencode({"payload": json.dumps(payload)})


SLACK_BODIES = {
    "empty form": ("", FORM),
    "empty JSON": ("", JSON),
    "not JSON": ("{not json", JSON),
    "a JSON list": ("[]", JSON),
    "a JSON number": ("123", JSON),
    "a JSON string": ('"x"', JSON),
    "JSON null": ("null", JSON),
    "an event callback without an event": ('{"type": "event_callback"}', JSON),
    "an event that is a string": ('{"type": "event_callback", "event": "x"}', JSON),
    "a message whose user and text are numbers": (json.dumps({"type": "event_callback", "event_id": "Ev9", "event": {
        "type": "message", "channel": "CACME", "user": 5, "text": 7, "ts": "1.2"}}), JSON),
    "an edit whose message is a list": (json.dumps({"type": "event_callback", "event_id": "Ev8", "event": {
        "type": "message", "subtype": "message_changed", "channel": "CACME", "message": []}}), JSON),
    "an unknown JSON type": ('{"type": "weird"}', JSON),
    "an unknown payload type": (_payload({"type": "weird"}), FORM),
    "a payload that is a list": (_payload([1]), FORM),
    "a payload that is null": (_payload(None), FORM),
    "a payload that is not JSON": ("payload=%7Bnot-json", FORM),
    "block actions without a user": (_payload({"type": "block_actions", "actions": [{"action_id": "scout_drop_1"}]}), FORM),
    "block actions with a numeric user": (_payload({"type": "block_actions", "user": {"id": 5},
                                                    "actions": [{"action_id": "scout_drop_1"}]}), FORM),
    "actions that are not a list": (_payload({"type": "block_actions", "user": {"id": "UDAN"}, "actions": "drop"}), FORM),
    "a view submission with no view state": (_payload({"type": "view_submission", "user": {"id": "UDAN"},
                                                       "view": {"callback_id": "scout_qualify_modal"}}), FORM),
    "a view whose state is a list": (_payload({"type": "view_submission", "user": {"id": "UDAN"},
                                               "view": {"callback_id": "scout_qualify_modal", "state": []}}), FORM),
    "an unknown slash command": (urlencode({"command": "/unknown", "user_id": "UDAN", "text": "x"}), FORM),
    "a slash command with no user": (urlencode({"command": "/flag", "text": "acme they need an audit"}), FORM),
    "a form of nothing Slack sends": ("a=b", FORM),
    "XML": ("<xml/>", "text/xml"),
    "over the size limit": ("x" * (MAX_BODY_BYTES + 1), JSON),
}

TEAMS_BODIES = {
    "empty": "",
    "not JSON": "{not json",
    "a JSON list": "[]",
    "a JSON number": "123",
    "JSON null": "null",
    "an empty object": "{}",
    "a numeric type": '{"type": 5}',
    "an unknown activity type": '{"type": "weirdType"}',
    "a message with nothing else": '{"type": "message"}',
    "a message whose conversation is a number": '{"type": "message", "from": "x", "conversation": 3}',
    "a submit whose value is a list": '{"type": "message", "value": [1], "from": {"id": "29:dan"}}',
    "an invoke Scout does not handle": '{"type": "invoke", "name": "adaptiveCard/action"}',
    "members added that are not a list": '{"type": "conversationUpdate", "membersAdded": "x"}',
    "over the size limit": "x" * (MAX_BODY_BYTES + 1),
}








@pytest.mark.parametrize("case", SLACK_BODIES)
async def test_a_malformed_slack_request_is_a_4xx(slack, scout, case):
    body, content_type = SLACK_BODIES[case]
    resp = await slack.post(body, content_type)
    assert 400 <= resp.status < 500, (case, resp.status)
    assert stored_leads(scout) == []
    ok = await slack.command("UDAN", "/flag", "acme they want help with tax planning")  # still serving
    assert ok.status == 200


@pytest.mark.parametrize("case", TEAMS_BODIES)
async def test_a_malformed_teams_activity_is_a_4xx(teams, scout, case):
    resp = await teams.http.post(teams.base + "/api/messages", data=TEAMS_BODIES[case],
                                 headers={"Content-Type": "application/json"})
    assert 400 <= resp.status < 500, (case, resp.status)
    assert stored_leads(scout) == [] and teams.connector.sent == []


@pytest.mark.parametrize("field", [("serviceUrl", 5), ("serviceUrl", "0"), ("serviceUrl", "ftp://x/"), ("from", "29:dan"), ("text", ["flag"]), ("id", 12),
                                   ("entities", "mention"), ("recipient", [1])])
async def test_an_activity_with_a_field_of_the_wrong_type_is_a_400(teams, scout, field):
    activity = teams.activity("29:dan", "flag acme they want help with tax planning", channel=None, mention=False)
    activity[field[0]] = field[1]
    resp = await teams.post(activity)
    assert resp.status == 400
    assert stored_leads(scout) == []


async def test_known_activity_types_scout_ignores_are_accepted(teams):
    for kind in ("typing", "messageReaction", "event"):
        activity = teams.activity("29:dan", "", channel=None, mention=False)
        activity["type"] = kind
        resp = await teams.post(activity)
        assert resp.status in (200, 201), kind
    assert teams.connector.sent == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
EVENT_KEYS = st.sampled_from(["type", "subtype", "user", "text", "channel", "ts", "message", "previous_message",
                              "deleted_ts", "bot_id", "tab"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=st.dictionaries(EVENT_KEYS, JSON_VALUES, max_size=6) | JSON_VALUES,
       payload=st.dictionaries(st.sampled_from(["type", "user", "actions", "view", "channel", "container",
                                                "message", "trigger_id", "response_url"]), JSON_VALUES, max_size=6))
async def test_any_json_in_a_signed_event_or_payload_is_never_a_5xx(slack, event, payload):
    body = json.dumps({"type": "event_callback", "event_id": "EvAny", "event": event})
    resp = await slack.post(body, JSON)
    assert resp.status < 500, (event, resp.status)
    resp = await slack.post(_payload(payload), FORM)
    assert resp.status < 500, (payload, resp.status)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["type", "id", "serviceUrl", "from", "conversation", "recipient",
                                               "text", "value", "entities", "channelData", "replyToId"]),
                              JSON_VALUES, max_size=6))
async def test_any_json_in_an_activity_is_never_a_5xx(teams, fields):
    activity = {**teams.activity("29:dan", "help", channel=None, mention=False), **fields}
    resp = await teams.post(activity)
    assert resp.status < 500, (fields, resp.status)


# -- what people type, end to end ----------------------------------------------------------------

INJECTION = "<!channel> <@ULEE> <http://evil|click> <at>Everyone</at> **now** [x](http://evil)"
CARD_JSON = json.dumps({"type": "AdaptiveCard", "body": [{"type": "Input.Text", "id": "password"}],
                        "actions": [{"type": "Action.OpenUrl", "url": "http://evil"}]})
SQL = "they want tax planning'); DROP TABLE lead; -- \" OR 1=1; SELECT * FROM evidence WHERE '1'='1"


def _slack_payloads(fake) -> list[tuple[str, dict]]:
    return [(c.method, c.params) for c in fake.calls
            if c.method.startswith(("chat.post", "chat.update", "response_url", "views."))]


def _assert_all_slack_payloads_valid(fake) -> None:
    assert _slack_payloads(fake)
    assert_every_call(fake)


def _stored(scout) -> list[str]:
    return [lead.text for lead in stored_leads(scout)]


async def test_a_40000_character_remark_is_stored_in_full_and_the_reply_trimmed_with_a_note(slack, scout):
    remark = ("they want tax planning & <!here> " * 1300)[:40_000]
    await slack.command("UDAN", "/flag", f"acme {remark}")
    (reply,) = await slack.fake.wait_for("response_url:1")
    assert _stored(scout) == [remark.strip()]
    assert "(trimmed)" in json.dumps(reply.params["blocks"])
    assert "Your remark was over" not in json.dumps(reply.params)
    _assert_all_slack_payloads_valid(slack.fake)


async def test_a_remark_over_the_limit_keeps_its_first_40000_characters_and_says_so(slack, scout):
    from handlers.flag import MAX_REMARK_CHARS

    remark = "they want help with tax planning " + "x" * MAX_REMARK_CHARS
    await slack.command("UDAN", "/flag", f"acme {remark}")
    (reply,) = await slack.fake.wait_for("response_url:1")
    assert _stored(scout) == [remark[:MAX_REMARK_CHARS]]
    assert "Your remark was over 40,000 characters; I kept the first part." in json.dumps(reply.params)
    _assert_all_slack_payloads_valid(slack.fake)


async def test_markup_and_sql_in_a_slack_remark_ping_nobody_and_are_stored_verbatim(slack, scout):
    remark = f"{SQL} {INJECTION}"
    await slack.command("UDAN", "/flag", f"acme {remark}")
    await slack.fake.wait_for("response_url:1")
    await slack.event({"type": "app_home_opened", "user": "ULEE", "tab": "home"}, "EvHomeSql")
    await slack.fake.wait_for("views.publish")
    assert _stored(scout) == [remark]
    dumped = json.dumps(_slack_payloads(slack.fake))
    for raw in ("<!channel>", "<@ULEE>", "<http://evil|click>"):
        assert raw not in dumped
    _assert_all_slack_payloads_valid(slack.fake)


async def test_markup_card_json_and_sql_in_a_teams_remark_stay_text_and_are_stored_verbatim(teams, scout):
    from bot.adaptive_cards import MAX_CARD_BYTES

    remark = f"{SQL} {INJECTION} {CARD_JSON}"
    await teams.say("29:dan", f"flag acme {remark}", channel=None, mention=False)
    await teams.say("29:lee", "leads", channel=None, mention=False)
    _, listed = await teams.connector.wait_for("reply", 2)
    assert _stored(scout) == [remark]
    card = listed.card
    nodes = json.dumps(card)
    assert "<at>" not in nodes and "[x](http://evil)" not in nodes
    assert '"type": "Input.Text"' not in nodes and '"type": "Action.OpenUrl"' not in nodes
    assert len(json.dumps(listed.body).encode()) < MAX_CARD_BYTES + 2_000


async def test_unicode_and_control_characters_round_trip_through_both_endpoints(slack, teams, scout):
    """Everything is stored as typed, except what no backend can store: NUL (PostgreSQL text
    refuses it) is dropped, and a lone surrogate (valid JSON, not UTF-8) becomes U+FFFD."""
    remark = "they want tax planning \u0000\u0007\u202e\u200b\ufeff \U0001f600 e\u0301 \ud7ff \t\r ok"
    await slack.command("UDAN", "/flag", f"acme {remark}")
    await slack.fake.wait_for("response_url:1")
    await teams.say("29:olga", "flag globex they want a pen test \u202e\u0000\U0001f600 \ud83d end", channel=None,
                    mention=False)
    await teams.connector.wait_for("reply")
    await slack.command("ULEE", "/flag", "acme \u0000")
    await slack.fake.wait_for("response_url:1", 2)
    assert _stored(scout) == [remark.replace("\u0000", "").strip(),
                              "they want a pen test \u202e\U0001f600 \ufffd end"]
    _assert_all_slack_payloads_valid(slack.fake)
