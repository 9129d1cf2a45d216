"""Privacy end to end: a burst of ordinary chat through /slack/events and /api/messages, in
monitored channels of every mode, leaves no trace of what was said anywhere in the store: no
lead, evidence, event, outbox or inbox row, and not one of its words in any column of any table.
What is left is documented in docs/privacy.md: event ids (kept a week) and, for Teams, where
Scout may speak (conversation references, no text)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from handlers.privacy import SIGHTINGS_KEPT, prune
from tests.helpers.slack_http import open_slack
from tests.helpers.teams_http import ACME_CHANNEL, open_teams

CHATTER = Path(__file__).parent / "data" / "chatter.txt"
SLACK_CHANNELS = ["CACME", "CGLOBEX", "CINITECH", "CGENERAL"]  # suggest, auto, off, not an account's
PEOPLE = ["UDAN", "ULEE", "UOLGA", "UMARIA", "UTOM", "UNOBODY"]


@pytest.fixture
def chatter(tagger, config):
    """Ordinary channel chatter the tagger does not take for a lead (on any of the accounts)."""
    lines = [line.strip() for line in CHATTER.read_text().splitlines() if len(line.split()) >= 4]
    quiet = [line for line in lines if not any(tagger.tag(line, a).lead for a in config.accounts)]
    return quiet[:40]


def _dump_every_table(scout) -> dict[str, list[str]]:
    """Every row of every table the models declare, as text."""
    out = {}
    with scout.db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(text(f"SELECT * FROM {table.name}")).all()
            out[table.name] = [json.dumps([str(v) for v in row]) for row in rows]
    return out


def _assert_no_trace(scout, lines: list[str]) -> dict[str, list[str]]:
    tables = _dump_every_table(scout)
    for name in ("lead", "evidence", "lead_event", "outbox", "digest_claim", "inbox_event"):
        if name in tables:
            assert tables[name] == [], name
    everything = "\n".join(row for rows in tables.values() for row in rows).casefold()
    for line in lines:
        words = line.casefold().split()
        for i in range(len(words) - 2):  # not even three words in a row of it
            assert " ".join(words[i:i + 3]) not in everything, (line, tables)
    return tables


async def _until(ready, what: str, timeout: float = 20.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ready():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def _inbox_empty(scout) -> bool:
    tables = _dump_every_table(scout)
    return not tables.get("inbox_event")


async def test_a_burst_of_ordinary_slack_chat_leaves_nothing_of_it_in_the_store(aiohttp_server, scout, chatter):
    assert len(chatter) >= 30
    async with open_slack(aiohttp_server, scout) as slack:
        sends = []
        for n, line in enumerate(chatter):
            event = {"type": "message", "channel": SLACK_CHANNELS[n % 4], "user": PEOPLE[n % 6],
                     "ts": f"1700000200.{n:06d}", "text": line, "channel_type": "channel"}
            sends.append(slack.event(event, f"EvBurst{n}"))
        sends.append(slack.event({"type": "message", "subtype": "channel_join", "channel": "CACME",
                                  "user": "UDAN", "ts": "1700000300.000001", "text": "<@UDAN> has joined"}, "EvJ"))
        sends.append(slack.event({"type": "message", "bot_id": "B1", "channel": "CACME",
                                  "ts": "1700000300.000002", "text": chatter[0]}, "EvBot"))
        assert all(r.status == 200 for r in await asyncio.gather(*sends))
        await _until(lambda: _inbox_empty(scout), "the inbox to drain")
        await asyncio.sleep(0.2)
        assert [c.method for c in slack.fake.calls if c.method.startswith(("chat.", "reactions."))] == []
    tables = _assert_no_trace(scout, chatter)
    assert all(json.loads(row)[0].startswith("slack:Ev") for row in tables["seen_event"])


async def test_a_burst_of_ordinary_teams_chat_leaves_nothing_of_it_in_the_store(aiohttp_server, scout, chatter,
                                                                               config):
    globex = config.account("globex").model_copy(update={"teams_channel": "19:globex@thread.tacv2"})
    scout.config = config.model_copy(update={"accounts": [config.accounts[0], globex, config.accounts[2]]})
    channels = [ACME_CHANNEL, "19:globex@thread.tacv2", "19:random@thread.tacv2"]
    async with open_teams(aiohttp_server, scout) as teams:
        await teams.say("29:dan", "help", channel=None, mention=False)  # Dan can be offered suggestions
        await teams.connector.wait_for("reply")
        for n, line in enumerate(chatter):
            await teams.say(["29:dan", "29:olga", "29:maria", "29:nobody"][n % 4], line,
                            channel=channels[n % 3], mention=False)
        await asyncio.sleep(0.2)
        assert [s.verb for s in teams.connector.sent] == ["reply"]  # only the answer to "help"
    tables = _assert_no_trace(scout, chatter)
    references = [json.loads(row) for row in tables["conversation_ref"]]
    assert sorted(ref[0] for ref in references) == sorted(
        ["user:29:dan", f"channel:{ACME_CHANNEL}", "channel:19:globex@thread.tacv2", "channel:19:random@thread.tacv2"])


async def test_event_ids_are_forgotten_after_a_week(aiohttp_server, scout, clock, chatter):
    async with open_slack(aiohttp_server, scout) as slack:
        await slack.event({"type": "message", "channel": "CACME", "user": "UDAN", "ts": "1700000400.000001",
                           "text": chatter[0], "channel_type": "channel"}, "EvOld")
        await _until(lambda: _inbox_empty(scout) and _dump_every_table(scout)["seen_event"], "the event")
    assert len(_dump_every_table(scout)["seen_event"]) == 1
    clock.advance(days=SIGHTINGS_KEPT.days - 1)
    prune(scout)
    assert len(_dump_every_table(scout)["seen_event"]) == 1
    clock.advance(days=2)
    prune(scout)
    assert _dump_every_table(scout)["seen_event"] == []


# -- digest copies follow too ------------------------------------------------------------------------

REMARK = "they want help with tax planning next year"


def _digest_sent(scout) -> None:
    """Lead #1 (Dan's, from a Slack message) in this week's acme digest, delivered."""
    from bot.render_text import render_text
    from handlers.digest_run import run_weekly
    from handlers.flag import flag
    from handlers.requests import Request
    from store.digests import mark_sent, pending

    flag(scout, Request(platform="slack", user="UDAN", text=f"acme {REMARK}", channel="CACME", source="shortcut",
                        message_ts="1700.1", permalink="https://x.slack.com/archives/CACME/p17001"))
    run_weekly(scout, {"slack": lambda reply: {"text": render_text(reply), "blocks": [{"type": "section"}]}})
    with scout.db.session() as session:
        for row in pending(session):
            mark_sent(session, row, "1700.9", row.destination, scout.now())


