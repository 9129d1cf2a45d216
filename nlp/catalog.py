"""The firm's service catalog and trigger events, as the tagger needs them.

These models are the `services`, `triggers` and wallet parts of app.yaml. They live
here, not in the handlers, so the tagger depends on nothing above it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, field_validator

WalletStatus = Literal["provided", "competitor", "in_house", "none"]

_ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class Strict(BaseModel):
    """A config model that rejects unknown keys, so a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceDef(Strict):
    """One service line of the firm's catalog."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1)
    practice: str = Field(min_length=1)
    terms: list[str] = Field(default_factory=list, description="Names of the service itself.")
    topics: list[str] = Field(
        default_factory=list,
        description="Words of the service's subject; they count only beside a need or pain cue.",
    )
    needs: list[str] = Field(
        default_factory=list, description="Phrasings of a need or pain this service answers."
    )
    next: list[str] = Field(default_factory=list, description="Cross-sell pathways: service ids.")
    audit_conflict: bool = Field(
        default=False,
        description="An auditor may not sell this to its own audit client (independence rules).",
    )

    @field_validator("terms", "topics", "needs")
    @classmethod
    def _no_blank_phrases(cls, phrases: list[str]) -> list[str]:
        cleaned = [p.strip() for p in phrases]
        if any(not p for p in cleaned):
            raise ValueError("phrases must not be blank")
        return cleaned


class TriggerDef(Strict):
    """A trigger event: something that happens to a client and opens a cross-sell moment."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1)
    suggests: list[str] = Field(default_factory=list, description="Service ids it suggests.")


class WalletLine(Strict):
    """One line of an account's wallet: who provides a service to the client today."""

    id: str
    status: WalletStatus = "none"
    annual_spend: NonNegativeFloat = 0


class Catalog(Strict):
    """What the tagger is built from: services and triggers, cross-checked."""

    services: list[ServiceDef]
    triggers: list[TriggerDef] = Field(default_factory=list)

    def service(self, service_id: str) -> ServiceDef | None:
        return next((s for s in self.services if s.id == service_id), None)

    @property
    def service_ids(self) -> list[str]:
        return [s.id for s in self.services]
