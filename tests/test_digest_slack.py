"""Digests delivered to a fake Slack Web API on loopback: 429s waited out, permanent errors
given up on without losing the rest, sent messages recorded, the CLI path once per period."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from datetime import UTC, datetime

import pytest
import yaml
from sqlmodel import select

from bot.app import build_scout
from bot.cli import main
from bot.delivery import platforms
from bot.outbox import drain
from bot.scheduler import DigestScheduler, monthly_trigger, weekly_triggers
from handlers.digest_run import run_monthly, run_weekly
from handlers.flag import flag
from store.digests import pending
from store.tables import Outbox
from tests.conftest import ask
from tests.fakes.slack_api import FakeSlack
from tests.firm import FIRM
from tests.helpers.slack_http import start_fake

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def fake(aiohttp_server):
    return await start_fake(aiohttp_server)


def _env(fake: FakeSlack) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.url + "api/"}


def _rows(scout) -> list[Outbox]:
    with scout.db.session() as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


async def test_weekly_digest_reaches_slack_with_buttons_and_records_the_ts(scout, fake):
    flag(scout, ask("dan", "acme they want tax planning help <!channel>"))
    renderers, senders = platforms(_env(fake))
    run_weekly(scout, renderers)
    sent, failed = await asyncio.to_thread(drain, scout.db, senders, scout.now)
    assert (sent, failed) == (2, 0)
    posts = fake.named("chat.postMessage")
    assert [p.params["channel"] for p in posts] == ["CACME", "ULEE"]
    blocks = json.dumps(posts[0].params["blocks"])
    assert "&lt;!channel&gt;" in blocks and "<!channel>" not in blocks
    buttons = [e["text"]["text"] for b in posts[0].params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[:3] == ["Qualify", "Drop", "Snooze"]
    rows = _rows(scout)
    assert [(r.status, r.sent_channel) for r in rows] == [("sent", "CACME"), ("sent", "DLEE")]
    assert rows[0].sent_ref == "1700000001.000001"


async def test_slack_rate_limits_are_waited_out_and_every_digest_arrives(scout, fake):
    flag(scout, ask("dan", "acme they want tax planning help"))
    flag(scout, ask("maria", "globex want a pen test"))
    fake.throttle["chat.postMessage"] = 2  # two 429s with Retry-After: 1
    renderers, senders = platforms(_env(fake))
    run_weekly(scout, renderers)
    sent, failed = await asyncio.to_thread(drain, scout.db, senders, scout.now)
    assert (sent, failed) == (4, 0)
    assert len(fake.named("chat.postMessage:429")) == 2
    assert sorted(p.params["channel"] for p in fake.named("chat.postMessage")) == ["CACME", "CGLOBEX", "ULEE", "UOLGA"]


async def test_a_permanent_error_is_given_up_on_and_the_rest_still_goes(scout, fake, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    fake.failing["chat.postMessage"] = "channel_not_found"
    renderers, senders = platforms(_env(fake))
    run_weekly(scout, renderers)
    sent, failed = await asyncio.to_thread(drain, scout.db, senders, scout.now)
    assert (sent, failed) == (0, 2)
    assert [(r.status, r.last_error) for r in _rows(scout)] == [("failed", "Slack said channel_not_found")] * 2
    with scout.db.session() as session:
        assert pending(session) == []


async def test_a_transient_failure_is_retried_later(scout, fake, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    renderers, senders = platforms({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": "http://127.0.0.1:9/api/"})
    run_weekly(scout, renderers)
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (0, 2)
    assert [r.status for r in _rows(scout)] == ["pending", "pending"]
    renderers, senders = platforms(_env(fake))  # Slack is back
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (0, 0)  # not due yet
    clock.advance(minutes=1)
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (2, 0)


async def test_monthly_report_attaches_its_charts(scout, fake, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    clock.now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    renderers, senders = platforms(_env(fake))
    run_monthly(scout, renderers)
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (1, 0)
    assert [p.params["channel"] for p in fake.named("chat.postMessage")] == ["UMARIA"]
    assert len(fake.uploads) == 2 and all(body.startswith(PNG_MAGIC) for body in fake.uploads)
    assert [c.params.get("channel_id") for c in fake.named("files.completeUploadExternal")] == ["DMARIA"] * 2


async def test_restart_catch_up_sends_a_missed_digest_once(scout, fake, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    clock.now = datetime(2026, 11, 16, 20, 0, tzinfo=UTC)  # down at 09:00 New York, up at 15:00
    first = DigestScheduler(scout, *platforms(_env(fake)))
    await first.catch_up()
    second = DigestScheduler(scout, *platforms(_env(fake)))  # restarted again
    await second.catch_up()
    assert [p.params["channel"] for p in fake.named("chat.postMessage")] == ["CACME", "ULEE"]


def test_cron_triggers_follow_app_yaml_and_each_timezone(config):
    after = datetime(2026, 11, 17, 0, 0, tzinfo=UTC)
    triggers = weekly_triggers(config)
    assert sorted(triggers) == ["America/New_York", "UTC"]
    ny = triggers["America/New_York"].get_next_fire_time(None, after)
    assert ny.astimezone(UTC) == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday 09:00 EST
    first = monthly_trigger(config).get_next_fire_time(None, datetime(2026, 7, 25, tzinfo=UTC))
    assert first.astimezone(UTC) == datetime(2026, 8, 3, 9, 0, tzinfo=UTC)  # 1 Aug is a Saturday


def _cli(args: list[str], monkeypatch, tmp_path, env: dict[str, str]) -> tuple[int, str, str]:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(FIRM))
    monkeypatch.setenv("SCOUT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/scout.db")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


async def test_cli_digest_sends_once_per_period_and_dry_run_sends_nothing(fake, monkeypatch, tmp_path):
    now = "2026-11-16T10:00:00-05:00"
    _cli(["db", "upgrade"], monkeypatch, tmp_path, {})
    scout = build_scout()
    flag(scout, ask("dan", "acme they want tax planning help"))
    scout.db.dispose()

    code, out, _ = await asyncio.to_thread(_cli, ["digest", "weekly", "--now", now, "--dry-run"], monkeypatch,
                                           tmp_path, _env(fake))
    assert code == 0 and "Weekly cross-sell digest: Acme Corp" in out and "tax planning help" in out
    assert fake.named("chat.postMessage") == []

    code, out, _ = await asyncio.to_thread(_cli, ["digest", "weekly", "--now", now], monkeypatch, tmp_path, _env(fake))
    assert code == 0 and "acme: 2 message(s) queued" in out and "Sent 2 message(s)." in out
    code, out, _ = await asyncio.to_thread(_cli, ["digest", "weekly", "--now", now], monkeypatch, tmp_path, _env(fake))
    assert code == 0 and "acme: already sent for this period" in out and "Sent 0 message(s)." in out
    assert len(fake.named("chat.postMessage")) == 2


async def test_cli_digest_sends_everything_queued_even_beyond_one_drain_batch(fake, monkeypatch, tmp_path):
    """A firm with hundreds of accounts queues more than one drain call sends (bench/digest.py
    found 500 of 1,000 sent): the command drains until nothing due is left."""
    import bot.outbox

    now = "2026-11-16T10:00:00-05:00"
    _cli(["db", "upgrade"], monkeypatch, tmp_path, {})
    scout = build_scout()
    flag(scout, ask("dan", "acme they want tax planning help"))
    scout.db.dispose()
    monkeypatch.setattr(bot.outbox, "DRAIN_BATCH", 1)  # one message per drain call, however it is called
    monkeypatch.setattr(bot.outbox.drain, "__defaults__", (1,))
    code, out, _ = await asyncio.to_thread(_cli, ["digest", "weekly", "--now", now], monkeypatch, tmp_path, _env(fake))
    assert code == 0 and "acme: 2 message(s) queued" in out and "Sent 2 message(s)." in out
    assert [p.params["channel"] for p in fake.named("chat.postMessage")] == ["CACME", "ULEE"]


def test_cli_digest_without_a_platform_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    code, _, err = _cli(["digest", "weekly"], monkeypatch, tmp_path, {})
    assert code == 2 and "set SLACK_BOT_TOKEN" in err and "Traceback" not in err


def test_cli_digest_rejects_a_bad_time(monkeypatch, tmp_path):
    code, _, err = _cli(["digest", "monthly", "--now", "next tuesday", "--dry-run"], monkeypatch, tmp_path, {})
    assert code == 2 and "--now 'next tuesday' is not an ISO time" in err


async def test_serve_schedules_a_job_per_timezone_a_monthly_job_a_drain_and_a_catch_up(scout, fake):
    scheduler = DigestScheduler(scout, *platforms(_env(fake)))
    scheduler.start()
    try:
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
        assert set(jobs) == {"weekly:America/New_York", "weekly:UTC", "monthly", "drain", "prune", "catch-up"}
        assert jobs["weekly:UTC"].misfire_grace_time == 24 * 3600
    finally:
        scheduler.shutdown()


async def test_without_a_platform_nothing_is_scheduled_or_claimed(scout):
    scheduler = DigestScheduler(scout, {}, {})
    scheduler.start()
    assert not scheduler.scheduler.running and scheduler.scheduler.get_jobs() == []


async def test_two_senders_draining_at_once_post_each_message_once(scout, fake, db):
    from store.db import Database

    flag(scout, ask("dan", "acme they want tax planning help"))
    flag(scout, ask("maria", "globex want a pen test"))
    renderers, senders = platforms(_env(fake))
    run_weekly(scout, renderers)
    other = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    try:
        results = await asyncio.gather(
            asyncio.to_thread(drain, scout.db, senders, scout.now),
            asyncio.to_thread(drain, other, platforms(_env(fake))[1], scout.now),
        )
    finally:
        other.dispose()
    assert sum(sent for sent, _ in results) == 4
    assert sorted(p.params["channel"] for p in fake.named("chat.postMessage")) == ["CACME", "CGLOBEX", "ULEE", "UOLGA"]
    assert {r.status for r in _rows(scout)} == {"sent"}
