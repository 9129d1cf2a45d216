"""Leads as flat records, for `scout leads --json` and the CRM export. Admin tools:
they run with database access on the server, not as a chat user."""

from __future__ import annotations

from typing import Any

from handlers.context import Scout
from store.leads import credits, list_leads

RECORD_FIELDS = (
    "id", "account", "account_name", "text", "stage", "stage_reason", "services", "triggers",
    "flagged_by", "credit", "source", "estimated_value", "client_fit", "service_applicability",
    "internal_capability", "competitive_position", "permalink", "snoozed_until",
    "created_at", "updated_at", "closed_at",
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def lead_records(scout: Scout, account: str | None = None, stage: str | None = None) -> list[dict[str, Any]]:
    with scout.db.session() as session:
        leads = list_leads(
            session, accounts=[account] if account else None, stages=[stage] if stage else None
        )
        credit = credits(session, [lead.id for lead in leads])
    records = []
    for lead in leads:
        acct = scout.config.account(lead.account)
        records.append({
            "id": lead.id,
            "account": lead.account,
            "account_name": acct.name if acct else lead.account,
            "text": lead.text,
            "stage": lead.stage,
            "stage_reason": lead.stage_reason,
            "services": list(lead.services),
            "triggers": list(lead.triggers),
            "flagged_by": lead.flagged_by,
            "credit": credit[lead.id],
            "source": lead.source,
            "estimated_value": lead.estimated_value,
            "client_fit": lead.client_fit,
            "service_applicability": lead.service_applicability,
            "internal_capability": lead.internal_capability,
            "competitive_position": lead.competitive_position,
            "permalink": lead.permalink,
            "snoozed_until": _iso(lead.snoozed_until),
            "created_at": _iso(lead.created_at),
            "updated_at": _iso(lead.updated_at),
            "closed_at": _iso(lead.closed_at),
        })
    return records
