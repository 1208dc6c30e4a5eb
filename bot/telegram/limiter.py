"""Telegram's sending limits, enforced before each call rather than learned from 429s.

About 30 messages a second overall and one a second per chat (Telegram's FAQ for bots);
aiolimiter's leaky buckets keep us under both. Each bucket holds one message: sends are
spaced evenly (1/rate apart) instead of a full second's worth going out at once, which
would let two seconds' worth fall into one one-second window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter

from bot.keyed_limiter import KeyedLimiter


class TelegramLimiter:
    def __init__(self, per_second: float = 30, per_chat_per_second: float = 1, chats: int = 10_000):
        self.overall = AsyncLimiter(1, 1 / per_second)
        self._chats = KeyedLimiter(per_chat_per_second, chats)

    def chat_has_capacity(self, chat_id: int) -> bool:
        return self._chats.has_capacity(chat_id)

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        async with self._chats.slot(chat_id), self.overall:
            yield
