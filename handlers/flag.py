"""Flagging: a remark heard on an account becomes a lead, or evidence for an open one."""

from __future__ import annotations

from handlers.accounts import account_for_channel, did_you_mean, split_account
from handlers.config import Account, AppConfig, Person
from handlers.context import Scout
from handlers.errors import Answer, use_case
from handlers.filing import file_remark
from handlers.guards import require_person
from handlers.people import identify, may_see
from handlers.replies import Action, Field, Reply, error, usage
from handlers.requests import Request
from handlers.spooling import spool_flag
from handlers.views import conflict_warning, lead_item, own_flag_item
from nlp.tags import Tags
from store.db import Unavailable
from store.leads import credits, get_lead

MAX_REMARK_CHARS = 40_000
# How long a flag waits for the database before spooling: with tagging and the reply it keeps
# the answer inside Slack's 3 s even when the store is locked or not answering.
FLAG_WAIT_MS = 1500

FLAG_USAGE = (
    "Tell me what you heard and on which account, e.g.\n"
    "/flag acme they're frustrated with their payroll provider\n"
    "In an account's channel you can leave the account out."
)


def parse_flag_text(scout: Scout, request: Request) -> tuple[Account, str]:
    """The account (named first, or implied by the channel) and the remark."""
    text = request.text.strip()
    if not text:
        raise Answer(usage("Flag a lead", FLAG_USAGE))
    account, remark = split_account(scout.config, text)
    if account is None:
        account = account_for_channel(scout.config, request.channel)
        if account is None:
            first = text.split()[0]
            raise Answer(error(did_you_mean(scout.config, first, identify(scout.config, request)) + "\n\n"
                               + FLAG_USAGE, "Which account?"))
        remark = text
    if not remark.strip():
        raise Answer(usage("Flag a lead", f"What did you hear on {account.name}?\n\n{FLAG_USAGE}"))
    return account, remark.strip()


@use_case
def flag(scout: Scout, request: Request) -> Reply:
    """`/flag [account] remark`: anyone in the firm may flag on any account."""
    person = require_person(scout, request)
    account, remark = parse_flag_text(scout, request)
    return capture(scout, person, account, remark, request)


def capture(
    scout: Scout, person: Person, account: Account, remark: str, request: Request
) -> Reply:
    """Tag the remark and store it: a new lead, or more evidence for the open lead with
    the same need (its author then shares the origination credit). When the database cannot
    take it quickly, the remark goes to the spool and the person is told it will be filed."""
    trimmed = len(remark) > MAX_REMARK_CHARS
    remark = remark[:MAX_REMARK_CHARS]
    tags = scout.tagger.tag(remark, account, flagged=True)  # in memory: works with the store down
    now = scout.now()
    try:
        with scout.db.session(wait_ms=FLAG_WAIT_MS, fail_fast=True) as session:
            lead, added = file_remark(
                session, account=account.id, person=person.id, remark=remark, tags=tags,
                source=request.source, now=now, channel=request.channel,
                message_ts=request.message_ts, permalink=request.permalink,
            )
            credit = credits(session, [lead.id])[lead.id]
            # Someone off the account team may flag, but sees only their own remark: no one
            # else's words or names, and no buttons they could not use.
            insider = may_see(person, account)
            item = (lead_item(scout.config, lead, now, credit) if insider
                    else own_flag_item(scout.config, lead, now, person.id, remark))
    except Unavailable:
        if scout.spool is None:
            raise
        return spool_flag(scout, person, account, remark, request, tags, now,
                          tag_fields(scout.config, tags), trimmed_note(trimmed))
    return _captured_reply(scout, account, item, tags, added, trimmed, insider)


def link_message(scout: Scout, lead_id: int, permalink: str) -> None:
    """Attach the permalink of the message a lead was captured from, once it is known."""
    with scout.db.session() as session:
        lead = get_lead(session, lead_id)
        if lead is not None and not lead.permalink:
            lead.permalink = permalink[:1000]
            session.add(lead)


def _captured_reply(scout, account, item, tags, added: bool, trimmed: bool, insider: bool) -> Reply:  # noqa: ANN001
    config = scout.config
    if added and insider:
        title = f"Added to lead #{item.id} on {account.name}"
        text = (
            "Someone already flagged this need, so I added your remark to that lead "
            f"and you share the credit: {', '.join(item.flagged_by)}."
        )
    elif added:
        title = f"Added to lead #{item.id} on {account.name}"
        text = "The account team already has this need open, so I added your remark to it and you share the credit."
    else:
        title = f"Lead #{item.id} flagged on {account.name}"
        text = "Thanks! The account team will see it in their weekly digest."
    fields = tag_fields(config, tags)
    if not tags.services:
        text += "\nI couldn't match this to a service in the catalog; pick one with Change services."
    warnings = []
    if tags.conflicts:
        warnings.append(conflict_warning(config, tags.conflicts))
    warnings += trimmed_note(trimmed)
    actions = (
        *((Action(id="fix_services", label="Change services", value=str(item.id)),) if insider else ()),
        Action(id="undo", label="Undo", value=str(item.id)),
    )
    return Reply(
        title=title, text=text, fields=tuple(fields), items=(item,), actions=actions,
        warnings=tuple(warnings), lead_id=item.id,
    )


def tag_fields(config: AppConfig, tags: Tags) -> list[Field]:
    """What the tagger found, as reply fields."""
    fields = []
    if tags.services:
        fields.append(Field("Services", ", ".join(
            f"{config.service_name(s.id)} ({s.kind}, from \u201c{s.evidence}\u201d)" for s in tags.services)))
    if tags.triggers:
        fields.append(Field("Trigger events", ", ".join(config.trigger_name(t.id) for t in tags.triggers)))
    if tags.suggested:
        fields.append(Field("Worth exploring next", ", ".join(
            config.service_name(s) for s in tags.suggested[:4])))
    if tags.amounts:
        fields.append(Field("Amounts", ", ".join(a.text for a in tags.amounts)))
    return fields


def trimmed_note(trimmed: bool) -> list[str]:
    return [f"Your remark was over {MAX_REMARK_CHARS:,} characters; I kept the first part."] if trimmed else []
