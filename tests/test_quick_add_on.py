"""A complaint, then a quick add-on about something else, on Telegram with the default
analyser: the answer joined from both still reads negative, and the owner's alert is not
marked "no longer negative" (QA: «Медленно», then «Общались нормально», read joined as
neutral, cleared the alert). A stored answer re-scored by `candor rescore` reads the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys import answers as answering
from surveys.alert_changes import change_note
from surveys.alert_desk import still_negative
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Answer, Channel, Language, Sentiment, SentimentLabel
from surveys.sentiment import BaselineAnalyser, make_analyser
from surveys.sentiment.rescore import RescoreStats, rescore
from surveys.service import SurveyService
from tests.conftest import POLICY, T0, FakeClock, RecordingMessenger, World
from tests.telegram_harness import TelegramHarness
from tests.test_conversation_service import answers_of as answers_of_contact
from tests.test_conversation_service import open_round as open_survey
from tests.test_sentiment_rescore import seed_answers
from tests.test_telegram_clients import ANNA, BORIS, OWNER_ID, answers_of, onboard, open_round, say
from tests.test_telegram_conversation_care import alert_texts, all_alerts

STILL = "The client added to this answer; it still reads as negative."
CLEARED = "The client added to this answer; it no longer reads as negative."


async def two_quick_messages(tg: TelegramHarness, chat: int, first: str, second: str) -> int:
    """``first`` handled before the next question went out, ``second`` written before it
    reached the client: one answer. The id of the second message."""
    await tg.process(tg.api.text_message(chat, first), deliver=False)
    update = tg.api.text_message(chat, second)
    await tg.deliver()
    await tg.process(update)
    return int(update["message"]["message_id"])


async def speed_answer(tg: TelegramHarness, chat: int) -> Answer:
    [answer] = [a for a in await answers_of(tg, chat) if a.question_key == "speed"]
    return answer


async def test_a_complaint_about_speed_then_an_add_on_in_russian_keeps_the_alert(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, BORIS, "Борис", "ru")
    await open_round(tg)
    await say(tg, BORIS, "Результат хороший")
    await two_quick_messages(tg, BORIS, "Медленно", "Общались нормально")

    answer = await speed_answer(tg, BORIS)
    assert answer.text == "Медленно\nОбщались нормально"
    assert answer.sentiment is not None and answer.sentiment.label is SentimentLabel.NEGATIVE
    assert answer.sentiment.evidence == ["Медленно"]  # the complaining message's words
    [alert] = await all_alerts(tg)
    assert alert.answer_id == answer.id and still_negative(alert)
    [now] = alert_texts(tg, OWNER_ID)
    assert STILL in now and CLEARED not in now
    assert "Медленно" in now


async def test_a_complaint_about_speed_then_an_add_on_in_english_keeps_the_alert(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await say(tg, ANNA, "Good result")
    second = await two_quick_messages(tg, ANNA, "Slow", "The people were nice")

    answer = await speed_answer(tg, ANNA)
    assert answer.sentiment is not None and answer.sentiment.label is SentimentLabel.NEGATIVE
    assert answer.sentiment.evidence == ["Slow"]
    [alert] = await all_alerts(tg)
    assert still_negative(alert)
    [now] = alert_texts(tg, OWNER_ID)
    assert STILL in now and CLEARED not in now

    # Editing the add-on leaves the complaint standing; editing the complaint clears it.
    edited = "The people were nice, thanks"
    await tg.process(tg.api.edited_message(ANNA, edited, message_id=second))
    [alert] = await all_alerts(tg)
    assert still_negative(alert)
    assert (
        "The client edited this answer; it still reads as negative." in alert_texts(tg, OWNER_ID)[0]
    )
    first = second - 1
    await tg.process(tg.api.edited_message(ANNA, "Fast enough", message_id=first))
    answer = await speed_answer(tg, ANNA)
    assert answer.text == f"Fast enough\n{edited}"
    [alert] = await all_alerts(tg)
    assert not still_negative(alert)


async def test_a_contrast_after_a_complaint_still_clears_the_alert(tg: TelegramHarness) -> None:
    # Not an outcome complaint after all: the later message answers the earlier one.
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await two_quick_messages(tg, ANNA, "slow", "but the result is great")
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.sentiment is not None
    assert outcome.sentiment.label is not SentimentLabel.NEGATIVE
    for alert in await all_alerts(tg):  # one raised on "slow" alone is cleared
        assert not still_negative(alert)


class Counting:
    """The baseline analyser, noting every text it reads."""

    def __init__(self) -> None:
        self.inner = BaselineAnalyser()
        self.name, self.version, self.inline = self.inner.name, self.inner.version, True
        self.read: list[str] = []

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        self.read.append(text)
        return self.inner.analyse(text, question)


async def test_each_quick_message_is_read_once_more_not_once_per_addition(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World
) -> None:
    # Each addition reads the earlier messages again; their readings are kept, so an answer
    # typed as n messages costs ~n more analyses, not ~n²/2 (≈0.15 s each, default analyser).
    analyser = Counting()
    service = SurveyService(uow, clock, analyser, POLICY)
    await open_survey(
        service, world, DeliveryWorker(uow, {Channel.CONSOLE: RecordingMessenger()}, service, clock)
    )
    parts = ["Slow", "The people were nice", *(f"Part {i}: one more thing." for i in range(4))]
    for i, body in enumerate(parts):  # all before question 2 reached Anna
        event = ContactEvent(EventKind.TEXT, body, f"a{i}", position=Decimal(100 + i))
        await service.handle_event(world.anna_at, event)
        clock.advance(timedelta(seconds=20))
    [answer] = await answers_of_contact(uow, world.anna)
    assert answer.text == "\n".join(parts)
    assert answer.sentiment is not None and answer.sentiment.label is SentimentLabel.NEGATIVE
    assert [analyser.read.count(p) for p in parts] == [2, 1, 1, 1, 1, 1]  # the first: alone too
    assert len(analyser.read) == 2 * len(parts)  # and each joined text


async def test_rescore_reads_a_joined_answer_by_its_messages_too(
    uow: SqlUnitOfWorkFactory, service: SurveyService
) -> None:
    ids = await seed_answers(uow)
    async with uow() as u:
        bad = await u.answers.get(ids["bad"])
        assert bad is not None
        neutral = Sentiment(SentimentLabel.NEUTRAL, 0.8, ["нормально"], "old/0")
        first = Answer(0, bad.conversation_id, "speed", "Медленно", T0, "m-1", sentiment=neutral)
        complaint = await u.answers.add(first)
        contrast = await u.answers.add(
            replace(first, question_key="outcome", text="долго", source_message_id="m-3")
        )
        at = T0 + timedelta(seconds=20)
        for answer, added, message in [
            (complaint, "Общались нормально", "m-2"),
            (contrast, "но результат отличный", "m-4"),
        ]:
            joined, _ = answering.joined(answer, added, Channel.TELEGRAM)
            after = answering.with_added(answer, joined, at, (message, added), Channel.TELEGRAM)
            await u.answers.update(after)
        await u.commit()
    analyser = make_analyser("default")
    stats = RescoreStats()
    became = await rescore(uow, analyser, stats=stats)
    assert complaint.id in became and contrast.id not in became
    async with uow() as u:
        stored = await u.answers.get(complaint.id)
        other = await u.answers.get(contrast.id)
    assert stored is not None and stored.sentiment is not None
    assert stored.sentiment.label is SentimentLabel.NEGATIVE
    assert stored.sentiment.evidence == ["Медленно"]
    assert other is not None and other.sentiment is not None
    assert other.sentiment.label is not SentimentLabel.NEGATIVE

    # One alert per answer, however often it is re-scored.
    await service.alert_rescored(became)
    assert await rescore(uow, analyser, force=True) == []
    await service.alert_rescored([complaint.id])
    async with uow() as u:
        alerts = [a for a in await u.alerts.list() if a.answer_id == complaint.id]
    assert len(alerts) == 1


# --- an alert the older code marked "no longer negative" -------------------------------------

AGAIN = {
    Language.EN: "Re-read by the updated sentiment analysis: this answer reads as negative again.",
    Language.RU: "Ответ перечитан обновлённым анализом тональности: он снова звучит негативно.",
}
ADDED_CLEARED = {
    Language.EN: CLEARED,
    Language.RU: "Клиент дополнил этот ответ; он больше не звучит негативно.",
}
EDITED_CLEARED = {
    Language.EN: "The client edited this answer; it no longer reads as negative.",
    Language.RU: "Клиент исправил этот ответ; он больше не звучит негативно.",
}


def cards(tg: TelegramHarness) -> list[str]:
    """The alert messages in the owner's chat, as they read now (edits applied)."""
    return [text for text in tg.texts(OWNER_ID) if text.startswith("⚠️")]


