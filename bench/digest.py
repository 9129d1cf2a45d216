"""A weekly digest run for 1,000 accounts against the fake Slack Web API on loopback, on
SQLite and (with --postgres URL) on PostgreSQL: wall time, messages sent, peak memory.

    python bench/digest.py [--accounts 1000] [--leads-per-account 6] [--postgres URL] [--json]

The firm is app.yaml's catalog and people with generated accounts (as in bench/pipeline.py),
written to a temporary app.yaml; each account has a few undecided leads flagged this week and
some that were already nudged, so the run sends channel digests, DMs to account leads, stale
reminders and escalations to managers. The run is the real command, `scout digest weekly --now`,
in a child process (claims, outbox, sender, Slack client) whose peak RSS comes from wait4.
A second run for the same week must send nothing: the benchmark checks that too."""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.loopback import FakeSlackProcess, scout_env  # noqa: E402
from bench.pipeline import big_firm, fresh_postgres  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.tables import Evidence, Lead, LeadEvent  # noqa: E402

NOW = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # a Monday, half an hour after the default digest time
NUDGES = [0, 0, 0, 1, 1, 3, 5]  # nudged before: 1 -> stale this run (stale_after 2), 3 -> escalated (4)


def fill(db: Database, config, per_account: int) -> int:  # noqa: ANN001
    """Undecided leads for every account; returns how many."""
    rng = random.Random(4)
    services = [s.id for s in config.services]
    delivery = [p.id for p in config.people if p.role == "delivery"]
    leads, evidence, events = [], [], []
    n = 0
    for account in config.accounts:
        for _ in range(per_account):
            n += 1
            created = NOW - timedelta(hours=rng.randrange(1, 24 * 20))
            who = rng.choice(delivery)
            remark = f"remark {n}: they asked whether we do {rng.choice(services).replace('_', ' ')}"
            leads.append({
                "id": n, "account": account.id, "text": remark, "services": rng.sample(services, 2), "triggers": [],
                "tags": {}, "stage": "identified", "source": "slash", "flagged_by": who,
                "nudges": rng.choice(NUDGES), "estimated_value": None, "created_at": created, "updated_at": created,
            })
            evidence.append({"lead_id": n, "text": remark, "flagged_by": who, "source": "slash",
                             "created_at": created})
            events.append({"lead_id": n, "actor": who, "at": created, "kind": "flagged", "to_value": "identified",
                           "undone": False})
    with db.engine.begin() as conn:
        for table, rows in ((Lead, leads), (Evidence, evidence), (LeadEvent, events)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])
    if db.backend == "postgresql":
        from sqlalchemy import text

        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval('lead_id_seq', (SELECT max(id) FROM lead))"))
    return n


def digest_once(env: dict[str, str]) -> dict:
    """`scout digest weekly --now NOW` as a child process: wall time, peak RSS, exit code."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "digest", "weekly", "--now", NOW.isoformat()],
            cwd=ROOT, env=env, stdout=out, stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak RSS (ru_maxrss, KB on Linux)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        said, problems = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"scout digest failed ({process.returncode}): {problems[-2000:]}")
    last = said.strip().splitlines()[-1:] or [""]
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "said": last[0],
            "warnings": len(problems.splitlines())}


def measure(database_url: str, config, per_account: int, fake: FakeSlackProcess, tmp: str) -> dict:  # noqa: ANN001
    db = Database.from_url(database_url)
    upgrade(db.engine)
    leads = fill(db, config, per_account)
    backend = db.backend
    db.dispose()
    app_yaml = Path(tmp) / f"app-{backend}.yaml"
    app_yaml.write_text(yaml.safe_dump(config.model_dump(mode="json", exclude_none=True), sort_keys=False))
    env = scout_env(database_url, fake, {"SCOUT_CONFIG": str(app_yaml)})
    before = fake.stats()["api"]
    first = digest_once(env)
    middle = fake.stats()["api"]
    second = digest_once(env)
    after = fake.stats()["api"]

    def posted(a: dict, b: dict) -> int:
        return b.get("chat.postMessage", 0) - a.get("chat.postMessage", 0)

    return {"backend": backend, "accounts": len(config.accounts), "leads": leads,
            "first_run": {**first, "messages_sent": posted(before, middle)},
            "second_run": {**second, "messages_sent": posted(middle, after)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--leads-per-account", type=int, default=6)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this (scratch) PostgreSQL database")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = big_firm(args.accounts)
    results = []
    fake = FakeSlackProcess()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(f"sqlite:///{tmp}/digest.db", config, args.leads_per_account, fake, tmp))
            if args.postgres:
                fresh_postgres(args.postgres).dispose()
                results.append(measure(args.postgres, config, args.leads_per_account, fake, tmp))
    finally:
        fake.stop()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'backend':<11} {'run':<7} {'wall s':>7} {'sent':>6} {'peak RSS MB':>12}")
    for r in results:
        for run in ("first_run", "second_run"):
            t = r[run]
            print(f"{r['backend']:<11} {run[:-4]:<7} {t['wall_s']:>7} {t['messages_sent']:>6} {t['peak_rss_mb']:>12}")
    print(f"{args.accounts} accounts, {results[0]['leads']} undecided leads")


if __name__ == "__main__":
    main()
