"""What the tagger says about one remark: plain dataclasses that every layer can read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Kind = Literal["cross-sell", "upsell"]


@dataclass(frozen=True)
class ServiceTag:
    id: str
    score: float
    evidence: str
    kind: Kind = "cross-sell"
    conflict: bool = False


@dataclass(frozen=True)
class TriggerTag:
    id: str
    evidence: str


@dataclass(frozen=True)
class Amount:
    text: str
    value: float
    currency: str


@dataclass(frozen=True)
class Modifier:
    """A cue that lowers or removes a lead: negated, hypothetical, historical, other party..."""

    kind: str
    cue: str
    target: str


@dataclass(frozen=True)
class Tags:
    lead: bool
    score: float
    services: list[ServiceTag] = field(default_factory=list)
    triggers: list[TriggerTag] = field(default_factory=list)
    suggested: list[str] = field(default_factory=list)
    negated: list[str] = field(default_factory=list)
    amounts: list[Amount] = field(default_factory=list)
    modifiers: list[Modifier] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)

    @property
    def service_ids(self) -> list[str]:
        return [s.id for s in self.services]

    @property
    def trigger_ids(self) -> list[str]:
        return [t.id for t in self.triggers]

    @property
    def conflicts(self) -> list[str]:
        return [s.id for s in self.services if s.conflict]

    def to_json(self) -> dict:
        """The `scout tag --json` object."""
        return asdict(self)
