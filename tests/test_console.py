"""The console adapter: typed lines in, the handlers' replies out as text."""

from __future__ import annotations

import io

from bot.console import Console, run_console
from bot.render_text import render_text
from handlers.replies import Reply


def test_console_flags_and_shows_the_pipeline(scout):
    console = Console(scout, "dan")
    out = console.handle("/flag acme they want tax planning help")
    assert out.splitlines()[0] == "Lead #1 flagged on Acme Corp"
    assert "Services: Tax planning (cross-sell, from \u201ctax planning\u201d)" in out
    console.handle("/as lee")
    out = console.handle("/pipeline acme")
    assert "Pipeline: Acme Corp" in out
    assert "#1 [identified] Acme Corp: \u201cthey want tax planning help\u201d" in out
    assert "[Qualify]  [Drop]  [Snooze]" in out


def test_console_drives_qualify_and_drop_by_number(scout):
    console = Console(scout, "lee")
    console.handle("/flag acme they want tax planning help")
    assert "Lead #1 qualified by Lee Lead" in console.handle("/qualify 1 H M H L value=80k")
    out = console.handle("/drop 1 client went with their current advisor")
    assert "Lead #1 dropped by Lee Lead" in out
    assert "Reason: client went with their current advisor" in out


def test_console_refuses_as_the_handlers_do(scout):
    console = Console(scout, "tom")
    out = console.handle("/pipeline acme")
    assert out.startswith("! Not allowed")


def test_unknown_command_and_unknown_person(scout):
    console = Console(scout, "lee")
    assert "I don't know the command" in console.handle("/frobnicate")
    assert console.handle("/as nobody").startswith("! No person 'nobody'")
    assert console.person == "lee"


def test_piped_session_runs_line_by_line_and_stops_at_quit(scout):
    out = io.StringIO()
    run_console(scout, "dan", io.StringIO("/help\n/flag acme they want tax planning help\n/quit\n/leads\n"), out)
    text = out.getvalue()
    assert "/flag ACCOUNT remark" in text
    assert "Lead #1 flagged on Acme Corp" in text
    assert "== Open leads on your accounts ==" not in text


def test_silent_replies_render_as_nothing():
    assert render_text(Reply(title="", meta={"silent": "yes"})) == ""
