"""The database is away when someone flags: the remark is spooled (fsynced JSON lines), the
person is told it is saved, and it is filed exactly once when the database is back. Over real
HTTP, against SQLite locked by another writer and against a private PostgreSQL cluster that
the test stops and starts (never the shared server)."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.recovery import Recovery
from bot.server import build_web_app
from bot.settings import SlackSettings
from bot.slack_app import build_slack_app
from handlers.context import Scout
from handlers.flag import flag
from handlers.spooling import replay_spool
from store.db import Database
from store.migrate import upgrade
from store.spool import Spool, SpooledFlag, default_spool_path
from tests.conftest import MONDAY, ask, stored_leads
from tests.fakes.slack_api import FakeSlack
from tests.helpers.slack_http import SECRET, Slack

PG_BIN = Path("/usr/lib/postgresql/15/bin")
REMARK = "acme they want help with tax planning next year"
SAVED = "Saved: your remark on Acme Corp will be filed shortly"




def _spooled(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@dataclass
class Served:
    slack: Slack
    recovery: Recovery


async def _serve(aiohttp_server, scout: Scout, http: ClientSession, every: float = 3600) -> Served:
    """The real server with the recovery loop; `every` is long unless a test wants it running."""
    fake = FakeSlack()
    fake_server = await aiohttp_server(fake.app())
    fake.url = str(fake_server.make_url("/"))
    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=fake.url + "api/")
    recovery = Recovery(scout, every=every)
    server = await aiohttp_server(build_web_app(scout, build_slack_app(scout, settings), [recovery]))
    return Served(Slack(fake=fake, base=str(server.make_url("")).rstrip("/"), http=http), recovery)


def _check_spool_entry(entry: dict) -> None:
    assert entry["kind"] == "flag" and entry["v"] == 1
    assert len(entry["id"]) == 32
    assert (entry["platform"], entry["user"], entry["person"], entry["account"]) == ("slack", "UDAN", "dan", "acme")
    assert entry["text"] == "they want help with tax planning next year"
    assert (entry["channel"], entry["source"]) == ("CGENERAL", "slash")
    assert entry["at"] == "2026-11-16T15:00:00+00:00"


# -- SQLite held by another writer -------------------------------------------------------------


@pytest.fixture
def sqlite_scout(tmp_path, sqlite_template, config, tagger, clock):
    path = tmp_path / "scout.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    yield Scout(config=config, tagger=tagger, db=db, clock=clock, spool=Spool(tmp_path / "spool.jsonl"))
    db.dispose()


async def test_a_flag_while_sqlite_is_locked_is_spooled_answered_and_filed_once(aiohttp_server, sqlite_scout,
                                                                                monkeypatch):
    import sqlite3

    monkeypatch.setattr("handlers.spooling.REPLAY_WAIT_MS", 300)  # the recovery loop's bound, shortened

    scout = sqlite_scout
    db_file = scout.db.engine.url.database
    writer = sqlite3.connect(db_file, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    async with ClientSession() as http:
        served = await _serve(aiohttp_server, scout, http)
        assert (await served.slack.command("UDAN", "/flag", REMARK)).status == 200
        (reply,) = await served.slack.fake.wait_for("response_url:1")
    assert reply.params["text"].startswith(SAVED)
    blocks = json.dumps(reply.params["blocks"])
    assert "Tax planning" in blocks  # the tagger is in memory: it still answers
    assert "no need to flag it again" in blocks
    (entry,) = _spooled(scout.spool.path)
    _check_spool_entry(entry)
    assert stored_leads(scout) == []  # readers still read under WAL: nothing was stored

    assert replay_spool(scout) == 0  # still locked: nothing filed, nothing lost
    assert len(_spooled(scout.spool.path)) == 1
    writer.execute("ROLLBACK")
    writer.close()

    assert replay_spool(scout) == 1
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.flagged_by, lead.text, lead.source) == (
        "acme", "dan", "they want help with tax planning next year", "slash")
    assert lead.services == ["tax_planning"]
    assert lead.created_at.isoformat() == entry["at"]  # dated when flagged, not when filed
    assert scout.spool.path.read_text() == ""
    assert replay_spool(scout) == 0
    assert len(stored_leads(scout)) == 1


def test_an_entry_filed_before_a_crash_is_not_filed_again(sqlite_scout):
    """A crash after the lead's commit and before the spool is compacted leaves the entry in
    the file: the spool id recorded with the lead makes the next replay drop it unfiled."""
    scout = sqlite_scout
    entry = SpooledFlag.new(at=scout.now(), platform="slack", user="UDAN", person="dan", account="acme",
                            text="they want help with tax planning", source="slash", channel="CACME")
    scout.spool.append(entry)
    assert replay_spool(scout) == 1
    scout.spool.append(entry)  # as if the compaction never happened
    assert replay_spool(scout) == 0
    assert len(stored_leads(scout)) == 1
    assert scout.spool.read() == []


def test_a_torn_last_line_is_skipped_and_the_next_append_stays_readable(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    first = SpooledFlag.new(at=MONDAY, platform="slack", user="UDAN", person="dan", account="acme", text="one",
                            source="slash")
    spool.append(first)
    with open(spool.path, "a") as handle:
        handle.write('{"v": 1, "kind": "flag", "id": "torn')  # a crash in the middle of a write
    second = SpooledFlag(**{**first.__dict__, "id": "b" * 32, "text": "two"})
    spool.append(second)
    assert [e.text for e in spool.read()] == ["one", "two"]
    spool.remove({first.id})
    assert [e.text for e in spool.read()] == ["two"]
    assert oct(spool.path.stat().st_mode & 0o777) == "0o600"


def test_the_spool_lives_beside_the_sqlite_file_unless_scout_spool_says_otherwise(tmp_path):
    assert default_spool_path(f"sqlite:///{tmp_path}/data/scout.db", {}) == tmp_path / "data" / "scout-spool.jsonl"
    assert default_spool_path("postgresql+psycopg://u@h/db", {}) == Path.cwd() / "scout-spool.jsonl"
    assert default_spool_path("sqlite:///x.db", {"SCOUT_SPOOL": "/var/lib/scout/spool"}) == Path("/var/lib/scout/spool")


def test_without_a_spool_a_failed_store_gets_the_apology_and_no_traceback(sqlite_scout):
    import sqlite3

    scout = Scout(config=sqlite_scout.config, tagger=sqlite_scout.tagger, db=sqlite_scout.db, clock=sqlite_scout.clock)
    writer = sqlite3.connect(scout.db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        reply = flag(scout, ask("dan", REMARK))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert reply.kind == "error"
    assert "nothing was changed" in reply.text


# -- a private PostgreSQL cluster, stopped and started by the test ------------------------------


def _pg_missing() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN}"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "needs root and runuser to run a private cluster as the postgres user"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres OS user to own a private cluster"
    return None


class PrivateCluster:
    """initdb into a temporary directory, on a free port, sockets in that directory."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="scout-pg-"))
        owner = pwd.getpwnam("postgres")
        os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / tool), *args],
                       check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivateCluster]:
    reason = _pg_missing()
    if reason:
        pytest.skip(reason)
    pg = PrivateCluster()
    pg.start()
    yield pg
    pg.remove()


