"""Slack events persisted before the ack: a Bolt middleware writes each message event Scout
acts on, and each /flag command, to the inbox (with the event's first sighting, so Slack's
retries are acked and dropped); the listener deletes the row when it is done, and a sweep in
`scout serve` processes the rows a crashed process left behind. With the database away an
edit or a delete is not acked (503), so Slack itself retries it later; a /flag or a new
message goes on unrecorded, and a remark it captures goes to the spool."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse

from handlers.accounts import account_for_channel
from handlers.context import Scout
from store.db import Unavailable
from store.inbox import MAX_ATTEMPTS, claim_stale, finish, receive

log = logging.getLogger("scout.slack.inbox")
PLATFORM = "slack"
# A row untouched this long belongs to a process that died (processing takes seconds).
STALE_AFTER = timedelta(minutes=2)
ACTED_ON = (None, "message_changed", "message_deleted")
COMMAND_PREFIX = "slack:command:"
SWEEP_WAIT_MS = 5000  # a locked store holds the recovery loop no longer than this
ACK_WAIT_MS = 1500  # then 503 inside Slack's 3 s, rather than an ack Slack has given up on

Process = Callable[[dict[str, Any]], Awaitable[None]]


def inbox_key(body: dict[str, Any]) -> str | None:
    """The dedupe and inbox key of an event Scout acts on, or of a /flag command (Slack never
    resends a command, so its key is only unique); None for everything else."""
    if body.get("command") == "/flag":
        return f"{COMMAND_PREFIX}{uuid.uuid4().hex}"
    if body.get("type") != "event_callback":
        return None
    event = body.get("event") or {}
    if event.get("type") != "message" or event.get("subtype") not in ACTED_ON:
        return None
    if event.get("subtype") is None and (event.get("bot_id") or not event.get("user")):
        return None
    event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
    return f"slack:{event_id}"


def inbox_middleware(scout: Scout) -> Callable[..., Awaitable[BoltResponse | None]]:
    async def persist_before_ack(body: dict[str, Any], context: AsyncBoltContext,
                                 next: Callable[[], Awaitable[None]]) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        key = inbox_key(body)
        if key is None or not _monitored(scout, body):
            return await next()
        try:
            fresh = await asyncio.to_thread(_receive, scout, key, body)
        except Unavailable:
            if _spoolable(body):  # acked at once, so not resent: its capture goes to the spool
                return await next()
            log.warning("database unavailable: Slack event %s not acknowledged, Slack will retry it", key)
            return BoltResponse(status=503, body="")
        if not fresh:  # Slack's retry of an event already stored: ack it and do nothing
            return BoltResponse(status=200, body="")
        context["inbox_key"] = key
        return await next()

    return persist_before_ack


def _spoolable(body: dict[str, Any]) -> bool:
    """A /flag or a new channel message needs the store only to file a remark, which the spool
    does when the store is away; an edit or a delete needs the store itself."""
    return bool(body.get("command")) or (body.get("event") or {}).get("subtype") is None


def _monitored(scout: Scout, body: dict[str, Any]) -> bool:
    """A new message matters only in a channel Scout listens in: the others are not stored,
    even for a moment. Edits and deletes always matter (the message may be a flagged one)."""
    if body.get("command"):
        return True
    event = body.get("event") or {}
    if event.get("subtype") is not None:
        return True
    account = account_for_channel(scout.config, event.get("channel"))
    return account is not None and account.monitoring != "off"


def _receive(scout: Scout, key: str, body: dict[str, Any]) -> bool:
    with scout.db.session(wait_ms=ACK_WAIT_MS, fail_fast=True) as session:
        return receive(session, key, PLATFORM, body, scout.now(), dedupe=not key.startswith(COMMAND_PREFIX))


async def processed(scout: Scout, context: AsyncBoltContext | dict[str, Any], work: Awaitable[None]) -> None:
    """Run a listener's work, then delete its inbox row, also when the work failed (a failure
    is logged by Bolt, and retrying it could act twice). A cancelled or killed process
    leaves the row for the sweep."""
    try:
        await work
    except Exception:
        await _done(scout, context)
        raise
    await _done(scout, context)


async def _done(scout: Scout, context: AsyncBoltContext | dict[str, Any]) -> None:
    key = context.get("inbox_key")
    if key:
        await asyncio.to_thread(_finish, scout, key)


async def release(scout: Scout, context: AsyncBoltContext | dict[str, Any]) -> None:
    """The command's work is stored: its row goes before the answer is sent, so a crash from
    here on can lose the answer but never files the remark twice. With the database gone
    meanwhile the row stays (logged), and a sweep adds the remark to the same lead later."""
    try:
        await _done(scout, context)
    except Unavailable:
        log.warning("database unavailable: inbox row %s left for the sweep", context.get("inbox_key"))


def _finish(scout: Scout, key: str) -> None:
    with scout.db.session() as session:
        finish(session, key)


class InboxSweep:
    """Processes inbox rows whose process went away, once each (a claimed row is another
    sweep's), and gives up on a row after MAX_ATTEMPTS tries with an error in the log."""

    def __init__(self, scout: Scout, process: Process) -> None:
        self.scout, self.process = scout, process

    async def __call__(self) -> int:
        rows = await asyncio.to_thread(self._claim)
        for row in rows:
            if row.attempts > MAX_ATTEMPTS:
                log.error("gave up on Slack event %s after %d attempts", row.key, row.attempts - 1)
            else:
                try:
                    await self.process(row.payload)
                except Exception:  # logged; the row goes, as after any listener's failure
                    log.exception("Slack event %s failed when processed from the inbox", row.key)
            await asyncio.to_thread(_finish, self.scout, row.key)
        if rows:
            log.warning("processed %d Slack event(s) left in the inbox", len(rows))
        return len(rows)

    def _claim(self) -> list:  # noqa: ANN202
        with self.scout.db.session(wait_ms=SWEEP_WAIT_MS) as session:
            return claim_stale(session, PLATFORM, self.scout.now(), STALE_AFTER)
