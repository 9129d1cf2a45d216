"""Fixtures: a test firm, a clock that only moves when told, and a migrated store on
SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from handlers.context import Scout
from handlers.requests import Request
from nlp.rules import CACHE_ENV
from nlp.tagger import build_tagger
from store.db import Database, make_engine
from store.migrate import upgrade
from tests.firm import firm_config

# Parsed rules are cached per user (nlp/rules.py); the suite keeps its own cache, so it neither
# reads a developer's nor leaves files in it.
os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="scout-test-cache-")
atexit.register(shutil.rmtree, os.environ[CACHE_ENV], True)

MONDAY = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # 10:00 in New York
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def _tables() -> str:
    """Every table the models declare, so a new table is cleaned between tests without a list here."""
    from sqlmodel import SQLModel

    import store.tables  # noqa: F401 - registers the models on SQLModel.metadata

    return ", ".join(table.name for table in SQLModel.metadata.sorted_tables)


TABLES = _tables()


class Clock:
    def __init__(self, now: datetime = MONDAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def config():
    return firm_config()


@pytest.fixture(scope="session")
def tagger(config):
    return build_tagger(config.catalog)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "scout.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_db():
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    db = Database.from_url(POSTGRES_URL)
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {TABLES}, alembic_version CASCADE"))
    upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path, sqlite_template):
    """A migrated, empty store on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "scout.db"
        shutil.copy(sqlite_template, path)
        database = Database.from_url(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("postgres_db")
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    yield database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scout(config, tagger, db, clock) -> Scout:
    return Scout(config=config, tagger=tagger, db=db, clock=clock)


def ask(person: str, text: str = "", channel: str | None = None, platform: str = "slack") -> Request:
    """A request from a test person, by their platform id; an unknown id is sent as is."""
    from tests.firm import FIRM

    known = {p["id"]: p for p in FIRM["people"]}
    user = known[person].get(platform, person) if person in known and platform != "console" else person
    return Request(platform=platform, user=user, text=text, channel=channel, source="slash")


def stored_leads(scout: Scout) -> list:
    """Every lead in the store, oldest first: what a test checks after a request."""
    from store.leads import list_leads

    with scout.db.session() as session:
        return list_leads(session)


@pytest.fixture
async def slack(aiohttp_server, scout):
    """Scout's real aiohttp server on loopback with the fake Slack Web API beside it."""
    from tests.helpers.slack_http import open_slack

    async with open_slack(aiohttp_server, scout) as client:
        yield client


@pytest.fixture
async def teams(aiohttp_server, scout):
    """Scout's real aiohttp server on loopback with the fake Bot Connector beside it."""
    from tests.helpers.teams_http import open_teams

    async with open_teams(aiohttp_server, scout) as client:
        yield client
