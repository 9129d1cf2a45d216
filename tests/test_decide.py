"""Acting on leads: qualify, drop, snooze, advance, revive, change services and undo,
called directly and through typed commands, with the events each change leaves."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from handlers import decide
from handlers.commands import run_command
from handlers.flag import flag
from store.leads import credits, events_for, evidence_for, get_lead
from tests.conftest import MONDAY, ask

NEXT_MONDAY_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York


# ---------------------------------------------------------------- helpers


def _lead(scout, lead_id=1):
    with scout.db.session() as session:
        return get_lead(session, lead_id)


def _events(scout, lead_id=1):
    """(kind, actor, from, to, reason, undone) of every event of the lead, oldest first."""
    with scout.db.session() as session:
        return [
            (e.kind, e.actor, e.from_value, e.to_value, e.reason, e.undone)
            for e in events_for(session, lead_id)
        ]


def _evidence(scout, lead_id=1):
    with scout.db.session() as session:
        return [(e.flagged_by, e.text) for e in evidence_for(session, [lead_id])[lead_id]]


def _credit(scout, lead_id=1):
    with scout.db.session() as session:
        return credits(session, [lead_id])[lead_id]


def _snapshot(scout, lead_id=1):
    """Everything a decision could change on a lead, plus its event count."""
    lead = _lead(scout, lead_id)
    return (
        lead.stage, lead.stage_reason, lead.snoozed_until, lead.closed_at, lead.estimated_value,
        lead.client_fit, lead.service_applicability, lead.internal_capability,
        lead.competitive_position, list(lead.services), len(_events(scout, lead_id)),
    )


def _flag_tax_planning(scout, person="dan"):
    reply = flag(scout, ask(person, "acme they want tax planning help"))
    assert reply.kind == "ok", reply.text
    return reply


def _run(scout, person, line):
    return run_command(scout, ask(person), line)


def _is_postgres(scout) -> bool:
    return scout.db.engine.dialect.name == "postgresql"


# ---------------------------------------------------------------- qualify


def test_qualify_command_stores_ratings_value_and_moves_to_qualified(scout):
    _flag_tax_planning(scout)
    reply = _run(scout, "lee", "/qualify 1 fit=H applicability=M capability=high position=low value=120k")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #1 qualified by Lee Lead"
    assert reply.lead_id == 1
    assert "Estimated value $120K. Stage: qualified." in reply.text
    assert "Low on Competitive position" in reply.text
    assert [a.id for a in reply.actions] == ["undo"]
    assert reply.items[0].stage == "qualified"
    assert reply.items[0].value == 120000.0

    lead = _lead(scout)
    assert (lead.client_fit, lead.service_applicability, lead.internal_capability, lead.competitive_position) == (
        "High", "Medium", "High", "Low")
    assert lead.estimated_value == 120000.0
    assert (lead.stage, lead.closed_at) == ("qualified", None)

    events = _events(scout)
    assert [e[0] for e in events] == ["flagged", "qualified"]
    kind, actor, before, after, _reason, undone = events[1]
    assert (actor, undone) == ("lee", False)
    assert json.loads(before) == {
        "stage": "identified", "estimated_value": None, "client_fit": None,
        "service_applicability": None, "internal_capability": None, "competitive_position": None,
    }
    assert json.loads(after) == {
        "stage": "qualified", "estimated_value": 120000.0, "client_fit": "High",
        "service_applicability": "Medium", "internal_capability": "High", "competitive_position": "Low",
    }


def test_qualify_positional_ratings_follow_the_method_order(scout):
    _flag_tax_planning(scout)
    reply = _run(scout, "lee", "/qualify #1 h m l H value=$1.5m")
    assert reply.kind == "ok", reply.text
    lead = _lead(scout)
    assert (lead.client_fit, lead.service_applicability, lead.internal_capability, lead.competitive_position) == (
        "High", "Medium", "Low", "High")
    assert lead.estimated_value == 1_500_000.0
    assert "Low on Internal capability" in reply.text


def test_qualify_with_explicit_stage_goes_there(scout):
    _flag_tax_planning(scout)
    reply = decide.qualify(scout, ask("lee"), 1, {"client_fit": "Medium"}, 40_000, "proposed")
    assert reply.kind == "ok", reply.text
    lead = _lead(scout)
    assert (lead.stage, lead.client_fit, lead.estimated_value) == ("proposed", "Medium", 40_000.0)
    assert json.loads(_events(scout)[-1][3])["stage"] == "proposed"


def test_qualify_from_exploring_moves_to_qualified(scout):
    _flag_tax_planning(scout)
    decide.advance(scout, ask("lee"), 1, "exploring")
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"})
    assert _lead(scout).stage == "qualified"


def test_qualify_keeps_a_later_stage_and_unnamed_ratings(scout):
    _flag_tax_planning(scout)
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H", "competitive_position": "L"})
    decide.advance(scout, ask("lee"), 1, "negotiating")
    reply = _run(scout, "lee", "/qualify 1 value=75,000")
    assert reply.kind == "ok", reply.text
    lead = _lead(scout)
    assert lead.stage == "negotiating"
    assert (lead.client_fit, lead.competitive_position, lead.estimated_value) == ("High", "Low", 75_000.0)


def test_qualify_straight_to_won_stamps_closed_at(scout, clock):
    _flag_tax_planning(scout)
    clock.advance(hours=2)
    decide.qualify(scout, ask("lee"), 1, {}, 10_000, "won")
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("won", MONDAY + timedelta(hours=2))


def test_qualify_clears_a_snooze(scout):
    _flag_tax_planning(scout)
    decide.snooze(scout, ask("lee"), 1)
    assert _lead(scout).snoozed_until == NEXT_MONDAY_NY
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"})
    assert _lead(scout).snoozed_until is None


# ---------------------------------------------------------------- bad inputs


BAD_COMMANDS = [
    ("/qualify abc fit=H", "Which lead? Give its number"),
    ("/qualify fit=H", "Which lead? Give its number"),
    ("/qualify 999 fit=H", "I can't find lead #999 on any account you work on."),
    ("/qualify 1 fit=Huge", "\u201cHuge\u201d is not a rating: use High, Medium or Low (H, M, L)."),
    ("/qualify 1 stage=bogus", "\u201cbogus\u201d is not a stage. Stages: identified, exploring, qualified"),
    ("/qualify 1 value=-5", "\u201c-5\u201d is not an amount; write it like 120000, 120k or $1.2m."),
    ("/qualify 1 value=lots", "is not an amount"),
    ("/qualify 1 colour=H", "I don't understand \u201ccolour=H\u201d"),
    ("/qualify 1 H M L H M", "Give at most four ratings"),
    ("/drop abc client declined", "Which lead? Give its number"),
    ("/drop 999 client declined", "I can't find lead #999"),
    ("/snooze abc", "Which lead?"),
    ("/snooze 999", "I can't find lead #999"),
    ("/stage 1", "Which stage? e.g. /stage 12 proposed"),
    ("/stage 1 bogus", "\u201cbogus\u201d is not a stage."),
    ("/stage 1 identified", "Lead #1 is already identified."),
    ("/advance 999 won", "I can't find lead #999"),
    ("/revive 1", "Lead #1 is identified, not dropped."),
    ("/revive abc", "Which lead?"),
    ("/services 1 astrology", "Unknown service id: astrology. See /help services."),
    ("/services 999 audit", "I can't find lead #999"),
    ("/undo abc", "Which lead?"),
    ("/undo", "There is nothing of yours to undo there."),
    ("/undo 1", "There is nothing of yours to undo there."),
]


@pytest.mark.parametrize(("line", "expected"), BAD_COMMANDS, ids=[c[0] for c in BAD_COMMANDS])
def test_bad_command_gets_a_helpful_error_and_changes_nothing(scout, line, expected):
    _flag_tax_planning(scout)
    before = _snapshot(scout)
    reply = _run(scout, "lee", line)
    assert reply.kind == "error"
    assert expected in reply.text
    assert "went wrong" not in reply.text
    assert _snapshot(scout) == before


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"lead_id": "abc"}, "Which lead?"),
        ({"lead_id": None}, "Which lead?"),
        ({"lead_id": 999}, "I can't find lead #999"),
        ({"lead_id": 1, "ratings": {"client_fit": "Huge"}}, "\u201cHuge\u201d is not a rating"),
        ({"lead_id": 1, "ratings": {"vibes": "High"}}, "Unknown qualification dimension: vibes."),
        ({"lead_id": 1, "value": -5.0}, "The estimated value must be a positive amount."),
        ({"lead_id": 1, "value": 2e12}, "The estimated value must be a positive amount."),
        ({"lead_id": 1, "stage": "bogus"}, "\u201cbogus\u201d is not a stage."),
    ],
)
def test_bad_direct_qualify_changes_nothing(scout, kwargs, expected):
    _flag_tax_planning(scout)
    before = _snapshot(scout)
    reply = decide.qualify(scout, ask("lee"), **kwargs)
    assert reply.kind == "error"
    assert expected in reply.text
    assert _snapshot(scout) == before


def test_qualifying_a_dropped_lead_asks_to_revive_it_first(scout):
    _flag_tax_planning(scout)
    decide.drop(scout, ask("lee"), 1, "Bad timing")
    before = _snapshot(scout)
    reply = _run(scout, "lee", "/qualify 1 fit=H value=120k")
    assert reply.kind == "error"
    assert reply.text == "Lead #1 is dropped; revive it before qualifying it."
    assert _snapshot(scout) == before


def test_unknown_command_is_an_error(scout):
    reply = _run(scout, "lee", "/qualifyy 1")
    assert reply.kind == "error"
    assert "I don't know the command \u201c/qualifyy\u201d" in reply.text


# ---------------------------------------------------------------- drop and undo


def test_drop_sets_stage_reason_closed_at_and_an_event(scout, clock):
    _flag_tax_planning(scout)
    clock.advance(hours=1)
    reply = _run(scout, "lee", "/drop 1   Client   declined\tfor now ")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #1 dropped by Lee Lead"
    assert reply.text == "Reason: Client declined for now"
    assert [a.id for a in reply.actions] == ["undo"]
    assert [a.id for a in reply.items[0].actions] == ["revive"]
    assert "dropped: Client declined for now" in reply.items[0].notes
    lead = _lead(scout)
    assert (lead.stage, lead.stage_reason, lead.closed_at) == (
        "dropped", "Client declined for now", MONDAY + timedelta(hours=1))
    assert _events(scout)[-1] == ("stage", "lee", "identified", "dropped", "Client declined for now", False)


def test_drop_without_reason_says_so(scout):
    _flag_tax_planning(scout)
    decide.drop(scout, ask("lee"), 1)
    assert _lead(scout).stage_reason == "No reason given"


def test_dropping_twice_is_an_error(scout):
    _flag_tax_planning(scout)
    decide.drop(scout, ask("lee"), 1, "Duplicate")
    before = _snapshot(scout)
    reply = decide.drop(scout, ask("lee"), 1, "Bad timing")
    assert reply.kind == "error"
    assert reply.text == "Lead #1 is already dropped (Duplicate)."
    assert _snapshot(scout) == before


def test_undo_of_a_drop_restores_the_previous_stage_and_clears_closed_at(scout, clock):
    _flag_tax_planning(scout)
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"}, 120_000)
    decide.drop(scout, ask("lee"), 1, "Client declined")
    assert _lead(scout).closed_at is not None
    clock.advance(minutes=5)
    reply = _run(scout, "lee", "/undo")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Undone on lead #1"
    assert reply.text == "Back to qualified."
    assert reply.actions == ()
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("qualified", None)
    assert (lead.client_fit, lead.estimated_value) == ("High", 120_000.0)
    events = _events(scout)
    assert [e[0] for e in events] == ["flagged", "qualified", "stage", "undo"]
    assert events[2][5] is True  # the drop is marked undone
    assert events[3][:4] == ("undo", "lee", "dropped", "qualified")


def test_explain_drop_replaces_the_reason_with_an_event(scout):
    _flag_tax_planning(scout)
    decide.drop(scout, ask("lee"), 1)
    reply = decide.explain_drop(scout, ask("lee"), 1, "Conflict of interest")
    assert reply.kind == "ok", reply.text
    assert _lead(scout).stage_reason == "Conflict of interest"
    assert _events(scout)[-1][:4] == ("reason", "lee", "No reason given", "Conflict of interest")
    assert decide.explain_drop(scout, ask("lee"), 1, "   ").text == "Pick a reason."


def test_drop_reason_up_to_the_limit_is_kept(scout):
    _flag_tax_planning(scout)
    reason = "The client said no. " * 10  # 200 characters, the limit
    reply = decide.drop(scout, ask("lee"), 1, reason)
    assert reply.kind == "ok", reply.text
    lead = _lead(scout)
    assert lead.stage == "dropped"
    assert lead.stage_reason == reason.strip()


def test_stage_reason_is_capped_like_a_drop_reason(scout):
    _flag_tax_planning(scout)
    reply = _run(scout, "lee", "/stage 1 lost " + "went with a competitor " * 30)
    assert reply.kind == "ok", reply.text
    lead = _lead(scout)
    assert lead.stage == "lost"
    assert len(lead.stage_reason) <= decide.MAX_REASON_CHARS


# ---------------------------------------------------------------- snooze


def test_snooze_until_next_monday_nine_in_the_accounts_timezone(scout):
    _flag_tax_planning(scout)
    reply = _run(scout, "lee", "/snooze 1")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #1 snoozed by Lee Lead"
    assert reply.text == "It comes back in the digest of Mon 23 Nov."
    assert "snoozed until Mon 23 Nov" in reply.items[0].notes
    lead = _lead(scout)
    assert lead.snoozed_until == NEXT_MONDAY_NY
    assert lead.stage == "identified"
    assert _events(scout)[-1] == ("snoozed", "lee", None, NEXT_MONDAY_NY.isoformat(), None, False)


def test_snooze_early_monday_wakes_the_same_morning(scout, clock):
    clock.now = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # 07:00 in New York
    _flag_tax_planning(scout)
    decide.snooze(scout, ask("lee"), 1)
    assert _lead(scout).snoozed_until == datetime(2026, 11, 16, 14, 0, tzinfo=UTC)


def test_snooze_on_a_utc_account_wakes_at_nine_utc(scout):
    flag(scout, ask("olga", "globex wants a pen test"))
    reply = decide.snooze(scout, ask("olga"), 1)
    assert reply.kind == "ok", reply.text
    assert _lead(scout).snoozed_until == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_snooze_needs_a_future_time_and_an_open_lead(scout):
    _flag_tax_planning(scout)
    before = _snapshot(scout)
    past = decide.snooze(scout, ask("lee"), 1, until=MONDAY - timedelta(hours=1))
    assert (past.kind, past.text) == ("error", "Snooze needs a time in the future.")
    assert _snapshot(scout) == before
    decide.advance(scout, ask("lee"), 1, "won")
    before = _snapshot(scout)
    closed = decide.snooze(scout, ask("lee"), 1)
    assert (closed.kind, closed.text) == ("error", "Lead #1 is won; only open leads can be snoozed.")
    assert _snapshot(scout) == before


def test_snooze_until_a_given_time_and_undo_restores_the_previous_snooze(scout):
    _flag_tax_planning(scout)
    decide.snooze(scout, ask("lee"), 1)
    later = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    decide.snooze(scout, ask("lee"), 1, until=later)
    assert _lead(scout).snoozed_until == later
    assert _events(scout)[-1][2:4] == (NEXT_MONDAY_NY.isoformat(), later.isoformat())
    reply = decide.undo(scout, ask("lee"), 1)
    assert reply.text == "Snooze undone."
    assert _lead(scout).snoozed_until == NEXT_MONDAY_NY
    decide.undo(scout, ask("lee"), 1)
    assert _lead(scout).snoozed_until is None


# ---------------------------------------------------------------- advance and revive


def test_advance_moves_stage_with_an_event(scout):
    _flag_tax_planning(scout)
    reply = _run(scout, "lee", "/stage 1 Proposed")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #1 moved to proposed by Lee Lead"
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("proposed", None)
    assert _events(scout)[-1][:4] == ("stage", "lee", "identified", "proposed")


def test_advance_to_won_sets_closed_at_and_reopening_clears_it(scout, clock):
    _flag_tax_planning(scout)
    clock.advance(days=10)
    reply = _run(scout, "lee", "/advance 1 won")
    assert reply.kind == "ok", reply.text
    assert reply.items[0].actions == ()  # nothing left to do on a won lead
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("won", MONDAY + timedelta(days=10))
    decide.advance(scout, ask("lee"), 1, "negotiating")
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("negotiating", None)


def test_advance_to_lost_keeps_the_reason(scout):
    _flag_tax_planning(scout)
    _run(scout, "lee", "/stage 1 lost went with a competitor")
    lead = _lead(scout)
    assert (lead.stage, lead.stage_reason) == ("lost", "went with a competitor")
    assert lead.closed_at == MONDAY
    assert _events(scout)[-1][:5] == ("stage", "lee", "identified", "lost", "went with a competitor")


def test_undo_of_won_reopens(scout):
    _flag_tax_planning(scout)
    decide.advance(scout, ask("lee"), 1, "proposed")
    decide.advance(scout, ask("lee"), 1, "won")
    reply = decide.undo(scout, ask("lee"))
    assert reply.text == "Back to proposed."
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("proposed", None)


def test_revive_brings_a_dropped_lead_back_to_identified(scout, clock):
    _flag_tax_planning(scout)
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"})
    decide.drop(scout, ask("lee"), 1, "Bad timing")
    clock.advance(days=30)
    reply = _run(scout, "lee", "/revive 1")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #1 revived by Lee Lead"
    assert [a.id for a in reply.items[0].actions] == ["qualify", "drop", "snooze"]
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at, lead.stage_reason) == ("identified", None, "revived")
    assert _events(scout)[-1][:5] == ("stage", "lee", "dropped", "identified", "revived")


@pytest.mark.parametrize("stage", ["won", "lost", "proposed"])
def test_revive_only_applies_to_dropped_leads(scout, stage):
    _flag_tax_planning(scout)
    decide.advance(scout, ask("lee"), 1, stage)
    before = _snapshot(scout)
    reply = decide.revive(scout, ask("lee"), 1)
    assert (reply.kind, reply.text) == ("error", f"Lead #1 is {stage}, not dropped.")
    assert _snapshot(scout) == before


# ---------------------------------------------------------------- services


def test_set_services_replaces_the_tagged_services_with_an_event(scout):
    _flag_tax_planning(scout)
    reply = _run(scout, "lee", "/services 1 audit, tax_planning audit")
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #1 services updated"
    assert reply.text == "Services: Audit, Tax planning"
    assert reply.actions == ()
    assert [s.id for s in reply.items[0].services] == ["audit", "tax_planning"]
    assert _lead(scout).services == ["audit", "tax_planning"]
    assert _events(scout)[-1][:4] == ("services", "lee", "tax_planning", "audit,tax_planning")


def test_set_services_with_an_unknown_id_is_refused(scout):
    _flag_tax_planning(scout)
    before = _snapshot(scout)
    reply = decide.set_services(scout, ask("lee"), 1, ["audit", "astrology", "numerology"])
    assert reply.kind == "error"
    assert reply.text == "Unknown service id: astrology, numerology. See /help services."
    assert _snapshot(scout) == before
    assert _lead(scout).services == ["tax_planning"]


def test_services_change_is_not_undoable(scout):
    _flag_tax_planning(scout)
    decide.set_services(scout, ask("lee"), 1, ["audit"])
    reply = decide.undo(scout, ask("lee"))
    assert reply.kind == "error"
    assert _lead(scout).services == ["audit"]


# ---------------------------------------------------------------- undo


def test_undo_of_a_flag_withdraws_the_lead(scout, clock):
    _flag_tax_planning(scout)
    clock.advance(minutes=1)
    reply = _run(scout, "dan", "/undo 1")
    assert reply.kind == "ok", reply.text
    assert reply.text == "Your flag was withdrawn."
    lead = _lead(scout)
    assert (lead.stage, lead.stage_reason, lead.closed_at) == ("dropped", "withdrawn", MONDAY + timedelta(minutes=1))
    assert _events(scout) == [
        ("flagged", "dan", None, "identified", None, True),
        ("undo", "dan", "identified", "dropped", "withdrawn", False),
    ]
    again = _run(scout, "dan", "/undo 1")
    assert (again.kind, again.text) == ("error", "There is nothing of yours to undo there.")


def test_undo_of_a_repeat_flag_removes_only_that_evidence_and_credit(scout):
    flag(scout, ask("dan", "acme frustrated with their payroll provider"))
    flag(scout, ask("tom", "acme keeps moaning about the payroll provider again"))
    assert _credit(scout) == ["dan", "tom"]
    reply = decide.undo(scout, ask("tom"))
    assert reply.kind == "ok", reply.text
    assert reply.text == "Your remark was taken off the lead."
    assert _evidence(scout) == [("dan", "frustrated with their payroll provider")]
    assert _credit(scout) == ["dan"]
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at) == ("identified", None)
    assert [(e[0], e[1], e[5]) for e in _events(scout)] == [
        ("flagged", "dan", False), ("evidence", "tom", True), ("undo", "tom", False)]
    # dan's own flag is still his to withdraw
    assert decide.undo(scout, ask("dan")).text == "Your flag was withdrawn."


def test_undo_of_a_repeat_flag_takes_back_the_services_it_added(scout):
    flag(scout, ask("dan", "acme frustrated with their payroll provider"))
    flag(scout, ask("tom", "acme keeps moaning about the payroll provider and wants tax planning"))
    assert _lead(scout).services == ["hr_consulting", "tax_planning"]
    decide.undo(scout, ask("tom"))
    assert _lead(scout).services == ["hr_consulting"]


def test_undo_of_a_qualification_restores_ratings_value_and_stage(scout):
    _flag_tax_planning(scout)
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"}, 10_000)
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "L", "service_applicability": "M"}, 90_000, "won")
    reply = decide.undo(scout, ask("lee"), 1)
    assert reply.text == "Qualification undone; back to qualified."
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at, lead.client_fit, lead.service_applicability, lead.estimated_value) == (
        "qualified", None, "High", None, 10_000.0)
    decide.undo(scout, ask("lee"), 1)
    lead = _lead(scout)
    assert (lead.stage, lead.client_fit, lead.estimated_value) == ("identified", None, None)


def test_undo_twice_does_not_undo_someone_elses_change(scout):
    _flag_tax_planning(scout)  # dan's flag
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"}, 120_000)
    first = decide.undo(scout, ask("lee"))
    assert first.kind == "ok", first.text
    second = decide.undo(scout, ask("lee"))
    assert (second.kind, second.text) == ("error", "There is nothing of yours to undo there.")
    lead = _lead(scout)
    assert (lead.stage, lead.closed_at, lead.client_fit) == ("identified", None, None)
    assert _events(scout)[0] == ("flagged", "dan", None, "identified", None, False)


def test_undo_without_a_lead_takes_the_latest_and_with_a_lead_that_one(scout):
    _flag_tax_planning(scout)
    flag(scout, ask("dan", "acme asked about a pen test"))
    decide.advance(scout, ask("lee"), 1, "exploring")
    decide.advance(scout, ask("lee"), 2, "proposed")
    decide.advance(scout, ask("lee"), 1, "qualified")
    reply = decide.undo(scout, ask("lee"), "#2")
    assert reply.title == "Undone on lead #2"
    assert (_lead(scout, 1).stage, _lead(scout, 2).stage) == ("qualified", "identified")
    decide.undo(scout, ask("lee"))
    assert (_lead(scout, 1).stage, _lead(scout, 2).stage) == ("exploring", "identified")


def test_undoing_an_old_flag_does_not_wipe_out_a_won_lead(scout):
    _flag_tax_planning(scout)  # dan's flag
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"}, 120_000)
    decide.advance(scout, ask("lee"), 1, "won")
    decide.undo(scout, ask("dan"))
    assert _lead(scout).stage == "won"


def test_every_change_leaves_one_event(scout):
    _flag_tax_planning(scout)
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "H"})
    decide.snooze(scout, ask("lee"), 1)
    decide.advance(scout, ask("maria"), 1, "proposed")
    decide.set_services(scout, ask("dan"), 1, ["tax_planning", "audit"])
    decide.drop(scout, ask("lee"), 1, "Client declined")
    decide.revive(scout, ask("maria"), 1)
    assert [(e[0], e[1]) for e in _events(scout)] == [
        ("flagged", "dan"), ("qualified", "lee"), ("snoozed", "lee"), ("stage", "maria"),
        ("services", "dan"), ("stage", "lee"), ("stage", "maria"),
    ]


def test_a_lead_number_in_superscript_or_other_digits_is_asked_again(scout):
    # "²" and "٣" pass str.isdigit() but are no lead number anyone typed on purpose.
    for raw in ("²", "٣", "#¹2"):
        reply = decide.drop(scout, ask("lee"), raw)
        assert reply.kind == "error" and "Which lead?" in reply.text
