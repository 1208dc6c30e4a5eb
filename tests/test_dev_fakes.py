"""tools.dev_fakes: the control API plays every Slack event a person can cause by hand."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

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
