"""Slack over real HTTP: signed requests shaped like Slack's sent to the real aiohttp server on
loopback, and a fake Slack Web API on loopback that records every call."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import ClientSession
from slack_sdk.signature import SignatureVerifier

from bot.server import build_web_app
from bot.settings import SlackSettings
from bot.slack_app import build_slack_app
from handlers.context import Scout
from tests.fakes.slack_api import FakeSlack

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"


@dataclass
class Slack:
    fake: FakeSlack
    base: str
    http: ClientSession

    @property
    def response_url(self) -> str:
        return self.fake.url + "response/1"

    async def post(self, body: str, content_type: str, *, ts: str | None = None, secret: str = SECRET,
                   signed: bool = True):
        ts = ts or str(int(time.time()))
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
        if signed:
            headers["X-Slack-Signature"] = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        return await self.http.post(self.base + "/slack/events", data=body.encode(), headers=headers)

    async def command(self, user: str, command: str, text: str, channel: str = "CGENERAL", **kw):
        form = {"token": "x", "team_id": "T1", "channel_id": channel, "user_id": user, "command": command,
                "text": text, "response_url": self.response_url, "trigger_id": "trig.1"}
        return await self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    async def event(self, event: dict, event_id: str = "Ev1"):
        body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                "event_time": int(time.time()), "event": event}
        return await self.post(json.dumps(body), "application/json")

    async def interact(self, payload: dict):
        payload = {"team": {"id": "T1"}, "api_app_id": "A1", "token": "x", **payload}
        return await self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    async def click(self, user: str, action_id: str, value: str = "", channel: str = "CACME", **extra):
        return await self.interact({
            "type": "block_actions", "user": {"id": user}, "trigger_id": "trig.2",
            "response_url": self.response_url, "channel": {"id": channel},
            "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": channel,
                          "is_ephemeral": True},
            "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": value,
                         "action_ts": "1700000002.1", **extra}],
        })


async def start_fake(aiohttp_server, fake: FakeSlack | None = None) -> FakeSlack:  # noqa: ANN001
    """A fake Slack Web API (or a subclass of it) served on loopback, its url set."""
    fake = fake or FakeSlack()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    return fake


@asynccontextmanager
async def open_slack(aiohttp_server, scout: Scout, secret: str = SECRET) -> AsyncIterator[Slack]:  # noqa: ANN001
    """`scout serve`'s web app with only Slack on it, talking to a fake Web API."""
    fake = await start_fake(aiohttp_server)
    settings = SlackSettings(bot_token=BOT_TOKEN, signing_secret=secret, api_url=fake.url + "api/")
    server = await aiohttp_server(build_web_app(scout, build_slack_app(scout, settings)))
    async with ClientSession() as http:
        yield Slack(fake=fake, base=str(server.make_url("")).rstrip("/"), http=http)
