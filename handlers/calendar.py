"""When digests fall. A digest belongs to a period (an ISO week, a month) and is due at one
local time in it; the next weekly digest is also when a snoozed lead wakes up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.config import MonthlyDigest, WeeklyDigest

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass(frozen=True)
class Occurrence:
    """One scheduled digest: the period it covers (its claim key) and when it falls, in UTC."""

    period: str
    due: datetime


def next_weekly(now: datetime, weekly: WeeklyDigest, timezone: str) -> datetime:
    """The first weekly digest time strictly after `now`, in the account's timezone, as UTC."""
    return last_weekly(now, weekly, timezone).due + timedelta(days=7)


def last_weekly(now: datetime, weekly: WeeklyDigest, timezone: str) -> Occurrence:
    """The latest weekly digest at or before `now`, in the account's timezone."""
    local = now.astimezone(ZoneInfo(timezone))
    days_back = (local.weekday() - WEEKDAYS.index(weekly.day)) % 7
    due = datetime.combine(local.date() - timedelta(days=days_back), weekly.time, local.tzinfo)
    if due > local:
        due -= timedelta(days=7)
    year, week, _ = due.date().isocalendar()
    return Occurrence(period=f"{year}-W{week:02d}", due=due.astimezone(UTC))


def last_monthly(now: datetime, monthly: MonthlyDigest) -> Occurrence:
    """The latest monthly report at or before `now`, in the firm's timezone."""
    zone = ZoneInfo(monthly.timezone)
    local = now.astimezone(zone)
    month = date(local.year, local.month, 1)
    due = datetime.combine(_report_day(month, monthly), monthly.time, zone)
    if due > local:
        month = (month - timedelta(days=1)).replace(day=1)
        due = datetime.combine(_report_day(month, monthly), monthly.time, zone)
    return Occurrence(period=f"{month:%Y-%m}", due=due.astimezone(UTC))


def month_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """The month a monthly report looks back on: the one before its period, as UTC bounds."""
    first = datetime.strptime(period, "%Y-%m").replace(tzinfo=ZoneInfo(timezone))
    start = (first - timedelta(days=1)).replace(day=1)
    return start.astimezone(UTC), first.astimezone(UTC)


def _report_day(month: date, monthly: MonthlyDigest) -> date:
    if monthly.day != "first_working_day":
        return month.replace(day=int(monthly.day))
    day = month
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day
