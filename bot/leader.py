"""One delivering process per database, so platform limits hold for the bot.

Telegram's and Slack's limits are per bot, not per process. The process holding a
PostgreSQL advisory lock — on a connection of its own, for as long as it delivers — is the
only one that sends; the others keep receiving and handling updates and try for the lock
every few seconds. When the leader dies (even by ``kill -9``) PostgreSQL drops its
connection and with it the lock, and the next process takes over within ``retry_seconds``.
SQLite serves one process, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot import metrics

log = logging.getLogger(__name__)

# Any 64-bit constant no other application on the database uses: "candor-d" in ASCII.
LOCK_KEY = 0x63616E646F722D64

Work = Callable[[asyncio.Event], Awaitable[None]]


class Leadership:
    def __init__(
        self, engine: AsyncEngine, *, retry_seconds: float = 2.0, check_seconds: float = 5.0
    ) -> None:
        self.engine = engine
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.leading = False

    async def run(self, work: Work, stop: asyncio.Event) -> None:
        """Run ``work`` whenever this process leads, until ``stop``. ``work`` gets an event
        that is set when it must end (stop requested, or the lock's connection lost)."""
        if self.engine.dialect.name != "postgresql":
            await self._lead(work, stop, None)
            return
        while not stop.is_set():
            try:
                async with self.engine.connect() as conn:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    got = await conn.scalar(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
                    )
                    if got:
                        try:
                            await self._lead(work, stop, conn)
                        finally:
                            # Pooled connections outlive us: release the lock, or drop the
                            # connection if that fails.
                            try:
                                await conn.execute(
                                    text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY}
                                )
                            except Exception:
                                await conn.invalidate()
            except Exception as exc:
                log.warning("delivery leadership: database unavailable (%s); retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_seconds)

    async def _lead(self, work: Work, stop: asyncio.Event, conn: AsyncConnection | None) -> None:
        end = asyncio.Event()
        watchers = [asyncio.create_task(self._relay(stop, end))]
        if conn is not None:
            watchers.append(asyncio.create_task(self._watch(conn, end)))
        self.leading = True
        metrics.LEADER.set(1)
        log.info("this process delivers the outbox")
        try:
            await work(end)
        finally:
            self.leading = False
            metrics.LEADER.set(0)
            for watcher in watchers:
                watcher.cancel()
            for watcher in watchers:
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    @staticmethod
    async def _relay(stop: asyncio.Event, end: asyncio.Event) -> None:
        await stop.wait()
        end.set()

    async def _watch(self, conn: AsyncConnection, end: asyncio.Event) -> None:
        """A lost connection is a lost lock: stop delivering at once."""
        while not end.is_set():
            await asyncio.sleep(self.check_seconds)
            try:
                await conn.scalar(text("SELECT 1"))
            except Exception as exc:
                log.warning("delivery leadership lost: %s", exc)
                end.set()
