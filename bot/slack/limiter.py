"""Slack's Web API rate tiers, enforced before each call rather than learned from 429s.

Per method (per workspace): Tier 2 ≈ 20/min, Tier 3 ≈ 50/min, Tier 4 ≈ 100/min; and
chat.postMessage ("special") about one message per second per channel. Each limit admits
first come, first served (bot/keyed_limiter.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from aiolimiter import AsyncLimiter

from bot.keyed_limiter import FairLimiter, KeyedLimiter

PER_MINUTE = {"tier2": 20, "tier3": 50, "tier4": 100}
METHOD_TIERS = {
    "conversations.open": "tier3",
    "users.lookupByEmail": "tier3",
    "users.info": "tier4",
    "files.info": "tier4",
    "views.publish": "tier4",
    "chat.update": "tier3",
    "chat.postEphemeral": "tier4",
    "files.getUploadURLExternal": "tier4",
    "files.completeUploadExternal": "tier4",
}


class SlackLimiter:
    def __init__(self, scale: float = 1.0, channels: int = 10_000) -> None:
        # scale > 1 raises every limit; tests use it so pacing does not slow them down.
        self.scale = scale
        self._methods = {
            method: FairLimiter(AsyncLimiter(PER_MINUTE[tier] * scale, 60))
            for method, tier in METHOD_TIERS.items()
        }
        self._channels = KeyedLimiter(scale, channels)  # ~1 message/s per channel, scaled

    @asynccontextmanager
    async def slot(self, method: str, channel: str | None = None) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            if method in self._methods:
                await stack.enter_async_context(self._methods[method])
            if method == "chat.postMessage" and channel:
                await stack.enter_async_context(self._channels.slot(channel))
            yield
