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
