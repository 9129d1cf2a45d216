"""The tables. Every change of a lead is a `LeadEvent`, so nothing is overwritten without trace."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, TypeDecorator
from sqlmodel import Field, SQLModel


class Stage(StrEnum):
    """Pipeline stages of the method, plus `dropped` for leads nobody will pursue."""

    IDENTIFIED = "identified"
    EXPLORING = "exploring"
    QUALIFIED = "qualified"
    PROPOSED = "proposed"
    NEGOTIATING = "negotiating"
    WON = "won"
    LOST = "lost"
    DROPPED = "dropped"


OPEN_STAGES = (Stage.IDENTIFIED, Stage.EXPLORING, Stage.QUALIFIED, Stage.PROPOSED, Stage.NEGOTIATING)
CLOSED_STAGES = (Stage.WON, Stage.LOST, Stage.DROPPED)


class Source(StrEnum):
    SLASH = "slash"
    CHANNEL = "channel"
    SHORTCUT = "shortcut"
    TEAMS = "teams"
    CONSOLE = "console"


class Rating(StrEnum):
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, whatever the database keeps (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


class Lead(SQLModel, table=True):
    """A cross-sell lead: a need heard on an account, and where it is in the pipeline."""

    # Covers the portfolio's GROUP BY account, stage with SUM(estimated_value): no table reads.
    __table_args__ = (Index("ix_lead_account_stage_value", "account", "stage", "estimated_value"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=40, index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    triggers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stage: str = Field(default=Stage.IDENTIFIED.value, max_length=20)
    stage_reason: str | None = Field(default=None, max_length=200)
    snoozed_until: datetime | None = _when(nullable=True)
    source: str = Field(max_length=20)
    flagged_by: str = Field(max_length=64, index=True)
    channel: str | None = Field(default=None, max_length=128)
    message_ts: str | None = Field(default=None, max_length=64)
    permalink: str | None = Field(default=None, max_length=1000)
    estimated_value: float | None = None
    client_fit: str | None = Field(default=None, max_length=10)
    service_applicability: str | None = Field(default=None, max_length=10)
    internal_capability: str | None = Field(default=None, max_length=10)
    competitive_position: str | None = Field(default=None, max_length=10)
    created_at: datetime = _when(nullable=False)
    updated_at: datetime = _when(nullable=False)
    closed_at: datetime | None = _when(nullable=True)
    nudges: int = Field(default=0)  # weekly digests that showed it with no decision since

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class Evidence(SQLModel, table=True):
    """One flag of a lead's need. The first is the lead's own; repeats share the credit."""

    __table_args__ = (Index("ix_evidence_message", "channel", "message_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    flagged_by: str = Field(max_length=64, index=True)
    source: str = Field(max_length=20)
    permalink: str | None = Field(default=None, max_length=1000)
    channel: str | None = Field(default=None, max_length=128)  # where the message is, so an edit
    message_ts: str | None = Field(default=None, max_length=64)  # or a delete there can follow it
    created_at: datetime = _when(nullable=False)


class LeadEvent(SQLModel, table=True):
    """Who changed what on a lead, when, from what, to what and why."""

    __tablename__ = "lead_event"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    actor: str = Field(max_length=64)
    at: datetime = _when(nullable=False)
    kind: str = Field(max_length=20)
    from_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    to_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str | None = Field(default=None, max_length=500)
    undone: bool = Field(default=False)


class SeenEvent(SQLModel, table=True):
    """A platform event or activity already acted on: Slack retries events it thinks were
    lost, Teams resends slow messages, and neither must create a second lead."""

    __tablename__ = "seen_event"

    id: str = Field(primary_key=True, max_length=128)
    at: datetime = _when(nullable=False)


class DigestClaim(SQLModel, table=True):
    """One digest of one scope for one period, claimed by whichever instance got there first.
    The primary key is the claim: a second instance's insert does nothing."""

    __tablename__ = "digest_claim"

    cadence: str = Field(primary_key=True, max_length=10)  # weekly | monthly
    scope: str = Field(primary_key=True, max_length=40)  # an account id, or "portfolio"
    period: str = Field(primary_key=True, max_length=10)  # 2026-W48 | 2026-11
    claimed_at: datetime = _when(nullable=False)
    outcome: str = Field(default="queued", max_length=20)  # queued | nothing | missed


class Outbox(SQLModel, table=True):
    """A message to send, written in the same transaction as the claim that made it; a sender
    drains it and records the platform's id of what it sent."""

    __table_args__ = (Index("ix_outbox_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    cadence: str = Field(max_length=10)
    scope: str = Field(max_length=40)
    period: str = Field(max_length=10)
    platform: str = Field(max_length=10)  # slack | teams
    destination: str = Field(max_length=128)  # a channel id, or a person id for a direct message
    kind: str = Field(max_length=20)  # digest | reminder | escalation | report
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = Field(default=0)
    due_at: datetime = _when(nullable=False)
    sent_at: datetime | None = _when(nullable=True)
    sent_ref: str | None = Field(default=None, max_length=128)  # Slack ts / Teams activity id
    sent_channel: str | None = Field(default=None, max_length=128)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when(nullable=False)


class ConversationRef(SQLModel, table=True):
    """Where Scout can speak first in Teams: a serialised ConversationReference (JSON, never
    pickled) for an account channel (`channel:<id>`) or a person's chat (`user:<id>`)."""

    __tablename__ = "conversation_ref"

    key: str = Field(primary_key=True, max_length=300)
    reference: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _when(nullable=False)


class InboxEvent(SQLModel, table=True):
    """A platform event acknowledged but not yet fully processed: written (with the raw
    payload) before the ack, deleted when processing ends, so a crash in between leaves a
    row that a later sweep processes. Deleting it also forgets the message text."""

    __tablename__ = "inbox_event"
    __table_args__ = (Index("ix_inbox_event_claimed", "claimed_at"),)

    key: str = Field(primary_key=True, max_length=160)  # the seen_event id, e.g. slack:Ev123
    platform: str = Field(max_length=10)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _when(nullable=False)
    claimed_at: datetime = _when(nullable=False)  # when a process last took it on
    attempts: int = Field(default=1)
