"""Follow-ups and resolutions on both storage backends: what wins between a survey and a
follow-up, unreachable contacts, and two people resolving one alert at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from storage.db import session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.alert_desk import AlertDesk
from surveys.alert_view import timeline_lines
from surveys.conversation import ContactEvent, EventKind
from surveys.followup_replies import MAX_REPLY_CHARS
from surveys.followups import FollowUpPolicy, FollowUps
from surveys.model import (
    Address,
    Alert,
    AlertStatus,
    Channel,
    ContactStatus,
    Disposition,
    Language,
)
from surveys.resolution import Resolutions
from surveys.service import SurveyService
from surveys.staff import StaffError
from surveys.texts import t
from tests.conftest import Database, FakeClock, World

NEGATIVE = "Terrible result, not happy at all"


async def alert_for_anna(service: SurveyService, world: World) -> int:
    await service.open_round(world.account.id, "2026-Q4", "Q4")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, NEGATIVE, "m1"))
    async with service.uow() as u:
        [alert] = await u.alerts.list()
    return alert.id


def follow_ups(service: SurveyService, clock: FakeClock) -> FollowUps:
    return FollowUps(service.uow, clock, FollowUpPolicy(timedelta(days=3), "Acme IT"))


async def answers_of_anna(service: SurveyService) -> list[tuple[str, str]]:
    async with service.uow() as u:
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        return [(a.question_key, a.text) for a in await u.answers.for_conversations([conv.id])]


async def test_a_survey_question_sent_after_the_follow_up_takes_the_next_message(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    alert_id = await alert_for_anna(service, world)
    await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    clock.advance(timedelta(days=1))
    # A new round asks Anna its first question after the follow-up: that question was asked
    # last, so her next message answers it, and the follow-up keeps waiting.
    await service.open_round(world.account.id, "2027-Q1", "Q1")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "All fine now", "m2"))
    assert await answers_of_anna(service) == [("outcome", "All fine now")]
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
    assert alert is not None and not [n for n in alert.notes if n.get("kind") == "reply"]


async def test_a_follow_up_asked_mid_survey_takes_one_message_then_the_survey_goes_on(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    alert_id = await alert_for_anna(service, world)
    clock.advance(timedelta(minutes=5))
    await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    clock.advance(timedelta(minutes=5))
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "The login", "m2"))
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Speed ok", "m3"))
    assert await answers_of_anna(service) == [("outcome", NEGATIVE), ("speed", "Speed ok")]
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
        sent = await u.outbox.list()
    assert alert is not None
    assert [n["text"] for n in alert.notes if n.get("kind") == "reply"] == ["The login"]
    to_olga = [m for m in sent if m.recipient.address == "olga"]
    assert to_olga[-1].payload["text"] == (
        "Reply from Anna to your question (alert #1):\nThe login"
    )


async def test_a_10000_character_reply_to_a_follow_up_is_kept_whole(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    # The reply was cut to 4,000 characters without a word to anyone.
    alert_id = await alert_for_anna(service, world)
    clock.advance(timedelta(minutes=5))
    await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    clock.advance(timedelta(minutes=5))
    reply = ("The login page, every morning, for a week. " * 250)[:10_000].strip()
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, reply, "m2"))
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
        sent = await u.outbox.list()
    assert alert is not None
    assert [n["text"] for n in alert.notes if n.get("kind") == "reply"] == [reply]
    to_olga = [m for m in sent if m.recipient.address == "olga"]
    assert to_olga[-1].payload["text"].endswith(reply)


@pytest.mark.parametrize("status", [ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE])
async def test_an_opted_out_or_unreachable_contact_gets_nothing(
    service: SurveyService, world: World, clock: FakeClock, status: ContactStatus
) -> None:
    alert_id = await alert_for_anna(service, world)
    async with service.uow() as u:
        await u.contacts.set_status(world.anna.id, status)
        before = len(await u.outbox.list())
        await u.commit()
    with pytest.raises(StaffError) as refused:
        await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    assert str(refused.value).startswith("Nothing was sent: Anna")
    async with service.uow() as u:
        assert len(await u.outbox.list()) == before
        alert = await u.alerts.get(alert_id)
    assert alert is not None and alert.notes == []


async def test_two_people_resolving_at_once_one_wins_the_other_is_told(
    database: Database, service: SurveyService, world: World, clock: FakeClock
) -> None:
    alert_id = await alert_for_anna(service, world)
    other = database.new_engine()
    try:
        desk = AlertDesk(clock, service.policy.alerts)
        mine = Resolutions(service.uow, clock, desk)
        theirs = Resolutions(SqlUnitOfWorkFactory(session_factory(other)), clock, desk)
        results = await asyncio.gather(
            mine.resolve(world.owner, alert_id, Disposition.FIXED, "Patched"),
            theirs.resolve(world.manager, alert_id, Disposition.WONT_FIX, "Not worth it"),
            return_exceptions=True,
        )
    finally:
        await other.dispose()
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, StaffError)]
    assert len(won) == 1 and len(lost) == 1, results
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
    assert alert is not None and alert.status is AlertStatus.RESOLVED
    resolutions = [n for n in alert.notes if n.get("status") == "resolved"]
    assert len(resolutions) == 1
    winner = resolutions[0]["by"]
    assert "was already resolved by " + winner in str(lost[0]) or "уже закрыт" in str(lost[0])


async def test_a_follow_up_on_a_silence_alert_gets_its_reply_and_the_reply_ends_the_silence(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    for quarter in ("2026-Q2", "2026-Q3", "2026-Q4"):
        await service.open_round(world.account.id, quarter, quarter)
        await service.handle_event(
            world.anna_at, ContactEvent(EventKind.DECLINE, "", f"d{quarter}")
        )
        for i, text in enumerate(("Great", "Fast", "Polite")):
            await service.handle_event(
                world.boris_at, ContactEvent(EventKind.TEXT, text, f"{quarter}{i}")
            )
        clock.advance(timedelta(days=1))
    report = await service.tick()
    assert report.silences == 1  # Anna's streak; Boris answers, so the account is not silent
    assert (await service.tick()).silences == 0
    async with service.uow() as u:
        [silence] = await u.alerts.silences()
    assert silence.contact_id == world.anna.id and silence.answer_id == 0
    await follow_ups(service, clock).ask(world.owner, silence.id, "Is everything all right?")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Just busy", "r1"))
    async with service.uow() as u:
        alert = await u.alerts.get(silence.id)
    assert alert is not None and alert.status is AlertStatus.RESOLVED
    assert [n["text"] for n in alert.notes if n.get("kind") == "reply"] == ["Just busy"]
    assert [n.get("cleared") for n in alert.notes if n.get("status") == "resolved"] == ["reply"]


WHO = {  # whose reply, in which language: Anna reads English, Boris Russian
    Language.EN: ("anna", "Terrible result, not happy at all"),
    Language.RU: ("boris", "Ужасный результат, мы очень недовольны"),
}


async def asked_after_a_negative_answer(
    service: SurveyService, world: World, clock: FakeClock, lang: Language
) -> tuple[Address, int]:
    """The contact answered question 1 negatively and was asked a follow-up on its alert."""
    who, negative = WHO[lang]
    at = world.anna_at if who == "anna" else world.boris_at
    await service.open_round(world.account.id, "2026-Q4", "Q4")
    await service.handle_event(at, ContactEvent(EventKind.TEXT, negative, f"{who}-1"))
    async with service.uow() as u:
        [alert] = await u.alerts.list()
    clock.advance(timedelta(minutes=5))
    await follow_ups(service, clock).ask(world.owner, alert.id, "Which part?")
    clock.advance(timedelta(minutes=5))
    return at, alert.id


async def reply_notes_and_sent(service: SurveyService, alert_id: int, to: str) -> tuple[
    list[dict[str, object]], list[str], list[str]
]:  # fmt: skip
    """The alert's reply notes, what the asker (Olga) got, and what ``to`` got."""
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
        sent = await u.outbox.list()
    assert alert is not None
    notes = [n for n in alert.notes if n.get("kind") == "reply"]
    olga = [str(m.payload["text"]) for m in sent if m.recipient.address == "olga"]
    contact = [str(m.payload["text"]) for m in sent if m.recipient.address == to]
    return notes, olga, contact


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_reply_longer_than_the_bound_tells_the_client_and_takes_the_rest(
    service: SurveyService, world: World, clock: FakeClock, lang: Language
) -> None:
    # A reply over 40,000 characters (no platform sends one; a Slack message whose mentions
    # were spelt out as names may) was cut without a word to the client.
    at, alert_id = await asked_after_a_negative_answer(service, world, clock, lang)
    reply = ("The login page breaks every morning. " * 1300)[:45_000].strip()
    await service.handle_event(at, ContactEvent(EventKind.TEXT, reply, "r1"))
    notes, olga, told = await reply_notes_and_sent(service, alert_id, at.address)
    assert [n["text"] for n in notes] == [reply[:MAX_REPLY_CHARS]]
    assert told[-2:] == [
        t("followup_thanks_survey", lang),
        t("followup_reply_cut", lang, limit=MAX_REPLY_CHARS),
    ]
    assert "40000" in told[-1] and ("rest" in told[-1] or "остальное" in told[-1])

    # As told: the next message is the rest of the reply, passed on to Olga too.
    clock.advance(timedelta(minutes=10))
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "…and the reports.", "r2"))
    notes, olga, told = await reply_notes_and_sent(service, alert_id, at.address)
    assert [n["text"] for n in notes][1:] == ["…and the reports."]
    name = "Anna" if lang is Language.EN else "Борис"
    assert olga[-1] == f"The reply from {name} continues (alert #{alert_id}):\n…and the reports."
    assert told[-1] == t("followup_thanks_survey", lang)
    # And then the survey has the next message again.
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "Speed is fine", "r3"))
    notes, _, _ = await reply_notes_and_sent(service, alert_id, at.address)
    assert len(notes) == 2


