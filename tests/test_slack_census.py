"""Binding an account's contacts on Slack by e-mail, against the fake Slack Web API:
users.lookupByEmail within its tier, resumable after a stop, progress reported."""

from __future__ import annotations

from dataclasses import replace

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.directory import SlackDirectory
from bot.slack.limiter import SlackLimiter
from storage.repositories import SqlUnitOfWorkFactory
from surveys.census import BindReport, Census
from surveys.model import Channel, Contact, ContactLevel, ContactStatus, Language
from surveys.service import SurveyService
from tests.conftest import World
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack_harness import slack_api  # noqa: F401  (fixture)


async def test_bind_by_email_in_bulk_resumes_and_reports_progress(
    slack_api: FakeSlackAPI,  # noqa: F811
    service: SurveyService,
    uow: SqlUnitOfWorkFactory,
    world: World,
) -> None:
    async with uow() as u:
        for i in range(7):
            await u.contacts.add(
                Contact(
                    0,
                    world.account.id,
                    f"U{i}",
                    ContactLevel.USER,
                    Language.EN,
                    ContactStatus.INVITED,
                    email=f"u{i}@globex.example",
                )
            )
        await u.commit()
    for i in range(5):  # two of the seven are not in the workspace
        slack_api.add_user(f"UCEN{i}", f"u{i}@globex.example", f"U{i}")
    client = AsyncWebClient(token=slack_api.bot_token, base_url=slack_api.api_url)
    directory = SlackDirectory(client, SlackLimiter(scale=1000))
    census = Census(service)
    seen: list[tuple[int, int]] = []

    async def progress(report: BindReport) -> None:
        seen.append((report.tried, report.bound))

    class Stop(Exception):
        pass

    async def stop_after_three(report: BindReport) -> None:
        raise Stop

    with pytest.raises(Stop):  # the first run is stopped after its first page of three
        await census.bind_by_email(
            world.account.id, directory, Channel.SLACK, stop_after_three, page=3
        )
    lookups = len(slack_api.calls_to("users.lookupByEmail"))
    assert lookups == 3
    report = await census.bind_by_email(
        world.account.id, directory, Channel.SLACK, progress, page=3
    )
    assert (report.total, report.bound, report.not_found) == (4, 2, 2)  # 3 were bound before
    assert seen and seen[-1] == (4, 2)
    assert len(slack_api.calls_to("users.lookupByEmail")) == lookups + 4  # none asked twice
    async with uow() as u:
        bound = {c.name: c.address for c in await u.contacts.for_account(world.account.id)}
    assert bound["U0"] == "UCEN0" and bound["U4"] == "UCEN4" and bound["U6"] is None


async def test_bind_by_email_leaves_staff_unbound_and_counts_them(
    slack_api: FakeSlackAPI,  # noqa: F811
    service: SurveyService,
    uow: SqlUnitOfWorkFactory,
    world: World,
) -> None:
    # The client's export lists Olga, our owner (she handled its tickets), by her e-mail.
    async with uow() as u:
        await u.staff.update(replace(world.owner, slack_user_id="UOLGA"))
        for name in ("Olga", "Uma"):
            await u.contacts.add(
                Contact(0, world.account.id, name, ContactLevel.USER, Language.EN,
                        ContactStatus.INVITED, email=f"{name.lower()}@globex.example")
            )  # fmt: skip
        await u.commit()
    slack_api.add_user("UOLGA", "olga@globex.example", "Olga Owner")
    slack_api.add_user("UUMA", "uma@globex.example", "Uma")
    client = AsyncWebClient(token=slack_api.bot_token, base_url=slack_api.api_url)
    directory = SlackDirectory(client, SlackLimiter(scale=1000))
    report = await Census(service).bind_by_email(world.account.id, directory, Channel.SLACK)
    assert (report.tried, report.bound, report.staff, report.not_found) == (2, 1, 1, 0)
    async with uow() as u:
        bound = {c.name: c.address for c in await u.contacts.for_account(world.account.id)}
    assert bound["Uma"] == "UUMA" and bound["Olga"] is None  # never asked in a census
