"""Who may see and act on what: managers everywhere; an account's lead and team on that
account; anyone in people may flag anywhere; everyone else a polite refusal that gives
nothing of the account's leads away."""

from __future__ import annotations

import pytest

from handlers import decide
from handlers.commands import run_command
from handlers.flag import flag
from handlers.leads import leads
from handlers.pipeline import pipeline
from handlers.requests import Request
from store.leads import events_for, get_lead
from tests.conftest import ask

ACME_REMARK = "they want tax planning help"  # lead #1, flagged by dan
GLOBEX_REMARK = "wants a pen test"  # lead #2, flagged by olga
INITECH_REMARK = "they keep asking about tax returns"  # lead #3, flagged by olga
TOM_REMARK = "asked about a security audit"  # lead #4: tom's own flag on acme
REMARKS = (ACME_REMARK, GLOBEX_REMARK, INITECH_REMARK, TOM_REMARK)
NOT_ON_ACME = (
    "Sorry, only the Acme Corp account team and managers can see or change its leads. "
    "Lee Lead leads that account if you need access."
)


@pytest.fixture
def firm_leads(scout):
    """One lead on each account, and one that tom flagged on acme."""
    for person, line in (
        ("dan", "acme " + ACME_REMARK),
        ("olga", "globex " + GLOBEX_REMARK),
        ("olga", "initech " + INITECH_REMARK),
        ("tom", "acme " + TOM_REMARK),
    ):
        reply = flag(scout, ask(person, line))
        assert reply.kind == "ok", reply.text
    return scout


def _snapshot(scout, lead_id):
    with scout.db.session() as session:
        lead = get_lead(session, lead_id)
        return (
            lead.stage, lead.stage_reason, lead.snoozed_until, lead.closed_at, lead.estimated_value,
            lead.client_fit, list(lead.services), len(events_for(session, lead_id)),
        )


def _stage(scout, lead_id):
    with scout.db.session() as session:
        return get_lead(session, lead_id).stage


def _all_text(reply) -> str:
    """Every piece of text a renderer could show from a reply."""
    parts = [reply.title, reply.text, *reply.warnings]
    parts += [f"{f.label} {f.value}" for f in reply.fields]
    for section in reply.sections:
        parts += [section.title, section.text, *(f"{f.label} {f.value}" for f in section.fields)]
        if section.table:
            parts += [" ".join(row) for row in section.table.rows]
    parts += [item.text for item in reply.all_items]
    return "\n".join(parts)


ACTIONS = {
    "qualify": "/qualify {id} fit=H applicability=M capability=high position=low value=120k",
    "drop": "/drop {id} Client declined",
    "snooze": "/snooze {id}",
    "advance": "/stage {id} won",
    "services": "/services {id} audit",
}


# ---------------------------------------------------------------- seeing an account


def test_outsider_is_refused_the_account_pipeline_without_seeing_a_lead(firm_leads):
    reply = pipeline(firm_leads, ask("tom", "acme"))
    assert reply.kind == "refused"
    assert reply.text == NOT_ON_ACME
    shown = _all_text(reply)
    assert ACME_REMARK not in shown
    assert TOM_REMARK not in shown
    assert reply.all_items == ()


def test_outsider_is_refused_the_pipeline_of_an_accounts_channel(firm_leads):
    reply = run_command(firm_leads, ask("tom", channel="CACME"), "/pipeline")
    assert (reply.kind, reply.text) == ("refused", NOT_ON_ACME)


def test_lead_of_another_account_is_refused_too(firm_leads):
    reply = run_command(firm_leads, ask("olga"), "/pipeline acme")
    assert reply.kind == "refused"
    assert ACME_REMARK not in _all_text(reply)
    assert run_command(firm_leads, ask("lee"), "/pipeline globex").kind == "refused"


