"""Digests to Slack: the outbox payload for a reply, and the sender that posts it with the
Web API (waiting out 429s, retrying server and connection errors) and attaches its charts."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.blockkit import render_blocks
from bot.chart import render_png
from bot.outbox import PermanentError, Sent
from bot.settings import SlackSettings
from handlers.replies import Chart, Reply

log = logging.getLogger("scout.slack.delivery")

# Errors that no retry will cure: the message stays in the outbox as failed, and the log says why.
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "no_permission", "missing_scope", "user_not_found", "cannot_dm_bot",
    "invalid_blocks", "msg_too_long", "restricted_action",
})


def slack_payload(reply: Reply) -> dict[str, Any]:
    """What the outbox keeps for Slack: the Block Kit message and the charts to attach."""
    return {**render_blocks(reply), "charts": [asdict(chart) for chart in reply.charts]}


def sync_client(settings: SlackSettings) -> WebClient:
    kwargs: dict[str, Any] = {"base_url": settings.api_url} if settings.api_url else {}
    return WebClient(
        token=settings.bot_token,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
        **kwargs,
    )


class SlackSender:
    """Posts an outbox payload to `channel:ID` or, as a direct message, to `user:ID`."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def __call__(self, destination: str, payload: dict[str, Any]) -> Sent:
        channel = destination.split(":", 1)[-1]
        try:
            posted = self.client.chat_postMessage(channel=channel, text=payload.get("text", ""),
                                                  blocks=payload.get("blocks") or None)
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in PERMANENT:
                raise PermanentError(f"Slack said {error}") from None
            raise
        ts, where = posted.get("ts"), posted.get("channel") or channel
        for chart in payload.get("charts") or []:
            self._attach(where, chart)
        return Sent(ref=ts, channel=where)

    def _attach(self, channel: str, chart: dict[str, Any]) -> None:
        """Upload a chart right after its message; a failed chart never fails the message."""
        picture = Chart(**{**chart, "categories": tuple(chart["categories"]),
                           "series": tuple((name, tuple(values)) for name, values in chart["series"])})
        try:
            self.client.files_upload_v2(channel=channel, content=render_png(picture),
                                        filename=f"{_slug(picture.title)}.png", title=picture.title)
        except SlackApiError as exc:
            log.warning("chart %r not attached: %s", picture.title, exc.response.get("error"))


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") or "chart"
