"""A fake Bot Connector (the Teams side of the Bot Framework) on loopback: it records every
reply, proactive message, update and delete the bot sends, and can answer 429."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Sent:
    verb: str  # send | reply | update | delete
    conversation: str
    activity_id: str | None
    body: dict[str, Any]

    @property
    def card(self) -> dict[str, Any]:
        attachments = self.body.get("attachments") or [{}]
        return attachments[0].get("content") or {}


@dataclass
class FakeConnector:
    sent: list[Sent] = field(default_factory=list)
    throttle: int = 0  # how many 429s to answer first
    throttled: int = 0
    url: str = ""
    _ids: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._reply)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_delete("/v3/conversations/{conversation}/activities/{activity}", self._delete)
        return app

    async def _record(self, verb: str, request: web.Request) -> web.Response:
        if self.throttle:
            self.throttle -= 1
            self.throttled += 1
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": "0"})
        body = await request.json() if request.can_read_body else {}
        activity = request.match_info.get("activity")
        self.sent.append(Sent(verb, request.match_info["conversation"], activity, body))
        if verb in ("update", "delete"):
            return web.json_response({"id": activity})
        self._ids += 1
        return web.json_response({"id": f"act-{self._ids}"})

    async def _send(self, request: web.Request) -> web.Response:
        return await self._record("send", request)

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._record("reply", request)

    async def _update(self, request: web.Request) -> web.Response:
        return await self._record("update", request)

    async def _delete(self, request: web.Request) -> web.Response:
        return await self._record("delete", request)

    def of(self, verb: str) -> list[Sent]:
        return [s for s in self.sent if s.verb == verb]

    async def wait_for(self, verb: str, count: int = 1, timeout: float = 10.0) -> list[Sent]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.of(verb)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} {verb}(s); saw {[s.verb for s in self.sent]}")
            await asyncio.sleep(0.01)
        return self.of(verb)