async def test_a_flag_while_postgresql_is_stopped_is_filed_once_after_it_restarts(
        aiohttp_server, cluster, config, tagger, clock, tmp_path):
    db = Database.from_url(cluster.url)
    upgrade(db.engine)
    scout = Scout(config=config, tagger=tagger, db=db, clock=clock, spool=Spool(tmp_path / "spool.jsonl"))
    try:
        async with ClientSession() as http:
            served = await _serve(aiohttp_server, scout, http, every=0.2)
            assert (await served.slack.command("UDAN", "/flag", "acme they need an audit")).status == 200
            await served.slack.fake.wait_for("response_url:1")
            cluster.stop()
            assert (await served.slack.command("UDAN", "/flag", REMARK)).status == 200
            replies = await served.slack.fake.wait_for("response_url:1", 2)
            assert replies[1].params["text"].startswith(SAVED)
            (entry,) = _spooled(scout.spool.path)
            _check_spool_entry(entry)
            health = await http.get(served.slack.base + "/healthz")
            assert (health.status, (await health.json())["spooled"]) == (503, 1)

            cluster.start()  # the recovery loop in the server files it
            await served.slack.fake.wait_until(lambda: scout.spool.read() == [], "the spool to be filed", 30)
            health = await http.get(served.slack.base + "/healthz")
            assert (health.status, await health.json()) == (200, {"ok": True, "database": "postgresql", "spooled": 0})
        leads = stored_leads(scout)
        assert sorted(lead.text for lead in leads) == ["they need an audit", "they want help with tax planning next year"]
        assert replay_spool(scout) == 0
        assert len(stored_leads(scout)) == 2
    finally:
        db.dispose()