@pytest.mark.parametrize(("person", "account"), [
    ("lee", "acme"), ("dan", "acme"), ("maria", "acme"), ("maria", "globex"),
    ("maria", "initech"), ("olga", "globex"), ("olga", "initech"),
])
def test_account_team_and_managers_see_the_account_pipeline(firm_leads, person, account):
    reply = run_command(firm_leads, ask(person), f"/pipeline {account}")
    assert reply.kind == "ok", reply.text
    assert reply.meta == {"account": account}
    assert reply.all_items, "the account's open leads are listed"
    assert {item.account for item in reply.all_items} == {account}


def test_portfolio_lists_only_visible_accounts(firm_leads):
    reply = run_command(firm_leads, ask("olga"), "/pipeline")
    assert reply.title == "Your portfolio"
    rows = reply.sections[0].table.rows
    assert [row[0] for row in rows] == ["Globex", "Initech"]
    assert [row[1] for row in rows] == ["1", "1"]
    fields = {f.label: f.value for f in reply.fields}
    assert (fields["Accounts"], fields["Open leads"]) == ("2", "2")
    assert "Acme" not in _all_text(reply)


def test_manager_portfolio_has_every_account(firm_leads):
    reply = run_command(firm_leads, ask("maria"), "/pipeline")
    assert [row[0] for row in reply.sections[0].table.rows] == ["Acme Corp", "Globex", "Initech"]
    assert {f.label: f.value for f in reply.fields}["Open leads"] == "4"


def test_person_on_no_team_gets_an_empty_portfolio(firm_leads):
    reply = run_command(firm_leads, ask("tom"), "/pipeline")
    assert reply.kind == "info"
    assert reply.sections == ()
    assert "not on any account team" in reply.text
    assert "Acme" not in _all_text(reply)


# ---------------------------------------------------------------- /leads


def test_leads_for_an_outsider_show_nothing_from_acme(firm_leads):
    reply = run_command(firm_leads, ask("tom"), "/leads")
    assert reply.kind == "info"
    assert reply.all_items == ()
    assert not any(remark in _all_text(reply) for remark in REMARKS)


def test_leads_of_an_account_for_an_outsider_are_refused(firm_leads):
    reply = run_command(firm_leads, ask("tom"), "/leads acme")
    assert (reply.kind, reply.text) == ("refused", NOT_ON_ACME)
    assert ACME_REMARK not in _all_text(reply)


def test_leads_mine_shows_own_flag_on_an_account_without_buttons(firm_leads):
    reply = leads(firm_leads, ask("tom", "mine"))
    assert reply.title == "Leads you flagged"
    (item,) = reply.items
    assert (item.id, item.account, item.text) == (4, "acme", TOM_REMARK)
    assert item.actions == ()
    assert ACME_REMARK not in _all_text(reply)


def test_leads_mine_keeps_buttons_on_accounts_you_are_on(firm_leads):
    (item,) = leads(firm_leads, ask("dan", "mine")).items
    assert item.id == 1
    assert [a.id for a in item.actions] == ["qualify", "drop", "snooze"]


@pytest.mark.parametrize(("person", "expected"), [
    ("maria", [4, 3, 2, 1]),
    ("lee", [4, 1]),
    ("dan", [4, 1]),
    ("olga", [3, 2]),
])
def test_leads_lists_the_open_leads_of_visible_accounts(firm_leads, person, expected):
    reply = run_command(firm_leads, ask(person), "/leads")
    assert [item.id for item in reply.items] == expected
    assert all(item.actions for item in reply.items)


# ---------------------------------------------------------------- acting on a lead


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_outsider_acting_on_an_acme_lead_looks_like_a_missing_lead(firm_leads, action):
    before = _snapshot(firm_leads, 1)
    reply = run_command(firm_leads, ask("tom"), ACTIONS[action].format(id=1))
    missing = run_command(firm_leads, ask("tom"), ACTIONS[action].format(id=999))
    assert reply.kind == "error"
    assert reply.text == "I can't find lead #1 on any account you work on."
    assert (reply.title, reply.kind, reply.items, reply.actions) == (
        missing.title, missing.kind, missing.items, missing.actions)
    assert reply.text == missing.text.replace("#999", "#1")
    assert ACME_REMARK not in _all_text(reply)
    assert _snapshot(firm_leads, 1) == before


