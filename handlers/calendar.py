"""When digests fall: the next weekly digest is also when a snoozed lead wakes up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.config import WeeklyDigest

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def next_weekly(now: datetime, weekly: WeeklyDigest, timezone: str) -> datetime:
    """The first weekly digest time strictly after `now`, in the account's timezone, as UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    days_ahead = (WEEKDAYS.index(weekly.day) - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days_ahead), weekly.time, local.tzinfo)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate.astimezone(UTC)
