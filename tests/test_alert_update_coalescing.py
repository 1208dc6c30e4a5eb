"""Edits of one message coalesce in the outbox, on SQLite and PostgreSQL: a queued
`alert_update` (the owner's alert) or `census_progress_update` (the census starter's
progress message) is settled unsent when a newer one for the same message is recorded,
never one already in flight, never a first send, and the newest always reaches the
platform; and such an edit is picked before other chats' first messages recorded
earlier, never before its own message or an earlier one to its chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import COALESCING_KINDS, Address, Channel, OutboxStatus, OutgoingMessage
from surveys.ports import TransientDeliveryError
from surveys.service import SurveyService
from tests.conftest import FakeClock, RecordingMessenger

OLGA = Address(Channel.TELEGRAM, "1001")
ALERT = "alert:1:telegram"


# Each kind that coalesces, and the kind of the first send it edits. Every test below runs
# for each; the edited message is called ALERT throughout.
FIRST_SENDS = {"alert_update": "alert", "census_progress_update": "census_progress"}


def test_every_coalescing_kind_is_tested() -> None:
    assert set(FIRST_SENDS) == COALESCING_KINDS


@dataclass(frozen=True, slots=True)
class Edits:
    kind: str

    def update(self, n: int, target: str = ALERT, to: Address = OLGA) -> OutgoingMessage:
        return OutgoingMessage(
            recipient=to,
            kind=self.kind,
            payload={"target": target, "text": f"the answer after change {n}"},
            idempotency_key=f"update:{target}:{n}",
            next_attempt_at=None,
        )

    def first_send(self, key: str = ALERT, to: Address = OLGA) -> OutgoingMessage:
        return OutgoingMessage(
            recipient=to,
            kind=FIRST_SENDS[self.kind],
            payload={"text": f"alert {key}"},
            idempotency_key=key,
        )


@pytest.fixture(params=sorted(FIRST_SENDS))
def edits(request: pytest.FixtureRequest) -> Edits:
    return Edits(request.param)


async def record(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, message: OutgoingMessage, *, coalesce: bool
) -> OutgoingMessage:
    """What the alert desk and the census progress message do: record the message and, for
    an edit, supersede older ones."""
    async with uow() as u:
        stored = await u.outbox.enqueue(
            OutgoingMessage(
                recipient=message.recipient,
                kind=message.kind,
                payload=message.payload,
                idempotency_key=message.idempotency_key,
                next_attempt_at=clock.now(),
            )
        )
        assert stored is not None
        if coalesce:
            await u.outbox.supersede_older(stored)
        await u.commit()
    return stored


async def statuses(uow: SqlUnitOfWorkFactory) -> dict[str, OutboxStatus]:
    async with uow() as u:
        return {m.idempotency_key: m.status for m in await u.outbox.list()}


def worker(
    uow: SqlUnitOfWorkFactory, messenger: Any, service: SurveyService, clock: FakeClock
) -> DeliveryWorker:
    return DeliveryWorker(uow, {Channel.TELEGRAM: messenger}, service, clock)


async def test_queued_edits_of_one_message_send_only_the_newest(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    tg = RecordingMessenger(Channel.TELEGRAM)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await worker(uow, tg, service, clock).run_once()
    for n in range(1, 6):
        await record(uow, clock, edits.update(n), coalesce=True)

    stats = await worker(uow, tg, service, clock).run_once()

    assert stats.sent == 1
    [alert, edit] = tg.sent
    assert alert.kind == FIRST_SENDS[edits.kind]
    assert edit.payload["text"] == "the answer after change 5"
    assert edit.payload["target_id"] == "m1"  # it edits the alert's message
    assert await statuses(uow) == {
        ALERT: OutboxStatus.SENT,
        **{f"update:{ALERT}:{n}": OutboxStatus.SUPERSEDED for n in range(1, 5)},
        f"update:{ALERT}:5": OutboxStatus.SENT,
    }
    # A superseded row keeps no copy of the text the newer one carries.
    async with uow() as u:
        superseded = await u.outbox.list(OutboxStatus.SUPERSEDED.value)
    assert all(set(m.payload) == {"target", "superseded_by"} for m in superseded)


async def test_an_edit_in_flight_is_not_lost_and_the_newest_follows_it(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    class ChangesWhileSending(RecordingMessenger):
        """The client writes twice more while edit 1 is with Telegram."""

        async def send(self, message: OutgoingMessage) -> str | None:
            if message.idempotency_key == f"update:{ALERT}:1":
                await record(uow, clock, edits.update(2), coalesce=True)
                await record(uow, clock, edits.update(3), coalesce=True)
                assert (await statuses(uow))[message.idempotency_key] is OutboxStatus.SENDING
            return await super().send(message)

    tg = ChangesWhileSending(Channel.TELEGRAM)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await record(uow, clock, edits.update(1), coalesce=True)

    await worker(uow, tg, service, clock).run_once()

    # Edit 1 was in flight: it went out; 2 was queued behind it and overtaken by 3.
    assert [m.idempotency_key for m in tg.sent] == [ALERT] + [f"update:{ALERT}:{n}" for n in (1, 3)]
    assert tg.sent[-1].payload["text"] == "the answer after change 3"
    assert (await statuses(uow))[f"update:{ALERT}:2"] is OutboxStatus.SUPERSEDED


async def test_an_edit_back_from_a_failed_try_gives_way_to_a_newer_one(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    class RateLimitedOnce(RecordingMessenger):
        """Telegram refuses edit 1 (429) while the client writes again."""

        failed = False

        async def send(self, message: OutgoingMessage) -> str | None:
            if message.idempotency_key == f"update:{ALERT}:1" and not self.failed:
                self.failed = True
                await record(uow, clock, edits.update(2), coalesce=True)  # 1 is in flight
                raise TransientDeliveryError("Too Many Requests", retry_after=3)
            return await super().send(message)

    tg = RateLimitedOnce(Channel.TELEGRAM)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await record(uow, clock, edits.update(1), coalesce=True)
    deliver = worker(uow, tg, service, clock)
    first = await deliver.run_once()
    assert (first.sent, first.retried) == (1, 1)  # the alert; edit 1 back to pending

    clock.advance(timedelta(seconds=5))
    second = await deliver.run_once()

    # Edit 1 is not sent after all: edit 2, behind it, shows everything it would have.
    assert (second.superseded, second.sent) == (1, 1)
    assert [m.idempotency_key for m in tg.sent] == [ALERT, f"update:{ALERT}:2"]
    assert (await statuses(uow))[f"update:{ALERT}:1"] is OutboxStatus.SUPERSEDED


async def test_a_claimed_edit_is_never_superseded(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    # The worker claimed edit 1 (committed) before the newer one was recorded: the
    # compare-and-set on "pending" leaves it to the worker, whatever comes of the call.
    await record(uow, clock, edits.first_send(), coalesce=False)
    one = await record(uow, clock, edits.update(1), coalesce=True)
    async with uow() as u:
        assert one.id is not None
        assert await u.outbox.claim(one.id, clock.now(), clock.now()) is not None
        await u.commit()
    await record(uow, clock, edits.update(2), coalesce=True)
    assert (await statuses(uow))[f"update:{ALERT}:1"] is OutboxStatus.SENDING
    assert (await statuses(uow))[f"update:{ALERT}:2"] is OutboxStatus.PENDING


async def test_first_sends_other_messages_and_other_recipients_never_coalesce(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    max_ = Address(Channel.TELEGRAM, "1002")
    tg = RecordingMessenger(Channel.TELEGRAM)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await record(uow, clock, edits.first_send("alert:2:telegram"), coalesce=False)
    await record(uow, clock, edits.first_send("alert:1:fwd:2", to=max_), coalesce=False)
    await record(uow, clock, edits.update(1), coalesce=True)
    await record(uow, clock, edits.update(1, target="alert:2:telegram"), coalesce=True)
    await record(uow, clock, edits.update(1, target="alert:1:fwd:2", to=max_), coalesce=True)
    await record(uow, clock, edits.update(2), coalesce=True)

    await worker(uow, tg, service, clock).run_once()

    assert await statuses(uow) == {
        ALERT: OutboxStatus.SENT,
        "alert:2:telegram": OutboxStatus.SENT,
        "alert:1:fwd:2": OutboxStatus.SENT,
        f"update:{ALERT}:1": OutboxStatus.SUPERSEDED,
        "update:alert:2:telegram:1": OutboxStatus.SENT,
        "update:alert:1:fwd:2:1": OutboxStatus.SENT,
        f"update:{ALERT}:2": OutboxStatus.SENT,
    }
    assert len(tg.sent) == 6


# --- an edit does not wait behind other people's first messages -----------------------------


def first_question(n: int) -> OutgoingMessage:
    """A census's first question to contact n: one per chat, all recorded before the edit."""
    return OutgoingMessage(
        recipient=Address(Channel.TELEGRAM, str(2000 + n)),
        kind="question",
        payload={"text": f"question to contact {n}"},
        idempotency_key=f"census:q:{n}",
    )


