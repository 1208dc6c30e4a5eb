"""Re-scoring stored answers after an analyser upgrade."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import (
    Account,
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
    Round,
    Sentiment,
    SentimentLabel,
    Staff,
    StaffRole,
)
from surveys.ports import UnitOfWorkFactory
from surveys.sentiment import BaselineAnalyser
from surveys.sentiment.rescore import RescoreStats, rescore
from tests.conftest import T0

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
