"""Ticket intake over HTTP (POST /tickets/<account>), on SQLite and PostgreSQL: tokens,
replays, body bounds; nothing is recorded for a refused request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import ticket_intake
from bot.settings import Settings, load_settings
from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import ContactLevel
from surveys.service import SurveyService
from tests.conftest import World

GLOBAL = "global-token-0123456789"
OWN = "globex-token-9876543210"


@dataclass
class Wiring:  # what the intake needs of the App
    settings: Settings
    service: SurveyService


@pytest.fixture
async def client(service: SurveyService, world: World) -> AsyncIterator[TestClient]:
    settings = load_settings(
        ticket_token=GLOBAL, ticket_tokens=json.dumps({"Globex": OWN}), ticket_max_body=2048
    )
    web_app = web.Application()
    ticket_intake.add_routes(web_app, Wiring(settings, service))  # type: ignore[arg-type]
    async with TestClient(TestServer(web_app, host="127.0.0.1")) as http:
        yield http


def ticket(ticket_id: str = "SD-1", email: str = "req@example.com") -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "created_at": "2026-11-02T09:30:00Z",
        "requester": {"email": email, "name": "Rita Requester"},
    }


async def users(uow: SqlUnitOfWorkFactory, world: World) -> list:
    async with uow() as u:
        return [
            c for c in await u.contacts.for_account(world.account.id)
            if c.level is ContactLevel.USER
        ]  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"X-Candor-Token": ""}, {"Authorization": "Bearer "}],
    ids=["missing", "wrong", "empty-header", "empty-bearer"],
)
async def test_missing_or_wrong_token_is_refused_and_nothing_recorded(
    client: TestClient, uow: SqlUnitOfWorkFactory, world: World, headers: dict[str, str]
) -> None:
    response = await client.post("/tickets/Globex", json=ticket(), headers=headers)
    assert response.status == 401
    assert await users(uow, world) == []


async def test_a_replayed_ticket_id_is_recorded_once(
    client: TestClient, uow: SqlUnitOfWorkFactory, world: World
) -> None:
    for token, status in ((OWN, 201), (GLOBAL, 200), (OWN, 200)):
        response = await client.post(
            "/tickets/Globex", json=ticket(), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == status, await response.text()
    [rita] = await users(uow, world)
    assert rita.name == "Rita Requester" and rita.tickets == 1
    assert rita.last_ticket_at is not None and rita.last_ticket_at.isoformat().startswith(
        "2026-11-02T09:30"
    )


async def test_an_oversized_body_is_refused_and_nothing_recorded(
    client: TestClient, uow: SqlUnitOfWorkFactory, world: World
) -> None:
    big = ticket() | {"description": "x" * 5000}
    response = await client.post("/tickets/Globex", json=big, headers={"X-Candor-Token": OWN})
    assert response.status == 413
    assert await users(uow, world) == []


async def test_bad_json_and_unknown_account_are_answered_plainly(
    client: TestClient, uow: SqlUnitOfWorkFactory, world: World
) -> None:
    bad = await client.post("/tickets/Globex", data=b"{nope", headers={"X-Candor-Token": OWN})
    assert bad.status == 400 and "ticket_id" in (await bad.json())["error"]
    # The Globex token is not valid for another account; the global token is.
    other = await client.post("/tickets/Initech", json=ticket(), headers={"X-Candor-Token": OWN})
    assert other.status == 401
    unknown = await client.post(
        "/tickets/Initech", json=ticket(), headers={"X-Candor-Token": GLOBAL}
    )
    assert unknown.status == 404
    assert await users(uow, world) == []
