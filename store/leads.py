"""Reads and writes of leads. Every write records a LeadEvent in the same transaction."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.tables import CLOSED_STAGES, OPEN_STAGES, Evidence, Lead, LeadEvent, Stage

_SPACES = re.compile(r"\s+")
STAGE_REASON_CHARS = 200
STAGE_VALUES = frozenset(stage.value for stage in Stage)
# Events that add to a lead without deciding anything about it; every other event is someone
# acting on the lead, which is what the weekly digest's escalation waits for.
NOT_DECISIONS = frozenset({"flagged", "evidence", "link", "nudged"})


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def record(
    session: Session,
    lead: Lead,
    *,
    actor: str,
    kind: str,
    now: datetime,
    from_value: str | None = None,
    to_value: str | None = None,
    reason: str | None = None,
) -> LeadEvent:
    event = LeadEvent(
        lead_id=lead.id, actor=actor, at=now, kind=kind,
        from_value=from_value, to_value=to_value, reason=reason,
    )
    session.add(event)
    lead.updated_at = now
    if kind not in NOT_DECISIONS:
        lead.nudges = 0
    session.add(lead)
    session.flush()
    return event


def add_lead(
    session: Session,
    *,
    account: str,
    text: str,
    flagged_by: str,
    source: str,
    now: datetime,
    services: Sequence[str] = (),
    triggers: Sequence[str] = (),
    tags: dict[str, Any] | None = None,
    channel: str | None = None,
    message_ts: str | None = None,
    permalink: str | None = None,
    estimated_value: float | None = None,
) -> Lead:
    """A new lead at `identified`, with its first evidence row and a `flagged` event."""
    lead = Lead(
        account=account, text=text, services=list(services), triggers=list(triggers),
        tags=tags or {}, stage=Stage.IDENTIFIED.value, source=source, flagged_by=flagged_by,
        channel=channel, message_ts=message_ts, permalink=permalink,
        estimated_value=estimated_value, created_at=now, updated_at=now,
    )
    session.add(lead)
    session.flush()
    session.add(
        Evidence(lead_id=lead.id, text=text, flagged_by=flagged_by, source=source,
                 permalink=permalink, channel=channel, message_ts=message_ts, created_at=now)
    )
    record(session, lead, actor=flagged_by, kind="flagged", now=now, to_value=lead.stage)
    return lead


def find_open_match(
    session: Session, account: str, services: Sequence[str], triggers: Sequence[str], text: str
) -> Lead | None:
    """An open lead on the account for the same need: a shared service, else a shared
    trigger when neither names a service, else the same words."""
    # Only the columns the match needs: loading whole leads (tags JSON and all) for every open
    # lead of the account was most of a flag's cost under load (bench/ack.py).
    wanted_services, wanted_triggers, wanted_text = set(services), set(triggers), _normal(text)
    if wanted_services:
        columns, same = (Lead.services,), lambda row: bool(wanted_services & set(row[1]))
    elif wanted_triggers:
        columns, same = (Lead.services, Lead.triggers), lambda row: not row[1] and bool(wanted_triggers & set(row[2]))
    else:
        columns, same = (Lead.text,), lambda row: _normal(row[1]) == wanted_text
    candidates = session.exec(
        select(Lead.id, *columns)
        .where(Lead.account == account, col(Lead.stage).in_([s.value for s in OPEN_STAGES]))
        .order_by(col(Lead.id))
    )
    try:  # rows are decoded as they are read, so stop at the first match
        match = next((row[0] for row in candidates if same(row)), None)
    finally:
        candidates.close()
    return session.get(Lead, match) if match is not None else None


def add_evidence(
    session: Session,
    lead: Lead,
    *,
    text: str,
    flagged_by: str,
    source: str,
    now: datetime,
    services: Sequence[str] = (),
    triggers: Sequence[str] = (),
    permalink: str | None = None,
    channel: str | None = None,
    message_ts: str | None = None,
) -> Evidence:
    """Another remark about the lead's need: kept, and its author shares the credit."""
    evidence = Evidence(lead_id=lead.id, text=text, flagged_by=flagged_by, source=source,
                        permalink=permalink, channel=channel, message_ts=message_ts, created_at=now)
    session.add(evidence)
    before = json.dumps({"services": lead.services, "triggers": lead.triggers})
    lead.services = list(dict.fromkeys([*lead.services, *services]))
    lead.triggers = list(dict.fromkeys([*lead.triggers, *triggers]))
    session.flush()
    record(session, lead, actor=flagged_by, kind="evidence", now=now, from_value=before, to_value=str(evidence.id))
    return evidence


def get_lead(session: Session, lead_id: int) -> Lead | None:
    return session.get(Lead, lead_id)


