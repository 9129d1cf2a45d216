"""The wiring of `scout serve` itself, as a subprocess: a flag while its SQLite file is locked
by another process is answered as saved, lands in the spool named by SCOUT_SPOOL, and the
server's own recovery loop files it once the lock is gone."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from datetime import UTC, datetime

import yaml
from aiohttp import ClientError, ClientSession
from sqlmodel import select

from bot.app import open_database
from store.leads import list_leads
from store.tables import DigestClaim
from tests.fakes.slack_api import FakeSlack
from tests.helpers.slack_http import Slack
from tests.test_faults_kill import _env, _firm_due_now, _free_port


async def _up(http: ClientSession, base: str) -> None:
    for _ in range(300):
        try:
            await http.get(base + "/healthz")
            return
        except ClientError:
            await asyncio.sleep(0.1)
    raise AssertionError("scout serve did not come up")


def _claims(db) -> list:  # noqa: ANN001
    with db.session() as session:
        return list(session.exec(select(DigestClaim).where(DigestClaim.cadence == "weekly")))


def _leads(db) -> list:  # noqa: ANN001
    with db.session() as session:
        return list_leads(session)


async def test_scout_serve_spools_a_flag_while_its_store_is_locked_and_files_it_after(aiohttp_server, tmp_path):
    fake = FakeSlack()
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    (tmp_path / "app.yaml").write_text(yaml.safe_dump(_firm_due_now(datetime.now(UTC))))
    db = open_database(f"sqlite:///{tmp_path}/scout.db")
    port = _free_port()
    with open(tmp_path / "serve.log", "ab") as log:
        serve = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            cwd=tmp_path, env=_env(tmp_path, fake), stdout=asyncio.subprocess.DEVNULL, stderr=log)
    writer = sqlite3.connect(tmp_path / "scout.db", isolation_level=None)
    try:
        async with ClientSession() as http:
            base = f"http://127.0.0.1:{port}"
            await _up(http, base)
            # the start-up digest catch-up finds nothing to send; let it finish before the lock
            await fake.wait_until(lambda: len(_claims(db)) == 3, "the start-up catch-up", 30)
            slack = Slack(fake=fake, base=base, http=http)
            writer.execute("BEGIN EXCLUSIVE")
            assert (await slack.command("UDAN", "/flag", "acme they want help with tax planning")).status == 200
            (reply,) = await fake.wait_for("response_url:1")
            assert reply.params["text"].startswith("Saved: your remark on Acme Corp will be filed shortly")
            (line,) = (tmp_path / "spool.jsonl").read_text().splitlines()
            assert json.loads(line)["text"] == "they want help with tax planning"
            assert _leads(db) == []
            writer.execute("ROLLBACK")
            await fake.wait_until(lambda: len(_leads(db)) == 1, "the recovery loop to file it", 30)
            health = await (await http.get(base + "/healthz")).json()
    finally:
        writer.close()
        serve.send_signal(signal.SIGTERM)
        await serve.wait()
    (lead,) = _leads(db)
    assert (lead.account, lead.flagged_by, lead.text) == ("acme", "dan", "they want help with tax planning")
    assert health == {"ok": True, "database": "sqlite", "spooled": 0}
    assert (tmp_path / "spool.jsonl").read_text() == ""
    db.dispose()
