"""Background recovery inside `scout serve`: every few seconds, file the flags the spool
holds (once the database answers again) and run the inbox sweeps (events a crashed process
acknowledged but never processed). The first round runs at start-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from handlers.context import Scout
from handlers.spooling import replay_spool

log = logging.getLogger("scout.recovery")
EVERY_SECONDS = 10.0  # with PostgreSQL's 2 s connect timeout: filed within 15 s of its return

Sweep = Callable[[], Awaitable[int]]


class Recovery:
    """A `Background` service for bot/server.py."""

    def __init__(self, scout: Scout, sweeps: Sequence[Sweep] = (), every: float = EVERY_SECONDS) -> None:
        self.scout, self.sweeps, self.every = scout, tuple(sweeps), every
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="scout-recovery")

    def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def run_once(self) -> int:
        """One round; returns how many flags and events it recovered."""
        recovered = await asyncio.to_thread(replay_spool, self.scout)
        for sweep in self.sweeps:
            recovered += await sweep()
        return recovered

    async def _loop(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                try:
                    await self.run_once()
                except Exception as exc:  # the database may still be away: try again next round
                    log.warning("recovery round failed (%s); retrying in %.0fs", type(exc).__name__, self.every)
                await asyncio.sleep(self.every)
