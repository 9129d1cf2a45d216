"""When the database cannot take a flag: keep the remark in the local spool and tell the
person it is saved, then file what the spool holds once the database answers again, each
entry exactly once (its spool id is recorded in the same transaction as the lead)."""

from __future__ import annotations

import logging
from datetime import datetime

from handlers.config import Account, Person
from handlers.context import Scout
from handlers.filing import file_remark
from handlers.replies import Field, Reply
from handlers.requests import Request
from nlp.tags import Tags
from store.db import Unavailable
from store.events import first_sighting
from store.spool import SpooledFlag

log = logging.getLogger("scout.spool")
REPLAY_WAIT_MS = 5000  # a store still locked holds the recovery loop no longer than this


def spool_flag(scout: Scout, person: Person, account: Account, remark: str, request: Request, tags: Tags,
               now: datetime, fields: list[Field], warnings: list[str]) -> Reply:
    """Write the flag to the spool (fsynced) and answer that it is saved and will be filed."""
    spool = scout.spool
    if spool is None:
        raise ValueError("no spool configured")
    entry = SpooledFlag.new(
        at=now, platform=request.platform, user=request.user, person=person.id, account=account.id,
        text=remark, source=request.source, channel=request.channel, message_ts=request.message_ts,
        permalink=request.permalink,
    )
    spool.append(entry)
    log.warning("database unavailable: flag on %s spooled to %s (%s)", account.id, spool.path, entry.id)
    return Reply(
        title=f"Saved: your remark on {account.name} will be filed shortly",
        text=("I can't reach the pipeline database right now, so I saved your remark on this server. "
              "It will be filed as a lead as soon as the database is back; there is no need to flag it again."),
        fields=tuple(fields), warnings=tuple(warnings), meta={"spooled": entry.id},
    )


def replay_spool(scout: Scout) -> int:
    """File what the spool holds; returns how many entries were filed now. Stops at the first
    sign the database is still away (the rest wait for the next try); an entry already filed
    (a crash after its commit, before the spool was compacted) is dropped without filing."""
    if scout.spool is None:
        return 0
    entries = scout.spool.read()
    done: set[str] = set()
    filed = 0
    for entry in entries:
        try:
            if _file(scout, entry):
                filed += 1
            done.add(entry.id)
        except Unavailable:
            break
        except Exception:  # a bad entry must not hold back the others; it stays in the spool
            log.exception("spooled flag %s could not be filed; kept in %s", entry.id, scout.spool.path)
    scout.spool.remove(done)
    if filed:
        log.warning("filed %d spooled flag(s) from %s", filed, scout.spool.path)
    return filed


def _file(scout: Scout, entry: SpooledFlag) -> bool:
    account = scout.config.account(entry.account)
    tags = scout.tagger.tag(entry.text, account, flagged=True)
    with scout.db.session(wait_ms=REPLAY_WAIT_MS) as session:
        if not first_sighting(session, f"spool:{entry.id}", scout.now()):
            return False
        file_remark(
            session, account=entry.account, person=entry.person, remark=entry.text, tags=tags,
            source=entry.source, now=entry.flagged_at, channel=entry.channel,
            message_ts=entry.message_ts, permalink=entry.permalink,
        )
    return True
