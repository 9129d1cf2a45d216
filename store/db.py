"""Engine and sessions: SQLite by default (WAL, busy timeout), PostgreSQL via DATABASE_URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlmodel import Session

DEFAULT_URL = "sqlite:///scout.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
# libpq's floor is 2 s: a PostgreSQL that does not answer fails fast enough for the /flag
# path to spool the remark and still answer inside Slack's 3 s.
PG_CONNECT_TIMEOUT_S = 2

# What "the store cannot take this now" looks like, whatever the backend: PostgreSQL down or
# unreachable, SQLite locked by another writer past the wait, the pool exhausted.
Unavailable = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


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

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, wait_ms: int | None = None) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises.

        `wait_ms` bounds how long it waits for locks and statements (SQLite's busy timeout,
        PostgreSQL's lock and statement timeouts), for paths that must answer quickly and
        have somewhere else to put the write (the /flag spool)."""
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
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(wait_ms)}")
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(wait_ms)}")
        return None

    def dispose(self) -> None:
        self.engine.dispose()


def _restore_busy_timeout(raw) -> None:  # noqa: ANN001 - a DB-API connection
    if raw is None:
        return
    with suppress(Exception):  # a broken connection is discarded by the pool anyway
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
