"""Telegram's sending limits, enforced before each call rather than learned from 429s.

About 30 messages a second overall and one a second per chat (Telegram's FAQ for bots).
Overall: an aiolimiter leaky bucket spreads sends at the rate (holding three, so a late
wake-up is caught up rather than lost), and a sliding window counted on the platform's side
(from each send's end) makes sure no one-second window ever holds more than the rate.
Per chat: one send at a time, at least a second after the previous one ended.
Both overall limits admit first come, first served (bot/keyed_limiter.py): a send that
arrives as capacity frees queues behind those already waiting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter

from bot.keyed_limiter import FairLimiter, KeyedLimiter, WindowLimiter


class TelegramLimiter:
    def __init__(self, per_second: float = 30, per_chat_per_second: float = 1, chats: int = 10_000):
        self.overall = FairLimiter(AsyncLimiter(3, 3 / per_second))
        self.window = WindowLimiter(int(per_second), 1.0)
        self._chats = KeyedLimiter(per_chat_per_second, chats)

    def chat_has_capacity(self, chat_id: int) -> bool:
        return self._chats.has_capacity(chat_id)

    @asynccontextmanager
    async def any_chat(self) -> AsyncIterator[None]:
        """A call that is no message to a chat (a command menu): the overall limits only."""
        async with self.window.slot(), self.overall:
            yield

    @asynccontextmanager
    async def slot(self, chat_id: int) -> AsyncIterator[None]:
        # Two FIFO lines in a row make one: a send admitted by the window joins the bucket's
        # line before the next is admitted (nothing in between yields to the event loop).
        async with self._chats.slot(chat_id), self.window.slot(), self.overall:
            yield
