"""Candor's Slack transport in Socket Mode, end to end: the real slack-bolt handler and
slack_sdk Socket Mode client against the fake Slack's websocket, all on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.settings import Settings, SettingsError, load_settings
from bot.slack.limiter import SlackLimiter
from bot.slack.transport import SlackTransport, make_client
from surveys.model import Address, Answer, Channel
from tests.conftest import FakeClock
from tests.fakes.slack_api import (
    FakeSlackAPI,
    block_action,
    message_event,
    slash_command,
    socket_payload,
)

SLACK_ADMIN = "UADMIN1"
ANNA = "UANNA"
Q1 = "Question 1 of 3\n"
Q2 = "Question 2 of 3\nHow do you find the speed of our work and of our answers?"
Q3 = "Question 3 of 3\nWas our communication polite and correct?"
# Variables that could leak a signing secret, a mode or a proxy (slack_sdk's Socket Mode
# client honours HTTP(S)_PROXY and ignores NO_PROXY) into a hermetic test.
_ENVIRONMENT = (
    "SLACK_SIGNING_SECRET", "CANDOR_SLACK_SIGNING_SECRET", "CANDOR_SLACK_MODE",
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
)  # fmt: skip


def socket_settings(api: FakeSlackAPI, database_url: str) -> Settings:
    """An app-level token and no signing secret; slack_mode left to resolve itself."""
    return load_settings(
        _env_file=None,
        slack_bot_token=api.bot_token,
        slack_app_token=api.app_token,
        slack_api_url=api.api_url,
        database_url=database_url,
        admin_slack_ids=SLACK_ADMIN,
        company_name="Acme IT",
    )


@dataclass
class SocketSlack:
    api: FakeSlackAPI
    app: App
    transport: SlackTransport
    serving: asyncio.Task[None]

    async def command(self, text: str, rid: str, user: str = SLACK_ADMIN) -> dict[str, Any]:
        """`/candor <text>` over the socket: acked bare, answered once at its response_url."""
        payload = slash_command(
            "/candor", text, user, self.api.dm_channel_of(user),
            response_url=self.api.response_url(rid),
        )  # fmt: skip
        ack = await self.api.socket_send(
            "slash_commands", socket_payload(payload), accepts_response_payload=True
        )
        assert set(ack) == {"envelope_id"}, ack  # ack() without arguments: no payload
        [reply] = self.api.responses_to(rid)  # listeners finish before the ack is sent
        assert reply.get("response_type") == "ephemeral", reply
        return reply

    def dm(self, user: str) -> list[dict[str, Any]]:
        return self.api.messages_in(self.api.dm_channel_of(user))

    def dm_texts(self, user: str) -> list[str]:
        return [str(m.get("text", "")) for m in self.dm(user)]

    async def answers_of(self, user: str) -> list[Answer]:
        async with self.app.uow() as uow:
            contact = await uow.contacts.by_address(Address(Channel.SLACK, user))
            assert contact is not None
            conversation = await uow.conversations.current_for_contact(contact.id)
            assert conversation is not None
            return await uow.answers.for_conversations([conversation.id])


@pytest.fixture
def hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def socket_slack(
    hermetic_env: None, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SocketSlack]:
    async with FakeSlackAPI() as api:
        settings = socket_settings(api, f"sqlite+aiosqlite:///{tmp_path}/socket.db")
        transport = SlackTransport(make_client(settings), settings, limiter=SlackLimiter(scale=1e4))
        app = await App.create(settings, {Channel.SLACK: transport.messenger}, clock)
        transport.attach(app)
        await transport.prepare(app)
        serving = asyncio.create_task(transport.serve(app.stop_event))
        try:
            await api.wait_for_socket()
            yield SocketSlack(api, app, transport, serving)
        finally:
            app.stop()
            try:
                async with asyncio.timeout(10):
                    await serving
            finally:
                serving.cancel()  # only if stuck, e.g. never connected: serve() retries forever
                await transport.close()
                await app.close()
        api.assert_no_violations()


def test_socket_mode_is_the_default_with_an_app_token_and_needs_no_signing_secret(
    hermetic_env: None,
) -> None:
    api = FakeSlackAPI()  # not started: only its tokens are used
    common = {"slack_bot_token": api.bot_token, "_env_file": None}
    settings = load_settings(slack_app_token=api.app_token, **common)
    assert settings.slack_mode == "socket"
    assert settings.slack_signing_secret is None
    # Without the app-level token it is HTTP mode, which does need the secret.
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET"):
        load_settings(**common)


async def test_commands_answers_and_buttons_over_the_socket(socket_slack: SocketSlack) -> None:
    slack, api, app = socket_slack, socket_slack.api, socket_slack.app
    assert slack.transport.settings.slack_mode == "socket"
    assert slack.transport.settings.slack_signing_secret is None
    assert api.socket_connections == 1
    # One call checks the app-level token at start, one opens the socket; the token went in
    # the header each time, nothing else.
    opened = api.calls_to("apps.connections.open")
    assert len(opened) == 2 and all(call.params == {} for call in opened)

    # (a) A slash command from the bootstrap admin adds the account.
    reply = await slack.command("account_add Globex", "add")
    assert "added" in str(reply["text"]), reply
    async with app.uow() as uow:
        account = await uow.accounts.by_name("Globex")
    assert account is not None

    # (b) A contact, found by e-mail; a round; her answer arrives as an Events API envelope.
    api.add_user(ANNA, "anna@client.example", "Anna Smith")
    assert "Anna Smith" in str(
        (await slack.command("invite Globex anna@client.example", "inv"))["text"]
    )
    assert "opened" in str((await slack.command("round Globex", "round"))["text"])
    await app.delivery.run_once()
    assert Q1 in slack.dm_texts(ANNA)[-1]

    dm = api.dm_channel_of(ANNA)
    event = socket_payload(message_event(ANNA, dm, "Great result, we are satisfied"))
    ack = await api.socket_send("events_api", event)
    assert set(ack) == {"envelope_id"}
    # Acknowledged once stored in the inbox; an inbox worker then handles it.
    [stored] = await app.inbox.store.list()
    assert stored.status == "pending" and stored.update_key == event["event_id"]
    assert await app.inbox.run_once() == 1
    answers = await slack.answers_of(ANNA)
    assert [(a.question_key, a.text) for a in answers] == [
        ("outcome", "Great result, we are satisfied")
    ]
    await app.delivery.run_once()
    assert slack.dm_texts(ANNA)[-1] == Q2

    # (c) Question 2 skipped with its button, as an interactive envelope.
    q2 = slack.dm(ANNA)[-1]
    [skip] = [
        element
        for block in q2["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "survey_skip"
    ]
    press = block_action(
        ANNA, dm, "survey_skip", skip["value"], message_ts=q2["ts"], message=q2,
        response_url=api.response_url("skip"),
    )  # fmt: skip
    ack = await api.socket_send("interactive", socket_payload(press))
    assert set(ack) == {"envelope_id"}
    assert api.responses_to("skip") == []  # the conversation itself answers
    await app.delivery.run_once()
    # Question 1 lost its buttons when answered in words, question 2 when skipped.
    *_, update = api.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (dm, q2["ts"])
    assert slack.dm_texts(ANNA)[-2:] == ["Skipped.", Q3]
    assert [a.question_key for a in await slack.answers_of(ANNA)] == ["outcome"]
    assert len(api.socket_acks) == 5  # three commands, one event, one button

    # (d) Stopping the app ends serve() and closes the websocket; no reconnect happened.
    app.stop()
    async with asyncio.timeout(10):
        await slack.serving
    await api.wait_for_socket(connected=False)
    assert api.socket_connections == 1
    assert len(api.calls_to("apps.connections.open")) == 2  # the start-up check and the one socket
    api.assert_no_violations()


# --- the fake's side of Socket Mode ----------------------------------------------------------


async def test_the_fake_opens_connections_for_the_app_level_token_only(
    hermetic_env: None,
) -> None:
    async with FakeSlackAPI() as api:
        bot = AsyncWebClient(token=api.bot_token, base_url=api.api_url, retry_handlers=[])
        opened = await bot.apps_connections_open(app_token=api.app_token)
        assert str(opened["url"]).startswith(api.base_url.replace("http:", "ws:") + "/socket-mode/")
        api.assert_no_violations()

        with pytest.raises(SlackApiError) as raised:
            await bot.apps_connections_open(app_token=api.bot_token)
        assert raised.value.response["error"] == "not_allowed_token_type"
        app_level = AsyncWebClient(token=api.app_token, base_url=api.api_url, retry_handlers=[])
        with pytest.raises(SlackApiError) as raised:
            await app_level.auth_test()
        assert raised.value.response["error"] == "not_allowed_token_type"
        assert len(api.violations) == 2


async def test_the_fake_checks_each_ack_against_its_envelope(hermetic_env: None) -> None:
    async with FakeSlackAPI() as api, aiohttp.ClientSession() as session:
        bot = AsyncWebClient(token=api.bot_token, base_url=api.api_url, retry_handlers=[])
        url = str((await bot.apps_connections_open(app_token=api.app_token))["url"])
        async with session.ws_connect(url) as ws:
            assert (await ws.receive_json())["type"] == "hello"
            await api.wait_for_socket()
            event = socket_payload(message_event(ANNA, api.dm_channel_of(ANNA), "Hi"))

            # A payload in the ack of an envelope that accepts none is dropped by Slack.
            sending = asyncio.create_task(api.socket_send("events_api", event))
            envelope = await ws.receive_json()
            assert (envelope["type"], envelope["payload"]) == ("events_api", event)
            assert envelope["accepts_response_payload"] is False
            ack = {"envelope_id": envelope["envelope_id"], "payload": {"text": "hi"}}
            await ws.send_json(ack)
            assert await sending == ack
            assert api.violations == [
                f"socket mode ack {envelope['envelope_id']}: a payload for an envelope"
                " that accepts none (Slack drops it)"
            ]

            # Unanswered in time: socket_send gives up, and a late ack is a violation.
            with pytest.raises(TimeoutError):
                await api.socket_send("events_api", event, seconds=0.2)
            late = await ws.receive_json()
            await ws.send_json({"envelope_id": late["envelope_id"]})
            await ws.send_json(ack)  # its envelope was already answered
            await ws.close()
        await api.wait_for_socket(connected=False)
        assert len(api.violations) == 3
        assert api.socket_connections == 1
