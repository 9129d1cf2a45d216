"""The local spool: flagged remarks the database could not take, kept durably on disk until
they are filed. One JSON object per line, appended and fsynced before the user is told the
remark is saved; entries leave the file only once the store has them.

Appends and compactions take an exclusive `flock` on a side file (`<spool>.lock`), never on
the spool itself, so a compaction that replaces the file cannot strand an append on the old
inode, and several processes on one host may share a spool."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

log = logging.getLogger("scout.spool")
SPOOL_NAME = "scout-spool.jsonl"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SpooledFlag:
    """Everything needed to file a flag later, exactly once (`id` is the once)."""

    id: str
    platform: str
    user: str  # the platform's user id
    person: str  # the person id it resolved to when flagged
    account: str
    text: str
    source: str
    at: str  # ISO time of the flag; the lead is dated then, not when it is filed
    channel: str | None = None
    message_ts: str | None = None
    permalink: str | None = None

    @classmethod
    def new(cls, *, at: datetime, **values: Any) -> SpooledFlag:
        return cls(id=uuid.uuid4().hex, at=at.isoformat(), **values)

    @property
    def flagged_at(self) -> datetime:
        return datetime.fromisoformat(self.at)

    def to_json(self) -> dict[str, Any]:
        return {"v": FORMAT_VERSION, "kind": "flag", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpooledFlag:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def default_spool_path(database_url: str | URL, environ: dict[str, str] | None = None) -> Path:
    """SCOUT_SPOOL, else beside the SQLite file, else the working directory."""
    env = os.environ if environ is None else environ
    if env.get("SCOUT_SPOOL"):
        return Path(env["SCOUT_SPOOL"])
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / SPOOL_NAME
    return Path.cwd() / SPOOL_NAME


class Spool:
    """An fsynced append-only file of `SpooledFlag`s."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._threads = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._threads:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing releases the flock

    def append(self, entry: SpooledFlag) -> None:
        """Write one line and fsync it (and the directory, when the file is new) before
        returning: after this, a crash or a power cut keeps the remark."""
        line = json.dumps(entry.to_json(), ensure_ascii=False) + "\n"
        with self._locked():
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if not created and not _ends_with_newline(self.path):
                    line = "\n" + line  # a torn line from a crash stays alone on its line
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_dir(self.path.parent)

    def read(self) -> list[SpooledFlag]:
        """The entries waiting to be filed, oldest first; a torn line is skipped with a warning."""
        if not self.path.exists():  # the usual case: nothing spooled, and nothing created to say so
            return []
        with self._locked():
            return list(self._entries())

    def remove(self, ids: set[str]) -> None:
        """Drop filed entries: truncate when none is left, else rewrite the rest atomically."""
        if not ids:
            return
        with self._locked():
            rest = [entry for entry in self._entries() if entry.id not in ids]
            if not rest:
                if self.path.exists():
                    with open(self.path, "r+b") as handle:
                        handle.truncate(0)
                        os.fsync(handle.fileno())
                return
            temp = self.path.with_name(self.path.name + ".tmp")
            with open(temp, "w", encoding="utf-8") as handle:
                for entry in rest:
                    handle.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
            _fsync_dir(self.path.parent)

    def _entries(self) -> Iterator[SpooledFlag]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if data.get("kind") != "flag":
                        raise ValueError("not a flag")
                    yield SpooledFlag.from_json(data)
                except (ValueError, TypeError):
                    log.warning("%s line %d is unreadable (a write cut short?); skipped", self.path, number)


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
