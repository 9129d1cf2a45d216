"""The composition root: config, tagger and store wired into one `Scout`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from handlers.config import AppConfig, load_config
from handlers.context import Scout, utc_now
from nlp.statistical import LeadClassifier
from nlp.tagger import build_tagger
from store.db import Database, database_url
from store.migrate import current_revision, head_revision, upgrade
from store.spool import Spool, default_spool_path


class SetupError(Exception):
    """Scout cannot start as configured; the message says what to do."""


def config_path() -> Path:
    return Path(os.environ.get("SCOUT_CONFIG") or "app.yaml")


def open_database(url: str | None = None, auto_upgrade: bool | None = None) -> Database:
    """Connect, and make sure the schema is current. SQLite files are upgraded on the spot;
    a shared PostgreSQL is left to an explicit `scout db upgrade`."""
    db = Database.from_url(url or database_url())
    try:
        current = current_revision(db.engine)
    except Exception as exc:  # the driver's own error types differ per backend
        raise SetupError(f"cannot reach the database ({type(exc).__name__}); check DATABASE_URL") from None
    if current != head_revision():
        if auto_upgrade if auto_upgrade is not None else db.backend == "sqlite":
            upgrade(db.engine)
        else:
            raise SetupError("the database schema is not up to date: run `scout db upgrade`")
    return db


def build_scout(
    config: AppConfig | None = None,
    db: Database | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Scout:
    config = config or load_config(config_path())
    db = db or open_database()
    return Scout(
        config=config, tagger=build_tagger(config.catalog), db=db, clock=clock,
        second_opinion=load_second_opinion(config), spool=Spool(default_spool_path(db.engine.url)),
    )


def load_second_opinion(config: AppConfig) -> LeadClassifier | None:
    """The statistical classifier named in app.yaml's `tagger.classifier`, relative to app.yaml."""
    if not config.tagger.classifier:
        return None
    path = config_path().parent / config.tagger.classifier
    if not path.is_dir():
        raise SetupError(f"tagger.classifier: no trained model at {path} (make one with `scout train`)")
    return LeadClassifier(path, config.tagger.classifier_threshold)
