"""Acting on a lead: qualify, drop, snooze, move stage, revive, change services, undo.

Each action checks that the person may act on the lead's account, changes the lead and
records an event in one transaction, and answers with the lead as it now stands.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from handlers.calendar import next_weekly
from handlers.context import Scout
from handlers.errors import Answer, use_case
from handlers.guards import parse_lead_id, require_lead, require_person
from handlers.people import may_see
from handlers.replies import Action, Reply, error
from handlers.requests import Request, clean_text
from handlers.views import lead_item, money, own_flag_item
from store.leads import change_stage, changed_since, credits, last_undoable, record
from store.tables import OPEN_STAGES, Evidence, Lead, LeadEvent, Rating, Stage

DIMENSIONS = {
    "client_fit": "Client fit",
    "service_applicability": "Service applicability",
    "internal_capability": "Internal capability",
    "competitive_position": "Competitive position",
}
DROP_REASONS = (
    "Not a real need",
    "Client declined",
    "Already handled",
    "Duplicate",
    "Bad timing",
    "Conflict of interest",
)
MAX_REASON_CHARS = 200


def _done(scout: Scout, session, lead: Lead, title: str, text: str, undo: bool = True) -> Reply:  # noqa: ANN001
    now = scout.now()
    item = lead_item(scout.config, lead, now, credits(session, [lead.id])[lead.id])
    actions = (Action(id="undo", label="Undo", value=str(lead.id)),) if undo else ()
    return Reply(title=title, text=text, items=(item,), actions=actions, lead_id=lead.id)


def _rating(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    for rating in Rating:
        if raw.strip().casefold() in (rating.value.casefold(), rating.value[0].casefold()):
            return rating.value
    raise Answer(error(f"\u201c{raw}\u201d is not a rating: use High, Medium or Low (H, M, L)."))


def _stage(raw: str) -> Stage:
    try:
        return Stage(raw.strip().casefold())
    except ValueError:
        names = ", ".join(s.value for s in Stage)
        raise Answer(error(f"\u201c{raw}\u201d is not a stage. Stages: {names}.")) from None


@use_case
def qualify(
    scout: Scout,
    request: Request,
    lead_id: str | int | None,
    ratings: dict[str, str] | None = None,
    value: float | None = None,
    stage: str | None = None,
) -> Reply:
    """Score the lead High/Medium/Low on the method's four dimensions, set its estimated
    value and move it on (to `qualified` by default while it is still early)."""
    person = require_person(scout, request)
    ratings = ratings or {}
    unknown = set(ratings) - set(DIMENSIONS)
    if unknown:
        raise Answer(error(f"Unknown qualification dimension: {', '.join(sorted(unknown))}."))
    clean = {dim: _rating(raw) for dim, raw in ratings.items()}
    if value is not None and (value < 0 or value > 1e12):
        raise Answer(error("The estimated value must be a positive amount."))
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        if not lead.is_open:
            raise Answer(error(f"Lead #{lead.id} is {lead.stage}; revive it before qualifying it."))
        before = {
            "stage": lead.stage, "estimated_value": lead.estimated_value,
            **{dim: getattr(lead, dim) for dim in DIMENSIONS},
        }
        for dim, rating in clean.items():
            if rating is not None:
                setattr(lead, dim, rating)
        if value is not None:
            lead.estimated_value = value
        target = _stage(stage) if stage else (
            Stage.QUALIFIED if lead.stage in (Stage.IDENTIFIED, Stage.EXPLORING) else Stage(lead.stage)
        )
        now = scout.now()
        lead.stage, lead.snoozed_until = target.value, None
        lead.closed_at = None if target in OPEN_STAGES else now
        after = {
            "stage": lead.stage, "estimated_value": lead.estimated_value,
            **{dim: getattr(lead, dim) for dim in DIMENSIONS},
        }
        record(session, lead, actor=person.id, kind="qualified", now=now,
               from_value=json.dumps(before), to_value=json.dumps(after))
        scores = ", ".join(f"{DIMENSIONS[d]}: {getattr(lead, d) or '-'}" for d in DIMENSIONS)
        text = f"{scores}. Estimated value {money(lead.estimated_value)}. Stage: {lead.stage}."
        low = [DIMENSIONS[d] for d in DIMENSIONS if getattr(lead, d) == Rating.LOW]
        if low:
            text += f"\nLow on {', '.join(low)}: the method says pursue slowly or pass."
        return _done(scout, session, lead, f"Lead #{lead.id} qualified by {person.name}", text)


@use_case
def drop(scout: Scout, request: Request, lead_id: str | int | None, reason: str = "") -> Reply:
    """Drop at once, with a reason; Undo brings it back."""
    person = require_person(scout, request)
    reason = " ".join(clean_text(reason).split())[:MAX_REASON_CHARS] or "No reason given"
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        if lead.stage == Stage.DROPPED:
            raise Answer(error(f"Lead #{lead.id} is already dropped ({lead.stage_reason})."))
        change_stage(session, lead, Stage.DROPPED, actor=person.id, now=scout.now(), reason=reason)
        return _done(scout, session, lead, f"Lead #{lead.id} dropped by {person.name}", f"Reason: {reason}")


@use_case
def explain_drop(scout: Scout, request: Request, lead_id: str | int | None, reason: str) -> Reply:
    """Pick the reason for a drop after the fact (Drop takes effect at once)."""
    person = require_person(scout, request)
    reason = " ".join(clean_text(reason).split())[:MAX_REASON_CHARS]
    if not reason:
        raise Answer(error("Pick a reason."))
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        if lead.stage != Stage.DROPPED:
            raise Answer(error(f"Lead #{lead.id} is {lead.stage}, not dropped."))
        before, lead.stage_reason = lead.stage_reason, reason
        record(session, lead, actor=person.id, kind="reason", now=scout.now(), from_value=before, to_value=reason)
        return _done(scout, session, lead, f"Lead #{lead.id} dropped by {person.name}", f"Reason: {reason}")


@use_case
def snooze(scout: Scout, request: Request, lead_id: str | int | None, until: datetime | None = None) -> Reply:
    """Hide the lead from digests until the next weekly digest (or a given time)."""
    person = require_person(scout, request)
    now = scout.now()
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        if not lead.is_open:
            raise Answer(error(f"Lead #{lead.id} is {lead.stage}; only open leads can be snoozed."))
        account = scout.config.account(lead.account)
        timezone = account.timezone if account else "UTC"
        wake = until or next_weekly(now, scout.config.digests.weekly, timezone)
        if wake <= now:
            raise Answer(error("Snooze needs a time in the future."))
        before = lead.snoozed_until.isoformat() if lead.snoozed_until else None
        lead.snoozed_until = wake
        record(session, lead, actor=person.id, kind="snoozed", now=now,
               from_value=before, to_value=wake.isoformat())
        return _done(scout, session, lead, f"Lead #{lead.id} snoozed by {person.name}",
                     f"It comes back in the digest of {wake:%a %d %b}.")


@use_case
def advance(scout: Scout, request: Request, lead_id: str | int | None, stage: str, reason: str = "") -> Reply:
    """Move a lead to any stage of the pipeline (won, lost, proposed...)."""
    person = require_person(scout, request)
    target = _stage(stage)
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        if lead.stage == target:
            raise Answer(error(f"Lead #{lead.id} is already {target.value}."))
        reason = " ".join(clean_text(reason).split())[:MAX_REASON_CHARS] or None
        change_stage(session, lead, target, actor=person.id, now=scout.now(), reason=reason)
        return _done(scout, session, lead, f"Lead #{lead.id} moved to {target.value} by {person.name}", "")


@use_case
def revive(scout: Scout, request: Request, lead_id: str | int | None) -> Reply:
    """Bring a dropped (or expired) lead back to `identified`."""
    person = require_person(scout, request)
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        if lead.stage != Stage.DROPPED:
            raise Answer(error(f"Lead #{lead.id} is {lead.stage}, not dropped."))
        change_stage(session, lead, Stage.IDENTIFIED, actor=person.id, now=scout.now(), reason="revived")
        return _done(scout, session, lead, f"Lead #{lead.id} revived by {person.name}", "")


@use_case
def set_services(scout: Scout, request: Request, lead_id: str | int | None, service_ids: Sequence[str]) -> Reply:
    """Correct the tagger: the services this lead is really about."""
    person = require_person(scout, request)
    wanted = list(dict.fromkeys(s.strip() for s in service_ids if s.strip()))
    unknown = [s for s in wanted if scout.config.service(s) is None]
    if unknown:
        raise Answer(error(f"Unknown service id: {', '.join(unknown)}. See /help services."))
    with scout.db.session() as session:
        lead = require_lead(scout, session, person, lead_id)
        before = ",".join(lead.services)
        lead.services = wanted
        record(session, lead, actor=person.id, kind="services", now=scout.now(),
               from_value=before, to_value=",".join(wanted))
        names = ", ".join(scout.config.service_name(s) for s in wanted) or "none"
        return _done(scout, session, lead, f"Lead #{lead.id} services updated", f"Services: {names}", undo=False)


def _undo_event(session, lead: Lead, event: LeadEvent, actor: str, now: datetime) -> str:  # noqa: ANN001
    """Reverse one event; return what happened, in words."""
    if event.kind == "flagged":
        change_stage(session, lead, Stage.DROPPED, actor=actor, now=now, reason="withdrawn", kind="undo")
        return "Your flag was withdrawn."
    if event.kind == "evidence":
        evidence = session.get(Evidence, int(event.to_value or 0))
        if evidence is not None:
            session.delete(evidence)
        before = json.loads(event.from_value or "{}")
        lead.services = before.get("services", lead.services)
        lead.triggers = before.get("triggers", lead.triggers)
        record(session, lead, actor=actor, kind="undo", now=now, from_value=event.to_value, reason="evidence withdrawn")
        return "Your remark was taken off the lead."
    if event.kind == "stage":
        change_stage(session, lead, Stage(event.from_value), actor=actor, now=now, reason="undo", kind="undo")
        return f"Back to {lead.stage}."
    if event.kind == "qualified":
        before = json.loads(event.from_value or "{}")
        for key, value in before.items():
            setattr(lead, key, value)
        lead.closed_at = None if lead.is_open else lead.closed_at
        record(session, lead, actor=actor, kind="undo", now=now, from_value=event.to_value,
               to_value=event.from_value, reason="qualification undone")
        return f"Qualification undone; back to {lead.stage}."
    # snoozed
    from_value = event.from_value
    lead.snoozed_until = datetime.fromisoformat(from_value) if from_value else None
    record(session, lead, actor=actor, kind="undo", now=now, reason="snooze undone")
    return "Snooze undone."


@use_case
def undo(scout: Scout, request: Request, lead_id: str | int | None = None) -> Reply:
    """Undo your own last change (on one lead, or anywhere)."""
    person = require_person(scout, request)
    with scout.db.session() as session:
        wanted = None if lead_id in (None, "") else parse_lead_id(lead_id)
        event = last_undoable(session, person.id, wanted)
        if event is None:
            raise Answer(error("There is nothing of yours to undo there."))
        lead = session.get(Lead, event.lead_id)
        account = scout.config.account(lead.account)
        insider = account is not None and may_see(person, account)
        # Off the account team (now), you may still withdraw your own flag or remark, nothing else.
        if not insider and event.kind not in ("flagged", "evidence"):
            raise Answer(error("There is nothing of yours to undo there."))
        later = changed_since(session, event)
        if later is not None:
            who = scout.config.person_name(later.actor) if insider else "The account team"
            raise Answer(error(
                f"{who} changed lead #{lead.id} after you, so I won't undo your change over theirs. "
                + ("Use /stage or the buttons to set it right." if insider else "")
            ))
        event.undone = True
        session.add(event)
        own_text = lead.text if event.kind == "flagged" else ""
        said = _undo_event(session, lead, event, person.id, scout.now())
        if not insider:
            item = own_flag_item(scout.config, lead, scout.now(), person.id, own_text)
            return Reply(title=f"Undone on lead #{lead.id}", text=said, items=(item,), lead_id=lead.id)
        return _done(scout, session, lead, f"Undone on lead #{lead.id}", said, undo=False)