async def test_the_rest_of_a_cut_reply_sent_after_the_window_still_reaches_the_asker(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    # Told "send the rest as your next message: it will be passed on too", a client mid-survey
    # who sent it after the follow-up's window had it stored as their survey answer instead.
    at, alert_id = await asked_after_a_negative_answer(service, world, clock, Language.EN)
    reply = ("The login page breaks every morning. " * 1300)[:45_000].strip()
    await service.handle_event(at, ContactEvent(EventKind.TEXT, reply, "r1"))
    clock.advance(timedelta(days=4))  # past the 3-day window
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "…and the reports.", "r2"))

    notes, olga, _ = await reply_notes_and_sent(service, alert_id, at.address)
    assert [n["text"] for n in notes][1:] == ["…and the reports."]
    assert olga[-1] == f"The reply from Anna continues (alert #{alert_id}):\n…and the reports."
    assert [text for _, text in await answers_of_anna(service)] == [WHO[Language.EN][1]]


async def moved_to(service: SurveyService, at: Address, to: Address) -> Address:
    """The contact at ``at`` now bound to ``to`` (another platform); ``to``."""
    async with service.uow() as u:
        contact = await u.contacts.by_address(at)
        assert contact is not None
        await u.contacts.update(replace(contact, channel=to.channel, address=to.address))
        await u.commit()
    return to


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
@pytest.mark.parametrize("channel", [Channel.SLACK, Channel.CONSOLE])
async def test_a_long_reply_elsewhere_than_telegram_is_no_piece_of_a_paste(
    service: SurveyService, world: World, clock: FakeClock, lang: Language, channel: Channel
) -> None:
    # A Slack reply of 4,096 characters was taken for a piece Telegram cut off a paste by its
    # length alone: the client's next message, seconds later, went to the asker as "the reply
    # continues" instead of answering the survey question that waited.
    at, alert_id = await asked_after_a_negative_answer(service, world, clock, lang)
    at = await moved_to(service, at, Address(channel, at.address))
    reply = ("Страница входа ломается каждое утро, отчёты опаздывают. " * 80)[:4095] + "!"
    await service.handle_event(at, ContactEvent(EventKind.TEXT, reply, "r1"))
    clock.advance(timedelta(seconds=5))
    answer = {Language.EN: "Speed is fine", Language.RU: "Скорость нормальная"}[lang]
    await service.handle_event(at, ContactEvent(EventKind.TEXT, answer, "s1"))

    notes, olga, told = await reply_notes_and_sent(service, alert_id, at.address)
    assert [n["text"] for n in notes] == [reply]
    assert not any(answer in text for text in olga)
    assert told.count(t("followup_thanks_survey", lang)) == 1
    async with service.uow() as u:
        conv = await u.conversations.current_for_contact(1 if lang is Language.EN else 2)
        assert conv is not None
        assert [a.text for a in await u.answers.for_conversations([conv.id])][-1] == answer


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_reply_telegram_split_into_pieces_reaches_the_asker_whole(
    service: SurveyService, world: World, clock: FakeClock, lang: Language
) -> None:
    # Telegram sends a long reply as messages of 4,096: the first was the reply, the rest
    # went to the survey as answers to questions they were never about.
    at, alert_id = await asked_after_a_negative_answer(service, world, clock, lang)
    at = await moved_to(service, at, Address(Channel.TELEGRAM, at.address))
    body = ("Страница входа ломается каждое утро, отчёты опаздывают. " * 200)[:10_000]
    pieces = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    for n, piece in enumerate(pieces):
        await service.handle_event(at, ContactEvent(EventKind.TEXT, piece, f"p{n}"))
        clock.advance(timedelta(seconds=1))
    notes, olga, told = await reply_notes_and_sent(service, alert_id, at.address)
    assert [n["text"] for n in notes] == [p.strip() for p in pieces]
    assert [o.split("\n", 1)[1] for o in olga[-3:]] == [p.strip() for p in pieces]
    assert told.count(t("followup_thanks_survey", lang)) == 1  # one paste, one thanks
    async with service.uow() as u:
        conv = await u.conversations.current_for_contact(1 if lang is Language.EN else 2)
        assert conv is not None and conv.current_question == "speed"  # not answered by a piece

    # A message a minute later is no piece: the survey takes it.
    clock.advance(timedelta(minutes=2))
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "Speed is fine", "s1"))
    notes, _, _ = await reply_notes_and_sent(service, alert_id, at.address)
    assert len(notes) == 3


