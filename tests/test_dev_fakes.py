"""tools.dev_fakes: the control API plays every Slack event a person can cause by hand."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tools.dev_fakes import Control


@pytest.mark.parametrize(
    ("builder", "args", "subtype"),
    [
        ("message_deleted_event", ["UANNA", "DUANNA", "1700000000.000100"], "message_deleted"),
        ("tombstone_event", ["UANNA", "DUANNA", "1700000000.000100"], "message_changed"),
    ],
)
async def test_a_deleted_message_can_be_played_against_candors_slack_endpoint(
    builder: str, args: list[str], subtype: str
) -> None:
    # QA: "delete an answered message" could not be tried by hand: the control API knew
    # only messages, edits, files, commands, buttons and App Home (404 for a deletion).
    received: list[dict] = []

    async def candor(request: web.Request) -> web.Response:
        received.append(json.loads(await request.read()))
        return web.Response()

    endpoint = web.Application()
    endpoint.router.add_post("/slack/events", candor)
    async with TestServer(endpoint) as server:
        control = Control(FakeTelegramAPI(), FakeSlackAPI(), str(server.make_url("/slack/events")))
        app = web.Application()
        app.router.add_post("/slack/{builder}", control.slack_event)
        async with TestClient(TestServer(app)) as client:
            response = await client.post(f"/slack/{builder}", json={"args": args})
            assert response.status == 200, await response.text()
    [event] = [body["event"] for body in received]
    assert event["subtype"] == subtype and event["channel"] == "DUANNA"


async def _played(builder: str, args: list[str], kwargs: dict, slack: FakeSlackAPI) -> dict:
    """``builder`` played through the control API; the payload Candor's endpoint received."""
    received: list[dict] = []

    async def candor(request: web.Request) -> web.Response:
        if request.content_type == "application/json":  # an event
            received.append(json.loads(await request.read()))
        else:  # an interaction: its JSON in the form's payload
            received.append(json.loads(str((await request.post())["payload"])))
        return web.Response()

    endpoint = web.Application()
    endpoint.router.add_post("/slack/events", candor)
    async with TestServer(endpoint) as server:
        control = Control(FakeTelegramAPI(), slack, str(server.make_url("/slack/events")))
        app = web.Application()
        app.router.add_post("/slack/{builder}", control.slack_event)
        async with TestClient(TestServer(app)) as client:
            response = await client.post(f"/slack/{builder}", json={"args": args, "kwargs": kwargs})
            assert response.status == 200, await response.text()
    [payload] = received
    return payload


async def test_a_persons_message_sits_between_the_bots_messages_around_it() -> None:
    # Found by hand: the bot's messages were stamped 1700000000.x and a person's with the
    # wall clock, so every message played by hand read as written after every question — two
    # quick messages could never be tried as one answer, as they are on Slack.
    async with FakeSlackAPI() as slack:
        bot = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        before = await bot.chat_postMessage(channel="UANNA", text="Question 1 of 3")
        played = await _played("message_event", ["UANNA", "DUANNA", "Good"], {}, slack)
        after = await bot.chat_postMessage(channel="UANNA", text="Question 2 of 3")
    written = Decimal(played["event"]["ts"])
    assert Decimal(before["ts"]) < written < Decimal(after["ts"])


async def test_a_button_pressed_by_hand_carries_the_message_it_is_on() -> None:
    # Slack sends the message pressed (text and blocks) in a block_actions payload; by hand it
    # came with an empty text, which the alert card then kept as its fallback (" ").
    async with FakeSlackAPI() as slack:
        bot = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Negative feedback"}}]
        card = await bot.chat_postMessage(channel="UOWEN", text="Negative feedback", blocks=blocks)
        payload = await _played(
            "block_action",
            ["UOWEN", "DUOWEN", "alert_ack", "1"],
            {"message_ts": card["ts"], "rid": "r1"},
            slack,
        )
    assert payload["message"]["text"] == "Negative feedback"
    assert payload["message"]["blocks"] == blocks
