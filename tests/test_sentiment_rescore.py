"""Re-scoring stored answers after an analyser upgrade, on SQLite and PostgreSQL; an alert
older code marked "no longer negative" whose answer reads negative again is marked so, and
the owner's cards, App Home and `/alert` say it (EN and RU), still one alert per answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.slack.blocks import render_update
from bot.slack.listeners.home import home_blocks
from storage.repositories import SqlUnitOfWorkFactory
from surveys import answers as answering
from surveys.alert_changes import change_note
from surveys.alert_desk import still_negative
from surveys.model import (
    Account,
    Address,
    Alert,
    AlertStatus,
    Answer,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Language,
    OutboxStatus,
    OutgoingMessage,
    Round,
    Sentiment,
    SentimentLabel,
    Staff,
    StaffRole,
)
from surveys.ports import UnitOfWorkFactory
from surveys.reporting.labels import L
from surveys.sentiment import BaselineAnalyser
from surveys.sentiment.rescore import RescoreStats, rescore
from surveys.service import SurveyService
from surveys.texts import t
from tests.conftest import POLICY, T0, FakeClock
from tests.test_alert_changes import commands_of, timeline_of

OLD = "old/0"


def old(label: SentimentLabel) -> Sentiment:
    return Sentiment(label, 0.6, [], OLD)


async def seed_answers(uow: UnitOfWorkFactory) -> dict[str, int]:
    """Three answers scored by an older analyser: one it missed, one right, one wrong."""
    async with uow() as u:
        owner = await u.staff.add(Staff(0, "Olga", StaffRole.OWNER, Language.EN))
        account = await u.accounts.add(
            Account(0, "Globex", owner.id, "gold", Language.EN, "Europe/Moscow")
        )
        contact = await u.contacts.add(
            Contact(
                0,
                account.id,
                "Anna",
                ContactLevel.STAKEHOLDER,
                Language.EN,
                ContactStatus.ACTIVE,
                Channel.CONSOLE,
                "anna",
            )
        )
        round_, _ = await u.rounds.get_or_create(Round(0, account.id, "s1", "Sprint 1", T0))
        conv = await u.conversations.add(
            Conversation(
                0,
                round_.id,
                contact.id,
                ConversationStatus.COMPLETED,
                3,
                ["outcome", "speed", "politeness"],
                Language.EN,
                T0,
                T0,
                None,
                T0 + timedelta(days=7),
            )
        )
        ids = {}
        for key, question, text, label in [
            ("bad", "speed", "ужасно долго", SentimentLabel.NEUTRAL),
            ("good", "outcome", "всё отлично", SentimentLabel.POSITIVE),
            ("fine", "politeness", "нормально", SentimentLabel.NEGATIVE),
        ]:
            answer = await u.answers.add(
                Answer(0, conv.id, question, text, T0, f"m-{key}", sentiment=old(label))
            )
            ids[key] = answer.id
        await u.alerts.add_once(Alert(0, ids["fine"], account.id, owner.id, AlertStatus.OPEN, T0))
        await u.commit()
    return ids


async def test_rescore_updates_and_reports_newly_negative(uow: SqlUnitOfWorkFactory) -> None:
    ids = await seed_answers(uow)
    stats = RescoreStats()
    became = await rescore(uow, BaselineAnalyser(), stats=stats)
    assert became == [ids["bad"]]
    assert (stats.scanned, stats.changed, stats.became_negative) == (3, 3, 1)
    assert stats.no_longer_negative == 1
    async with uow() as u:
        answers = {a.id: a for a in await u.answers.for_conversations([1])}
        alerts = await u.alerts.list()
    assert answers[ids["bad"]].sentiment is not None
    assert answers[ids["bad"]].sentiment.label is SentimentLabel.NEGATIVE
    assert all(a.sentiment and a.sentiment.analyser == "baseline/1.0" for a in answers.values())
    assert len(alerts) == 1  # rescoring raises nothing itself; the old alert stays


async def test_rescore_twice_changes_nothing_the_second_time(uow: SqlUnitOfWorkFactory) -> None:
    await seed_answers(uow)
    assert await rescore(uow, BaselineAnalyser()) != []
    stats = RescoreStats()
    assert await rescore(uow, BaselineAnalyser(), stats=stats) == []
    assert (stats.scanned, stats.skipped, stats.changed) == (3, 3, 0)
    forced = RescoreStats()
    assert await rescore(uow, BaselineAnalyser(), force=True, stats=forced) == []
    assert (forced.skipped, forced.changed) == (0, 0)  # same verdicts: nothing written


async def test_dry_run_writes_nothing(uow: SqlUnitOfWorkFactory) -> None:
    ids = await seed_answers(uow)
    changes: list[tuple[Answer, Answer]] = []
    became = await rescore(
        uow, BaselineAnalyser(), dry_run=True, on_change=lambda a, b: changes.append((a, b))
    )
    assert became == [ids["bad"]] and len(changes) == 3
    async with uow() as u:
        stored = await u.answers.get(ids["bad"])
    assert stored is not None and stored.sentiment == old(SentimentLabel.NEUTRAL)
    assert replace(changes[0][0], sentiment=None) == replace(changes[0][1], sentiment=None)


# --- an alert marked "no longer negative" by older code --------------------------------------


class Newer:
    """A newer analyser: the baseline, but «Медленно» / "Slow" in any message is a complaint
    (as code version 8 reads «Медленно» then «Общались нормально»)."""

    name, version, inline = "newer", "8", True

    def __init__(self) -> None:
        self.inner = BaselineAnalyser()

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        found = [w for w in ("Медленно", "Slow") if w in text]
        if found:
            return Sentiment(SentimentLabel.NEGATIVE, 0.8, found, "newer/8")
        return replace(self.inner.analyse(text, question), analyser="newer/8")


NEWER = Newer()
OWNER_CHAT = "7001"
OWNER_U = "U7001"  # the owner is on Slack too: the alert has a card on each
AGAIN = {
    Language.EN: "Re-read by the updated sentiment analysis: this answer reads as negative again.",
    Language.RU: "Ответ перечитан обновлённым анализом тональности: он снова звучит негативно.",
}


async def seed_cleared(
    uow: UnitOfWorkFactory, lang: Language = Language.EN, sentiment: Sentiment | None = None
) -> tuple[int, int]:
    """Beside seed_answers': «Медленно» then «Общались нормально» as one answer, which older
    code read as neutral once the add-on came, so its alert was marked no longer negative and
    the owner's cards (Telegram, Slack) said so. The answer's and its alert's ids."""
    async with uow() as u:
        [owner] = await u.staff.list()
        await u.staff.update(
            replace(owner, language=lang, telegram_user_id=int(OWNER_CHAT), slack_user_id=OWNER_U)
        )
        [account] = await u.accounts.list()
        first = Answer(0, 1, "speed", "Медленно", T0, "m-1", sentiment=old(SentimentLabel.NEGATIVE))
        answer = await u.answers.add(first)
        alert = await u.alerts.add_once(
            Alert(0, answer.id, account.id, owner.id, AlertStatus.OPEN, T0)
        )
        assert alert is not None
        for channel, chat in ((Channel.TELEGRAM, OWNER_CHAT), (Channel.SLACK, OWNER_U)):
            card = OutgoingMessage(
                Address(channel, chat), "alert", {"text": "Медленно"},
                f"alert:{alert.id}:{channel.value}", next_attempt_at=T0,
            )  # fmt: skip
            await u.outbox.enqueue(card)
        at = T0 + timedelta(seconds=20)
        joined, _ = answering.joined(answer, "Общались нормально", Channel.TELEGRAM)
        added = answering.with_added(
            answer, joined, at, ("m-2", "Общались нормально"), Channel.TELEGRAM
        )
        added = replace(added, sentiment=sentiment or old(SentimentLabel.NEUTRAL))
        await u.answers.update(added)
        note = change_note(added, at, negative=False, added=True) | {"flagged_on": ["Медленно"]}
        await u.alerts.set_status(alert.id, AlertStatus.OPEN, note, at)
        await u.commit()
    return answer.id, alert.id


