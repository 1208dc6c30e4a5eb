"""The send limiters admit first come, first served, on a virtual clock (tests/virtual_time.py).

A census fan-out keeps every limiter busy: a send that arrives at the instant capacity
frees must queue behind the sends already waiting, or those can wait for seconds (and the
outbox gives up on a send after half its lease). Each scenario has waiters queued while the
limit is reached and newcomers arriving exactly when capacity frees, the moment an unfair
limiter lets them jump the line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from aiolimiter import AsyncLimiter

from bot.keyed_limiter import FairLimiter, KeyedLimiter, WindowLimiter
from bot.slack.limiter import SlackLimiter
from bot.telegram.limiter import TelegramLimiter
from tests.virtual_time import run_virtual

Slot = Callable[[int], AbstractAsyncContextManager[None]]


async def admissions(
    slot: Slot, arrivals: list[float], hold: float = 0.0
) -> list[tuple[int, float]]:
    """Call i asks for a slot at arrivals[i] (seconds, increasing) and holds it `hold`
    seconds; returns (i, when admitted) in the order the limiter admitted them."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    admitted: list[tuple[int, float]] = []

    async def call(i: int, at: float) -> None:
        await asyncio.sleep(start + at - loop.time())
        async with slot(i):
            admitted.append((i, round(loop.time() - start, 6)))
            if hold:
                await asyncio.sleep(hold)

    await asyncio.gather(*(call(i, at) for i, at in enumerate(arrivals)))
    return admitted


def most_in_any_window(times: list[float], period: float = 1.0) -> int:
    return max(sum(1 for t in times if start <= t < start + period - 1e-9) for start in times)


# Two calls fill the limit at 0; three wait from 0.1-0.3; newcomers come at 1.0 and 2.0,
# exactly when the window (or the bucket) has room again.
ARRIVALS = [0.0, 0.0, 0.1, 0.2, 0.3, 1.0, 2.0]


def test_the_window_admits_waiting_calls_in_arrival_order_and_newcomers_queue_behind() -> None:
    window = WindowLimiter(2, 1.0)
    admitted = run_virtual(admissions(lambda _i: window.slot(), ARRIVALS))
    assert [i for i, _ in admitted] == list(range(len(ARRIVALS)))
    assert [t for _, t in admitted] == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0]


def test_the_window_still_counts_calls_in_flight_and_ended_within_the_period() -> None:
    window = WindowLimiter(3, 1.0)
    arrivals = [0.05 * i for i in range(30)]
    admitted = run_virtual(admissions(lambda _i: window.slot(), arrivals, hold=0.4))
    assert [i for i, _ in admitted] == list(range(30))
    # A call is seen by the platform anywhere in [start, start + hold]: count from the end.
    assert most_in_any_window([t + 0.4 for _, t in admitted]) <= 3
    assert most_in_any_window([t for _, t in admitted]) <= 3


# A loop 1 ms late: a newcomer asking half a millisecond before the bucket has room is
# handled in the same pass as the bucket waking its head, and first (its timer is earlier).
LAG = 0.001
LATE_ARRIVALS = [0.0, 0.0, 0.1, 0.2, 0.3, 1.0 - LAG / 2, 2.0 - LAG / 2]


def test_a_bucket_admits_waiting_calls_in_arrival_order_and_newcomers_queue_behind() -> None:
    async def scenario() -> list[tuple[int, float]]:
        bucket = FairLimiter(AsyncLimiter(2, 2.0))  # two at once, then one a second
        return await admissions(lambda _i: bucket, LATE_ARRIVALS)

    admitted = run_virtual(scenario(), lag=LAG)
    assert [i for i, _ in admitted] == list(range(len(LATE_ARRIVALS)))
    assert [t for _, t in admitted] == pytest.approx([0, 0, 1, 2, 3, 4, 5], abs=2 * LAG)


def test_slack_methods_admit_in_arrival_order() -> None:
    async def scenario() -> list[tuple[int, float]]:
        limiter = SlackLimiter(scale=2 / 50)  # conversations.open (tier 3): 2 a minute
        arrivals = [0, 0, 3, 6, 9, 30 - LAG / 2, 60 - LAG / 2]
        return await admissions(lambda _i: limiter.slot("conversations.open"), arrivals)

    admitted = run_virtual(scenario(), lag=LAG)
    assert [i for i, _ in admitted] == list(range(7))
    assert [t for _, t in admitted] == pytest.approx([0, 0, 30, 60, 90, 120, 150], abs=2 * LAG)


