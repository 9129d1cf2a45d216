"""The store on both backends: migrations, times, events and the same-need match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from store.db import Database, database_url
from store.leads import add_evidence, add_lead, change_stage, events_for, find_open_match, list_leads
from store.migrate import current_revision, head_revision
from store.tables import Stage

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def _lead(session, **kw):
    base = dict(account="acme", text="they need an audit", flagged_by="dan", source="slash", now=NOW,
                services=["audit"])
    return add_lead(session, **{**base, **kw})


def test_migrations_reach_head_and_match_the_models(db: Database):
    assert current_revision(db.engine) == head_revision()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_times_come_back_as_aware_utc(db: Database):
    tokyo = timezone(timedelta(hours=9))
    with db.session() as session:
        lead = _lead(session, now=NOW.astimezone(tokyo))
    with db.session() as session:
        (stored,) = list_leads(session)
    assert stored.created_at == NOW
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.id == lead.id


def test_naive_times_are_refused(db: Database):
    with pytest.raises(Exception, match="naive datetime"), db.session() as session:
        _lead(session, now=datetime(2026, 1, 1))


def test_failed_transaction_leaves_nothing(db: Database):
    with pytest.raises(RuntimeError), db.session() as session:
        _lead(session)
        raise RuntimeError("boom")
    with db.session() as session:
        assert list_leads(session) == []


def test_every_change_is_an_event(db: Database):
    with db.session() as session:
        lead = _lead(session)
        add_evidence(session, lead, text="again", flagged_by="tom", source="slash", now=NOW)
        change_stage(session, lead, Stage.DROPPED, actor="lee", now=NOW, reason="client declined")
    with db.session() as session:
        events = [(e.kind, e.actor, e.from_value, e.to_value, e.reason) for e in events_for(session, lead.id)]
    assert events[0] == ("flagged", "dan", None, "identified", None)
    assert events[1][:2] == ("evidence", "tom")
    assert events[2] == ("stage", "lee", "identified", "dropped", "client declined")


@pytest.mark.parametrize(
    ("existing", "new", "matches"),
    [
        ({"services": ["audit"]}, {"services": ["audit", "tax_planning"]}, True),
        ({"services": ["audit"]}, {"services": ["tax_planning"]}, False),
        ({"services": [], "triggers": ["funding_round"]}, {"services": [], "triggers": ["funding_round"]}, True),
        ({"services": ["audit"], "triggers": ["funding_round"]}, {"services": [], "triggers": ["funding_round"]}, False),
        ({"services": [], "text": "Odd  Remark"}, {"services": [], "text": "odd remark"}, True),
    ],
)
def test_same_need_match(db: Database, existing, new, matches):
    with db.session() as session:
        lead = _lead(session, **existing)
        found = find_open_match(
            session, "acme", new.get("services", []), new.get("triggers", []), new.get("text", "x")
        )
        assert (found is not None and found.id == lead.id) is matches


def test_closed_leads_and_other_accounts_never_match(db: Database):
    with db.session() as session:
        lead = _lead(session)
        _lead(session, account="globex")
        change_stage(session, lead, Stage.WON, actor="lee", now=NOW)
        assert find_open_match(session, "acme", ["audit"], [], "x") is None


def test_database_url_defaults_to_sqlite_and_points_postgres_at_psycopg():
    assert database_url({}) == "sqlite:///scout.db"
    assert database_url({"DATABASE_URL": "postgresql://u@h/db"}) == "postgresql+psycopg://u@h/db"
    assert database_url({"DATABASE_URL": "postgresql+psycopg://u@h/db"}) == "postgresql+psycopg://u@h/db"


def test_sqlite_runs_in_wal_mode(tmp_path):
    db = Database.from_url(f"sqlite:///{tmp_path}/x.db")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    db.dispose()


def test_an_event_id_is_acted_on_once(db: Database):
    from store.events import first_sighting

    with db.session() as session:
        assert first_sighting(session, "Ev123", NOW) is True
        assert first_sighting(session, "Ev123", NOW) is False
        assert first_sighting(session, "Ev124", NOW) is True
    with db.session() as session:
        assert first_sighting(session, "Ev123", NOW) is False
