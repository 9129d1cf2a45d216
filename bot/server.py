"""`scout serve`: one aiohttp server for Slack (and, later, Teams), plus a health check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from sqlalchemy import text

from handlers.context import Scout

log = logging.getLogger("scout.server")
MAX_BODY_BYTES = 1024 * 1024


class Background(Protocol):
    """Work that lives as long as the server: the digest scheduler."""

    def start(self) -> None: ...

    def shutdown(self) -> None: ...


def build_web_app(scout: Scout, slack: AsyncApp | None, background: Sequence[Background] = (),
                  routes: Sequence[Callable[[web.Application], None]] = ()) -> web.Application:
    """`routes` add other platforms' endpoints (Teams' /api/messages) to the same server."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    for add_route in routes:
        add_route(app)

    async def start_background(_: web.Application) -> None:
        for service in background:
            service.start()

    async def stop_background(_: web.Application) -> None:
        for service in background:
            service.shutdown()

    app.on_startup.append(start_background)
    app.on_cleanup.append(stop_background)

    async def healthz(_: web.Request) -> web.Response:
        """The database, and how many flags wait in the spool for it (see When things fail)."""
        spooled = len(await asyncio.to_thread(scout.spool.read)) if scout.spool is not None else 0
        try:
            await asyncio.to_thread(_ping, scout)
        except Exception as exc:  # any driver error means "not healthy"
            return web.json_response({"ok": False, "database": type(exc).__name__, "spooled": spooled}, status=503)
        return web.json_response({"ok": True, "database": scout.db.backend, "spooled": spooled})

    app.router.add_get("/healthz", healthz)
    if slack is not None:

        async def slack_events(request: web.Request) -> web.Response:
            try:
                bolt_request = await to_bolt_request(request)
            except (UnicodeDecodeError, ValueError, TypeError, AttributeError):  # not a Slack body at all
                return web.json_response({"ok": False, "error": "unreadable body"}, status=400)
            try:
                return await to_aiohttp_response(await slack.async_dispatch(bolt_request))
            except (ValueError, KeyError, TypeError, AttributeError):  # a body Bolt cannot take apart
                log.warning("malformed Slack request refused")
                return web.json_response({"ok": False, "error": "malformed request"}, status=400)

        app.router.add_post("/slack/events", slack_events)
    return app


def _ping(scout: Scout) -> None:
    with scout.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def run_socket_mode(slack: AsyncApp, app_token: str) -> None:
    """Socket Mode: Slack pushes the same payloads over a websocket (no public URL needed);
    the websocket URL comes from apps.connections.open on the app's client, so SLACK_API_URL
    applies here too."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(slack, app_token)
    try:
        await handler.start_async()
    finally:
        await handler.close_async()
