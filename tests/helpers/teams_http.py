"""Teams over real HTTP: activities shaped like Teams' posted to /api/messages of the real aiohttp
server on loopback, and a fake Bot Connector (the activities' serviceUrl) recording every reply."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import ClientSession

from bot.server import build_web_app
from bot.settings import TeamsSettings
from bot.teams_app import Teams
from handlers.context import Scout
from tests.fakes.bot_connector import FakeConnector

BOT = {"id": "28:scout-bot", "name": "Scout"}
ACME_CHANNEL = "19:acme@thread.tacv2"
_ids = itertools.count(1)


@dataclass
class TeamsClient:
    connector: FakeConnector
    base: str
    http: ClientSession
    teams: Teams

    def activity(self, user: str, text: str, *, channel: str | None = ACME_CHANNEL, mention: bool = True,
                 **extra) -> dict:
        activity_id = str(1700000000000 + next(_ids))
        if channel:
            conversation = {"id": f"{channel};messageid={activity_id}", "conversationType": "channel",
                            "isGroup": True, "tenantId": "t1"}
            data = {"teamsChannelId": channel, "channel": {"id": channel}, "team": {"id": "19:team"},
                    "tenant": {"id": "t1"}}
        else:
            conversation = {"id": f"a:personal-{user}", "conversationType": "personal", "tenantId": "t1"}
            data = {"tenant": {"id": "t1"}}
        entities = [{"type": "mention", "mentioned": BOT, "text": "<at>Scout</at>"}] if mention else []
        return {
            "type": "message", "id": activity_id, "channelId": "msteams", "serviceUrl": self.connector.url,
            "from": {"id": user, "name": user}, "conversation": conversation, "recipient": BOT,
            "text": f"<at>Scout</at> {text}" if mention else text, "entities": entities, "channelData": data,
            **extra,
        }

    async def post(self, activity: dict, headers: dict | None = None):
        return await self.http.post(self.base + "/api/messages", data=json.dumps(activity),
                                    headers={"Content-Type": "application/json", **(headers or {})})

    async def say(self, user: str, text: str, **kw):
        response = await self.post(self.activity(user, text, **kw))
        assert response.status in (200, 201), await response.text()
        return response

    async def submit(self, user: str, value: dict, reply_to: str | None = None, channel: str | None = ACME_CHANNEL):
        activity = self.activity(user, "", channel=channel, mention=False, value=value)
        activity["text"] = ""
        if reply_to:
            activity["replyToId"] = reply_to
        response = await self.post(activity)
        assert response.status in (200, 201), await response.text()


@asynccontextmanager
async def open_teams(aiohttp_server, scout: Scout, settings: TeamsSettings | None = None,  # noqa: ANN001
                     connector: FakeConnector | None = None) -> AsyncIterator[TeamsClient]:
    """`scout serve`'s web app with only Teams on it, talking to a fake connector."""
    connector = connector or FakeConnector()
    if not connector.url:
        fake = await aiohttp_server(connector.app())
        connector.url = str(fake.make_url("/"))
    teams = Teams(scout, settings or TeamsSettings())
    server = await aiohttp_server(build_web_app(scout, None, [teams], [teams.add_route]))
    async with ClientSession() as http:
        yield TeamsClient(connector, str(server.make_url("")).rstrip("/"), http, teams)
