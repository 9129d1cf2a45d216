"""The shape of a Bot Framework activity, checked before botbuilder takes it apart: a body that
is not an activity (a list, an unknown `type`, a number where a URL belongs) is a 400, never a
500 from deep inside the adapter. Only the fields Scout and botbuilder read are checked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botbuilder.schema import ActivityTypes

KNOWN_TYPES = frozenset(t.value for t in ActivityTypes)
_TEXTS = ("type", "id", "serviceUrl", "channelId", "text", "replyToId", "name", "locale", "textFormat")
_OBJECTS = ("from", "recipient", "conversation", "channelData")
_LISTS = ("entities", "attachments", "membersAdded", "membersRemoved")


def problem(body: Any) -> str | None:
    """What is wrong with a parsed activity, or None when it can be processed."""
    if not isinstance(body, dict):
        return "the body is not an object"
    if not isinstance(body.get("type"), str) or body["type"] not in KNOWN_TYPES:
        return "unknown activity type"
    for key in _TEXTS:
        if body.get(key) is not None and not isinstance(body[key], str):
            return f"{key} is not a string"
    for key in _OBJECTS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f"{key} is not an object"
    for key in _LISTS:
        value = body.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            return f"{key} is not a list of objects"
    for key in ("from", "recipient", "conversation"):
        node = body.get(key) or {}
        if node.get("id") is not None and not isinstance(node["id"], str):
            return f"{key}.id is not a string"
    # Every activity the channel sends says where to answer, in which conversation, from whom.
    if not body.get("serviceUrl"):
        return "serviceUrl is missing"
    # Replies go to it: a value that is no http(s) URL ("0") fails inside botbuilder's sender.
    url = urlsplit(body["serviceUrl"])
    if url.scheme not in ("http", "https") or not url.netloc:
        return "serviceUrl is not an http(s) URL"
    for key in ("conversation", "from"):
        if not (body.get(key) or {}).get("id"):
            return f"{key}.id is missing"
    return None
