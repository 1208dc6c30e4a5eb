"""The outbox worker: delivers recorded messages, retries what may succeed later.

Delivery guarantee: *at most once* per recorded message. A message is claimed (status
"sending", committed) before the platform call and settled right after it. If the process
dies between the two, the message stays "sending" until its lease runs out and is then
marked "uncertain" — never resent, because Telegram and Slack offer no way to ask whether
it arrived. At most ``concurrency`` messages are in flight, so a crash leaves at most that
many uncertain; the conversation's reminder re-asks its question later.

Edits that carry a message's whole current state (``COALESCING_KINDS``) coalesce: recording
one supersedes the queued ones before it; one that went back to pending after a failed
try while a newer one was recorded is settled as superseded here instead of sent.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot import metrics
from surveys.model import COALESCING_KINDS, Channel, Document, OutgoingMessage
from surveys.ports import (
    Clock,
    Messenger,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnitOfWorkFactory,
)
from surveys.service import SurveyService

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter, so retries from many messages do not align."""

    base: float = 2.0
    cap: float = 900.0

    def delay(self, attempt: int, rnd: Callable[[], float] = random.random) -> float:
        raw = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return raw * (0.5 + rnd() / 2)


@dataclass(slots=True)
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: int = 0
    superseded: int = 0


