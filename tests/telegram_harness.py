"""Candor's real Telegram transport against the fake Bot API server, for end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.delivery import DeliveryStats
from bot.settings import Settings, load_settings
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.transport import TelegramTransport, make_bot
from surveys.model import Channel
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI

ADMIN_ID = 9001  # the bootstrap admin from settings


@dataclass
class TelegramHarness:
    api: FakeTelegramAPI
    app: App
    transport: TelegramTransport
    clock: FakeClock
    settings: Settings
    serving: asyncio.Task[None]

    @classmethod
    async def start(
        cls, api: FakeTelegramAPI, database_url: str, clock: FakeClock, **overrides: Any
    ) -> TelegramHarness:
        settings = load_settings(
            telegram_bot_token=api.token,
            telegram_api_url=api.base_url,
            database_url=database_url,
            admin_telegram_ids=str(ADMIN_ID),
            company_name="Acme IT",
            **overrides,
        )
        # Generous limits: pacing has its own tests; here it would only slow things down.
        transport = TelegramTransport(
            make_bot(settings),
            settings,
            limiter=TelegramLimiter(per_second=10_000, per_chat_per_second=10_000),
            handle_as_tasks=False,
        )
        app = await App.create(settings, {Channel.TELEGRAM: transport.messenger}, clock)
        transport.attach(app)
        await transport.prepare(app)
        serving = asyncio.create_task(transport.serve(app.stop_event))
        await api.wait_until_polling()
        await app.delivery.run_once()  # what start-up recorded: the command menus
        return cls(api, app, transport, clock, settings, serving)

    async def stop(self) -> None:
        self.app.stop()
        await self.serving
        await self.transport.close()
        await self.app.close()

    async def process(self, update: dict[str, Any], *, deliver: bool = True) -> None:
        """Push one update, wait until the bot has stored and handled it, then deliver."""
        await self.api.wait_confirmed(self.api.push_update(update))
        # Confirmed means stored in the inbox; handling it is the inbox workers' part.
        await self.app.inbox.run_once()
        if deliver:
            await self.deliver()

    async def deliver(self) -> DeliveryStats:
        return await self.app.delivery.run_once()

    def texts(self, chat_id: int) -> list[str]:
        return [str(m.get("text", "")) for m in self.api.sent_to(chat_id)]

    def last(self, chat_id: int) -> dict[str, Any]:
        return self.api.sent_to(chat_id)[-1]


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
async def tg(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[TelegramHarness]:
    """Candor on Telegram, on the embedded default database (storage has its own suite)."""
    harness = await TelegramHarness.start(api, f"sqlite+aiosqlite:///{tmp_path}/tg.db", clock)
    try:
        yield harness
    finally:
        await harness.stop()
