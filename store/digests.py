"""Digest claims and the outbox: how several instances send each digest once.

Each instance ticks on its own clock and claims a due (cadence, scope, period) with an insert
that does nothing on conflict, so exactly one claim wins; the messages it makes go into the
outbox in the same transaction. Senders take pending rows with FOR UPDATE SKIP LOCKED on
PostgreSQL (SQLite has one writer at a time, so the row is simply taken)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from store.tables import DigestClaim, Outbox

ERROR_CHARS = 500


def claim(session: Session, cadence: str, scope: str, period: str, now: datetime, outcome: str = "queued") -> bool:
    """Claim a digest for this instance; False when another run already has it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(DigestClaim).values(
        cadence=cadence, scope=scope, period=period, claimed_at=now, outcome=outcome,
    ).on_conflict_do_nothing().returning(DigestClaim.scope)
    return session.exec(statement).first() is not None  # type: ignore[call-overload]


def is_claimed(session: Session, cadence: str, scope: str, period: str) -> bool:
    return session.get(DigestClaim, (cadence, scope, period)) is not None


def set_outcome(session: Session, cadence: str, scope: str, period: str, outcome: str) -> None:
    row = session.get(DigestClaim, (cadence, scope, period))
    if row is not None:
        row.outcome = outcome
        session.add(row)


def claims(session: Session, cadence: str, period: str) -> dict[str, str]:
    """Scope -> outcome of the claims already made for a period."""
    rows = session.exec(select(DigestClaim).where(DigestClaim.cadence == cadence, DigestClaim.period == period))
    return {row.scope: row.outcome for row in rows}


def previous_claim(session: Session, cadence: str, scope: str, before: str) -> DigestClaim | None:
    """The scope's latest claim of an earlier period: where 'new since the last digest' starts."""
    return session.exec(
        select(DigestClaim)
        .where(DigestClaim.cadence == cadence, DigestClaim.scope == scope, col(DigestClaim.period) < before)
        .order_by(col(DigestClaim.period).desc())
        .limit(1)
    ).first()


def enqueue(
    session: Session, *, cadence: str, scope: str, period: str, platform: str, destination: str,
    kind: str, payload: dict[str, Any], now: datetime,
) -> Outbox:
    row = Outbox(
        cadence=cadence, scope=scope, period=period, platform=platform, destination=destination,
        kind=kind, payload=payload, due_at=now, created_at=now,
    )
    session.add(row)
    return row


def take_due(session: Session, now: datetime, platforms: set[str]) -> Outbox | None:
    """The next pending message due now for one of `platforms`, locked for this sender."""
    statement = (
        select(Outbox)
        .where(Outbox.status == "pending", col(Outbox.due_at) <= now, col(Outbox.platform).in_(platforms))
        .order_by(col(Outbox.due_at), col(Outbox.id))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return session.exec(statement).first()


def mark_sent(session: Session, row: Outbox, ref: str | None, channel: str | None, now: datetime) -> None:
    row.status, row.sent_ref, row.sent_channel, row.sent_at = "sent", ref, channel, now
    row.attempts += 1
    session.add(row)


def mark_failed(session: Session, row: Outbox, error: str, retry_at: datetime | None) -> None:
    """Count a failed attempt: retried at `retry_at`, or given up on when that is None."""
    row.attempts += 1
    row.last_error = error[:ERROR_CHARS]
    if retry_at is None:
        row.status = "failed"
    else:
        row.due_at = retry_at
    session.add(row)


def sent_with_lead(session: Session, platform: str, lead_id: int, since: datetime) -> Iterator[Outbox]:
    """Messages delivered since `since` that show this lead, so they can be updated in place."""
    rows = session.exec(
        select(Outbox).where(Outbox.status == "sent", Outbox.platform == platform, col(Outbox.sent_at) >= since)
    )
    for row in rows:
        if lead_id in (row.payload.get("lead_ids") or []):
            yield row


def save_payload(session: Session, row_id: int, payload: dict[str, Any]) -> None:
    """Keep what a delivered message shows now, so the next in-place update starts from it."""
    row = session.get(Outbox, row_id)
    if row is not None:
        row.payload = payload
        session.add(row)


def pending(session: Session) -> list[Outbox]:
    return list(session.exec(select(Outbox).where(Outbox.status == "pending").order_by(col(Outbox.id))))