async def as_older_code_left_it(tg: TelegramHarness, answer: Answer) -> None:
    """What code before version 8 did on the add-on: read the joined answer as neutral,
    note the alert no longer negative and edit the owner's card to say so."""
    async with tg.app.uow() as uow:
        neutral = Sentiment(SentimentLabel.NEUTRAL, 0.82, ["нормально"], "default/7.0")
        await uow.answers.update(replace(answer, sentiment=neutral))
        [alert] = await uow.alerts.list()
        note = change_note(answer, T0, negative=False, added=True)
        cleared = await uow.alerts.set_status(alert.id, alert.status, note, T0)
        assert cleared is not None
        await tg.app.service.alert_desk.update_messages(uow, cleared, "alert_added_cleared")
        await uow.commit()
    await tg.deliver()


@pytest.mark.parametrize(
    ("lang", "chat", "name", "complaint", "add_on", "fixed"),
    [
        (Language.EN, ANNA, "Anna Smith", "Slow", "The people were nice", "Fast enough"),
        (Language.RU, BORIS, "Борис", "Медленно", "Общались нормально", "Быстро, всё успели"),
    ],
)
async def test_rescore_updates_the_owners_card_of_an_alert_marked_no_longer_negative(
    tg: TelegramHarness, lang: Language, chat: int, name: str, complaint: str, add_on: str,
    fixed: str,
) -> None:  # fmt: skip
    await onboard(tg, chat, name, lang.value)
    async with tg.app.uow() as uow:  # the owner reads Candor in the client's language
        [owner] = [s for s in await uow.staff.list() if s.telegram_user_id == OWNER_ID]
        await uow.staff.update(replace(owner, language=lang))
        await uow.commit()
    await open_round(tg)
    await say(tg, chat, "Good result" if lang is Language.EN else "Результат хороший")
    second = await two_quick_messages(tg, chat, complaint, add_on)
    await as_older_code_left_it(tg, await speed_answer(tg, chat))
    [card] = cards(tg)
    assert ADDED_CLEARED[lang] in card
    [alert] = await all_alerts(tg)
    assert not still_negative(alert)

    # `candor rescore` after the upgrade: the answer reads negative again, and so does the card.
    stats = RescoreStats()
    service = tg.app.service
    became = await rescore(
        tg.app.uow, service.analyser, stats=stats, alerting=service.policy.alerts.raises_alert
    )
    assert became == [] and stats.negative_again == 1
    assert await service.alert_rescored(became + stats.again_ids) == 0
    await tg.deliver()
    [alert] = await all_alerts(tg)  # the same one, marked negative again
    assert still_negative(alert)
    [card] = cards(tg)  # edited in place: no second alert message
    assert AGAIN[lang] in card and ADDED_CLEARED[lang] not in card
    assert f"«{complaint}»" in card  # why flagged: the complaint's words
    edits = [c for c in tg.api.calls_to("editMessageText") if c.params["chat_id"] == OWNER_ID]
    assert len(edits) == 3 and all(c.status == 200 for c in edits)  # add-on, old code, rescore

    # And back: the client edits the complaint away; the card says so once more.
    await tg.process(tg.api.edited_message(chat, fixed, message_id=second - 1))
    [alert] = await all_alerts(tg)
    assert not still_negative(alert)
    [card] = cards(tg)
    assert EDITED_CLEARED[lang] in card and AGAIN[lang] not in card
