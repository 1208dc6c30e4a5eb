"""Conversations through the real service, storage and delivery, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.delivery import DeliveryWorker
from storage.db import session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys import answers as answering
from surveys.alert_changes import changes_of
from surveys.conversation import MAX_ANSWER_CHARS, ContactEvent, EventKind
from surveys.model import (
    Address,
    Answer,
    CadenceKind,
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    Language,
    Schedule,
    Sentiment,
    SentimentLabel,
)
from surveys.sentiment import make_analyser
from surveys.service import SurveyService
from surveys.texts import t
from tests.conftest import POLICY, Database, FakeClock, RecordingMessenger, World

ROUND = "sprint-14"


def text(body: str, message_id: str) -> ContactEvent:
    return ContactEvent(EventKind.TEXT, body, message_id)


def press(kind: EventKind, message_id: str | None = None) -> ContactEvent:
    return ContactEvent(kind, message_id=message_id)


async def open_round(service: SurveyService, world: World, delivery: DeliveryWorker) -> int:
    opened = await service.open_round(world.account.id, ROUND, "Sprint 14")
    assert opened.created and opened.invited == 2
    await delivery.run_once()
    return opened.round.id


async def conversation_of(uow: SqlUnitOfWorkFactory, contact: Contact) -> Conversation:
    async with uow() as u:
        conv = await u.conversations.current_for_contact(contact.id)
    assert conv is not None
    return conv


async def answers_of(uow: SqlUnitOfWorkFactory, contact: Contact) -> list[Answer]:
    conv = await conversation_of(uow, contact)
    async with uow() as u:
        return await u.answers.for_conversations([conv.id])


async def all_answers(uow: SqlUnitOfWorkFactory, round_id: int) -> list[Answer]:
    async with uow() as u:
        convs = await u.conversations.for_round(round_id)
        return await u.answers.for_conversations([c.id for c in convs])


def kinds(messenger: RecordingMessenger, address: str) -> list[tuple[str, object]]:
    """(kind, question_key) of every message the address received, in order."""
    return [(m.kind, m.payload.get("question_key")) for m in messenger.to(address)]


def new_since(messenger: RecordingMessenger, address: str, seen: int) -> list[tuple[str, object]]:
    return kinds(messenger, address)[seen:]


INVITED = [("question", "outcome")]  # the invitation heads the first question


# --- buttons -------------------------------------------------------------------------------


async def test_skip_stores_nothing_and_asks_the_next_question(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    await open_round(service, world, delivery)
    assert kinds(messenger, "anna") == INVITED

    await service.handle_event(world.anna_at, press(EventKind.SKIP, "s1"))
    await delivery.run_once()

    assert new_since(messenger, "anna", 1) == [("notice", None), ("question", "speed")]
    assert messenger.texts("anna")[1] == t("skipped", Language.EN)
    assert await answers_of(uow, world.anna) == []
    conv = await conversation_of(uow, world.anna)
    assert conv.status is ConversationStatus.ASKING
    assert conv.current_question == "speed"

    await service.handle_event(world.anna_at, text("Quick enough", "a2"))
    await delivery.run_once()
    assert [(a.question_key, a.text) for a in await answers_of(uow, world.anna)] == [
        ("speed", "Quick enough")
    ]
    assert new_since(messenger, "anna", 3) == [("question", "politeness")]


async def test_decline_closes_the_conversation_and_asks_nothing_more(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    round_id = await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, press(EventKind.DECLINE, "d1"))
    await delivery.run_once()

    assert new_since(messenger, "anna", 1) == [("notice", None)]
    assert messenger.texts("anna")[1] == t("declined", Language.EN)
    conv = await conversation_of(uow, world.anna)
    assert conv.status is ConversationStatus.DECLINED
    assert conv.finished_at == clock.now()

    # Neither a reminder nor an expiry notice follows a refusal.
    clock.advance(timedelta(days=8))
    await service.tick()
    await delivery.run_once()
    assert len(messenger.to("anna")) == 2
    assert not any(m.kind == "question" for m in messenger.to("anna")[1:])
    summary = await service.round_summary(round_id)
    anna = next(r for r in summary.rows if r.contact == "Anna")
    assert anna.status is ConversationStatus.DECLINED
    assert anna.cells == {} and anna.comments == []


async def test_later_sends_a_notice_and_the_reminder_still_arrives_once(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await open_round(service, world, delivery)
    clock.advance(timedelta(days=1))
    await service.handle_event(world.anna_at, press(EventKind.LATER, "l1"))
    await delivery.run_once()
    assert new_since(messenger, "anna", 1) == [("notice", None)]
    assert messenger.texts("anna")[1] == t("later", Language.EN)
    conv = await conversation_of(uow, world.anna)
    assert conv.reminder_due_at == clock.now() + POLICY.reminder_delay
    assert conv.question_index == 0 and not conv.reminded

    # The original reminder time (day 2) has passed, but "later" moved it to day 3.
    clock.advance(timedelta(days=1, hours=1))
    await service.tick()
    await delivery.run_once()
    assert len(messenger.to("anna")) == 2
    assert [m.kind for m in messenger.to("boris")][-2:] == ["reminder", "question"]

    clock.advance(timedelta(days=1))
    await service.tick()
    await delivery.run_once()
    assert new_since(messenger, "anna", 2) == [("reminder", None), ("question", "outcome")]

    clock.advance(timedelta(days=1))
    await service.tick()
    await delivery.run_once()
    assert len(messenger.to("anna")) == 4
    assert (await conversation_of(uow, world.anna)).reminded


async def test_later_after_the_reminder_does_not_bring_another_one(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await open_round(service, world, delivery)
    clock.advance(timedelta(days=2, hours=1))
    report = await service.tick()
    assert report.reminders == 2
    await service.handle_event(world.anna_at, press(EventKind.LATER, "l1"))
    await delivery.run_once()
    assert new_since(messenger, "anna", 1) == [
        ("reminder", None),
        ("question", "outcome"),
        ("notice", None),
    ]
    assert (await conversation_of(uow, world.anna)).reminder_due_at is None

    clock.advance(timedelta(days=3))
    assert (await service.tick()).reminders == 0
    await delivery.run_once()
    assert len(messenger.to("anna")) == 4


# --- time ----------------------------------------------------------------------------------


async def test_reminder_resends_the_current_question_exactly_once(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Good result", "a1"))
    await delivery.run_once()
    assert len(messenger.to("anna")) == 2

    clock.advance(timedelta(days=1, hours=23))
    assert (await service.tick()).reminders == 0  # not due yet
    await delivery.run_once()
    assert len(messenger.to("anna")) == 2

    clock.advance(timedelta(hours=2))
    report = await service.tick()
    assert report.reminders == 2 and report.expired == 0
    await delivery.run_once()
    assert new_since(messenger, "anna", 2) == [("reminder", None), ("question", "speed")]
    assert messenger.texts("anna")[2] == t("reminder", Language.EN)
    assert messenger.texts("anna")[3] == messenger.texts("anna")[1]  # the same question again
    assert new_since(messenger, "boris", 1) == [("reminder", None), ("question", "outcome")]
    assert messenger.texts("boris")[1] == t("reminder", Language.RU)
    conv = await conversation_of(uow, world.anna)
    assert conv.reminded and conv.reminder_due_at is None and conv.question_index == 1

    sent = len(messenger.sent)
    assert (await service.tick()).reminders == 0
    clock.advance(timedelta(days=1))
    assert (await service.tick()).reminders == 0
    await delivery.run_once()
    assert len(messenger.sent) == sent


async def test_expiry_closes_and_a_late_answer_is_kept_as_late(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    round_id = await open_round(service, world, delivery)
    clock.advance(timedelta(days=6, hours=23))
    await service.tick()  # the reminder is due, the expiry not yet
    await delivery.run_once()
    assert (await conversation_of(uow, world.anna)).status is ConversationStatus.INVITED
    assert len(messenger.to("anna")) == 3

    clock.advance(timedelta(hours=1))
    report = await service.tick()
    assert report.expired == 2 and report.reminders == 0
    await delivery.run_once()
    assert new_since(messenger, "anna", 3) == [("notice", None)]
    assert messenger.texts("anna")[3] == t("expired", Language.EN)
    assert messenger.texts("boris")[-1] == t("expired", Language.RU)
    conv = await conversation_of(uow, world.anna)
    assert conv.status is ConversationStatus.EXPIRED
    assert conv.finished_at == clock.now()
    assert (await service.tick()).expired == 0

    clock.advance(timedelta(hours=5))
    await service.handle_event(world.anna_at, text("Sorry, was away. Good result", "late1"))
    await delivery.run_once()
    assert new_since(messenger, "anna", 4) == [("notice", None)]
    assert messenger.texts("anna")[4] == t("late_kept", Language.EN)
    answers = await answers_of(uow, world.anna)
    assert [(a.question_key, a.text, a.late) for a in answers] == [
        ("outcome", "Sorry, was away. Good result", True)
    ]
    assert (await conversation_of(uow, world.anna)).status is ConversationStatus.EXPIRED
    summary = await service.round_summary(round_id)
    anna = next(r for r in summary.rows if r.contact == "Anna")
    assert anna.status is ConversationStatus.EXPIRED
    assert anna.cells["outcome"].late is True


async def test_every_message_after_an_expiry_is_kept_and_none_answers_an_unasked_question(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # A colleague's walk: the second late message was filed as the answer to the question
    # after the one the client was at, though that question was never sent to them.
    round_id = await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Good result", "a1"))  # Anna is at q2
    await delivery.run_once()
    clock.advance(timedelta(days=8))
    assert (await service.tick()).expired == 2
    await delivery.run_once()
    asked = {who: [m.payload.get("question_key") for m in messenger.to(who)]
             for who in ("anna", "boris")}  # fmt: skip

    late = {"anna": ["Sorry, a bit slow", "Polite though", "And quick to fix"],
            "boris": ["Результат хороший", "Но долго", "Спасибо"]}  # fmt: skip
    for who, bodies in late.items():
        at = world.anna_at if who == "anna" else world.boris_at
        for i, body in enumerate(bodies):
            seen = len(messenger.to(who))
            await service.handle_event(at, text(body, f"{who}-late{i}"))
            await delivery.run_once()
            lang = Language.EN if who == "anna" else Language.RU
            assert new_since(messenger, who, seen) == [("notice", None)]
            assert messenger.texts(who)[-1] == t("late_kept", lang)

    assert [(a.question_key, a.text, a.late) for a in await answers_of(uow, world.anna)] == [
        ("outcome", "Good result", False),
        ("speed", "Sorry, a bit slow", True),
        ("comment", "Polite though", True),
        ("comment", "And quick to fix", True),
    ]
    assert [(a.question_key, a.text, a.late) for a in await answers_of(uow, world.boris)] == [
        ("outcome", "Результат хороший", True),
        ("comment", "Но долго", True),
        ("comment", "Спасибо", True),
    ]
    # No question went out after the expiry, and every stored answer is to one they were sent.
    for who in ("anna", "boris"):
        assert [m.payload.get("question_key") for m in messenger.to(who)][: len(asked[who])] == (
            asked[who]
        )
        assert all(m.kind != "question" for m in messenger.to(who)[len(asked[who]) :])
    summary = await service.round_summary(round_id)
    rows = {r.contact: r for r in summary.rows}
    assert sorted(rows["Anna"].cells) == ["outcome", "speed"]
    assert rows["Anna"].comments == ["Polite though", "And quick to fix"]
    assert sorted(rows["Борис"].cells) == ["outcome"]
    assert rows["Борис"].comments == ["Но долго", "Спасибо"]


async def test_expiry_without_a_prior_tick_sends_no_reminder(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    clock: FakeClock,
) -> None:
    """After long downtime the conversation just closes: no reminder for a closed survey."""
    await open_round(service, world, delivery)
    clock.advance(timedelta(days=10))
    report = await service.tick()
    assert report.expired == 2 and report.reminders == 0
    await delivery.run_once()
    assert new_since(messenger, "anna", 1) == [("notice", None)]


# --- edits ---------------------------------------------------------------------------------


async def test_an_answer_stored_in_the_earlier_history_format_is_still_edited_by_part(
    service: SurveyService,
    delivery: DeliveryWorker,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # Rows written before the history kept one change per entry list every part on every
    # entry; an edit of one of their messages still changes that part only, and the next
    # read of the row (on either database) finds the parts in both formats.
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("The result is good.", "a1"))
    [answer] = await answers_of(uow, world.anna)
    parts = [["a1", "The result is good."], ["a2", "The docs were late."], ["a3", "Всё ок 👍"]]
    earlier = [
        {"text": "The result is good.", "replaced_at": "2026-11-02T09:00:00+00:00",
         "parts": parts[:2]},
        {"text": "The result is good.\nThe docs were late.",
         "replaced_at": "2026-11-02T09:00:01+00:00", "parts": parts},
    ]  # fmt: skip
    joined = "The result is good.\nThe docs were late.\nВсё ок 👍"
    async with uow() as u:
        await u.answers.update(replace(answer, text=joined, history=earlier))
        await u.commit()

    clock.advance(timedelta(minutes=1))
    await service.handle_edit(world.anna_at, "a2", "The docs came on time.")
    await service.handle_edit(world.anna_at, "a3", "Всё отлично 👍")

    [edited] = await answers_of(uow, world.anna)
    assert edited.text == "The result is good.\nThe docs came on time.\nВсё отлично 👍"
    assert edited.history[:2] == earlier  # kept as it was
    assert [h.get("part") for h in edited.history[2:]] == [
        ["a2", "The docs came on time."],
        ["a3", "Всё отлично 👍"],
    ]
    assert answering.parts_of(edited) == [
        ("a1", "The result is good."),
        ("a2", "The docs came on time."),
        ("a3", "Всё отлично 👍"),
    ]
    assert answering.earlier_texts(edited) == [
        "The result is good.",
        "The result is good.\nThe docs were late.",
        joined,
        "The result is good.\nThe docs came on time.\nВсё ок 👍",
    ]


async def test_edit_replaces_the_text_keeps_history_and_alerts_once(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Great result, very happy", "a1"))
    await delivery.run_once()
    [original] = await answers_of(uow, world.anna)
    assert original.sentiment is not None
    assert original.sentiment.label is SentimentLabel.POSITIVE
    async with uow() as u:
        assert await u.alerts.list() == []

    clock.advance(timedelta(minutes=10))
    first_edit_at = clock.now()
    await service.handle_edit(world.anna_at, "a1", "Terrible result, very disappointed")
    await delivery.run_once()
    [edited] = await answers_of(uow, world.anna)
    assert edited.id == original.id
    assert edited.text == "Terrible result, very disappointed"
    assert edited.question_key == "outcome"
    assert edited.edited_at == first_edit_at
    assert [h["text"] for h in edited.history] == ["Great result, very happy"]
    assert edited.sentiment is not None
    assert edited.sentiment.label is SentimentLabel.NEGATIVE
    async with uow() as u:
        alerts = await u.alerts.list()
    assert [(a.answer_id, a.owner_id) for a in alerts] == [(edited.id, world.owner.id)]
    assert [m.kind for m in messenger.to("olga")] == ["alert"]
    assert messenger.to("olga")[0].payload["alert"]["answer"] == (
        "Terrible result, very disappointed"
    )
    assert messenger.texts("anna")[-1] == t("edit_kept", Language.EN)
    # An edit does not move the conversation on.
    assert (await conversation_of(uow, world.anna)).current_question == "speed"

    clock.advance(timedelta(minutes=10))
    await service.handle_edit(world.anna_at, "a1", "Awful, a bad result")
    await delivery.run_once()
    [again] = await answers_of(uow, world.anna)
    assert again.text == "Awful, a bad result"
    assert [h["text"] for h in again.history] == [
        "Great result, very happy",
        "Terrible result, very disappointed",
    ]
    async with uow() as u:
        [alert] = await u.alerts.list()
    assert len(messenger.to("olga")) == 1
    # The one alert notes the edit, so the owner sees what the answer said before: the note
    # names the answer's history entry, where that text is kept.
    assert [c.before for c in changes_of(alert.notes, again)] == [
        "Terrible result, very disappointed"
    ]


async def test_edit_to_the_same_text_changes_nothing(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Fine", "a1"))
    await delivery.run_once()
    sent = len(messenger.to("anna"))
    await service.handle_edit(world.anna_at, "a1", "  Fine ")
    await delivery.run_once()
    [answer] = await answers_of(uow, world.anna)
    assert answer.text == "Fine" and answer.history == [] and answer.edited_at is None
    assert len(messenger.to("anna")) == sent


# --- input that is not an answer -----------------------------------------------------------


@pytest.mark.parametrize("media", ["sticker", "photo", "voice", "file", "location", "video"])
async def test_non_text_gets_a_polite_request_for_text_and_nothing_is_stored(
    media: str,
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Good", "a1"))
    await delivery.run_once()
    before = await conversation_of(uow, world.anna)
    assert before.current_question == "speed"

    await service.handle_event(
        world.anna_at, ContactEvent(EventKind.NON_TEXT, message_id="x1", media=media)
    )
    await service.handle_event(
        world.boris_at, ContactEvent(EventKind.NON_TEXT, message_id="x2", media=media)
    )
    await delivery.run_once()

    assert new_since(messenger, "anna", 2) == [("notice", None)]
    assert messenger.texts("anna")[2] == t("text_please", Language.EN)
    assert messenger.texts("boris")[1:] == [t("text_please", Language.RU)]
    after = await conversation_of(uow, world.anna)
    assert after.current_question == "speed"
    assert after.status is before.status
    assert [a.question_key for a in await answers_of(uow, world.anna)] == ["outcome"]
    assert await answers_of(uow, world.boris) == []
    assert (await conversation_of(uow, world.boris)).current_question == "outcome"

    # The next text still answers the question that was open.
    await service.handle_event(world.anna_at, text("Fast", "a2"))
    assert [a.question_key for a in await answers_of(uow, world.anna)] == ["outcome", "speed"]


async def test_whitespace_only_text_gets_the_empty_notice(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("  \n ", "e1"))
    await delivery.run_once()
    assert messenger.texts("anna")[1:] == [t("empty_answer", Language.EN)]
    assert await answers_of(uow, world.anna) == []
    assert (await conversation_of(uow, world.anna)).current_question == "outcome"


async def test_a_10000_character_answer_is_kept_whole(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    # It was cut to 4,000 characters and Anna told so: bad input loses nothing, and a long
    # answer is not even bad input.
    round_id = await open_round(service, world, delivery)
    body = ("The result was fine overall. " * 400)[:10_000]
    assert len(body) == 10_000
    await service.handle_event(world.anna_at, text(body, "long1"))
    await delivery.run_once()

    [answer] = await answers_of(uow, world.anna)
    assert answer.question_key == "outcome"
    assert answer.text == body.strip() and len(answer.text) > 4000
    assert answer.truncated is False
    assert MAX_ANSWER_CHARS == 40_000
    assert new_since(messenger, "anna", 1) == [("question", "speed")]
    summary = await service.round_summary(round_id)
    anna = next(r for r in summary.rows if r.contact == "Anna")
    assert anna.cells["outcome"].text == body.strip()


async def test_unknown_sender_is_told_and_nothing_is_stored(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    round_id = await open_round(service, world, delivery)
    stranger = Address(Channel.CONSOLE, "zed")
    await service.handle_event(stranger, text("Hi, the result is terrible", "z1"))
    await service.handle_event(stranger, text("Hi, the result is terrible", "z1"))  # redelivered
    await service.handle_event(stranger, ContactEvent(EventKind.NON_TEXT, message_id="z2"))
    await delivery.run_once()

    assert messenger.texts("zed") == [t("unknown_user", Language.EN)] * 2
    assert "I don't know you yet" in messenger.texts("zed")[0]
    assert await all_answers(uow, round_id) == []
    async with uow() as u:
        assert await u.alerts.list() == []
        assert await u.contacts.by_address(stranger) is None
    assert len(messenger.to("anna")) == 1 and len(messenger.to("boris")) == 1


async def test_staff_writing_to_the_bot_are_pointed_at_their_commands(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
) -> None:
    await service.handle_event(Address(Channel.CONSOLE, "max"), text("привет", "m1"))
    await delivery.run_once()
    assert messenger.texts("max") == [t("staff_hello", Language.RU, name="Max Manager")]


async def test_redelivered_message_is_stored_once_and_answered_once(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Good result", "dup1"))
    await service.handle_event(world.anna_at, text("Good result", "dup1"))
    await delivery.run_once()
    await service.handle_event(world.anna_at, text("Good result", "dup1"))  # after delivery too
    await delivery.run_once()

    answers = await answers_of(uow, world.anna)
    assert [(a.question_key, a.text, a.source_message_id) for a in answers] == [
        ("outcome", "Good result", "dup1")
    ]
    assert kinds(messenger, "anna") == [*INVITED, ("question", "speed")]
    assert (await conversation_of(uow, world.anna)).current_question == "speed"


async def test_redelivered_button_press_and_sticker_are_handled_once(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    await open_round(service, world, delivery)
    skip = ContactEvent(EventKind.SKIP, message_id="cb-1")
    await service.handle_event(world.anna_at, skip)
    await service.handle_event(world.anna_at, skip)  # the same callback, delivered again
    sticker = ContactEvent(EventKind.NON_TEXT, message_id="st-1", media="sticker")
    await service.handle_event(world.anna_at, sticker)
    await service.handle_event(world.anna_at, sticker)
    await delivery.run_once()

    # One skip: the contact is at question 2, not 3; one request for text, not two.
    assert (await conversation_of(uow, world.anna)).current_question == "speed"
    notices = [m for m in messenger.to("anna") if m.kind == "notice"]
    assert sum("only read text" in str(m.payload["text"]) for m in notices) == 1


# --- restart -------------------------------------------------------------------------------


async def test_restart_mid_conversation_loses_nothing_and_repeats_nothing(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    database: Database,
    clock: FakeClock,
) -> None:
    round_id = await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, text("Great result", "r1"))
    await delivery.run_once()
    assert kinds(messenger, "anna") == [*INVITED, ("question", "speed")]

    # A new process: its own engine, unit of work, service, worker and messenger.
    engine = database.new_engine()
    try:
        uow2 = SqlUnitOfWorkFactory(session_factory(engine))
        service2 = SurveyService(uow2, clock, make_analyser("baseline"), POLICY)
        messenger2 = RecordingMessenger()
        delivery2 = DeliveryWorker(uow2, {Channel.CONSOLE: messenger2}, service2, clock)
        assert (await delivery2.run_once()).sent == 0  # nothing left over to resend

        clock.advance(timedelta(minutes=3))
        await service2.handle_event(world.anna_at, text("Fast enough", "r2"))
        await delivery2.run_once()

        assert kinds(messenger2, "anna") == [("question", "politeness")]
        assert messenger2.texts("anna")[0].startswith("Question 3 of 3\n")
        assert messenger2.to("boris") == []
        answers = await answers_of(uow2, world.anna)
        assert [(a.question_key, a.text) for a in answers] == [
            ("outcome", "Great result"),
            ("speed", "Fast enough"),
        ]
        summary = await service2.round_summary(round_id)
    finally:
        await engine.dispose()

    anna = next(r for r in summary.rows if r.contact == "Anna")
    assert anna.status is ConversationStatus.ASKING
    assert {k: c.text for k, c in anna.cells.items()} == {
        "outcome": "Great result",
        "speed": "Fast enough",
    }
    # The old process's worker has nothing more to deliver either.
    assert (await delivery.run_once()).sent == 0
    assert len(messenger.to("anna")) == 2


# --- schedules -----------------------------------------------------------------------------


async def set_schedule(uow: SqlUnitOfWorkFactory, schedule: Schedule) -> None:
    async with uow() as u:
        await u.schedules.set(schedule)
        await u.commit()


async def test_sprints_missed_during_downtime_open_one_round_for_the_latest(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # Two-week sprints from Monday 2026-11-02: they end 11-16, 11-30 and 12-14, each due at
    # 10:00 Moscow time (07:00 UTC).
    await set_schedule(
        uow,
        Schedule(
            0,
            world.account.id,
            CadenceKind.SPRINT,
            every_weeks=2,
            anchor=date(2026, 11, 2),
            created_at=clock.now(),
        ),
    )
    assert (await service.tick()).rounds_opened == []  # nothing due yet

    clock.advance(timedelta(weeks=6, hours=1))  # 2026-12-14 10:00 UTC, 13:00 Moscow
    first = await service.tick()
    second = await service.tick()
    assert first.rounds_opened == ["Globex: Sprint 3"]
    assert second.rounds_opened == []
    async with uow() as u:
        rounds = await u.rounds.for_account(world.account.id)
        schedule = await u.schedules.for_account(world.account.id)
    assert [(r.period_key, r.title) for r in rounds] == [("sprint-3", "Sprint 3")]
    assert schedule is not None and schedule.last_period_key == "sprint-3"

    await delivery.run_once()
    assert kinds(messenger, "anna") == INVITED
    assert kinds(messenger, "boris") == INVITED
    assert "Sprint 3" in messenger.texts("anna")[0]


async def test_sprint_end_before_send_hour_is_not_yet_due(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    await set_schedule(
        uow,
        Schedule(
            0,
            world.account.id,
            CadenceKind.SPRINT,
            every_weeks=2,
            anchor=date(2026, 11, 2),
            created_at=clock.now(),
        ),
    )
    # 2026-11-16 06:59 UTC is 09:59 in Moscow: sprint 1 ends today but not yet at 10:00.
    clock.advance(timedelta(weeks=2) - timedelta(hours=2, minutes=1))
    assert (await service.tick()).rounds_opened == []
    clock.advance(timedelta(minutes=1))
    assert (await service.tick()).rounds_opened == ["Globex: Sprint 1"]


async def test_quarters_missed_during_downtime_open_one_round_for_the_latest(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await set_schedule(
        uow,
        Schedule(0, world.account.id, CadenceKind.QUARTERLY, created_at=clock.now()),
    )
    assert (await service.tick()).rounds_opened == []

    # Quarter ends 2026-Q4 (due 2027-01-01), 2027-Q1 (04-01) and 2027-Q2 (07-01) pass by.
    clock.set(clock.now().replace(year=2027, month=7, day=15))
    first = await service.tick()
    second = await service.tick()
    assert first.rounds_opened == ["Globex: Q2 2027"]
    assert second.rounds_opened == []
    async with uow() as u:
        rounds = await u.rounds.for_account(world.account.id)
        schedule = await u.schedules.for_account(world.account.id)
    assert [r.period_key for r in rounds] == ["2027-Q2"]
    assert schedule is not None and schedule.last_period_key == "2027-Q2"

    await delivery.run_once()
    assert kinds(messenger, "anna") == INVITED
    assert kinds(messenger, "boris") == INVITED


async def test_contact_without_a_survey_is_told_each_time_even_without_message_ids(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Hello?"))
    clock.advance(timedelta(minutes=1))
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Anyone there?"))
    clock.advance(timedelta(minutes=1))
    await service.handle_event(world.anna_at, ContactEvent(EventKind.NON_TEXT, media="sticker"))
    await delivery.run_once()
    assert messenger.texts("anna") == [
        t("no_conversation", Language.EN),
        t("no_conversation", Language.EN),
        t("text_please", Language.EN),
    ]
    async with uow() as u:
        assert await u.conversations.current_for_contact(world.anna.id) is None

    # With a platform message id, a redelivery is still told only once.
    await service.handle_event(world.anna_at, text("Hello again", "h1"))
    await service.handle_event(world.anna_at, text("Hello again", "h1"))
    await delivery.run_once()
    assert messenger.texts("anna")[3:] == [t("no_conversation", Language.EN)]


class CountingUnitOfWork:
    """The real unit of work, counting how many are open at any moment."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self.inner = inner
        self.open = 0

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[object]:
        async with self.inner() as unit:
            self.open += 1
            try:
                yield unit
            finally:
                self.open -= 1


