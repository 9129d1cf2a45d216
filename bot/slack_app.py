"""The Slack adapter: Bolt listeners that translate Slack payloads into handler requests and
render the replies as Block Kit. One listener, one job, ack first; handler calls run in a
worker thread so the event loop keeps acknowledging other requests."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import weakref
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import slack_modals as modals
from bot.blockkit import home_view, render_blocks, replace_lead
from bot.settings import SlackSettings
from bot.slack_inbox import InboxSweep, inbox_middleware, processed, release
from bot.slack_shape import RefuseMalformed
from handlers import decide
from handlers.accounts import account_for_channel
from handlers.commands import parse_money
from handlers.context import Scout
from handlers.errors import Answer
from handlers.flag import flag, link_message
from handlers.guards import require_lead, require_person
from handlers.leads import home
from handlers.monitor import channel_message, flag_suggested
from handlers.people import identify, may_see, stranger_text
from handlers.pipeline import pipeline
from handlers.privacy import message_deleted, message_edited
from handlers.replies import Reply, refused
from handlers.requests import Request
from store.digests import save_payload, sent_with_lead

log = logging.getLogger("scout.slack")
AUTO_REACTION = "dart"
COPIES_KEPT_DAYS = 60  # digests older than this are left as they are


def make_client(settings: SlackSettings) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries transient failures."""
    kwargs: dict[str, Any] = {}
    if settings.api_url:
        kwargs["base_url"] = settings.api_url
    return AsyncWebClient(
        token=settings.bot_token,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
        **kwargs,
    )


def _slack(user: str, text: str = "", channel: str | None = None, source: str = "slash", **kw: Any) -> Request:
    return Request(platform="slack", user=user, text=text, channel=channel, source=source, **kw)


# Handler calls at once, per event loop. Handler work is mostly Python holding the GIL: each
# more thread running it slows the event loop that acks every other request. Two let one run
# while the other waits on the database. bench/ack.py at 200 /flag/s on 2 cores: ack p50
# ~1-2 s with the default six threads, 22-30 ms with two (one: ~20 ms, but on PostgreSQL its
# replies fall seconds behind already at 100/s); docs/benchmarks.md has the figures.
HANDLER_SLOTS = 2
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


async def _run(fn: Callable[..., Reply], *args: Any) -> Reply:
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(HANDLER_SLOTS)
    async with slots:
        return await asyncio.to_thread(fn, *args)


class _TokenInTheClient(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when it is handed a client, then
    warns at every start that the token goes unused; Scout's client carries that same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.AsyncApp").addFilter(_TokenInTheClient())


def build_slack_app(scout: Scout, settings: SlackSettings, client: AsyncWebClient | None = None) -> AsyncApp:
    app = AsyncApp(  # the client carries the token (and SLACK_API_URL, and the retry handlers)
        signing_secret=settings.signing_secret,
        client=client or make_client(settings),
        name="scout",
        before_authorize=RefuseMalformed(),  # right after the signature check: a 400, never a 500
    )
    _register_commands(app, scout)
    _register_monitoring(app, scout)
    _register_lead_buttons(app, scout)
    _register_modals(app, scout)
    _register_home(app, scout)
    return app


def _register_commands(app: AsyncApp, scout: Scout) -> None:
    # Bolt fills listener arguments by name, so each listener closes over its handler.
    def command_listener(handler: Callable[[Scout, Request], Reply]):  # noqa: ANN202
        async def listener(ack, command, respond, context) -> None:  # noqa: ANN001
            await ack()
            reply = await _command(scout, handler, command)
            await release(scout, context)  # a /flag is in the inbox until its remark is stored
            await _respond_retrying(command.get("response_url"), respond, response_type="ephemeral",
                                    **render_blocks(reply))

        return listener

    app.command("/flag")(command_listener(flag))
    app.command("/pipeline")(command_listener(pipeline))


async def _command(scout: Scout, handler: Callable[[Scout, Request], Reply], command: dict[str, Any]) -> Reply:
    request = _slack(command["user_id"], command.get("text", ""), command.get("channel_id"))
    return await _run(handler, scout, request)


async def _respond_retrying(response_url: str | None, respond, **message: Any) -> None:  # noqa: ANN001
    """Answer on the response_url, retrying Slack's 5xx, 429s and dropped connections with
    backoff (0.5 s doubling); what the command stored stays stored if the answer never lands."""
    if not response_url:
        if respond is not None:
            await respond(**message)
        return
    webhook = AsyncWebhookClient(response_url, retry_handlers=[
        AsyncConnectionErrorRetryHandler(max_retry_count=3),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=3),
    ])
    answer = await webhook.send(**message)
    if answer.status_code != 200:
        log.warning("Slack did not take a command's reply (HTTP %s); its effects are kept", answer.status_code)


