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


TEAMS_HELP = (
    "Register the bot in Azure (Azure Bot resource), then set MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD, "
    "MICROSOFT_APP_TYPE (MultiTenant or SingleTenant) and, for SingleTenant, MICROSOFT_APP_TENANT_ID; "
    "or SCOUT_TEAMS=off for a Slack-only install."
)


@dataclass(frozen=True)
class TeamsSettings:
    """The Bot Framework configuration, under the attribute names botbuilder reads."""

    APP_ID: str = ""
    APP_PASSWORD: str = ""
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str = ""
    # Sovereign clouds and the tests' fakes move these; unset means Microsoft's public cloud.
    # Once any is set botbuilder reads all of them (its "parameterized" configuration), so
    # teams_settings fills the others with the public cloud's values.
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None

    @property
    def anonymous(self) -> bool:
        return not self.APP_ID


def teams_settings(env: Mapping[str, str] | None = None) -> TeamsSettings | None:
    """None when Teams is switched off. Without an app id botbuilder accepts unauthenticated
    requests (the Bot Framework Emulator): allowed outside production only."""
    env = os.environ if env is None else env
    if env.get("SCOUT_TEAMS", "").lower() in ("off", "0", "false", "no"):
        return None
    app_id = env.get("MICROSOFT_APP_ID") or ""
    if not app_id and env.get("SCOUT_ENV", "").lower() == "production":
        raise SetupError(f"MICROSOFT_APP_ID is not set, and in production Teams requests must be authenticated. "
                         f"{TEAMS_HELP}")
    if app_id and not env.get("MICROSOFT_APP_PASSWORD") and env.get("MICROSOFT_APP_TYPE", "") != "UserAssignedMSI":
        raise SetupError(f"MICROSOFT_APP_PASSWORD is missing for MICROSOFT_APP_ID {app_id}. {TEAMS_HELP}")
    tenant = env.get("MICROSOFT_APP_TENANT_ID") or ""
    endpoints = {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": env.get("MICROSOFT_OPENID_METADATA_URL") or None,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": env.get("MICROSOFT_TOKEN_ISSUER") or None,
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": env.get("MICROSOFT_LOGIN_URL") or None,
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": env.get("MICROSOFT_OAUTH_SCOPE") or None,
    }
    if any(endpoints.values()):
        public = _public_cloud(tenant)
        endpoints = {key: value or public.get(key) for key, value in endpoints.items()}
    return TeamsSettings(
        APP_ID=app_id,
        APP_PASSWORD=env.get("MICROSOFT_APP_PASSWORD") or "",
        APP_TYPE=env.get("MICROSOFT_APP_TYPE") or "MultiTenant",
        APP_TENANTID=tenant,
        **endpoints,
    )


def _public_cloud(tenant: str) -> dict[str, str]:
    """Microsoft's public-cloud Bot Framework endpoints (botframework's AuthenticationConstants)."""
    return {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": "https://login.botframework.com/v1/.well-known/openidconfiguration",
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "https://api.botframework.com",
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": f"https://login.microsoftonline.com/{tenant or 'botframework.com'}",
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "https://api.botframework.com",
    }