def list_leads(
    session: Session,
    *,
    accounts: Iterable[str] | None = None,
    stages: Iterable[str] | None = None,
    flagged_by: str | None = None,
    since: datetime | None = None,
) -> list[Lead]:
    """Leads, oldest first, filtered by account, stage, flagger and creation time."""
    query = select(Lead).order_by(col(Lead.id))
    if accounts is not None:
        query = query.where(col(Lead.account).in_(list(accounts)))
    if stages is not None:
        query = query.where(col(Lead.stage).in_([str(s) for s in stages]))
    if flagged_by is not None:
        query = query.where(Lead.flagged_by == flagged_by)
    if since is not None:
        query = query.where(col(Lead.created_at) >= since)
    return list(session.exec(query).all())


def change_stage(
    session: Session, lead: Lead, to: Stage, *, actor: str, now: datetime,
    reason: str | None = None, kind: str = "stage",
) -> LeadEvent:
    """Move a lead; closing stages stamp closed_at, reopening clears it."""
    before = lead.stage
    reason = reason[:STAGE_REASON_CHARS] if reason else reason
    lead.stage = to.value
    lead.stage_reason = reason
    lead.snoozed_until = None
    lead.closed_at = now if to in CLOSED_STAGES else None
    return record(session, lead, actor=actor, kind=kind, now=now,
                  from_value=before, to_value=to.value, reason=reason)


def evidence_for(session: Session, lead_ids: Iterable[int]) -> dict[int, list[Evidence]]:
    ids = list(lead_ids)
    result: dict[int, list[Evidence]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.exec(
        select(Evidence).where(col(Evidence.lead_id).in_(ids)).order_by(col(Evidence.id))
    ).all()
    for row in rows:
        result[row.lead_id].append(row)
    return result


def credits(session: Session, lead_ids: Iterable[int]) -> dict[int, list[str]]:
    """Origination credit: everyone who flagged the need, first flagger first. One row per
    (lead, person) from the database, however much evidence a lead has gathered."""
    ids = list(lead_ids)
    result: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return result
    first = func.min(Evidence.id)
    rows = session.exec(
        select(Evidence.lead_id, Evidence.flagged_by, first)
        .where(col(Evidence.lead_id).in_(ids))
        .group_by(col(Evidence.lead_id), col(Evidence.flagged_by))
        .order_by(first)
    ).all()
    for lead_id, person, _ in rows:
        result[lead_id].append(person)
    return result


def events_for(session: Session, lead_id: int) -> list[LeadEvent]:
    return list(
        session.exec(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id).order_by(col(LeadEvent.id))
        ).all()
    )


def last_undoable(session: Session, actor: str, lead_id: int | None = None) -> LeadEvent | None:
    """The actor's most recent change that has not been undone (optionally on one lead)."""
    query = select(LeadEvent).where(
        LeadEvent.actor == actor,
        col(LeadEvent.undone).is_(False),
        col(LeadEvent.kind).in_(["flagged", "evidence", "stage", "qualified", "snoozed"]),
    )
    if lead_id is not None:
        query = query.where(LeadEvent.lead_id == lead_id)
    return session.exec(query.order_by(col(LeadEvent.id).desc()).limit(1)).first()


def changed_since(session: Session, event: LeadEvent) -> LeadEvent | None:
    """The first change someone else made to the same lead after `event` and still stands
    (a change that was undone, and the undo itself, add up to nothing)."""
    return session.exec(
        select(LeadEvent)
        .where(
            LeadEvent.lead_id == event.lead_id, col(LeadEvent.id) > event.id, LeadEvent.actor != event.actor,
            col(LeadEvent.undone).is_(False), LeadEvent.kind != "undo",
        )
        .order_by(col(LeadEvent.id))
        .limit(1)
    ).first()


def stages_reached(session: Session, lead_ids: Iterable[int]) -> dict[int, set[str]]:
    """Every stage each lead has been at, from its events: conversion is counted on these."""
    ids = list(lead_ids)
    reached: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return reached
    for event in session.exec(select(LeadEvent).where(col(LeadEvent.lead_id).in_(ids))):
        value = event.to_value or ""
        if event.kind == "qualified":
            try:
                value = json.loads(value).get("stage", "")
            except (ValueError, AttributeError):
                value = ""
        if value in STAGE_VALUES:
            reached[event.lead_id].add(value)
    return reached


def stage_totals(session: Session, accounts: Iterable[str], every: bool = False
                 ) -> dict[str, dict[str, tuple[int, float | None]]]:
    """Per account and stage: how many leads and their summed estimated value (None when no
    lead there has one), in one GROUP BY rather than loading every lead. `every` says the
    accounts are all of them, so no filter is needed."""
    ids = list(accounts)
    totals: dict[str, dict[str, tuple[int, float | None]]] = {a: {} for a in ids}
    if not ids:
        return totals
    query = select(Lead.account, Lead.stage, func.count(), func.sum(Lead.estimated_value),
                   func.count(Lead.estimated_value)).group_by(Lead.account, Lead.stage)
    if not every:
        query = query.where(col(Lead.account).in_(ids))
    for account, stage, count, value, valued in session.exec(query):
        if account in totals:
            totals[account][stage] = (count, float(value) if valued else None)
    return totals
