"""A whole round through the service, outbox and delivery worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys.conversation import ContactEvent, EventKind
from surveys.model import (
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    ConversationStatus,
    Language,
    OutboxStatus,
    SentimentLabel,
)
from surveys.service import SurveyService
from tests.conftest import FakeClock, RecordingMessenger, World


def text(body: str, message_id: str) -> ContactEvent:
    return ContactEvent(EventKind.TEXT, body, message_id)


async def test_full_round_asks_three_questions_in_order_and_thanks(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
) -> None:
    opened = await service.open_round(world.account.id, "sprint-14", "Sprint 14")
    assert opened.created and opened.invited == 2
    await delivery.run_once()
    # One message each: the invitation, then the first question with its buttons.
    assert [m.kind for m in messenger.to("anna")] == ["question"]
    assert messenger.texts("anna")[0].startswith("Hello, Anna!")
    assert "Are you satisfied with the result" in messenger.texts("anna")[0]
    assert "Довольны ли вы результатом" in messenger.texts("boris")[0]  # contact's language

    for i, answer in enumerate(["Great result, thanks", "Fast enough", "Always polite"]):
        await service.handle_event(world.anna_at, text(answer, f"a{i}"))
        await delivery.run_once()

    kinds = [m.kind for m in messenger.to("anna")]
    assert kinds == ["question", "question", "question", "thanks"]
    questions = [m.payload["question_key"] for m in messenger.to("anna") if m.kind == "question"]
    assert questions == ["outcome", "speed", "politeness"]

    summary = await service.round_summary(opened.round.id)
    anna_row = next(r for r in summary.rows if r.contact == "Anna")
    assert anna_row.status is ConversationStatus.COMPLETED
    assert {k: c.text for k, c in anna_row.cells.items()} == {
        "outcome": "Great result, thanks",
        "speed": "Fast enough",
        "politeness": "Always polite",
    }
    assert anna_row.cells["outcome"].label is SentimentLabel.POSITIVE
    assert summary.responded == 1 and summary.invited == 2
    async with uow() as u:
        assert {m.status for m in await u.outbox.list()} == {OutboxStatus.SENT}
        assert await u.alerts.list() == []


async def test_a_round_never_asks_a_contact_who_is_staff(
    service: SurveyService, messenger: RecordingMessenger, delivery: DeliveryWorker,
    world: World, uow: SqlUnitOfWorkFactory,
) -> None:  # fmt: skip
    # Olga's chat was a stakeholder's before she became our owner (staff are refused as
    # contacts since): she gets the alerts, not the questions.
    async with uow() as u:
        await u.contacts.add(
            Contact(0, world.account.id, "Olga", ContactLevel.STAKEHOLDER, Language.EN,
                    ContactStatus.ACTIVE, Channel.CONSOLE, "olga")
        )  # fmt: skip
        await u.commit()
    opened = await service.open_round(world.account.id, "sprint-14", "Sprint 14")
    assert opened.invited == 2
    await delivery.run_once()
    assert messenger.to("olga") == []
    assert messenger.to("anna") and messenger.to("boris")


async def test_same_round_requested_twice_creates_one_round(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory
) -> None:
    first = await service.open_round(world.account.id, "2026-Q3", "2026-Q3")
    again = await service.open_round(world.account.id, "2026-Q3", "2026-Q3")
    assert first.created and not again.created
    assert again.round.id == first.round.id
    async with uow() as u:
        assert len(await u.rounds.for_account(world.account.id)) == 1
        assert len(await u.conversations.for_round(first.round.id)) == 2
        # Invitation and first question per contact, recorded once.
        assert len(await u.outbox.list()) == 2  # one message per contact


async def test_same_round_requested_concurrently_creates_one_round(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory
) -> None:
    results = await asyncio.gather(
        *(service.open_round(world.account.id, "2026-H2", "2026-H2") for _ in range(4))
    )
    assert sum(r.created for r in results) == 1
    assert len({r.round.id for r in results}) == 1
    async with uow() as u:
        assert len(await u.rounds.for_account(world.account.id)) == 1
        assert len(await u.outbox.list()) == 2  # one message per contact


async def test_negative_answer_gives_exactly_one_alert_to_the_owner(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    await service.handle_event(world.anna_at, text("Not happy at all, terrible result", "n1"))
    await service.handle_event(world.anna_at, text("Not happy at all, terrible result", "n1"))
    await delivery.run_once()

    async with uow() as u:
        alerts = await u.alerts.list()
    assert len(alerts) == 1
    assert alerts[0].owner_id == world.owner.id
    to_owner = messenger.to("olga")
    assert len(to_owner) == 1 and to_owner[0].kind == "alert"
    fields = to_owner[0].payload["alert"]
    assert fields["account"] == "Globex"
    assert fields["contact"] == "Anna"
    assert fields["question_key"] == "outcome"
    assert fields["answer"] == "Not happy at all, terrible result"
    assert fields["evidence"]  # the words that decided it
    assert (
        "terrible" in " ".join(fields["evidence"]).lower()
        or "not happy" in " ".join(fields["evidence"]).lower()
    )

    # Editing the answer (still negative) keeps exactly one alert and sends nothing new.
    clock.advance(__import__("datetime").timedelta(minutes=5))
    await service.handle_edit(world.anna_at, "n1", "Not happy, the result is bad")
    await delivery.run_once()
    async with uow() as u:
        assert len(await u.alerts.list()) == 1
    assert len(messenger.to("olga")) == 1
