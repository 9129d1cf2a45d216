"""Exactly-once guards for platform events: the first to record an id gets to act on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete

from store.tables import SeenEvent


def first_sighting(session: Session, event_id: str, now: datetime) -> bool:
    """Record the id; False when it was already recorded (a retry or a resend)."""
    try:
        with session.begin_nested():
            session.add(SeenEvent(id=event_id[:128], at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def forget_sightings(session: Session, before: datetime) -> int:
    """Ids seen before `before` go: retries and resends come within minutes, and a table of every
    message event ever seen would be a record of the channel stream (when people talk)."""
    result = session.exec(delete(SeenEvent).where(col(SeenEvent.at) < before))  # type: ignore[call-overload]
    return result.rowcount or 0
