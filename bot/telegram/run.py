"""`candor run` with Telegram: the transport, the scheduler and delivery in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from aiogram.exceptions import TelegramUnauthorizedError

from bot.app import App
from bot.settings import Settings
from bot.telegram.transport import TelegramTransport, make_bot
from surveys.model import Channel

log = logging.getLogger(__name__)


async def run_telegram(settings: Settings) -> int:
    transport = TelegramTransport(make_bot(settings), settings)
    app = await App.create(settings, {Channel.TELEGRAM: transport.messenger})
    transport.attach(app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    try:
        try:
            await transport.prepare(app)
        except TelegramUnauthorizedError:
            print(
                "candor: Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized); "
                "check the token with @BotFather.",
                file=sys.stderr,
            )
            return 2
        mode = "webhook" if settings.telegram_webhook_url else "long polling"
        log.info(
            "Telegram bot @%s running (%s)",
            transport.context.bot_username if transport.context else "?",
            mode,
        )
        worker = asyncio.create_task(app.run())
        await transport.serve(app.stop_event)
        app.stop()
        await worker
    finally:
        with contextlib.suppress(Exception):
            await transport.close()
        await app.close()
    return 0
