"""Filing a tagged remark in the store: a new lead, or evidence for the open lead with the
same need. Shared by the /flag path and the spool replay, so both file a remark the same way."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from nlp.tags import Tags
from store.leads import add_evidence, add_lead, find_open_match
from store.tables import Lead


def file_remark(
    session: Session, *, account: str, person: str, remark: str, tags: Tags, source: str, now: datetime,
    channel: str | None = None, message_ts: str | None = None, permalink: str | None = None,
) -> tuple[Lead, bool]:
    """The lead the remark is on, and whether it was added to an existing one."""
    existing = find_open_match(session, account, tags.service_ids, tags.trigger_ids, remark)
    if existing is not None:
        add_evidence(
            session, existing, text=remark, flagged_by=person, source=source, now=now,
            services=tags.service_ids, triggers=tags.trigger_ids,
            permalink=permalink, channel=channel, message_ts=message_ts,
        )
        return existing, True
    lead = add_lead(
        session, account=account, text=remark, flagged_by=person, source=source, now=now,
        services=tags.service_ids, triggers=tags.trigger_ids, tags=tags.to_json(), channel=channel,
        message_ts=message_ts, permalink=permalink,
        estimated_value=max((a.value for a in tags.amounts), default=None),
    )
    return lead, False