def _register_monitoring(app: AsyncApp, scout: Scout) -> None:
    app.middleware(inbox_middleware(scout))  # persisted before the ack, processed once

    @app.event({"type": "message", "subtype": "message_changed"})
    async def edited(event, context) -> None:  # noqa: ANN001
        """A flagged message was edited: the stored remark follows (nothing else is kept)."""
        await processed(scout, context, _edited(scout, event))

    @app.event({"type": "message", "subtype": "message_deleted"})
    async def deleted(event, context) -> None:  # noqa: ANN001
        await processed(scout, context, _deleted(scout, event))

    @app.event("message")
    async def listen(event, client, context) -> None:  # noqa: ANN001
        await processed(scout, context, _listen(scout, client, event))

    @app.event({"type": "message", "subtype": re.compile(".*")})
    async def ignore_other_messages() -> None:
        """Joins, bot posts and other subtypes are not remarks."""


async def _edited(scout: Scout, event: dict[str, Any]) -> None:
    message = event.get("message") or {}
    await asyncio.to_thread(message_edited, scout, event.get("channel"), message.get("ts"),
                            message.get("text") or "")


async def _deleted(scout: Scout, event: dict[str, Any]) -> None:
    await asyncio.to_thread(message_deleted, scout, event.get("channel"), event.get("deleted_ts"))


async def _listen(scout: Scout, client: AsyncWebClient, event: dict[str, Any]) -> None:
    """A message in a channel: offer to flag it, capture it, or stay silent, by the account's
    monitoring mode. Retries never get here (the inbox middleware acks and drops them)."""
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return
    request = _slack(event["user"], event.get("text", ""), event.get("channel"), "channel",
                     message_ts=event.get("ts"))
    reply = await _run(channel_message, scout, request)
    if reply.meta.get("silent"):
        return
    if reply.meta.get("monitoring") == "auto" and reply.lead_id:
        await client.reactions_add(channel=event["channel"], timestamp=event["ts"], name=AUTO_REACTION)
        link = await client.chat_getPermalink(channel=event["channel"], message_ts=event["ts"])
        await asyncio.to_thread(link_message, scout, reply.lead_id, link.get("permalink") or "")
    await client.chat_postEphemeral(channel=event["channel"], user=event["user"], **render_blocks(reply))


def inbox_sweep(scout: Scout, app: AsyncApp) -> InboxSweep:
    """For `scout serve`: process the message events a crashed process left in the inbox."""

    async def process(body: dict[str, Any]) -> None:
        if body.get("command") == "/flag":  # answered on its response_url, valid for 30 minutes
            reply = await _command(scout, flag, body)
            await _respond_retrying(body.get("response_url"), None, response_type="ephemeral",
                                    **render_blocks(reply))
            return
        event = body.get("event") or {}
        subtype = event.get("subtype")
        if subtype == "message_changed":
            await _edited(scout, event)
        elif subtype == "message_deleted":
            await _deleted(scout, event)
        else:
            await _listen(scout, app.client, event)

    return InboxSweep(scout, process)


def _lead_of(action_id: str) -> str:
    return action_id.rsplit("_", 1)[-1]


