"""The Telegram transport: one Bot, one Dispatcher, long polling or a verified webhook."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import App
from bot.settings import Settings
from bot.telegram.callbacks import Signer
from bot.telegram.context import TelegramContext
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.menus import set_default_menus, set_staff_menu
from bot.telegram.messenger import TelegramMessenger
from bot.telegram.routers import alerts, client, groups, staff
from surveys.model import Address, Channel

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> Bot:
    """A Bot on the configured Bot API server (Telegram's, or a self-hosted one)."""
    assert settings.telegram_bot_token is not None
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(settings.telegram_bot_token.get_secret_value(), session=session)


class TelegramTransport:
    def __init__(
        self,
        bot: Bot,
        settings: Settings,
        *,
        limiter: TelegramLimiter | None = None,
        handle_as_tasks: bool = True,
    ) -> None:
        assert settings.telegram_bot_token is not None
        self.bot = bot
        self.settings = settings
        self.signer = Signer(settings.telegram_bot_token.get_secret_value())
        self.messenger = TelegramMessenger(bot, self.signer, limiter)
        # Tests handle updates one after another to observe each one's effects in order.
        self.handle_as_tasks = handle_as_tasks
        self.dispatcher: Dispatcher | None = None
        self.context: TelegramContext | None = None

    def attach(self, app: App) -> Dispatcher:
        self.context = TelegramContext(
            service=app.service,
            onboarding=app.onboarding,
            commands=app.commands,
            signer=self.signer,
            default_language=self.settings.default_language,
            wake_delivery=app.delivery.wake.set,
            unnamed_admins=set(self.settings.admin_telegram_ids),
        )
        dispatcher = Dispatcher(candor=self.context)
        # Order matters: groups first (nobody is surveyed there), then staff commands, then
        # alert buttons, then everything a client may send.
        dispatcher.include_routers(
            groups.create_router(),
            staff.create_router(),
            alerts.create_router(),
            client.create_router(),
        )
        self.dispatcher = dispatcher
        return dispatcher

    async def prepare(self, app: App) -> None:
        """Learn our username, set command menus, make sure the bootstrap admins exist."""
        assert self.context is not None
        me = await self.bot.get_me()
        self.context.bot_username = me.username or ""
        await set_default_menus(self.bot)
        # Telegram tells a person's name only when they write: until then, a placeholder.
        for user_id in self.settings.admin_telegram_ids:
            await app.commands.ensure_admin(
                Address(Channel.TELEGRAM, str(user_id)), self.settings.default_language
            )
        async with app.uow() as uow:
            people = await uow.staff.list()
        for person in people:
            await set_staff_menu(self.bot, person)

    async def serve(self, stop: asyncio.Event) -> None:
        if self.settings.telegram_webhook_url:
            await self._serve_webhook(stop)
        else:
            await self._serve_polling(stop)

    async def _serve_polling(self, stop: asyncio.Event) -> None:
        assert self.dispatcher is not None
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                handle_as_tasks=self.handle_as_tasks,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        )
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            await self.dispatcher.stop_polling()
            await polling
        stopper.cancel()

    async def _serve_webhook(self, stop: asyncio.Event) -> None:
        assert self.dispatcher is not None and self.settings.telegram_webhook_url
        secret = self.settings.telegram_webhook_secret
        assert secret is not None
        web_app = self.webhook_app()
        runner = web.AppRunner(web_app)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.webhook_host, self.settings.webhook_port)
        await site.start()
        await self.bot.set_webhook(
            self.settings.telegram_webhook_url,
            secret_token=secret.get_secret_value(),
            allowed_updates=self.dispatcher.resolve_used_update_types(),
        )
        log.info(
            "Telegram webhook listening on %s:%s",
            self.settings.webhook_host,
            self.settings.webhook_port,
        )
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    def webhook_app(self) -> web.Application:
        """The aiohttp app that takes Telegram's webhook calls; requests without the
        secret-token header Telegram was given are refused (aiogram answers 401)."""
        assert self.dispatcher is not None and self.settings.telegram_webhook_url
        secret = self.settings.telegram_webhook_secret
        assert secret is not None
        web_app = web.Application()
        path = urlsplit(self.settings.telegram_webhook_url).path or "/"
        SimpleRequestHandler(
            dispatcher=self.dispatcher, bot=self.bot, secret_token=secret.get_secret_value()
        ).register(web_app, path=path)
        setup_application(web_app, self.dispatcher, bot=self.bot)
        return web_app

    async def close(self) -> None:
        await self.bot.session.close()
