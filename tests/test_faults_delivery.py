"""Slack or Teams down or throttling while Scout answers or sends digests: the lead is kept,
the answer retried with backoff, the digest delivered once when the platform is back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, web
from sqlmodel import select

from bot.delivery import platforms
from bot.outbox import drain
from bot.server import build_web_app
from bot.settings import SlackSettings
from bot.slack_app import build_slack_app
from handlers.digest_run import run_weekly
from handlers.flag import flag
from store.tables import Outbox
from tests.conftest import ask, stored_leads
from tests.fakes.bot_connector import FakeConnector
from tests.fakes.slack_api import Call, FakeSlack
from tests.helpers.slack_http import SECRET, Slack, start_fake
from tests.helpers.teams_http import ACME_CHANNEL, open_teams


@dataclass
class FlakySlack(FakeSlack):
    """Answers 503 to the next `down` Web API calls and `hooks_down` response_url posts."""

    down: int = 0
    hooks_down: int = 0

    async def _api(self, request: web.Request) -> web.Response:
        if self.down and request.match_info["method"] == "chat.postMessage":
            self.down -= 1
            self.calls.append(Call("chat.postMessage:503", {}))
            return web.Response(status=503, text="upstream unavailable")
        return await super()._api(request)

    async def _response_url(self, request: web.Request) -> web.Response:
        if self.hooks_down:
            self.hooks_down -= 1
            self.calls.append(Call("response_url:503", {}))
            return web.Response(status=503, text="upstream unavailable")
        return await super()._response_url(request)


@dataclass
class FlakyConnector(FakeConnector):
    down: int = 0
    refused: int = 0

    async def _record(self, verb: str, request: web.Request) -> web.Response:
        if self.down:
            self.down -= 1
            self.refused += 1
            return web.json_response({"error": {"code": "ServiceUnavailable"}}, status=503,
                                     headers={"Retry-After": "0"})
        return await super()._record(verb, request)


@pytest.fixture
async def flaky(aiohttp_server):
    return await start_fake(aiohttp_server, FlakySlack())




def _outbox(scout) -> list[Outbox]:
    with scout.db.session() as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


@asynccontextmanager
async def _serve(aiohttp_server, scout, fake: FlakySlack) -> AsyncIterator[Slack]:  # noqa: ANN001
    """`scout serve`'s web app with Slack on it, talking to the flaky fake."""
    server = await aiohttp_server(fake.app())
    fake.url = str(server.make_url("/"))
    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=fake.url + "api/")
    app = await aiohttp_server(build_web_app(scout, build_slack_app(scout, settings)))
    async with ClientSession() as http:
        yield Slack(fake=fake, base=str(app.make_url("")).rstrip("/"), http=http)


async def test_a_flag_reply_slack_refuses_twice_is_retried_and_the_lead_kept(aiohttp_server, scout):
    fake = FlakySlack(hooks_down=2)
    async with _serve(aiohttp_server, scout, fake) as slack:
        assert (await slack.command("UDAN", "/flag", "acme they want help with tax planning")).status == 200
        (reply,) = await fake.wait_for("response_url:1")
    assert len(fake.named("response_url:503")) == 2
    assert reply.params["text"].startswith("Lead #1 flagged on Acme Corp")
    assert [lead.text for lead in stored_leads(scout)] == ["they want help with tax planning"]


async def test_a_flag_reply_that_never_lands_still_leaves_the_lead_stored(aiohttp_server, scout, caplog):
    fake = FlakySlack(hooks_down=100)
    async with _serve(aiohttp_server, scout, fake) as slack:
        with caplog.at_level(logging.WARNING, logger="scout.slack"):
            await slack.command("UDAN", "/flag", "acme they want help with tax planning")
            await fake.wait_until(lambda: len(fake.named("response_url:503")) == 4, "four tries")
            await fake.wait_until(lambda: "did not take a command's reply" in caplog.text, "the warning")
    assert fake.named("response_url:1") == []
    (lead,) = stored_leads(scout)
    assert lead.text == "they want help with tax planning"
    assert "tax planning" not in caplog.text  # the remark is never logged


async def test_a_digest_while_slack_answers_503_is_delivered_once_when_it_recovers(scout, flaky, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    flaky.down = 5  # the first attempt (3 tries) fails, the second succeeds on its 3rd try
    renderers, senders = platforms({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": flaky.url + "api/"})
    run_weekly(scout, renderers)
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (1, 1)
    first = _outbox(scout)[0]
    assert (first.status, first.attempts, first.last_error[:13]) == ("pending", 1, "SlackApiError")
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (0, 0)  # not due before its backoff
    clock.advance(seconds=31)
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (1, 0)
    assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (0, 0)
    delivered = [c.params["channel"] for c in flaky.named("chat.postMessage")]
    assert sorted(delivered) == ["CACME", "ULEE"]  # each destination once
    assert len(flaky.named("chat.postMessage:503")) == 5
    assert [r.status for r in _outbox(scout)] == ["sent", "sent"]
    assert len(stored_leads(scout)) == 1


async def test_a_teams_digest_while_the_connector_is_down_is_delivered_once_later(aiohttp_server, scout, clock):
    connector = FlakyConnector()
    async with open_teams(aiohttp_server, scout, connector=connector) as teams:
        await teams.say("29:lee", "help", channel=None, mention=False)  # Lee's chat reference is kept
        await teams.say("29:dan", "flag they want help with tax planning")
        await connector.wait_for("reply", 2)
        renderers, senders = platforms({}, None, teams.teams.digests)
        run_weekly(scout, renderers)
        connector.down = 8  # more than every try of the first message's first attempt
        assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (1, 1)
        channel, chat = _outbox(scout)
        assert (channel.destination, channel.status, channel.attempts) == (f"channel:{ACME_CHANNEL}", "pending", 1)
        assert "ServiceUnavailable" in channel.last_error
        assert (chat.destination, chat.status) == ("user:29:lee", "sent")
        clock.advance(seconds=31)
        assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (1, 0)
        assert await asyncio.to_thread(drain, scout.db, senders, scout.now) == (0, 0)
    assert sorted(p.conversation for p in connector.of("send")) == sorted([ACME_CHANNEL, "a:personal-29:lee"])
    assert len(stored_leads(scout)) == 1
