"""The outbox worker on SQLite and PostgreSQL: retries, failures, crashes and concurrency."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery import Backoff, DeliveryStats, DeliveryWorker
from storage.db import session_factory
from storage.models import OutboxRow
from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import Address, Channel, ContactStatus, OutboxStatus, OutgoingMessage
from surveys.ports import PermanentDeliveryError, TransientDeliveryError
from surveys.service import SurveyService
from tests.conftest import Database, FakeClock, RecordingMessenger, World


@dataclass(frozen=True, slots=True)
class ExactBackoff(Backoff):
    """The real backoff with the jitter pinned to its top, so delays are exact."""

    def delay(self, attempt: int, rnd: Callable[[], float] = lambda: 1.0) -> float:
        return Backoff.delay(self, attempt, lambda: 1.0)


async def enqueue(
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
    key: str,
    to: str = "anna",
    contact_id: int | None = None,
) -> OutgoingMessage:
    async with uow() as u:
        stored = await u.outbox.enqueue(
            OutgoingMessage(
                recipient=Address(Channel.CONSOLE, to),
                kind="notice",
                payload={"text": f"text of {key}"},
                idempotency_key=key,
                contact_id=contact_id,
                next_attempt_at=clock.now(),
            )
        )
        await u.commit()
    assert stored is not None
    return stored


async def outbox(uow: SqlUnitOfWorkFactory) -> dict[str, OutgoingMessage]:
    async with uow() as u:
        return {m.idempotency_key: m for m in await u.outbox.list()}


def keys(messages: list[OutgoingMessage]) -> list[str]:
    return [m.idempotency_key for m in messages]


def worker(
    uow: SqlUnitOfWorkFactory,
    messenger: object,
    service: SurveyService,
    clock: FakeClock,
    **options: object,
) -> DeliveryWorker:
    return DeliveryWorker(uow, {Channel.CONSOLE: messenger}, service, clock, **options)  # type: ignore[arg-type]


# --- transient failures -------------------------------------------------------------------


async def test_transient_failure_is_retried_later_with_backoff(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
    world: World,
) -> None:
    start = clock.now()
    await enqueue(uow, clock, "k1", contact_id=world.anna.id)
    messenger.failures = [TransientDeliveryError("502 bad gateway")] * 2
    delivery = worker(uow, messenger, service, clock, backoff=ExactBackoff(base=30, cap=900))

    assert await delivery.run_once() == DeliveryStats(retried=1)
    row = (await outbox(uow))["k1"]
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.last_error == "502 bad gateway"
    assert row.next_attempt_at == start + timedelta(seconds=30)

    clock.advance(timedelta(seconds=29))
    assert await delivery.run_once() == DeliveryStats()
    assert messenger.sent == [] and len(messenger.failures) == 1

    # Due now: tried again, fails again, and waits twice as long.
    clock.advance(timedelta(seconds=1))
    assert await delivery.run_once() == DeliveryStats(retried=1)
    row = (await outbox(uow))["k1"]
    assert row.attempts == 2
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)

    clock.advance(timedelta(seconds=59))
    assert await delivery.run_once() == DeliveryStats()
    assert messenger.sent == []

    clock.advance(timedelta(seconds=1))
    assert await delivery.run_once() == DeliveryStats(sent=1)
    assert keys(messenger.sent) == ["k1"]
    row = (await outbox(uow))["k1"]
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 3
    assert row.last_error is None

    clock.advance(timedelta(hours=1))
    assert await delivery.run_once() == DeliveryStats()
    assert keys(messenger.sent) == ["k1"]


async def test_default_backoff_delay_stays_within_jitter_bounds(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
) -> None:
    await enqueue(uow, clock, "k1")
    messenger.failures = [TransientDeliveryError("timeout")]
    delivery = worker(uow, messenger, service, clock, backoff=Backoff(base=10, cap=900))

    await delivery.run_once()
    row = (await outbox(uow))["k1"]
    assert row.next_attempt_at is not None
    wait = row.next_attempt_at - clock.now()
    assert timedelta(seconds=5) <= wait <= timedelta(seconds=10)

    clock.advance(wait - timedelta(milliseconds=1))
    assert await delivery.run_once() == DeliveryStats()
    clock.advance(timedelta(milliseconds=1))
    assert await delivery.run_once() == DeliveryStats(sent=1)


async def test_platform_retry_after_is_honoured_exactly(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
) -> None:
    start = clock.now()
    await enqueue(uow, clock, "k1")
    messenger.failures = [TransientDeliveryError("429 too many requests", retry_after=7.5)]
    # Our own backoff would wait far longer: the platform's figure must win.
    delivery = worker(uow, messenger, service, clock, backoff=ExactBackoff(base=600, cap=900))

    assert await delivery.run_once() == DeliveryStats(retried=1)
    row = (await outbox(uow))["k1"]
    assert row.next_attempt_at == start + timedelta(seconds=7.5)

    clock.advance(timedelta(seconds=7.499))
    assert await delivery.run_once() == DeliveryStats()
    assert messenger.sent == []

    clock.advance(timedelta(milliseconds=1))
    assert await delivery.run_once() == DeliveryStats(sent=1)
    assert keys(messenger.sent) == ["k1"]


async def test_gives_up_after_max_attempts_without_marking_the_contact_unreachable(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
    world: World,
) -> None:
    await enqueue(uow, clock, "k1", contact_id=world.anna.id)
    await enqueue(uow, clock, "k2", contact_id=world.anna.id)
    messenger.failures = [TransientDeliveryError("503")] * 3
    delivery = worker(
        uow, messenger, service, clock, max_attempts=3, backoff=ExactBackoff(base=1, cap=1)
    )

    assert await delivery.run_once() == DeliveryStats(retried=1)
    clock.advance(timedelta(seconds=1))
    assert await delivery.run_once() == DeliveryStats(retried=1)
    clock.advance(timedelta(seconds=1))
    # Third attempt fails: given up. The next message for Anna is not blocked by it.
    assert await delivery.run_once() == DeliveryStats(failed=1, sent=1)

    rows = await outbox(uow)
    assert rows["k1"].status is OutboxStatus.FAILED
    assert rows["k1"].attempts == 3
    assert rows["k1"].last_error is not None and "gave up after 3 attempts" in rows["k1"].last_error
    assert rows["k2"].status is OutboxStatus.SENT
    assert keys(messenger.sent) == ["k2"]
    assert messenger.failures == []
    # No staff notice: running out of retries says nothing about the person.
    assert set(rows) == {"k1", "k2"}
    async with uow() as u:
        anna = await u.contacts.get(world.anna.id)
    assert anna is not None and anna.status is ContactStatus.ACTIVE

    clock.advance(timedelta(days=1))
    assert await delivery.run_once() == DeliveryStats()
    assert keys(messenger.sent) == ["k2"]


# --- permanent failures -------------------------------------------------------------------


async def test_permanent_failure_marks_the_contact_unreachable_and_tells_staff(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
    world: World,
) -> None:
    await enqueue(uow, clock, "anna-1", contact_id=world.anna.id)
    await enqueue(uow, clock, "anna-2", contact_id=world.anna.id)
    await enqueue(uow, clock, "boris-1", to="boris", contact_id=world.boris.id)
    messenger.failures = [PermanentDeliveryError("Forbidden: bot was blocked by the user")]
    delivery = worker(uow, messenger, service, clock)

    stats = await delivery.run_once()
    # anna-1 failed; boris-1 and a notice each to the owner and the manager went out.
    assert stats == DeliveryStats(sent=3, failed=1)

    async with uow() as u:
        anna = await u.contacts.get(world.anna.id)
        boris = await u.contacts.get(world.boris.id)
        messages = await u.outbox.list()
    assert anna is not None and anna.status is ContactStatus.UNREACHABLE
    assert boris is not None and boris.status is ContactStatus.ACTIVE

    by_key = {m.idempotency_key: m for m in messages}
    assert by_key["anna-1"].status is OutboxStatus.FAILED
    assert by_key["anna-1"].last_error == "Forbidden: bot was blocked by the user"
    assert by_key["anna-2"].status is OutboxStatus.FAILED
    assert by_key["anna-2"].attempts == 0  # never handed to the platform
    assert "unreachable" in (by_key["anna-2"].last_error or "")
    assert by_key["boris-1"].status is OutboxStatus.SENT

    notices = [m for m in messages if m.kind == "staff_notice"]
    assert {m.recipient for m in notices} == {
        Address(Channel.CONSOLE, "olga"),
        Address(Channel.CONSOLE, "max"),
    }
    assert all(m.status is OutboxStatus.SENT for m in notices)

    assert messenger.to("anna") == []
    assert keys(messenger.to("boris")) == ["boris-1"]
    [to_owner] = messenger.texts("olga")
    [to_manager] = messenger.texts("max")
    for text in (to_owner, to_manager):
        assert "Anna" in text and "Globex" in text
    assert "unreachable" in to_owner  # the owner reads English
    assert "недоступный" in to_manager  # the manager reads Russian

    # Nothing more goes to Anna, however long we wait.
    clock.advance(timedelta(days=1))
    assert await delivery.run_once() == DeliveryStats()
    assert messenger.to("anna") == []


# --- at most once -------------------------------------------------------------------------


async def test_crash_between_claim_and_record_leaves_the_message_uncertain(
    database: Database,
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
    world: World,
) -> None:
    lease = timedelta(minutes=2)
    first = await enqueue(uow, clock, "k1", contact_id=world.anna.id)
    await enqueue(uow, clock, "k2", contact_id=world.anna.id)
    assert first.id is not None
    # A worker claims the message, then its process dies before sending or recording.
    async with uow() as u:
        claimed = await u.outbox.claim(first.id, clock.now(), clock.now() + lease)
        await u.commit()
    assert claimed is not None and claimed.status is OutboxStatus.SENDING

    # A restarted process, on its own connection pool.
    engine = database.new_engine()
    try:
        restarted = SqlUnitOfWorkFactory(session_factory(engine))
        delivery = worker(restarted, messenger, service, clock, lease=lease)

        # Within the lease the claim is respected, and Anna's next message waits behind it.
        clock.advance(lease)
        assert await delivery.run_once() == DeliveryStats()
        assert messenger.sent == []

        clock.advance(timedelta(seconds=1))
        assert await delivery.run_once() == DeliveryStats(uncertain=1, sent=1)
        assert keys(messenger.sent) == ["k2"]

        rows = await outbox(restarted)
        assert rows["k1"].status is OutboxStatus.UNCERTAIN
        assert rows["k1"].attempts == 1
        assert rows["k2"].status is OutboxStatus.SENT

        clock.advance(timedelta(days=2))
        assert await delivery.run_once() == DeliveryStats()
        assert keys(messenger.sent) == ["k2"]
        assert (await outbox(restarted))["k1"].status is OutboxStatus.UNCERTAIN
    finally:
        await engine.dispose()


class HangingMessenger:
    """A platform call that never returns."""

    def __init__(self) -> None:
        self.channel = Channel.CONSOLE
        self.calls: list[str] = []

    async def send(self, message: OutgoingMessage) -> str | None:
        self.calls.append(message.idempotency_key)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_send_that_hangs_past_the_timeout_is_uncertain_and_not_resent(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
    world: World,
) -> None:
    await enqueue(uow, clock, "k1", contact_id=world.anna.id)
    hanging = HangingMessenger()
    lease = timedelta(seconds=0.2)  # the worker waits lease / 2 = 0.1 s for the platform
    delivery = worker(uow, hanging, service, clock, lease=lease)

    assert await asyncio.wait_for(delivery.run_once(), timeout=10) == DeliveryStats(uncertain=1)
    assert hanging.calls == ["k1"]
    row = (await outbox(uow))["k1"]
    assert row.status is OutboxStatus.UNCERTAIN
    assert row.last_error == "timed out while sending"

    # Neither the same worker nor a healthy one sends it again.
    clock.advance(timedelta(days=1))
    assert await delivery.run_once() == DeliveryStats()
    healthy = worker(uow, messenger, service, clock, lease=lease)
    assert await healthy.run_once() == DeliveryStats()
    assert hanging.calls == ["k1"]
    assert messenger.sent == []
    # The contact is not blamed for it.
    async with uow() as u:
        anna = await u.contacts.get(world.anna.id)
    assert anna is not None and anna.status is ContactStatus.ACTIVE


# --- order and concurrency ----------------------------------------------------------------


async def test_a_recipient_in_retry_holds_back_only_their_own_messages(
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    messenger: RecordingMessenger,
    clock: FakeClock,
    world: World,
) -> None:
    await enqueue(uow, clock, "a1", contact_id=world.anna.id)
    await enqueue(uow, clock, "b1", to="boris", contact_id=world.boris.id)
    await enqueue(uow, clock, "a2", contact_id=world.anna.id)
    await enqueue(uow, clock, "b2", to="boris", contact_id=world.boris.id)
    await enqueue(uow, clock, "a3", contact_id=world.anna.id)
    messenger.failures = [TransientDeliveryError("flood wait", retry_after=30)]
    delivery = worker(uow, messenger, service, clock)

    assert await delivery.run_once() == DeliveryStats(retried=1, sent=2)
    assert keys(messenger.sent) == ["b1", "b2"]
    rows = await outbox(uow)
    assert rows["a1"].status is OutboxStatus.PENDING and rows["a1"].attempts == 1
    # Anna's later messages were due but never tried: they wait for the first.
    assert rows["a2"].status is OutboxStatus.PENDING and rows["a2"].attempts == 0
    assert rows["a3"].status is OutboxStatus.PENDING and rows["a3"].attempts == 0

    clock.advance(timedelta(seconds=29))
    assert await delivery.run_once() == DeliveryStats()

    clock.advance(timedelta(seconds=1))
    assert await delivery.run_once() == DeliveryStats(sent=3)
    assert keys(messenger.to("anna")) == ["a1", "a2", "a3"]
    assert keys(messenger.sent) == ["b1", "b2", "a1", "a2", "a3"]


class SharedLog:
    """One messenger shared by several workers: records every platform call, in order."""

    def __init__(self) -> None:
        self.channel = Channel.CONSOLE
        self.calls: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> str | None:
        self.calls.append(message)
        await asyncio.sleep(0)  # let the other worker run while this one "talks to the API"
        return f"p{len(self.calls)}"


async def test_two_workers_on_two_engines_deliver_each_message_exactly_once(
    database: Database,
    uow: SqlUnitOfWorkFactory,
    service: SurveyService,
    clock: FakeClock,
) -> None:
    recipients = [f"r{i}" for i in range(4)]
    expected: dict[str, list[str]] = {r: [] for r in recipients}
    for n in range(6):
        for r in recipients:
            key = f"{r}:{n}"
            await enqueue(uow, clock, key, to=r)
            expected[r].append(key)

    log = SharedLog()
    engine = database.new_engine()
    try:
        other = SqlUnitOfWorkFactory(session_factory(engine))
        other_service = SurveyService(other, clock, service.analyser, service.policy)
        one = worker(uow, log, service, clock)
        two = worker(other, log, other_service, clock)

        stats = await asyncio.gather(one.run_once(), two.run_once())

        sends = Counter(m.idempotency_key for m in log.calls)
        assert sends == Counter({key: 1 for keys_ in expected.values() for key in keys_})
        assert sum(s.sent for s in stats) == 24
        assert all(s.retried == s.failed == s.uncertain == 0 for s in stats)
        # Each recipient still got their messages in the order they were recorded.
        for r in recipients:
            assert [m.idempotency_key for m in log.calls if m.recipient.address == r] == expected[r]
        rows = await outbox(uow)
        assert {m.status for m in rows.values()} == {OutboxStatus.SENT}
        assert {m.attempts for m in rows.values()} == {1}
        # Every platform id was recorded against exactly one message.
        assert sorted(await _platform_ids(uow), key=str) == sorted(
            (f"p{i}" for i in range(1, 25)), key=str
        )
    finally:
        await engine.dispose()


async def test_claim_is_compare_and_set_across_processes(
    database: Database, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    messages = [await enqueue(uow, clock, f"k{i}", to=f"r{i}") for i in range(5)]
    engine = database.new_engine()
    try:
        other = SqlUnitOfWorkFactory(session_factory(engine))

        async def claim(factory: SqlUnitOfWorkFactory, message_id: int) -> bool:
            async with factory() as u:
                claimed = await u.outbox.claim(
                    message_id, clock.now(), clock.now() + timedelta(minutes=2)
                )
                await u.commit()
            return claimed is not None

        for m in messages:
            assert m.id is not None
            won = await asyncio.gather(claim(uow, m.id), claim(other, m.id))
            assert sorted(won) == [False, True]
    finally:
        await engine.dispose()
    rows = await outbox(uow)
    assert {m.status for m in rows.values()} == {OutboxStatus.SENDING}
    assert {m.attempts for m in rows.values()} == {1}


async def test_claim_refuses_a_message_deferred_since_it_was_listed(
    uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    # Worker B listed the message as due; worker A's attempt then failed with retry_after.
    listed = await enqueue(uow, clock, "k")
    assert listed.id is not None
    async with uow() as u:
        await u.outbox.mark_retry(listed.id, "429", clock.now() + timedelta(seconds=30))
        await u.commit()
    async with uow() as u:
        too_early = await u.outbox.claim(listed.id, clock.now(), clock.now() + timedelta(minutes=2))
        await u.commit()
    assert too_early is None  # B must not send before the platform's retry_after
    clock.advance(timedelta(seconds=30))
    async with uow() as u:
        on_time = await u.outbox.claim(listed.id, clock.now(), clock.now() + timedelta(minutes=2))
        await u.commit()
    assert on_time is not None and on_time.status is OutboxStatus.SENDING


async def test_a_long_backlog_of_one_recipient_does_not_hide_others(
    uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    first = await enqueue(uow, clock, "busy-0", to="busy")
    for i in range(1, 300):
        await enqueue(uow, clock, f"busy-{i}", to="busy")
    await enqueue(uow, clock, "calm-0", to="calm")
    assert first.id is not None
    async with uow() as u:  # the busy recipient's head waits on a retry
        await u.outbox.mark_retry(first.id, "429", clock.now() + timedelta(hours=1))
        heads = await u.outbox.due_heads(clock.now(), 10, [Channel.CONSOLE])
    assert keys(heads) == ["calm-0"]


async def _platform_ids(uow: SqlUnitOfWorkFactory) -> list[str | None]:
    async with uow() as u:
        return list(await u.session.scalars(select(OutboxRow.platform_message_id)))


# --- backoff ------------------------------------------------------------------------------


def test_backoff_grows_exponentially_and_is_capped() -> None:
    backoff = Backoff(base=2.0, cap=60.0)
    top = [backoff.delay(attempt, lambda: 1.0) for attempt in range(1, 9)]
    assert top == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert backoff.delay(0, lambda: 1.0) == 2.0  # never shorter than the base
    assert Backoff().delay(1, lambda: 1.0) == 2.0
    assert Backoff().delay(50, lambda: 1.0) == 900.0  # default cap: 15 minutes
    assert Backoff(base=2.0, cap=60.0).delay(100, lambda: 1.0) == 60.0  # max_attempts limit


@pytest.mark.parametrize("r", [0.0, 0.1, 0.5, 0.9, 0.999999])
def test_backoff_jitter_stays_between_half_and_full_delay(r: float) -> None:
    backoff = Backoff(base=2.0, cap=60.0)
    for attempt, raw in [(1, 2.0), (3, 8.0), (5, 32.0), (9, 60.0)]:
        delay = backoff.delay(attempt, lambda: r)
        assert 0.5 * raw <= delay <= raw
        assert delay == pytest.approx(raw * (0.5 + r / 2))
    assert backoff.delay(4, lambda: 0.0) == 8.0  # the lowest jitter halves the delay


def test_backoff_default_randomness_stays_within_bounds() -> None:
    backoff = Backoff(base=2.0, cap=60.0)
    rnd = random.Random(7)
    delays = [backoff.delay(6, rnd.random) for _ in range(500)]
    assert all(30.0 <= d <= 60.0 for d in delays)
    assert len(set(delays)) > 400  # jitter actually spreads the retries
    assert all(1.0 <= backoff.delay(1) <= 2.0 for _ in range(100))