CONTINUES = {Language.EN: "the client's reply continues", Language.RU: "продолжение ответа клиента"}
CORRECTION = {Language.EN: "a correction", Language.RU: "уточнение"}


async def a_reminder(service: SurveyService, clock: FakeClock) -> None:
    """The survey's one reminder (due two days after the invitation) re-asks its question,
    to Anna and to Boris."""
    clock.advance(timedelta(days=2))
    assert (await service.tick()).reminders == 2


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_reminder_sent_after_the_follow_up_takes_the_next_message(
    service: SurveyService, world: World, clock: FakeClock, lang: Language
) -> None:
    # "A survey question sent after the follow-up (a new round, a reminder) takes the next
    # message": the reminder re-asked question 2, yet the message went under the alert.
    at, alert_id = await asked_after_a_negative_answer(service, world, clock, lang)
    await a_reminder(service, clock)
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "Speed is fine", "s1"))
    notes, olga, _ = await reply_notes_and_sent(service, alert_id, at.address)
    assert notes == [] and not any("Speed is fine" in o for o in olga)
    async with service.uow() as u:
        conv = await u.conversations.current_for_contact(1 if lang is Language.EN else 2)
        assert conv is not None
        answers = await u.answers.for_conversations([conv.id])
    assert [(a.question_key, a.text) for a in answers][1:] == [("speed", "Speed is fine")]