class WatchingAnalyser:
    """Baseline verdicts, noting for each call the thread and the open units of work."""

    name, version = "watching", "1"

    def __init__(self, uow: CountingUnitOfWork) -> None:
        self.uow = uow
        self.calls: list[tuple[str, str | None, bool, int]] = []
        self.inner = make_analyser("baseline")

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        on_loop_thread = threading.current_thread() is threading.main_thread()
        self.calls.append((text, question, on_loop_thread, self.uow.open))
        return self.inner.analyse(text, question)


async def test_answers_are_scored_off_the_event_loop_outside_any_transaction(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World
) -> None:
    # A slow analyser (a remote endpoint up to its timeout) must hold neither the event loop
    # nor a database transaction: the answer is scored before the transaction that stores it.
    counting = CountingUnitOfWork(uow)
    analyser = WatchingAnalyser(counting)
    service = SurveyService(counting, clock, analyser, POLICY)  # type: ignore[arg-type]
    await service.open_round(world.account.id, ROUND, "Sprint 14")
    await service.handle_event(world.anna_at, text("Too slow, honestly", "a1"))
    await service.handle_event(world.anna_at, text("polite enough", "a2"))
    await service.handle_edit(world.anna_at, "a1", "Too slow, and nobody answered")

    assert [(c[0], c[1]) for c in analyser.calls] == [
        ("Too slow, honestly", "outcome"),
        ("polite enough", "speed"),
        ("Too slow, and nobody answered", "outcome"),
    ]
    assert all(not on_loop and open_units == 0 for _, _, on_loop, open_units in analyser.calls)
    stored = await answers_of(uow, world.anna)
    baseline = make_analyser("baseline")
    assert [(a.text, a.question_key, a.sentiment) for a in stored] == [
        (t, q, baseline.analyse(t, q))
        for t, q in [("Too slow, and nobody answered", "outcome"), ("polite enough", "speed")]
    ]


