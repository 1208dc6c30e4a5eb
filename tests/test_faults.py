"""The fault suite: real `candor run` processes against the fake Bot API, with kill -9,
bursts, duplicates, platform failures and SIGTERM. Every case asserts that no answer is
lost and no message is sent twice. CI runs it at these small sizes; `python -m
bench.inbound` runs the same scenarios big (see the README)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.cluster import (
    Candor,
    answer_updates,
    candor_env,
    database,
    outcome,
    post_burst,
    seed,
    send_pacing,
    wait_inbox_settled,
    webhook_candor,
)
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = pytest.mark.faults

ANSWERS = 120  # per burst, CI size


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    async with database(request.param, tmp_path) as url:
        yield request.param, url


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as server:
        server.max_poll_wait = 0.5
        yield server


async def stop_all(procs: list[Candor]) -> None:
    for proc in procs:
        if proc.process is not None and proc.process.returncode is None:
            await proc.terminate()


def assert_nothing_lost_or_doubled(result: object, chats: list[int], answered: set[int]) -> None:
    answers = result.answers_by_chat  # type: ignore[attr-defined]
    missing = [c for c in answered if answers.get(c, 0) == 0]
    doubled = [c for c, n in answers.items() if n > 1]
    assert not missing, f"{len(missing)} answers lost"
    assert not doubled, f"{len(doubled)} answers stored twice"
    assert result.duplicates_sent == 0  # type: ignore[attr-defined]
    assert result.inbox.get("failed", 0) == 0  # type: ignore[attr-defined]


async def test_kill_9_during_a_webhook_burst_loses_no_answer(
    db: tuple[str, str], fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    kind, url = db
    chats = await seed(url, ANSWERS, invitations_sent=True)
    count = 2 if kind == "postgresql" else 1
    procs = [webhook_candor(i, fake, url, tmp_path) for i in range(count)]
    for proc in procs:
        await proc.start()
    try:
        for proc in procs:
            await proc.wait_listening()
        victim = procs[0]
        killed = asyncio.Event()

        def on_ack(acked: int) -> None:
            if acked == ANSWERS // 3 and not killed.is_set():
                victim.kill()
                killed.set()

        updates = answer_updates(fake, chats)
        burst = asyncio.create_task(post_burst(procs, updates, on_ack=on_ack))
        await killed.wait()
        if count == 1:  # nobody else to take the rest: restart it, as a supervisor would
            await victim.process.wait()  # type: ignore[union-attr]
            await victim.start()
        result = await burst
        assert len(result.acknowledged) == ANSWERS
        if count > 1:  # the dead one's claimed updates wait for their lease; restart it too
            await victim.process.wait()  # type: ignore[union-attr]
            await victim.start()
        await wait_inbox_settled(url, 120)
        assert_nothing_lost_or_doubled(await outcome(url, fake), chats, set(chats))
    finally:
        await stop_all(procs)


async def test_kill_9_while_polling_loses_no_answer(
    db: tuple[str, str], fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    _, url = db
    chats = await seed(url, ANSWERS, invitations_sent=True)
    proc = Candor(0, candor_env(fake, url), tmp_path, None)
    for update in answer_updates(fake, chats):
        fake.push_update(update)
    await proc.start()
    try:
        # Killed as soon as it has taken (and confirmed) its first batches.
        async with asyncio.timeout(60):
            while len(fake._updates) > ANSWERS * 2 // 3:
                await asyncio.sleep(0.01)
        proc.kill()
        await proc.process.wait()  # type: ignore[union-attr]
        await proc.start()
        async with asyncio.timeout(60):
            while fake._updates:
                await asyncio.sleep(0.1)
        await wait_inbox_settled(url, 120)
        assert_nothing_lost_or_doubled(await outcome(url, fake), chats, set(chats))
    finally:
        await stop_all([proc])


@pytest.mark.postgres
async def test_the_same_updates_posted_to_two_processes_are_handled_once(
    fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    async with database("postgresql", tmp_path) as url:
        chats = await seed(url, 60, invitations_sent=True)
        procs = [webhook_candor(i, fake, url, tmp_path) for i in range(2)]
        for proc in procs:
            await proc.start()
        try:
            for proc in procs:
                await proc.wait_listening()
            updates = answer_updates(fake, chats)
            first, second = await asyncio.gather(
                post_burst(procs[:1], updates), post_burst(procs[1:], updates)
            )
            assert len(first.acknowledged) == len(second.acknowledged) == len(chats)
            depth = await wait_inbox_settled(url, 60)
            assert depth == {"done": len(chats)}
            assert_nothing_lost_or_doubled(await outcome(url, fake), chats, set(chats))
        finally:
            await stop_all(procs)


async def test_delivery_survives_kill_9_and_platform_faults_sending_nothing_twice(
    db: tuple[str, str], fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    """A round's fan-out with 429s (retry_after), a run of 5xx, connection resets, and the
    delivering process
    killed half-way: every message arrives at most once, and all but the ones in flight at
    the kill arrive; no more than 30 sends in any second, none to one chat within 0.95 s."""
    kind, url = db
    contacts = 60
    chats = await seed(url, contacts, invitations_sent=False)
    for chat in chats[::5]:  # 20 % of the chats: their first send gets a 429 with retry_after
        fake.fail_next("sendMessage", error_code=429, description="Too Many Requests: retry "
                       "after 1", retry_after=1, chat_id=chat)  # fmt: skip
    count = 3 if kind == "postgresql" else 1
    procs = [webhook_candor(i, fake, url, tmp_path) for i in range(count)]
    for proc in procs:
        await proc.start()
    try:
        for proc in procs:
            await proc.wait_listening()
        async with asyncio.timeout(60):
            while len([c for c in fake.calls_to("sendMessage") if c.status == 200]) < 40:
                await asyncio.sleep(0.05)
        fake.fail_next("sendMessage", error_code=502, description="Bad Gateway", times=5)
        fake.reset_next("sendMessage", times=3)  # and three connection resets
        # Kill whichever process is delivering; another takes over (or, alone, it restarts).
        [leader] = [p for p in procs if await p.leads()]
        leader.kill()
        await leader.process.wait()  # type: ignore[union-attr]
        await leader.start()
        async with asyncio.timeout(120):
            while True:
                result = await outcome(url, fake)
                if not result.outbox.get("pending") and not result.outbox.get("sending"):
                    break
                await asyncio.sleep(0.3)
        assert result.duplicates_sent == 0
        assert result.sent_but_not_recorded == 0
        assert result.outbox.get("failed", 0) == 0
        # At most the messages in flight when the process died are uncertain; one message
        # per contact (the invitation heads the first question).
        assert result.outbox.get("uncertain", 0) <= 8
        assert result.outbox["sent"] + result.outbox.get("uncertain", 0) == contacts
        most, gap, _, _ = send_pacing(fake)
        assert most <= 30 and gap >= 0.95, (most, gap)
    finally:
        await stop_all(procs)
    fake.violations.clear()  # the fake counts injected failures' effects as its own


async def test_sigterm_exits_within_10_seconds_with_a_backlog_and_an_unreachable_platform(
    db: tuple[str, str], fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    _, url = db
    contacts = 300  # 600 messages: 20 s of sending at the limit
    await seed(url, contacts, invitations_sent=False)
    proc = Candor(0, candor_env(fake, url), tmp_path, None)
    await proc.start()
    async with asyncio.timeout(60):
        while len(fake.calls_to("sendMessage")) < 30:
            await asyncio.sleep(0.05)
    took = await proc.terminate()
    assert took < 10 and proc.process.returncode == 0, proc.log_text()  # type: ignore[union-attr]
    result = await outcome(url, fake)
    assert result.outbox.get("uncertain", 0) == 0 and result.duplicates_sent == 0
    assert result.sent_but_not_recorded == 0

    # Again, and this time the platform stops answering while the backlog waits.
    await proc.start()
    async with asyncio.timeout(60):
        sent = len(fake.calls_to("sendMessage"))
        while len(fake.calls_to("sendMessage")) < sent + 30:
            await asyncio.sleep(0.05)
    await fake.stop()
    await asyncio.sleep(1)
    took = await proc.terminate()
    assert took < 10 and proc.process.returncode == 0, proc.log_text()  # type: ignore[union-attr]
    result = await outcome(url, fake)
    assert result.outbox.get("uncertain", 0) == 0 and result.duplicates_sent == 0
    assert "Traceback" not in proc.log_text()
