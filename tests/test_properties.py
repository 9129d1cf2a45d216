"""Property tests: whatever people type, Scout answers politely and the tagger stays sane."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render_text import render_text
from handlers.commands import run_command
from nlp.clean import clean_markup
from tests.conftest import ask

COMMANDS = st.sampled_from(["/flag", "/pipeline", "/leads", "/qualify", "/drop", "/snooze", "/stage",
                            "/revive", "/services", "/undo", "/help", "/nope", "flag", ""])
TEXT = st.text(max_size=300)
SLACKISH = st.lists(
    st.sampled_from(["<!channel>", "<@U123>", "<http://evil|click>", ":fire:", "`x`", "acme", "audit",
                     "'); DROP TABLE lead; --", "{\"type\": \"AdaptiveCard\"}", "\u0000", "\u202e", "\n", " "]),
    max_size=12,
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=COMMANDS, args=st.one_of(TEXT, SLACKISH), person=st.sampled_from(["dan", "tom", "maria", "UX"]))
def test_any_command_line_gets_a_reply_never_an_exception(scout, command, args, person):
    reply = run_command(scout, ask(person), f"{command} {args}")
    assert reply.kind in {"ok", "info", "usage", "error", "refused"}
    assert "Traceback" not in render_text(reply)
    assert "Something went wrong" not in reply.text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(TEXT, SLACKISH, st.text(max_size=5000)))
def test_tagger_output_is_well_formed_for_any_text(tagger, config, text):
    tags = tagger.tag(text, config.account("acme"))
    catalog = set(config.catalog.service_ids)
    assert 0.0 <= tags.score <= 1.0
    assert tags.lead == bool(tags.services or tags.triggers)
    assert set(tags.service_ids) <= catalog
    assert set(tags.suggested) <= catalog and not set(tags.suggested) & set(tags.service_ids)
    assert all(s.kind in ("cross-sell", "upsell") for s in tags.services)


@given(text=SLACKISH)
def test_cleaned_text_has_no_slack_markup(text):
    cleaned = clean_markup(text)
    assert "<@" not in cleaned and "<!" not in cleaned and "|click>" not in cleaned


# -- control characters, huge remarks, the store ---------------------------------------------------

CONTROLS = st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Zs", "Mn", "So", "Lo"]),
                   max_size=200)
HUGE = st.integers(20_000, 45_000).map(lambda n: ("they want tax planning <!channel> & \u0000 \u202e " * 1200)[:n])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=COMMANDS, args=st.one_of(CONTROLS, SLACKISH), person=st.sampled_from(["dan", "lee", "UX"]))
def test_control_characters_in_any_command_get_a_reply(scout, command, args, person):
    reply = run_command(scout, ask(person), f"{command} acme {args}")
    assert reply.kind in {"ok", "info", "usage", "error", "refused"}
    assert "Something went wrong" not in reply.text


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(remark=HUGE)
def test_a_huge_remark_is_stored_up_to_the_limit_and_answered(scout, remark):
    from handlers.flag import MAX_REMARK_CHARS
    from handlers.requests import clean_text
    from store.leads import get_lead

    reply = run_command(scout, ask("dan"), f"/flag acme {remark}")
    assert reply.kind == "ok", reply.text
    with scout.db.session() as session:
        stored = get_lead(session, reply.lead_id)
    expected = clean_text(remark).strip()[:MAX_REMARK_CHARS]
    if reply.title.startswith("Lead #"):
        assert stored.text == expected
    assert ("I kept the first part" in " ".join(reply.warnings)) == (len(clean_text(remark).strip()) > MAX_REMARK_CHARS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(remark=st.one_of(st.text(min_size=1, max_size=500), SLACKISH, CONTROLS).filter(lambda t: t.strip()))
def test_any_remark_round_trips_through_the_store_verbatim(scout, remark):
    """On SQLite and PostgreSQL: what is stored is what was typed (NUL aside, which PostgreSQL
    cannot hold), and reads back the same; SQL-looking text is just text."""
    from handlers.flag import capture
    from handlers.requests import clean_text
    from store.leads import get_lead

    acme = scout.config.account("acme")
    person = scout.config.person("dan")
    expected = clean_text(remark).strip()
    if not expected:
        return
    reply = capture(scout, person, acme, expected, ask("dan"))
    with scout.db.session() as session:
        lead = get_lead(session, reply.lead_id)
        texts = [lead.text] + [e.text for e in lead_evidence(session, lead.id)]
    assert expected in texts


def lead_evidence(session, lead_id):  # noqa: ANN001, ANN201
    from sqlmodel import select

    from store.tables import Evidence

    return list(session.exec(select(Evidence).where(Evidence.lead_id == lead_id)))


@settings(max_examples=3, deadline=None)
@given(remark=HUGE)
def test_the_tagger_takes_a_huge_remark(tagger, config, remark):
    tags = tagger.tag(remark, config.account("acme"), flagged=True)
    assert 0.0 <= tags.score <= 1.0 and set(tags.service_ids) <= set(config.catalog.service_ids)
