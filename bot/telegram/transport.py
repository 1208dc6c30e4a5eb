"""The Telegram transport: one Bot, one Dispatcher, long polling or a verified webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot import metrics
from bot.app import App
from bot.inbox import Inbox, PoisonUpdate, to_json
from bot.settings import Settings
from bot.telegram import menus
from bot.telegram.callbacks import Signer
from bot.telegram.context import TelegramContext
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.messenger import TelegramMessenger
from bot.telegram.routers import alerts, census, client, groups, staff
from storage.inbox import NewUpdate
from surveys.model import Address, Channel

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHANNEL = Channel.TELEGRAM.value
POLL_TIMEOUT = 25  # seconds a getUpdates long poll may wait for an update


def parse_update(body: bytes) -> tuple[dict[str, Any], str] | None:
    """A webhook body as a JSON object with an integer update_id (and its text), or None."""
    try:
        text = body.decode("utf-8")
        update = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(update, dict) or type(update.get("update_id")) is not int:
        return None
    return update, text


def update_key(update: Any) -> str:
    """The same update delivered again gets the same key; another one never does. Telegram
    may number updates again from a new, random id (after a week without any, or for a new
    bot token), so an id seen before can come back on a different update: the id alone
    would drop it as a redelivery. The id and a digest of the content tell them apart."""
    digest = hashlib.sha256(json.dumps(update, sort_keys=True).encode()).hexdigest()
    if isinstance(update, dict) and type(update.get("update_id")) is int:
        return f"{update['update_id']}:{digest[:24]}"
    # No id to go by (Telegram always sends one): keyed by content, still kept.
    return "noid:" + digest[:40]


def update_sender(update: Any) -> str:
    """Whose update this is: a chat's updates are handled in the order they arrived."""
    if isinstance(update, dict):
        for kind, body in update.items():
            if kind == "update_id" or not isinstance(body, dict):
                continue
            for holder in (body, body.get("message")):
                chat = holder.get("chat") if isinstance(holder, dict) else None
                if isinstance(chat, dict) and "id" in chat:
                    return f"chat:{chat['id']}"
            sender = body.get("from") or body.get("user")
            if isinstance(sender, dict) and "id" in sender:
                return f"user:{sender['id']}"
    return f"update:{update_key(update)}"


def new_update(update: Any, raw: str | None = None) -> NewUpdate:
    """``raw``: the JSON text it came as, when known — kept as is (JSON escapes every
    control character, so any text that decoded is storable)."""
    payload = raw if raw is not None else to_json(update)
    return NewUpdate(
        CHANNEL, update_key(update), update_sender(update), payload, legacy_update_key(update)
    )


