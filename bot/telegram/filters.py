"""Magic filters checked on the event loop.

aiogram calls a synchronous filter — which is what a magic filter such as
``F.chat.type == "private"`` becomes — through ``asyncio.to_thread``: a thread hop per filter
per update, seven for a client's text answer, each costing far more than the check. Wrapped
in ``on_loop``, the same check runs as a coroutine, with the same result (a dict result
still feeds the handler's arguments).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import TelegramObject
from magic_filter import MagicFilter


def on_loop(magic: MagicFilter) -> Callable[[TelegramObject], Awaitable[Any]]:
    async def check(event: TelegramObject) -> Any:
        return magic.resolve(event)

    return check
