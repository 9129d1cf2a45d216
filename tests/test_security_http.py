"""docs/security.md, row by row, over real HTTP on Slack and on Teams: the roles a row allows
succeed, the roles it refuses are refused and see nothing of the account (no remark, no name of
who flagged it, no button), and nothing changes in the store.

The firm (tests/firm.py): acme is led by Lee with Dan on its team; Olga leads globex and initech;
Maria is a manager; Tom is in `people` but on no team (the outsider); "nobody" is not in `people`
(the stranger). Leads: #1 on acme flagged by Dan, #2 on globex flagged by Olga, #3 on acme that
Tom flagged himself, #4 on initech flagged by Olga."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest

from bot.delivery import platforms
from bot.outbox import drain
from handlers.digest_run import run_monthly, run_weekly
from handlers.flag import flag
from store.leads import get_lead
from tests.conftest import ask
from tests.helpers.slack_http import BOT_TOKEN, open_slack
from tests.helpers.slack_limits import assert_every_call
from tests.helpers.teams_http import ACME_CHANNEL, open_teams

ACME_REMARK = "they want help with tax planning"  # lead 1, Dan's
GLOBEX_REMARK = "wants a pen test"  # lead 2, Olga's
TOM_REMARK = "asked about a security audit"  # lead 3, Tom's own flag on acme
INITECH_REMARK = "they keep asking about tax returns"  # lead 4, Olga's
STRANGER = "nobody"
INSIDERS = ("dan", "lee", "maria")  # may see and act on acme
OUTSIDERS = ("tom", "olga", STRANGER)  # may not


@pytest.fixture
def firm(scout):
    for person, line in (("dan", "acme " + ACME_REMARK), ("olga", "globex " + GLOBEX_REMARK),
                         ("tom", "acme " + TOM_REMARK), ("olga", "initech " + INITECH_REMARK)):
        assert flag(scout, ask(person, line)).kind == "ok"
    return scout


def _lead(scout, lead_id: int):
    with scout.db.session() as session:
        return get_lead(session, lead_id)


def _state(scout, lead_id: int) -> tuple:
    lead = _lead(scout, lead_id)
    return lead.stage, lead.snoozed_until, lead.client_fit, lead.estimated_value, lead.stage_reason


# -- one driver per platform ------------------------------------------------------------------


@dataclass
class SlackDriver:
    """Slash commands from a non-account channel, buttons, App Home and modals, as Slack sends them."""

    client: Any
    name: str = "slack"
    WATCHED = ("response_url:1", "views.open", "views.publish", "chat.postEphemeral", "chat.postMessage")

    @staticmethod
    def user(person: str) -> str:
        return "U" + person.upper()

    async def _next(self, start: int) -> str:
        fake = self.client.fake
        await fake.wait_until(lambda: any(c.method in self.WATCHED for c in fake.calls[start:]), "a reply")
        call = next(c for c in fake.calls[start:] if c.method in self.WATCHED)
        return f"{call.method} {json.dumps(call.params)}"

    async def command(self, person: str, line: str) -> str:
        start = len(self.client.fake.calls)
        word, _, rest = line.partition(" ")
        if word in ("flag", "pipeline"):
            await self.client.command(self.user(person), f"/{word}", rest)
            return await self._next(start)
        raise AssertionError(f"Slack has no /{word}")

    async def press(self, person: str, action: str, lead_id: int) -> str:
        start = len(self.client.fake.calls)
        await self.client.click(self.user(person), f"scout_{action}_{lead_id}", str(lead_id))
        return await self._next(start)

    async def save_qualify(self, person: str, lead_id: int) -> None:
        """A qualify modal submitted for the lead, as if the person had been shown one."""
        state = {"values": {"client_fit": {"value": {"type": "static_select", "selected_option": {"value": "High"}}},
                            "value": {"value": {"type": "plain_text_input", "value": "999k"}}}}
        view = {"id": "V1", "type": "modal", "callback_id": "scout_qualify_modal", "state": state,
                "private_metadata": json.dumps({"lead_id": lead_id})}
        resp = await self.client.interact({"type": "view_submission", "user": {"id": self.user(person)}, "view": view})
        assert resp.status == 200

    async def own_flags(self, person: str) -> str:
        """The App Home: "Leads you flagged" (and, for leads and managers, their accounts' leads)."""
        start = len(self.client.fake.calls)
        await self.client.event({"type": "app_home_opened", "user": self.user(person), "tab": "home"},
                                f"EvHome{start}")
        return await self._next(start)

    async def account_leads(self, person: str) -> str:
        return await self.own_flags(person)  # Slack shows a person's accounts' leads in the App Home

    async def chatter(self, person: str, text: str, n: int) -> None:
        await self.client.event({"type": "message", "channel": "CACME", "user": self.user(person),
                                 "ts": f"1700000100.{n:06d}", "text": text, "channel_type": "channel"}, f"EvChat{n}")

    def digest_env(self) -> tuple[dict, dict]:
        return platforms({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": self.client.fake.url + "api/"})

    def delivered(self) -> list[tuple[str, str]]:
        """(recipient, message) of every message posted: channel ids, or user ids for DMs."""
        return [(str(c.params.get("channel")), json.dumps(c.params)) for c in self.client.fake.calls
                if c.method in ("chat.postMessage", "chat.postEphemeral")]

    def recipient(self, where: str) -> str:
        return {"acme": "CACME", "globex": "CGLOBEX", "initech": "CINITECH"}.get(where) or self.user(where)

    async def prepare_digests(self, people: tuple[str, ...]) -> None:
        return  # Slack can post to any channel or DM at once


@dataclass
class TeamsDriver:
    """The same words in a personal chat with Scout, and Action.Submit values from cards."""

    client: Any
    name: str = "teams"

    @staticmethod
    def user(person: str) -> str:
        return f"29:{person}"

    async def _next(self, start: int) -> str:
        connector = self.client.connector

        async def wait() -> None:
            while len(connector.sent) <= start:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(wait(), 10)
        sent = connector.sent[start]
        return f"{sent.verb} {json.dumps(sent.body)}"

    async def command(self, person: str, line: str) -> str:
        start = len(self.client.connector.sent)
        await self.client.say(self.user(person), line, channel=None, mention=False)
        return await self._next(start)

    async def press(self, person: str, action: str, lead_id: int) -> str:
        start = len(self.client.connector.sent)
        await self.client.submit(self.user(person), {"scout": action, "lead": str(lead_id)}, reply_to="act-card",
                                 channel=None)
        return await self._next(start)

    async def save_qualify(self, person: str, lead_id: int) -> None:
        await self.client.submit(self.user(person), {"scout": "qualify_save", "lead": str(lead_id),
                                                     "client_fit": "High", "value": "999k"},
                                 reply_to="act-form", channel=None)

    async def own_flags(self, person: str) -> str:
        return await self.command(person, "leads mine")

    async def account_leads(self, person: str) -> str:
        return await self.command(person, "leads")

    async def chatter(self, person: str, text: str, n: int) -> None:
        await self.client.say(self.user(person), text, mention=False)

    def digest_env(self) -> tuple[dict, dict]:
        return platforms({}, None, self.client.teams.digests)

    def delivered(self) -> list[tuple[str, str]]:
        return [(s.conversation.split(";")[0], json.dumps(s.body)) for s in self.client.connector.of("send")]

    def recipient(self, where: str) -> str:
        return {"acme": ACME_CHANNEL}.get(where) or f"a:personal-29:{where}"

    async def prepare_digests(self, people: tuple[str, ...]) -> None:
        """Teams can only speak first where Scout has heard from someone (a stored reference)."""
        for person in people:
            await self.client.say(self.user(person), "help", channel=None, mention=False)
        await self.client.say("29:dan", "help")  # in the acme channel
        await self.client.connector.wait_for("reply", len(people) + 1)


@pytest.fixture(params=["slack", "teams"])
async def bot(request, aiohttp_server, firm):
    if request.param == "slack":
        async with open_slack(aiohttp_server, firm) as client:
            yield SlackDriver(client)
        assert_every_call(client.fake)  # whatever the test did, Slack would have taken every payload
    else:
        async with open_teams(aiohttp_server, firm) as client:
            yield TeamsDriver(client)


def assert_sees_nothing_of_acme(shown: str, *, own: str | None = None) -> None:
    """No acme remark but the person's own, no name of who flagged it, no button on an acme lead."""
    assert ACME_REMARK not in shown
    assert "Dan Delivery" not in shown
    if own is None:
        assert TOM_REMARK not in shown
    for action in ("qualify", "drop", "snooze"):
        for lead_id in (1, 3):
            assert f"scout_{action}_{lead_id}" not in shown  # a Slack button
            assert json.dumps({"scout": action, "lead": str(lead_id)})[1:-1] not in shown  # a Teams submit


def refused(shown: str) -> bool:
    return any(words in shown for words in ("don't know you", "only the Acme Corp account team",
                                            "can't find lead #", "nothing of yours to undo",
                                            "I don't know an account called"))


# -- flag ------------------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["tom", "dan", "lee", "maria", "olga"])
async def test_flag_anyone_in_people_may_flag_on_any_account(bot, firm, person):
    shown = await bot.command(person, "flag initech their CFO asked about an audit next year")
    assert "flagged on Initech" in shown or "Added to lead" in shown
    assert _lead(firm, 5).flagged_by == person


async def test_flag_an_outsider_adding_to_an_open_lead_sees_only_their_own_remark(bot, firm):
    shown = await bot.command("tom", "flag acme the CFO also mentioned tax planning to me")
    assert "Added to lead #1 on Acme Corp" in shown
    assert "the CFO also mentioned tax planning to me" in shown
    assert_sees_nothing_of_acme(shown, own=TOM_REMARK)


async def test_flag_a_stranger_is_refused_and_nothing_is_stored(bot, firm):
    shown = await bot.command(STRANGER, "flag acme they need an audit")
    assert "don't know you" in shown
    assert _lead(firm, 5) is None


# -- pipeline ----------------------------------------------------------------------------------


@pytest.mark.parametrize("person", INSIDERS)
async def test_pipeline_of_an_account_for_its_team_lead_and_managers(bot, firm, person):
    shown = await bot.command(person, "pipeline acme")
    assert "Pipeline: Acme Corp" in shown and ACME_REMARK in shown and TOM_REMARK in shown


@pytest.mark.parametrize("person", OUTSIDERS)
async def test_pipeline_of_an_account_is_refused_to_everyone_else(bot, firm, person):
    shown = await bot.command(person, "pipeline acme")
    assert refused(shown)
    assert_sees_nothing_of_acme(shown)


@pytest.mark.parametrize(("person", "accounts"), [
    ("maria", ["Acme Corp", "Globex", "Initech"]), ("olga", ["Globex", "Initech"]), ("lee", ["Acme Corp"]),
])
async def test_portfolio_shows_only_the_accounts_a_person_may_see(bot, firm, person, accounts):
    shown = await bot.command(person, "pipeline")
    assert "Your portfolio" in shown
    for name in ("Acme Corp", "Globex", "Initech"):
        assert (name in shown) == (name in accounts), name


@pytest.mark.parametrize("person", ["tom", STRANGER])
async def test_portfolio_for_someone_on_no_team_shows_no_account(bot, firm, person):
    shown = await bot.command(person, "pipeline")
    assert "not on any account team" in shown or "don't know you" in shown
    for name in ("Acme Corp", "Globex", "Initech"):
        assert name not in shown


# -- leads on your accounts and your own flags -------------------------------------------------


@pytest.mark.parametrize("person", ["lee", "maria"])
async def test_account_leads_are_listed_with_buttons_for_the_lead_and_managers(bot, firm, person):
    shown = await bot.account_leads(person)
    assert ACME_REMARK in shown
    assert "scout_qualify_1" in shown or '"scout": "qualify", "lead": "1"' in shown


@pytest.mark.parametrize("person", ["olga", "tom", STRANGER])
async def test_account_leads_never_show_another_accounts_leads(bot, firm, person):
    shown = await bot.account_leads(person)
    assert_sees_nothing_of_acme(shown, own=TOM_REMARK if person == "tom" else None)


async def test_own_flags_show_their_fate_but_nothing_of_the_teams_work(bot, firm):
    # the team works on Tom's lead: services, a value, a stage
    from handlers import decide

    decide.qualify(firm, ask("lee"), 3, {"client_fit": "High"}, 250_000.0, "proposed")
    shown = await bot.own_flags("tom")
    assert TOM_REMARK in shown and "proposed" in shown
    assert "$250K" not in shown and "Lee Lead" not in shown
    assert_sees_nothing_of_acme(shown, own=TOM_REMARK)


async def test_own_flags_for_a_stranger_are_refused(bot, firm):
    shown = await bot.own_flags(STRANGER)
    assert "don't know you" in shown
    assert_sees_nothing_of_acme(shown)


# -- acting on a lead ----------------------------------------------------------------------------


@pytest.mark.parametrize("person", INSIDERS)
async def test_drop_by_the_team_lead_or_a_manager(bot, firm, person):
    shown = await bot.press(person, "drop", 1)
    assert "dropped by" in shown
    assert _lead(firm, 1).stage == "dropped"


@pytest.mark.parametrize("person", INSIDERS)
async def test_snooze_by_the_team_lead_or_a_manager(bot, firm, person):
    shown = await bot.press(person, "snooze", 1)
    assert "snoozed by" in shown
    assert _lead(firm, 1).snoozed_until is not None


@pytest.mark.parametrize("person", INSIDERS)
async def test_qualify_opens_the_form_for_the_team_lead_or_a_manager(bot, firm, person):
    shown = await bot.press(person, "qualify", 1)
    assert "client_fit" in shown
    await bot.save_qualify(person, 1)
    await _until(lambda: _lead(firm, 1).client_fit == "High")
    assert _lead(firm, 1).estimated_value == 999_000.0


@pytest.mark.parametrize("action", ["drop", "snooze", "qualify", "revive", "undo"])
@pytest.mark.parametrize("person", OUTSIDERS)
async def test_acting_on_an_acme_lead_is_refused_to_everyone_else(bot, firm, person, action):
    before = _state(firm, 1), _state(firm, 3)
    shown = await bot.press(person, action, 1)
    assert refused(shown)
    assert "client_fit" not in shown  # no qualify form
    assert_sees_nothing_of_acme(shown)
    await asyncio.sleep(0.05)
    assert (_state(firm, 1), _state(firm, 3)) == before


@pytest.mark.parametrize("person", OUTSIDERS)
async def test_a_forged_qualify_submission_changes_nothing(bot, firm, person):
    before = _state(firm, 1)
    await bot.save_qualify(person, 1)
    await asyncio.sleep(0.1)
    assert _state(firm, 1) == before


# -- undo ------------------------------------------------------------------------------------------


async def test_undo_is_your_own_last_change_only(bot, firm):
    await bot.press("lee", "drop", 1)
    shown = await bot.press("maria", "undo", 1)
    assert "nothing of yours to undo" in shown
    assert _lead(firm, 1).stage == "dropped"
    shown = await bot.press("lee", "undo", 1)
    assert "Back to identified" in shown
    assert _lead(firm, 1).stage == "identified"


async def test_an_outsider_may_withdraw_their_own_flag_and_sees_nothing_else(bot, firm):
    shown = await bot.press("tom", "undo", 3)
    assert "Your flag was withdrawn" in shown and TOM_REMARK in shown
    assert _lead(firm, 3).stage == "dropped"
    assert_sees_nothing_of_acme(shown, own=TOM_REMARK)


async def test_an_outsider_cannot_withdraw_over_the_teams_work_nor_learn_who_did_it(bot, firm):
    from handlers import decide

    decide.set_services(firm, ask("lee"), 3, ["audit", "tax_planning"])
    shown = await bot.press("tom", "undo", 3)
    assert "The account team changed lead #3 after you" in shown
    assert "Tax planning" not in shown and "Lee Lead" not in shown
    assert _lead(firm, 3).stage == "identified"
    assert_sees_nothing_of_acme(shown, own=TOM_REMARK)


# -- digests ---------------------------------------------------------------------------------------


async def test_the_weekly_digest_goes_to_the_account_channel_and_its_lead_only(bot, firm):
    await bot.prepare_digests(("lee", "olga", "maria", "tom"))
    renderers, senders = bot.digest_env()
    run_weekly(firm, renderers)
    await asyncio.to_thread(drain, firm.db, senders, firm.now)
    with_acme = {to for to, message in bot.delivered() if ACME_REMARK in message}
    assert with_acme == {bot.recipient("acme"), bot.recipient("lee")}
    with_globex = {to for to, message in bot.delivered() if GLOBEX_REMARK in message}
    assert bot.recipient("tom") not in with_globex and bot.recipient("maria") not in with_globex
    assert all(ACME_REMARK not in message for to, message in bot.delivered() if to == bot.recipient("olga"))


async def test_the_monthly_report_goes_to_managers_only_and_leaves_private_accounts_out(bot, firm, config, clock):
    initech = config.account("initech").model_copy(update={"private": True})
    firm.config = config.model_copy(update={"accounts": [config.accounts[0], config.accounts[1], initech]})
    with firm.db.session() as session:  # stale leads are listed with their remark in the report
        for lead_id in (1, 2, 4):
            lead = get_lead(session, lead_id)
            lead.nudges = 5
            session.add(lead)
    await bot.prepare_digests(("lee", "olga", "maria", "tom"))
    clock.advance(days=15)  # into December: November's report is due on its first working day
    renderers, senders = bot.digest_env()
    report = run_monthly(firm, renderers, grace=False)
    assert report.queued
    await asyncio.to_thread(drain, firm.db, senders, firm.now)
    delivered = bot.delivered()
    assert {to for to, _ in delivered} == {bot.recipient("maria")}
    (message,) = [m for _, m in delivered]
    assert "Monthly cross-sell report" in message and "Acme Corp" in message
    assert "Initech" not in message and INITECH_REMARK not in message


# -- private accounts -------------------------------------------------------------------------------


@pytest.fixture
def private_acme(firm, config):
    acme = config.account("acme").model_copy(update={"private": True})
    firm.config = config.model_copy(update={"accounts": [acme, *config.accounts[1:]]})
    return firm


@pytest.mark.parametrize(("person", "allowed"), [("lee", True), ("dan", True), ("maria", False), ("tom", False)])
async def test_a_private_account_is_its_teams_alone(bot, private_acme, person, allowed):
    shown = await bot.command(person, "pipeline acme")
    assert (ACME_REMARK in shown) == allowed
    if not allowed:  # as if there were no such account: its name and lead are confidential too
        assert "I don't know an account called" in shown
        assert "Acme Corp" not in shown and "Lee Lead" not in shown
        assert_sees_nothing_of_acme(shown)
    portfolio = await bot.command(person, "pipeline")
    assert ("Acme Corp" in portfolio) == allowed
    pressed = await bot.press(person, "snooze", 1)
    assert refused(pressed) != allowed
    assert (_lead(private_acme, 1).snoozed_until is not None) == allowed


@pytest.mark.parametrize("private", [False, True])
async def test_escalations_reach_managers_but_never_for_a_private_account_they_are_not_on(bot, firm, config,
                                                                                          private):
    acme = config.account("acme").model_copy(update={"private": private})
    firm.config = config.model_copy(update={"accounts": [acme, *config.accounts[1:]]})
    with firm.db.session() as session:  # lead 1 sat through three digests: this one escalates it
        lead = get_lead(session, 1)
        lead.nudges = firm.config.digests.weekly.escalate_after - 1
        session.add(lead)
    await bot.prepare_digests(("lee", "olga", "maria"))
    renderers, senders = bot.digest_env()
    run_weekly(firm, renderers)
    await asyncio.to_thread(drain, firm.db, senders, firm.now)
    to_maria = [message for to, message in bot.delivered() if to == bot.recipient("maria")]
    if private:
        assert to_maria == []
    else:
        (escalation,) = to_maria
        assert "Undecided leads on Acme Corp" in escalation and ACME_REMARK in escalation
    assert any(to == bot.recipient("lee") and ACME_REMARK in message for to, message in bot.delivered())


@pytest.mark.parametrize(("person", "suggested"), [("dan", True), ("maria", False), ("tom", False)])
async def test_a_private_account_is_suggested_only_to_its_team(bot, private_acme, person, suggested):
    shown = await bot.command(person, "pipeline acmee")
    assert "I don't know an account called" in shown
    assert ("Acme Corp" in shown) == suggested


# -- monitored channels ----------------------------------------------------------------------------


async def test_a_suggestion_goes_to_the_author_alone_and_strangers_get_nothing(bot, firm):
    if bot.name == "teams":
        await bot.command("dan", "help")  # Dan has a chat with Scout, where Teams offers it
    start = len(bot.delivered())
    await bot.chatter(STRANGER, "honestly they keep asking who could handle their tax planning next year", 1)
    await bot.chatter("dan", "honestly they keep asking who could handle their tax planning next year", 2)
    await _until(lambda: len(bot.delivered()) > start)
    await asyncio.sleep(0.1)
    offers = bot.delivered()[start:]
    assert len(offers) == 1
    to, message = offers[0]
    assert "Flag it" in message
    if bot.name == "slack":
        assert json.loads(message)["user"] == "UDAN" and to == "CACME"  # postEphemeral: Dan alone sees it
    else:
        assert to == "a:personal-29:dan"


async def _until(ready, timeout: float = 10.0) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ready():
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


# -- the Slack message shortcut --------------------------------------------------------------------------


async def _shortcut(client, user: str) -> None:
    await client.interact({
        "type": "message_action", "callback_id": "flag_as_lead", "user": {"id": user}, "trigger_id": "trig.3",
        "channel": {"id": "CACME"}, "response_url": client.response_url,
        "message": {"ts": "1700000000.000500", "text": "their books are a mess", "user": "UCLIENT"},
        "message_ts": "1700000000.000500",
    })


async def test_a_stranger_using_flag_as_lead_sees_no_account_and_no_guess(aiohttp_server, firm):
    async with open_slack(aiohttp_server, firm) as client:
        await _shortcut(client, "UNOBODY")
        (refusal,) = await client.fake.wait_for("chat.postEphemeral")
    shown = json.dumps(refusal.params)
    assert "don't know you" in shown
    assert client.fake.named("views.open") == []
    for secret in ("Acme Corp", "Globex", "Initech", "Outsourced accounting"):
        assert secret not in shown


@pytest.mark.parametrize(("person", "listed"), [("UTOM", False), ("UMARIA", False), ("UDAN", True)])
async def test_flag_as_lead_lists_a_private_account_only_to_its_team(aiohttp_server, private_acme, person, listed):
    async with open_slack(aiohttp_server, private_acme) as client:
        await _shortcut(client, person)
        (opened,) = await client.fake.wait_for("views.open")
    accounts = [o["value"] for o in opened.params["view"]["blocks"][0]["element"]["options"]]
    assert ("acme" in accounts) == listed and "globex" in accounts
