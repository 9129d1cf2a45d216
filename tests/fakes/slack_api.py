"""A fake Slack Web API (and response_url endpoint) on loopback that records every call."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER = "UBOTSCOUT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    throttle: dict[str, int] = field(default_factory=dict)  # method -> how many 429s to answer first
    failing: dict[str, str] = field(default_factory=dict)  # method -> a permanent error to answer
    history: dict[tuple[str, str], str] = field(default_factory=dict)  # (channel, ts) -> text
    url: str = ""
    uploads: list[bytes] = field(default_factory=list)  # file bodies received at the upload URL
    socket: web.WebSocketResponse | None = None  # the Socket Mode connection, once the app opened it
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    _posted: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # the SDK reads some methods with GET
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_post("/upload/{file}", self._upload)
        app.router.add_get("/socket", self._socket)
        return app

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)  # the SDK sends some methods' params in the URL
        if request.method == "GET" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            return {**params, **await request.json()}
        params.update(await request.post())
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if self.throttle.get(method):
            self.throttle[method] -= 1
            self.calls.append(Call(f"{method}:429", params))
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        if method in self.failing:
            self.calls.append(Call(f"{method}:error", params))
            return web.json_response({"ok": False, "error": self.failing[method]})
        self.calls.append(Call(method, params))
        return web.json_response({"ok": True, **self._answer(method, params)})

    async def _response_url(self, request: web.Request) -> web.Response:
        self.calls.append(Call(f"response_url:{request.match_info['hook']}", await request.json()))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads.append(await request.read())
        return web.Response(text="OK - 1")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode as Slack speaks it: hello, then envelopes out and acks back."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self.socket = ws
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        return ws

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"user_id": BOT_USER, "bot_id": "BSCOUT", "team_id": "T1", "url": "https://test.slack.com/"}
        if method == "chat.getPermalink":
            ts = str(params.get("message_ts", ""))
            return {"permalink": f"https://test.slack.com/archives/{params.get('channel')}/p{ts.replace('.', '')}"}
        if method == "conversations.history":
            key = (str(params.get("channel")), str(params.get("latest")))
            text = self.history.get(key)
            return {"messages": [{"ts": key[1], "text": text, "type": "message"}] if text else []}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            self._posted += 1
            ts = f"1700000001.{self._posted:06d}"
            channel = str(params.get("channel", ""))
            if method == "chat.postMessage" and channel.startswith("U"):  # a DM lands in the app's D channel
                channel = "D" + channel[1:]
            return {"ts": ts, "message_ts": ts, "channel": channel}
        if method == "apps.connections.open":
            return {"url": self.url.replace("http://", "ws://", 1) + "socket"}
        if method == "chat.update":
            return {"ts": params.get("ts"), "channel": params.get("channel")}
        if method == "files.getUploadURLExternal":
            return {"upload_url": f"{self.url}upload/F{len(self.uploads) + 1}", "file_id": f"F{len(self.uploads) + 1}"}
        if method == "files.completeUploadExternal":
            return {"files": [{"id": f["id"], "title": f.get("title")} for f in json.loads(params.get("files", "[]"))]}
        return {}

    def named(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, ready, what: str, timeout: float = 10.0) -> None:  # noqa: ANN001
        deadline = asyncio.get_running_loop().time() + timeout
        while not ready():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.01)

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Calls happen after the ack, so tests wait for them (bounded, never on wall-clock schedules)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.named(method)) < count:
            if asyncio.get_running_loop().time() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} {method} call(s); saw {seen}")
            await asyncio.sleep(0.01)
        return self.named(method)