def _register_lead_buttons(app: AsyncApp, scout: Scout) -> None:
    simple: dict[str, Callable[[Scout, Request, str], Reply]] = {
        "drop": lambda s, r, lead: decide.drop(s, r, lead, "No reason given yet"),
        "snooze": lambda s, r, lead: decide.snooze(s, r, lead),
        "undo": lambda s, r, lead: decide.undo(s, r, lead),
        "revive": lambda s, r, lead: decide.revive(s, r, lead),
    }
    def button(name: str, handler: Callable[[Scout, Request, str], Reply]):  # noqa: ANN202
        async def listener(ack, body, action, respond, client) -> None:  # noqa: ANN001
            await ack()
            request = _slack(body["user"]["id"], channel=(body.get("channel") or {}).get("id"))
            lead_id = _lead_of(action["action_id"])
            reply = await _run(handler, scout, request, lead_id)
            picker = modals.drop_reason_picker(int(lead_id)) if name == "drop" else None
            await _show_everywhere(scout, client, respond, body, reply, picker)

        return listener

    for name, handler in simple.items():
        app.action(re.compile(rf"^scout_{name}_\d+$"))(button(name, handler))

    @app.action(re.compile(r"^scout_dropreason_\d+$"))
    async def drop_reason(ack, body, action, respond, client) -> None:  # noqa: ANN001
        await ack()
        reason = (action.get("selected_option") or {}).get("value", "")
        lead_id = _lead_of(action["action_id"])
        reply = await _run(decide.explain_drop, scout, _slack(body["user"]["id"]), lead_id, reason)
        await _show_everywhere(scout, client, respond, body, reply)

    def modal_opener(make_view: Callable[[int, dict[str, Any], dict[str, Any]], dict[str, Any]]):  # noqa: ANN202
        """A button that opens a modal about its lead, for people who may act on it."""

        async def open_modal(ack, body, action, client, respond) -> None:  # noqa: ANN001
            await ack()
            lead_id = _lead_of(action["action_id"])
            current = await asyncio.to_thread(_ratings, scout, body["user"]["id"], lead_id)
            if isinstance(current, Reply):
                await respond(response_type="ephemeral", replace_original=False, **render_blocks(current))
                return
            container = body.get("container") or {}
            origin = {"response_url": body.get("response_url"), "home": _from_home(body),
                      "channel": container.get("channel_id"), "ts": container.get("message_ts"),
                      "ephemeral": bool(container.get("is_ephemeral"))}
            view = make_view(int(lead_id), current, origin)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        return open_modal

    app.action(re.compile(r"^scout_qualify_\d+$"))(modal_opener(modals.qualify_modal))
    app.action(re.compile(r"^scout_fix_services_\d+$"))(modal_opener(
        lambda lead_id, current, meta: modals.services_modal(scout.config, lead_id, current["services"], meta)
    ))

    @app.action(re.compile(r"^scout_flag_message_"))
    async def flag_it(ack, body, action, client, respond) -> None:  # noqa: ANN001
        await ack()
        channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get("id")
        ts = action.get("value", "")
        text, permalink = await _message_text(client, channel, ts)
        request = _slack(body["user"]["id"], text, channel, "channel", message_ts=ts, permalink=permalink)
        reply = await _run(flag_suggested, scout, request)
        await _show_outcome(respond, reply)

    @app.action(re.compile(r"^scout_not_a_lead_"))
    async def not_a_lead(ack, respond) -> None:  # noqa: ANN001
        await ack()
        await respond(delete_original=True)


def _ratings(scout: Scout, user: str, lead_id: str) -> dict[str, Any] | Reply:
    """The lead's current qualification, or the refusal the person gets instead."""
    request = _slack(user)
    try:
        person = require_person(scout, request)
        with scout.db.session() as session:
            lead = require_lead(scout, session, person, lead_id)
            return {**{dim: getattr(lead, dim) for dim in decide.DIMENSIONS}, "services": list(lead.services)}
    except Answer as answer:
        return answer.reply