def test_telegram_sends_to_many_chats_go_in_arrival_order_within_both_overall_limits() -> None:
    async def scenario() -> list[tuple[int, float]]:
        limiter = TelegramLimiter(per_second=4, per_chat_per_second=1)
        arrivals = [0.0] * 4 + [0.01 * i for i in range(1, 12)] + [1.0, 1.5, 2.0, 2.25, 3.0]
        return await admissions(lambda i: limiter.slot(1000 + i), arrivals, hold=0.05)

    admitted = run_virtual(scenario())
    assert [i for i, _ in admitted] == list(range(len(admitted)))
    times = [t for _, t in admitted]
    assert most_in_any_window(times) <= 4
    assert most_in_any_window([t + 0.05 for t in times]) <= 4


def test_telegram_keeps_the_rate_and_spreads_sends_after_the_bucket_of_three() -> None:
    async def scenario() -> list[tuple[int, float]]:
        limiter = TelegramLimiter(per_second=100, per_chat_per_second=1)
        return await admissions(lambda i: limiter.slot(1000 + i), [0.0] * 20)

    admitted = run_virtual(scenario())
    times = [t for _, t in admitted]
    assert times[:3] == [0.0, 0.0, 0.0]
    assert times[3:] == pytest.approx([0.01 * k for k in range(1, 18)])


def test_one_chat_still_waits_its_gap_after_the_previous_send_ended() -> None:
    async def scenario() -> list[tuple[int, float]]:
        limiter = TelegramLimiter(per_second=100, per_chat_per_second=1)
        return await admissions(lambda _i: limiter.slot(7), [0.0, 0.1, 0.2], hold=0.3)

    admitted = run_virtual(scenario())
    assert admitted == [(0, 0.0), (1, 1.3), (2, 2.6)]


def test_a_waiting_send_given_up_leaves_the_line_and_its_place_to_the_next() -> None:
    """The outbox bounds a send's wait (half its lease): one cancelled while it waits must
    neither hold the head of the line nor keep a place in the window."""

    async def scenario() -> tuple[list[tuple[int, float]], list[int]]:
        loop = asyncio.get_running_loop()
        limiter = TelegramLimiter(per_second=2, per_chat_per_second=1)
        admitted: list[tuple[int, float]] = []
        given_up: list[int] = []

        async def send(i: int, at: float, patience: float) -> None:
            await asyncio.sleep(at - loop.time())
            try:
                async with asyncio.timeout(patience), limiter.slot(2000 + i):
                    admitted.append((i, loop.time()))
            except TimeoutError:
                given_up.append(i)

        await asyncio.gather(
            send(0, 0.0, 5), send(1, 0.0, 5), send(2, 0.1, 0.5), send(3, 0.2, 5), send(4, 0.3, 5)
        )
        return admitted, given_up

    admitted, given_up = run_virtual(scenario())
    assert given_up == [2]
    assert [i for i, _ in admitted] == [0, 1, 3, 4]
    assert [round(t, 6) for _, t in admitted] == [0.0, 0.0, 1.0, 1.0]


def test_keyed_limiter_serves_one_key_in_arrival_order() -> None:
    async def scenario() -> list[tuple[int, float]]:
        chats = KeyedLimiter(1.0)
        return await admissions(lambda _i: chats.slot("c"), [0.0, 0.1, 0.2, 0.3, 1.0])

    admitted = run_virtual(scenario())
    assert admitted == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)]


def test_a_bucket_waiter_given_up_frees_the_gate_and_its_turn() -> None:
    """One cancelled while it holds the gate, waiting for the bucket, must not keep the line
    behind it waiting: the next takes the capacity it would have had."""

    async def scenario() -> tuple[list[tuple[int, float]], list[int]]:
        loop = asyncio.get_running_loop()
        bucket = FairLimiter(AsyncLimiter(1, 1.0))  # one at once, then one a second
        admitted: list[tuple[int, float]] = []
        given_up: list[int] = []

        async def send(i: int, at: float, patience: float) -> None:
            await asyncio.sleep(at - loop.time())
            try:
                async with asyncio.timeout(patience), bucket:
                    admitted.append((i, round(loop.time(), 6)))
            except TimeoutError:
                given_up.append(i)

        await asyncio.gather(send(0, 0.0, 5), send(1, 0.1, 0.3), send(2, 0.2, 5), send(3, 0.3, 5))
        return admitted, given_up

    admitted, given_up = run_virtual(scenario())
    assert given_up == [1]
    assert admitted == [(0, 0.0), (2, 1.0), (3, 2.0)]