def _copies(scout) -> list[dict]:
    from store.tables import Outbox

    with scout.db.session() as session:
        return [dict(row.payload) for row in session.exec(select(Outbox))]


@pytest.mark.parametrize("how", ["forget", "delete", "edit"])
def test_forget_delete_and_edit_take_the_words_out_of_stored_digest_copies(scout, how):
    from handlers.privacy import forget, message_deleted, message_edited

    _digest_sent(scout)
    assert all(REMARK in json.dumps(p) for p in _copies(scout)) and len(_copies(scout)) == 2
    if how == "forget":
        forget(scout, "dan")
    elif how == "delete":
        message_deleted(scout, "CACME", "1700.1")
    else:
        message_edited(scout, "CACME", "1700.1", "they want tax planning")
    copies = _copies(scout)
    assert len(copies) == 2
    assert all(REMARK not in json.dumps(p) for p in copies)
    assert all(p["lead_ids"] == [1] and p["forgotten"] is True and p["blocks"] == [] for p in copies)


def test_delivered_digests_are_pruned_after_60_days_and_pending_ones_never(scout, clock):
    from store.digests import enqueue

    _digest_sent(scout)
    with scout.db.session() as session:
        enqueue(session, platform="slack", destination="channel:CACME", kind="digest", payload={"text": "later"},
                now=clock.now, cadence="weekly", scope="acme", period="2099-W01")
    clock.advance(days=59)
    prune(scout)
    assert len(_copies(scout)) == 3
    clock.advance(days=2)
    prune(scout)
    assert _copies(scout) == [{"text": "later"}]


# -- Teams edits and deletes follow too -----------------------------------------------------------------


def _teams_edit(teams, original: dict, kind: str, text: str = "") -> dict:
    activity = {**original, "type": kind, "text": text}
    activity["channelData"] = {**original["channelData"],
                               "eventType": "editMessage" if kind == "messageUpdate" else "softDeleteMessage"}
    return activity


async def test_a_teams_message_edited_or_deleted_takes_its_captured_remark_along(aiohttp_server, scout, config):
    from store.leads import list_leads

    globex = config.account("globex").model_copy(update={"teams_channel": "19:globex@thread.tacv2"})
    scout.config = config.model_copy(update={"accounts": [config.accounts[0], globex, config.accounts[2]]})
    async with open_teams(aiohttp_server, scout) as teams:
        original = teams.activity("29:olga", "honestly they really need a proper pen test before the audit",
                                  channel="19:globex@thread.tacv2", mention=False)
        assert (await teams.post(original)).status in (200, 201)
        await teams.connector.wait_for("reply")
        edited = _teams_edit(teams, original, "messageUpdate", "they need a pen test, and soon")
        assert (await teams.post(edited)).status in (200, 201)
        with scout.db.session() as session:
            (lead,) = list_leads(session)
        assert lead.text == "they need a pen test, and soon" and "before the audit" not in json.dumps(lead.tags)
        assert (await teams.post(_teams_edit(teams, original, "messageDelete"))).status in (200, 201)
        with scout.db.session() as session:
            (lead,) = list_leads(session)
    assert (lead.stage, lead.stage_reason) == ("dropped", "message deleted")
    assert "pen test" not in lead.text


async def test_a_remark_flagged_from_a_teams_offer_follows_its_message(aiohttp_server, scout):
    from store.leads import list_leads

    async with open_teams(aiohttp_server, scout) as teams:
        await teams.say("29:dan", "help", channel=None, mention=False)
        await teams.connector.wait_for("reply")
        original = teams.activity("29:dan", "honestly they keep asking who could handle their tax planning next year",
                                  mention=False)
        await teams.post(original)
        (offer,) = await teams.connector.wait_for("send")
        flag_it = next(a["data"] for a in _submits(offer.card) if a["data"]["scout"] == "flag_message")
        await teams.submit("29:dan", flag_it, reply_to="act-2", channel=None)
        await teams.connector.wait_for("update")
        await teams.post(_teams_edit(teams, original, "messageUpdate", "they asked about tax planning again"))
        with scout.db.session() as session:
            (lead,) = list_leads(session)
    assert (lead.message_ts, lead.text) == (original["id"], "they asked about tax planning again")


def _submits(node) -> list[dict]:  # noqa: ANN001
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.Submit" else []
        return found + [a for value in node.values() for a in _submits(value)]
    if isinstance(node, list):
        return [a for value in node for a in _submits(value)]
    return []