async def _message_text(client: AsyncWebClient, channel: str, ts: str) -> tuple[str, str | None]:
    history = await client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
    messages = history.get("messages") or []
    text = messages[0].get("text", "") if messages and messages[0].get("ts") == ts else ""
    link = await client.chat_getPermalink(channel=channel, message_ts=ts)
    return text, link.get("permalink")


async def _show_outcome(respond, reply: Reply, extra: dict[str, Any] | None = None) -> None:  # noqa: ANN001
    """Replace the message that carried the buttons, so no stale buttons stay; a refusal goes
    to the clicker alone and leaves the message as it was."""
    rendered = render_blocks(reply)
    if reply.kind in ("refused", "error"):
        await respond(response_type="ephemeral", replace_original=False, **rendered)
        return
    if extra is not None:
        rendered["blocks"] = [*rendered["blocks"][:48], {"type": "actions", "elements": [extra]}]
    await respond(replace_original=True, **rendered)


def _register_modals(app: AsyncApp, scout: Scout) -> None:
    @app.shortcut("flag_as_lead")
    async def open_flag(ack, body, client) -> None:  # noqa: ANN001
        await ack()
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        user = body["user"]["id"]
        person = identify(scout.config, _slack(user))
        if person is None:  # a stranger sees no account list and no guess, only the refusal
            await client.chat_postEphemeral(channel=channel or user, user=user,
                                            **render_blocks(refused(stranger_text())))
            return
        account = account_for_channel(scout.config, channel)
        tags = await asyncio.to_thread(scout.tagger.tag, message.get("text", ""), account, True)
        guess = ", ".join(scout.config.service_name(s) for s in tags.service_ids)
        guess = f"Scout's guess: {guess}" if guess else ""
        metadata = {"channel": channel, "ts": message.get("ts")}
        account_id = account.id if account else None
        listed = [a for a in scout.config.accounts if not a.private or may_see(person, a)]
        view = modals.flag_modal(scout.config, message.get("text", ""), account_id, guess, metadata, listed)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(modals.FLAG_CALLBACK)
    async def submit_flag(ack, body, view, client) -> None:  # noqa: ANN001
        values = modals.submitted(view)
        remark = (values.get("remark") or "").strip()
        if not remark:
            await ack(response_action="errors", errors={"remark": "Write what you heard."})
            return
        await ack()
        meta = _metadata(view)
        permalink = None
        if meta.get("channel") and meta.get("ts"):
            link = await client.chat_getPermalink(channel=meta["channel"], message_ts=meta["ts"])
            permalink = link.get("permalink")
        user = body["user"]["id"]
        request = _slack(user, f"{values.get('account')} {remark}", meta.get("channel"), "shortcut",
                         message_ts=meta.get("ts"), permalink=permalink)
        reply = await _run(flag, scout, request)
        await client.chat_postEphemeral(channel=meta.get("channel") or user, user=user, **render_blocks(reply))

    @app.view(modals.QUALIFY_CALLBACK)
    async def submit_qualify(ack, body, view, client) -> None:  # noqa: ANN001
        values = modals.submitted(view)
        value = None
        if values.get("value"):
            try:
                value = parse_money(values["value"])
            except Answer:
                await ack(response_action="errors", errors={"value": "Write an amount like 120000, 120k or $1.2m."})
                return
        await ack()
        meta = _metadata(view)
        ratings = {dim: values.get(dim) for dim in decide.DIMENSIONS if values.get(dim)}
        reply = await _run(decide.qualify, scout, _slack(body["user"]["id"]), meta.get("lead_id"), ratings,
                           value, values.get("stage"))
        await _after_modal(scout, client, body, meta, reply)

    @app.view(modals.SERVICES_CALLBACK)
    async def submit_services(ack, body, view, client) -> None:  # noqa: ANN001
        await ack()
        meta = _metadata(view)
        services = modals.submitted(view).get("services") or []
        reply = await _run(decide.set_services, scout, _slack(body["user"]["id"]), meta.get("lead_id"), services)
        await _after_modal(scout, client, body, meta, reply)


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def _after_modal(scout: Scout, client: AsyncWebClient, body: dict[str, Any], meta: dict[str, Any],
                       reply: Reply) -> None:
    """Update the message the modal was opened from; refusals go to the person alone."""
    rendered = render_blocks(reply)
    if reply.kind in ("refused", "error"):
        await client.chat_postMessage(channel=body["user"]["id"], **rendered)
        return
    if meta.get("home"):
        await _refresh_home(scout, client, body["user"]["id"], reply)
    elif (meta.get("ephemeral") or not meta.get("ts")) and meta.get("response_url"):
        await AsyncWebhookClient(meta["response_url"]).send(replace_original=True, **rendered)
    await _update_copies(scout, client, reply, skip=None)


