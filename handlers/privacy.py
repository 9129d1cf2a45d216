"""Privacy use cases: follow a flagged message's edits and deletes, forget a person's remarks,
prune dropped leads after `retention_days`. What is kept, where and for how long: docs/privacy.md."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Scout
from handlers.requests import clean_text
from store.events import forget_sightings
from store.privacy import follow_delete, follow_edit, forget_person, prune_copies, prune_dropped


def message_edited(scout: Scout, channel: str | None, ts: str | None, text: str) -> list[int]:
    """A message in Slack was edited: stored copies of it change too. Returns the leads touched."""
    text = clean_text(text)
    if not channel or not ts or not text.strip():
        return []
    with scout.db.session() as session:
        return follow_edit(session, channel, ts, text.strip(), scout.now())


def message_deleted(scout: Scout, channel: str | None, ts: str | None) -> list[int]:
    if not channel or not ts:
        return []
    with scout.db.session() as session:
        return follow_delete(session, channel, ts, scout.now())


def forget(scout: Scout, person_id: str) -> tuple[int, int]:
    """On request (a person leaving, a privacy request): (remarks removed, leads deleted)."""
    with scout.db.session() as session:
        return forget_person(session, person_id, scout.now())


SIGHTINGS_KEPT = timedelta(days=7)  # platform event ids, for recognising retries and resends
COPIES_KEPT = timedelta(days=60)  # delivered digests, for updating them in place (bot/slack_app.py)


def prune(scout: Scout) -> int:
    """Dropped leads older than `retention_days` (from when they were dropped) are deleted; event
    ids older than a week and delivered digests older than 60 days always. Returns the number of
    leads deleted."""
    with scout.db.session() as session:
        forget_sightings(session, scout.now() - SIGHTINGS_KEPT)
        prune_copies(session, scout.now() - COPIES_KEPT)
    days = scout.config.retention_days
    if days is None:  # keep dropped leads for good
        return 0
    with scout.db.session() as session:
        return prune_dropped(session, scout.now() - timedelta(days=days))