async def test_a_teams_flag_while_sqlite_is_locked_is_spooled_and_answered(aiohttp_server, sqlite_scout):
    import sqlite3

    from tests.helpers.teams_http import open_teams

    scout = sqlite_scout
    writer = sqlite3.connect(scout.db.engine.url.database, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        async with open_teams(aiohttp_server, scout) as teams:
            await teams.say("29:dan", "flag they want help with tax planning next year")
            (reply,) = await teams.connector.wait_for("reply")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert SAVED in json.dumps(reply.card)
    (entry,) = _spooled(scout.spool.path)
    assert (entry["platform"], entry["user"], entry["person"], entry["account"]) == ("teams", "29:dan", "dan", "acme")
    assert entry["source"] == "teams"
    assert replay_spool(scout) == 1
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.text, lead.source) == ("acme", "they want help with tax planning next year", "teams")


@contextlib.contextmanager
def _locked(db: Database):
    """Another connection holding the store: SQLite's write lock, or PostgreSQL's table lock."""
    if db.backend == "sqlite":
        import sqlite3

        writer = sqlite3.connect(db.engine.url.database, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        return
    other = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    with other.engine.connect() as conn:
        conn.exec_driver_sql("LOCK TABLE lead IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()
    other.dispose()


def test_a_flag_on_a_locked_store_is_spooled_then_filed_on_both_backends(db, config, tagger, clock, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setattr("handlers.spooling.REPLAY_WAIT_MS", 300)  # the recovery loop's bound, shortened
    scout = Scout(config=config, tagger=tagger, db=db, clock=clock, spool=Spool(tmp_path / "spool.jsonl"))
    with _locked(db):
        reply = flag(scout, ask("dan", REMARK))
        assert reply.title == SAVED
        assert replay_spool(scout) == 0  # still held: the entry stays
    db.fail_fast_s = 0
    assert [e.text for e in scout.spool.read()] == ["they want help with tax planning next year"]
    assert replay_spool(scout) == 1
    assert flag(scout, ask("dan", "acme they need an audit")).title == "Lead #2 flagged on Acme Corp"
    assert [lead.text for lead in stored_leads(scout)] == ["they want help with tax planning next year", "they need an audit"]


def test_appends_racing_a_compaction_lose_nothing(tmp_path):
    """Flags are spooled from worker threads while the recovery loop compacts the file: every
    entry ends up either filed (removed after being read) or still in the spool, once."""
    import threading

    spool = Spool(tmp_path / "spool.jsonl")
    written: list[str] = []
    lock = threading.Lock()

    def flagger(n: int) -> None:
        for i in range(40):
            entry = SpooledFlag.new(at=MONDAY, platform="slack", user="UDAN", person="dan", account="acme",
                                    text=f"remark {n}-{i}", source="slash")
            spool.append(entry)
            with lock:
                written.append(entry.id)

    threads = [threading.Thread(target=flagger, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    filed: list[str] = []
    while any(thread.is_alive() for thread in threads) or spool.read():
        batch = [entry.id for entry in spool.read()][:25]
        spool.remove(set(batch))
        filed += batch
    for thread in threads:
        thread.join()
    assert sorted(filed) == sorted(written)
    assert len(set(filed)) == len(filed) == 160
