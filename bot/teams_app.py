"""The Teams adapter on botbuilder: `POST /api/messages` through CloudAdapter, mentions and card
submits translated into handler requests, replies rendered as Adaptive Cards.

Every botbuilder import lives in this module and bot/teams_delivery.py: botbuilder-python is in
maintenance mode, and its successor can replace it here without touching handlers/."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.adaptive_cards import card_attachment, drop_reason_inputs, qualify_form, render_card, submitted
from bot.settings import TeamsSettings
from bot.teams_delivery import TeamsDigests, with_retries
from bot.teams_shape import problem as activity_problem
from handlers import decide
from handlers.commands import parse_money, run_command
from handlers.context import Scout
from handlers.errors import Answer
from handlers.guards import require_lead, require_person
from handlers.monitor import channel_message, flag_suggested
from handlers.privacy import message_deleted, message_edited
from handlers.replies import Reply
from handlers.requests import Request
from store.conversations import remember
from store.db import Unavailable
from store.events import first_sighting

log = logging.getLogger("scout.teams")
STORE_WAIT_MS = 1500  # then on without the store: a flag is spooled, not lost
COMMAND_WORDS = {"flag", "pipeline", "leads", "help", "qualify", "drop", "snooze", "stage", "undo", "revive"}


class StrictAuthentication(ConfigurationBotFrameworkAuthentication):
    """botbuilder raises PermissionError for some bad tokens but a bare Exception, a PyJWT error or
    an IndexError for others (expired, `alg: none`, an unknown key, not a JWT at all), which would
    be a 500: every failure to authenticate is a 401 here, logged without the token."""

    async def authenticate_request(self, activity: Activity, auth_header: str):  # noqa: ANN201
        try:
            return await super().authenticate_request(activity, auth_header)
        except PermissionError:
            raise
        except Exception as exc:  # any failure to validate the token means "not authenticated"
            log.info("Teams request refused: %s", type(exc).__name__)
            raise PermissionError("invalid token") from None

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str):  # noqa: ANN201
        try:
            return await super().authenticate_streaming_request(auth_header, channel_id_header)
        except PermissionError:
            raise
        except Exception as exc:
            log.info("Teams streaming request refused: %s", type(exc).__name__)
            raise PermissionError("invalid token") from None


def build_adapter(settings: TeamsSettings) -> CloudAdapter:
    adapter = CloudAdapter(StrictAuthentication(settings))

    async def on_error(context: TurnContext, error: Exception) -> None:
        log.error("Teams turn failed: %s", type(error).__name__, exc_info=error)
        await context.send_activity("Sorry, something went wrong on my side. Nothing you wrote is lost.")

    adapter.on_turn_error = on_error
    return adapter


class Teams:
    """The Teams side of `scout serve`: its route, and the proactive sender the digests use."""

    def __init__(self, scout: Scout, settings: TeamsSettings) -> None:
        self.adapter = build_adapter(settings)
        self.anonymous = settings.anonymous
        self.digests = TeamsDigests(scout, self.adapter, settings.APP_ID)
        self.bot = ScoutTeamsBot(scout, self.digests)

    def add_route(self, app: web.Application) -> None:
        add_teams_route(app, self.adapter, self.bot, authenticated=not self.anonymous)

    def start(self) -> None:
        self.digests.loop = asyncio.get_running_loop()

    def shutdown(self) -> None:
        self.digests.loop = None


def add_teams_route(app: web.Application, adapter: CloudAdapter, bot: ActivityHandler,
                    authenticated: bool = True) -> None:
    async def messages(request: web.Request) -> web.StreamResponse:
        # botbuilder 4.17 fails with an AttributeError, not a 401, on a missing header: refuse it here.
        if authenticated and not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": "unauthorized"}, status=401)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected application/json"}, status=415)
        try:
            malformed = activity_problem(await request.json())
        except ValueError:  # not JSON (aiohttp's JSONDecodeError and bad encodings are ValueErrors)
            malformed = "not JSON"
        if malformed:
            log.debug("malformed Teams activity: %s", malformed)
            return web.json_response({"error": "malformed activity"}, status=400)
        try:
            response = await adapter.process(request, bot)
        except (ValueError, KeyError, TypeError, AttributeError):  # unreadable activity JSON
            log.debug("malformed Teams activity", exc_info=True)
            return web.json_response({"error": "malformed activity"}, status=400)
        return response or web.Response(status=201)

    app.router.add_post("/api/messages", messages)


def _channel_of(activity: Activity) -> str | None:
    """The Teams channel id ("19:...@thread.tacv2") of a channel message, or the chat's id."""
    data = activity.channel_data or {}
    channel = (data.get("channel") or {}).get("id") if isinstance(data, dict) else None
    conversation = activity.conversation.id if activity.conversation else None
    return channel or (conversation.split(";")[0] if conversation else None)