async def _show_everywhere(scout: Scout, client: AsyncWebClient, respond, body: dict[str, Any],  # noqa: ANN001
                           reply: Reply, picker: dict[str, Any] | None = None) -> None:
    """Show an action's outcome where it was taken: in the App Home, in place of the lead in a
    many-lead message, or in place of a one-lead reply; then on every other copy of the lead."""
    if _from_home(body):
        await _refresh_home(scout, client, body["user"]["id"], reply)
    elif reply.kind in ("refused", "error"):
        await respond(response_type="ephemeral", replace_original=False, **render_blocks(reply))
        return
    else:
        message = body.get("message") or {}
        blocks = replace_lead(message.get("blocks") or [], reply, picker) if message else None
        if blocks is None:
            await _show_outcome(respond, reply, picker)
        else:
            await respond(replace_original=True, text=message.get("text") or render_blocks(reply)["text"],
                          blocks=blocks)
    container = body.get("container") or {}
    await _update_copies(scout, client, reply, skip=(container.get("channel_id"), container.get("message_ts")))


async def _update_copies(scout: Scout, client: AsyncWebClient, reply: Reply, skip: tuple | None) -> None:
    """Digests went to a channel and to the lead's DMs: after an action on a lead, every
    delivered copy shows its new state, so no channel keeps stale buttons."""
    if reply.kind in ("refused", "error") or not reply.all_items:
        return
    for row_id, channel, ts, payload in await asyncio.to_thread(_copies, scout, reply.all_items[0].id):
        blocks = replace_lead(payload.get("blocks") or [], reply)
        if blocks is None:
            continue
        if (channel, ts) != skip:
            try:
                await client.chat_update(channel=channel, ts=ts, text=payload.get("text") or "", blocks=blocks)
            except SlackApiError as exc:
                log.warning("could not update a digest copy in %s: %s", channel, exc.response.get("error"))
                continue
        await asyncio.to_thread(_save_copy, scout, row_id, {**payload, "blocks": blocks})


def _copies(scout: Scout, lead_id: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    since = scout.now() - timedelta(days=COPIES_KEPT_DAYS)
    with scout.db.session() as session:
        return [(row.id, row.sent_channel, row.sent_ref, row.payload)
                for row in sent_with_lead(session, "slack", lead_id, since) if row.sent_channel and row.sent_ref]


def _save_copy(scout: Scout, row_id: int, payload: dict[str, Any]) -> None:
    with scout.db.session() as session:
        save_payload(session, row_id, payload)


def _register_home(app: AsyncApp, scout: Scout) -> None:
    @app.event("app_home_opened")
    async def publish_home(event, client) -> None:  # noqa: ANN001
        if event.get("tab") not in (None, "home"):
            return
        await _refresh_home(scout, client, event["user"])


def _from_home(body: dict[str, Any]) -> bool:
    return (body.get("container") or {}).get("type") == "view" or (body.get("view") or {}).get("type") == "home"


async def _refresh_home(scout: Scout, client: AsyncWebClient, user: str, outcome: Reply | None = None) -> None:
    """Publish the App Home afresh; an action taken there shows its outcome on top."""
    view = home_view(await _run(home, scout, _slack(user)), outcome)
    await client.views_publish(user_id=user, view=view)

