"""Teams end to end: the real aiohttp server on loopback, activities shaped like Teams' posted to
/api/messages, and a fake Bot Connector on loopback (the activities' serviceUrl) recording every
reply, proactive message and update."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
from aiohttp import ClientSession

from bot.delivery import platforms
from bot.outbox import drain
from bot.server import build_web_app
from bot.settings import TeamsSettings, teams_settings
from bot.teams_app import Teams
from handlers.digest_run import run_weekly
from tests.conftest import stored_leads
from tests.fakes.bot_connector import FakeConnector
from tests.helpers.teams_http import ACME_CHANNEL, BOT, TeamsClient


def _texts(card: dict) -> str:
    return json.dumps(card)


def _submits(card: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def _titles(card: dict) -> list[str]:
    return [action["title"] for action in _submits(card)]


def _datas(card: dict) -> list[dict]:
    return [action.get("data") or {} for action in _submits(card)]






async def test_flag_by_mention_in_the_account_channel_replies_with_a_card(teams, scout):
    await teams.say("29:dan", "flag they want help with tax planning")
    (reply,) = await teams.connector.wait_for("reply")
    assert reply.conversation.startswith(ACME_CHANNEL)
    card = reply.card
    assert card["type"] == "AdaptiveCard"
    assert "Tax planning" in _texts(card)
    assert "Undo" in _titles(card)
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.text, lead.flagged_by, lead.source) == (
        "acme", "they want help with tax planning", "dan", "teams")


async def test_pipeline_in_a_personal_chat_without_a_mention(teams):
    await teams.say("29:lee", "pipeline acme", channel=None, mention=False)
    (reply,) = await teams.connector.wait_for("reply")
    assert "Pipeline: Acme Corp" in _texts(reply.card)


async def test_someone_off_the_team_is_refused_and_sees_no_lead(teams, scout):
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.connector.wait_for("reply")
    await teams.say("29:tom", "pipeline acme", channel=None, mention=False)
    refusal = (await teams.connector.wait_for("reply", 2))[1]
    assert "tax planning" not in _texts(refusal.card)
    assert "Acme" in _texts(refusal.card)


async def test_a_resent_activity_is_acted_on_once(teams, scout):
    activity = teams.activity("29:dan", "flag they want help with tax planning")
    for _ in range(2):
        response = await teams.post(activity)
        assert response.status in (200, 201)
    await teams.connector.wait_for("reply")
    await asyncio.sleep(0.05)
    assert len(teams.connector.of("reply")) == 1
    assert len(stored_leads(scout)) == 1


async def test_drop_submit_updates_the_card_in_place_and_offers_a_reason(teams, scout):
    await teams.say("29:dan", "flag they want help with tax planning")
    (reply,) = await teams.connector.wait_for("reply")
    await teams.submit("29:lee", {"scout": "drop", "lead": "1"}, reply_to="act-1")
    (update,) = await teams.connector.wait_for("update")
    assert update.activity_id == "act-1"
    assert "dropped by Lee Lead" in _texts(update.card)
    assert "reason" in _texts(update.card) and "Undo" in _titles(update.card)
    assert stored_leads(scout)[0].stage == "dropped"
    await teams.submit("29:lee", {"scout": "dropreason", "lead": "1", "reason": "Client declined"}, reply_to="act-1")
    await teams.connector.wait_for("update", 2)
    assert stored_leads(scout)[0].stage_reason == "Client declined"


async def test_a_submit_from_someone_off_the_team_is_refused_and_changes_nothing(teams, scout):
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.connector.wait_for("reply")
    await teams.submit("29:tom", {"scout": "drop", "lead": "1"}, reply_to="act-1")
    refusal = (await teams.connector.wait_for("reply", 2))[1]
    assert "Qualify" not in _titles(refusal.card)
    assert teams.connector.of("update") == []
    assert stored_leads(scout)[0].stage == "identified"


async def test_qualify_sends_a_form_and_saving_it_qualifies(teams, scout):
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.connector.wait_for("reply")
    await teams.submit("29:lee", {"scout": "qualify", "lead": "1"}, reply_to="act-1")
    form = (await teams.connector.wait_for("reply", 2))[1]
    assert "client_fit" in _texts(form.card) and "Save" in _titles(form.card)
    await teams.submit("29:lee", {"scout": "qualify_save", "lead": "1", "client_fit": "High",
                                  "service_applicability": "Medium", "internal_capability": "High",
                                  "competitive_position": "Low", "value": "120k", "stage": "qualified"},
                       reply_to="act-2")
    (update,) = await teams.connector.wait_for("update")
    assert update.activity_id == "act-2"
    (lead,) = stored_leads(scout)
    assert (lead.stage, lead.client_fit, lead.estimated_value) == ("qualified", "High", 120000.0)


async def test_user_text_is_escaped_in_cards(teams):
    await teams.say("29:dan", "flag they want tax planning <at>Everyone</at> **now** [x](http://evil)")
    (reply,) = await teams.connector.wait_for("reply")
    text = _texts(reply.card)
    assert "<at>Everyone</at>" not in text and "[x](http://evil)" not in text


async def test_auto_monitoring_in_a_channel_without_a_mention(teams, scout, config):
    globex = config.account("globex").model_copy(update={"teams_channel": "19:globex@thread.tacv2"})
    scout.config = config.model_copy(update={"accounts": [config.accounts[0], globex, config.accounts[2]]})
    await teams.say("29:olga", "honestly they really need a proper pen test before the audit",
                    channel="19:globex@thread.tacv2", mention=False)
    (reply,) = await teams.connector.wait_for("reply")
    assert [lead.account for lead in stored_leads(scout)] == ["globex"]
    await teams.say("29:olga", "lunch is at noon today folks", channel="19:globex@thread.tacv2", mention=False)
    await asyncio.sleep(0.1)
    assert len(teams.connector.of("reply")) == 1


async def test_suggest_monitoring_offers_privately_in_the_authors_chat(teams, scout):
    await teams.say("29:dan", "help", channel=None, mention=False)  # Dan has a chat with Scout
    await teams.connector.wait_for("reply")
    await teams.say("29:dan", "honestly they keep asking who could handle their tax planning next year",
                    mention=False)
    (offer,) = await teams.connector.wait_for("send")
    assert offer.conversation == "a:personal-29:dan"
    assert _titles(offer.card) == ["Flag it", "Not a lead"]
    assert stored_leads(scout) == []
    flag_it = next(d for d in _datas(offer.card) if d["scout"] == "flag_message")
    await teams.submit("29:dan", flag_it, reply_to="act-2", channel=None)
    await teams.connector.wait_for("update")
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.text) == ("acme", "honestly they keep asking who could handle their tax planning next year")


async def test_weekly_digest_reaches_the_channel_and_the_leads_chat_proactively(teams, scout):
    await teams.say("29:lee", "help", channel=None, mention=False)  # Lee's chat reference is kept
    await teams.say("29:dan", "flag they want help with tax planning")  # and the channel's
    await teams.connector.wait_for("reply", 2)
    renderers, senders = platforms({}, None, teams.teams.digests)
    run_weekly(scout, renderers)
    sent, failed = await asyncio.to_thread(drain, scout.db, senders, scout.now)
    assert (sent, failed) == (2, 0)
    posts = teams.connector.of("send")
    assert [p.conversation for p in posts] == [ACME_CHANNEL, "a:personal-29:lee"]
    assert "Weekly cross-sell digest: Acme Corp" in _texts(posts[0].card)
    assert _titles(posts[0].card)[:3] == ["Qualify", "Drop", "Snooze"]


async def test_a_digest_button_updates_that_card_and_the_other_copy(teams, scout):
    await teams.say("29:lee", "help", channel=None, mention=False)
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.connector.wait_for("reply", 2)
    renderers, senders = platforms({}, None, teams.teams.digests)
    run_weekly(scout, renderers)
    await asyncio.to_thread(drain, scout.db, senders, scout.now)
    channel_copy, dm_copy = teams.connector.of("send")
    assert (channel_copy.conversation, dm_copy.conversation) == (ACME_CHANNEL, "a:personal-29:lee")
    await teams.submit("29:lee", {"scout": "snooze", "lead": "1"}, reply_to="act-4", channel=None)
    updates = await teams.connector.wait_for("update", 2)
    assert sorted((u.conversation, u.activity_id) for u in updates) == [
        (ACME_CHANNEL, "act-3"), ("a:personal-29:lee", "act-4")]
    assert all("snoozed by Lee Lead" in _texts(u.card) for u in updates)


async def test_throttled_connector_is_retried_and_the_reply_arrives(teams):
    teams.connector.throttle = 2
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.connector.wait_for("reply")
    assert teams.connector.throttled == 2


async def test_a_person_scout_cannot_reach_yet_is_logged_not_lost(teams, scout, caplog):
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.connector.wait_for("reply")
    renderers, senders = platforms({}, None, teams.teams.digests)
    run_weekly(scout, renderers)
    sent, failed = await asyncio.to_thread(drain, scout.db, senders, scout.now)
    assert (sent, failed) == (1, 1)  # the channel got it; Lee never opened a chat with Scout
    assert "cannot reach 29:lee on Teams yet" in caplog.text


async def test_malformed_activity_is_a_4xx(teams):
    response = await teams.http.post(teams.base + "/api/messages", data="{not json",
                                     headers={"Content-Type": "application/json"})
    assert 400 <= response.status < 500
    response = await teams.http.post(teams.base + "/api/messages", data="hello",
                                     headers={"Content-Type": "text/plain"})
    assert response.status == 415


async def test_with_an_app_id_missing_or_forged_tokens_get_401(aiohttp_server, scout):
    connector = FakeConnector()
    fake = await aiohttp_server(connector.app())
    connector.url = str(fake.make_url("/"))
    teams = Teams(scout, TeamsSettings(APP_ID="11111111-1111-1111-1111-111111111111", APP_PASSWORD="secret",
                                       TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=connector.url + "openid"))
    server = await aiohttp_server(build_web_app(scout, None, [teams], [teams.add_route]))
    async with ClientSession() as http:
        client = TeamsClient(connector, str(server.make_url("")).rstrip("/"), http, teams)
        activity = client.activity("29:dan", "flag they want help with tax planning")
        missing = await client.post(activity)
        forged = await client.post(activity, {"Authorization": "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ."
                                                                "eyJpc3MiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0.c2ln"})
    assert (missing.status, forged.status) == (401, 401)
    assert connector.sent == [] and stored_leads(scout) == []


def test_settings_refuse_anonymous_teams_in_production():
    from bot.app import SetupError

    with pytest.raises(SetupError, match="MICROSOFT_APP_ID is not set"):
        teams_settings({"SCOUT_ENV": "production"})
    assert teams_settings({"SCOUT_ENV": "production", "SCOUT_TEAMS": "off"}) is None
    assert teams_settings({}).anonymous is True
    with pytest.raises(SetupError, match="MICROSOFT_APP_PASSWORD is missing"):
        teams_settings({"MICROSOFT_APP_ID": "abc"})


def test_teams_package_holds_the_manifest_with_the_app_id_and_both_icons(tmp_path):
    import zipfile

    from bot.cli import main

    out = tmp_path / "scout.zip"
    assert main(["teams-package", "--app-id", "11111111-2222-3333-4444-555555555555", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert package.read("color.png").startswith(b"\x89PNG")
    assert manifest["id"] == manifest["bots"][0]["botId"] == "11111111-2222-3333-4444-555555555555"
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in (
        manifest["authorization"]["permissions"]["resourceSpecific"])


def test_teams_package_needs_a_real_app_id(tmp_path, capsys):
    from bot.cli import main

    assert main(["teams-package", "--app-id", "scout", "--out", str(tmp_path / "x.zip")]) == 2
    assert "must be the bot's Microsoft App ID" in capsys.readouterr().err


async def test_install_in_the_account_team_says_hello_and_lets_digests_reach_the_channel(teams, scout):
    await teams.say("29:dan", "flag acme they want help with tax planning", channel=None, mention=False)
    added = {"type": "conversationUpdate", "id": "f:install-1", "channelId": "msteams",
             "serviceUrl": teams.connector.url, "from": {"id": "29:lee"}, "recipient": BOT,
             "membersAdded": [BOT], "conversation": {"id": ACME_CHANNEL, "conversationType": "channel",
                                                     "isGroup": True, "tenantId": "t1"},
             "channelData": {"eventType": "teamMemberAdded", "team": {"id": ACME_CHANNEL},
                             "channel": {"id": ACME_CHANNEL}, "tenant": {"id": "t1"}}}
    response = await teams.post(added)
    assert response.status in (200, 201)
    await teams.connector.wait_for("reply")
    (hello,) = [s for s in teams.connector.sent if s.conversation == ACME_CHANNEL]
    assert "flag" in _texts(hello.card)
    renderers, senders = platforms({}, None, teams.teams.digests)
    run_weekly(scout, renderers)
    await asyncio.to_thread(drain, scout.db, senders, scout.now)
    hello_again, digest = [s for s in teams.connector.of("send") if s.conversation == ACME_CHANNEL]
    assert hello_again is hello
    assert "Weekly cross-sell digest: Acme Corp" in _texts(digest.card)
    assert "they want help with tax planning" in _texts(digest.card)


async def test_someone_else_joining_the_team_gets_no_hello(teams):
    joined = teams.activity("29:lee", "", mention=False, membersAdded=[{"id": "29:newcomer"}])
    joined["type"] = "conversationUpdate"
    response = await teams.post(joined)
    assert response.status in (200, 201)
    await asyncio.sleep(0.05)
    assert teams.connector.sent == []


async def test_leads_and_help_by_mention_in_a_channel(teams):
    await teams.say("29:dan", "flag they want help with tax planning")
    await teams.say("29:lee", "leads")
    await teams.say("29:lee", "help")
    _, leads, help_card = await teams.connector.wait_for("reply", 3)
    assert "they want help with tax planning" in _texts(leads.card)
    assert _titles(leads.card)[:3] == ["Qualify", "Drop", "Snooze"]
    assert "/flag" in _texts(help_card.card) or "flag" in _texts(help_card.card)
    assert "they want help with tax planning" not in _texts(help_card.card)


async def test_sends_to_one_conversation_are_paced_and_other_conversations_are_not_held():
    from bot.teams_delivery import Pacer

    pacer = Pacer(per_second=20, app_per_second=1000)
    loop = asyncio.get_running_loop()
    times = []
    for _ in range(6):
        await pacer.wait("19:acme@thread.tacv2;messageid=1")
        times.append(loop.time())
    before_other = loop.time()
    await pacer.wait("a:personal-29:lee")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 20 * 0.9  # never faster than 20/s in one conversation
    assert loop.time() - before_other < 1 / 20  # another conversation waits for nobody


def test_one_endpoint_override_fills_the_others_from_the_public_cloud():
    settings = teams_settings({"MICROSOFT_APP_ID": "11111111-1111-1111-1111-111111111111",
                               "MICROSOFT_APP_PASSWORD": "pw", "MICROSOFT_APP_TENANT_ID": "contoso.example",
                               "MICROSOFT_OPENID_METADATA_URL": "http://127.0.0.1:9/openid"})
    assert settings.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL == "http://127.0.0.1:9/openid"
    assert settings.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER == "https://api.botframework.com"
    assert settings.TO_CHANNEL_FROM_BOT_LOGIN_URL == "https://login.microsoftonline.com/contoso.example"
    assert settings.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE == "https://api.botframework.com"
    assert teams_settings({}).TO_BOT_FROM_CHANNEL_TOKEN_ISSUER is None  # botbuilder's public cloud as is
