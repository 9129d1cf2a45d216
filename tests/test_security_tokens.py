"""Nobody gets in with a forged or replayed request: Slack signatures and Teams bearer tokens over
real HTTP, and no secret or token ever reaches a log, even at DEBUG."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from store.tables import ConversationRef, SeenEvent
from tests.conftest import stored_leads
from tests.helpers.bot_tokens import openid_server, verifying_settings
from tests.helpers.slack_http import BOT_TOKEN, SECRET, open_slack
from tests.helpers.teams_http import open_teams

APP_ID = "11111111-1111-1111-1111-111111111111"
APP_PASSWORD = "test-app-password-do-not-log"
FLAG_FORM = {"token": "x", "team_id": "T1", "channel_id": "CGENERAL", "user_id": "UDAN", "command": "/flag",
             "text": "acme they want help with tax planning", "trigger_id": "trig.1"}






def _rows(scout, table):
    with scout.db.session() as session:
        return list(session.exec(select(table)))


def _form(slack) -> str:
    return urlencode({**FLAG_FORM, "response_url": slack.response_url})


# -- Slack ------------------------------------------------------------------------------------


async def test_a_body_changed_after_signing_is_refused(slack, scout):
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=_form(slack))
    tampered = _form(slack).replace("tax+planning", "an+audit")
    resp = await slack.http.post(slack.base + "/slack/events", data=tampered.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature})
    assert resp.status == 401
    assert stored_leads(scout) == []


@pytest.mark.parametrize("age", [5 * 60 + 30, -(5 * 60 + 30), 24 * 3600])
async def test_a_correctly_signed_request_outside_the_five_minute_window_is_refused(slack, scout, age):
    resp = await slack.post(_form(slack), "application/x-www-form-urlencoded", ts=str(int(time.time()) - age))
    assert resp.status == 401
    assert stored_leads(scout) == [] and slack.fake.calls == []


@pytest.mark.parametrize("signature", ["v0=" + "0" * 64, "v1=abc", "", "v0="])
async def test_a_forged_signature_is_refused(slack, scout, signature):
    resp = await slack.http.post(slack.base + "/slack/events", data=_form(slack).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": signature})
    assert resp.status == 401
    assert stored_leads(scout) == []


async def test_a_replayed_signed_event_is_acted_on_once(slack, scout):
    """Bolt checks the signature and the timestamp window only; a replay inside the window of an
    event is caught by its event_id, recorded before Scout acts."""
    body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "EvReplay",
                       "event_time": int(time.time()), "event": {
                           "type": "message", "channel": "CGLOBEX", "user": "UOLGA", "ts": "1700000000.000300",
                           "text": "they want a managed security service for the firewall alerts",
                           "channel_type": "channel"}})
    ts = str(int(time.time()))
    for _ in range(3):  # byte for byte the same request, signature and all
        resp = await slack.post(body, "application/json", ts=ts)
        assert resp.status == 200
    await slack.fake.wait_for("chat.postEphemeral")
    await asyncio.sleep(0.1)
    assert len(stored_leads(scout)) == 1
    assert len(slack.fake.named("reactions.add")) == 1


async def test_a_stranger_with_a_valid_signature_gets_a_refusal_and_nothing_else(slack, scout):
    await slack.command("UNOBODY", "/flag", "acme they want help with tax planning")
    (reply,) = await slack.fake.wait_for("response_url:1")
    assert "don't know you" in json.dumps(reply.params)
    assert stored_leads(scout) == []


# -- Teams ------------------------------------------------------------------------------------


@pytest.fixture
def issuer():
    with openid_server(APP_ID) as issuer:
        yield issuer


@pytest.fixture
async def verified_teams(aiohttp_server, scout, issuer):
    async with open_teams(aiohttp_server, scout, verifying_settings(issuer, APP_PASSWORD)) as client:
        yield client


def _install(teams) -> dict:
    """An activity that makes Scout remember the conversation and send nothing (no outbound token
    is needed), so a 2xx and a stored reference prove the token was accepted."""
    activity = teams.activity("29:dan", "", channel=None, mention=False)
    activity["type"] = "installationUpdate"
    return activity


async def test_a_valid_channel_token_is_accepted(verified_teams, scout, issuer):
    resp = await verified_teams.post(_install(verified_teams),
                                     {"Authorization": f"Bearer {issuer.token(verified_teams.connector.url)}"})
    assert resp.status in (200, 201)
    assert [row.key for row in _rows(scout, ConversationRef)] == ["user:29:dan"]


def _forgeries(issuer, service_url: str) -> dict[str, str]:
    now = int(time.time())
    return {
        "missing": "",
        "not a bearer token": "Basic dXNlcjpwYXNz",
        "not a JWT": "Bearer abc",
        "wrong audience": f"Bearer {issuer.token(service_url, aud='22222222-2222-2222-2222-222222222222')}",
        "no audience": f"Bearer {issuer.token(service_url, aud=None)}",
        "expired": f"Bearer {issuer.token(service_url, exp=now - 3600, nbf=now - 7200, iat=now - 7200)}",
        "not yet valid": f"Bearer {issuer.token(service_url, nbf=now + 3600, iat=now + 3600)}",
        "unsigned (alg none)": f"Bearer {issuer.unsigned(service_url)}",
        "signed by another key": f"Bearer {issuer.token(service_url, key=issuer.stranger_key())}",
        "unknown key id": f"Bearer {issuer.token(service_url, kid='someone-elses-key')}",
        "wrong issuer": f"Bearer {issuer.token(service_url, iss='https://login.evil.example')}",
        "another service url": f"Bearer {issuer.token(service_url, serviceurl='https://evil.example/')}",
    }


async def test_every_forged_missing_or_expired_token_gets_401_and_nothing_runs(verified_teams, scout, issuer):
    statuses = {}
    for case, header in _forgeries(issuer, verified_teams.connector.url).items():
        activity = verified_teams.activity("29:dan", "flag acme they want help with tax planning", channel=None,
                                           mention=False)
        resp = await verified_teams.post(activity, {"Authorization": header} if header else {})
        statuses[case] = resp.status
    assert statuses == dict.fromkeys(statuses, 401)
    assert verified_teams.connector.sent == []
    assert stored_leads(scout) == [] and _rows(scout, ConversationRef) == [] and _rows(scout, SeenEvent) == []


# -- secrets in logs --------------------------------------------------------------------------


async def test_no_secret_or_token_reaches_the_logs_even_at_debug(aiohttp_server, scout, issuer, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = []
    async with open_slack(aiohttp_server, scout) as slack:
        await slack.command("UDAN", "/flag", "acme they want help with tax planning")
        await slack.fake.wait_for("response_url:1")
        await slack.event({"type": "app_home_opened", "user": "UDAN", "tab": "home"}, "EvHome")
        await slack.fake.wait_for("views.publish")
        await slack.post(_form(slack), "application/x-www-form-urlencoded", secret="wrong")
    async with open_teams(aiohttp_server, scout, verifying_settings(issuer, APP_PASSWORD)) as teams:
        good = issuer.token(teams.connector.url)
        tokens.append(good)
        await teams.post(_install(teams), {"Authorization": f"Bearer {good}"})
        for header in _forgeries(issuer, teams.connector.url).values():
            if header.startswith("Bearer ") and len(header) > 20:
                tokens.append(header.split(" ", 1)[1])
            await teams.post(teams.activity("29:dan", "help", channel=None, mention=False),
                             {"Authorization": header} if header else {})
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert len(caplog.records) > 10, "DEBUG logging was captured"
    for secret in (SECRET, BOT_TOKEN, APP_PASSWORD, *tokens):
        assert secret not in logged
    # a token's signature is the part that must never leak, even if a header or claims were logged
    for token in tokens:
        assert token.rsplit(".", 1)[-1] not in logged or not token.rsplit(".", 1)[-1]
