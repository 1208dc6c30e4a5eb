"""Telegram's sending limits, enforced before each call rather than learned from 429s.

About 30 messages a second overall and one a second per chat (Telegram's FAQ for bots);
aiolimiter's leaky buckets keep us under both.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter


class TelegramLimiter:
    def __init__(self, per_second: float = 30, per_chat_per_second: float = 1, chats: int = 10_000):
        self.overall = AsyncLimiter(per_second, 1)
        self.per_chat_rate = per_chat_per_second
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self._max_chats = chats  # bounded memory: the least recently used buckets go

    def _chat(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.pop(chat_id, None) or AsyncLimiter(1, 1 / self.per_chat_rate)
        self._chats[chat_id] = limiter
        while len(self._chats) > self._max_chats:
            self._chats.popitem(last=False)
        return limiter

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        async with self._chat(chat_id), self.overall:
            yield
