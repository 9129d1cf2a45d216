"""Neutral requests: who asks, where, and what they typed, whatever the platform."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Platform = Literal["slack", "teams", "console"]
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """What people type, storable on every backend: PostgreSQL text refuses NUL, and a lone
    surrogate (valid in JSON, not in UTF-8) cannot be encoded; NUL goes, a lone surrogate
    becomes U+FFFD. Everything else, control characters and markup included, is kept."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


@dataclass(frozen=True)
class Request:
    """`user` is the platform's user id (a person id on the console); `channel` is the
    platform channel id, which may imply the account."""

    platform: Platform
    user: str
    text: str = ""
    channel: str | None = None
    source: str = "console"
    permalink: str | None = None
    message_ts: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clean_text(self.text))
