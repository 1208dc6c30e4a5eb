"""A contact who becomes reachable while their account's round is open joins that round:
added with a chat, opening their invite link, or coming back; one conversation and one
invitation, however often the command or the update comes, until the round closes.
On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from storage.db import session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.joining import join_open_round
from surveys.model import (
    Address,
    Channel,
    Contact,
    ConversationStatus,
    Language,
    OutgoingMessage,
    Staff,
    StaffRole,
)
from surveys.onboarding import Onboarding, RedeemStatus
from surveys.service import RoundOpened, SurveyService
from surveys.staff import StaffCommands, StaffError
from surveys.texts import t
from tests.conftest import LONG_AGO, Database, FakeClock, World
from tests.slack_harness import SlackHarness
from tests.telegram_harness import TelegramHarness
from tests.test_slack_staff import ACCOUNT, ANNA
from tests.test_slack_staff import globex_with_anna as slack_globex_with_anna
from tests.test_slack_staff import say as slack_say
from tests.test_telegram_staff import INVITE_LINK
from tests.test_telegram_staff import globex_with_anna as tg_globex_with_anna
from tests.test_telegram_staff import say as tg_say

CAROL = Address(Channel.SLACK, "UCAROL")
TG_777 = Address(Channel.TELEGRAM, "777")
BEA, BEA_SLACK = 5002, "UBEA"
CLOSES = "2026-11-09 12:00 MSK"  # T0 + 7 days in Globex's time zone (Europe/Moscow)


@pytest.fixture
def onboarding(uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService) -> Onboarding:
    return Onboarding(uow, clock, "Acme IT", Language.EN, service=service)


@pytest.fixture
def commands(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService, onboarding: Onboarding
) -> StaffCommands:
    return StaffCommands(uow, clock, service, onboarding)


@pytest.fixture
async def ada(uow: SqlUnitOfWorkFactory) -> Staff:
    async with uow() as u:
        admin = await u.staff.add(
            Staff(0, "Ada", StaffRole.ADMIN, console_name="ada", created_at=LONG_AGO)
        )
        await u.commit()
    return admin


@pytest.fixture
async def sprint(service: SurveyService, world: World, clock: FakeClock) -> RoundOpened:
    """Sprint 14 opens at T0 and asks Anna and Boris; a day later it is still open."""
    opened = await service.open_round(world.account.id, "sprint-14", "Sprint 14")
    assert opened.invited == 2
    clock.advance(timedelta(days=1))
    return opened


async def outbox_to(uow: SqlUnitOfWorkFactory, to: Address) -> list[OutgoingMessage]:
    async with uow() as u:
        return [m for m in await u.outbox.list() if m.recipient == to]


async def contact_at(uow: SqlUnitOfWorkFactory, to: Address) -> Contact:
    async with uow() as u:
        contact = await u.contacts.by_address(to)
    assert contact is not None
    return contact


async def conversations_of(uow: SqlUnitOfWorkFactory, contact_id: int) -> list[tuple[int, str]]:
    """(round id, status) of every conversation the contact has."""
    async with uow() as u:
        contact = await u.contacts.get(contact_id)
        assert contact is not None
        found = []
        for r in await u.rounds.for_account(contact.account_id):
            conv = await u.conversations.in_round(r.id, contact_id)
            if conv is not None:
                found.append((r.id, conv.status.value))
        return found


async def test_a_contact_added_during_an_open_round_is_invited_to_it_once(
    uow: SqlUnitOfWorkFactory,
    database: Database,
    commands: StaffCommands,
    service: SurveyService,
    sprint: RoundOpened,
    ada: Staff,
    clock: FakeClock,
) -> None:
    out = await commands.add_contact(ada, "Globex", "Carol", CAROL)

    assert out.lines == [
        "Carol (stakeholder, en) added to «Globex» and invited to the open round «Sprint 14»"
        f" (answers until {CLOSES})."
    ]
    carol = await contact_at(uow, CAROL)
    assert await conversations_of(uow, carol.id) == [(sprint.round.id, "invited")]
    async with uow() as u:
        conv = await u.conversations.in_round(sprint.round.id, carol.id)
    assert conv is not None
    # The round closes for everyone at once: a late joiner's conversation ends with it.
    assert conv.expires_at == sprint.round.opened_at + timedelta(days=7)
    [invitation] = await outbox_to(uow, CAROL)
    assert invitation.idempotency_key == f"conv:{conv.id}:start:0"

    # The command again, and a restarted process joining her again: nothing new.
    with pytest.raises(StaffError, match="already a contact"):
        await commands.add_contact(ada, "Globex", "Carol", CAROL)
    restarted = SqlUnitOfWorkFactory(session_factory(database.new_engine()))
    again = SurveyService(restarted, clock, service.analyser, service.policy)
    async with restarted() as u:
        assert await join_open_round(again, u, carol) is None
        await u.commit()
    assert len(await outbox_to(uow, CAROL)) == 1
    assert await conversations_of(uow, carol.id) == [(sprint.round.id, "invited")]


async def test_a_russian_manager_is_told_in_russian(
    uow: SqlUnitOfWorkFactory, commands: StaffCommands, sprint: RoundOpened, world: World
) -> None:
    out = await commands.add_contact(world.manager, "Globex", "Карина", CAROL, language="ru")
    assert out.lines == [
        "Карина (stakeholder, ru) добавлен(а) в «Globex» и приглашён(а) в идущий опрос"
        f" «Спринт 14» (ответы принимаются до {CLOSES})."
    ]


async def test_after_the_round_closes_a_new_contact_waits_for_the_next_one(
    uow: SqlUnitOfWorkFactory,
    commands: StaffCommands,
    service: SurveyService,
    sprint: RoundOpened,
    ada: Staff,
    world: World,
    clock: FakeClock,
) -> None:
    clock.set(sprint.round.opened_at + timedelta(days=7))  # the round's last moment has passed
    out = await commands.add_contact(ada, "Globex", "Carol", CAROL)

    assert out.lines == [
        "Carol (stakeholder, en) added to «Globex» and will be surveyed in the next round."
    ]
    carol = await contact_at(uow, CAROL)
    assert await conversations_of(uow, carol.id) == []
    assert await outbox_to(uow, CAROL) == []
    nxt = await service.open_round(world.account.id, "sprint-15", "Sprint 15")
    assert await conversations_of(uow, carol.id) == [(nxt.round.id, "invited")]


async def test_a_user_level_contact_is_not_asked_in_a_stakeholder_round(
    uow: SqlUnitOfWorkFactory, commands: StaffCommands, sprint: RoundOpened, ada: Staff
) -> None:
    out = await commands.add_contact(ada, "Globex", "Carol", CAROL, level="user")
    assert out.lines[0].endswith("users are asked by a census (/round <account> census).")
    assert await outbox_to(uow, CAROL) == []


async def test_an_invite_link_opened_during_the_round_joins_it_welcome_first(
    uow: SqlUnitOfWorkFactory,
    commands: StaffCommands,
    onboarding: Onboarding,
    sprint: RoundOpened,
    ada: Staff,
) -> None:
    out = await commands.invite(ada, "Globex", "Dana")
    # Who does what, plainly: it read "Dana is asked in it too if the link below is opened".
    assert out.lines[0] == (
        f"Round «Sprint 14» is open: if Dana opens the link below before {CLOSES}, its"
        " questions come right after the welcome."
    )
    assert out.lines[1].startswith("Invite for Dana (stakeholder, en) at «Globex».")
    assert out.link_token

    result = await onboarding.redeem(out.link_token, TG_777, None, reply_key="tg:start:1")
    assert result.status is RedeemStatus.BOUND
    welcome, invitation = await outbox_to(uow, TG_777)
    assert welcome.idempotency_key == "tg:start:1" and "Welcome, Dana" in welcome.payload["text"]
    assert invitation.idempotency_key.startswith("conv:")
    # The survey comes right under the welcome: it says so, not "we will write here when it
    # is time for a survey" (which the next message contradicts).
    assert welcome.payload["text"] == t("welcome_in_round", Language.EN, name="Dana",
                                        company="Acme IT")  # fmt: skip
    assert "when it is time" not in str(welcome.payload["text"])

    # The same /start redelivered, then opened again by hand: one invitation still.
    await onboarding.redeem(out.link_token, TG_777, None, reply_key="tg:start:1")
    again = await onboarding.redeem(out.link_token, TG_777, None, reply_key="tg:start:2")
    assert again.status is RedeemStatus.ALREADY_BOUND
    sent = await outbox_to(uow, TG_777)
    assert [m.idempotency_key for m in sent][:2] == ["tg:start:1", invitation.idempotency_key]
    assert len(sent) == 3  # the third: "you are already subscribed"
    dana = await contact_at(uow, TG_777)
    assert await conversations_of(uow, dana.id) == [(sprint.round.id, "invited")]


async def test_a_russian_contact_joining_mid_round_is_welcomed_to_it_in_russian(
    uow: SqlUnitOfWorkFactory,
    commands: StaffCommands,
    onboarding: Onboarding,
    sprint: RoundOpened,
    ada: Staff,
) -> None:
    ru_ada = replace(ada, language=Language.RU)
    out = await commands.invite(ru_ada, "Globex", "Дарья", language="ru")
    assert out.link_token
    # It read "Дарья получит и его, если откроет ссылку ниже": "и его" (it too) hung loose.
    assert out.lines[0] == (
        f"Идёт опрос «Спринт 14»: если Дарья откроет ссылку ниже до {CLOSES}, вопросы опроса"
        " придут сразу после приветствия."
    )
    await onboarding.redeem(out.link_token, TG_777, None, reply_key="tg:start:1")
    welcome, _ = await outbox_to(uow, TG_777)
    assert welcome.payload["text"] == (
        "Добро пожаловать, Дарья! Вы подключены к клиентскому сервису Acme IT. Сейчас идёт"
        " короткий опрос — вопросы придут следом. /stop — отписаться, /lang — сменить язык."
    )


async def test_start_in_the_middle_of_a_survey_points_to_it_in_russian(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, sprint: RoundOpened, world: World
) -> None:
    async with uow() as u:
        await u.contacts.update(replace(world.anna, language=Language.RU))
        await u.commit()
    assert await onboarding.come_back(world.anna_at) == (
        "Вы подключены к клиентскому сервису, и для вас сейчас идёт короткий опрос — его вопрос"
        " выше."
    )
    assert await onboarding.opt_out(world.anna_at)  # her conversation closes: nothing open
    await onboarding.come_back(world.anna_at)
    assert await onboarding.come_back(world.anna_at) == t("already_active", Language.RU)


async def test_without_an_open_round_the_welcome_promises_the_next_survey(
    uow: SqlUnitOfWorkFactory, commands: StaffCommands, onboarding: Onboarding, ada: Staff,
    world: World,
) -> None:  # fmt: skip
    out = await commands.invite(ada, "Globex", "Dana")
    assert out.link_token
    await onboarding.redeem(out.link_token, TG_777, None, reply_key="tg:start:1")
    [welcome] = await outbox_to(uow, TG_777)
    assert welcome.payload["text"] == t("welcome", Language.EN, name="Dana", company="Acme IT")


async def test_without_an_open_round_the_invite_reply_says_nothing_of_one(
    commands: StaffCommands, ada: Staff, world: World
) -> None:
    out = await commands.invite(ada, "Globex", "Dana")
    assert len(out.lines) == 1 and out.lines[0].startswith("Invite for Dana")


async def test_a_contact_coming_back_joins_the_open_round_unless_they_left_it(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    onboarding: Onboarding,
    world: World,
    clock: FakeClock,
) -> None:
    assert await onboarding.opt_out(world.boris_at)  # before the round: not invited to it
    opened = await service.open_round(world.account.id, "sprint-14", "Sprint 14")
    assert opened.invited == 1
    clock.advance(timedelta(hours=5))
    assert await onboarding.opt_out(world.anna_at)  # during it: her conversation is declined

    before = len(await outbox_to(uow, world.boris_at))
    back = await onboarding.come_back(world.boris_at, reply_key="back:boris")
    assert back is not None
    welcome_back, invitation = (await outbox_to(uow, world.boris_at))[before:]
    assert welcome_back.idempotency_key == "back:boris" and invitation.kind != "notice"
    assert await conversations_of(uow, world.boris.id) == [(opened.round.id, "invited")]

    before = len(await outbox_to(uow, world.anna_at))
    await onboarding.come_back(world.anna_at)
    assert len(await outbox_to(uow, world.anna_at)) == before  # one conversation per round
    assert await conversations_of(uow, world.anna.id) == [
        (opened.round.id, ConversationStatus.DECLINED.value)
    ]


# --- through the real Telegram and Slack stacks (the add paths differ) ---------------------


async def test_telegram_a_contact_opening_their_link_mid_round_gets_welcome_then_question(
    tg: TelegramHarness,
) -> None:
    await tg_globex_with_anna(tg)
    [opened] = await tg_say(tg, "/round Globex")
    assert opened.startswith("Round «November 2026» opened for «Globex»: 1 contact invited.")

    replies = await tg_say(tg, '/invite Globex "Bea Brown"')
    assert replies[0].startswith(
        "Round «November 2026» is open: if Bea Brown opens the link below before"
        " 2026-11-09 12:00 MSK, its questions come right after the welcome."
    )
    link = INVITE_LINK.search(replies[0])
    assert link, replies
    welcome, question = await tg_say(tg, f"/start {link[1]}", BEA)
    assert welcome.startswith("Welcome, Bea Brown")
    assert "A short feedback survey is open now; its questions follow." in welcome
    assert "Question 1 of 3" in question  # the invitation heads question 1
    # She opens the link again (and Telegram redelivers nothing new): no second invitation.
    # Mid-survey, she read "We will write here when it is time for a short feedback survey".
    assert await tg_say(tg, f"/start {link[1]}", BEA) == [t("already_in_round", Language.EN)]
    assert sum("Question 1 of 3" in text for text in tg.texts(BEA)) == 1


async def test_slack_a_contact_invited_mid_round_gets_the_invitation_once(
    slack: SlackHarness,
) -> None:
    await slack_globex_with_anna(slack)
    assert (await slack_say(slack, f"round {ACCOUNT}")).startswith("Round «November 2026» opened")
    slack.api.add_user(BEA_SLACK, "bea@client.example", "Bea Brown")

    assert await slack_say(slack, f'invite "{ACCOUNT}" bea@client.example') == (
        f"Bea Brown (stakeholder, en) added to «{ACCOUNT}» and invited to the open round"
        " «November 2026» (answers until 2026-11-09 12:00 MSK)."
    )
    assert await slack_say(slack, f'invite "{ACCOUNT}" bea@client.example') == (
        f"That person is already a contact: Bea Brown ({ACCOUNT})."
    )
    [invitation] = slack.dm_texts(BEA_SLACK)
    assert "Question 1 of 3" in invitation


async def test_slack_a_contact_coming_back_mid_round_is_asked_in_it(slack: SlackHarness) -> None:
    await slack_globex_with_anna(slack)
    anna = slack.api.dm_channel_of(ANNA)
    assert (await slack_say(slack, "stop", ANNA)).startswith("You will not receive")
    assert "0 contacts invited" in await slack_say(slack, f"round {ACCOUNT}")
    assert slack.api.messages_in(anna) == []

    assert await slack_say(slack, "start", ANNA) == t("welcome_back", Language.EN)
    [invitation] = slack.dm_texts(ANNA)
    assert "Question 1 of 3" in invitation
    assert await slack_say(slack, "start", ANNA) == (
        "You are connected to client service, and a short feedback survey is open for you:"
        " its question is above."
    )
    assert len(slack.dm_texts(ANNA)) == 1