def test_outsider_cannot_act_even_on_their_own_flag_on_acme(firm_leads):
    before = _snapshot(firm_leads, 4)
    reply = run_command(firm_leads, ask("tom"), "/qualify 4 fit=H")
    assert (reply.kind, reply.text) == ("error", "I can't find lead #4 on any account you work on.")
    assert _snapshot(firm_leads, 4) == before


def test_outsider_cannot_revive_a_dropped_acme_lead(firm_leads):
    decide.drop(firm_leads, ask("lee"), 1, "Bad timing")
    before = _snapshot(firm_leads, 1)
    reply = run_command(firm_leads, ask("tom"), "/revive 1")
    assert (reply.kind, reply.text) == ("error", "I can't find lead #1 on any account you work on.")
    assert _snapshot(firm_leads, 1) == before


def test_outsider_hears_the_same_about_a_dropped_lead_as_a_missing_one(firm_leads):
    """A dropped acme lead must not answer "already dropped" to someone off the account."""
    decide.drop(firm_leads, ask("lee"), 1, "Bad timing")
    reply = run_command(firm_leads, ask("tom"), "/drop 1 again")
    assert reply.text == "I can't find lead #1 on any account you work on."
    assert "Bad timing" not in _all_text(reply)


def test_outsider_cannot_undo_someone_elses_change(firm_leads):
    decide.drop(firm_leads, ask("lee"), 1, "Bad timing")
    reply = run_command(firm_leads, ask("tom"), "/undo 1")
    assert (reply.kind, reply.text) == ("error", "There is nothing of yours to undo there.")
    assert _stage(firm_leads, 1) == "dropped"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_lead_of_another_account_cannot_act_on_acme(firm_leads, action):
    before = _snapshot(firm_leads, 1)
    reply = run_command(firm_leads, ask("olga"), ACTIONS[action].format(id=1))
    assert (reply.kind, reply.text) == ("error", "I can't find lead #1 on any account you work on.")
    assert _snapshot(firm_leads, 1) == before


def test_lead_of_globex_acts_on_globex(firm_leads):
    reply = run_command(firm_leads, ask("olga"), ACTIONS["qualify"].format(id=2))
    assert reply.kind == "ok", reply.text
    assert reply.title == "Lead #2 qualified by Olga Lead"
    with firm_leads.db.session() as session:
        lead = get_lead(session, 2)
        assert (lead.stage, lead.client_fit, lead.estimated_value) == ("qualified", "High", 120_000.0)
    assert run_command(firm_leads, ask("olga"), "/drop 3 Duplicate").kind == "ok"
    assert _stage(firm_leads, 3) == "dropped"


@pytest.mark.parametrize("lead_id", [1, 2, 3, 4])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_manager_acts_on_every_account(firm_leads, action, lead_id):
    before = _snapshot(firm_leads, lead_id)
    reply = run_command(firm_leads, ask("maria"), ACTIONS[action].format(id=lead_id))
    assert reply.kind == "ok", reply.text
    assert reply.lead_id == lead_id
    assert _snapshot(firm_leads, lead_id) != before