class CheapWatchingAnalyser(WatchingAnalyser):
    """The baseline as the service sees it: an analyser that says it is cheap (inline)."""

    inline = True


async def test_a_long_answer_is_scored_off_the_event_loop_even_by_a_cheap_analyser(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World
) -> None:
    # The baseline (inline: microseconds for a short answer) took ~90 ms on the event loop,
    # inside the answer's transaction, for a 40,000-character answer: every other chat waited.
    counting = CountingUnitOfWork(uow)
    analyser = CheapWatchingAnalyser(counting)
    service = SurveyService(counting, clock, analyser, POLICY)  # type: ignore[arg-type]
    await service.open_round(world.account.id, ROUND, "Sprint 14")
    long_answer = ("Сроки сорваны, результат плохой. " * 1000)[:30_000].strip()
    await service.handle_event(world.anna_at, text(long_answer, "a1"))
    await service.handle_event(world.anna_at, text("polite enough", "a2"))
    await service.handle_edit(world.anna_at, "a1", long_answer + " Но в целом неплохо")

    calls = {(c[0][:20], c[1]): (c[2], c[3]) for c in analyser.calls}
    long_calls = [(on_loop, units) for t, _, on_loop, units in analyser.calls if len(t) > 2000]
    assert len(long_calls) == 2  # the answer and its edit, each read once
    assert all(not on_loop and units == 0 for on_loop, units in long_calls)
    # A short answer is still read where it is stored: a thread hop would cost more.
    assert calls[("polite enough", "speed")] == (True, 1)
    stored = await answers_of(uow, world.anna)
    assert stored[0].text.endswith("Но в целом неплохо") and stored[0].sentiment is not None