def _request(activity: Activity, text: str = "", source: str = "teams") -> Request:
    user = activity.from_property.id if activity.from_property else ""
    return Request(platform="teams", user=user or "", text=text, channel=_channel_of(activity), source=source)


class ScoutTeamsBot(ActivityHandler):
    """One job per activity kind: messages (commands or channel chatter), card submits, installs."""

    def __init__(self, scout: Scout, digests: TeamsDigests) -> None:
        self.scout = scout
        self.digests = digests

    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        # Teams resends a message when the bot is slow (~15 s): act on each activity id once.
        if activity.type == ActivityTypes.message and activity.id:
            key = f"teams:{activity.conversation.id if activity.conversation else ''}:{activity.id}"
            if not await asyncio.to_thread(self._first_time, key):
                return
        await asyncio.to_thread(self._remember, activity)
        await super().on_turn(turn_context)

    def _first_time(self, key: str) -> bool:
        """With the store away a flag still goes on (to the spool): the answer is quick, so
        Teams has no reason to resend it."""
        try:
            with self.scout.db.session(wait_ms=STORE_WAIT_MS, fail_fast=True) as session:
                return first_sighting(session, key[:128], self.scout.now())
        except Unavailable:
            log.warning("database unavailable: Teams activity %s handled without its resend check", key)
            return True

    def _remember(self, activity: Activity) -> None:
        """Keep where Scout can speak first: the account channel, or the person's chat."""
        reference = TurnContext.get_conversation_reference(activity)
        conversation = activity.conversation
        if conversation is None:
            return
        if conversation.conversation_type == "personal" and activity.from_property:
            key = f"user:{activity.from_property.id}"
        else:
            key = f"channel:{_channel_of(activity)}"
            reference.conversation.id = _channel_of(activity)  # new posts, not replies in one thread
        reference.activity_id = None
        try:
            with self.scout.db.session(wait_ms=STORE_WAIT_MS, fail_fast=True) as session:
                remember(session, key, reference.serialize(), self.scout.now())
        except Unavailable:  # kept the next time this conversation speaks
            log.warning("database unavailable: conversation reference %s not refreshed", key)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if isinstance(activity.value, dict) and activity.value.get("scout"):
            await self._on_submit(turn_context)
            return
        text = (TurnContext.remove_recipient_mention(activity) or activity.text or "").strip()
        first = text.split(maxsplit=1)[0].lstrip("/").casefold() if text else ""
        mentioned = _mentions_bot(activity)
        personal = (activity.conversation.conversation_type if activity.conversation else None) == "personal"
        if first in COMMAND_WORDS or personal or (mentioned and not text):
            reply = await asyncio.to_thread(run_command, self.scout, _request(activity, text), text)
            await _send(turn_context, reply)
            return
        if mentioned:
            reply = await asyncio.to_thread(run_command, self.scout, _request(activity, text), "help")
            await _send(turn_context, reply)
            return
        await self._on_channel_message(turn_context, text)

    async def _on_channel_message(self, turn_context: TurnContext, text: str) -> None:
        """Monitoring: `auto` captures and answers in the thread; `suggest` offers privately in the
        author's chat with Scout, or stays silent when Scout cannot reach them privately."""
        activity = turn_context.activity
        request = Request(platform="teams", user=activity.from_property.id, text=text,
                          channel=_channel_of(activity), source="channel", message_ts=activity.id)
        reply = await asyncio.to_thread(channel_message, self.scout, request)
        if reply.meta.get("silent"):
            return
        if reply.meta.get("monitoring") == "auto":
            await _send(turn_context, reply)
            return
        card = render_card(reply)
        _attach_remark(card, text, request.channel or "")
        await self.digests.to_person_async(activity.from_property.id, card)

    async def _on_submit(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        action, lead_id, inputs = submitted(activity.value)
        request = _request(activity)
        handler = self._submit_handlers().get(action)
        if handler is None:
            return
        outcome = await handler(request, lead_id, inputs, turn_context)
        if outcome is None:
            return
        reply, extra = outcome
        if reply.kind in ("refused", "error"):
            await _send(turn_context, reply)
            return
        card = render_card(reply, extra)
        if activity.reply_to_id:
            updated = Activity(type=ActivityTypes.message, id=activity.reply_to_id,
                               attachments=[card_attachment(card)])
            if not await self.digests.update_clicked(turn_context, updated, reply, extra):
                await with_retries(turn_context, lambda: turn_context.update_activity(updated))
        else:
            await _send(turn_context, reply, extra)
        await self.digests.update_copies(reply, skip=activity.reply_to_id)

    def _submit_handlers(self) -> dict[str, Callable[..., Awaitable[tuple[Reply, list[dict]] | None]]]:
        scout = self.scout

        async def run(fn: Callable[..., Reply], *args: Any) -> Reply:
            return await asyncio.to_thread(fn, scout, *args)

        async def drop(request, lead_id, inputs, _):  # noqa: ANN001, ANN202
            reply = await run(decide.drop, request, lead_id, "No reason given yet")
            return reply, drop_reason_inputs(int(lead_id)) if reply.kind == "ok" else []

        async def reason(request, lead_id, inputs, _):  # noqa: ANN001, ANN202
            return await run(decide.explain_drop, request, lead_id, str(inputs.get("reason") or "")), []

        async def qualify(request, lead_id, inputs, turn_context):  # noqa: ANN001, ANN202
            current = await asyncio.to_thread(_ratings, scout, request, lead_id)
            if isinstance(current, Reply):
                return current, []
            form = qualify_form(int(lead_id), current)
            await _send_card(turn_context, form)
            return None

        async def save(request, lead_id, inputs, _):  # noqa: ANN001, ANN202
            value = None
            if str(inputs.get("value") or "").strip():
                try:
                    value = parse_money(str(inputs["value"]))
                except Answer as answer:
                    return answer.reply, []
            ratings = {d: str(inputs[d]) for d in decide.DIMENSIONS if inputs.get(d)}
            return await run(decide.qualify, request, lead_id, ratings, value, inputs.get("stage") or None), []

        async def flag_message(request, lead_id, inputs, _):  # noqa: ANN001, ANN202
            remark = str(inputs.get("remark") or "")
            asked = Request(platform="teams", user=request.user, text=remark, source="teams",
                            channel=str(inputs.get("channel") or "") or None,
                            message_ts=lead_id or None)  # the offer's "lead" is the message's id
            return await run(flag_suggested, asked), []

        handlers = {"drop": drop, "dropreason": reason, "qualify": qualify, "qualify_save": save,
                    "flag_message": flag_message}
        for name, fn in {"snooze": decide.snooze, "undo": decide.undo, "revive": decide.revive}.items():
            handlers[name] = _bind(run, fn)

        async def not_a_lead(request, lead_id, inputs, turn_context):  # noqa: ANN001, ANN202
            if turn_context.activity.reply_to_id:
                await turn_context.delete_activity(turn_context.activity.reply_to_id)
            return None

        handlers["not_a_lead"] = not_a_lead
        return handlers

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Installed in a team or a chat: the reference is already kept (on_turn); say hello once."""
        activity = turn_context.activity
        added = [m for m in activity.members_added or [] if m.id == (activity.recipient or ChannelAccount()).id]
        if added:
            reply = await asyncio.to_thread(run_command, self.scout, _request(activity), "help")
            await _send(turn_context, reply)

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        return  # the reference was kept in on_turn

    async def on_message_update_activity(self, turn_context: TurnContext) -> None:
        """A channel message was edited: a remark captured from it follows (nothing else is kept)."""
        activity = turn_context.activity
        text = (TurnContext.remove_recipient_mention(activity) or activity.text or "").strip()
        await asyncio.to_thread(message_edited, self.scout, _channel_of(activity), activity.id, text)

    async def on_message_delete_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await asyncio.to_thread(message_deleted, self.scout, _channel_of(activity), activity.id)


def _bind(run: Callable[..., Awaitable[Reply]], fn: Callable[..., Reply]):  # noqa: ANN202
    async def handler(request, lead_id, inputs, _):  # noqa: ANN001, ANN202
        return await run(fn, request, lead_id), []
    return handler


def _mentions_bot(activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    return any(
        e.type == "mention" and (getattr(e, "additional_properties", {}) or {}).get("mentioned", {}).get("id") == bot_id
        for e in activity.entities or []
    ) or "<at>" in (activity.text or "")


def _attach_remark(card: dict, remark: str, channel: str) -> None:
    """"Flag it" in Teams carries the remark itself: a bot cannot read channel history back."""
    for action in _submit_actions(card):
        if action.get("data", {}).get("scout") == "flag_message":
            action["data"].update({"remark": remark, "channel": channel})


def _submit_actions(node: Any) -> list[dict]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.Submit" else []
        return found + [a for value in node.values() for a in _submit_actions(value)]
    if isinstance(node, list):
        return [a for value in node for a in _submit_actions(value)]
    return []


def _ratings(scout: Scout, request: Request, lead_id: str) -> dict[str, Any] | Reply:
    try:
        person = require_person(scout, request)
        with scout.db.session() as session:
            lead = require_lead(scout, session, person, lead_id)
            return {dim: getattr(lead, dim) for dim in decide.DIMENSIONS} | {"stage": lead.stage}
    except Answer as answer:
        return answer.reply


async def _send(turn_context: TurnContext, reply: Reply, extra: list[dict] | None = None) -> None:
    await _send_card(turn_context, render_card(reply, extra))


async def _send_card(turn_context: TurnContext, card: dict) -> None:
    message = MessageFactory.attachment(card_attachment(card))
    await with_retries(turn_context, lambda: turn_context.send_activity(message))