@pytest.mark.parametrize("person", ["lee", "dan"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_account_lead_and_team_act_on_their_account(firm_leads, person, action):
    before = _snapshot(firm_leads, 1)
    reply = run_command(firm_leads, ask(person), ACTIONS[action].format(id=1))
    assert reply.kind == "ok", reply.text
    assert _snapshot(firm_leads, 1) != before


@pytest.mark.parametrize("person", ["lee", "dan"])
def test_acme_team_cannot_act_on_globex(firm_leads, person):
    before = _snapshot(firm_leads, 2)
    reply = run_command(firm_leads, ask(person), "/drop 2 not ours")
    assert (reply.kind, reply.text) == ("error", "I can't find lead #2 on any account you work on.")
    assert _snapshot(firm_leads, 2) == before


def test_team_member_revives_and_the_outsider_undoes_own_flag(firm_leads):
    assert run_command(firm_leads, ask("dan"), "/drop 1 Bad timing").kind == "ok"
    assert run_command(firm_leads, ask("dan"), "/revive 1").kind == "ok"
    assert _stage(firm_leads, 1) == "identified"
    # tom may withdraw his own flag even though he cannot act on acme otherwise
    reply = run_command(firm_leads, ask("tom"), "/undo 4")
    assert (reply.kind, reply.text) == ("ok", "Your flag was withdrawn.")
    assert _stage(firm_leads, 4) == "dropped"


# ---------------------------------------------------------------- flagging


@pytest.mark.parametrize(("person", "account"), [
    ("tom", "acme"), ("tom", "globex"), ("olga", "acme"), ("dan", "initech"), ("maria", "globex"),
])
def test_anyone_in_people_may_flag_on_any_account(scout, person, account):
    reply = flag(scout, ask(person, f"{account} they need an audit"))
    assert reply.kind == "ok", reply.text
    assert reply.items[0].account == account
    with scout.db.session() as session:
        lead = get_lead(session, reply.lead_id)
        assert (lead.account, lead.flagged_by) == (account, person)


def test_repeat_flag_by_an_outsider_does_not_reveal_the_existing_lead(firm_leads):
    reply = flag(firm_leads, ask("tom", "acme they also asked me about tax planning"))
    assert reply.kind == "ok", reply.text
    assert ACME_REMARK not in _all_text(reply)
    assert all(item.actions == () for item in reply.all_items)


def test_flag_reply_to_an_outsider_has_no_buttons_they_cannot_use(scout):
    reply = flag(scout, ask("tom", "acme asked about a pen test"))
    assert reply.kind == "ok", reply.text
    assert reply.items[0].actions == ()


# ---------------------------------------------------------------- strangers


STRANGER_LINES = [
    "/flag acme they need an audit",
    "/pipeline",
    "/pipeline acme",
    "/leads",
    "/leads mine",
    "/leads acme",
    "/qualify 1 fit=H value=120k",
    "/drop 1 Client declined",
    "/snooze 1",
    "/stage 1 won",
    "/advance 1 proposed",
    "/revive 1",
    "/services 1 audit",
    "/undo",
    "/undo 1",
]


@pytest.mark.parametrize("line", STRANGER_LINES)
def test_unknown_user_is_refused_on_every_command(firm_leads, line):
    before = _snapshot(firm_leads, 1)
    reply = run_command(firm_leads, ask("UNOBODY"), line)
    assert reply.kind == "refused"
    assert "don't know you" in reply.text
    assert reply.all_items == ()
    assert not any(remark in _all_text(reply) for remark in REMARKS)
    assert _snapshot(firm_leads, 1) == before


@pytest.mark.parametrize(("platform", "user"), [
    ("teams", "29:nobody"),
    ("teams", "UMARIA"),  # a Slack id means nothing on Teams
    ("slack", "29:maria"),  # nor a Teams id on Slack
    ("slack", "maria"),  # nor a bare person id outside the console
])
def test_ids_from_another_platform_are_strangers(firm_leads, platform, user):
    request = Request(platform=platform, user=user, text="", channel=None, source="slash")
    reply = run_command(firm_leads, request, "/pipeline acme")
    assert reply.kind == "refused"
    assert "don't know you" in reply.text


def test_known_people_are_recognised_on_teams_and_console(firm_leads):
    assert run_command(firm_leads, ask("maria", platform="teams"), "/pipeline acme").kind == "ok"
    assert run_command(firm_leads, ask("maria", platform="console"), "/pipeline acme").kind == "ok"
    assert run_command(firm_leads, ask("tom", platform="teams"), "/pipeline acme").kind == "refused"
