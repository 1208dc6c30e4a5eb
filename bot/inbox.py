"""The inbox: every inbound update is stored before the platform is told it arrived.

Recording is a group commit: concurrent requests hand their update to one writer task,
which stores everything that queued up meanwhile in one transaction and then releases
each waiting request (so a burst costs a handful of commits, not one per update, and never
more than one pooled connection). A bounded number of workers then claims stored updates
and hands them to the platform's own dispatcher (aiogram, bolt), retrying failures with
backoff. Handling is idempotent — the domain de-duplicates platform events by their id in
the transaction that stores their effect — so an update handled twice (a crash after the
effect, before "done") changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar

from bot import metrics
from bot.delivery import Backoff
from storage.inbox import InboxStore, NewUpdate, StoredUpdate
from surveys.ports import Clock

log = logging.getLogger(__name__)

Processor = Callable[[dict[str, Any]], Awaitable[None]]
T = TypeVar("T")
BURST_QUIET = 0.2  # seconds without a new update before every worker handles again


class PoisonUpdate(Exception):
    """An update that can never be handled (malformed, of no known shape): set aside."""


def to_json(payload: Any) -> str:
    """JSON text any database stores: non-ASCII (NUL, lone surrogates too) is escaped."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":"))


class GroupCommit(Generic[T]):
    """One transaction for every item that arrived while the last one ran.

    ``submit`` returns once its items are committed (or raises what committing raised)."""

    def __init__(
        self, commit: Callable[[list[T]], Awaitable[None]], *, max_batch: int = 500
    ) -> None:
        self.commit = commit
        # Below asyncpg's 32,767 bind parameters per statement (8 per inbox row).
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[None]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, items: Sequence[T]) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-commit")
        loop = asyncio.get_running_loop()
        futures = []
        for item in items:
            future: asyncio.Future[None] = loop.create_future()
            self._queue.put_nowait((item, future))
            futures.append(future)
        await asyncio.gather(*futures)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.commit([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class Inbox:
    def __init__(
        self,
        store: InboxStore,
        clock: Clock,
        *,
        workers: int = 4,
        max_attempts: int = 8,
        lease: timedelta = timedelta(minutes=2),
        backoff: Backoff | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.workers = max(1, workers)
        self.max_attempts = max_attempts
        self.lease = lease
        self.backoff = backoff or Backoff(base=1.0, cap=300.0)
        self.writer: GroupCommit[NewUpdate] = GroupCommit(self._store)
        # Settling is batched too: one UPDATE for every update that finished meanwhile.
        self.settler: GroupCommit[int] = GroupCommit(self._settle)
        self.processors: dict[str, Processor] = {}
        self.wake = asyncio.Event()
        self._last_record = 0.0

    async def _store(self, updates: list[NewUpdate]) -> None:
        await self.store.record(updates, self.clock.now())
        for update in updates:
            metrics.UPDATES_STORED.labels(update.channel).inc()

    async def _settle(self, update_ids: list[int]) -> None:
        await self.store.mark_done_many(update_ids, self.clock.now())

    def register(self, channel: str, processor: Processor) -> None:
        self.processors[channel] = processor

    async def record(self, updates: Sequence[NewUpdate]) -> None:
        """Store updates durably (the caller acknowledges them to the platform only after)."""
        for update in updates:
            metrics.UPDATES_RECEIVED.labels(update.channel).inc()
        self._last_record = asyncio.get_running_loop().time()
        await self.writer.submit(updates)
        self.wake.set()

    def _slots(self, loop_time: float) -> int:
        """Storing comes first: while updates are streaming in, one worker handles (so a
        burst is acknowledged at full speed and still makes progress); then all of them."""
        return 1 if loop_time - self._last_record < BURST_QUIET else self.workers

    async def _claim(self, limit: int) -> list[StoredUpdate]:
        now = self.clock.now()
        return await self.store.claim(now, now + self.lease, limit, list(self.processors))

    async def run_once(self) -> int:
        """Handle every update that is due now; returns how many were handled (tests)."""
        handled = 0
        while claimed := await self._claim(self.workers):
            await asyncio.gather(*(self._handle(u) for u in claimed))
            handled += len(claimed)
        return handled

    async def run_forever(self, stop: asyncio.Event, *, poll_seconds: float = 1.0,
                          grace: float = 4.0) -> None:  # fmt: skip
        """Up to ``workers`` updates in flight until ``stop``; then ``grace`` seconds for
        those to finish before they are given back (handled again by whoever runs next)."""
        running: dict[asyncio.Task[None], StoredUpdate] = {}
        next_requeue = 0.0
        # A client whose answer was in hand when the process was killed should not wait a
        # lease (60 s) after the restart: on SQLite nobody else can be handling it.
        starting = self.store.single_process
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                if loop.time() >= next_requeue:
                    with contextlib.suppress(Exception):
                        await self.store.requeue_stale(self.clock.now(), any_lease=starting)
                        starting = False
                    next_requeue = loop.time() + min(30.0, self.lease.total_seconds() / 2)
                self.wake.clear()
                free = self._slots(loop.time()) - len(running)
                claimed: list[StoredUpdate] = []
                if free > 0:
                    try:
                        claimed = await self._claim(free)
                    except Exception as exc:  # the database is away; try again shortly
                        log.warning("inbox: cannot claim updates: %s", exc)
                for update in claimed:
                    task = asyncio.create_task(self._handle(update))
                    running[task] = update
                    task.add_done_callback(lambda t: (running.pop(t, None), self.wake.set()))
                if claimed and len(running) < self._slots(loop.time()):
                    continue  # more may be waiting
                waiters = {asyncio.ensure_future(self.wake.wait()),
                           asyncio.ensure_future(stop.wait())}  # fmt: skip
                # Woken by a new update, a finished one, or stop; and soon after a burst
                # ends, when every worker may take one again.
                timeout = BURST_QUIET if free <= 0 < self.workers - len(running) else poll_seconds
                await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            if running:
                _, late = await asyncio.wait(set(running), timeout=grace)
                for task in late:
                    task.cancel()
                for task in late:
                    update = running.get(task)
                    with contextlib.suppress(BaseException):
                        await task
                    if update is not None:
                        with contextlib.suppress(Exception):
                            await self.store.release(update.id, self.clock.now())

    async def _handle(self, update: StoredUpdate) -> None:
        try:
            await self._handle_one(update)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Settling failed (the database is away): the lease runs out, and the update
            # is handled again — harmless, handling is idempotent.
            log.warning("inbox: %s update %s not settled: %s", update.channel,
                        update.update_key, exc)  # fmt: skip

    async def _handle_one(self, update: StoredUpdate) -> None:
        processor = self.processors[update.channel]
        try:
            try:
                payload = json.loads(update.payload)
            except ValueError as exc:
                raise PoisonUpdate("not JSON") from exc
            if not isinstance(payload, dict):
                raise PoisonUpdate("not a JSON object")
            async with asyncio.timeout(self.lease.total_seconds() / 2):
                await processor(payload)
        except PoisonUpdate as exc:
            log.warning("inbox: %s update %s set aside: %s", update.channel, update.update_key, exc)
            metrics.UPDATES_FAILED.labels(update.channel, "malformed").inc()
            await self.store.mark_failed(update.id, f"malformed: {exc}", self.clock.now())
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self._retry_or_fail(update, exc)
            return
        await self.settler.submit([update.id])

    async def _retry_or_fail(self, update: StoredUpdate, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if update.attempts >= self.max_attempts:
            log.error(
                "inbox: %s update %s set aside after %d attempts: %s",
                update.channel, update.update_key, update.attempts, reason,
            )  # fmt: skip
            metrics.UPDATES_FAILED.labels(update.channel, "gave_up").inc()
            await self.store.mark_failed(update.id, reason, self.clock.now())
            return
        delay = self.backoff.delay(update.attempts)
        log.warning(
            "inbox: %s update %s failed (attempt %d), retry in %.1fs: %s",
            update.channel, update.update_key, update.attempts, delay, reason,
        )  # fmt: skip
        await self.store.mark_retry(update.id, reason, self.clock.now() + timedelta(seconds=delay))

    async def close(self) -> None:
        await self.writer.close()
        await self.settler.close()