def legacy_update_key(update: Any) -> str | None:
    """The key updates were stored under before update_key added the digest: the id alone.
    Telegram may send an update stored so again (for 24 hours) after an upgrade."""
    if isinstance(update, dict) and type(update.get("update_id")) is int:
        return str(update["update_id"])
    return None


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
        self.inbox: Inbox | None = None

    def attach(self, app: App) -> Dispatcher:
        self.context = TelegramContext(
            service=app.service,
            onboarding=app.onboarding,
            commands=app.commands,
            signer=self.signer,
            default_language=self.settings.default_language,
            wake_delivery=app.delivery.wake.set,
            unnamed_admins=set(self.settings.admin_telegram_ids),
            import_max_bytes=self.settings.import_max_bytes,
        )
        dispatcher = Dispatcher(candor=self.context)
        # Order matters: groups first (nobody is surveyed there), then staff commands, then
        # alert buttons, then everything a client may send.
        dispatcher.include_routers(
            groups.create_router(),
            staff.create_router(),
            alerts.create_router(),
            census.create_router(),
            client.create_router(),
        )
        # Before any router reads a staff member's language, for whatever they send.
        dispatcher.message.outer_middleware(staff.follow_language)
        dispatcher.callback_query.outer_middleware(staff.follow_language)
        dispatcher.message.outer_middleware(menus.FirstSight())
        self.dispatcher = dispatcher
        self.inbox = app.inbox
        app.inbox.register(CHANNEL, self.handle)
        return dispatcher

    async def handle(self, raw: dict[str, Any]) -> None:
        """Hand one stored update to aiogram; one it cannot read is set aside."""
        assert self.dispatcher is not None
        try:
            update = Update.model_validate(raw, context={"bot": self.bot})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise PoisonUpdate(f"not a Bot API update ({problems})") from None
        await self.dispatcher.feed_update(self.bot, update)

    async def prepare(self, app: App) -> None:
        """Learn our username, set command menus, make sure the bootstrap admins exist."""
        assert self.context is not None
        me = await self.bot.get_me()
        self.context.bot_username = me.username or ""
        # Telegram tells a person's name only when they write: until then, a placeholder.
        for user_id in self.settings.admin_telegram_ids:
            await app.commands.ensure_admin(
                Address(Channel.TELEGRAM, str(user_id)), self.settings.default_language
            )
        # Menus go through the outbox, and only those that changed since last recorded: a
        # restart sends none again. Staff get theirs before they first write.
        await menus.sync_defaults(app.uow, app.clock)
        await menus.sync_staff(app.uow, app.clock)
        app.delivery.wake.set()

    async def serve(self, stop: asyncio.Event) -> None:
        if self.settings.telegram_webhook_url:
            await self._serve_webhook(stop)
        else:
            await self._serve_polling(stop)

    async def _serve_polling(self, stop: asyncio.Event) -> None:
        """Long polling that acknowledges (moves the offset past) only stored updates.

        getUpdates is read as raw JSON, not as aiogram's Update models, so one malformed
        update cannot make the whole batch unreadable: each is stored as it came and set
        aside (if need be) when it is handled."""
        assert self.dispatcher is not None and self.inbox is not None
        await self.bot.delete_webhook(drop_pending_updates=False)
        allowed = self.dispatcher.resolve_used_update_types()
        offset: int | None = None
        pause = 1.0
        while not stop.is_set():
            fetch = asyncio.create_task(self._get_updates(offset, allowed))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():  # stop requested: nothing fetched is lost (not confirmed)
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                return
            try:
                batch = fetch.result()
                if batch:
                    await self.inbox.record([new_update(u) for u in batch])
            except Exception as exc:
                log.warning("Telegram getUpdates failed, retrying in %.0fs: %s", pause, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 1.0
            ids = [u["update_id"] for u in batch if type(u.get("update_id")) is int]
            if ids:
                offset = max(ids) + 1

    async def _get_updates(self, offset: int | None, allowed: list[str]) -> list[dict[str, Any]]:
        session = await self.bot.session.create_session()
        url = self.bot.session.api.api_url(token=self.bot.token, method="getUpdates")
        params: dict[str, Any] = {"timeout": POLL_TIMEOUT, "allowed_updates": allowed}
        if offset is not None:
            params["offset"] = offset
        timeout = aiohttp.ClientTimeout(total=POLL_TIMEOUT + 15)
        async with session.post(url, json=params, timeout=timeout) as response:
            body = await response.read()
        try:
            reply = json.loads(body)
        except ValueError:
            raise RuntimeError(f"HTTP {response.status}, not JSON") from None
        if not isinstance(reply, dict) or not reply.get("ok"):
            description = reply.get("description") if isinstance(reply, dict) else None
            raise RuntimeError(f"HTTP {response.status}: {description or 'no description'}")
        result = reply.get("result")
        if not isinstance(result, list):
            raise RuntimeError("getUpdates result is not a list")
        return [u if isinstance(u, dict) else {"value": u} for u in result]

    async def _serve_webhook(self, stop: asyncio.Event) -> None:
        assert self.dispatcher is not None and self.settings.telegram_webhook_url
        secret = self.settings.telegram_webhook_secret
        assert secret is not None
        web_app = self.webhook_app()
        runner = web.AppRunner(web_app, shutdown_timeout=2.0, access_log=None)
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
        """The aiohttp app that takes Telegram's webhook calls.

        A request without the secret-token header Telegram was given is refused (401); a
        body that is not an update is refused (400); an update is answered 200 only once
        it is stored in the inbox (503 if it could not be, so Telegram sends it again)."""
        assert self.settings.telegram_webhook_url
        secret = self.settings.telegram_webhook_secret
        assert secret is not None and self.inbox is not None
        inbox = self.inbox
        expected = secret.get_secret_value().encode()

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                metrics.REQUESTS_REFUSED.labels(CHANNEL, "secret").inc()
                log.warning("Telegram webhook: refused a request without the secret token")
                return web.Response(status=401, text="unauthorized")
            body = await request.read()
            parsed = parse_update(body)
            if parsed is None:
                metrics.REQUESTS_REFUSED.labels(CHANNEL, "malformed").inc()
                log.warning("Telegram webhook: refused a malformed body (%d bytes)", len(body))
                return web.Response(status=400, text="not an update")
            update, text = parsed
            try:
                await inbox.record([new_update(update, text)])
            except Exception as exc:
                log.error("Telegram webhook: update %s not stored: %s", update["update_id"], exc)
                return web.Response(status=503, text="try again")
            return web.Response(status=200)

        web_app = web.Application()
        path = urlsplit(self.settings.telegram_webhook_url).path or "/"
        web_app.router.add_post(path, receive)
        return web_app

    async def close(self) -> None:
        await self.bot.session.close()
