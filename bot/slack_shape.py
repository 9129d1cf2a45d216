"""The shape of what Slack sends, checked before any listener runs: a signed request whose body
is not what Slack sends (a list, an event that is not an object, a user id that is a number)
gets a 400, never a 500 from deep inside Bolt or a listener. Only the fields Scout reads are
checked; anything else Slack adds passes through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

_EVENT_TEXTS = ("type", "subtype", "user", "text", "channel", "ts", "deleted_ts", "bot_id", "tab", "channel_type")
_MESSAGE_TEXTS = ("user", "text", "ts", "bot_id", "subtype")
_PAYLOAD_OBJECTS = ("user", "channel", "container", "message", "team", "view")
_PAYLOAD_TEXTS = ("type", "trigger_id", "response_url", "callback_id", "message_ts")
_ACTION_TEXTS = ("action_id", "block_id", "value", "type")
_VIEW_TEXTS = ("callback_id", "private_metadata", "id", "type")


def _texts(node: dict[str, Any], keys: tuple[str, ...], where: str) -> str | None:
    for key in keys:
        if node.get(key) is not None and not isinstance(node[key], str):
            return f"{where}{key} is not a string"
    return None


def _object(node: Any, where: str) -> str | None:
    return None if isinstance(node, dict) else f"{where} is not an object"


def _event_problem(event: Any) -> str | None:
    problem = _object(event, "event") or _texts(event, _EVENT_TEXTS, "event.")
    if problem:
        return problem
    for key in ("message", "previous_message"):
        if key in event:
            problem = _object(event[key], f"event.{key}") or _texts(event[key], _MESSAGE_TEXTS, f"event.{key}.")
            if problem:
                return problem
    return None


def _payload_problem(body: dict[str, Any]) -> str | None:
    for key in _PAYLOAD_OBJECTS:
        if key in body and _object(body[key], key):
            return f"{key} is not an object"
    problem = _texts(body, _PAYLOAD_TEXTS, "")
    if problem:
        return problem
    if "user" in body and not isinstance(body["user"].get("id"), str):
        return "user.id is not a string"
    actions = body.get("actions", [])
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        return "actions is not a list of objects"
    for action in actions:
        problem = _texts(action, _ACTION_TEXTS, "actions[].")
        if problem:
            return problem
        option = action.get("selected_option")
        if option is not None and (not isinstance(option, dict) or _texts(option, ("value",), "")):
            return "actions[].selected_option is not an option"
    view = body.get("view")
    if view is not None:
        # Bolt itself reads view.type of every view payload before any middleware can look.
        problem = _texts(view, _VIEW_TEXTS, "view.") or (None if isinstance(view.get("type"), str)
                                                       else "view.type is missing")
        state = view.get("state", {})
        values = state.get("values", {}) if isinstance(state, dict) else None
        if problem or not isinstance(values, dict):
            return problem or "view.state is not an object"
        for block in values.values():
            if not isinstance(block, dict) or not all(isinstance(e, dict) for e in block.values()):
                return "view.state.values is not objects"
    return None


def problem(body: Any) -> str | None:
    """What is wrong with a parsed Slack request body, or None when Scout can read it."""
    if not isinstance(body, dict):
        return "the body is not an object"
    if body.get("type") == "event_callback" and "event" in body:
        return _event_problem(body["event"])
    if "payload" in body or "actions" in body or "view" in body or "user" in body:
        return _payload_problem(body)
    return _texts(body, ("command", "text", "user_id", "channel_id", "response_url", "trigger_id"), "")


class RefuseMalformed(AsyncMiddleware):
    """Bolt's `before_authorize` middleware: it runs right after the signature check and before
    Bolt's own middleware reads the body. A class, not a function, because Bolt builds a
    function middleware's arguments from the body, which is what may be broken."""

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
        if problem(req.body):
            return BoltResponse(status=400, body="malformed request")
        return await next()
