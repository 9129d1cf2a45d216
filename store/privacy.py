"""Keeping as little as Scout needs: remarks follow edits and deletes of their message, a
person's remarks can be forgotten, and dropped leads are pruned after the retention period.

Events keep who did what and when, never a remark's words, so they stay as the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, select

from store.leads import change_stage, record
from store.tables import Evidence, Lead, LeadEvent, Outbox, Stage

DELETED = "(the author deleted this message)"


KEPT_TAGS = ("lead", "score", "suggested", "negated")


def _blank_evidence_spans(lead: Lead) -> None:
    """Tags quote the remark (evidence spans, amounts, dates, cues): keep only what names no
    words of it once the words are gone or changed."""
    tags = {key: lead.tags[key] for key in KEPT_TAGS if key in lead.tags}
    for key in ("services", "triggers"):
        tags[key] = [{**tag, "evidence": ""} for tag in lead.tags.get(key, [])]
    lead.tags = tags


def _evidence_at(session: Session, channel: str, ts: str) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.channel == channel, Evidence.message_ts == ts)))


def follow_edit(session: Session, channel: str, ts: str, text: str, now: datetime) -> list[int]:
    """The message was edited: every stored copy of its words becomes the new words."""
    touched = []
    for evidence in _evidence_at(session, channel, ts):
        evidence.text = text
        session.add(evidence)
        lead = session.get(Lead, evidence.lead_id)
        if lead is not None and lead.channel == channel and lead.message_ts == ts:
            lead.text = text
            _blank_evidence_spans(lead)
            record(session, lead, actor=evidence.flagged_by, kind="edited", now=now)
            touched.append(lead.id)
    forget_copies(session, touched)
    return touched


def follow_delete(session: Session, channel: str, ts: str, now: datetime) -> list[int]:
    """The message was deleted: its words go; a lead that rested on it alone is dropped."""
    touched = []
    for evidence in _evidence_at(session, channel, ts):
        lead = session.get(Lead, evidence.lead_id)
        session.delete(evidence)
        session.flush()
        if lead is None:
            continue
        touched.append(lead.id)
        if lead.channel == channel and lead.message_ts == ts:
            _take_over_or_blank(session, lead)
            if lead.text == DELETED and lead.is_open:
                change_stage(session, lead, Stage.DROPPED, actor=evidence.flagged_by, now=now,
                             reason="message deleted")
            else:
                record(session, lead, actor=evidence.flagged_by, kind="deleted", now=now)
    forget_copies(session, touched)
    return touched


def _take_over_or_blank(session: Session, lead: Lead) -> None:
    """The lead's own remark is gone: the next remark about the need (if any) speaks for it."""
    rest = session.exec(select(Evidence).where(Evidence.lead_id == lead.id).order_by(col(Evidence.id))).first()
    lead.channel = lead.message_ts = lead.permalink = None
    _blank_evidence_spans(lead)
    if rest is None:
        lead.text = DELETED
        return
    lead.text, lead.flagged_by, lead.permalink = rest.text, rest.flagged_by, rest.permalink
    lead.channel, lead.message_ts = rest.channel, rest.message_ts


def forget_person(session: Session, person_id: str, now: datetime) -> tuple[int, int]:
    """Remove every remark a person flagged. Returns (remarks removed, leads deleted): a lead
    only they flagged goes entirely; a shared one keeps the others' remarks and credit."""
    mine = list(session.exec(select(Evidence).where(Evidence.flagged_by == person_id)))
    lead_ids = {e.lead_id for e in mine} | set(session.exec(select(Lead.id).where(Lead.flagged_by == person_id)))
    for evidence in mine:
        session.delete(evidence)
    session.flush()
    gone = []
    for lead_id in lead_ids:
        lead = session.get(Lead, lead_id)
        if lead is None:
            continue
        if lead.flagged_by == person_id:
            _take_over_or_blank(session, lead)
            if lead.text == DELETED:
                gone.append(lead_id)
                continue
            session.add(lead)
            record(session, lead, actor="scout", kind="forgotten", now=now)
    delete_leads(session, gone)
    forget_copies(session, lead_ids)
    return len(mine), len(gone)


def prune_dropped(session: Session, before: datetime) -> int:
    """Delete leads dropped before `before`, with their evidence and events."""
    ids = list(session.exec(
        select(Lead.id).where(Lead.stage == Stage.DROPPED.value, col(Lead.closed_at) < before)
    ))
    delete_leads(session, ids)
    return len(ids)


def delete_leads(session: Session, lead_ids: Iterable[int]) -> None:
    ids = list(lead_ids)
    if not ids:
        return
    session.exec(delete(LeadEvent).where(col(LeadEvent.lead_id).in_(ids)))
    session.exec(delete(Evidence).where(col(Evidence.lead_id).in_(ids)))
    session.exec(delete(Lead).where(col(Lead.id).in_(ids)))


def _emptied(value: Any) -> Any:
    return {} if isinstance(value, dict) else [] if isinstance(value, list) else ""


def forget_copies(session: Session, lead_ids: Iterable[int]) -> int:
    """Stored copies of delivered digests that showed these leads lose their words (they are
    kept to update a message in place): every field is emptied but the lead ids, so an update
    finds nothing to change. The messages already in Slack or Teams are not rewritten."""
    wanted = set(lead_ids)
    if not wanted:
        return 0
    count = 0
    for row in session.exec(select(Outbox).where(Outbox.status != "pending")):
        shown = list(row.payload.get("lead_ids") or [])
        if wanted & set(shown) and not row.payload.get("forgotten"):
            row.payload = {**{k: _emptied(v) for k, v in row.payload.items()}, "lead_ids": shown, "forgotten": True}
            session.add(row)
            count += 1
    return count


def prune_copies(session: Session, before: datetime) -> int:
    """Delivered (or given up) digest messages older than `before` go, with the remarks they
    quote; a pending one is never deleted."""
    result = session.exec(delete(Outbox).where(  # type: ignore[call-overload]
        col(Outbox.status) != "pending", col(Outbox.created_at) < before))
    return result.rowcount or 0
