"""One send at a time per key (a chat, a channel), spaced from the end of the last one.

The gap counts from when the previous call *returned*, not when it started: the platform
sees a request somewhere between the two, so two requests to one chat reach it at least
the gap apart however long the network takes. Memory is bounded (least recently used keys
are forgotten; a forgotten key's last send is older than any gap worth keeping).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


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
