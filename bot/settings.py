"""Secrets and endpoints from the environment, checked before anything starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.app import SetupError

SLACK_HELP = (
    "Create the app from docs/slack-manifest.yaml at https://api.slack.com/apps, install it to your "
    "workspace, then copy the Bot User OAuth Token (OAuth & Permissions) and the Signing Secret "
    "(Basic Information)."
)


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str
    api_url: str | None = None
    app_token: str | None = None  # Socket Mode instead of HTTP when set


def slack_settings(env: Mapping[str, str] | None = None) -> SlackSettings:
    env = os.environ if env is None else env
    missing = [name for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET") if not env.get(name)]
    if missing:
        raise SetupError(f"missing {' and '.join(missing)} in the environment. {SLACK_HELP}")
    return SlackSettings(
        bot_token=env["SLACK_BOT_TOKEN"],
        signing_secret=env["SLACK_SIGNING_SECRET"],
        api_url=env.get("SLACK_API_URL") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
    )
