"""`scout demo`: a scripted week at the sample firm, replayed offline through the real handlers."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import yaml

from bot.app import build_scout, open_database
from bot.console import Console
from bot.render_text import render_text
from handlers.calendar import next_weekly
from handlers.config import AppConfig
from handlers.digest import weekly_digest
from handlers.pipeline import account_pipeline

SCRIPT = Path(__file__).with_name("demo_week.yaml")


@dataclass
class DemoClock:
    """The demo's time: moved forward by the script, read by the handlers."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


def _at(start: date, step: dict) -> datetime:
    hour, minute = (int(x) for x in str(step.get("time", "09:00")).split(":"))
    return datetime.combine(start + timedelta(days=int(step.get("day", 0))), time(hour, minute), UTC)


def run_demo(config: AppConfig, out: TextIO, script: Path = SCRIPT) -> None:
    plan = yaml.safe_load(script.read_text(encoding="utf-8"))
    start = date.fromisoformat(str(plan["start"]))
    clock = DemoClock(datetime.combine(start, time(8, 0), UTC))
    with tempfile.TemporaryDirectory(prefix="scout-demo-") as tmp:
        db = open_database(f"sqlite:///{tmp}/scout.db", auto_upgrade=True)
        scout = build_scout(config, db, clock)
        console = Console(scout)
        out.write(f"A week of delivery chatter at {config.firm}, replayed through Scout.\n\n")
        for step in plan["steps"]:
            clock.now = _at(start, step)
            console.person = step["as"]
            who = config.person_name(step["as"])
            stamp = f"{clock.now:%a %H:%M}"
            if "post" in step:
                out.write(f"{stamp}  {who} in #{step['post']}: {step['text']}\n")
                shown = console.post(step["post"], step["text"])
                out.write(_indent(shown or "(Scout stays quiet)") + "\n\n")
            else:
                out.write(f"{stamp}  {who}: {step['say']}\n")
                out.write(_indent(console.handle(step["say"]) or "") + "\n\n")
        acme = config.account("acme") or config.accounts[0]
        out.write(f"=== /pipeline {acme.id}, end of the week ===\n")
        out.write(render_text(account_pipeline(scout, acme)) + "\n\n")
        end_of_week = clock.now
        for account in config.accounts:
            clock.now = next_weekly(end_of_week, config.digests.weekly, account.timezone)
            digest = weekly_digest(scout, account, since=clock.now - timedelta(days=7))
            if digest is not None:
                local = clock.now.astimezone(ZoneInfo(account.timezone))
                out.write(f"=== Weekly digest for {account.name}, {local:%a %d %b %H:%M} {account.timezone} ===\n")
                out.write(render_text(digest) + "\n\n")
        db.dispose()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
