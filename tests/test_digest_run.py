"""The digest path: claims, escalation and the outbox, on SQLite and PostgreSQL, with a clock
that only moves when told (no test waits for a wall-clock schedule)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from handlers import decide
from handlers.context import Scout
from handlers.digest_run import run_monthly, run_weekly
from handlers.flag import flag
from store.db import Database
from store.digests import pending
from store.leads import get_lead
from store.tables import DigestClaim, Outbox
from tests.conftest import ask

MONDAY_NY_9 = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)  # acme's digest time (America/New_York)


def fake_render(reply):
    return {"text": reply.title, "sections": [s.title for s in reply.sections]}


RENDERERS = {"slack": fake_render}


def _outbox(scout) -> list[Outbox]:
    with scout.db.session() as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)))


def test_weekly_digest_goes_to_the_account_channel_and_the_lead_once(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    report = run_weekly(scout, RENDERERS)
    rows = _outbox(scout)
    assert [(r.scope, r.destination, r.kind) for r in rows] == [
        ("acme", "channel:CACME", "digest"), ("acme", "user:ULEE", "digest"),
    ]
    assert rows[0].period == "2026-W47"
    assert rows[0].payload["lead_ids"] == [1]
    assert report.queued == {"acme": 2}
    assert set(report.nothing) == {"globex", "initech"}  # nothing to act on: no message at all

    clock.advance(hours=1)
    again = run_weekly(scout, RENDERERS)
    assert again.queued == {} and set(again.already) == {"acme", "globex", "initech"}
    assert len(_outbox(scout)) == 2


def test_each_platform_gets_its_own_rendering(scout):
    flag(scout, ask("dan", "acme they want tax planning help"))
    run_weekly(scout, {"slack": fake_render, "teams": lambda reply: {"card": reply.title}})
    rows = _outbox(scout)
    assert [(r.platform, r.destination) for r in rows] == [
        ("slack", "channel:CACME"), ("teams", "channel:19:acme@thread.tacv2"),
        ("slack", "user:ULEE"), ("teams", "user:29:lee"),
    ]
    assert rows[1].payload["card"] == "Weekly cross-sell digest: Acme Corp"


def test_new_since_last_digest_and_still_waiting(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    run_weekly(scout, RENDERERS)
    clock.advance(days=2)
    flag(scout, ask("dan", "acme asked about a pen test"))
    clock.advance(days=5)  # next Monday, 10:00 New York
    run_weekly(scout, RENDERERS)
    latest = _outbox(scout)[-2]
    assert latest.period == "2026-W48"
    assert latest.payload["sections"] == ["New since the last digest (1)", "Still waiting for a decision (1)"]


def test_undecided_leads_go_stale_then_to_managers_then_expire(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    kinds_by_week = []
    for _ in range(9):
        before = len(_outbox(scout))
        run_weekly(scout, RENDERERS)
        kinds_by_week.append([(r.kind, r.destination) for r in _outbox(scout)[before:]])
        clock.advance(days=7)
    digest = [("digest", "channel:CACME"), ("digest", "user:ULEE")]
    assert kinds_by_week[0] == digest
    assert kinds_by_week[1] == [*digest, ("reminder", "user:ULEE")]  # stale after 2 digests
    assert kinds_by_week[2] == digest
    assert kinds_by_week[3] == [*digest, ("escalation", "user:UMARIA")]  # managers after 4
    assert kinds_by_week[7] == digest
    assert kinds_by_week[8] == digest  # the 9th: dropped as expired, shown once with Revive
    assert _outbox(scout)[-1].payload["sections"] == ["Dropped as expired (1)"]
    with scout.db.session() as session:
        lead = get_lead(session, 1)
        assert (lead.stage, lead.stage_reason) == ("dropped", "expired")
    assert run_weekly(scout, RENDERERS).queued == {}  # the week after: nothing left to say
    assert decide.revive(scout, ask("lee"), 1).kind == "ok"


def test_a_decision_resets_the_count_to_stale(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    run_weekly(scout, RENDERERS)
    decide.advance(scout, ask("lee"), 1, "exploring")
    clock.advance(days=7)
    run_weekly(scout, RENDERERS)
    with scout.db.session() as session:
        assert get_lead(session, 1).nudges == 1
    assert [r.kind for r in _outbox(scout)] == ["digest"] * 4  # no reminder: someone acted


def test_snoozed_lead_waits_for_the_next_digest(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    decide.snooze(scout, ask("lee"), 1)
    run_weekly(scout, RENDERERS)
    assert _outbox(scout) == []
    clock.advance(days=7)
    run_weekly(scout, RENDERERS)
    assert [r.payload["lead_ids"] for r in _outbox(scout)] == [[1], [1]]


def test_a_restart_after_a_missed_digest_sends_it_late_within_grace_once(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    run_weekly(scout, RENDERERS)  # week 47 went out
    clock.now = MONDAY_NY_9 + timedelta(days=7, hours=20)  # down at 09:00 in week 48; back 20 h later
    late = run_weekly(scout, RENDERERS)
    assert late.queued == {"acme": 3}  # the digest twice, and the lead's reminder: 2 digests, no decision
    assert run_weekly(scout, RENDERERS).queued == {}


def test_beyond_grace_a_missed_digest_is_reported_not_sent(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    run_weekly(scout, RENDERERS)
    clock.now = MONDAY_NY_9 + timedelta(days=7, hours=30)  # grace is 24 h
    report = run_weekly(scout, RENDERERS)
    assert report.missed == ["acme", "globex", "initech"] and report.queued == {}
    assert "scout digest weekly --now" in " ".join(report.lines())
    forced = run_weekly(scout, RENDERERS, grace=False)  # what `scout digest weekly --now` does
    assert forced.queued == {"acme": 3}


def test_people_without_a_platform_id_are_reported(scout, clock, config):
    flag(scout, ask("dan", "acme they want tax planning help"))
    people = [p.model_copy(update={"teams": None}) if p.id == "lee" else p for p in config.people]
    no_teams_lead = config.model_copy(update={"people": people})
    other = Scout(config=no_teams_lead, tagger=scout.tagger, db=scout.db, clock=clock)
    report = run_weekly(other, {"teams": lambda reply: {}})
    assert report.unreachable == ["lee on teams"]
    assert [r.destination for r in _outbox(scout)] == ["channel:19:acme@thread.tacv2"]


def test_two_instances_on_one_database_send_each_digest_once(scout, clock, db):
    flag(scout, ask("dan", "acme they want tax planning help"))
    flag(scout, ask("maria", "globex want a pen test"))
    second_db = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    instances = [scout, Scout(config=scout.config, tagger=scout.tagger, db=second_db, clock=clock)]
    start = threading.Barrier(len(instances))
    reports = []

    def tick(instance):
        start.wait()
        reports.append(run_weekly(instance, RENDERERS))

    threads = [threading.Thread(target=tick, args=(i,)) for i in instances]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    second_db.dispose()
    rows = _outbox(scout)
    assert sorted((r.scope, r.destination) for r in rows) == [
        ("acme", "channel:CACME"), ("acme", "user:ULEE"), ("globex", "channel:CGLOBEX"), ("globex", "user:UOLGA"),
    ]
    assert sorted(a for r in reports for a in r.already) == ["acme", "globex", "initech"]
    with scout.db.session() as session:
        assert len(list(session.exec(select(DigestClaim)))) == 3


def test_monthly_report_goes_to_managers_once_per_month(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    clock.now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # Tuesday 1 December: first working day
    report = run_monthly(scout, RENDERERS)
    assert report.queued == {"portfolio": 1}
    rows = pending_rows(scout)
    assert [(r.kind, r.destination, r.period) for r in rows] == [("report", "user:UMARIA", "2026-12")]
    assert run_monthly(scout, RENDERERS).already == ["portfolio"]


def pending_rows(scout) -> list[Outbox]:
    with scout.db.session() as session:
        return pending(session)
