"""Census rounds, census links and ticket intake, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys.alert_desk import AlertDesk
from surveys.census import (
    MAX_BACKLOG,
    Census,
    CensusProgress,
    CensusState,
    TicketReport,
    census_window,
)
from surveys.census_staff import census_command
from surveys.conversation import ContactEvent, EventKind
from surveys.model import (
    Address,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Disposition,
    Language,
)
from surveys.onboarding import Onboarding, RedeemStatus
from surveys.reports import render_table
from surveys.resolution import Resolutions
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from tests.conftest import FakeClock, RecordingMessenger, World

LEASE = timedelta(minutes=5)


async def add_users(
    uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock, n: int, *, ticket: bool = True
) -> list[Contact]:
    async with uow() as u:
        users = [
            await u.contacts.add(
                Contact(
                    0,
                    world.account.id,
                    f"User {i}",
                    ContactLevel.USER,
                    Language.EN,
                    ContactStatus.ACTIVE,
                    Channel.CONSOLE,
                    f"user{i}",
                    tickets=1 if ticket else 0,
                    last_ticket_at=clock.now() - timedelta(days=10) if ticket else None,
                )
            )
            for i in range(n)
        ]
        await u.commit()
    return users


@dataclass
class Bed:
    """The fixtures most census tests use, with the steps they repeat."""

    service: SurveyService
    delivery: DeliveryWorker
    messenger: RecordingMessenger
    world: World
    uow: SqlUnitOfWorkFactory
    clock: FakeClock
    census: Census

    @property
    def account_id(self) -> int:
        return self.world.account.id

    async def add_users(self, n: int, *, ticket: bool = True) -> list[Contact]:
        return await add_users(self.uow, self.world, self.clock, n, ticket=ticket)

    async def ask_everyone(self, max_backlog: int = MAX_BACKLOG) -> None:
        """Fan out and deliver until the census has nobody left to ask."""
        while await self.census.fan_out(max_backlog):
            await self.delivery.run_once()
        await self.delivery.run_once()

    async def progress(self) -> CensusProgress:
        found = await self.census.progress(self.account_id)
        assert found is not None
        return found[1]

    def asked(self) -> list[str]:
        """Who got a conversation's first message: the invitation heading question 1."""
        sent = self.messenger.sent
        return [m.recipient.address for m in sent if m.idempotency_key.endswith(":start:0")]


