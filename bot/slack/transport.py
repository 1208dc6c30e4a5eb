"""The Slack transport: one AsyncApp, Socket Mode or HTTP (signed requests only)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import metrics
from bot.app import App
from bot.inbox import Inbox, PoisonUpdate, to_json
from bot.settings import Settings
from bot.slack.context import SlackContext
from bot.slack.files import SlackFiles
from bot.slack.limiter import SlackLimiter
from bot.slack.listeners import register
from bot.slack.locale import SlackLocales, follow_locale
from bot.slack.messenger import SlackMessenger
from storage.inbox import NewUpdate
from surveys.model import Address, Channel

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "x-slack-signature"
CHANNEL = Channel.SLACK.value


def signed_by_slack(key: bytes, body: bytes, timestamp: str, signature: str, now: float) -> bool:
    """Slack's v0 signature over the raw bytes (whatever they are), at most 5 minutes old."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > 300:
        return False
    digest = hmac.new(key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return hmac.compare_digest("v0=" + digest.hexdigest(), signature)


class MalformedRequest(ValueError):
    """A signed request whose body is not what Slack sends."""


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """A Slack request body as a dict: a JSON event, an interactivity payload, or a slash
    command's form fields. Raises MalformedRequest for anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("not UTF-8") from None
    try:
        if "application/json" in content_type or text.lstrip().startswith("{"):
            parsed = json.loads(text)
        else:
            form = parse_qs(text, keep_blank_values=True)
            if not form:
                raise MalformedRequest("empty form")
            parsed = (
                json.loads(form["payload"][0])
                if "payload" in form
                else {k: v[0] for k, v in form.items()}
            )
    except ValueError as exc:
        raise MalformedRequest(f"not JSON ({exc.__class__.__name__})") from None
    if not isinstance(parsed, dict):
        raise MalformedRequest("not a JSON object")
    return parsed


def new_event(payload: dict[str, Any]) -> NewUpdate:
    """An Events API envelope as an inbox row: keyed by its event_id (Slack's retries and
    a second process's copy are one row), ordered per conversation."""
    key = payload.get("event_id")
    if not isinstance(key, str) or not key:
        key = "noid:" + hashlib.sha256(to_json(payload).encode()).hexdigest()[:40]
    event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    sender = event.get("channel") or event.get("user") or key
    if isinstance(sender, dict):
        sender = sender.get("id") or key
    return NewUpdate(CHANNEL, key, str(sender), to_json(payload))


class InboxSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode that acknowledges an Events API envelope only once it is stored."""

    def __init__(self, app: AsyncApp, app_token: str, inbox: Inbox) -> None:
        super().__init__(app, app_token)
        self.inbox = inbox

    async def handle(  # type: ignore[override]
        self, client: AsyncBaseSocketModeClient, req: SocketModeRequest
    ) -> None:
        if req.type != "events_api":
            await super().handle(client, req)  # commands, buttons: answered by bolt at once
            return
        try:
            await self.inbox.record([new_event(req.payload)])
        except Exception as exc:
            # No acknowledgement: Slack delivers the event again.
            log.error("Slack event %s not stored: %s", req.payload.get("event_id"), exc)
            return
        await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


def make_client(settings: Settings) -> AsyncWebClient:
    """The Web API client every call goes through, on the configured base URL."""
    assert settings.slack_bot_token is not None
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        # Retrying is the outbox's job (it honours Retry-After with the fake clock too);
        # only connection errors are retried in place.
    )


class SlackTransport:
    def __init__(
        self, client: AsyncWebClient, settings: Settings, *, limiter: SlackLimiter | None = None
    ) -> None:
        self.client = client
        self.settings = settings
        self.messenger = SlackMessenger(client, limiter)
        self.bolt: AsyncApp | None = None
        self.context: SlackContext | None = None
        self.inbox: Inbox | None = None

    def attach(self, app: App) -> AsyncApp:
        locales = SlackLocales(self.client, self.messenger.limiter, app.clock)
        self.context = SlackContext(
            service=app.service,
            onboarding=app.onboarding,
            commands=app.commands,
            messenger=self.messenger,
            default_language=self.settings.default_language,
            wake_delivery=app.delivery.wake.set,
            files=SlackFiles(self.client, self.messenger.limiter),
            import_max_bytes=self.settings.import_max_bytes,
            telegram_bot_username=self.settings.telegram_bot_username.lstrip("@"),
            locales=locales,
        )
        context = self.context  # its Telegram bot name may be learnt later (bot/run.py)
        # A census link opens the Telegram bot: it works here only once its name is known.
        # The one answer for commands and progress messages (SurveyService.census_links_work).
        app.service.census_links[Channel.SLACK] = lambda: bool(context.telegram_bot_username)
        secret = self.settings.slack_signing_secret
        bolt = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else None,
            # Socket Mode requests are not signed; HTTP requests always are.
            request_verification_enabled=self.settings.slack_mode == "http",
            process_before_response=True,
        )
        bolt.use(self._replay_guard(app))
        # After the guard: Slack is asked about no one a replayed request names.
        bolt.use(follow_locale(app.onboarding, locales))
        register(bolt, self.context)
        self.bolt = bolt
        self.inbox = app.inbox
        app.inbox.register(CHANNEL, self.handle)
        return bolt

    async def handle(self, payload: dict[str, Any]) -> None:
        """Hand one stored Events API envelope to bolt. Its signature was checked when it
        arrived; Socket Mode is how bolt takes an already verified payload."""
        assert self.bolt is not None
        if payload.get("type") != "event_callback" or not isinstance(payload.get("event"), dict):
            raise PoisonUpdate("not an Events API event_callback")
        response = await self.bolt.async_dispatch(
            AsyncBoltRequest(body=payload, mode="socket_mode")
        )
        if response.status >= 500:
            raise RuntimeError(f"listener failed (bolt answered {response.status})")

    def _replay_guard(
        self, app: App
    ) -> Callable[[AsyncBoltRequest, BoltResponse, Callable[[], Awaitable[Any]]], Awaitable[Any]]:
        """Refuse a signed request seen before. Bolt already refuses bad signatures and
        timestamps older than five minutes; this closes the five-minute replay window."""

        async def guard(
            req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[Any]]
        ) -> Any:
            signature = (req.headers.get(SIGNATURE_HEADER) or [""])[0]
            if signature:
                async with app.uow() as uow:
                    first = await uow.inbound.first_time(
                        Address(Channel.SLACK, "request-signature"), signature, app.clock.now()
                    )
                    await uow.commit()
                if not first:
                    return BoltResponse(status=401, body="replayed request")
            return await next()

        return guard

    async def prepare(self, app: App) -> None:
        """Check the tokens and make sure the bootstrap admins exist."""
        await self.client.auth_test()
        if self.settings.slack_mode == "socket":
            # slack_sdk retries a refused app token forever; fail at start with a clear line.
            assert self.settings.slack_app_token is not None
            await self.client.apps_connections_open(
                app_token=self.settings.slack_app_token.get_secret_value()
            )
        for user_id in self.settings.admin_slack_ids:
            await app.commands.ensure_admin(
                Address(Channel.SLACK, user_id),
                self.settings.default_language,
                await self._display_name(user_id),
            )

    async def _display_name(self, user_id: str) -> str | None:
        """The name Slack shows for a user (users.info), or None if Slack will not say."""
        try:
            found = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info for bootstrap admin %s: %s", user_id, exc.response.get("error"))
            return None
        user = found.get("user") or {}
        profile = user.get("profile") or {}
        return (
            profile.get("real_name") or user.get("real_name") or profile.get("display_name")
            or user.get("name")
        )  # fmt: skip

    def web_app(self) -> web.Application:
        """Events API, interactivity and slash commands on one signed endpoint.

        The signature is checked before the body is read as anything: an unsigned request
        is refused (401) and a signed but malformed one too (400), each with one log line.
        An event is answered 200 once it is stored in the inbox (503 if it could not be,
        so Slack retries); commands and buttons go straight to bolt, which answers them
        within Slack's three seconds."""
        assert self.bolt is not None and self.inbox is not None
        secret = self.settings.slack_signing_secret
        assert secret is not None
        key = secret.get_secret_value().encode()
        bolt, inbox = self.bolt, self.inbox

        async def receive(request: web.Request) -> web.Response:
            body = await request.read()
            timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
            signature = request.headers.get("X-Slack-Signature", "")
            if not signed_by_slack(key, body, timestamp, signature, time.time()):
                metrics.REQUESTS_REFUSED.labels(CHANNEL, "signature").inc()
                log.warning("Slack: refused a request without a valid signature")
                return web.Response(status=401, text="invalid request")
            try:
                payload = parse_body(body, request.headers.get("Content-Type", ""))
            except MalformedRequest as exc:
                metrics.REQUESTS_REFUSED.labels(CHANNEL, "malformed").inc()
                log.warning("Slack: refused a malformed request body (%s, %d bytes)", exc,
                            len(body))  # fmt: skip
                return web.Response(status=400, text="malformed request")
            if payload.get("type") == "event_callback":
                try:
                    await inbox.record([new_event(payload)])
                except Exception as exc:
                    log.error("Slack event %s not stored: %s", payload.get("event_id"), exc)
                    return web.Response(status=503, text="try again")
                return web.Response(status=200)
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.query_string,
                headers=dict(request.headers),
            )
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

        web_app = web.Application()
        web_app.router.add_post(self.settings.slack_path, receive)
        return web_app

    async def serve(self, stop: asyncio.Event) -> None:
        assert self.bolt is not None
        if self.settings.slack_mode == "socket":
            assert self.settings.slack_app_token is not None
            assert self.inbox is not None
            handler = InboxSocketModeHandler(
                self.bolt, self.settings.slack_app_token.get_secret_value(), self.inbox
            )
            connecting = asyncio.create_task(handler.connect_async())
            stopping = asyncio.create_task(stop.wait())
            try:
                # A stop request must end this even while Slack is being reconnected to.
                await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                await stop.wait()
            finally:
                connecting.cancel()
                stopping.cancel()
                await handler.close_async()
            return
        runner = web.AppRunner(self.web_app(), shutdown_timeout=2.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.slack_host, self.settings.slack_port)
        await site.start()
        log.info("Slack HTTP endpoint on %s:%s%s", self.settings.slack_host,
                 self.settings.slack_port, self.settings.slack_path)  # fmt: skip
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    async def close(self) -> None:
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()
