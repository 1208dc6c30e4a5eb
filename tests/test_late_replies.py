"""What a client writes after their conversation closed, on Telegram and Slack: each message
is kept on the conversation it belongs to and none is filed under a question they were never
sent (QA: after an expiry, the second late message answered the next question)."""

from __future__ import annotations

from datetime import timedelta

from surveys.model import Answer, Conversation, ConversationStatus
from surveys.ports import UnitOfWorkFactory
from tests.fakes.slack_api import message_event
from tests.slack_harness import SlackHarness
from tests.telegram_harness import TelegramHarness
from tests.test_slack_clients import join, write
from tests.test_slack_clients import open_round as slack_round
from tests.test_slack_clients import questions as slack_questions
from tests.test_telegram_clients import ANNA, BORIS, contact_at, onboard, questions, say
from tests.test_telegram_clients import open_round as tg_round

LATE_EN = "This survey has already closed, but your answer is kept and will be read."
LATE_RU = "Этот опрос уже закрыт, но ваш ответ сохранён и будет прочитан."


def id_of(answer: Answer) -> int:
    return answer.id


Kept = list[tuple[str, str, bool]]


async def conversations(
    factory: UnitOfWorkFactory, contact_id: int
) -> list[tuple[Conversation, Kept]]:
    """The contact's conversations that hold answers, oldest first, each with its answers'
    (question key, text, late)."""
    async with factory() as uow:
        answers: list[Answer] = sorted(await uow.answers.for_contact(contact_id), key=id_of)
        ids = sorted({a.conversation_id for a in answers})
        convs = [c for i in ids if (c := await uow.conversations.get(i)) is not None]
    return [
        (c, [(a.question_key, a.text, a.late) for a in answers if a.conversation_id == c.id])
        for c in convs
    ]


async def test_telegram_late_messages_after_an_expiry_in_both_languages(
    tg: TelegramHarness,
) -> None:
    for chat, name, lang in ((ANNA, "Anna Smith", "en"), (BORIS, "Борис", "ru")):
        await onboard(tg, chat, name, lang)
    await tg_round(tg)
    await say(tg, ANNA, "Great result")  # Anna is at question 2, Boris at question 1
    tg.clock.advance(timedelta(days=8))
    assert (await tg.app.service.tick()).expired == 2
    await tg.deliver()

    for chat, bodies, reply in (
        (ANNA, ["A bit slow", "Polite though", "One more thing"], LATE_EN),
        (BORIS, ["Результат хороший", "Но долго", "И ещё"], LATE_RU),
    ):
        asked = len(questions(tg, chat))
        for body in bodies:
            await say(tg, chat, body)
            assert tg.texts(chat)[-1] == reply
        assert len(questions(tg, chat)) == asked  # nothing asked after the expiry
    anna, boris = (await contact_at(tg, ANNA)), (await contact_at(tg, BORIS))
    assert anna is not None and boris is not None
    [(_, kept)] = await conversations(tg.app.uow, anna.id)
    assert kept == [
        ("outcome", "Great result", False),
        ("speed", "A bit slow", True),
        ("comment", "Polite though", True),
        ("comment", "One more thing", True),
    ]
    [(_, kept)] = await conversations(tg.app.uow, boris.id)
    assert kept == [
        ("outcome", "Результат хороший", True),
        ("comment", "Но долго", True),
        ("comment", "И ещё", True),
    ]


async def test_slack_late_messages_after_an_expiry(slack: SlackHarness) -> None:
    contact = await join(slack, "UANNA", "Anna Smith")
    await slack_round(slack)
    await slack.deliver()
    await write(slack, "UANNA", "Great result")
    await slack.deliver()
    slack.clock.advance(timedelta(days=8))
    assert (await slack.app.service.tick()).expired == 1
    await slack.deliver()
    asked = len(slack_questions(slack, "UANNA"))
    for body in ("A bit slow", "Polite though", "One more thing"):
        await write(slack, "UANNA", body)
        await slack.deliver()
        assert slack.dm_texts("UANNA")[-1] == LATE_EN
    assert len(slack_questions(slack, "UANNA")) == asked  # nothing asked after the expiry
    [(_, kept)] = await conversations(slack.app.uow, contact.id)
    assert kept == [
        ("outcome", "Great result", False),
        ("speed", "A bit slow", True),
        ("comment", "Polite though", True),
        ("comment", "One more thing", True),
    ]


async def test_a_reply_written_before_a_new_round_reached_the_client_stays_with_the_old_one(
    tg: TelegramHarness,
) -> None:
    # Staff open a new round while Anna is at question 2 of the last one: that conversation
    # closes quietly. What she wrote before the new invitation reached her answers the
    # question she could see, not the new round's first, which she had not seen yet.
    contact_id = await onboard(tg, ANNA, "Anna Smith")
    await tg_round(tg)
    await say(tg, ANNA, "Great result")
    tg.clock.advance(timedelta(days=1))
    written = tg.api.text_message(ANNA, "A bit slow")  # before the new round's invitation
    assert "1 contact invited" in await tg_round(tg)
    await tg.process(written)
    assert tg.texts(ANNA)[-1] == LATE_EN
    await say(tg, ANNA, "Fine result this time")  # after it: the new round's question 1
    (old, old_kept), (new, new_kept) = await conversations(tg.app.uow, contact_id)
    assert old.status is ConversationStatus.EXPIRED
    assert old_kept == [("outcome", "Great result", False), ("speed", "A bit slow", True)]
    assert new.status.is_open and new_kept == [("outcome", "Fine result this time", False)]


async def test_on_slack_too_a_reply_written_before_a_new_round_stays_with_the_old_one(
    slack: SlackHarness,
) -> None:
    contact = await join(slack, "UANNA", "Anna Smith")
    await slack_round(slack)
    await slack.deliver()
    await write(slack, "UANNA", "Great result")
    await slack.deliver()
    slack.clock.advance(timedelta(days=1))
    await slack_round(slack)
    await slack.deliver()
    # Written a moment before the new round's invitation reached her (a ts just below its).
    invitation = slack.dm("UANNA")[-1]
    assert str(invitation["text"]).startswith("Hello, Anna Smith!")
    seconds, micros = str(invitation["ts"]).split(".")
    ts = f"{seconds}.{int(micros) - 1:06d}"
    written = message_event("UANNA", slack.api.dm_channel_of("UANNA"), "A bit slow", ts=ts)
    status, _ = await slack.post(written)
    assert status == 200
    await slack.deliver()
    assert slack.dm_texts("UANNA")[-1] == LATE_EN
    await write(slack, "UANNA", "Fine result this time")
    await slack.deliver()
    (old, old_kept), (new, new_kept) = await conversations(slack.app.uow, contact.id)
    assert old.status is ConversationStatus.EXPIRED
    assert old_kept == [("outcome", "Great result", False), ("speed", "A bit slow", True)]
    assert new.status.is_open and new_kept == [("outcome", "Fine result this time", False)]
