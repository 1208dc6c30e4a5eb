"""`candor run`: every configured platform, the scheduler and delivery in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Protocol

from aiogram.exceptions import TelegramUnauthorizedError
from aiohttp import web
from slack_sdk.errors import SlackApiError

from bot.app import App
from bot.settings import Settings
from surveys.model import Channel
from surveys.ports import Messenger

log = logging.getLogger(__name__)
# SIGTERM to exit: container runtimes kill after 10 s. Whatever is still running then —
# a send to a platform that does not answer, a handler — is cut short (an update is handled
# again after a restart; a cut send is "uncertain", never resent).
SHUTDOWN_SECONDS = 7.0


class Transport(Protocol):
    messenger: Messenger

    def attach(self, app: App) -> object: ...
    async def prepare(self, app: App) -> None: ...
    async def serve(self, stop: asyncio.Event) -> None: ...
    async def close(self) -> None: ...


def build_transports(settings: Settings) -> dict[Channel, Transport]:
    transports: dict[Channel, Transport] = {}
    if settings.telegram_bot_token:
        from bot.telegram.limiter import TelegramLimiter
        from bot.telegram.transport import TelegramTransport, make_bot

        limiter = TelegramLimiter(per_second=settings.telegram_rate)
        transports[Channel.TELEGRAM] = TelegramTransport(
            make_bot(settings), settings, limiter=limiter
        )
    if settings.slack_bot_token:
        from bot.slack.transport import SlackTransport, make_client

        transports[Channel.SLACK] = SlackTransport(make_client(settings), settings)
    return transports


async def run_platforms(settings: Settings) -> int:
    transports = build_transports(settings)
    app = await App.create(settings, {c: t.messenger for c, t in transports.items()})
    for transport in transports.values():
        transport.attach(app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, app.stop)
    try:
        for channel, transport in transports.items():
            try:
                await transport.prepare(app)
            except (TelegramUnauthorizedError, SlackApiError) as exc:
                name = "TELEGRAM_BOT_TOKEN" if channel is Channel.TELEGRAM else "SLACK_BOT_TOKEN"
                reason = "401 Unauthorized" if channel is Channel.TELEGRAM else _slack_error(exc)
                print(f"candor: {channel.value} refused {name} ({reason}); check the token.",
                      file=sys.stderr)  # fmt: skip
                return 2
        _share_telegram_name(transports)
        log.info("running: %s", ", ".join(c.value for c in transports))
        ops = await _start_ops(app) if settings.ops_port else None
        worker = asyncio.create_task(app.run())
        serving = asyncio.gather(*(t.serve(app.stop_event) for t in transports.values()))
        stopping = asyncio.ensure_future(app.stop_event.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        app.stop()
        loop.remove_signal_handler(signal.SIGTERM)  # a second SIGTERM kills, as usual
        try:
            async with asyncio.timeout(SHUTDOWN_SECONDS):
                await asyncio.gather(serving, worker)
        except TimeoutError:
            log.warning("shutdown: work still running after %.0fs was cut short", SHUTDOWN_SECONDS)
        if ops is not None:
            await ops.cleanup()
    finally:
        for transport in transports.values():
            with contextlib.suppress(Exception):
                await transport.close()
        await app.close()
    return 0


def _share_telegram_name(transports: dict[Channel, Transport]) -> None:
    """A census link made on Slack opens the Telegram bot: with both platforms in this
    process, Slack takes the bot's name from Telegram's getMe when no setting gave it."""
    telegram, slack = transports.get(Channel.TELEGRAM), transports.get(Channel.SLACK)
    if telegram is None or slack is None:
        return
    from bot.slack.transport import SlackTransport
    from bot.telegram.transport import TelegramTransport

    assert isinstance(telegram, TelegramTransport) and isinstance(slack, SlackTransport)
    if telegram.context is not None and slack.context is not None:
        slack.context.telegram_bot_username = (
            slack.context.telegram_bot_username or telegram.context.bot_username
        )


async def _start_ops(app: App) -> web.AppRunner:
    from bot.ops import ops_app

    runner = web.AppRunner(ops_app(app), shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, app.settings.ops_host, app.settings.ops_port).start()
    log.info("ops endpoints on %s:%s", app.settings.ops_host, app.settings.ops_port)
    return runner


def _slack_error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("error")) if response is not None else "error"
