"""Pure unit tests of the conversation state machine (surveys/conversation.py): no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from surveys import conversation as machine
from surveys.conversation import (
    MAX_ANSWER_CHARS,
    QUESTION_BUTTONS,
    ContactEvent,
    ConversationContext,
    EventKind,
    NewAnswer,
)
from surveys.model import Conversation, ConversationStatus, Language
from surveys.questions import COMMENT_KEY, QUESTION_KEYS, question_text
from surveys.texts import t

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REMINDER = timedelta(days=2)
EXPIRY = timedelta(days=7)


def make_conv(language: Language = Language.EN, **changes: object) -> Conversation:
    conv = Conversation(
        id=1,
        round_id=1,
        contact_id=1,
        status=ConversationStatus.INVITED,
        question_index=0,
        question_keys=list(QUESTION_KEYS),
        language=language,
        invited_at=NOW,
        last_activity_at=NOW,
        reminder_due_at=NOW + REMINDER,
        expires_at=NOW + EXPIRY,
    )
    return replace(conv, **changes)


def make_ctx(language: Language = Language.EN) -> ConversationContext:
    return ConversationContext(
        question_texts={k: question_text(k, language) for k in QUESTION_KEYS},
        contact_name="Борис" if language is Language.RU else "Anna",
        company="Acme IT",
        round_title="Sprint 14",
        reminder_delay=REMINDER,
    )


def text(body: str, message_id: str = "m1") -> ContactEvent:
    return ContactEvent(EventKind.TEXT, body, message_id)


def press(kind: EventKind) -> ContactEvent:
    return ContactEvent(kind)


def closed(status: ConversationStatus, index: int = 1) -> Conversation:
    return make_conv(status=status, question_index=index, finished_at=NOW)


# --- start ---------------------------------------------------------------------------------


def test_start_sends_invite_and_first_question_as_one_message_with_buttons() -> None:
    conv = make_conv()
    step = machine.start(conv, make_ctx())

    assert step.conversation == conv  # starting changes nothing
    assert step.answers == []
    # One message, one notification: the invitation heads the first question.
    [message] = step.replies
    assert message.kind == "question"
    assert message.question_key == "outcome"
    assert message.buttons == ("skip", "later", "decline") == QUESTION_BUTTONS
    invite = t("invite", Language.EN, name="Anna", company="Acme IT", round="Sprint 14", count=3)
    assert message.text == f"{invite}\n\nQuestion 1 of 3\n{t('q.outcome', Language.EN)}"


# --- text answers --------------------------------------------------------------------------


def test_text_answers_advance_and_last_one_completes_with_thanks() -> None:
    ctx = make_ctx()
    conv = make_conv()
    later = NOW + timedelta(hours=1)

    step = machine.receive(conv, text("Great result"), ctx, later)
    assert step.answers == [NewAnswer("outcome", "Great result")]
    assert step.conversation.status is ConversationStatus.ASKING
    assert step.conversation.question_index == 1
    assert step.conversation.last_activity_at == later
    assert [(r.kind, r.question_key) for r in step.replies] == [("question", "speed")]
    assert step.replies[0].text.startswith("Question 2 of 3\n")

    step = machine.receive(step.conversation, text("Fast"), ctx, later)
    assert step.answers == [NewAnswer("speed", "Fast")]
    assert [(r.kind, r.question_key) for r in step.replies] == [("question", "politeness")]

    done_at = later + timedelta(minutes=5)
    step = machine.receive(step.conversation, text("Polite"), ctx, done_at)
    assert step.answers == [NewAnswer("politeness", "Polite")]
    assert step.conversation.status is ConversationStatus.COMPLETED
    assert step.conversation.finished_at == done_at
    assert step.conversation.current_question is None
    assert [(r.kind, r.text) for r in step.replies] == [("thanks", t("thanks", Language.EN))]


def test_answer_is_stored_stripped() -> None:
    step = machine.receive(make_conv(), text("  fine, thanks \n"), make_ctx(), NOW)
    assert step.answers == [NewAnswer("outcome", "fine, thanks")]


def test_emoji_only_text_is_a_normal_answer() -> None:
    step = machine.receive(make_conv(), text("👍🔥"), make_ctx(), NOW)
    assert step.answers == [NewAnswer("outcome", "👍🔥")]
    assert step.conversation.question_index == 1
    assert [r.kind for r in step.replies] == ["question"]


def test_skip_advances_without_an_answer() -> None:
    step = machine.receive(make_conv(), press(EventKind.SKIP), make_ctx(), NOW)
    assert step.answers == []
    assert step.conversation.question_index == 1
    assert step.conversation.status is ConversationStatus.ASKING
    assert [r.kind for r in step.replies] == ["notice", "question"]
    assert step.replies[0].text == t("skipped", Language.EN)
    assert step.replies[1].question_key == "speed"


def test_skipping_the_last_question_completes() -> None:
    conv = make_conv(status=ConversationStatus.ASKING, question_index=2)
    step = machine.receive(conv, press(EventKind.SKIP), make_ctx(), NOW)
    assert step.answers == []
    assert step.conversation.status is ConversationStatus.COMPLETED
    assert [r.kind for r in step.replies] == ["notice", "thanks"]


def test_decline_closes_the_conversation() -> None:
    conv = make_conv(status=ConversationStatus.ASKING, question_index=1)
    step = machine.receive(conv, press(EventKind.DECLINE), make_ctx(), NOW)
    assert step.answers == []
    assert step.conversation.status is ConversationStatus.DECLINED
    assert step.conversation.finished_at == NOW
    assert step.conversation.question_index == 1
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("declined", Language.EN))]
    # Closed: no reminder, no expiry notice afterwards.
    assert machine.remind(step.conversation, make_ctx(), NOW + EXPIRY) is None
    assert machine.expire(step.conversation, NOW + EXPIRY) is None


def test_later_rearms_the_reminder_when_not_reminded_yet() -> None:
    pressed_at = NOW + timedelta(days=1)
    step = machine.receive(make_conv(), press(EventKind.LATER), make_ctx(), pressed_at)
    assert step.answers == []
    assert step.conversation.reminder_due_at == pressed_at + REMINDER
    assert step.conversation.last_activity_at == pressed_at
    assert step.conversation.question_index == 0
    assert step.conversation.status is ConversationStatus.INVITED
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("later", Language.EN))]


def test_later_after_the_reminder_does_not_rearm_it() -> None:
    conv = make_conv(reminded=True, reminder_due_at=None)
    step = machine.receive(conv, press(EventKind.LATER), make_ctx(), NOW)
    assert step.conversation.reminder_due_at is None
    assert step.conversation.reminded is True
    assert [r.text for r in step.replies] == [t("later", Language.EN)]
    assert machine.remind(step.conversation, make_ctx(), NOW + EXPIRY) is None


def test_later_never_schedules_a_reminder_after_the_conversation_closes() -> None:
    pressed_at = NOW + EXPIRY - timedelta(days=1)  # the reminder would land after expiry
    step = machine.receive(make_conv(), press(EventKind.LATER), make_ctx(), pressed_at)
    assert step.conversation.reminder_due_at is None
    assert [r.text for r in step.replies] == [t("later", Language.EN)]


@pytest.mark.parametrize("media", ["sticker", "photo", "voice", "file", "location", "video"])
def test_non_text_asks_for_text_and_changes_nothing(media: str) -> None:
    conv = make_conv(status=ConversationStatus.ASKING, question_index=1)
    event = ContactEvent(EventKind.NON_TEXT, message_id="m9", media=media)
    step = machine.receive(conv, event, make_ctx(), NOW + timedelta(hours=1))
    assert step.conversation == conv
    assert step.answers == []
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("text_please", Language.EN))]


@pytest.mark.parametrize("body", ["", "   ", "\n\t "])
def test_empty_text_gives_the_empty_notice(body: str) -> None:
    conv = make_conv()
    step = machine.receive(conv, text(body), make_ctx(), NOW)
    assert step.conversation == conv
    assert step.answers == []
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("empty_answer", Language.EN))]


def test_overlong_answer_is_cut_to_the_limit_and_the_contact_told() -> None:
    # Only a platform breaking its own limit sends more than Slack's longest message.
    body = "x" * (MAX_ANSWER_CHARS + 1)
    step = machine.receive(make_conv(), text(body), make_ctx(), NOW)
    assert MAX_ANSWER_CHARS == 40_000
    assert len(step.answers) == 1
    answer = step.answers[0]
    assert answer.text == "x" * MAX_ANSWER_CHARS
    assert answer.truncated is True
    assert answer.question_key == "outcome"
    assert [r.kind for r in step.replies] == ["notice", "question"]
    assert step.replies[0].text == t("truncated", Language.EN, limit=40_000)
    assert "40000" in step.replies[0].text
    assert step.conversation.question_index == 1


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
def test_a_10000_character_answer_is_kept_whole_and_nothing_said_of_its_length(
    lang: Language,
) -> None:
    # It was cut to 4,000 characters and the client told so: a long, careful answer lost
    # three fifths of its words.
    body = ("Результат хороший, но сроки сорваны. " if lang is Language.RU
            else "The result is fine but deadlines slipped. ") * 300  # fmt: skip
    body = body[:10_000].strip()
    step = machine.receive(make_conv(lang), text(body), make_ctx(lang), NOW)
    assert step.answers == [NewAnswer("outcome", body)]
    assert [r.kind for r in step.replies] == ["question"]


def test_answer_exactly_at_the_limit_is_not_truncated() -> None:
    step = machine.receive(make_conv(), text("y" * MAX_ANSWER_CHARS), make_ctx(), NOW)
    assert step.answers == [NewAnswer("outcome", "y" * MAX_ANSWER_CHARS)]
    assert [r.kind for r in step.replies] == ["question"]


# --- reminder and expiry -------------------------------------------------------------------


def test_remind_fires_once_only_when_due() -> None:
    ctx = make_ctx()
    conv = make_conv(status=ConversationStatus.ASKING, question_index=1)
    due = conv.reminder_due_at
    assert due is not None

    assert machine.remind(conv, ctx, due - timedelta(seconds=1)) is None

    step = machine.remind(conv, ctx, due)
    assert step is not None
    assert step.answers == []
    assert step.conversation.reminded is True
    assert step.conversation.reminder_due_at is None
    assert step.conversation.question_index == 1
    assert [(r.kind, r.question_key) for r in step.replies] == [
        ("reminder", None),
        ("question", "speed"),
    ]
    assert step.replies[0].text == t("reminder", Language.EN)
    assert step.replies[1].text.startswith("Question 2 of 3\n")

    assert machine.remind(step.conversation, ctx, due + timedelta(days=1)) is None


def test_remind_without_a_due_time_does_nothing() -> None:
    conv = make_conv(reminder_due_at=None)
    assert machine.remind(conv, make_ctx(), NOW + EXPIRY) is None


@pytest.mark.parametrize(
    "status",
    [ConversationStatus.COMPLETED, ConversationStatus.DECLINED, ConversationStatus.EXPIRED],
)
def test_remind_never_fires_on_a_closed_conversation(status: ConversationStatus) -> None:
    conv = closed(status)
    assert conv.reminder_due_at is not None
    assert machine.remind(conv, make_ctx(), NOW + REMINDER + timedelta(hours=1)) is None


def test_expire_only_when_due() -> None:
    conv = make_conv(status=ConversationStatus.ASKING, question_index=1)
    assert machine.expire(conv, conv.expires_at - timedelta(seconds=1)) is None

    step = machine.expire(conv, conv.expires_at)
    assert step is not None
    assert step.conversation.status is ConversationStatus.EXPIRED
    assert step.conversation.finished_at == conv.expires_at
    assert step.conversation.reminder_due_at is None
    assert step.conversation.question_index == 1
    assert step.answers == []
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("expired", Language.EN))]

    assert machine.expire(step.conversation, conv.expires_at + timedelta(days=1)) is None


@pytest.mark.parametrize("status", [ConversationStatus.COMPLETED, ConversationStatus.DECLINED])
def test_expire_leaves_finished_conversations_alone(status: ConversationStatus) -> None:
    assert machine.expire(closed(status), NOW + EXPIRY + timedelta(days=1)) is None


# --- after the end -------------------------------------------------------------------------


def test_text_after_expiry_is_a_late_answer_for_the_current_question() -> None:
    conv = closed(ConversationStatus.EXPIRED, index=1)
    step = machine.receive(conv, text("A bit slow"), make_ctx(), NOW + EXPIRY)
    assert step.answers == [NewAnswer("speed", "A bit slow", late=True)]
    assert step.conversation.status is ConversationStatus.EXPIRED
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("late_kept", Language.EN))]


@pytest.mark.parametrize("language", [Language.EN, Language.RU])
@pytest.mark.parametrize("index", [0, 1, 2])
def test_every_message_after_the_first_late_answer_is_a_late_comment(
    language: Language, index: int
) -> None:
    # A second late message was filed as the answer to the question after the one the
    # contact was at, a question the expired conversation never asked them.
    conv = closed(ConversationStatus.EXPIRED, index=index)
    conv = replace(conv, language=language)
    ctx = make_ctx(language)
    step = machine.receive(conv, text("First"), ctx, NOW + EXPIRY)
    assert step.answers == [NewAnswer(QUESTION_KEYS[index], "First", late=True)]
    for body in ("Second", "Third"):
        step = machine.receive(step.conversation, text(body), ctx, NOW + EXPIRY)
        assert step.answers == [NewAnswer(COMMENT_KEY, body, late=True)]
        assert step.conversation.status is ConversationStatus.EXPIRED
        assert [(r.kind, r.text) for r in step.replies] == [("notice", t("late_kept", language))]
        # Still nothing asked: no question, and the question buttons stay as they were.
        assert all(r.kind != "question" for r in step.replies)


def test_a_stopped_round_that_expired_first_takes_late_answers_as_an_expiry_does() -> None:
    # A cancelled census whose client wrote only after their conversation had expired:
    # the same rule as after any expiry (the cancel path's own rule, see _stop, agrees).
    ctx = replace(make_ctx(Language.RU), stopped=True)
    conv = replace(closed(ConversationStatus.EXPIRED, index=1), language=Language.RU)
    step = machine.receive(conv, text("Поздно"), ctx, NOW + EXPIRY)
    assert step.answers == [NewAnswer(QUESTION_KEYS[1], "Поздно", late=True)]
    again = machine.receive(step.conversation, text("И ещё"), ctx, NOW + EXPIRY)
    assert again.answers == [NewAnswer(COMMENT_KEY, "И ещё", late=True)]
    assert [r.text for r in again.replies] == [t("late_kept", Language.RU)]


def test_overlong_late_answer_is_truncated_and_late() -> None:
    conv = closed(ConversationStatus.EXPIRED, index=0)
    step = machine.receive(conv, text("z" * 45_000), make_ctx(), NOW + EXPIRY)
    assert step.answers == [NewAnswer("outcome", "z" * 40_000, late=True, truncated=True)]
    assert [r.text for r in step.replies] == [
        t("truncated", Language.EN, limit=40_000),
        t("late_kept", Language.EN),
    ]


@pytest.mark.parametrize("status", [ConversationStatus.COMPLETED, ConversationStatus.DECLINED])
def test_text_after_the_end_is_kept_as_a_comment(status: ConversationStatus) -> None:
    conv = closed(status, index=3 if status is ConversationStatus.COMPLETED else 1)
    step = machine.receive(conv, text("One more thing"), make_ctx(), NOW + timedelta(days=1))
    assert step.answers == [NewAnswer(COMMENT_KEY, "One more thing")]
    assert step.conversation == conv
    assert [(r.kind, r.text) for r in step.replies] == [("notice", t("comment_kept", Language.EN))]


@pytest.mark.parametrize("kind", [EventKind.SKIP, EventKind.LATER, EventKind.DECLINE])
@pytest.mark.parametrize(
    "status",
    [ConversationStatus.COMPLETED, ConversationStatus.DECLINED, ConversationStatus.EXPIRED],
)
def test_buttons_on_a_closed_conversation_change_nothing(
    kind: EventKind, status: ConversationStatus
) -> None:
    conv = closed(status)
    step = machine.receive(conv, press(kind), make_ctx(), NOW + timedelta(days=1))
    assert step.conversation == conv
    assert step.answers == []
    assert [r.text for r in step.replies] == [t("no_conversation", Language.EN)]


# --- language ------------------------------------------------------------------------------


def test_replies_are_in_the_conversations_language_ru() -> None:
    ctx = make_ctx(Language.RU)
    conv = make_conv(Language.RU)
    [first] = machine.start(conv, ctx).replies
    assert first.text.startswith("Здравствуйте, Борис!")
    assert first.text.endswith(
        "\n\nВопрос 1 из 3\n"
        "Довольны ли вы результатом и насколько решение соответствовало вашим задачам?"
    )

    skipped = machine.receive(conv, press(EventKind.SKIP), ctx, NOW)
    assert skipped.replies[0].text == "Пропускаем."
    assert skipped.replies[1].text.startswith("Вопрос 2 из 3\n")
    assert machine.receive(conv, ContactEvent(EventKind.NON_TEXT), ctx, NOW).replies[0].text == (
        "Извините, я понимаю только текст. Пожалуйста, напишите ответ словами."
    )
    reminder = machine.remind(conv, ctx, NOW + REMINDER)
    assert reminder is not None
    assert reminder.replies[0].text == "Небольшое напоминание: нам по-прежнему важен ваш ответ."
    expired = machine.expire(conv, NOW + EXPIRY)
    assert expired is not None
    assert expired.replies[0].text == (
        "Этот опрос закрыт. Спасибо — надеемся услышать вас в следующий раз."
    )
    last = make_conv(Language.RU, status=ConversationStatus.ASKING, question_index=2)
    assert machine.receive(last, text("Да"), ctx, NOW).replies[0].text == (
        "Спасибо! Ваши ответы записаны. Клиентский сервис прочитает каждое слово."
    )


def test_replies_are_in_the_conversations_language_en() -> None:
    ctx = make_ctx(Language.EN)
    conv = make_conv(Language.EN)
    [first] = machine.start(conv, ctx).replies
    assert first.text.startswith("Hello, Anna!")
    assert first.text.endswith(
        "\n\nQuestion 1 of 3\n"
        "Are you satisfied with the result, and was the solution adequate to your needs?"
    )
    declined = machine.receive(conv, press(EventKind.DECLINE), ctx, NOW)
    assert declined.replies[0].text == (
        "Understood, we will not ask you again in this round. Thank you for your time."
    )
    empty = machine.receive(conv, text(" "), ctx, NOW)
    assert empty.replies[0].text == "The message is empty. Please type your answer, or /skip."


# --- a round called off (a cancelled census) -----------------------------------------------


def test_a_stopped_round_keeps_the_answer_asks_nothing_more_and_never_reminds() -> None:
    ctx = replace(make_ctx(Language.RU), stopped=True)
    conv = make_conv(Language.RU, status=ConversationStatus.ASKING, question_index=1)
    later = NOW + timedelta(hours=1)
    step = machine.receive(conv, text("Долго отвечали"), ctx, later)
    assert step.answers == [NewAnswer(QUESTION_KEYS[1], "Долго отвечали")]
    assert [r.text for r in step.replies] == [t("stopped_kept", Language.RU)]
    assert step.conversation.status is ConversationStatus.EXPIRED
    assert step.conversation.finished_at == later and step.conversation.reminder_due_at is None
    # Whatever comes next is a comment, kept as after an expiry.
    again = machine.receive(step.conversation, text("И ещё"), ctx, later)
    assert again.answers == [NewAnswer(COMMENT_KEY, "И ещё", late=True)]

    for kind in (EventKind.SKIP, EventKind.LATER):
        step = machine.receive(make_conv(), press(kind), replace(make_ctx(), stopped=True), NOW)
        assert step.answers == [] and step.conversation.status is ConversationStatus.EXPIRED
        assert [r.text for r in step.replies] == [t("stopped", Language.EN)]
    due = make_conv(reminder_due_at=NOW)
    assert machine.remind(due, replace(make_ctx(), stopped=True), NOW) is None
    assert machine.remind(due, make_ctx(), NOW) is not None
