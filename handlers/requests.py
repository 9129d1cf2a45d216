"""Neutral requests: who asks, where, and what they typed, whatever the platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["slack", "teams", "console"]


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
