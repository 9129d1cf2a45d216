"""A crash between a Slack event's ack and its processing loses nothing: the event is in the
inbox before the ack, the listener deletes it when done, and a sweep after a restart processes
what a dead process left, once; Slack's retries of it are acked and dropped."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3

import pytest
from aiohttp import ClientSession
from sqlmodel import select

import bot.slack_app as slack_app
from bot.server import build_web_app
from bot.settings import SlackSettings
from bot.slack_app import build_slack_app, inbox_sweep
from handlers.context import Scout
from handlers.spooling import replay_spool
from store.db import Database
from store.spool import Spool
from store.tables import InboxEvent, SeenEvent
from tests.conftest import stored_leads
from tests.fakes.slack_api import FakeSlack
from tests.helpers.slack_http import SECRET, Slack, start_fake

AUTO = {"type": "message", "channel": "CGLOBEX", "user": "UOLGA", "ts": "1700000000.000300",
        "text": "they want a managed security service for the firewall alerts", "channel_type": "channel"}


async def _server(aiohttp_server, scout: Scout, fake: FakeSlack, http: ClientSession):
    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=fake.url + "api/")
    app = build_slack_app(scout, settings)
    server = await aiohttp_server(build_web_app(scout, app))
    return app, Slack(fake=fake, base=str(server.make_url("")).rstrip("/"), http=http)


@pytest.fixture
async def fake(aiohttp_server):
    return await start_fake(aiohttp_server)


def _rows(scout: Scout, table) -> list:  # noqa: ANN001
    with scout.db.session() as session:
        return list(session.exec(select(table)))




async def test_an_event_processed_normally_leaves_no_pending_row(aiohttp_server, scout, fake):
    async with ClientSession() as http:
        _, slack = await _server(aiohttp_server, scout, fake, http)
        assert (await slack.event(AUTO, "EvOK")).status == 200
        await fake.wait_for("chat.postEphemeral")
        await fake.wait_until(lambda: not _rows(scout, InboxEvent), "the inbox row to go")
    assert [row.id for row in _rows(scout, SeenEvent)] == ["slack:EvOK"]
    assert len(stored_leads(scout)) == 1


async def test_an_event_acked_by_a_process_that_then_died_is_processed_once_after_restart(
        aiohttp_server, scout, fake, clock, monkeypatch):
    hung = asyncio.Event()

    async def dies_before_doing_anything(*_args) -> None:  # noqa: ANN002
        hung.set()
        await asyncio.Event().wait()  # the process is killed here; nothing after the ack ran

    monkeypatch.setattr(slack_app, "_listen", dies_before_doing_anything)
    async with ClientSession() as http:
        _, crashed = await _server(aiohttp_server, scout, fake, http)
        assert (await crashed.event(AUTO, "EvCRASH")).status == 200  # Slack has its ack
        await asyncio.wait_for(hung.wait(), 10)
    (row,) = _rows(scout, InboxEvent)
    assert row.key == "slack:EvCRASH"
    assert row.payload["event"]["text"] == AUTO["text"]  # the raw payload, as Slack sent it
    assert stored_leads(scout) == []

    monkeypatch.undo()  # the restarted process
    async with ClientSession() as http:
        app, restarted = await _server(aiohttp_server, scout, fake, http)
        sweep = inbox_sweep(scout, app)
        assert await sweep() == 0  # a fresh row may still be in its own process's hands
        clock.advance(minutes=3)
        assert await sweep() == 1
        (lead,) = stored_leads(scout)
        assert lead.account == "globex" and lead.flagged_by == "olga"
        assert [c.params["timestamp"] for c in fake.named("reactions.add")] == [AUTO["ts"]]
        assert _rows(scout, InboxEvent) == []
        assert (await restarted.event(AUTO, "EvCRASH")).status == 200  # Slack's late retry
        clock.advance(minutes=3)
        assert await sweep() == 0
    assert len(stored_leads(scout)) == 1
    assert len(fake.named("chat.postEphemeral")) == 1


async def test_an_edit_left_in_the_inbox_is_applied_on_restart(aiohttp_server, scout, fake, clock, monkeypatch):
    async with ClientSession() as http:
        _, slack = await _server(aiohttp_server, scout, fake, http)
        await slack.event(AUTO, "EvA")
        await fake.wait_for("chat.postEphemeral")

        async def dies(*_args) -> None:  # noqa: ANN002
            await asyncio.Event().wait()

        monkeypatch.setattr(slack_app, "_edited", dies)
        edit = {"type": "message", "subtype": "message_changed", "channel": "CGLOBEX",
                "message": {**AUTO, "text": "they want a managed security service, urgently"}}
        assert (await slack.event(edit, "EvEDIT")).status == 200
        await fake.wait_until(lambda: len(_rows(scout, InboxEvent)) == 1, "the edit in the inbox")
    monkeypatch.undo()
    async with ClientSession() as http:
        app, _ = await _server(aiohttp_server, scout, fake, http)
        clock.advance(minutes=3)
        assert await inbox_sweep(scout, app)() == 1
    (lead,) = stored_leads(scout)
    assert lead.text == "they want a managed security service, urgently"


async def test_with_the_store_locked_an_edit_is_not_acked_and_a_new_message_is_spooled(
        aiohttp_server, tmp_path, sqlite_template, config, tagger, clock, fake):
    path = tmp_path / "scout.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    scout = Scout(config=config, tagger=tagger, db=db, clock=clock, spool=Spool(tmp_path / "spool.jsonl"))
    edit = {"type": "message", "subtype": "message_changed", "channel": "CGLOBEX",
            "message": {**AUTO, "text": "they want a managed security service, urgently"}}
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        async with ClientSession() as http:
            _, slack = await _server(aiohttp_server, scout, fake, http)
            assert (await slack.event(edit, "EvEDIT")).status == 503  # the edit needs the store: Slack retries
            assert (await slack.event(edit, "EvEDIT")).status == 503  # at once: the store was just found away
            assert (await slack.event(AUTO, "EvNEW")).status == 200  # a capture can wait in the spool
            (answer,) = await fake.wait_for("chat.postEphemeral")
            assert "Saved: your remark on Globex will be filed shortly" in answer.params["text"]
            assert fake.named("reactions.add") == []  # no lead yet to react for
            (spooled,) = scout.spool.read()
            assert (spooled.account, spooled.person, spooled.source) == ("globex", "olga", "channel")
            assert (spooled.channel, spooled.message_ts) == ("CGLOBEX", AUTO["ts"])

            writer.execute("ROLLBACK")
            db.fail_fast_s = 0  # as when those seconds have passed
            assert replay_spool(scout) == 1  # the recovery loop, within 10 s
            assert (await slack.event(edit, "EvEDIT")).status == 200  # Slack's retry, a minute later
            await fake.wait_until(lambda: stored_leads(scout)[0].text.endswith("urgently"), "the edit to follow")
        (lead,) = stored_leads(scout)
        assert (lead.channel, lead.message_ts) == ("CGLOBEX", AUTO["ts"])
    finally:
        writer.close()
        db.dispose()


async def test_a_message_in_a_channel_scout_does_not_listen_in_is_never_stored(aiohttp_server, scout, fake):
    quiet = {**AUTO, "channel": "CINITECH", "user": "UDAN", "text": "they want help with tax planning"}
    async with ClientSession() as http:
        _, slack = await _server(aiohttp_server, scout, fake, http)
        assert (await slack.event(quiet, "EvQUIET")).status == 200
        assert (await slack.event(AUTO, "EvLOUD")).status == 200
        await fake.wait_for("chat.postEphemeral")
        await fake.wait_until(lambda: not _rows(scout, InboxEvent), "the inbox row to go")  # after the post
    assert [row.id for row in _rows(scout, SeenEvent)] == ["slack:EvLOUD"]
    assert [lead.account for lead in stored_leads(scout)] == ["globex"]


async def test_a_flag_command_leaves_nothing_in_the_inbox_once_answered(aiohttp_server, scout, fake):
    async with ClientSession() as http:
        _, slack = await _server(aiohttp_server, scout, fake, http)
        await slack.command("UDAN", "/flag", "acme they want help with tax planning")
        await slack.command("UDAN", "/flag", "globex want a pen test")  # the same trigger_id: not a retry
        await fake.wait_for("response_url:1", 2)
    assert _rows(scout, InboxEvent) == []
    assert _rows(scout, SeenEvent) == []  # Slack never resends a command: nothing to dedupe
    assert sorted(lead.account for lead in stored_leads(scout)) == ["acme", "globex"]


async def test_a_flag_acked_by_a_process_that_then_died_is_filed_and_answered_after_restart(
        aiohttp_server, scout, fake, clock, monkeypatch):
    hung = asyncio.Event()

    async def dies(*_args):  # noqa: ANN002, ANN202
        hung.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(slack_app, "_run", dies)
    async with ClientSession() as http:
        _, crashed = await _server(aiohttp_server, scout, fake, http)
        assert (await crashed.command("UDAN", "/flag", "acme they want help with tax planning")).status == 200
        await asyncio.wait_for(hung.wait(), 10)
    (row,) = _rows(scout, InboxEvent)
    assert row.key.startswith("slack:command:")
    assert (row.payload["command"], row.payload["user_id"]) == ("/flag", "UDAN")
    assert fake.named("response_url:1") == [] and stored_leads(scout) == []

    monkeypatch.undo()
    async with ClientSession() as http:
        app, _ = await _server(aiohttp_server, scout, fake, http)
        clock.advance(minutes=3)
        assert await inbox_sweep(scout, app)() == 1
        (answer,) = fake.named("response_url:1")
        clock.advance(minutes=3)
        assert await inbox_sweep(scout, app)() == 0
    assert answer.params["text"].startswith("Lead #1 flagged on Acme Corp")
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.flagged_by, lead.text) == ("acme", "dan", "they want help with tax planning")
    assert _rows(scout, InboxEvent) == []
