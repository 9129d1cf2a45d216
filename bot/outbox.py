"""Draining the outbox: send each queued message, record the platform's id of what was sent,
retry what failed for a transient reason with backoff, and give up (logged) on the rest.

Delivery is at least once: on PostgreSQL the row stays locked (FOR UPDATE SKIP LOCKED) while
it is sent, so two instances never send the same row, and the only duplicate window is between
a successful send and its commit. SQLite serves a single instance: one drain at a time in the
process, with no transaction open during the send."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from store.db import Database
from store.digests import mark_failed, mark_sent, take_due
from store.tables import Outbox

log = logging.getLogger("scout.outbox")
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
_ONE_DRAIN = threading.Lock()


@dataclass(frozen=True)
class Sent:
    ref: str | None  # Slack's message ts, Teams' activity id
    channel: str | None = None  # where it landed (a DM's channel id)


class PermanentError(Exception):
    """A send that will never succeed as it is (no such channel, bot not invited, bad auth)."""


Sender = Callable[[str, dict[str, Any]], Sent]  # (destination, payload) -> what was sent


@dataclass(frozen=True)
class _Outcome:
    sent: Sent | None = None
    error: str = ""
    permanent: bool = False


DRAIN_BATCH = 500  # messages per drain call, so one call never holds the sender for long


def drain(db: Database, senders: Mapping[str, Sender], clock: Callable[[], datetime],
          limit: int = DRAIN_BATCH) -> tuple[int, int]:
    """Send what is due on the platforms in `senders`. Returns (sent, failed attempts)."""
    sent = failed = 0
    for _ in range(limit):
        outcome = _drain_one(db, senders, clock)
        if outcome is None:
            break
        sent, failed = (sent + 1, failed) if outcome.sent else (sent, failed + 1)
    return sent, failed


def _drain_one(db: Database, senders: Mapping[str, Sender], clock: Callable[[], datetime]) -> _Outcome | None:
    platforms = set(senders)
    if db.backend == "postgresql":
        with db.session() as session:
            row = take_due(session, clock(), platforms)
            if row is None:
                return None
            outcome = _attempt(row, senders[row.platform])
            _settle(session, row, outcome, clock())
            return outcome
    with _ONE_DRAIN:
        with db.session() as session:
            row = take_due(session, clock(), platforms)
        if row is None:
            return None
        outcome = _attempt(row, senders[row.platform])
        with db.session() as session:
            _settle(session, session.get(Outbox, row.id), outcome, clock())
        return outcome


def _attempt(row: Outbox, send: Sender) -> _Outcome:
    try:
        return _Outcome(sent=send(row.destination, row.payload))
    except PermanentError as exc:
        return _Outcome(error=str(exc), permanent=True)
    except Exception as exc:  # any transport failure is worth another try later
        return _Outcome(error=f"{type(exc).__name__}: {exc}")


def _settle(session: Session, row: Outbox | None, outcome: _Outcome, now: datetime) -> None:
    if row is None:
        return
    where = f"{row.kind} {row.cadence} {row.scope} {row.period} to {row.platform} {row.destination}"
    if outcome.sent is not None:
        mark_sent(session, row, outcome.sent.ref, outcome.sent.channel, now)
        log.info("sent %s", where)
        return
    if outcome.permanent or row.attempts + 1 >= MAX_ATTEMPTS:
        mark_failed(session, row, outcome.error, None)
        log.error("gave up on %s after %d attempt(s): %s", where, row.attempts, outcome.error)
        return
    delay = min(FIRST_RETRY * 2**row.attempts, LONGEST_RETRY)
    mark_failed(session, row, outcome.error, now + delay)
    log.warning("will retry %s in %ds: %s", where, delay.total_seconds(), outcome.error)
