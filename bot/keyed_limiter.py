"""Send limiters that admit first come, first served.

KeyedLimiter: one send at a time per key (a chat, a channel), spaced from the end of the
last one. The gap counts from when the previous call *returned*, not when it started: the
platform sees a request somewhere between the two, so two requests to one chat reach it at
least the gap apart however long the network takes. Memory is bounded (least recently used
keys are forgotten; a forgotten key's last send is older than any gap worth keeping).

WindowLimiter and FairLimiter cap every send together. A limiter that lets whoever asks
when capacity frees take it lets a newcomer overtake the sends already waiting, whose task
resumes a loop iteration or more later; under a steady fan-out some waited over 2 s. So
each has a gate, an asyncio.Lock (FIFO in CPython 3.11, which the project needs: a free
lock is not taken while others wait for it): only the head of the line waits for capacity,
and the rest wait for the gate in arrival order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from types import TracebackType

from aiolimiter import AsyncLimiter


class KeyedLimiter:
    def __init__(self, per_second: float, keys: int = 10_000) -> None:
        self.per_second = per_second
        self.gap = 1 / per_second
        self._ready: OrderedDict[Hashable, float] = OrderedDict()  # key -> earliest next start
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._max_keys = keys

    def has_capacity(self, key: Hashable) -> bool:
        lock = self._locks.get(key)
        ready = self._ready.get(key, 0.0)
        return not (lock and lock.locked()) and ready <= asyncio.get_running_loop().time()

    @asynccontextmanager
    async def slot(self, key: Hashable) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            wait = self._ready.get(key, 0.0) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._ready[key] = loop.time() + self.gap
                self._ready.move_to_end(key)
                while len(self._ready) > self._max_keys:
                    old, _ = self._ready.popitem(last=False)
                    old_lock = self._locks.get(old)
                    if old_lock is not None and not old_lock.locked():
                        del self._locks[old]


class WindowLimiter:
    """At most ``count`` calls in any window of ``period`` seconds *as the platform sees
    them*: a call may start only while fewer than ``count`` calls are in flight or ended
    within the last ``period``. A call reaches the platform between its start and its end,
    so network delays cannot squeeze ``count + 1`` arrivals into one window."""

    def __init__(self, count: int, period: float = 1.0) -> None:
        self.count = max(1, count)
        self.period = period
        self._ends: deque[float] = deque()
        self._in_flight = 0
        self._changed = asyncio.Event()  # a call ended: only the head of the line waits on it
        self._gate = asyncio.Lock()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        async with self._gate:
            while True:
                now = loop.time()
                while self._ends and self._ends[0] <= now - self.period:
                    self._ends.popleft()
                if len(self._ends) + self._in_flight < self.count:
                    break
                self._changed.clear()
                wait = self._ends[0] + self.period - now if self._ends else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
            self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._ends.append(loop.time())
            self._changed.set()


class FairLimiter:
    """aiolimiter's leaky bucket, admitted in arrival order.

    AsyncLimiter.acquire (aiolimiter 1.3) takes capacity whenever the bucket has room,
    without looking at its waiters; the waiter it wakes resumes on a later loop iteration,
    finds the room taken by a newcomer, and queues again with a new, later place. Behind
    the gate only one task at a time calls acquire, so its spreading (one send every
    period / max_rate once the burst is spent) is kept and nobody overtakes."""

    def __init__(self, bucket: AsyncLimiter) -> None:
        self.bucket = bucket
        self._gate = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._gate:
            await self.bucket.acquire()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
