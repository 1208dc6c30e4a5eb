"""The weekly digest: once per person per ISO week, in their time zone, their own accounts,
and a switch each person turns for themself; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.repositories import SqlUnitOfWorkFactory
from surveys.conversation import ContactEvent, EventKind
from surveys.digest import DigestPolicy, WeeklyDigest
from surveys.model import Account, Address, Channel, Language, OutgoingMessage, Staff, StaffRole
from surveys.onboarding import Onboarding
from surveys.service import SurveyService
from surveys.staff import AccountOptions, StaffCommands, StaffError
from tests.conftest import T0, FakeClock, World

MONDAY_9 = DigestPolicy(weekday=1, hour=9)  # T0 is Monday 2026-11-02 09:00 UTC
WEEK = timedelta(days=7)


def digest(uow: SqlUnitOfWorkFactory, clock: FakeClock) -> WeeklyDigest:
    return WeeklyDigest(uow, clock, default_timezone="UTC", policy=MONDAY_9)


async def digests(uow: SqlUnitOfWorkFactory) -> dict[str, list[OutgoingMessage]]:
    async with uow() as u:
        found: dict[str, list[OutgoingMessage]] = {}
        for m in await u.outbox.list():
            if m.idempotency_key.startswith("digest:"):
                found.setdefault(m.recipient.address, []).append(m)
        return found


@pytest.fixture
async def initech(uow: SqlUnitOfWorkFactory) -> Account:
    """A second account, owned by someone other than Olga."""
    async with uow() as u:
        oscar = await u.staff.add(
            Staff(0, "Oscar", StaffRole.OWNER, Language.EN, created_at=T0 - 4 * WEEK)
        )
        account = await u.accounts.add(Account(0, "Initech", oscar.id, created_at=T0 - 4 * WEEK))
        await u.commit()
    return account


async def test_one_digest_per_person_per_week_across_processes(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock
) -> None:
    clock.set(T0 - timedelta(minutes=1))  # Monday 08:59: not yet
    assert await digest(uow, clock).run_due() == 0

    clock.set(T0)
    assert await digest(uow, clock).run_due() == 2  # Olga and Max
    clock.advance(timedelta(hours=5))
    assert await digest(uow, clock).run_due() == 0  # a restart: a new instance, same week
    clock.advance(timedelta(days=3))
    assert await digest(uow, clock).run_due() == 0  # later the same week

    sent = await digests(uow)
    assert sorted(sent) == ["max", "olga"] and all(len(v) == 1 for v in sent.values())
    assert sent["olga"][0].idempotency_key == f"digest:{world.owner.id}:2026-W45"

    clock.set(T0 + timedelta(days=7))
    assert await digest(uow, clock).run_due() == 2  # next week: the next one


async def test_a_process_that_was_down_at_the_hour_catches_up_the_same_week(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock
) -> None:
    clock.set(T0 + timedelta(days=2, hours=3))  # Wednesday
    assert await digest(uow, clock).run_due() == 2
    clock.set(T0 - timedelta(days=1))  # Sunday before: the week before, already past its day
    assert await digest(uow, clock).run_due() == 2  # W44 was never sent; its own key


async def test_the_hour_is_the_persons_own_time_zone(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock
) -> None:
    await digest(uow, clock).command(world.owner, ["on", "Asia/Tokyo"])
    clock.set(T0 - timedelta(hours=9))  # Monday 00:00 UTC is 09:00 in Tokyo

    assert await digest(uow, clock).run_due() == 1
    assert list(await digests(uow)) == ["olga"]


async def test_owners_hear_about_their_accounts_managers_about_the_portfolio(
    uow: SqlUnitOfWorkFactory,
    world: World,
    initech: Account,
    service: SurveyService,
    clock: FakeClock,
) -> None:
    clock.set(T0 - timedelta(days=2))
    opened = await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    await service.handle_event(
        world.anna_at, ContactEvent(EventKind.TEXT, "Terrible result, awful", "a1")
    )
    clock.set(T0)
    await digest(uow, clock).run_due()

    sent = await digests(uow)
    olga = str(sent["olga"][0].payload["text"])
    assert "Your accounts: 1." in olga and "Initech" not in olga
    assert "Alerts: 1 open, 0 acknowledged." in olga
    assert "Globex — Sprint 1: 1/2 (50%)" in olga
    # Counts after their labels: it read "1 answers, 1 negative, 1 new alerts".
    assert "Since last week: answers 1, negative 1, new alerts 1, resolved 0." in olga
    assert "/digest off" in olga
    max_ = str(sent["max"][0].payload["text"])  # Max reads Russian and sees everything
    assert "Портфель: аккаунтов 2." in max_ and "Ещё не опрашивались: Initech." in max_
    assert "Без ответов" not in max_  # never asked is not quiet
    assert sent["max"][0].payload["lang"] == "ru"
    assert opened.round.id


async def test_a_person_turns_their_own_digest_off_and_on(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock
) -> None:
    weekly = digest(uow, clock)
    out = await weekly.command(world.owner, ["off"])
    assert out.lines == ["The weekly digest is off."]

    assert await weekly.run_due() == 1
    assert list(await digests(uow)) == ["max"]

    on = await weekly.command(world.owner, ["on"])
    assert on.lines == ["The weekly digest is on (UTC)."]
    assert await weekly.run_due() == 1  # Olga's, this week
    for bad in ([], ["maybe"]):
        with pytest.raises(StaffError, match="digest on"):
            await weekly.command(world.owner, bad)
    with pytest.raises(StaffError, match="Unknown time zone «Mars/Base»"):
        await weekly.command(world.owner, ["on", "Mars/Base"])
    async with uow() as u:
        stored = await u.staff.get(world.owner.id)
    assert stored is not None and stored.digest and stored.timezone is None


async def test_two_processes_at_the_same_tick_record_one_digest_each(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock
) -> None:
    first, second = digest(uow, clock), digest(uow, clock)

    counts = await asyncio.gather(first.run_due(), second.run_due())

    assert sum(counts) == 2  # the outbox's unique key lets only one of each through
    assert all(len(v) == 1 for v in (await digests(uow)).values())


async def test_a_person_on_several_platforms_gets_it_on_a_chat_platform(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock
) -> None:
    async with uow() as u:
        olga = await u.staff.get(world.owner.id)
        assert olga is not None and olga.console_name == "olga"
        olga.telegram_user_id = 7003
        await u.staff.update(olga)
        await u.commit()

    await digest(uow, clock).run_due()

    sent = await digests(uow)
    assert [m.recipient.channel.value for m in sent["7003"]] == ["telegram"]
    assert "olga" not in sent


async def test_an_account_asked_weeks_ago_without_an_answer_is_quiet(
    uow: SqlUnitOfWorkFactory, world: World, service: SurveyService, clock: FakeClock
) -> None:
    clock.set(T0 - timedelta(days=35))
    await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    clock.set(T0)
    await digest(uow, clock).run_due()
    olga = str((await digests(uow))["olga"][0].payload["text"])
    assert "Quiet for 4+ weeks: Globex." in olga


def commands(uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService) -> StaffCommands:
    return StaffCommands(
        uow, clock, service, Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    )


async def test_staff_added_after_the_hour_start_with_the_next_scheduled_digest(
    uow: SqlUnitOfWorkFactory, world: World, service: SurveyService, clock: FakeClock
) -> None:
    async with uow() as u:
        admin = await u.staff.add(
            Staff(0, "Ada", StaffRole.ADMIN, console_name="ada", created_at=T0 - WEEK)
        )
        await u.commit()
    assert await digest(uow, clock).run_due() == 3  # Monday 09:00: Olga, Max and Ada

    clock.set(T0 + timedelta(days=1))  # Tuesday: a manager joins after this week's digest
    desk = commands(uow, clock, service)
    await desk.add_staff(admin, "manager", "Mia", Address(Channel.CONSOLE, "mia"), None)
    # It read as a bug to her (a digest the day she joined) and copied what the others got.
    assert await digest(uow, clock).run_due() == 0
    clock.advance(timedelta(days=2))  # a missed tick or a restart later that week: still none
    assert await digest(uow, clock).run_due() == 0
    assert "mia" not in await digests(uow)

    clock.set(T0 + WEEK)  # the first scheduled digest after she joined
    assert await digest(uow, clock).run_due() == 4
    assert [m.idempotency_key.rsplit(":", 1)[1] for m in (await digests(uow))["mia"]] == [
        "2026-W46"
    ]


async def test_joining_before_the_hour_gets_that_weeks_digest_even_if_the_tick_is_late(
    uow: SqlUnitOfWorkFactory, world: World, service: SurveyService, clock: FakeClock
) -> None:
    async with uow() as u:
        admin = await u.staff.add(
            Staff(0, "Ada", StaffRole.ADMIN, console_name="ada", created_at=T0 - WEEK)
        )
        await u.commit()
    clock.set(T0 - timedelta(hours=1))  # Monday 08:00 in her zone: before the hour
    desk = commands(uow, clock, service)
    await desk.add_staff(admin, "manager", "Mia", Address(Channel.CONSOLE, "mia"), None)

    clock.set(T0 + timedelta(days=2))  # the process was down at the hour: it catches up
    assert await digest(uow, clock).run_due() == 4
    assert len((await digests(uow))["mia"]) == 1
    async with uow() as u:
        mia = await u.staff.by_address(Address(Channel.CONSOLE, "mia"))
    assert mia is not None and mia.created_at == T0 - timedelta(hours=1)  # the injected clock


async def test_an_owner_given_a_first_account_after_the_hour_starts_with_the_next_digest(
    uow: SqlUnitOfWorkFactory, world: World, service: SurveyService, clock: FakeClock
) -> None:
    async with uow() as u:
        # On the staff for weeks, but with nothing to read about until now.
        await u.staff.add(
            Staff(0, "Oscar", StaffRole.OWNER, console_name="oscar", created_at=T0 - 4 * WEEK)
        )
        await u.accounts.add(Account(0, "Initech", None, created_at=T0 - 4 * WEEK))
        await u.commit()
    assert await digest(uow, clock).run_due() == 2  # Monday 09:00: Olga and Max

    clock.set(T0 + timedelta(days=1))  # Tuesday: Initech is given to Oscar
    await commands(uow, clock, service).set_owner(world.manager, "Initech", "Oscar")
    # Monday's digest on the spot read as a bug to him, like a manager added on Tuesday.
    assert await digest(uow, clock).run_due() == 0
    clock.advance(timedelta(days=2))  # a missed tick or a restart later that week: still none
    assert await digest(uow, clock).run_due() == 0
    assert "oscar" not in await digests(uow)

    clock.set(T0 + WEEK)  # the first scheduled digest after he had an account
    assert await digest(uow, clock).run_due() == 3
    assert [m.idempotency_key.rsplit(":", 1)[1] for m in (await digests(uow))["oscar"]] == [
        "2026-W46"
    ]


async def test_an_owner_given_a_first_account_before_the_hour_is_caught_up_by_a_late_tick(
    uow: SqlUnitOfWorkFactory, world: World, service: SurveyService, clock: FakeClock
) -> None:
    async with uow() as u:
        await u.staff.add(
            Staff(0, "Oscar", StaffRole.OWNER, console_name="oscar", created_at=T0 - 4 * WEEK)
        )
        await u.accounts.add(Account(0, "Initech", None, created_at=T0 - 4 * WEEK))
        await u.commit()
    clock.set(T0 - timedelta(hours=1))  # Monday 08:00: before the hour
    await commands(uow, clock, service).set_owner(world.manager, "Initech", "Oscar")

    clock.set(T0 + timedelta(days=2))  # the process was down at the hour: it catches up
    assert await digest(uow, clock).run_due() == 3
    assert len((await digests(uow))["oscar"]) == 1
    clock.advance(timedelta(hours=1))  # a second process or a restart: nothing twice
    assert await digest(uow, clock).run_due() == 0


async def fresh_install(uow: SqlUnitOfWorkFactory) -> Staff:
    """An admin and a manager on the staff for weeks, and no account yet."""
    async with uow() as u:
        admin = await u.staff.add(
            Staff(0, "Ada", StaffRole.ADMIN, console_name="ada", created_at=T0 - 4 * WEEK)
        )
        await u.staff.add(
            Staff(0, "Mia", StaffRole.MANAGER, console_name="mia", created_at=T0 - 4 * WEEK)
        )
        await u.commit()
    return admin


async def test_a_first_account_added_after_the_hour_starts_with_the_next_digest(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock
) -> None:
    admin = await fresh_install(uow)
    assert await digest(uow, clock).run_due() == 0  # Monday 09:00: nothing to report on

    clock.set(T0 + timedelta(days=1))  # Tuesday: the first account
    await commands(uow, clock, service).add_account(admin, "Globex", AccountOptions())
    # Monday's digest about an account that was not there on Monday.
    assert await digest(uow, clock).run_due() == 0
    clock.advance(timedelta(days=2))  # a missed tick or a restart later that week: still none
    assert await digest(uow, clock).run_due() == 0
    assert await digests(uow) == {}
    async with uow() as u:
        globex = await u.accounts.by_name("Globex")
    assert globex is not None and globex.created_at == T0 + timedelta(days=1)  # injected clock

    clock.set(T0 + WEEK)  # the first scheduled digest after the account was added
    assert await digest(uow, clock).run_due() == 2
    sent = await digests(uow)
    assert sorted(sent) == ["ada", "mia"]
    assert [m.idempotency_key.rsplit(":", 1)[1] for m in sent["ada"]] == ["2026-W46"]


async def test_a_first_account_added_before_the_hour_is_caught_up_by_a_late_tick(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock
) -> None:
    admin = await fresh_install(uow)
    clock.set(T0 - timedelta(hours=1))  # Monday 08:00: before the hour
    await commands(uow, clock, service).add_account(admin, "Globex", AccountOptions())

    clock.set(T0 + timedelta(days=2))  # the process was down at the hour: it catches up
    assert await digest(uow, clock).run_due() == 2
    clock.advance(timedelta(hours=1))  # a second process or a restart: nothing twice
    assert await digest(uow, clock).run_due() == 0
    assert sorted(await digests(uow)) == ["ada", "mia"]