async def a_new_round(service: SurveyService, world: World, clock: FakeClock) -> None:
    """The next period's round opens and asks its first question."""
    clock.advance(timedelta(hours=1))
    await service.open_round(world.account.id, "2027-Q1", "Q1")


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
@pytest.mark.parametrize("between", ["reminder", "new round"])
async def test_the_rest_of_a_cut_reply_reaches_the_asker_whatever_the_survey_sent_meanwhile(
    service: SurveyService, world: World, clock: FakeClock, lang: Language, between: str
) -> None:
    # The rest of a cut reply was taken as the reply's only if the survey had asked nothing
    # since the *follow-up* was asked: a reminder or a new round's question in between made
    # the rest the contact was told to send a survey answer, and the asker never got it.
    at, alert_id = await asked_after_a_negative_answer(service, world, clock, lang)
    reply = ("The login page breaks every morning. " * 1300)[:45_000].strip()
    await service.handle_event(at, ContactEvent(EventKind.TEXT, reply, "r1"))
    if between == "new round":
        await a_new_round(service, world, clock)
    else:
        await a_reminder(service, clock)
    async with service.uow() as u:
        conv = await u.conversations.current_for_contact(1 if lang is Language.EN else 2)
        assert conv is not None
        answered = len(await u.answers.for_conversations([conv.id]))
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "…and the reports.", "r2"))

    notes, olga, told = await reply_notes_and_sent(service, alert_id, at.address)
    assert [n["text"] for n in notes][1:] == ["…and the reports."]
    name = "Anna" if lang is Language.EN else "Борис"
    assert olga[-1] == f"The reply from {name} continues (alert #{alert_id}):\n…and the reports."
    # Thanked, and told the survey question still waits: it is not lost.
    assert told[-1] == t("followup_thanks_survey", lang)
    # The timeline says what Olga was told: the reply goes on (no correction).
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
    assert alert is not None
    shown = "\n".join(timeline_lines(alert, lang, "UTC"))
    assert f"{CONTINUES[lang]}: «…and the reports.»" in shown
    assert CORRECTION[lang] not in shown
    async with service.uow() as u:
        assert len(await u.answers.for_conversations([conv.id])) == answered
    # The rest came: the next message is the survey's again.
    await service.handle_event(at, ContactEvent(EventKind.TEXT, "All fine now", "r3"))
    notes, _, _ = await reply_notes_and_sent(service, alert_id, at.address)
    assert len(notes) == 2
    async with service.uow() as u:
        assert len(await u.answers.for_conversations([conv.id])) == answered + 1


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
def test_a_timeline_words_each_further_reply_as_its_asker_was_told(lang: Language) -> None:
    # Notes written before a reply's note said why it went on ("more": True) read the same:
    # right after a deletion a correction, else the reply going on.
    at = "2026-11-02T10:00:00+00:00"
    notes: list[dict[str, object]] = [
        {"kind": "followup", "n": 1, "by": "Olga", "text": "Which part?", "at": at},
        {"kind": "reply", "n": 1, "text": "The login", "at": at},
        {"kind": "reply_deleted", "n": 1, "message_id": "m1", "at": at},
        {"kind": "reply", "n": 1, "text": "Sorry: Mondays", "at": at, "more": True},
        {"kind": "reply", "n": 1, "text": "…and reports", "at": at, "more": True},
        {"kind": "reply", "n": 1, "text": "Fixed words", "at": at, "more": "deleted"},
        {"kind": "reply", "n": 1, "text": "…rest", "at": at, "more": "cut"},
    ]
    alert = Alert(1, 1, 1, 1, AlertStatus.ACKNOWLEDGED, datetime.fromisoformat(at), notes)
    lines = timeline_lines(alert, lang, "UTC")[-4:]
    fixed = {Language.EN: "a correction from the client", Language.RU: "уточнение клиента"}
    assert [fixed[lang] in line for line in lines] == [True, False, True, False]
    assert [CONTINUES[lang] in line for line in lines] == [False, True, False, True]
