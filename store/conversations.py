"""Conversation references for proactive Teams messages, kept as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from store.tables import ConversationRef


def remember(session: Session, key: str, reference: dict[str, Any], now: datetime) -> None:
    row = session.get(ConversationRef, key)
    if row is None:
        session.add(ConversationRef(key=key, reference=reference, updated_at=now))
    elif row.reference != reference:
        row.reference, row.updated_at = reference, now
        session.add(row)


def recall(session: Session, key: str) -> dict[str, Any] | None:
    row = session.get(ConversationRef, key)
    return dict(row.reference) if row else None
