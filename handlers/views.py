"""How a stored lead looks in a reply: the same LeadItem in flag replies, lists and digests."""

from __future__ import annotations

from datetime import datetime

from handlers.config import AppConfig
from handlers.replies import Action, LeadItem, ServiceView, TriggerView
from store.tables import Lead, Stage

QUALIFY = Action(id="qualify", label="Qualify", style="primary")
DROP = Action(id="drop", label="Drop", style="danger")
SNOOZE = Action(id="snooze", label="Snooze")


def lead_actions(lead: Lead) -> tuple[Action, ...]:
    """Buttons that make sense for the lead's state; closed leads can only be revived."""
    value = str(lead.id)
    if lead.stage == Stage.DROPPED:
        return (Action(id="revive", label="Revive", value=value),)
    if not lead.is_open:
        return ()
    return tuple(Action(id=a.id, label=a.label, value=value, style=a.style) for a in (QUALIFY, DROP, SNOOZE))


def money(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"${value / 1_000:.0f}K"
    return f"${value:.0f}"


def age_days(lead: Lead, now: datetime) -> int:
    return max(0, (now - lead.created_at).days)


def lead_item(
    config: AppConfig,
    lead: Lead,
    now: datetime,
    credit: list[str] | None = None,
    with_actions: bool = True,
) -> LeadItem:
    account = config.account(lead.account)
    tagged = {s["id"]: s for s in lead.tags.get("services", [])}
    services = tuple(
        ServiceView(
            id=sid,
            name=config.service_name(sid),
            kind=tagged.get(sid, {}).get("kind", "cross-sell"),
            evidence=tagged.get(sid, {}).get("evidence", ""),
            conflict=bool(tagged.get(sid, {}).get("conflict", False)),
        )
        for sid in lead.services
    )
    trig_evidence = {t["id"]: t.get("evidence", "") for t in lead.tags.get("triggers", [])}
    triggers = tuple(
        TriggerView(id=t, name=config.trigger_name(t), evidence=trig_evidence.get(t, ""))
        for t in lead.triggers
    )
    notes = []
    if lead.snoozed_until and lead.snoozed_until > now and lead.is_open:
        notes.append(f"snoozed until {lead.snoozed_until:%a %d %b}")
    if lead.stage_reason and not lead.is_open:
        notes.append(f"{lead.stage}: {lead.stage_reason}")
    if lead.is_open and lead.nudges >= config.digests.weekly.stale_after:
        notes.append(f"stale: in {lead.nudges} weekly digests with no decision")
    if any(s.conflict for s in services):
        notes.append("auditor independence: check before pursuing")
    return LeadItem(
        id=lead.id or 0,
        account=lead.account,
        account_name=account.name if account else lead.account,
        text=lead.text,
        stage=lead.stage,
        services=services,
        triggers=triggers,
        flagged_by=tuple(config.person_name(p) for p in (credit or [lead.flagged_by])),
        age_days=age_days(lead, now),
        value=lead.estimated_value,
        notes=tuple(notes),
        actions=lead_actions(lead) if with_actions else (),
    )


def own_flag_item(config: AppConfig, lead: Lead, now: datetime, person_id: str, text: str) -> LeadItem:
    """What someone off the account team sees of a lead they flagged: their own words and the
    lead's fate (its stage), none of the team's work on it (services, triggers, value, notes,
    other people's names) and no buttons they could not use."""
    account = config.account(lead.account)
    return LeadItem(
        id=lead.id or 0,
        account=lead.account,
        account_name=account.name if account else lead.account,
        text=text,
        stage=lead.stage,
        flagged_by=(config.person_name(person_id),),
        age_days=age_days(lead, now),
    )


def conflict_warning(config: AppConfig, service_ids: list[str]) -> str:
    names = ", ".join(config.service_name(s) for s in service_ids)
    return (
        f"Auditor independence: the firm audits this client, so {names} may not be "
        "sold to it. Check with the engagement partner before pursuing."
    )