@pytest.fixture
def bed(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> Bed:
    return Bed(service, delivery, messenger, world, uow, clock, Census(service))


async def test_census_asks_only_users_with_a_ticket_in_the_window_each_once(bed: Bed) -> None:
    await bed.add_users(7)
    await add_users_without_ticket(bed)
    round_, _run, created = await bed.census.start(bed.account_id, None, None)
    assert created and round_.audience == "user" and round_.title.startswith("Census")
    assert (await bed.census.start(bed.account_id, None, None))[2] is False  # once per period

    await bed.ask_everyone(max_backlog=3)
    asked = bed.asked()
    assert sorted(asked) == sorted(f"user{i}" for i in range(7))  # no stakeholder, no idle user
    progress = await bed.progress()
    assert (progress.population, progress.sent, progress.reached, progress.state) == (
        7, 7, 7, CensusState.DONE)  # fmt: skip


async def test_a_census_never_asks_a_contact_who_is_staff(bed: Bed) -> None:
    # Contacts made before their person became staff (or before staff were refused as
    # contacts): Max on the console, Olga on Slack, Ivan on Telegram; one user has no chat.
    await bed.add_users(2)
    world = bed.world
    async with bed.uow() as u:
        await u.staff.update(replace(world.owner, slack_user_id="UOLGA"))
        ivan = await u.staff.add(replace(world.manager, id=0, name="Ivan", console_name=None,
                                         telegram_user_id=777))  # fmt: skip
        assert ivan.telegram_user_id == 777
        last = bed.clock.now() - timedelta(days=3)
        for name, channel, address in (
            ("Max", Channel.CONSOLE, "max"), ("Olga", Channel.SLACK, "UOLGA"),
            ("Ivan", Channel.TELEGRAM, "777"), ("No Chat", None, None),
        ):  # fmt: skip
            await u.contacts.add(
                Contact(0, bed.account_id, name, ContactLevel.USER, Language.EN,
                        ContactStatus.ACTIVE if channel else ContactStatus.INVITED,
                        channel, address, tickets=1, last_ticket_at=last)
            )  # fmt: skip
        await u.commit()
    round_, _, _ = await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()
    async with bed.uow() as u:
        names = {c.id: c.name for c in await u.contacts.for_account(bed.account_id)}
        invited = [names[c.contact_id] for c in await u.conversations.for_round(round_.id)]
    assert sorted(invited) == ["User 0", "User 1"]
    progress = await bed.progress()
    assert progress.state is CensusState.DONE
    assert (progress.population, progress.sent, progress.no_chat) == (3, 2, 1)


async def add_users_without_ticket(bed: Bed) -> None:
    async with bed.uow() as u:
        await u.contacts.add(
            Contact(
                0,
                bed.account_id,
                "Idle",
                ContactLevel.USER,
                Language.EN,
                ContactStatus.ACTIVE,
                Channel.CONSOLE,
                "idle",
            )
        )
        await u.commit()


async def test_progress_counts_those_not_asked_so_the_numbers_add_up(bed: Bed) -> None:
    # A QA walk: users without a chat were in the population but in no count.
    users = await bed.add_users(5)
    async with bed.uow() as u:
        for i, email in enumerate(("nochat0@globex.example", "nochat1@globex.example")):
            await u.contacts.add(
                Contact(
                    0, bed.account_id, f"No Chat {i}", ContactLevel.USER, Language.EN,
                    ContactStatus.INVITED, email=email, tickets=1,
                    last_ticket_at=bed.clock.now() - timedelta(days=3),
                )
            )  # fmt: skip
        await u.contacts.set_status(users[4].id, ContactStatus.OPTED_OUT)
        await u.commit()
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out(max_backlog=2) == 2
    await bed.delivery.run_once()

    progress = await bed.progress()
    assert (progress.population, progress.sent, progress.reached) == (7, 2, 2)
    assert (progress.no_chat, progress.opted_out, progress.not_sent) == (2, 1, 2)
    parts = progress.sent + progress.no_chat + progress.opted_out + progress.not_sent
    assert parts == progress.population
    text = progress.render(Language.EN, "Globex", "H2 2026 user census")
    assert text.endswith("not asked: no chat 2, opted out 1, not sent 2.")
    text = progress.render(Language.RU, "Globex", "Перепись")
    assert text.endswith("не опрошены: нет чата 2, отказались 1, не отправлено 2.")

    await bed.ask_everyone(max_backlog=2)
    progress = await bed.progress()
    assert progress.state is CensusState.DONE
    counts = (progress.population, progress.sent, progress.no_chat, progress.opted_out)
    assert counts == (7, 4, 2, 1) and progress.not_sent == 0


async def test_progress_tells_complete_answers_from_partial_ones(bed: Bed) -> None:
    # "answered 2" read as two people who answered the census; one had stopped after the
    # first of its three questions.
    await bed.add_users(3)
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()
    user = {i: Address(Channel.CONSOLE, f"user{i}") for i in range(3)}
    for n, body in enumerate(("Fine result", "Fast enough", "Always polite")):
        await bed.service.handle_event(user[0], ContactEvent(EventKind.TEXT, body, f"a{n}"))
        await bed.delivery.run_once()
        bed.clock.advance(timedelta(minutes=5))
    await bed.service.handle_event(user[1], ContactEvent(EventKind.TEXT, "Slow replies", "b0"))
    await bed.delivery.run_once()

    progress = await bed.progress()
    assert (progress.reached, progress.answered, progress.partly) == (3, 2, 1)
    text = progress.render(Language.EN, "Globex", "H2 2026 user census")
    assert "answered 2 (67% of reached), 1 of them partly; not asked" in text
    text = progress.render(Language.RU, "Globex", "Перепись")
    assert "ответили 2 (67% доставленных), из них частично 1; не опрошены" in text
    # Nobody part-way: said as before.
    whole = replace(progress, partly=0).render(Language.EN, "Globex", "H2 2026 user census")
    assert "answered 2 (67% of reached); not asked" in whole


async def test_pause_resume_cancel(bed: Bed) -> None:
    await bed.add_users(10)
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out(max_backlog=4) == 4
    await bed.census.set_state(bed.account_id, CensusState.PAUSED)
    await bed.delivery.run_once()
    assert await bed.census.fan_out(max_backlog=4) == 0  # paused: nothing more is queued
    await bed.delivery.run_once()
    assert bed.asked() == []  # the four queued were held back by the pause

    run = await bed.census.set_state(bed.account_id, CensusState.RUNNING)
    assert run is not None and run.state is CensusState.RUNNING
    assert await bed.census.fan_out(max_backlog=4) == 4
    await bed.delivery.run_once()
    await bed.census.set_state(bed.account_id, CensusState.CANCELLED)
    assert await bed.census.fan_out(max_backlog=4) == 0
    # Cancelled is final: resume does nothing.
    run = await bed.census.set_state(bed.account_id, CensusState.RUNNING)
    assert run is not None and run.state is CensusState.CANCELLED
    assert await bed.census.fan_out(max_backlog=4) == 0
    await bed.delivery.run_once()
    assert bed.asked() == [f"user{i}" for i in range(4)]


async def test_pause_resume_or_cancel_that_can_change_nothing_says_why_in_their_language(
    bed: Bed,
) -> None:
    # A QA walk: `/census Globex pause` once every first question was sent answered with
    # the unchanged progress, as if the pause had been done.
    await bed.add_users(2)
    commands = StaffCommands(
        bed.uow,
        bed.clock,
        bed.service,
        Onboarding(bed.uow, bed.clock, "Acme IT", Language.EN, service=bed.service),
    )
    await bed.census.start(bed.account_id, "2026-H2", None)
    await bed.ask_everyone()
    max_ = bed.world.manager  # reads Russian; the same manager reading English:
    eng = replace(max_, language=Language.EN)

    said = await census_command(commands, eng, "Globex", "pause")
    assert said.lines[0] == (
        "The H2 2026 user census of Globex has already sent all its first questions, so "
        "there is nothing left to pause. Those asked can still answer within 7 days of "
        "their question and get one reminder; /census Globex cancel would stop the "
        "reminders and keep the answers."
    )
    assert "(everyone reachable was asked): 2 users, sent 2" in said.lines[1]
    said = await census_command(commands, max_, "Globex", "pause")
    assert said.lines[0] == (
        "Перепись пользователей за 2-е полугодие 2026 г., Globex: все первые вопросы уже "
        "отправлены — ставить на паузу нечего. Опрошенные могут ответить в течение 7 дней "
        "после вопроса и получат одно напоминание; /census Globex cancel остановит "
        "напоминания, ответы сохранятся."
    )
    said = await census_command(commands, eng, "Globex", "resume")
    assert "has already asked everyone reachable: there is nothing to resume" in said.lines[0]
    said = await census_command(commands, max_, "Globex", "resume")
    assert "все доступные уже опрошены — возобновлять нечего" in said.lines[0]
    progress = await bed.progress()
    assert progress.state is CensusState.DONE  # nothing moved
    # Everyone's time to answer over, a cancel has nothing left to stop.
    bed.clock.advance(timedelta(days=8))
    await bed.service.tick()
    said = await census_command(commands, eng, "Globex", "cancel")
    assert said.lines[0] == (
        "The H2 2026 user census of Globex is over: all its first questions were sent and "
        "everyone's time to answer has passed, so there is nothing left to cancel."
    )
    said = await census_command(commands, max_, "Globex", "cancel")
    assert said.lines[0] == (
        "Перепись пользователей за 2-е полугодие 2026 г., Globex: перепись завершена — все "
        "первые вопросы отправлены, и время на ответ у всех истекло, так что отменять нечего."
    )
    assert (await bed.progress()).state is CensusState.DONE

    # A cancelled census: cancel is final.
    await bed.census.start(bed.account_id, "2026-H1", None)
    await census_command(commands, eng, "Globex", "cancel")
    said = await census_command(commands, eng, "Globex", "resume")
    assert said.lines[0] == (
        "The H1 2026 user census of Globex was cancelled, and a cancel is final: it cannot "
        "be resumed."
    )
    said = await census_command(commands, max_, "Globex", "pause")
    assert said.lines[0].endswith("перепись отменена — ставить на паузу нечего.")
    said = await census_command(commands, eng, "Globex", "cancel")  # it is: so it says
    assert len(said.lines) == 1 and "(cancelled)" in said.lines[0]
    # Where the command does what it says, the progress alone answers, as before.
    await bed.census.start(bed.account_id, "2025-H2", None)
    said = await census_command(commands, eng, "Globex", "pause")
    assert len(said.lines) == 1 and "(paused)" in said.lines[0]


async def test_cancel_withdraws_first_questions_not_yet_sent(bed: Bed) -> None:
    users = await bed.add_users(12)
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out(max_backlog=3) == 3
    await bed.delivery.run_once()  # three asked
    assert await bed.census.fan_out(max_backlog=10) == 9  # queued, not sent yet
    async with bed.uow() as u:  # a worker has just handed one of them to the platform
        pending = await u.outbox.list("pending")
        in_flight = await u.outbox.claim(
            pending[0].id or 0, bed.clock.now(), bed.clock.now() + LEASE
        )
        await u.commit()
    assert in_flight is not None

    run = await bed.census.set_state(bed.account_id, CensusState.CANCELLED)
    assert run is not None and run.state is CensusState.CANCELLED
    await bed.delivery.run_once()
    assert bed.asked() == [f"user{i}" for i in range(3)]  # nobody new
    async with bed.uow() as u:
        outbox = {m.idempotency_key: m.status.value for m in await u.outbox.list()}
    starts = [s for k, s in outbox.items() if ":start:0" in k]
    assert sorted(starts) == ["sending"] + ["sent"] * 3 + ["superseded"] * 8
    assert outbox[in_flight.idempotency_key] == "sending"  # the one in flight is left alone

    progress = await bed.progress()
    assert (progress.state, progress.population, progress.sent, progress.reached) == (
        CensusState.CANCELLED, 12, 4, 3)  # fmt: skip
    # The withdrawn are neither reminded nor told their conversation expired.
    bed.clock.advance(timedelta(days=8))
    await bed.service.tick()
    await bed.delivery.run_once()
    told = {m.recipient.address for m in bed.messenger.sent}
    withdrawn = {u.address for u in users} - told - {in_flight.recipient.address}
    assert len(withdrawn) == 8


async def test_pause_holds_first_questions_and_resume_sends_them(bed: Bed) -> None:
    await bed.add_users(10)
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out(max_backlog=4) == 4
    await bed.census.set_state(bed.account_id, CensusState.PAUSED)
    await bed.delivery.run_once()
    assert bed.asked() == []  # held while paused
    progress = await bed.progress()
    assert (progress.sent, progress.reached) == (0, 0)

    await bed.census.set_state(bed.account_id, CensusState.RUNNING)
    await bed.ask_everyone(max_backlog=4)
    asked = bed.asked()
    assert sorted(asked) == sorted(f"user{i}" for i in range(10)) and len(asked) == 10
    progress = await bed.progress()
    assert (progress.state, progress.sent, progress.reached) == (CensusState.DONE, 10, 10)


async def test_a_pause_leaves_a_census_link_joiners_first_question_alone(bed: Bed) -> None:
    # No fan-out would ask again someone without a ticket who joined after the start (the
    # open census asked them on joining): theirs stays.
    await bed.add_users(3)
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out(max_backlog=10) == 3
    token = await bed.census.create_link(bed.account_id)
    joined = await bed.census.open_link(
        token, Address(Channel.CONSOLE, "tg-new"), telegram_id="5002", username=None,
        name="New Person", hint=Language.EN,
    )  # fmt: skip
    assert joined.status is RedeemStatus.BOUND
    await bed.census.set_state(bed.account_id, CensusState.PAUSED)
    await bed.delivery.run_once()
    assert bed.asked() == ["tg-new"]
    await bed.census.set_state(bed.account_id, CensusState.RUNNING)
    await bed.ask_everyone(max_backlog=10)
    assert sorted(bed.asked()) == ["tg-new", "user0", "user1", "user2"]


async def test_who_opened_the_census_link_before_the_start_is_asked_when_it_starts(
    bed: Bed,
) -> None:
    # A QA walk: two people opened the census link, then the census started without them.
    await bed.add_users(2)
    async with bed.uow() as u:  # imported, with a ticket long before the window
        await u.contacts.add(
            Contact(
                0, bed.account_id, "Old Olga", ContactLevel.USER, Language.EN,
                ContactStatus.INVITED, telegram_username="old_olga", tickets=1,
                last_ticket_at=bed.clock.now() - timedelta(days=400),
            )
        )  # fmt: skip
        await u.commit()
    token = await bed.census.create_link(bed.account_id)
    for chat, telegram_id, username in (("tg-new", "5002", None), ("tg-olga", "5004", "old_olga")):
        joined = await bed.census.open_link(
            token, Address(Channel.CONSOLE, chat), telegram_id=telegram_id, username=username,
            name="Early", hint=Language.EN,
        )  # fmt: skip
        assert joined.status is RedeemStatus.BOUND
        assert "We will write here when it is time" in joined.text  # no census open yet
    await bed.delivery.run_once()
    assert bed.asked() == []

    bed.clock.advance(timedelta(days=1))
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone(max_backlog=3)
    assert sorted(bed.asked()) == ["tg-new", "tg-olga", "user0", "user1"]
    progress = await bed.progress()
    assert (progress.population, progress.sent, progress.state) == (4, 4, CensusState.DONE)


async def test_a_census_link_opened_before_its_period_does_not_ask_for_that_period(
    bed: Bed,
) -> None:
    # Joined in the first half year: the census of the second asks about a time they were
    # not there for, as it does not ask those whose last ticket is older.
    bed.clock.set(datetime(2026, 5, 4, 9, tzinfo=UTC))
    token = await bed.census.create_link(bed.account_id)
    joined = await bed.census.open_link(
        token, Address(Channel.CONSOLE, "tg-may"), telegram_id="5005", username=None,
        name="May", hint=Language.EN,
    )  # fmt: skip
    assert joined.status is RedeemStatus.BOUND
    bed.clock.set(datetime(2027, 1, 5, 9, tzinfo=UTC))
    await bed.census.start(bed.account_id, "2026-H2", None)
    await bed.ask_everyone()
    assert bed.asked() == []


async def test_a_restart_mid_fan_out_asks_no_one_twice_and_skips_no_one(bed: Bed) -> None:
    await bed.add_users(12)
    await Census(bed.service).start(bed.account_id, None, None)
    assert await Census(bed.service).fan_out(max_backlog=5) == 5
    await bed.delivery.run_once()
    # The process dies here; a fresh Census (a new process) carries on from the database.
    fresh = Census(bed.service)
    while await fresh.fan_out(max_backlog=5):
        await bed.delivery.run_once()
    await bed.delivery.run_once()
    asked = bed.asked()
    assert len(asked) == len(set(asked)) == 12


async def test_users_and_stakeholders_never_mix_in_a_report(bed: Bed) -> None:
    await bed.add_users(2)
    stakeholders = await bed.service.open_round(bed.account_id, "2026-Q1", "2026-Q1")
    census_round, _, _ = await bed.census.start(bed.account_id, None, None)
    await bed.census.fan_out()
    await bed.delivery.run_once()
    await bed.service.handle_event(
        Address(Channel.CONSOLE, "user0"), ContactEvent(EventKind.TEXT, "Slow replies", "m1")
    )
    # Anna was moved to nothing: she is a stakeholder and answers the stakeholders' round.
    await bed.service.handle_event(
        bed.world.anna_at, ContactEvent(EventKind.TEXT, "Great result", "m2")
    )
    users = await bed.service.round_summary(census_round.id)
    keys = await bed.service.round_summary(stakeholders.round.id)
    assert {r.contact for r in users.rows} == {"User 0", "User 1"}
    assert {r.contact for r in keys.rows} == {"Anna", "Борис"}
    assert "Great result" not in render_table(users, Language.EN)
    assert "Slow replies" not in render_table(keys, Language.EN)


async def test_census_link_binds_matches_an_imported_row_and_starts_the_census(bed: Bed) -> None:
    async with bed.uow() as u:
        listed = await u.contacts.add(
            Contact(
                0,
                bed.account_id,
                "Ivan Imported",
                ContactLevel.USER,
                Language.RU,
                ContactStatus.INVITED,
                telegram_username="ivan_p",
            )
        )
        await u.commit()
    await bed.census.start(bed.account_id, None, None)
    token = await bed.census.create_link(bed.account_id)
    assert token.startswith("census_") and len(token) <= 64  # fits Telegram's /start

    chat = Address(Channel.CONSOLE, "tg-ivan")
    result = await bed.census.open_link(
        token, chat, telegram_id="5001", username="Ivan_P", name="Ivan", hint=Language.EN
    )
    assert result.status is RedeemStatus.BOUND and result.language is Language.RU
    async with bed.uow() as u:
        bound = await u.contacts.get(listed.id)
    assert bound is not None and bound.reachable_at == chat and bound.telegram_id == "5001"
    await bed.delivery.run_once()
    assert bed.asked() == ["tg-ivan"]  # the census started at once

    stranger = Address(Channel.CONSOLE, "tg-new")
    result = await bed.census.open_link(
        token, stranger, telegram_id="5002", username=None, name="New Person", hint=Language.EN
    )
    assert result.status is RedeemStatus.BOUND
    async with bed.uow() as u:
        added = await u.contacts.by_address(stranger)
    assert added is not None and added.level is ContactLevel.USER  # unlisted, but a user
    again = await bed.census.open_link(
        token, stranger, telegram_id="5002", username=None, name="New Person", hint=Language.EN
    )
    assert again.status is RedeemStatus.ALREADY_BOUND
    await bed.delivery.run_once()
    assert bed.asked() == ["tg-ivan", "tg-new"]


async def test_revoked_expired_and_unknown_census_links_bind_nothing(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    census = Census(service, link_ttl=timedelta(days=1))
    revoked = await census.create_link(world.account.id)
    assert await census.revoke_links(world.account.id) == 1
    expired = await census.create_link(world.account.id)
    clock.advance(timedelta(days=2))
    before = len(await contacts(uow, world))
    for token, status, words in (
        (revoked, RedeemStatus.EXPIRED, "withdrawn"),
        (expired, RedeemStatus.EXPIRED, "expired"),
        ("census_nope", RedeemStatus.UNKNOWN, "not valid"),
        ("census_", RedeemStatus.UNKNOWN, "not valid"),
    ):
        result = await census.open_link(
            token, Address(Channel.CONSOLE, "x"), telegram_id="1", username=None, name="X",
            hint=Language.EN,
        )  # fmt: skip
        assert result.status is status, token
        assert words in result.text.lower()
    assert len(await contacts(uow, world)) == before


async def contacts(uow: SqlUnitOfWorkFactory, world: World) -> list[Contact]:
    async with uow() as u:
        return await u.contacts.for_account(world.account.id)


async def test_ticket_intake_creates_the_user_once_and_is_idempotent_on_ticket_id(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    census = Census(service)
    report = TicketReport("Globex", "SD-1", clock.now(), email="req@example.com", name="Req")
    assert await census.record_ticket(report) is True
    assert await census.record_ticket(report) is False  # the helpdesk retried
    second = TicketReport("Globex", "SD-2", clock.now() + timedelta(hours=1),
                          email="req@example.com")  # fmt: skip
    assert await census.record_ticket(second) is True
    users = [c for c in await contacts(uow, world) if c.level is ContactLevel.USER]
    assert len(users) == 1
    assert users[0].tickets == 2 and users[0].last_ticket_at == second.raised_at


def test_census_window_reads_half_years() -> None:
    key, title, since, until = census_window("2026-h2", FakeClock().now())
    assert (key, title) == ("census-2026-H2", "Census 2026-H2")
    assert (since.year, since.month, until.year, until.month) == (2026, 7, 2027, 1)


async def test_a_scheduled_census_opens_once_for_the_half_year_just_ended(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    census = Census(service)
    assert await census.open_due() == []  # nothing scheduled
    await census.set_schedule(world.account.id, "half_yearly")
    year, half = (clock.now().year - 1, 2) if clock.now().month <= 6 else (clock.now().year, 1)
    assert await census.open_due() == [f"Globex: Census {year}-H{half}"]
    assert await census.open_due() == []  # once, however often the tick runs
    async with uow() as u:
        rounds = await u.rounds.for_account(world.account.id)
    assert [r.audience for r in rounds] == ["user"]
    await census.set_schedule(world.account.id, None)
    clock.advance(timedelta(days=200))
    assert await census.open_due() == []


def test_census_window_reads_quarters_and_years_and_refuses_the_rest() -> None:
    now = FakeClock().now()
    key, title, since, until = census_window("2026-q4", now)
    assert (key, title) == ("census-2026-Q4", "Census 2026-Q4")
    assert (since.year, since.month, until.year, until.month) == (2026, 10, 2027, 1)
    key, title, since, until = census_window("2025", now)
    assert (key, title) == ("census-2025", "Census 2025")
    assert (since.year, since.month, until.year, until.month) == (2025, 1, 2026, 1)
    for bad in ("2026-H3", "2026-Q5", "2026-11", "H1"):
        with pytest.raises(ValueError):
            census_window(bad, now)


@pytest.mark.parametrize(
    ("cadence", "now", "title"),
    [
        ("quarterly", datetime(2026, 11, 2, 9, tzinfo=UTC), "Census 2026-Q3"),
        ("quarterly", datetime(2026, 1, 5, 9, tzinfo=UTC), "Census 2025-Q4"),
        ("yearly", datetime(2026, 11, 2, 9, tzinfo=UTC), "Census 2025"),
        ("half_yearly", datetime(2026, 1, 5, 9, tzinfo=UTC), "Census 2025-H2"),
    ],
)
async def test_a_scheduled_census_opens_once_per_period_of_its_cadence(
    service: SurveyService, world: World, clock: FakeClock, cadence: str, now: datetime,
    title: str,
) -> None:  # fmt: skip
    clock.set(now)
    census = Census(service)
    await census.set_schedule(world.account.id, cadence)
    assert await census.open_due() == [f"Globex: {title}"]
    assert await census.open_due() == []
    with pytest.raises(ValueError):
        await census.set_schedule(world.account.id, "weekly")


def _rows_touched(plan: dict[str, object]) -> float:
    """Rows every node of an EXPLAIN ANALYZE plan produced or filtered away, all loops."""
    loops = float(plan.get("Actual Loops", 1))  # type: ignore[arg-type]
    here = sum(
        float(plan.get(key, 0))  # type: ignore[arg-type]
        for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Join Filter")
    )
    children = plan.get("Plans", [])
    return here * loops + sum(_rows_touched(child) for child in children)  # type: ignore[union-attr]


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_the_next_fan_out_batch_reads_each_row_a_bounded_number_of_times(
    service: SurveyService,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # A fan-out pass asks for the next uninvited users every fraction of a second. With no
    # table statistics (a fresh import, a round growing by thousands) PostgreSQL once
    # planned it as a scan of the round's conversations per contact: 10,000 contacts took
    # passes of seconds, the outbox ran dry and delivery idled. Its work must stay linear.
    contacts, invited = 1_200, 600
    await add_users(uow, world, clock, contacts)
    census = Census(service)
    _, run, _ = await census.start(world.account.id, None, None)
    while await census.fan_out(max_backlog=invited) < invited:
        pass
    async with uow() as u:
        query = u.census.uninvited_query(run, 100)  # type: ignore[attr-defined]
        compiled = query.compile()
        explained = await u.session.scalar(  # type: ignore[attr-defined]
            text(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}"), compiled.params
        )
        batch = await u.census.uninvited(run, 100)
    assert len(batch) == 100 and all(c.name.startswith("User") for c in batch)
    assert _rows_touched(explained[0]["Plan"]) <= 4 * (contacts + invited)


async def test_a_census_that_finds_no_one_says_why_and_how_to_add_users(bed: Bed) -> None:
    # A hand test: a census of an account with no users read «(все доступные опрошены):
    # 0 пользователей…», as if it had asked everyone.
    commands = StaffCommands(
        bed.uow,
        bed.clock,
        bed.service,
        Onboarding(bed.uow, bed.clock, "Acme IT", Language.EN, service=bed.service),
    )
    await bed.census.start(bed.account_id, "2026-H2", None)
    max_ = bed.world.manager  # reads Russian
    eng = replace(max_, language=Language.EN)

    [said] = (await census_command(commands, eng, "Globex", None)).lines
    assert said == (
        "H2 2026 user census of Globex (sending) has no one to ask: nobody in the account has a "
        "ticket in the census period or has joined by the census link. Add users with "
        "/import Globex (a CSV/XLSX file of tickets) or post the link from /census Globex link "
        "in the client's channels."
    )
    [said] = (await census_command(commands, max_, "Globex", None)).lines
    assert said == (
        "Перепись пользователей за 2-е полугодие 2026 г., Globex (идёт рассылка): опрашивать "
        "некого — ни у "
        "кого в аккаунте нет обращений за период переписи и никто не пришёл по ссылке "
        "переписи. Добавьте пользователей: /import Globex (файл CSV/XLSX с обращениями) или "
        "ссылка из /census Globex link в каналах клиента."
    )
    # Once the fan-out is over, not "everyone reachable was asked": still why no one was.
    await bed.ask_everyone()
    [said] = (await census_command(commands, eng, "Globex", None)).lines
    assert said.startswith("H2 2026 user census of Globex has no one to ask: nobody")


async def test_a_census_whose_first_questions_are_all_queued_is_not_done_until_they_are_sent(
    bed: Bed,
) -> None:
    # A QA walk: the first fan-out pass queued every first question, the next found no one
    # left and called the census done — and a manager pressing cancel right after the start
    # was told «nothing left to cancel» while all of them still waited to go out.
    await bed.add_users(5)
    await bed.census.start(bed.account_id, "2026-H2", None)
    assert await bed.census.fan_out() == 5
    assert await bed.census.fan_out() == 0  # nobody left to queue, but nothing sent yet
    progress = await bed.progress()
    assert progress.state is CensusState.RUNNING and progress.queued == 5
    text = progress.render(Language.EN, "Globex", "H2 2026 user census")
    assert text.startswith(
        "H2 2026 user census of Globex (all queued, 5 still being sent): 5 users, sent 5, reached 0"
    )
    text = progress.render(Language.RU, "Globex", "Перепись")
    assert text.startswith("Перепись, Globex (все в очереди, ещё отправляется 5): 5 ")

    run = await bed.census.set_state(bed.account_id, CensusState.CANCELLED)
    assert run is not None and run.state is CensusState.CANCELLED
    await bed.delivery.run_once()
    assert bed.asked() == []  # the not-yet-sent questions did not go out
    progress = await bed.progress()
    assert (progress.state, progress.sent, progress.queued) == (CensusState.CANCELLED, 0, 0)


async def test_a_pause_once_all_are_queued_holds_them_and_resume_sends_them(bed: Bed) -> None:
    await bed.add_users(4)
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out() == 4
    assert await bed.census.fan_out() == 0
    run = await bed.census.set_state(bed.account_id, CensusState.PAUSED)
    assert run is not None and run.state is CensusState.PAUSED
    await bed.delivery.run_once()
    assert bed.asked() == []  # held
    await bed.census.set_state(bed.account_id, CensusState.RUNNING)
    assert await bed.census.fan_out() == 4  # released
    assert (await bed.progress()).state is CensusState.RUNNING
    await bed.delivery.run_once()
    assert sorted(bed.asked()) == [f"user{i}" for i in range(4)]
    assert await bed.census.fan_out() == 0  # all delivered: now it is done
    progress = await bed.progress()
    assert (progress.state, progress.reached, progress.queued) == (CensusState.DONE, 4, 0)
    assert "(everyone reachable was asked)" in progress.render(Language.EN, "Globex", "C")


def reminders(bed: Bed) -> list[str]:
    return [m.recipient.address for m in bed.messenger.sent if m.kind == "reminder"]


async def test_cancel_stops_reminders_queued_and_scheduled_and_keeps_later_answers(
    bed: Bed,
) -> None:
    # A QA walk: a cancelled census went on reminding everyone it had already asked.
    await bed.add_users(4)
    await bed.census.start(bed.account_id, None, None)
    assert await bed.census.fan_out(max_backlog=2) == 2
    await bed.delivery.run_once()  # user0 and user1 asked
    bed.clock.advance(timedelta(days=1))
    assert await bed.census.fan_out(max_backlog=2) == 2
    await bed.delivery.run_once()  # user2 and user3 asked a day later
    user = {i: Address(Channel.CONSOLE, f"user{i}") for i in range(4)}
    await bed.service.handle_event(user[3], ContactEvent(EventKind.TEXT, "Quick and kind", "a1"))
    await bed.delivery.run_once()
    bed.clock.advance(timedelta(days=1, minutes=1))
    assert (await bed.service.tick()).reminders == 2  # user0's and user1's: queued, not sent

    run = await bed.census.set_state(bed.account_id, CensusState.CANCELLED)
    assert run is not None and run.state is CensusState.CANCELLED
    await bed.delivery.run_once()
    bed.clock.advance(timedelta(days=1))  # user2's and user3's reminders were due now
    assert (await bed.service.tick()).reminders == 0
    await bed.delivery.run_once()
    assert reminders(bed) == []
    # Nor the question a reminder repeats: user0 and user1 still have only their first.
    assert [m.kind for m in bed.messenger.to("user0") + bed.messenger.to("user1")] == [
        "question",
        "question",
    ]

    # An answer after the cancel, to a question already asked, is kept; the client is
    # thanked and told no more questions follow, rather than asked the next one.
    sent = len(bed.messenger.sent)
    await bed.service.handle_event(user[0], ContactEvent(EventKind.TEXT, "Slow replies", "a2"))
    await bed.service.handle_event(user[3], ContactEvent(EventKind.TEXT, "Fast fixes", "a3"))
    await bed.service.handle_event(user[1], ContactEvent(EventKind.LATER, message_id="a4"))
    await bed.delivery.run_once()
    said = {m.recipient.address: str(m.payload["text"]) for m in bed.messenger.sent[sent:]}
    assert said.pop("olga").startswith("Negative feedback from Globex\nContact: User 0\n")
    assert said == {
        "user0": "Thank you, your answer is kept and will be read. This survey has been "
        "stopped, so there are no more questions.",
        "user3": "Thank you, your answer is kept and will be read. This survey has been "
        "stopped, so there are no more questions.",
        "user1": "This survey has been stopped, so there are no more questions. Thank you "
        "for your time!",
    }
    await bed.service.handle_event(user[0], ContactEvent(EventKind.TEXT, "And one more", "a5"))
    summary = await bed.service.round_summary(run.round_id)
    kept = {r.contact: [c.text for c in r.cells.values()] + r.comments for r in summary.rows}
    assert kept == {
        "User 0": ["Slow replies", "And one more"],
        "User 1": [],
        "User 2": [],
        "User 3": ["Quick and kind", "Fast fixes"],
    }
    bed.clock.advance(timedelta(days=10))
    assert (await bed.service.tick()).expired == 1  # user2's, who never wrote: quietly
    await bed.delivery.run_once()
    assert reminders(bed) == [] and bed.messenger.to("user2")[-1].kind == "question"

    # user2 writes only after that quiet expiry, more than once: the first message answers
    # the question they were sent and every later one is a late comment, as after any
    # expiry (the second was filed under the next question, never sent to them).
    for i, body in enumerate(("Late but fine", "One more", "And another")):
        await bed.service.handle_event(user[2], ContactEvent(EventKind.TEXT, body, f"b{i}"))
    await bed.delivery.run_once()
    assert [m.kind for m in bed.messenger.to("user2")] == ["question", *["notice"] * 3]
    assert {str(m.payload["text"]) for m in bed.messenger.to("user2")[1:]} == {
        "This survey has already closed, but your answer is kept and will be read."
    }
    summary = await bed.service.round_summary(run.round_id)
    [row] = [r for r in summary.rows if r.contact == "User 2"]
    assert [(k, c.text, c.late) for k, c in row.cells.items()] == [
        ("outcome", "Late but fine", True)
    ]
    assert row.comments == ["One more", "And another"]


async def test_cancelling_a_finished_census_stops_the_reminders_of_those_it_asked(
    bed: Bed,
) -> None:
    await bed.add_users(2)
    commands = StaffCommands(
        bed.uow,
        bed.clock,
        bed.service,
        Onboarding(bed.uow, bed.clock, "Acme IT", Language.EN, service=bed.service),
    )
    await bed.census.start(bed.account_id, "2026-H2", None)
    await bed.ask_everyone()
    assert (await bed.progress()).state is CensusState.DONE
    eng = replace(bed.world.manager, language=Language.EN)
    [said] = (await census_command(commands, eng, "Globex", "cancel")).lines
    assert said.startswith("H2 2026 user census of Globex (cancelled): 2 users, sent 2")
    bed.clock.advance(timedelta(days=2, minutes=1))
    assert (await bed.service.tick()).reminders == 0
    await bed.delivery.run_once()
    assert reminders(bed) == []


async def test_a_users_complaint_is_no_relapse_of_a_stakeholders_resolved_alert(bed: Bed) -> None:
    # A relapse is the same people's problem sliding back: a user answering a census is not
    # a stakeholder whose alert on the same question was fixed.
    desk = AlertDesk(bed.clock, bed.service.policy.alerts)
    resolutions = Resolutions(bed.service.uow, bed.clock, desk)
    await bed.add_users(1)
    await bed.service.open_round(bed.account_id, "2026-Q1", "2026-Q1")
    await bed.service.handle_event(
        bed.world.anna_at, ContactEvent(EventKind.TEXT, "Terrible result, not happy at all", "m1")
    )
    async with bed.uow() as u:
        [first] = [a for a in await u.alerts.list() if a.answer_id]
    await resolutions.resolve(bed.world.owner, first.id, Disposition.FIXED, "Patched")
    bed.clock.advance(timedelta(days=14))
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()
    await bed.service.handle_event(
        Address(Channel.CONSOLE, "user0"),
        ContactEvent(EventKind.TEXT, "Terrible result, not happy at all", "m2"),
    )
    bed.clock.advance(timedelta(days=14))
    await bed.service.open_round(bed.account_id, "2026-Q2", "2026-Q2")
    await bed.service.handle_event(
        bed.world.anna_at, ContactEvent(EventKind.TEXT, "Terrible result again, the same", "m3")
    )
    async with bed.uow() as u:
        raised = [a for a in await u.alerts.list() if a.answer_id]
        answers = [await u.answers.get(a.answer_id) for a in raised]
    assert len(raised) == 3
    assert len({a.question_key for a in answers if a is not None}) == 1  # the same question
    relapses = [[n["of"] for n in a.notes if n.get("kind") == "relapse"] for a in raised]
    # The census user's is none; Anna's in the next stakeholders' round still is.
    assert relapses == [[], [], [first.id]]
