"""Proactive Teams messages: digests through the outbox, private suggestions, and in-place card
updates, all by `continue_conversation(reference, callback, bot_app_id)` on stored references.

Teams throttles per conversation (about 7 messages/s, 1,800/hour) and per app (50 requests/s
per tenant): every send waits for room under those limits first (a leaky bucket, aiolimiter), and
429, 412, 502, 503 and 504 are still retried here, honouring Retry-After."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ConversationReference
from msrest.exceptions import HttpOperationError

from bot.adaptive_cards import card_attachment, render_card, replace_lead_card
from bot.outbox import PermanentError, Sent
from handlers.context import Scout
from handlers.replies import Reply
from store.conversations import recall
from store.digests import save_payload, sent_with_lead

log = logging.getLogger("scout.teams.delivery")
RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
MAX_TRIES = 4
LONGEST_WAIT_S = 30.0
COPIES_KEPT_DAYS = 60
SEND_TIMEOUT_S = 120
T = TypeVar("T")


class Pacer:
    """Teams' published limits, kept before sending instead of learned from 429s: per
    conversation about 7 messages/s and 1,800/hour, per app 50 requests/s per tenant."""

    def __init__(self, per_second: float = 7, per_hour: float = 1800, app_per_second: float = 50,
                 conversations_kept: int = 10_000) -> None:
        self.per_second, self.per_hour, self.kept = per_second, per_hour, conversations_kept
        self._app = AsyncLimiter(app_per_second, 1)
        self._conversations: OrderedDict[str, tuple[AsyncLimiter, AsyncLimiter]] = OrderedDict()

    async def wait(self, conversation: str | None) -> None:
        await self._app.acquire()
        if conversation:
            for limiter in self._limits(conversation.split(";")[0]):  # a thread is its channel
                await limiter.acquire()

    def _limits(self, conversation: str) -> tuple[AsyncLimiter, AsyncLimiter]:
        limits = self._conversations.pop(conversation, None) or (
            AsyncLimiter(1, 1 / self.per_second), AsyncLimiter(self.per_hour, 3600))  # evenly spaced; hourly budget
        self._conversations[conversation] = limits  # most recent last; the oldest is forgotten
        if len(self._conversations) > self.kept:
            self._conversations.popitem(last=False)
        return limits


# One pacer per event loop (the server's): the limits are the app's, and aiolimiter's buckets
# belong to the loop they were first used on.
_pacers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pacer] = weakref.WeakKeyDictionary()


def pacer() -> Pacer:
    loop = asyncio.get_running_loop()
    if loop not in _pacers:
        _pacers[loop] = Pacer()
    return _pacers[loop]


def _status(exc: Exception) -> tuple[int | None, float | None]:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None) or {}
    try:
        wait = float(headers.get("Retry-After")) if headers.get("Retry-After") else None
    except (TypeError, ValueError):
        wait = None
    return status, wait


async def with_retries(context: TurnContext, call: Callable[[], Awaitable[T]]) -> T:
    """Run a Bot Connector call in the context's conversation, paced under Teams' limits,
    waiting out throttling and transient gateway errors."""
    conversation = context.activity.conversation.id if context.activity.conversation else None
    for attempt in range(1, MAX_TRIES + 1):
        await pacer().wait(conversation)
        try:
            return await call()
        except HttpOperationError as exc:
            status, wait = _status(exc)
            if status not in RETRY_STATUSES or attempt == MAX_TRIES:
                raise
            delay = min(wait if wait is not None else 2.0**attempt, LONGEST_WAIT_S)
            log.warning("Teams answered %s; retrying in %.1fs", status, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


def teams_payload(reply: Reply) -> dict[str, Any]:
    """What the outbox keeps for Teams: the Adaptive Card (charts are named in it; a PNG does
    not fit in a Teams message's 28 KB)."""
    return {"card": render_card(reply)}


class TeamsDigests:
    """Sends and updates Teams messages where Scout speaks first."""

    def __init__(self, scout: Scout, adapter: CloudAdapter, app_id: str) -> None:
        self.scout, self.adapter, self.app_id = scout, adapter, app_id
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's loop, once it runs

    # -- the outbox sender (called from a worker thread) --------------------------------------

    def __call__(self, destination: str, payload: dict[str, Any]) -> Sent:
        coroutine = self._post(destination, payload["card"])
        if self.loop is not None and self.loop.is_running():
            return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(SEND_TIMEOUT_S)
        return asyncio.run(coroutine)

    async def _post(self, destination: str, card: dict[str, Any]) -> Sent:
        reference = await asyncio.to_thread(self._reference, destination)
        if reference is None:
            kind, _, who = destination.partition(":")
            where = "their chat with Scout" if kind == "user" else "that channel"
            raise PermanentError(f"cannot reach {who} on Teams yet: nobody has talked to Scout in {where}")
        sent: dict[str, str | None] = {}

        async def post(context: TurnContext) -> None:
            # A new post, not a reply to the continuation's made-up activity id.
            context.activity.id = None
            message = MessageFactory.attachment(card_attachment(card))
            response = await with_retries(context, lambda: context.send_activity(message))
            sent["id"] = response.id if response else None

        await self.adapter.continue_conversation(reference, post, self.app_id)
        return Sent(ref=sent.get("id"), channel=reference.conversation.id)

    def _reference(self, destination: str) -> ConversationReference | None:
        with self.scout.db.session() as session:
            data = recall(session, destination)
        return ConversationReference().deserialize(data) if data else None

    # -- private suggestions ------------------------------------------------------------------

    async def to_person_async(self, user_id: str, card: dict[str, Any]) -> None:
        try:
            await self._post(f"user:{user_id}", card)
        except PermanentError:
            log.info("no private chat with a Teams user yet; suggestion not shown")

    # -- in-place updates after an action -----------------------------------------------------

    async def update_clicked(self, context: TurnContext, updated: Activity, reply: Reply,
                             extra: list[dict] | None) -> bool:
        """When the clicked card is a digest, replace only the acted-on lead in it."""
        for row_id, _, ref, payload in await asyncio.to_thread(self._copies, reply):
            if ref != updated.id:
                continue
            card = replace_lead_card(payload["card"], reply, extra)
            if card is None:
                return False
            updated.attachments = [card_attachment(card)]
            await with_retries(context, lambda: context.update_activity(updated))
            await asyncio.to_thread(self._save, row_id, {**payload, "card": replace_lead_card(payload["card"], reply)})
            return True
        return False

    async def update_copies(self, reply: Reply, skip: str | None) -> None:
        """Every other delivered digest showing the lead shows its new state too."""
        for row_id, destination, ref, payload in await asyncio.to_thread(self._copies, reply):
            card = replace_lead_card(payload.get("card") or {}, reply)
            if card is None or ref == skip:
                continue
            reference = await asyncio.to_thread(self._reference, destination)
            if reference is None:
                continue

            async def update(context: TurnContext, ref: str = ref, card: dict = card) -> None:
                activity = Activity(type=ActivityTypes.message, id=ref, attachments=[card_attachment(card)])
                await with_retries(context, lambda: context.update_activity(activity))

            try:
                await self.adapter.continue_conversation(reference, update, self.app_id)
            except HttpOperationError as exc:
                log.warning("could not update a Teams digest copy: %s", _status(exc)[0])
                continue
            await asyncio.to_thread(self._save, row_id, {**payload, "card": card})

    def _copies(self, reply: Reply) -> list[tuple[int, str, str, dict[str, Any]]]:
        if not reply.all_items:
            return []
        since = self.scout.now() - timedelta(days=COPIES_KEPT_DAYS)
        with self.scout.db.session() as session:
            return [(row.id, row.destination, row.sent_ref, row.payload)
                    for row in sent_with_lead(session, "teams", reply.all_items[0].id, since) if row.sent_ref]

    def _save(self, row_id: int, payload: dict[str, Any]) -> None:
        with self.scout.db.session() as session:
            save_payload(session, row_id, payload)
