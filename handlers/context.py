"""What every use case needs: the firm's config, the tagger, the store and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from handlers.config import AppConfig
from nlp.tagger import Tagger
from store.db import Database
from store.spool import Spool


def utc_now() -> datetime:
    return datetime.now(UTC)


class SecondOpinion(Protocol):
    """An optional statistical check before Scout speaks up unasked in a channel."""

    def agrees(self, text: str) -> bool: ...


@dataclass
class Scout:
    """The use cases' dependencies, built once by the composition root in bot/."""

    config: AppConfig
    tagger: Tagger
    db: Database
    clock: Callable[[], datetime] = field(default=utc_now)
    second_opinion: SecondOpinion | None = None
    spool: Spool | None = None  # where a flag goes when the database cannot take it

    def now(self) -> datetime:
        return self.clock()
