"""Running the digests: claim each due (account, period) once, escalate what nobody decided,
and queue the messages in the outbox, all in one transaction per claim.

Platform-neutral: the adapters hand in one renderer per platform they serve (Reply -> JSON
payload) and a sender drains the outbox later. Nothing here talks to Slack or Teams."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from handlers.calendar import Occurrence, last_monthly, last_weekly, month_bounds
from handlers.config import Account, AppConfig, Person
from handlers.context import Scout
from handlers.digest import awaiting_decision, compose_weekly, escalation, stale_reminder, weekly_digest
from handlers.people import managers_of
from handlers.replies import Reply
from handlers.report import monthly_report
from store.digests import claim, enqueue, is_claimed, previous_claim, set_outcome
from store.leads import change_stage, credits, record
from store.tables import Lead, Stage

log = logging.getLogger("scout.digests")
SYSTEM = "scout"
EXPIRED = "expired"
PORTFOLIO = "portfolio"

Renderer = Callable[[Reply], dict[str, Any]]


@dataclass
class RunReport:
    """What one run did, for the log and for `scout digest`."""

    cadence: str
    queued: dict[str, int] = field(default_factory=dict)  # scope -> messages queued
    nothing: list[str] = field(default_factory=list)  # claimed, nothing to act on
    already: list[str] = field(default_factory=list)  # another run has it
    missed: list[str] = field(default_factory=list)  # beyond the grace window, not sent
    unreachable: list[str] = field(default_factory=list)  # "person on platform" with no id to send to

    def lines(self) -> list[str]:
        out = [f"{scope}: {n} message(s) queued" for scope, n in self.queued.items()]
        out += [f"{scope}: nothing to act on, no message" for scope in self.nothing]
        out += [f"{scope}: already sent for this period" for scope in self.already]
        out += [f"{scope}: missed beyond the grace window; run `scout digest {self.cadence} --now <time in "
                "the period>` to send it late" for scope in self.missed]
        out += [f"cannot reach {who} yet" for who in self.unreachable]
        return out


class Mailer:
    """Queues one reply to channels and people on every platform the adapters serve."""

    def __init__(self, session: Session, config: AppConfig, renderers: Mapping[str, Renderer],
                 cadence: str, scope: str, period: str, now: datetime, report: RunReport) -> None:
        self.session, self.config, self.renderers, self.report = session, config, renderers, report
        self.key = {"cadence": cadence, "scope": scope, "period": period}
        self.now = now
        self.count = 0

    def to_account_channel(self, account: Account, reply: Reply, kind: str) -> None:
        for platform, render in self.renderers.items():
            channel = account.slack_channel if platform == "slack" else account.teams_channel
            if channel:
                self._queue(platform, f"channel:{channel}", kind, render(reply), reply)

    def to_people(self, people: Iterable[Person], reply: Reply, kind: str) -> None:
        for person in people:
            for platform, render in self.renderers.items():
                user = person.slack if platform == "slack" else person.teams
                if user:
                    self._queue(platform, f"user:{user}", kind, render(reply), reply)
                else:
                    self.report.unreachable.append(f"{person.id} on {platform}")

    def _queue(self, platform: str, destination: str, kind: str, payload: dict[str, Any], reply: Reply) -> None:
        payload = {**payload, "lead_ids": [item.id for item in reply.all_items]}
        enqueue(self.session, platform=platform, destination=destination, kind=kind, payload=payload,
                now=self.now, **self.key)
        self.count += 1


def run_weekly(scout: Scout, renderers: Mapping[str, Renderer], *, grace: bool = True,
               accounts: Iterable[Account] | None = None) -> RunReport:
    """Claim and queue each account's weekly digest for the period `scout.now()` falls in.
    With `grace`, a digest more than the grace window late is reported missed, not sent."""
    report = RunReport("weekly")
    weekly = scout.config.digests.weekly
    for account in accounts if accounts is not None else scout.config.accounts:
        due = last_weekly(scout.now(), weekly, account.timezone)
        if grace and scout.now() - due.due > timedelta(hours=weekly.grace_hours):
            if _missed(scout, "weekly", account.id, due):
                report.missed.append(account.id)
            continue
        with scout.db.session() as session:
            _weekly_for(scout, session, account, due, renderers, report)
    _log(report)
    return report


def _missed(scout: Scout, cadence: str, scope: str, due: Occurrence) -> bool:
    """Unsent although Scout was sending this digest before (a fresh install misses nothing)."""
    with scout.db.session() as session:
        return not is_claimed(session, cadence, scope, due.period) and (
            previous_claim(session, cadence, scope, due.period) is not None
        )


def _weekly_for(scout: Scout, session: Session, account: Account, due: Occurrence,
                renderers: Mapping[str, Renderer], report: RunReport) -> None:
    config, now = scout.config, scout.now()
    if not claim(session, "weekly", account.id, due.period, now):
        report.already.append(account.id)
        return
    previous = previous_claim(session, "weekly", account.id, due.period)
    since = previous.claimed_at if previous else due.due - timedelta(days=7)
    shown, expired, stale, escalate = _escalate(config, session, awaiting_decision(session, account, now), now)
    credit = credits(session, [lead.id for lead in shown + expired])
    mail = Mailer(session, config, renderers, "weekly", account.id, due.period, now, report)
    digest = compose_weekly(config, account, now, since, shown, expired, credit)
    if digest is not None:
        mail.to_account_channel(account, digest, "digest")
        mail.to_people(_people(config, [account.lead]), digest, "digest")
    if stale:
        mail.to_people(_people(config, [account.lead]), stale_reminder(config, account, now, stale, credit), "reminder")
    if escalate:
        managers = managers_of(config, account)  # none for a private account no manager is on
        if managers:
            mail.to_people(managers, escalation(config, account, now, escalate, credit), "escalation")
    if mail.count:
        report.queued[account.id] = mail.count
    else:
        set_outcome(session, "weekly", account.id, due.period, "nothing")
        report.nothing.append(account.id)


def _escalate(config: AppConfig, session: Session, leads: list[Lead], now: datetime
              ) -> tuple[list[Lead], list[Lead], list[Lead], list[Lead]]:
    """Count one more digest for every undecided lead; expire those past the limit.
    Returns (shown, expired, just stale, just escalated)."""
    limits = config.digests.weekly
    shown, expired, stale, escalate = [], [], [], []
    for lead in leads:
        if lead.nudges >= limits.expire_after:
            change_stage(session, lead, Stage.DROPPED, actor=SYSTEM, now=now, reason=EXPIRED)
            expired.append(lead)
            continue
        lead.nudges += 1
        record(session, lead, actor=SYSTEM, kind="nudged", now=now, to_value=str(lead.nudges))
        shown.append(lead)
        if lead.nudges == limits.stale_after:
            stale.append(lead)
        if lead.nudges == limits.escalate_after:
            escalate.append(lead)
    return shown, expired, stale, escalate


def run_monthly(scout: Scout, renderers: Mapping[str, Renderer], *, grace: bool = True) -> RunReport:
    """Claim and queue the managers' monthly report for the period `scout.now()` falls in."""
    report = RunReport("monthly")
    monthly = scout.config.digests.monthly
    due = last_monthly(scout.now(), monthly)
    if grace and scout.now() - due.due > timedelta(hours=monthly.grace_hours):
        if _missed(scout, "monthly", PORTFOLIO, due):
            report.missed.append(PORTFOLIO)
        _log(report)
        return report
    start, end = month_bounds(due.period, monthly.timezone)
    body = monthly_report(scout, start, end)
    with scout.db.session() as session:
        if not claim(session, "monthly", PORTFOLIO, due.period, scout.now()):
            report.already.append(PORTFOLIO)
        elif body is None:
            set_outcome(session, "monthly", PORTFOLIO, due.period, "nothing")
            report.nothing.append(PORTFOLIO)
        else:
            mail = Mailer(session, scout.config, renderers, "monthly", PORTFOLIO, due.period, scout.now(), report)
            mail.to_people([p for p in scout.config.people if p.role == "manager"], body, "report")
            report.queued[PORTFOLIO] = mail.count
    _log(report)
    return report


def preview_weekly(scout: Scout) -> list[Reply]:
    """The weekly digests as they would go out now, changing nothing (`--dry-run`)."""
    replies = []
    for account in scout.config.accounts:
        due = last_weekly(scout.now(), scout.config.digests.weekly, account.timezone)
        with scout.db.session() as session:
            previous = previous_claim(session, "weekly", account.id, due.period)
        since = previous.claimed_at if previous else due.due - timedelta(days=7)
        digest = weekly_digest(scout, account, since)
        if digest is not None:
            replies.append(digest)
    return replies


def preview_monthly(scout: Scout) -> list[Reply]:
    monthly = scout.config.digests.monthly
    start, end = month_bounds(last_monthly(scout.now(), monthly).period, monthly.timezone)
    body = monthly_report(scout, start, end)
    return [body] if body is not None else []


def _people(config: AppConfig, ids: Iterable[str]) -> list[Person]:
    return [p for p in (config.person(i) for i in ids) if p is not None]


def _log(report: RunReport) -> None:
    for line in report.lines():
        (log.warning if "missed" in line or "cannot reach" in line else log.info)("%s digest: %s", report.cadence, line)
