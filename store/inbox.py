"""The inbox: platform events persisted before they are acknowledged, so a crash between the
ack and the work loses nothing. The row is written in the same transaction as the event's
first sighting (store/events.py), so a retry of the same event is neither stored nor acted
on twice; processing deletes the row, and a sweep takes on rows whose process went away."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, delete, select

from store.events import first_sighting
from store.tables import InboxEvent

MAX_ATTEMPTS = 5


def receive(session: Session, key: str, platform: str, payload: dict[str, Any], now: datetime,
            dedupe: bool = True) -> bool:
    """Record a new event for processing; False when it was already seen (a retry). Without
    `dedupe` (a slash command, which Slack never resends) no sighting is recorded."""
    if dedupe and not first_sighting(session, key, now):
        return False
    session.add(InboxEvent(key=key[:160], platform=platform, payload=payload, received_at=now, claimed_at=now))
    session.flush()
    return True


def finish(session: Session, key: str) -> None:
    """Processing is over: the row (and the message text in it) goes."""
    session.exec(delete(InboxEvent).where(col(InboxEvent.key) == key[:160]))  # type: ignore[call-overload]


def claim_stale(session: Session, platform: str, now: datetime, stale: timedelta) -> list[InboxEvent]:
    """Take on rows no process has touched for `stale`: their process crashed or gave up.
    Each row is claimed with a conditional update, so two sweeps never both take one."""
    cutoff = now - stale
    rows = session.exec(
        select(InboxEvent)
        .where(InboxEvent.platform == platform, col(InboxEvent.claimed_at) < cutoff)
        .order_by(col(InboxEvent.received_at))
        .limit(100)
    ).all()
    taken = []
    for row in rows:
        result = session.execute(
            update(InboxEvent)
            .where(col(InboxEvent.key) == row.key, col(InboxEvent.claimed_at) == row.claimed_at)
            .values(claimed_at=now, attempts=InboxEvent.attempts + 1)
        )
        if result.rowcount == 1:
            session.refresh(row)
            taken.append(row)
    return taken
