"""Every Telegram filter runs on the event loop: aiogram sends a synchronous one (a bare
magic filter) through a worker thread on every update, which made handling slower."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import pkgutil
from types import ModuleType

import pytest
from aiogram import F, Router
from aiogram.types import Chat, Message, User

from bot.telegram import routers
from bot.telegram.filters import on_loop

ROUTER_MODULES = [
    importlib.import_module(f"{routers.__name__}.{info.name}")
    for info in pkgutil.iter_modules(routers.__path__)
]


def _message(text: str | None, chat_type: str = "private") -> Message:
    return Message(
        message_id=1,
        date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        chat=Chat(id=7, type=chat_type),
        from_user=User(id=7, is_bot=False, first_name="Ann"),
        text=text,
    )


@pytest.mark.parametrize("module", ROUTER_MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_no_filter_of_a_router_is_synchronous(module: ModuleType) -> None:
    router: Router = module.create_router()
    synchronous = [
        f"{name}: {f.callback!r}"
        for name, observer in router.observers.items()
        for handler in [observer._handler, *observer.handlers]  # type: ignore[attr-defined]
        for f in handler.filters or []
        if not f.awaitable
    ]
    assert synchronous == []


def test_on_loop_gives_the_magic_filters_result() -> None:
    private_text = on_loop(F.chat.type == "private")
    starts = on_loop(F.text.regexp(r"^/(\w+)").group(1))

    async def check() -> None:
        assert await private_text(_message("hi")) is True
        assert await private_text(_message("hi", "group")) is False
        assert await starts(_message("/import x")) == "import"
        assert await starts(_message("plain")) is None

    asyncio.run(check())
