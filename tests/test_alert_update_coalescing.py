"""Edits of one message coalesce in the outbox, on SQLite and PostgreSQL: a queued
`alert_update` (the owner's alert) or `census_progress_update` (the census starter's
progress message) is settled unsent when a newer one for the same message is recorded,
never one already in flight, never a first send, and the newest always reaches the
platform; and such an edit is picked before other chats' first messages recorded
earlier, never before its own message or an earlier one to its chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWork, SqlUnitOfWorkFactory
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


# --- nor behind the batch the worker already fetched -----------------------------------------


class ClaimOrder(SqlUnitOfWorkFactory):
    """The worker's database, noting the order it claims messages in (the order it takes
    them up; concurrent sends may then reach the platform in another) and how many it had
    claimed when a message's delivery was committed."""

    def __init__(self, uow: SqlUnitOfWorkFactory) -> None:
        super().__init__(uow.sessions)
        self.claims: list[int] = []
        self.claimed_when_sent: dict[int, int] = {}
        self.looks = 0  # how often it asked for due edits

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlUnitOfWork]:
        async with super().__call__() as u:
            claim, mark_sent, sent = u.outbox.claim, u.outbox.mark_sent, []
            due_edits = u.outbox.due_edits

            async def noted_look(*args: Any) -> list[OutgoingMessage]:
                self.looks += 1
                return await due_edits(*args)

            async def noted_claim(message_id: int, *args: Any) -> OutgoingMessage | None:
                self.claims.append(message_id)
                return await claim(message_id, *args)

            async def noted_sent(message_id: int, *args: Any) -> None:
                sent.append(message_id)
                await mark_sent(message_id, *args)

            u.outbox.claim, u.outbox.mark_sent = noted_claim, noted_sent  # type: ignore[method-assign]
            u.outbox.due_edits = noted_look  # type: ignore[method-assign]
            yield u
            for message_id in sent:  # committed (the worker commits before it leaves)
                self.claimed_when_sent[message_id] = len(self.claims)


class EditsWhileSending(RecordingMessenger):
    """Each send takes ``pace`` of the clock (Slack's conversations.open allows about one
    a second); records ``edit`` (as the census loop or the alert desk would) while
    ``during`` is with the platform, long after the worker fetched its batch. ``mark`` is
    how many messages the worker had claimed once the edit was committed."""

    def __init__(
        self,
        uow: SqlUnitOfWorkFactory,
        clock: FakeClock,
        during: str,
        edit: OutgoingMessage,
        seen: ClaimOrder,
        pace: timedelta = timedelta(seconds=1.2),
    ) -> None:
        super().__init__(Channel.TELEGRAM)
        self.uow, self.clock, self.during, self.edit, self.seen = uow, clock, during, edit, seen
        self.pace = pace
        self.mark = -1

    async def send(self, message: OutgoingMessage) -> str | None:
        if message.idempotency_key == self.during:
            await record(self.uow, self.clock, self.edit, coalesce=True)
            self.mark = len(self.seen.claims)
        self.clock.advance(self.pace)
        return await super().send(message)


async def ids(uow: SqlUnitOfWorkFactory) -> dict[str, int]:
    async with uow() as u:
        return {m.idempotency_key: m.id or 0 for m in await u.outbox.list()}


