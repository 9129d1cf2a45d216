"""`/pipeline`: stages, values, wallet share and white space; the portfolio."""

from __future__ import annotations

from handlers import decide
from handlers.flag import flag
from handlers.pipeline import pipeline
from tests.conftest import ask


def _fields(reply):
    return {f.label: f.value for f in reply.fields}


def test_account_pipeline_groups_open_leads_by_stage_with_values(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))
    flag(scout, ask("dan", "acme asked about a pen test"))
    decide.qualify(scout, ask("lee"), 2, {"client_fit": "H"}, 50_000)
    clock.advance(days=3)
    reply = pipeline(scout, ask("lee", "acme"))
    assert reply.title == "Pipeline: Acme Corp"
    assert [s.title for s in reply.sections] == ["Identified (1, -)", "Qualified (1, $50K)"]
    fields = _fields(reply)
    assert fields["Open leads"] == "2"
    assert fields["Pipeline value"] == "$50K"
    assert reply.sections[0].items[0].age_days == 3
    assert reply.sections[0].items[0].flagged_by == ("Dan Delivery",)


def test_wallet_share_is_provided_over_total(scout):
    # acme: audit 150K + tax compliance 80K provided, of 400K in all: 57.5%, shown rounded down.
    fields = _fields(pipeline(scout, ask("lee", "acme")))
    assert fields["Wallet share"] == "57% ($230K of $400K a year)"


def test_white_space_excludes_wallet_lines_and_leads(scout):
    before = _fields(pipeline(scout, ask("lee", "acme")))["White space"]
    assert before.startswith("Outsourced accounting, Security audit, Managed security, HR consulting")
    flag(scout, ask("dan", "acme asked about a pen test"))
    after = _fields(pipeline(scout, ask("lee", "acme")))["White space"]
    assert "Security audit" not in after
    assert "Managed security" in after


def test_dropped_and_won_leads_leave_the_open_pipeline(scout):
    flag(scout, ask("dan", "acme they want tax planning help"))
    flag(scout, ask("dan", "acme asked about a pen test"))
    decide.drop(scout, ask("lee"), 1, "client declined")
    decide.advance(scout, ask("lee"), 2, "won")
    fields = _fields(pipeline(scout, ask("lee", "acme")))
    assert (fields["Open leads"], fields["Won"]) == ("0", "1")


def test_empty_account_says_how_to_start(scout):
    reply = pipeline(scout, ask("olga", "globex"))
    assert reply.sections == ()
    assert "/flag" in reply.text


def test_channel_implies_account(scout):
    assert pipeline(scout, ask("lee", "", channel="CACME")).title == "Pipeline: Acme Corp"


def test_unknown_account_suggests(scout):
    reply = pipeline(scout, ask("lee", "globx"))
    assert reply.kind == "error"
    assert "Did you mean Globex (globex)?" in reply.text


def test_manager_portfolio_has_a_row_per_account(scout):
    flag(scout, ask("dan", "acme they want tax planning help"))
    reply = pipeline(scout, ask("maria"))
    table = reply.sections[0].table
    assert [row[0] for row in table.rows] == ["Acme Corp", "Globex", "Initech"]
    assert table.rows[0][1] == "1"
    assert _fields(reply)["Open leads"] == "1"


def test_delivery_person_on_no_team_has_an_empty_portfolio(scout):
    reply = pipeline(scout, ask("tom"))
    assert reply.kind == "info"
    assert "not on any account team" in reply.text