def sent_keys(tg: RecordingMessenger) -> list[str]:
    return [m.idempotency_key for m in tg.sent]


async def test_an_edit_goes_before_first_messages_to_others_recorded_earlier(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    # The staff chat's message is out; then a census queues many first questions, and the
    # starter presses Pause: the edit must not wait behind every other chat's backlog.
    tg = RecordingMessenger(Channel.TELEGRAM)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await worker(uow, tg, service, clock).run_once()
    for n in range(12):
        await record(uow, clock, first_question(n), coalesce=False)
    await record(uow, clock, edits.update(1), coalesce=True)

    deliver = DeliveryWorker(uow, {Channel.TELEGRAM: tg}, service, clock, batch=3)
    stats = await deliver.run_once()

    assert stats.sent == 13
    assert sent_keys(tg) == [ALERT, f"update:{ALERT}:1"] + [f"census:q:{n}" for n in range(12)]
    assert tg.sent[1].payload["target_id"] == "m1"


async def test_an_edit_never_goes_before_its_own_message_or_earlier_ones_to_its_chat(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    # The edited message and an earlier notice to the same chat are still queued, behind
    # other chats' first questions: the edit waits for both, and then goes at once.
    tg = RecordingMessenger(Channel.TELEGRAM)
    for n in range(4):
        await record(uow, clock, first_question(n), coalesce=False)
    notice = OutgoingMessage(
        recipient=OLGA, kind="staff_notice", payload={"text": "a notice"}, idempotency_key="note"
    )
    await record(uow, clock, notice, coalesce=False)
    for n in range(4, 8):
        await record(uow, clock, first_question(n), coalesce=False)
    await record(uow, clock, edits.first_send(), coalesce=False)
    for n in range(8, 14):
        await record(uow, clock, first_question(n), coalesce=False)
    await record(uow, clock, edits.update(1), coalesce=True)

    deliver = DeliveryWorker(uow, {Channel.TELEGRAM: tg}, service, clock, batch=3)
    stats = await deliver.run_once()

    assert stats.sent == 17
    order = sent_keys(tg)
    assert [k for k in order if not k.startswith("census:q:")] == [
        "note",
        ALERT,
        f"update:{ALERT}:1",
    ]
    # Once its message is out, the edit is next in the following pick, ahead of the
    # questions still queued; the questions keep their recorded order among themselves.
    assert order.index(f"update:{ALERT}:1") < order.index("census:q:13")
    assert [k for k in order if k.startswith("census:q:")] == [f"census:q:{n}" for n in range(14)]
    assert tg.sent[order.index(f"update:{ALERT}:1")].payload["target_id"] == (
        f"m{order.index(ALERT) + 1}"
    )