def questions_once(order: list[str], count: int) -> bool:
    """Each question went once (concurrent sends to different chats may start in any order)."""
    return sorted(k for k in order if k.startswith("census:q:")) == sorted(
        f"census:q:{n}" for n in range(count)
    )


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_an_edit_recorded_during_a_pass_goes_before_the_rest_of_its_batch(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    clock: FakeClock,
    edits: Edits,
    concurrency: int,
) -> None:
    # The starter presses Pause while the worker hands out a batch of 25 first questions:
    # the edit is taken up as soon as a send finishes, not after the other 24.
    seen = ClaimOrder(uow)
    tg = EditsWhileSending(uow, clock, "census:q:0", edits.update(1), seen)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await worker(uow, tg, service, clock).run_once()
    for n in range(30):
        await record(uow, clock, first_question(n), coalesce=False)

    deliver = DeliveryWorker(
        seen, {Channel.TELEGRAM: tg}, service, clock, batch=25, concurrency=concurrency
    )
    stats = await deliver.run_once()

    assert stats.sent == 31
    assert questions_once(sent_keys(tg), 30)
    # Claimed next, or at most after the other slots' messages already being taken up.
    edit = seen.claims.index((await ids(uow))[f"update:{ALERT}:1"])
    assert 0 < tg.mark <= edit <= tg.mark + concurrency - 1
    [sent] = [m for m in tg.sent if m.idempotency_key == f"update:{ALERT}:1"]
    assert sent.payload["target_id"] == "m1"


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_an_edit_recorded_during_a_pass_still_waits_for_its_own_message(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    clock: FakeClock,
    edits: Edits,
    concurrency: int,
) -> None:
    # The edited message is itself in the fetched batch, behind 12 other chats' questions:
    # the edit is taken up once that message is out, without waiting for the rest.
    seen = ClaimOrder(uow)
    tg = EditsWhileSending(uow, clock, "census:q:0", edits.update(1), seen)
    for n in range(12):
        await record(uow, clock, first_question(n), coalesce=False)
    await record(uow, clock, edits.first_send(), coalesce=False)
    for n in range(12, 24):
        await record(uow, clock, first_question(n), coalesce=False)

    deliver = DeliveryWorker(
        seen, {Channel.TELEGRAM: tg}, service, clock, batch=50, concurrency=concurrency
    )
    stats = await deliver.run_once()

    assert stats.sent == 26
    order = sent_keys(tg)
    assert questions_once(order, 24)
    assert order.index(ALERT) < order.index(f"update:{ALERT}:1")
    key = await ids(uow)
    out = seen.claimed_when_sent[key[ALERT]]
    assert out <= seen.claims.index(key[f"update:{ALERT}:1"]) <= out + concurrency - 1
    assert tg.sent[order.index(f"update:{ALERT}:1")].payload["target_id"] == (
        f"m{order.index(ALERT) + 1}"
    )


async def test_a_pass_asks_for_due_edits_at_most_every_edit_poll(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, edits: Edits
) -> None:
    # Telegram's pace: 30 sends in 3 s of the clock ask for edits 6 times, not 30.
    seen = ClaimOrder(uow)
    fast = timedelta(seconds=0.1)
    tg = EditsWhileSending(uow, clock, "census:q:12", edits.update(1), seen, pace=fast)
    await record(uow, clock, edits.first_send(), coalesce=False)
    await worker(uow, tg, service, clock).run_once()
    for n in range(30):
        await record(uow, clock, first_question(n), coalesce=False)

    deliver = DeliveryWorker(seen, {Channel.TELEGRAM: tg}, service, clock, batch=50)
    assert deliver.edit_poll == timedelta(seconds=0.5)
    stats = await deliver.run_once()

    assert stats.sent == 31
    assert 5 <= seen.looks <= 6
    # Still well ahead of the batch: within half a second's sends of being recorded.
    edit = seen.claims.index((await ids(uow))[f"update:{ALERT}:1"])
    assert tg.mark <= edit <= tg.mark + 5


async def test_due_edits_lists_only_edits_that_head_their_chat_and_are_due(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, edits: Edits
) -> None:
    chats = [Address(Channel.TELEGRAM, str(3000 + n)) for n in range(6)]
    # 0: its own message still waits; 1: an earlier message to its chat is being sent;
    # 2: back from a failed try, due later; 3 and 4: due, heading their chats; 5: Slack.
    await record(uow, clock, edits.first_send("a0", chats[0]), coalesce=False)
    sending = await record(
        uow, clock, OutgoingMessage(chats[1], "question", {"text": "q"}, "q1"), coalesce=False
    )
    for n in range(6):
        to = chats[n] if n < 5 else Address(Channel.SLACK, "U5")
        await record(uow, clock, edits.update(1, target=f"a{n}", to=to), coalesce=True)
    key = await ids(uow)
    async with uow() as u:
        assert sending.id is not None
        assert await u.outbox.claim(sending.id, clock.now(), clock.now() + timedelta(minutes=2))
        await u.outbox.mark_retry(key["update:a2:1"], "429", clock.now() + timedelta(seconds=3))
        await u.commit()

    async with uow() as u:
        due = await u.outbox.due_edits(clock.now(), 10, [Channel.TELEGRAM])
        one = await u.outbox.due_edits(clock.now(), 1, [Channel.TELEGRAM])
        both = await u.outbox.due_edits(clock.now(), 10, [Channel.TELEGRAM, Channel.SLACK])
    assert [m.idempotency_key for m in due] == ["update:a3:1", "update:a4:1"]
    assert [m.idempotency_key for m in one] == ["update:a3:1"]
    assert [m.idempotency_key for m in both] == ["update:a3:1", "update:a4:1", "update:a5:1"]

    clock.advance(timedelta(seconds=3))
    async with uow() as u:
        due = await u.outbox.due_edits(clock.now(), 10, [Channel.TELEGRAM])
    assert [m.idempotency_key for m in due] == ["update:a2:1", "update:a3:1", "update:a4:1"]
