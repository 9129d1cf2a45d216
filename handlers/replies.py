"""Neutral replies: a small tree of dataclasses that each adapter renders its own way.

Text in these objects is plain and unescaped; escaping is the renderer's job, because
only it knows its markup (mrkdwn, Adaptive Card text, a terminal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ReplyKind = Literal["ok", "info", "usage", "error", "refused"]
Style = Literal["primary", "danger"] | None


@dataclass(frozen=True)
class Action:
    """A button: `id` names the use case, `value` carries what it acts on (a lead id)."""

    id: str
    label: str
    value: str = ""
    style: Style = None


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class ServiceView:
    id: str
    name: str
    kind: str
    evidence: str = ""
    conflict: bool = False


@dataclass(frozen=True)
class TriggerView:
    id: str
    name: str
    evidence: str = ""


@dataclass(frozen=True)
class LeadItem:
    """One lead as every reply shows it."""

    id: int
    account: str
    account_name: str
    text: str
    stage: str
    services: tuple[ServiceView, ...] = ()
    triggers: tuple[TriggerView, ...] = ()
    flagged_by: tuple[str, ...] = ()
    age_days: int = 0
    value: float | None = None
    notes: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A bar chart as data: each adapter draws it its own way (a PNG for Slack and Teams)."""

    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    unit: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    items: tuple[LeadItem, ...] = ()
    table: Table | None = None


@dataclass(frozen=True)
class Reply:
    """What a use case answers. `ephemeral` replies are shown to the asker only."""

    title: str
    kind: ReplyKind = "ok"
    text: str = ""
    fields: tuple[Field, ...] = ()
    sections: tuple[Section, ...] = ()
    items: tuple[LeadItem, ...] = ()
    actions: tuple[Action, ...] = ()
    warnings: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    ephemeral: bool = True
    lead_id: int | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def all_items(self) -> tuple[LeadItem, ...]:
        return self.items + tuple(i for s in self.sections for i in s.items)


def refused(text: str) -> Reply:
    return Reply(title="Not allowed", kind="refused", text=text)


def error(text: str, title: str = "Sorry") -> Reply:
    return Reply(title=title, kind="error", text=text)


def usage(title: str, text: str) -> Reply:
    return Reply(title=title, kind="usage", text=text)
