"""The Slack transport: one AsyncApp, Socket Mode or HTTP (signed requests only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.settings import Settings
from bot.slack.context import SlackContext
from bot.slack.limiter import SlackLimiter
from bot.slack.listeners import register
from bot.slack.messenger import SlackMessenger
from surveys.model import Address, Channel

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "x-slack-signature"


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

    def attach(self, app: App) -> AsyncApp:
        self.context = SlackContext(
            service=app.service,
            onboarding=app.onboarding,
            commands=app.commands,
            messenger=self.messenger,
            default_language=self.settings.default_language,
            wake_delivery=app.delivery.wake.set,
        )
        secret = self.settings.slack_signing_secret
        bolt = AsyncApp(
            client=self.client,
            signing_secret=secret.get_secret_value() if secret else None,
            # Socket Mode requests are not signed; HTTP requests always are.
            request_verification_enabled=self.settings.slack_mode == "http",
            process_before_response=True,
        )
        bolt.use(self._replay_guard(app))
        register(bolt, self.context)
        self.bolt = bolt
        return bolt

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
        """Events API, interactivity and slash commands on one signed endpoint."""
        assert self.bolt is not None
        return self.bolt.web_app(path=self.settings.slack_path, port=self.settings.slack_port)

    async def serve(self, stop: asyncio.Event) -> None:
        assert self.bolt is not None
        if self.settings.slack_mode == "socket":
            assert self.settings.slack_app_token is not None
            handler = AsyncSocketModeHandler(
                self.bolt, self.settings.slack_app_token.get_secret_value()
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
        runner = web.AppRunner(self.web_app())
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