async def card_updates(
    uow: UnitOfWorkFactory, alert_id: int, channel: str
) -> list[OutgoingMessage]:
    """The updates of the alert's card on ``channel``, oldest first (one superseded by a
    newer update before it was sent is left out)."""
    async with uow() as u:
        return [
            m for m in await u.outbox.list()
            if m.kind == "alert_update" and m.status is not OutboxStatus.SUPERSEDED
            and m.payload.get("target") == f"alert:{alert_id}:{channel}"
        ]  # fmt: skip


async def alert_and_cards(uow: UnitOfWorkFactory, answer_id: int) -> tuple[Alert, list[str]]:
    """The answer's one alert, and the lines its Telegram card's updates carry."""
    async with uow() as u:
        [alert] = [a for a in await u.alerts.list() if a.answer_id == answer_id]
    updates = await card_updates(uow, alert.id, "telegram")
    return alert, [str(m.payload.get("status_line")) for m in updates]


async def home_states(service: SurveyService, owner: Staff) -> list[str]:
    """The state each alert has in the owner's Slack App Home, newest first."""
    ctx: Any = SimpleNamespace(service=service)
    blocks = await home_blocks(ctx, owner, owner.language)
    texts = [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]
    return [text.split("[")[1].split("]")[0] for text in texts if text.startswith("*#")]


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_rescore_marks_an_alert_cleared_by_older_code_negative_again(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, lang: Language
) -> None:
    ids = await seed_answers(uow)
    answer_id, alert_id = await seed_cleared(uow, lang)
    alert, _ = await alert_and_cards(uow, answer_id)
    assert not still_negative(alert)

    stats = RescoreStats()
    became = await rescore(uow, NEWER, stats=stats, alerting=POLICY.alerts.raises_alert)
    assert became == [ids["bad"]] and stats.again_ids == [answer_id]
    assert (stats.became_negative, stats.negative_again, stats.no_longer_negative) == (1, 1, 1)

    service = SurveyService(uow, clock, NEWER, POLICY)
    async with uow() as u:
        [owner] = await u.staff.list()
    cleared = {Language.EN: "no longer negative", Language.RU: "больше не негативный"}[lang]
    assert await home_states(service, owner) == [cleared, L("alert.open", lang)]  # «нормально»
    assert await service.alert_rescored(became + stats.again_ids) == 1  # «ужасно долго»'s
    alert, lines = await alert_and_cards(uow, answer_id)
    assert alert.id == alert_id and still_negative(alert)
    assert lines == [AGAIN[lang]]  # the card the owner has now says it, in their language
    [slack] = await card_updates(uow, alert_id, "slack")
    _, blocks = render_update(slack)
    assert [e["text"] for e in blocks[-2]["elements"]] == [f"_{AGAIN[lang]}_"]  # Slack's card
    # App Home, newest first: «ужасно долго»'s new alert, this one, «нормально»'s.
    assert await home_states(service, owner) == [L("alert.open", lang)] * 3
    async with uow() as u:
        cards = [m for m in await u.outbox.list() if m.kind == "alert"]
        stored = await u.answers.get(answer_id)
    # Still one alert, with its one card on each platform; the other is «ужасно долго»'s.
    mine = sorted(
        c.idempotency_key for c in cards if c.idempotency_key.startswith(f"alert:{alert_id}:")
    )
    assert mine == [f"alert:{alert_id}:slack", f"alert:{alert_id}:telegram"] and len(cards) == 3
    assert stored is not None and stored.sentiment is not None
    assert stored.sentiment.evidence == ["Медленно"]

    # Done once: another run, or the same ids again, changes nothing more.
    again = RescoreStats()
    assert await rescore(uow, NEWER, stats=again, alerting=POLICY.alerts.raises_alert) == []
    assert again.again_ids == [] and again.negative_again == 0
    assert await service.alert_rescored([answer_id]) == 0
    assert (await alert_and_cards(uow, answer_id))[1] == [AGAIN[lang]]


