"""Slack end to end: the real aiohttp server on loopback, signed requests shaped like Slack's,
and a fake Slack Web API on loopback that records every call."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from urllib.parse import urlencode

import pytest

from bot.settings import SlackSettings
from bot.slack_app import build_slack_app
from tests.conftest import stored_leads
from tests.fakes.slack_api import FakeSlack
from tests.helpers.slack_http import SECRET


def _texts(blocks: list[dict]) -> str:
    return json.dumps(blocks)


async def test_flag_command_acks_then_replies_ephemerally_and_stores_the_lead(slack, scout):
    resp = await slack.command("UDAN", "/flag", "acme they want help with tax planning next year")
    assert resp.status == 200
    (reply,) = await slack.fake.wait_for("response_url:1")
    assert reply.params["response_type"] == "ephemeral"
    assert "Lead #1 flagged on Acme Corp" in reply.params["text"]
    assert '"Change services"' in _texts(reply.params["blocks"])
    (lead,) = stored_leads(scout)
    assert (lead.account, lead.flagged_by, lead.services) == ("acme", "dan", ["tax_planning"])


async def test_user_text_is_escaped_so_nobody_is_pinged(slack):
    await slack.command("UDAN", "/flag", "acme <!channel> <@ULEE> they want tax planning & more")
    (reply,) = await slack.fake.wait_for("response_url:1")
    dumped = _texts(reply.params["blocks"])
    assert "<!channel>" not in dumped and "<@ULEE>" not in dumped
    assert "&lt;!channel&gt;" in dumped
    assert "&amp; more" in dumped


@pytest.mark.parametrize("case", ["missing", "forged", "stale"])
async def test_unsigned_forged_or_stale_requests_get_401_and_do_nothing(slack, scout, case):
    form = urlencode({"command": "/flag", "text": "acme they need an audit", "user_id": "UDAN",
                      "response_url": slack.response_url})
    kw = {"missing": {"signed": False}, "forged": {"secret": "wrong"},
          "stale": {"ts": str(int(time.time()) - 6 * 60)}}[case]
    resp = await slack.post(form, "application/x-www-form-urlencoded", **kw)
    assert resp.status == 401
    assert stored_leads(scout) == []


async def test_pipeline_is_refused_for_someone_off_the_team(slack):
    await slack.command("UTOM", "/pipeline", "acme")
    (reply,) = await slack.fake.wait_for("response_url:1")
    assert "only the Acme Corp account team" in _texts(reply.params["blocks"])


async def test_monitoring_suggests_privately_and_a_retried_event_is_ignored(slack, scout):
    message = {"type": "message", "channel": "CACME", "user": "UDAN", "ts": "1700000000.000100",
               "text": "they are frustrated with their payroll provider", "channel_type": "channel"}
    assert (await slack.event(message, "EvA")).status == 200
    (suggestion,) = await slack.fake.wait_for("chat.postEphemeral")
    assert (suggestion.params["channel"], suggestion.params["user"]) == ("CACME", "UDAN")
    assert '"Flag it"' in _texts(suggestion.params["blocks"])
    await slack.event(message, "EvA")  # Slack's retry of the same event
    await slack.event({**message, "text": "lunch is here, thai again", "ts": "1700000000.000200"}, "EvB")
    await slack.fake.wait_for("auth.test")
    assert len(slack.fake.named("chat.postEphemeral")) == 1
    assert stored_leads(scout) == []


async def test_flag_it_button_captures_the_message_with_its_permalink(slack, scout):
    slack.fake.history[("CACME", "1700000000.000100")] = "they are frustrated with their payroll provider"
    await slack.click("UDAN", "scout_flag_message_1700000000.000100", "1700000000.000100")
    (update,) = await slack.fake.wait_for("response_url:1")
    assert update.params["replace_original"] is True
    (lead,) = stored_leads(scout)
    assert lead.source == "channel"
    assert lead.permalink == "https://test.slack.com/archives/CACME/p1700000000000100"


async def test_auto_monitoring_captures_reacts_and_never_twice(slack, scout):
    message = {"type": "message", "channel": "CGLOBEX", "user": "UOLGA", "ts": "1700000000.000300",
               "text": "they want a managed security service for the firewall alerts", "channel_type": "channel"}
    await slack.event(message, "EvC")
    (reaction,) = await slack.fake.wait_for("reactions.add")
    assert reaction.params["timestamp"] == "1700000000.000300"
    await slack.fake.wait_for("chat.postEphemeral")
    await slack.event(message, "EvC")
    await slack.event(message, "EvC")
    (lead,) = stored_leads(scout)
    assert lead.permalink.endswith("/p1700000000000300")


async def test_drop_button_updates_the_message_in_place_with_a_reason_picker(slack, scout):
    await slack.command("UDAN", "/flag", "acme they want help with tax planning")
    await slack.fake.wait_for("response_url:1")
    await slack.click("ULEE", "scout_drop_1", "1")
    update = (await slack.fake.wait_for("response_url:1", 2))[1]
    assert update.params["replace_original"] is True
    assert "Lead #1 dropped by Lee Lead" in update.params["text"]
    assert "scout_dropreason_1" in _texts(update.params["blocks"])
    assert stored_leads(scout)[0].stage == "dropped"


async def test_button_from_someone_off_the_team_is_refused_and_changes_nothing(slack, scout):
    await slack.command("UDAN", "/flag", "acme they want help with tax planning")
    await slack.fake.wait_for("response_url:1")
    await slack.click("UTOM", "scout_drop_1", "1")
    refusal = (await slack.fake.wait_for("response_url:1", 2))[1]
    assert refusal.params["replace_original"] is False
    assert refusal.params["response_type"] == "ephemeral"
    assert stored_leads(scout)[0].stage == "identified"


async def test_qualify_opens_a_modal_and_the_submission_qualifies(slack, scout):
    await slack.command("UDAN", "/flag", "acme they want help with tax planning")
    await slack.fake.wait_for("response_url:1")
    await slack.click("ULEE", "scout_qualify_1", "1")
    (opened,) = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "scout_qualify_modal"
    state = {"values": {
        "client_fit": {"value": {"type": "static_select", "selected_option": {"value": "High"}}},
        "service_applicability": {"value": {"type": "static_select", "selected_option": {"value": "Medium"}}},
        "internal_capability": {"value": {"type": "static_select", "selected_option": {"value": "High"}}},
        "competitive_position": {"value": {"type": "static_select", "selected_option": {"value": "Low"}}},
        "value": {"value": {"type": "plain_text_input", "value": "120k"}},
        "stage": {"value": {"type": "static_select", "selected_option": {"value": "qualified"}}},
    }}
    resp = await slack.interact({"type": "view_submission", "user": {"id": "ULEE"},
                                 "view": {**view, "id": "V1", "state": state}})
    assert resp.status == 200
    await slack.fake.wait_for("response_url:1", 2)
    (lead,) = stored_leads(scout)
    assert (lead.stage, lead.client_fit, lead.competitive_position, lead.estimated_value) == (
        "qualified", "High", "Low", 120000.0)


async def test_message_shortcut_flags_with_a_link_back(slack, scout):
    await slack.interact({
        "type": "message_action", "callback_id": "flag_as_lead", "user": {"id": "UTOM"},
        "trigger_id": "trig.3", "channel": {"id": "CACME"}, "response_url": slack.response_url,
        "message": {"ts": "1700000000.000500", "text": "their books are a mess", "user": "UCLIENT"},
        "message_ts": "1700000000.000500",
    })
    (opened,) = await slack.fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "scout_flag_modal"
    assert "Outsourced accounting" in _texts(view["blocks"])
    state = {"values": {
        "account": {"value": {"type": "static_select", "selected_option": {"value": "acme"}}},
        "remark": {"value": {"type": "plain_text_input", "value": "their books are a mess"}},
    }}
    await slack.interact({"type": "view_submission", "user": {"id": "UTOM"}, "view": {**view, "state": state}})
    await slack.fake.wait_for("chat.postEphemeral")
    (lead,) = stored_leads(scout)
    assert (lead.source, lead.flagged_by) == ("shortcut", "tom")
    assert lead.permalink.endswith("/p1700000000000500")


async def test_app_home_shows_my_flags(slack):
    await slack.command("UDAN", "/flag", "acme they want help with tax planning")
    await slack.fake.wait_for("response_url:1")
    await slack.event({"type": "app_home_opened", "user": "UDAN", "tab": "home"}, "EvH")
    (published,) = await slack.fake.wait_for("views.publish")
    assert published.params["user_id"] == "UDAN"
    assert "Leads you flagged" in _texts(published.params["view"]["blocks"])


async def test_rate_limited_reply_is_retried_after_retry_after(slack):
    slack.fake.throttle["chat.postEphemeral"] = 1
    message = {"type": "message", "channel": "CACME", "user": "UDAN", "ts": "1700000000.000100",
               "text": "they are frustrated with their payroll provider", "channel_type": "channel"}
    await slack.event(message, "EvR")
    await slack.fake.wait_for("chat.postEphemeral", timeout=15)
    assert [c.method for c in slack.fake.calls if c.method.startswith("chat.postEphemeral")] == [
        "chat.postEphemeral:429", "chat.postEphemeral"]


async def test_healthz(slack):
    resp = await slack.http.get(slack.base + "/healthz")
    assert resp.status == 200
    assert (await resp.json())["ok"] is True


async def test_garbage_body_is_a_4xx(slack):
    resp = await slack.post("payload=%7Bnot-json", "application/x-www-form-urlencoded")
    assert 400 <= resp.status < 500


def test_manifest_asks_for_least_privilege_and_points_everything_at_one_url():
    from pathlib import Path

    import yaml

    manifest = yaml.safe_load((Path(__file__).resolve().parent.parent / "docs/slack-manifest.yaml").read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        ["commands", "chat:write", "channels:history", "groups:history", "reactions:write"])
    commands = {c["command"]: c["url"] for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/flag", "/pipeline"}
    urls = {*commands.values(), manifest["settings"]["interactivity"]["request_url"],
            manifest["settings"]["event_subscriptions"]["request_url"]}
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    assert manifest["features"]["shortcuts"][0]["callback_id"] == "flag_as_lead"


async def test_a_permanent_api_error_is_logged_and_the_lead_kept(slack, scout, caplog):
    slack.fake.failing["chat.postEphemeral"] = "channel_not_found"
    message = {"type": "message", "channel": "CGLOBEX", "user": "UOLGA", "ts": "1700000000.000400",
               "text": "they want a managed security service for the firewall alerts", "channel_type": "channel"}
    await slack.event(message, "EvE")
    await slack.fake.wait_for("chat.postEphemeral:error")
    (lead,) = stored_leads(scout)
    assert lead.account == "globex"


async def test_remark_text_never_reaches_info_logs(slack, caplog):
    caplog.set_level("INFO")
    secret_remark = "they whispered about a confidential divestiture and need tax planning"
    await slack.command("UDAN", "/flag", f"acme {secret_remark}")
    await slack.fake.wait_for("response_url:1")
    assert all("confidential divestiture" not in r.getMessage() for r in caplog.records if r.levelno >= 20)


async def test_buttons_in_app_home_refresh_the_home_view(slack, scout):
    await slack.command("UDAN", "/flag", "acme they want help with tax planning")
    await slack.fake.wait_for("response_url:1")
    await slack.interact({
        "type": "block_actions", "user": {"id": "ULEE"}, "trigger_id": "t", "view": {"type": "home", "id": "V1"},
        "container": {"type": "view", "view_id": "V1"},
        "actions": [{"action_id": "scout_snooze_1", "block_id": "b", "type": "button", "value": "1"}],
    })
    (published,) = await slack.fake.wait_for("views.publish")
    assert published.params["user_id"] == "ULEE"
    assert "Lead #1 snoozed by Lee Lead" in _texts(published.params["view"]["blocks"])
    assert stored_leads(scout)[0].snoozed_until is not None


async def _send_digest(slack, scout) -> list:
    """Two leads on acme, the weekly digest delivered to the fake: the channel copy and the DM."""
    import asyncio

    from bot.delivery import platforms
    from bot.outbox import drain
    from handlers.digest_run import run_weekly

    await slack.command("UDAN", "/flag", "acme they want help with tax planning")
    await slack.command("UDAN", "/flag", "acme asked about a pen test")
    await slack.fake.wait_for("response_url:1", 2)
    renderers, senders = platforms({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.fake.url + "api/"})
    run_weekly(scout, renderers)
    await asyncio.to_thread(drain, scout.db, senders, scout.now)
    return await slack.fake.wait_for("chat.postMessage", 2)


def _buttons_of(blocks: list[dict], lead_id: int) -> list[str]:
    prefix = f"lead:{lead_id}:"
    return [e["text"]["text"] for b in blocks if b.get("block_id", "").startswith(prefix) and b["type"] == "actions"
            for e in b["elements"] if e["type"] == "button"]


async def test_a_digest_button_updates_only_its_lead_in_place_and_every_other_copy(slack, scout):
    channel_post, dm_post = await _send_digest(slack, scout)
    blocks = channel_post.params["blocks"]
    assert _buttons_of(blocks, 1) == ["Qualify", "Drop", "Snooze"]
    await slack.interact({
        "type": "block_actions", "user": {"id": "ULEE"}, "trigger_id": "t", "response_url": slack.response_url,
        "channel": {"id": "CACME"},
        "container": {"type": "message", "message_ts": "1700000001.000001", "channel_id": "CACME",
                      "is_ephemeral": False},
        "message": {"ts": "1700000001.000001", "text": channel_post.params["text"], "blocks": blocks},
        "actions": [{"action_id": "scout_snooze_1", "block_id": "lead:1:2.1", "type": "button", "value": "1"}],
    })
    update = (await slack.fake.wait_for("response_url:1", 3))[-1]
    assert update.params["replace_original"] is True
    new_blocks = update.params["blocks"]
    assert _buttons_of(new_blocks, 1) == ["Qualify", "Drop", "Snooze", "Undo"]
    assert "snoozed by Lee Lead" in _texts(new_blocks)
    assert _buttons_of(new_blocks, 2) == ["Qualify", "Drop", "Snooze"]  # the other lead is untouched
    assert len(new_blocks) == len(blocks)
    (dm_update,) = await slack.fake.wait_for("chat.update")
    assert (dm_update.params["channel"], dm_update.params["ts"]) == ("DLEE", "1700000001.000002")
    assert "snoozed by Lee Lead" in _texts(dm_update.params["blocks"])
    assert _buttons_of(dm_update.params["blocks"], 2) == ["Qualify", "Drop", "Snooze"]


async def test_a_digest_drop_from_the_dm_updates_the_channel_copy(slack, scout):
    await _send_digest(slack, scout)
    await slack.interact({
        "type": "block_actions", "user": {"id": "ULEE"}, "trigger_id": "t", "response_url": slack.response_url,
        "channel": {"id": "DLEE"},
        "container": {"type": "message", "message_ts": "1700000001.000002", "channel_id": "DLEE",
                      "is_ephemeral": False},
        "message": {"ts": "1700000001.000002", "text": "digest", "blocks": []},
        "actions": [{"action_id": "scout_drop_2", "block_id": "x", "type": "button", "value": "2"}],
    })
    (channel_update,) = await slack.fake.wait_for("chat.update")
    assert (channel_update.params["channel"], channel_update.params["ts"]) == ("CACME", "1700000001.000001")
    assert _buttons_of(channel_update.params["blocks"], 2) == ["Revive", "Undo"]
    assert "dropped by Lee Lead" in _texts(channel_update.params["blocks"])


async def test_a_refused_digest_click_changes_no_copy(slack, scout):
    channel_post, _ = await _send_digest(slack, scout)
    await slack.interact({
        "type": "block_actions", "user": {"id": "UTOM"}, "trigger_id": "t", "response_url": slack.response_url,
        "channel": {"id": "CACME"},
        "container": {"type": "message", "message_ts": "1700000001.000001", "channel_id": "CACME",
                      "is_ephemeral": False},
        "message": {"ts": "1700000001.000001", "text": "digest", "blocks": channel_post.params["blocks"]},
        "actions": [{"action_id": "scout_drop_1", "block_id": "x", "type": "button", "value": "1"}],
    })
    refusal = (await slack.fake.wait_for("response_url:1", 3))[-1]
    assert refusal.params["response_type"] == "ephemeral" and refusal.params["replace_original"] is False
    assert slack.fake.named("chat.update") == []
    assert [lead.stage for lead in stored_leads(scout)] == ["identified", "identified"]


async def test_socket_mode_takes_the_same_commands_over_a_websocket(aiohttp_server, scout):
    import asyncio

    from bot.server import run_socket_mode

    fake = FakeSlack()
    fake_server = await aiohttp_server(fake.app())
    fake.url = str(fake_server.make_url("/"))
    settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=fake.url + "api/",
                             app_token="xapp-test")
    running = asyncio.create_task(run_socket_mode(build_slack_app(scout, settings), settings.app_token))
    try:
        await fake.wait_until(lambda: fake.socket is not None, "the app to open its socket")
        await fake.socket.send_json({
            "envelope_id": "env-1", "type": "slash_commands", "accepts_response_payload": True,
            "payload": {"token": "x", "team_id": "T1", "channel_id": "CGENERAL", "user_id": "UDAN",
                        "command": "/flag", "text": "acme they want help with tax planning",
                        "response_url": fake.url + "response/1", "trigger_id": "trig.1"},
        })
        await fake.wait_until(lambda: any(a.get("envelope_id") == "env-1" for a in fake.socket_acks), "the ack")
        (reply,) = await fake.wait_for("response_url:1")
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert fake.named("apps.connections.open")
    assert reply.params["response_type"] == "ephemeral" and "Tax planning" in _texts(reply.params["blocks"])
    assert [lead.text for lead in stored_leads(scout)] == ["they want help with tax planning"]


async def test_message_edits_and_deletes_in_slack_follow_the_flagged_remark(slack, scout):
    message = {"type": "message", "channel": "CGLOBEX", "user": "UOLGA", "ts": "1700000000.000300",
               "text": "they want a managed security service for the firewall alerts", "channel_type": "channel"}
    await slack.event(message, "EvE1")
    await slack.fake.wait_for("reactions.add")
    edit = {"type": "message", "subtype": "message_changed", "channel": "CGLOBEX", "hidden": True,
            "ts": "1700000000.000900",
            "message": {**message, "text": "they want managed security for the firewall alerts, asap"},
            "previous_message": message}
    assert (await slack.event(edit, "EvE2")).status == 200
    await slack.fake.wait_until(lambda: stored_leads(scout)[0].text.endswith("asap"), "the edit to land")
    delete = {"type": "message", "subtype": "message_deleted", "channel": "CGLOBEX", "hidden": True,
              "ts": "1700000000.000950", "deleted_ts": "1700000000.000300", "previous_message": edit["message"]}
    assert (await slack.event(delete, "EvE3")).status == 200
    await slack.fake.wait_until(lambda: stored_leads(scout)[0].stage == "dropped", "the delete to land")
    assert "firewall" not in stored_leads(scout)[0].text


def test_no_start_up_warning_with_the_token_in_the_environment(monkeypatch, caplog, scout):
    from bot.settings import SlackSettings
    from bot.slack_app import build_slack_app

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")
    with caplog.at_level(logging.DEBUG):
        app = build_slack_app(scout, SlackSettings(bot_token="xoxb-from-the-environment", signing_secret="s"))
    assert app.client.token == "xoxb-from-the-environment"
    assert "will be unused" not in caplog.text
