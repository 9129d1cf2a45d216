"""The managers' monthly report: specific leads in, specific numbers out; and its charts."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import matplotlib.image

from bot.chart import render_png
from bot.render_text import render_text
from handlers import decide
from handlers.flag import flag
from handlers.replies import Chart
from handlers.report import monthly_report
from tests.conftest import ask

NOV = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def _field(reply, label):
    return next(f.value for f in reply.fields if f.label == label)


def _table(reply, title_start):
    section = next(s for s in reply.sections if s.title.startswith(title_start))
    return section.table.rows if section.table else section.text


def _month_of_leads(scout, clock):
    flag(scout, ask("dan", "acme they want tax planning help"))          # 1: won, 10 days later
    flag(scout, ask("lee", "acme asked about a pen test"))               # 2: lost after 20 days
    flag(scout, ask("maria", "globex want a security audit"))            # 3: qualified at $50K
    flag(scout, ask("dan", "acme the books are a mess"))                 # 4: left alone
    decide.qualify(scout, ask("lee"), 1, {"client_fit": "High"}, 80_000, "qualified")
    decide.qualify(scout, ask("olga"), 3, {"client_fit": "Medium"}, 50_000, "qualified")
    clock.advance(days=10)
    decide.advance(scout, ask("lee"), 1, "won")
    clock.advance(days=10)
    decide.advance(scout, ask("lee"), 2, "lost")


def test_the_report_counts_what_the_method_asks_for(scout, clock):
    _month_of_leads(scout, clock)
    report = monthly_report(scout, *NOV)
    assert report.title == "Monthly cross-sell report: November 2026"
    assert _field(report, "Cross-sell win rate") == "50% (1 of 2 closed)"
    assert _field(report, "Identification to close") == "15 days on average"
    assert _field(report, "Open pipeline") == "2 lead(s), $50K"
    assert _field(report, "Won value") == "$80K"
    assert ("Qualified", "1", "$50K") in _table(report, "Open pipeline by stage")
    conversion = dict((r[0], r[1]) for r in _table(report, "Conversion by stage"))
    assert conversion == {"Identified": "4", "Exploring": "2", "Qualified": "2", "Proposed": "1",
                          "Negotiating": "1", "Won": "1"}
    assert ("slash", "4") in _table(report, "Leads flagged this month")
    assert _table(report, "Origination credit") == (("Dan Delivery", "1", "1"), ("Maria Manager", "1", "0"))
    assert "Acme Corp, Tax planning ($60K a year elsewhere)" in next(
        s.text for s in report.sections if s.title.startswith("Services per client"))
    assert [c.title for c in report.charts] == ["Open pipeline by stage", "Open pipeline by account"]
    assert report.charts[1].series[0][1][:2] == (0.0, 50_000.0)  # Acme, Globex


def test_leads_flagged_after_the_month_are_left_out(scout, clock):
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)
    flag(scout, ask("dan", "acme they want tax planning help"))
    assert monthly_report(scout, *NOV) is None


def test_stale_leads_are_listed(scout, clock):
    from handlers.digest_run import run_weekly

    flag(scout, ask("dan", "acme they want tax planning help"))
    for _ in range(2):
        run_weekly(scout, {"slack": lambda reply: {}})
        clock.advance(days=7)
    report = monthly_report(scout, *NOV)
    (row,) = _table(report, "Stale leads (1)")
    assert row[:3] == ("#1", "Acme Corp", "2")
    assert "Stale leads (1)" in render_text(report)
    assert "[chart: Open pipeline by account]" in render_text(report)


def test_charts_render_as_png_of_the_promised_size():
    chart = Chart(title="Open pipeline by stage", categories=("Identified", "Qualified"),
                  series=(("Estimated value", (0.0, 125_000.0)),), unit="$")
    png = render_png(chart)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width, _ = matplotlib.image.imread(io.BytesIO(png)).shape
    assert (width, height) == (900, 500)