async def test_an_answer_rescored_before_this_fix_is_put_right_by_the_next_rescore(
    uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    # Already read by the newer code (so skipped as current), its alert still marked cleared.
    await seed_answers(uow)
    newer = Sentiment(SentimentLabel.NEGATIVE, 0.8, ["Медленно"], "newer/8")
    answer_id, _ = await seed_cleared(uow, sentiment=newer)
    stats = RescoreStats()
    await rescore(uow, NEWER, stats=stats, alerting=POLICY.alerts.raises_alert)
    assert stats.again_ids == [answer_id] and stats.negative_again == 1
    await SurveyService(uow, clock, NEWER, POLICY).alert_rescored(stats.again_ids)
    alert, lines = await alert_and_cards(uow, answer_id)
    assert still_negative(alert) and lines == [AGAIN[Language.EN]]


async def test_a_dry_run_counts_alerts_negative_again_and_changes_none(
    uow: SqlUnitOfWorkFactory,
) -> None:
    await seed_answers(uow)
    answer_id, _ = await seed_cleared(uow)
    stats = RescoreStats()
    await rescore(uow, NEWER, dry_run=True, stats=stats, alerting=POLICY.alerts.raises_alert)
    assert stats.negative_again == 1 and stats.again_ids == [answer_id]
    alert, lines = await alert_and_cards(uow, answer_id)
    assert not still_negative(alert) and lines == []


async def test_below_the_alert_threshold_an_alert_stays_cleared(
    uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    # Read negative, but not surely enough to alert on: it would not have been raised.
    await seed_answers(uow)
    answer_id, _ = await seed_cleared(uow)
    strict = replace(POLICY, alerts=replace(POLICY.alerts, threshold=0.9))
    stats = RescoreStats()
    await rescore(uow, NEWER, stats=stats, alerting=strict.alerts.raises_alert)
    assert stats.again_ids == [] and stats.negative_again == 0
    await SurveyService(uow, clock, NEWER, strict).alert_rescored([answer_id])
    alert, lines = await alert_and_cards(uow, answer_id)
    assert not still_negative(alert) and lines == []


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_edit_after_the_upgrade_says_negative_again_then_an_edit_clears_it(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, lang: Language
) -> None:
    # The same answer, not re-scored: the client edits the add-on, the newer code reads the
    # answer negative (again, not "still"); then they edit the complaint away: cleared again.
    await seed_answers(uow)
    answer_id, _ = await seed_cleared(uow, lang)
    service = SurveyService(uow, clock, NEWER, POLICY)
    anna = Address(Channel.CONSOLE, "anna")
    await service.handle_edit(anna, "m-2", "Общались нормально, спасибо")
    alert, lines = await alert_and_cards(uow, answer_id)
    assert still_negative(alert)
    assert lines == [
        {
            Language.EN: "The client edited this answer; it reads as negative again.",
            Language.RU: "Клиент исправил этот ответ; он снова звучит негативно.",
        }[lang]
    ]
    await service.handle_edit(anna, "m-1", "Быстро")
    alert, lines = await alert_and_cards(uow, answer_id)
    assert not still_negative(alert)
    assert lines == [t("alert_cleared", lang)]  # the unsent one above is superseded


async def test_rescore_then_an_edit_clears_the_alert_again(
    uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    await seed_answers(uow)
    answer_id, _ = await seed_cleared(uow)
    stats = RescoreStats()
    await rescore(uow, NEWER, stats=stats, alerting=POLICY.alerts.raises_alert)
    service = SurveyService(uow, clock, NEWER, POLICY)
    await service.alert_rescored(stats.again_ids)
    await service.handle_edit(Address(Channel.CONSOLE, "anna"), "m-1", "Быстро")
    alert, lines = await alert_and_cards(uow, answer_id)
    assert not still_negative(alert)
    assert lines[-1] == t("alert_cleared", Language.EN)
    async with uow() as u:
        assert len([a for a in await u.alerts.list() if a.answer_id == answer_id]) == 1


@pytest.mark.parametrize(
    ("lang", "cleared", "reread"),
    [
        (Language.EN, "09:00 · it no longer reads as negative",
         "10:00 · re-read by the updated sentiment analysis: it reads as negative again"),
        (Language.RU, "09:00 · больше не звучит негативно",
         "10:00 · ответ перечитан обновлённым анализом тональности: снова звучит негативно"),
    ],
)  # fmt: skip
async def test_alert_timeline_shows_the_alert_read_negative_again(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, lang: Language, cleared: str, reread: str
) -> None:
    await seed_answers(uow)
    _, alert_id = await seed_cleared(uow, lang)
    stats = RescoreStats()
    await rescore(uow, NEWER, stats=stats, alerting=POLICY.alerts.raises_alert)
    clock.set(T0 + timedelta(hours=1))
    service = SurveyService(uow, clock, NEWER, POLICY)
    await service.alert_rescored(stats.again_ids)
    async with uow() as u:
        [owner] = await u.staff.list()
    owner = replace(owner, timezone="UTC")
    timeline = await timeline_of(commands_of(uow, clock, service), owner, alert_id)
    assert [line[11:] for line in timeline[1:4]] == [
        {Language.EN: "09:00 · the client added to the answer: «Общались нормально»",
         Language.RU: "09:00 · клиент дополнил ответ: «Общались нормально»"}[lang],
        cleared,
        reread,
    ]  # fmt: skip

    # The client's edit that reads negative says "again" there too.
    clock.set(T0 + timedelta(hours=2))
    await service.handle_edit(Address(Channel.CONSOLE, "anna"), "m-1", "Быстро")
    clock.set(T0 + timedelta(hours=3))
    await service.handle_edit(Address(Channel.CONSOLE, "anna"), "m-1", "Медленно, очень")
    timeline = await timeline_of(commands_of(uow, clock, service), owner, alert_id)
    assert [line[11:] for line in timeline[4:8]] == {
        Language.EN: ["11:00 · the client edited the answer; before: «Медленно»",
                      "11:00 · it no longer reads as negative",
                      "12:00 · the client edited the answer; before: «Быстро»",
                      "12:00 · it reads as negative again"],
        Language.RU: ["11:00 · клиент исправил ответ; было: «Медленно»",
                      "11:00 · больше не звучит негативно",
                      "12:00 · клиент исправил ответ; было: «Быстро»",
                      "12:00 · снова звучит негативно"],
    }[lang]  # fmt: skip
