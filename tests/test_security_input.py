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
from store.leads import list_leads
from tests.helpers.slack_http import open_slack
from tests.helpers.teams_http import open_teams

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


@pytest.fixture
async def slack(aiohttp_server, scout):
    async with open_slack(aiohttp_server, scout) as client:
        yield client


@pytest.fixture
async def teams(aiohttp_server, scout):
    async with open_teams(aiohttp_server, scout) as client:
        yield client


def _leads(scout):
    with scout.db.session() as session:
        return list_leads(session)


@pytest.mark.parametrize("case", SLACK_BODIES)
async def test_a_malformed_slack_request_is_a_4xx(slack, scout, case):
    body, content_type = SLACK_BODIES[case]
    resp = await slack.post(body, content_type)
    assert 400 <= resp.status < 500, (case, resp.status)
    assert _leads(scout) == []
    ok = await slack.command("UDAN", "/flag", "acme they want help with tax planning")  # still serving
    assert ok.status == 200


@pytest.mark.parametrize("case", TEAMS_BODIES)
async def test_a_malformed_teams_activity_is_a_4xx(teams, scout, case):
    resp = await teams.http.post(teams.base + "/api/messages", data=TEAMS_BODIES[case],
                                 headers={"Content-Type": "application/json"})
    assert 400 <= resp.status < 500, (case, resp.status)
    assert _leads(scout) == [] and teams.connector.sent == []


@pytest.mark.parametrize("field", [("serviceUrl", 5), ("from", "29:dan"), ("text", ["flag"]), ("id", 12),
                                   ("entities", "mention"), ("recipient", [1])])
async def test_an_activity_with_a_field_of_the_wrong_type_is_a_400(teams, scout, field):
    activity = teams.activity("29:dan", "flag acme they want help with tax planning", channel=None, mention=False)
    activity[field[0]] = field[1]
    resp = await teams.post(activity)
    assert resp.status == 400
    assert _leads(scout) == []


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
