"""Contacts joining by one-time invite, opting out, coming back and choosing a language."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import text as sql

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys.conversation import ContactEvent, EventKind
from surveys.model import (
    Address,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    ConversationStatus,
    Language,
)
from surveys.onboarding import INVITE_TTL, Onboarding, RedeemStatus, new_token, token_hash
from surveys.service import SurveyService
from surveys.texts import t
from tests.conftest import FakeClock, RecordingMessenger, World

TG_777 = Address(Channel.TELEGRAM, "777")
TG_888 = Address(Channel.TELEGRAM, "888")
URL_SAFE = re.compile(r"[A-Za-z0-9_-]+")


@pytest.fixture
def onboarding(uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService) -> Onboarding:
    return Onboarding(uow, clock, "Acme IT", Language.EN, service=service)


async def invited_contact(
    uow: SqlUnitOfWorkFactory,
    onboarding: Onboarding,
    world: World,
    name: str = "Carla",
    language: Language = Language.EN,
) -> tuple[Contact, str]:
    """A new contact of Globex, not yet bound to any chat, and a fresh invite token for them."""
    async with uow() as u:
        contact = await u.contacts.add(
            Contact(
                0,
                world.account.id,
                name,
                ContactLevel.STAKEHOLDER,
                language,
                ContactStatus.INVITED,
            )
        )
        token = await onboarding.create_invite(u, contact.id, world.manager)
        await u.commit()
    return contact, token


async def contact_now(uow: SqlUnitOfWorkFactory, contact_id: int) -> Contact:
    async with uow() as u:
        contact = await u.contacts.get(contact_id)
    assert contact is not None
    return contact


def answer(body: str, message_id: str) -> ContactEvent:
    return ContactEvent(EventKind.TEXT, body, message_id)


# --- redeeming invites ---------------------------------------------------------------------


async def test_valid_invite_binds_the_chat_and_welcomes_in_the_contacts_language(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    contact, token = await invited_contact(uow, onboarding, world, "Дарья", Language.RU)
    assert contact.reachable_at is None

    # The hint (the chat's UI language) loses to the contact's own language.
    result = await onboarding.redeem(token, TG_777, Language.EN)

    assert result.status is RedeemStatus.BOUND
    assert result.language is Language.RU
    assert result.text == t("welcome", Language.RU, name="Дарья", company="Acme IT")
    assert "Дарья" in result.text and "Acme IT" in result.text
    bound = await contact_now(uow, contact.id)
    assert bound.status is ContactStatus.ACTIVE
    assert bound.channel is Channel.TELEGRAM and bound.address == "777"
    async with uow() as u:
        assert (await u.contacts.by_address(TG_777)).id == contact.id  # type: ignore[union-attr]
        invite = await u.invites.by_hash(token_hash(token))
    assert invite is not None and invite.used_at == onboarding.clock.now()
    assert invite.created_by == world.manager.id


async def test_english_contact_is_welcomed_in_english(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    contact, token = await invited_contact(uow, onboarding, world, "Carla", Language.EN)
    result = await onboarding.redeem(token, TG_777, Language.RU)
    assert result.status is RedeemStatus.BOUND
    assert result.language is Language.EN
    assert result.text.startswith("Welcome, Carla!")
    assert (await contact_now(uow, contact.id)).language is Language.EN


async def test_used_link_from_another_chat_is_refused_and_binds_nothing(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    contact, token = await invited_contact(uow, onboarding, world)
    assert (await onboarding.redeem(token, TG_777, None)).status is RedeemStatus.BOUND

    again = await onboarding.redeem(token, TG_888, None)

    assert again.status is RedeemStatus.USED
    assert again.text == t("invite_used", Language.EN)
    assert (await contact_now(uow, contact.id)).reachable_at == TG_777
    async with uow() as u:
        assert await u.contacts.by_address(TG_888) is None


async def test_same_chat_reopening_its_used_link_is_already_bound(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    contact, token = await invited_contact(uow, onboarding, world)
    await onboarding.redeem(token, TG_777, None)

    again = await onboarding.redeem(token, TG_777, None)

    assert again.status is RedeemStatus.ALREADY_BOUND
    assert again.text == t("already_active", Language.EN)
    bound = await contact_now(uow, contact.id)
    assert bound.reachable_at == TG_777 and bound.status is ContactStatus.ACTIVE


async def test_opted_out_contact_reopening_its_link_is_active_again(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    """The reply says "you will receive our surveys again", so that must be true."""
    contact, token = await invited_contact(uow, onboarding, world)
    await onboarding.redeem(token, TG_777, None)
    await onboarding.opt_out(TG_777)
    assert (await contact_now(uow, contact.id)).status is ContactStatus.OPTED_OUT

    again = await onboarding.redeem(token, TG_777, None)

    assert again.status is RedeemStatus.ALREADY_BOUND
    assert again.text == t("welcome_back", Language.EN)
    assert (await contact_now(uow, contact.id)).status is ContactStatus.ACTIVE


async def test_expired_invite_is_refused_and_binds_nothing(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World, clock: FakeClock
) -> None:
    contact, token = await invited_contact(uow, onboarding, world)
    clock.advance(INVITE_TTL + timedelta(seconds=1))

    result = await onboarding.redeem(token, TG_777, None)

    assert result.status is RedeemStatus.EXPIRED
    assert result.text == t("invite_expired", Language.EN)
    still = await contact_now(uow, contact.id)
    assert still.status is ContactStatus.INVITED and still.reachable_at is None
    async with uow() as u:
        assert await u.contacts.by_address(TG_777) is None
        invite = await u.invites.by_hash(token_hash(token))
    assert invite is not None and invite.used_at is None


async def test_invite_expires_exactly_fourteen_days_after_it_was_made(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World, clock: FakeClock
) -> None:
    assert timedelta(days=14) == INVITE_TTL
    _, late_token = await invited_contact(uow, onboarding, world, "Late")
    _, early_token = await invited_contact(uow, onboarding, world, "Early")
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert (await onboarding.redeem(early_token, TG_777, None)).status is RedeemStatus.BOUND
    clock.advance(timedelta(seconds=1))
    assert (await onboarding.redeem(late_token, TG_888, None)).status is RedeemStatus.EXPIRED


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "x" * 64, "../../etc/passwd", "' OR 1=1 --", "\udcff\x00", "токен"],
    ids=["empty", "garbage", "long", "path", "sql", "surrogate", "cyrillic"],
)
async def test_unknown_token_is_refused_in_the_hinted_language(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World, token: str
) -> None:
    await invited_contact(uow, onboarding, world)

    result = await onboarding.redeem(token, TG_777, Language.RU)

    assert result.status is RedeemStatus.UNKNOWN
    assert result.language is Language.RU
    assert result.text == t("invite_unknown", Language.RU)
    async with uow() as u:
        assert await u.contacts.by_address(TG_777) is None


async def test_well_formed_but_never_issued_token_is_unknown_in_the_default_language(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    result = await onboarding.redeem(new_token(), TG_777, None)
    assert result.status is RedeemStatus.UNKNOWN
    assert result.language is Language.EN
    assert result.text == t("invite_unknown", Language.EN)


async def test_chat_bound_to_another_contact_cannot_take_a_second_one(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    contact, token = await invited_contact(uow, onboarding, world)

    # Anna's chat already belongs to Anna.
    result = await onboarding.redeem(token, world.anna_at, None)

    assert result.status is RedeemStatus.CHAT_TAKEN
    assert result.text == t("chat_taken", Language.EN)
    still = await contact_now(uow, contact.id)
    assert still.status is ContactStatus.INVITED and still.reachable_at is None
    async with uow() as u:
        assert (await u.contacts.by_address(world.anna_at)).id == world.anna.id  # type: ignore[union-attr]
        invite = await u.invites.by_hash(token_hash(token))
    # The link is not spent: the right person can still use it.
    assert invite is not None and invite.used_at is None
    assert (await onboarding.redeem(token, TG_777, None)).status is RedeemStatus.BOUND


async def test_chat_taken_by_a_contact_bound_through_an_earlier_invite(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    first, first_token = await invited_contact(uow, onboarding, world, "First")
    second, second_token = await invited_contact(uow, onboarding, world, "Second")
    assert (await onboarding.redeem(first_token, TG_777, None)).status is RedeemStatus.BOUND

    result = await onboarding.redeem(second_token, TG_777, None)

    assert result.status is RedeemStatus.CHAT_TAKEN
    assert (await contact_now(uow, first.id)).reachable_at == TG_777
    assert (await contact_now(uow, second.id)).reachable_at is None


# --- tokens --------------------------------------------------------------------------------


async def test_only_the_tokens_hash_is_stored(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    _, token = await invited_contact(uow, onboarding, world)
    async with uow() as u:
        rows = (await u.session.execute(sql("SELECT * FROM invites"))).all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0])
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert rows[0]._mapping["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


async def test_tokens_are_unique_long_and_url_safe(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    tokens = [(await invited_contact(uow, onboarding, world, f"C{i}"))[1] for i in range(20)]
    tokens += [new_token() for _ in range(500)]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert URL_SAFE.fullmatch(token), token
        # Long enough to be unguessable, short enough for Telegram's /start parameter.
        assert 32 <= len(token) <= 64


# --- opting out and back in ----------------------------------------------------------------


async def test_opt_out_closes_the_conversation_and_tells_the_owner(
    uow: SqlUnitOfWorkFactory,
    onboarding: Onboarding,
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    clock: FakeClock,
) -> None:
    opened = await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    await delivery.run_once()

    reply = await onboarding.opt_out(world.anna_at)

    assert reply == t("opted_out", Language.EN)
    anna = await contact_now(uow, world.anna.id)
    assert anna.status is ContactStatus.OPTED_OUT
    async with uow() as u:
        convs = {c.contact_id: c for c in await u.conversations.for_round(opened.round.id)}
    assert convs[world.anna.id].status is ConversationStatus.DECLINED
    assert convs[world.anna.id].finished_at == clock.now()
    assert convs[world.boris.id].status is ConversationStatus.INVITED  # Boris is unaffected

    await delivery.run_once()
    to_owner = messenger.to("olga")
    assert [m.kind for m in to_owner] == ["staff_notice"]
    assert to_owner[0].payload["text"] == t(
        "opt_out_notice", Language.EN, contact="Anna", account="Globex"
    )
    assert messenger.to("max") == []  # the owner is told, not every manager


async def test_opting_out_twice_tells_the_owner_once(
    onboarding: Onboarding,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    clock: FakeClock,
) -> None:
    assert await onboarding.opt_out(world.boris_at) == t("opted_out", Language.RU)
    clock.advance(timedelta(minutes=1))
    assert await onboarding.opt_out(world.boris_at) == t("opted_out", Language.RU)
    await delivery.run_once()
    assert messenger.texts("olga") == [
        t("opt_out_notice", Language.EN, contact="Борис", account="Globex")
    ]


async def test_opted_out_contact_is_not_invited_to_the_next_round(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, service: SurveyService, world: World
) -> None:
    await onboarding.opt_out(world.anna_at)

    opened = await service.open_round(world.account.id, "sprint-2", "Sprint 2")

    assert opened.created and opened.invited == 1
    async with uow() as u:
        convs = await u.conversations.for_round(opened.round.id)
    assert [c.contact_id for c in convs] == [world.boris.id]


async def test_come_back_reactivates_and_the_next_round_invites_again(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, service: SurveyService, world: World
) -> None:
    await onboarding.opt_out(world.anna_at)

    reply = await onboarding.come_back(world.anna_at)

    assert reply == t("welcome_back", Language.EN)
    assert (await contact_now(uow, world.anna.id)).status is ContactStatus.ACTIVE
    opened = await service.open_round(world.account.id, "sprint-2", "Sprint 2")
    assert opened.invited == 2


async def test_come_back_also_reactivates_an_unreachable_contact(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    async with uow() as u:
        await u.contacts.set_status(world.boris.id, ContactStatus.UNREACHABLE)
        await u.commit()
    assert await onboarding.come_back(world.boris_at) == t("welcome_back", Language.RU)
    assert (await contact_now(uow, world.boris.id)).status is ContactStatus.ACTIVE


# --- language ------------------------------------------------------------------------------


async def test_set_language_switches_the_contact_and_the_open_conversation(
    uow: SqlUnitOfWorkFactory,
    onboarding: Onboarding,
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
) -> None:
    await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    await delivery.run_once()
    assert "Are you satisfied with the result" in messenger.texts("anna")[0]

    reply = await onboarding.set_language(world.anna_at, Language.RU)

    assert reply == t("language_set", Language.RU)
    assert (await contact_now(uow, world.anna.id)).language is Language.RU
    async with uow() as u:
        conv = await u.conversations.current_for_contact(world.anna.id)
    assert conv is not None and conv.language is Language.RU

    seen = len(messenger.to("anna"))
    await service.handle_event(world.anna_at, answer("Всё отлично", "a1"))
    await delivery.run_once()
    new = messenger.to("anna")[seen:]
    assert [m.kind for m in new] == ["question"]
    assert new[0].payload["question_key"] == "speed"
    assert new[0].payload["lang"] == "ru"
    assert t("q.speed", Language.RU) in str(new[0].payload["text"])
    assert t("q.speed", Language.EN) not in str(new[0].payload["text"])


async def test_set_language_for_a_staff_chat_changes_the_staff_language(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    olga_at = Address(Channel.CONSOLE, "olga")
    assert await onboarding.set_language(olga_at, Language.RU) == t("language_set", Language.RU)
    async with uow() as u:
        olga = await u.staff.get(world.owner.id)
    assert olga is not None and olga.language is Language.RU


async def test_unknown_chats_get_none(
    uow: SqlUnitOfWorkFactory, onboarding: Onboarding, world: World
) -> None:
    stranger = Address(Channel.TELEGRAM, "424242")
    assert await onboarding.opt_out(stranger) is None
    assert await onboarding.come_back(stranger) is None
    assert await onboarding.set_language(stranger, Language.RU) is None
    async with uow() as u:
        contacts = await u.contacts.for_account(world.account.id)
        assert await u.outbox.list() == []
    assert {c.status for c in contacts} == {ContactStatus.ACTIVE}
    assert {c.language for c in contacts} == {Language.EN, Language.RU}
