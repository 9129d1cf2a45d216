"""Which platforms digests go to, from the environment: a renderer and a sender for each."""

from __future__ import annotations

from collections.abc import Mapping

from bot.outbox import Sender
from bot.settings import SlackSettings
from bot.slack_delivery import SlackSender, slack_payload, sync_client
from handlers.digest_run import Renderer


def platforms(env: Mapping[str, str], slack: SlackSettings | None = None, teams: Sender | None = None
              ) -> tuple[dict[str, Renderer], dict[str, Sender]]:
    """Slack when a bot token is set (sending needs no signing secret); Teams when its adapter
    is running (proactive messages need the adapter and stored conversation references)."""
    renderers: dict[str, Renderer] = {}
    senders: dict[str, Sender] = {}
    token = slack.bot_token if slack else env.get("SLACK_BOT_TOKEN")
    if token:
        settings = slack or SlackSettings(bot_token=token, signing_secret="", api_url=env.get("SLACK_API_URL") or None)
        renderers["slack"] = slack_payload
        senders["slack"] = SlackSender(sync_client(settings))
    if teams is not None:
        from bot.teams_delivery import teams_payload

        renderers["teams"] = teams_payload
        senders["teams"] = teams
    return renderers, senders
