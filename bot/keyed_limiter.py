"""One leaky bucket per key (a chat, a channel), with bounded memory."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from aiolimiter import AsyncLimiter


class KeyedLimiter:
    def __init__(self, per_second: float, keys: int = 10_000) -> None:
        self.per_second = per_second
        self._buckets: OrderedDict[Hashable, AsyncLimiter] = OrderedDict()
        self._max_keys = keys  # the least recently used buckets go

    def bucket(self, key: Hashable) -> AsyncLimiter:
        limiter = self._buckets.pop(key, None) or AsyncLimiter(1, 1 / self.per_second)
        self._buckets[key] = limiter
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return limiter
