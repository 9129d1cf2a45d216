"""Listening in account channels: offer to flag (suggest), capture (auto), or stay silent."""

from __future__ import annotations

from dataclasses import replace

from handlers.accounts import account_for_channel
from handlers.context import Scout
from handlers.errors import use_case
from handlers.flag import capture
from handlers.guards import require_person
from handlers.people import identify
from handlers.replies import Action, Field, Reply, error
from handlers.requests import Request

MIN_WORDS = 4


def _silent() -> Reply:
    return Reply(title="", kind="info", meta={"silent": "yes"})


@use_case
def channel_message(scout: Scout, request: Request) -> Reply:
    """A message in an account channel. Replies with `meta["silent"]` when Scout should say
    nothing: monitoring off, not a lead, or not someone from the firm."""
    account = account_for_channel(scout.config, request.channel)
    person = identify(scout.config, request)
    text = request.text.strip()
    if account is None or account.monitoring == "off" or person is None or len(text.split()) < MIN_WORDS:
        return _silent()
    tags = scout.tagger.tag(text, account)
    if not tags.lead or (scout.second_opinion is not None and not scout.second_opinion.agrees(text)):
        return _silent()
    if account.monitoring == "auto":
        reply = capture(scout, person, account, text, request)
        return replace(reply, meta={**reply.meta, "monitoring": "auto"})
    fields = []
    if tags.services:
        names = ", ".join(f"{scout.config.service_name(s.id)} ({s.kind})" for s in tags.services)
        fields.append(Field("Services", names))
    if tags.triggers:
        fields.append(Field("Trigger events", ", ".join(scout.config.trigger_name(t.id) for t in tags.triggers)))
    return Reply(
        title="That sounds like a cross-sell lead",
        kind="info",
        text=f"Flag it for the {account.name} account team? Only you can see this.",
        fields=tuple(fields),
        actions=(
            Action(id="flag_message", label="Flag it", value=request.message_ts or "", style="primary"),
            Action(id="not_a_lead", label="Not a lead", value=request.message_ts or ""),
        ),
        meta={"monitoring": "suggest", "account": account.id},
    )


@use_case
def flag_suggested(scout: Scout, request: Request) -> Reply:
    """"Flag it" on a suggestion: the author confirms the message in the account channel."""
    person = require_person(scout, request)
    account = account_for_channel(scout.config, request.channel)
    if account is None:
        return error("That channel is not an account channel any more, so I can't tell which account it is about.")
    if not request.text.strip():
        return error("I couldn't read that message any more; flag it with /flag instead.")
    return capture(scout, person, account, request.text.strip(), request)
