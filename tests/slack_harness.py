"""Candor's real Slack transport (slack-bolt AsyncApp, HTTP mode) against the fake Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.delivery import DeliveryStats
from bot.settings import Settings, load_settings
from bot.slack.limiter import SlackLimiter
from bot.slack.transport import SlackTransport, make_client
from surveys.model import Channel
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlackAPI, sign_request

SIGNING_SECRET = "test-signing-secret"
SLACK_ADMIN = "UADMIN1"


@dataclass
class SlackHarness:
    api: FakeSlackAPI
    app: App
    transport: SlackTransport
    clock: FakeClock
    settings: Settings
    http: TestClient

    @classmethod
    async def start(
        cls, api: FakeSlackAPI, database_url: str, clock: FakeClock, **overrides: Any
    ) -> SlackHarness:
        settings = load_settings(
            slack_bot_token=api.bot_token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=api.api_url,
            slack_mode="http",
            database_url=database_url,
            admin_slack_ids=SLACK_ADMIN,
            company_name="Acme IT",
            **overrides,
        )
        transport = SlackTransport(make_client(settings), settings, limiter=SlackLimiter(scale=1e4))
        app = await App.create(settings, {Channel.SLACK: transport.messenger}, clock)
        transport.attach(app)
        await transport.prepare(app)
        http = TestClient(TestServer(transport.web_app(), host="127.0.0.1"))
        await http.start_server()
        return cls(api, app, transport, clock, settings, http)

    async def stop(self) -> None:
        await self.http.close()
        await self.transport.close()
        await self.app.close()

    async def post(
        self,
        payload: tuple[bytes, str],
        *,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        deliver: bool = True,
    ) -> tuple[int, str]:
        """Post a payload to the app's endpoint signed as Slack would; then deliver."""
        body, content_type = payload
        signed = sign_request(body, secret, timestamp) if secret else {}
        response = await self.http.post(
            self.settings.slack_path,
            data=body,
            headers={"Content-Type": content_type, **signed, **(headers or {})},
        )
        text = await response.text()
        # An event is answered once stored; the inbox workers handle it.
        await self.app.inbox.run_once()
        if deliver:
            await self.deliver()
        return response.status, text

    async def deliver(self) -> DeliveryStats:
        return await self.app.delivery.run_once()

    def dm(self, user_id: str) -> list[dict[str, Any]]:
        return self.api.messages_in(self.api.dm_channel_of(user_id))

    def dm_texts(self, user_id: str) -> list[str]:
        return [str(m.get("text", "")) for m in self.dm(user_id)]


@pytest.fixture
async def slack_api() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as server:
        yield server
        server.assert_no_violations()


@pytest.fixture
async def slack(
    slack_api: FakeSlackAPI, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SlackHarness]:
    """Candor on Slack over HTTP, on the embedded default database."""
    harness = await SlackHarness.start(slack_api, f"sqlite+aiosqlite:///{tmp_path}/slack.db", clock)
    try:
        yield harness
    finally:
        await harness.stop()
