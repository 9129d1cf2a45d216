"""The `scout` command end to end, as a subprocess, on the test firm and a temporary SQLite."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.firm import FIRM

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    config = tmp_path / "app.yaml"
    config.write_text(yaml.safe_dump(FIRM))
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SCOUT_CONFIG": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path}/scout.db",
    }


def scout(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
        env=env, timeout=120,
    )


def test_tag_json_prints_one_object_per_line_in_order(env):
    result = scout(env, "tag", "--json", "--account", "acme",
                   stdin="they want tax planning\nlunch is here\nthey raised a round\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["lead"] for r in rows] == [True, False, True]
    assert rows[0]["services"][0]["id"] == "tax_planning"
    assert rows[0]["services"][0]["kind"] == "cross-sell"
    assert rows[2]["triggers"] == [{"id": "funding_round", "evidence": "raised a round"}]


def test_tag_text_arguments(env):
    result = scout(env, "tag", "they", "want", "tax", "planning")
    assert result.returncode == 0
    assert result.stdout.startswith("lead (")
    assert "tax_planning" in result.stdout


def test_unknown_account_is_one_line_and_exit_2(env):
    result = scout(env, "tag", "--account", "nope", "hello")
    assert (result.returncode, result.stderr.strip()) == (2, f"scout: no account 'nope' in {env['SCOUT_CONFIG']}")


def test_console_then_leads_json_and_csv_export(env):
    lines = "/flag acme they want tax planning\n/flag acme =HYPERLINK(\"http://x\") needs an audit\n"
    result = scout(env, "console", "--as", "dan", stdin=lines)
    assert result.returncode == 0, result.stderr
    assert "Lead #2 flagged on Acme Corp" in result.stdout

    leads = json.loads(scout(env, "leads", "--json").stdout)
    assert [lead["id"] for lead in leads] == [1, 2]
    first = leads[0]
    assert {k: first[k] for k in ("account", "text", "stage", "services", "triggers", "flagged_by", "source")} == {
        "account": "acme", "text": "they want tax planning", "stage": "identified",
        "services": ["tax_planning"], "triggers": [], "flagged_by": "dan", "source": "console",
    }
    assert first["created_at"].endswith("+00:00")

    filtered = json.loads(scout(env, "leads", "--json", "--account", "globex").stdout)
    assert filtered == []

    export = scout(env, "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["services"] == "tax_planning"
    assert rows[1]["text"].startswith("'=HYPERLINK")


def test_console_rejects_unknown_person(env):
    result = scout(env, "console", "--as", "ghost")
    assert result.returncode == 2
    assert "no person 'ghost'" in result.stderr


def test_db_upgrade_reports_the_revision(env):
    result = scout(env, "db", "upgrade")
    assert result.returncode == 0
    assert "revision 0006 (head 0006)" in result.stdout


def test_unreachable_database_is_one_line(env):
    env = {**env, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = scout(env, "leads")
    assert result.returncode == 2
    assert result.stderr.startswith("scout: cannot reach the database")
    assert "Traceback" not in result.stderr


def test_serve_without_slack_settings_says_which_and_how(env):
    result = scout(env, "serve")
    assert result.returncode == 2
    assert result.stderr.startswith("scout: missing SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in the environment.")
    assert "docs/slack-manifest.yaml" in result.stderr
