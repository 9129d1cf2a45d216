"""`/pipeline` at scale: one account and the whole portfolio with 100,000 leads over 1,000
accounts, on SQLite and (with --postgres URL) on PostgreSQL. Reports p50/p95/max in ms.

    python bench/pipeline.py [--leads 100000] [--accounts 1000] [--postgres URL] [--json]

The firm is app.yaml's catalog and people with generated accounts; leads are bulk-inserted
(seeded, so every run measures the same data)."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from handlers.config import load_config, parse_config  # noqa: E402
from handlers.context import Scout  # noqa: E402
from handlers.pipeline import account_pipeline, portfolio  # noqa: E402
from nlp.tagger import build_tagger  # noqa: E402
from store.db import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.tables import Evidence, Lead, LeadEvent, Stage  # noqa: E402

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
STAGES = [s.value for s in Stage]


def big_firm(accounts: int):  # noqa: ANN201 - an AppConfig
    base = load_config(ROOT / "app.yaml")
    data = base.model_dump(mode="json", exclude_none=True)
    services = [s["id"] for s in data["services"]]
    leads = [p["id"] for p in data["people"] if p["role"] == "lead"]
    delivery = [p["id"] for p in data["people"] if p["role"] == "delivery"]
    rng = random.Random(1)
    data["accounts"] = [
        {"id": f"a{n:04d}", "name": f"Client {n:04d}", "lead": leads[n % len(leads)],
         "team": rng.sample(delivery, 2), "slack_channel": f"C{n:06d}",
         "services": [{"id": s, "status": rng.choice(["provided", "competitor", "in_house", "none"]),
                       "annual_spend": rng.randrange(10, 300) * 1000} for s in rng.sample(services, 4)]}
        for n in range(accounts)
    ]
    return parse_config(data, "bench firm")


def fill(db: Database, config, count: int) -> None:  # noqa: ANN001
    rng = random.Random(2)
    services = [s.id for s in config.services]
    people = [p.id for p in config.people]
    leads, evidence, events = [], [], []
    for n in range(1, count + 1):
        account = config.accounts[n % len(config.accounts)].id
        created = NOW - timedelta(days=rng.randrange(0, 400))
        stage = rng.choice(STAGES)
        who = rng.choice(people)
        remark = f"remark {n}: they want help with {rng.choice(services).replace('_', ' ')}"
        leads.append({
            "id": n, "account": account, "text": remark, "services": rng.sample(services, 2), "triggers": [],
            "tags": {}, "stage": stage, "source": "slash", "flagged_by": who, "nudges": 0,
            "estimated_value": rng.choice([None, rng.randrange(10, 500) * 1000]),
            "created_at": created, "updated_at": created,
            "closed_at": created + timedelta(days=30) if stage in ("won", "lost", "dropped") else None,
        })
        evidence.append({"lead_id": n, "text": remark, "flagged_by": who, "source": "slash", "created_at": created})
        events.append({"lead_id": n, "actor": who, "at": created, "kind": "flagged", "to_value": "identified",
                       "undone": False})
    with db.engine.begin() as conn:
        for table, rows in ((Lead, leads), (Evidence, evidence), (LeadEvent, events)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])
        if db.backend == "postgresql":
            conn.execute(text("SELECT setval('lead_id_seq', (SELECT max(id) FROM lead))"))
    if db.backend == "postgresql":  # what autovacuum does in a steady state: index-only scans work
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def timings(fn, runs: int) -> dict:  # noqa: ANN001
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"runs": runs, "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(0.95 * (runs - 1))], 1), "max_ms": round(samples[-1], 1)}


def measure(db: Database, config, leads: int) -> dict:  # noqa: ANN001
    upgrade(db.engine)
    started = time.perf_counter()
    fill(db, config, leads)
    load_s = time.perf_counter() - started
    scout = Scout(config=config, tagger=build_tagger(config.catalog), db=db, clock=lambda: NOW)
    manager = next(p for p in config.people if p.role == "manager")
    rng = random.Random(3)
    accounts = [rng.choice(config.accounts) for _ in range(100)]
    queue = iter(accounts * 2)
    one = timings(lambda: account_pipeline(scout, next(queue)), 100)
    whole = timings(lambda: portfolio(scout, manager), 10)
    return {"backend": db.backend, "leads": leads, "accounts": len(config.accounts), "fill_s": round(load_s, 1),
            "pipeline_one_account": one, "pipeline_portfolio": whole}


def fresh_postgres(url: str) -> Database:
    """An empty public schema, whatever tables earlier migrations (or other benches) left."""
    db = Database.from_url(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--postgres", metavar="URL", help="also measure on this (scratch) PostgreSQL database")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = big_firm(args.accounts)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{tmp}/bench.db")
        results.append(measure(db, config, args.leads))
        db.dispose()
    if args.postgres:
        db = fresh_postgres(args.postgres)
        results.append(measure(db, config, args.leads))
        db.dispose()
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'backend':<11} {'query':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        for name in ("pipeline_one_account", "pipeline_portfolio"):
            t = r[name]
            print(f"{r['backend']:<11} {name:<22} {t['p50_ms']:>8} {t['p95_ms']:>8} {t['max_ms']:>8}")
    print(f"{args.leads} leads over {args.accounts} accounts")


if __name__ == "__main__":
    main()
