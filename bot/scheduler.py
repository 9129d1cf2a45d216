"""The digest clock inside `scout serve`: APScheduler 3 cron jobs from app.yaml `digests`, in
each account's timezone, plus a catch-up run at start-up and a steady outbox drain.

The job store is memory, never shared: every instance ticks on its own and the claims in the
database decide which one sends (APScheduler's docs warn that a shared job store between
processes gives duplicates or misses)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.outbox import Sender, drain
from handlers.config import AppConfig
from handlers.context import Scout
from handlers.digest_run import Renderer, RunReport, run_monthly, run_weekly
from handlers.privacy import prune

log = logging.getLogger("scout.scheduler")
DRAIN_EVERY_SECONDS = 30


def weekly_triggers(config: AppConfig) -> dict[str, CronTrigger]:
    """One cron trigger per timezone the accounts live in."""
    weekly = config.digests.weekly
    return {
        zone: CronTrigger(day_of_week=weekly.day[:3], hour=weekly.time.hour, minute=weekly.time.minute, timezone=zone)
        for zone in sorted({account.timezone for account in config.accounts})
    }


def monthly_trigger(config: AppConfig) -> CronTrigger:
    """The first working day falls on the 1st, 2nd or 3rd; the claim keeps it to one send."""
    monthly = config.digests.monthly
    days = {"day": "1-3", "day_of_week": "mon-fri"} if monthly.day == "first_working_day" else {"day": monthly.day}
    return CronTrigger(hour=monthly.time.hour, minute=monthly.time.minute, timezone=monthly.timezone, **days)


class DigestScheduler:
    """Runs the digest path on schedule and drains the outbox through the given senders."""

    def __init__(self, scout: Scout, renderers: Mapping[str, Renderer], senders: Mapping[str, Sender]) -> None:
        self.scout, self.renderers, self.senders = scout, renderers, senders
        self.scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        if not self.renderers:  # claiming a period with nowhere to send it would lose the digest
            log.warning("no platform to send digests to; the digest schedule is off")
            return
        config = self.scout.config
        weekly_grace = config.digests.weekly.grace_hours * 3600
        for zone, trigger in weekly_triggers(config).items():
            self.scheduler.add_job(self.weekly, trigger, args=[zone], id=f"weekly:{zone}",
                                   misfire_grace_time=weekly_grace, coalesce=True, max_instances=1)
        self.scheduler.add_job(self.monthly, monthly_trigger(config), id="monthly", coalesce=True,
                               misfire_grace_time=config.digests.monthly.grace_hours * 3600, max_instances=1)
        self.scheduler.add_job(self.drain, "interval", seconds=DRAIN_EVERY_SECONDS, id="drain",
                               coalesce=True, max_instances=1)
        self.scheduler.add_job(self.prune, CronTrigger(hour=3, minute=17, timezone=UTC), id="prune", coalesce=True)
        self.scheduler.add_job(self.catch_up, id="catch-up")  # now: send what was missed while down
        self.scheduler.start()

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def catch_up(self) -> list[RunReport]:
        """At start-up: any digest due within its grace window and not yet claimed goes now."""
        reports = [
            await asyncio.to_thread(run_weekly, self.scout, self.renderers),
            await asyncio.to_thread(run_monthly, self.scout, self.renderers),
        ]
        await self.drain()
        return reports

    async def weekly(self, zone: str) -> RunReport:
        accounts = [a for a in self.scout.config.accounts if a.timezone == zone]
        report = await asyncio.to_thread(run_weekly, self.scout, self.renderers, accounts=accounts)
        await self.drain()
        return report

    async def monthly(self) -> RunReport:
        report = await asyncio.to_thread(run_monthly, self.scout, self.renderers)
        await self.drain()
        return report

    async def prune(self) -> int:
        """Daily: dropped leads past app.yaml's retention_days are deleted."""
        return await asyncio.to_thread(prune, self.scout)

    async def drain(self) -> tuple[int, int]:
        return await asyncio.to_thread(drain, self.scout.db, self.senders, self.scout.now)
