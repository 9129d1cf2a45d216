"""`kill -9` of `scout serve` in the middle of a digest run: on restart every account gets its
weekly digest once. A real `scout serve` subprocess (its start-up catch-up is the scheduler's
path: claim, queue in the outbox, drain) against a fake Slack Web API on loopback that holds
one chat.postMessage open; the test SIGKILLs the server while that request is held.

The held request is never recorded as posted: the kill lands before Slack would have taken
the message. That is the honest side of the documented window: a kill after Slack took a
message and before its outbox row was committed as sent gives that one message twice."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import socket
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from sqlmodel import select

from bot.app import build_scout, open_database
from handlers.config import load_config
from handlers.flag import flag
from store.tables import DigestClaim, Outbox
from tests.conftest import ask
from tests.fakes.slack_api import Call, FakeSlack
from tests.firm import FIRM

ROOT = Path(__file__).resolve().parents[1]
WEEKLY = "Weekly cross-sell digest"


@dataclass
class HoldingSlack(FakeSlack):
    """Holds the `hold_at`-th chat.postMessage open, unrecorded, until released."""

    hold_at: int | None = None
    taken: bool = False  # True: Slack posts the held message and only its answer is held
    holding: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _seen: int = 0

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "chat.postMessage":
            self._seen += 1
            if self._seen == self.hold_at:
                if self.taken:
                    await super()._api(request)  # recorded: the message is in the channel
                else:
                    self.calls.append(Call("chat.postMessage:held", {}))
                self.holding.set()
                await self.release.wait()
                return web.json_response({"ok": False, "error": "fatal_error"}, status=500)
        return await super()._api(request)


def _firm_due_now(now: datetime) -> dict:
    """The test firm in UTC with the weekly digest due ten minutes ago (inside its grace) and
    the monthly report outside its grace, so the start-up catch-up sends the weekly only."""
    firm = copy.deepcopy(FIRM)
    for account in firm["accounts"]:
        account["timezone"] = "UTC"
    due = now - timedelta(minutes=10)
    later = now + timedelta(hours=2)
    firm["digests"] = {
        "weekly": {"day": due.strftime("%A").lower(), "time": due.strftime("%H:%M")},
        "monthly": {"time": later.strftime("%H:%M"), "grace_hours": 1},
    }
    return firm


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(tmp: Path, fake: FakeSlack) -> dict[str, str]:
    return {**os.environ, "SCOUT_CONFIG": str(tmp / "app.yaml"), "DATABASE_URL": f"sqlite:///{tmp}/scout.db",
            "SCOUT_SPOOL": str(tmp / "spool.jsonl"), "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "test-signing-secret", "SLACK_API_URL": fake.url + "api/",
            "SCOUT_TEAMS": "off", "SCOUT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}


async def _serve(tmp: Path, fake: FakeSlack) -> asyncio.subprocess.Process:
    with open(tmp / "serve.log", "ab") as log:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(_free_port()),
            cwd=tmp, env=_env(tmp, fake), stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )


def _firm_with_flags(tmp: Path, monkeypatch, flags: list[tuple[str, str]]):  # noqa: ANN001, ANN202
    """The due-now firm in `tmp` with these flags filed; its database, for the assertions."""
    (tmp / "app.yaml").write_text(yaml.safe_dump(_firm_due_now(datetime.now(UTC))))
    monkeypatch.setenv("SCOUT_CONFIG", str(tmp / "app.yaml"))
    db = open_database(f"sqlite:///{tmp}/scout.db")
    scout = build_scout(load_config(tmp / "app.yaml"), db)
    for who, remark in flags:
        assert flag(scout, ask(who, remark)).kind == "ok"
    return db


async def _serve_until_held_then_kill(tmp: Path, fake: HoldingSlack) -> asyncio.subprocess.Process:
    """`scout serve` until the fake holds a digest post, then SIGKILL."""
    process = await _serve(tmp, fake)
    try:
        await asyncio.wait_for(fake.holding.wait(), 60)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    return process


def _weekly_posts(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.named("chat.postMessage") if str(c.params.get("text", "")).startswith(WEEKLY)]


@pytest.fixture
async def holding(aiohttp_server):
    fake = HoldingSlack(hold_at=3)
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    yield fake
    fake.release.set()


async def test_kill_9_mid_digest_then_restart_gives_every_account_its_digest_once(holding, tmp_path, monkeypatch):
    db = _firm_with_flags(tmp_path, monkeypatch, [
        ("dan", "acme they want help with tax planning"), ("maria", "globex want a pen test"),
        ("maria", "initech asked who could handle their tax compliance")])
    first = await _serve_until_held_then_kill(tmp_path, holding)
    assert first.returncode == -signal.SIGKILL
    with db.session() as session:
        rows = list(session.exec(select(Outbox).order_by(Outbox.id)))
        claims = list(session.exec(select(DigestClaim).where(DigestClaim.cadence == "weekly")))
    assert sorted(c.scope for c in claims) == ["acme", "globex", "initech"]  # claimed and queued before the kill
    assert [r.status for r in rows] == ["sent", "sent", "pending", "pending", "pending", "pending"]
    assert len(_weekly_posts(holding)) == 2

    holding.hold_at = None
    second = await _serve(tmp_path, holding)
    try:
        await holding.wait_until(lambda: len(_weekly_posts(holding)) >= 6, "the rest of the digests", 60)
        await holding.wait_until(lambda: _all_sent(db), "the outbox to settle", 30)
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
    destinations = Counter(c.params["channel"] for c in _weekly_posts(holding))
    assert destinations == {"CACME": 1, "ULEE": 1, "CGLOBEX": 1, "CINITECH": 1, "UOLGA": 2}
    olga = sorted(c.params["text"] for c in _weekly_posts(holding) if c.params["channel"] == "UOLGA")
    assert [t.split(":")[1].strip() for t in olga] == ["Globex", "Initech"]  # one per account she leads
    db.dispose()


def _all_sent(db) -> bool:  # noqa: ANN001
    with db.session() as session:
        return all(r.status == "sent" for r in session.exec(select(Outbox)))


async def test_the_documented_window_a_kill_after_slack_took_a_message_repeats_that_one_only(
        holding, tmp_path, monkeypatch):
    """At least once, honestly: Slack posted the 3rd message and the kill came before its row
    was committed as sent, so the restart posts that one message again, and nothing else."""
    holding.taken = True
    db = _firm_with_flags(tmp_path, monkeypatch, [
        ("dan", "acme they want help with tax planning"), ("maria", "globex want a pen test")])
    await _serve_until_held_then_kill(tmp_path, holding)
    holding.hold_at = None
    second = await _serve(tmp_path, holding)
    try:
        await holding.wait_until(lambda: _all_sent(db), "the outbox to settle", 60)
    finally:
        second.send_signal(signal.SIGTERM)
        await second.wait()
    destinations = Counter(c.params["channel"] for c in _weekly_posts(holding))
    assert destinations == {"CACME": 1, "ULEE": 1, "CGLOBEX": 2, "UOLGA": 1}
    db.dispose()
