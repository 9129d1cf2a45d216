"""Engine and sessions: SQLite by default (WAL, busy timeout), PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

DEFAULT_URL = "sqlite:///scout.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
# libpq's floor is 2 s: a PostgreSQL that does not answer fails fast enough for the /flag
# path to spool the remark and still answer inside Slack's 3 s.
PG_CONNECT_TIMEOUT_S = 2

# After a bounded session found the store away, fail-fast ones fail at once for this long
# instead of each waiting out its bound again (a /flag after its inbox row, a burst of flags).
FAIL_FAST_S = 5.0


class StoreAway(Exception):
    """A bounded session refused without trying: one just like it failed moments ago."""


# What "the store cannot take this now" looks like, whatever the backend: PostgreSQL down or
# unreachable, SQLite locked by another writer past the wait, the pool exhausted.
Unavailable = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, StoreAway)


def database_url(environ: dict[str, str] | None = None) -> str:
    """DATABASE_URL, with plain `postgresql://` pointed at the psycopg 3 driver Scout ships."""
    env = os.environ if environ is None else environ
    url = env.get("DATABASE_URL") or DEFAULT_URL
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API objects
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine tuned for the backend: one writer at a time on SQLite, a pool on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_S} if parsed.get_driver_name() == "psycopg" else {}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=connect_args)


class Database:
    """One engine and a way to open short transactions on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._away_since: float | None = None  # monotonic time a bounded session last failed
        self.fail_fast_s = FAIL_FAST_S

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, wait_ms: int | None = None, fail_fast: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises.

        `wait_ms` bounds how long it waits for locks and statements (SQLite's busy timeout,
        PostgreSQL's lock and statement timeouts), for paths that must answer quickly and
        have somewhere else to put the write (the /flag spool). With `fail_fast` it fails at
        once (StoreAway) for `fail_fast_s` after a bounded session found the store away."""
        if wait_ms is None:
            with self._session(None) as session:
                yield session
            return
        away = self._away_since
        if fail_fast and away is not None and time.monotonic() - away < self.fail_fast_s:
            raise StoreAway("the database did not answer moments ago")
        try:
            with self._session(wait_ms) as session:
                yield session
        except Unavailable:
            self._away_since = time.monotonic()
            raise
        self._away_since = None

    @contextmanager
    def _session(self, wait_ms: int | None) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            raw = None
            try:
                if wait_ms is not None:
                    raw = self._bound_waits(session, wait_ms)
                yield session
                session.flush()  # the writes wait for their locks here, within the bound
            except BaseException:
                _restore_busy_timeout(raw)
                session.rollback()
                raise
            _restore_busy_timeout(raw)  # before the connection goes back to the pool
            session.commit()

    def _bound_waits(self, session: Session, wait_ms: int):  # noqa: ANN202 - a DB-API connection
        connection = session.connection()
        if self.backend == "sqlite":
            raw = connection.connection.dbapi_connection
            raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            return raw
        if self.backend == "postgresql":
            ms = str(int(wait_ms))  # SET LOCAL, both in one round trip
            connection.execute(text("SELECT set_config('lock_timeout', :ms, true), "
                                    "set_config('statement_timeout', :ms, true)"), {"ms": ms})
        return None

    def dispose(self) -> None:
        self.engine.dispose()


def _restore_busy_timeout(raw) -> None:  # noqa: ANN001 - a DB-API connection
    if raw is None:
        return
    with suppress(Exception):  # a broken connection is discarded by the pool anyway
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
