"""`scout demo` on the shipped sample firm: the week, /pipeline acme and the digests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.demo import run_demo
from handlers.config import load_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def output() -> str:
    out = io.StringIO()
    run_demo(load_config(ROOT / "app.yaml"), out)
    return out.getvalue()


def test_demo_prints_flags_pipeline_and_digest(output):
    assert "Lead #1 flagged on Acme Corp" in output
    assert "=== /pipeline acme, end of the week ===\nPipeline: Acme Corp" in output
    assert "Wallet share: 22% ($265K of $1,230K a year)" in output
    assert "=== Weekly digest for Acme Corp, Mon 23 Nov 09:00 America/Chicago ===" in output
    assert "Weekly cross-sell digest: Acme Corp" in output


def test_demo_shows_shared_credit_refusal_and_silence(output):
    assert "Added to lead #3 on Acme Corp" in output
    assert "flagged by Jordan Lee, Sam Carter" in output
    assert "Sorry, only the Acme Corp account team and managers can see or change its leads." in output
    assert "lunch order is in, thai place again\n    (Scout stays quiet)" in output


def test_demo_leaves_no_database_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_demo(load_config(ROOT / "app.yaml"), io.StringIO())
    assert list(tmp_path.iterdir()) == []