class DeliveryWorker:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messengers: Mapping[Channel, Messenger],
        service: SurveyService,
        clock: Clock,
        *,
        batch: int = 50,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 10,
        backoff: Backoff | None = None,
        concurrency: int = 1,
        edit_poll: timedelta = timedelta(seconds=0.5),
    ) -> None:
        self.uow = uow
        self.messengers = dict(messengers)
        self.service = service
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        # Sends in flight at once (distinct recipients: each has one head at a time). More
        # than one keeps the platform's rate limit, not a round trip, the bottleneck.
        self.concurrency = max(1, concurrency)
        # How often (by ``clock``) a pass asks for edits that became due while it sends its
        # batch: asking before every send made a pass of 500 sends a third slower.
        self.edit_poll = edit_poll
        self.wake = asyncio.Event()

    async def recover(self) -> int:
        """Settle messages a dead process left 'sending' (past their lease) as uncertain."""
        async with self.uow() as uow:
            stale = await uow.outbox.mark_stale_uncertain(self.clock.now())
            await uow.commit()
        for message in stale:
            log.warning(
                "message %s to %s:%s may not have arrived (process stopped while sending)",
                message.id,
                message.recipient.channel,
                message.recipient.address,
            )
        return len(stale)

    async def run_once(self, stop: asyncio.Event | None = None) -> DeliveryStats:
        """Deliver every message that is due now (until ``stop``); returns what happened.

        A pipeline, not batches: whenever a send finishes, the next due message whose
        recipient may receive now takes its place, so the platform's rate limit — not a
        slow recipient or the end of a batch — is what paces delivery. Before the next one
        is taken from the fetched batch (at most every ``edit_poll``), the edits that carry
        a message's whole state and became due since (a census's progress, an alert) are
        asked for and go first: a batch can hold a minute of first messages at Slack's
        conversations.open limit."""
        stats = DeliveryStats(uncertain=await self.recover())
        running: dict[asyncio.Task[str | None], int] = {}
        queue: list[OutgoingMessage] = []
        asked = self.clock.now()  # when the database last listed what is due
        try:
            while stop is None or not stop.is_set():
                free = self.concurrency - len(running)
                now = self.clock.now()
                if free > 0 and not any(self._ready(m) for m in queue):
                    asked = now
                    queue = [m for m in await self._due() if m.id not in running.values()]
                    if not queue and not running:
                        break  # nothing is due
                elif free > 0 and not asked <= now < asked + self.edit_poll:
                    asked = now
                    queue = await self._edits_first(queue, set(running.values()))
                ready = [m for m in queue if self._ready(m)][: max(0, free)]
                for message in ready:
                    queue.remove(message)
                    running[asyncio.create_task(self._deliver(message))] = message.id or 0
                if not running:
                    await asyncio.sleep(0.05)  # every due recipient is inside its gap
                    continue
                waiting_for_gap = bool(queue) and len(running) < self.concurrency
                done, _ = await asyncio.wait(
                    set(running),
                    timeout=0.05 if waiting_for_gap else None,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for task in done:
                    del running[task]
                    outcome = task.result()
                    if outcome is not None:
                        setattr(stats, outcome, getattr(stats, outcome) + 1)
        finally:
            if running:  # shutting down: the sends in flight finish (or are cut short)
                for task in asyncio.as_completed(set(running)):
                    outcome = await task
                    if outcome is not None:
                        setattr(stats, outcome, getattr(stats, outcome) + 1)
        return stats

    async def _due(self) -> list[OutgoingMessage]:
        async with self.uow() as uow:
            return await uow.outbox.due_heads(self.clock.now(), self.batch, list(self.messengers))

    async def _edits_first(
        self, queue: list[OutgoingMessage], running: set[int]
    ) -> list[OutgoingMessage]:
        """``queue`` with the coalescing edits due now in front. Each heads its chat's queue
        in the database, so it never overtakes its own message or an earlier one to its
        chat; one already in flight (claimed or about to be) is left out."""
        async with self.uow() as uow:
            edits = await uow.outbox.due_edits(
                self.clock.now(), self.concurrency, list(self.messengers)
            )
        edits = [m for m in edits if m.id not in running]
        if not edits:
            return queue
        ids = {m.id for m in edits}
        return edits + [m for m in queue if m.id not in ids]

    def _ready(self, message: OutgoingMessage) -> bool:
        """Whether the recipient's per-chat gap is over (a messenger that keeps one says)."""
        ready = getattr(self.messengers.get(message.recipient.channel), "ready", None)
        return True if ready is None else bool(ready(message.recipient.address))

    async def _deliver(self, head: OutgoingMessage) -> str | None:
        assert head.id is not None
        async with self.uow() as uow:
            now = self.clock.now()
            message = await uow.outbox.claim(head.id, now, now + self.lease)
            await uow.commit()
        if message is None:
            return None  # another worker took it
        if message.kind in COALESCING_KINDS and await self._overtaken(message):
            return "superseded"
        if not await self._resolve_edit_target(message):
            return "sent"
        channel = message.recipient.channel
        messenger = self.messengers[channel]
        started = asyncio.get_running_loop().time()
        try:
            # Bounded well inside the lease, so a live worker never looks dead.
            async with asyncio.timeout(self.lease.total_seconds() / 2):
                if message.kind == "file":
                    platform_id = await self._send_file(messenger, message)
                else:
                    platform_id = await messenger.send(message)
        except TransientDeliveryError as exc:
            outcome = "429" if exc.retry_after is not None else "5xx"
            metrics.SENDS.labels(channel.value, outcome).inc()
            return await self._retry_or_fail(message, exc)
        except PermanentDeliveryError as exc:
            metrics.SENDS.labels(channel.value, "permanent").inc()
            log.warning("message %s refused for good: %s", message.id, exc)
            await self.service.record_permanent_failure(message, exc)
            return "failed"
        except asyncio.CancelledError:
            # Shutdown cut the call short: it may have reached the platform.
            metrics.SENDS.labels(channel.value, "uncertain").inc()
            async with self.uow() as uow:
                await uow.outbox.mark_uncertain(message.id, "stopped while sending")  # type: ignore[arg-type]
                await uow.commit()
            raise
        except TimeoutError:
            metrics.SENDS.labels(channel.value, "uncertain").inc()
            # The request may have reached the platform: do not risk a duplicate.
            async with self.uow() as uow:
                await uow.outbox.mark_uncertain(message.id, "timed out while sending")  # type: ignore[arg-type]
                await uow.commit()
            return "uncertain"
        metrics.SENDS.labels(channel.value, "ok").inc()
        metrics.SEND_LATENCY.labels(channel.value).observe(
            asyncio.get_running_loop().time() - started
        )
        async with self.uow() as uow:
            await uow.outbox.mark_sent(message.id, platform_id, self.clock.now())  # type: ignore[arg-type]
            await uow.commit()
        return "sent"

    async def _send_file(self, messenger: Messenger, message: OutgoingMessage) -> str | None:
        """A recorded file: its bytes are loaded only now, not with the list of due messages."""
        assert message.id is not None
        async with self.uow() as uow:
            data = await uow.outbox.attachment(message.id)
        if data is None:
            raise PermanentDeliveryError("the file's bytes are missing", recipient_gone=False)
        payload = message.payload
        document = Document(str(payload["filename"]), str(payload["mime"]), data)
        return await messenger.send_file(message.recipient, document, str(payload["caption"]))

    async def _overtaken(self, message: OutgoingMessage) -> bool:
        """A newer edit of the same message waits behind this one (recorded while this one
        was between tries) and shows all it would: settle this one unsent. Recording an
        edit already supersedes the pending ones; this covers one that was in flight then."""
        async with self.uow() as uow:
            newer = await uow.outbox.supersede_if_overtaken(message)
            await uow.commit()
        if newer is not None:
            log.info("message %s superseded by %s before sending", message.id, newer)
        return newer is not None

    async def _resolve_edit_target(self, message: OutgoingMessage) -> bool:
        """An edit names the message it changes by idempotency key; give it that message's
        platform id. False (and settled) when there is nothing to change: the target never
        arrived. A recipient's messages go in order, so the target is settled by now."""
        target_key = message.payload.get("target")
        if not target_key:
            return True
        async with self.uow() as uow:
            target = await uow.outbox.by_key(str(target_key))
            if target is not None and target.platform_message_id:
                message.payload["target_id"] = target.platform_message_id
                return True
            await uow.outbox.mark_sent(message.id, None, self.clock.now())  # type: ignore[arg-type]
            await uow.commit()
        return False

    async def _retry_or_fail(self, message: OutgoingMessage, exc: TransientDeliveryError) -> str:
        assert message.id is not None
        if message.attempts >= self.max_attempts:
            log.warning(
                "message %s gave up after %d attempts: %s", message.id, message.attempts, exc
            )
            await self.service.record_permanent_failure(
                message,
                PermanentDeliveryError(
                    f"gave up after {message.attempts} attempts: {exc}", recipient_gone=False
                ),
            )
            return "failed"
        # The platform's own retry_after wins over our backoff: it knows its limits.
        delay = (
            exc.retry_after if exc.retry_after is not None else self.backoff.delay(message.attempts)
        )
        async with self.uow() as uow:
            await uow.outbox.mark_retry(
                message.id, str(exc), self.clock.now() + timedelta(seconds=delay)
            )
            await uow.commit()
        log.info("message %s retry in %.1fs: %s", message.id, delay, exc)
        return "retried"

    async def run_forever(self, poll_seconds: float, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; wakes early when a handler records a message."""
        while not stop.is_set():
            try:
                await self.run_once(stop)
            except Exception:  # a bad message or a lost connection must not stop delivery
                log.exception("delivery pass failed; will retry")
            self.wake.clear()
            waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
