"""An event loop whose clock jumps to the next timer instead of sleeping, for limiter tests.

Everything runs in the order real time would give, in no wall-clock time; nothing may
wait on I/O (the selector never reports any), and waiting with nothing scheduled is a
deadlock, raised rather than hung.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _FastForward(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    now = 0.0
    lag = 0.0

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("deadlock: every task waits and no timer is due")
        # Each pass of the loop takes a picosecond, as a real one takes some time: a wait
        # recomputed from a clock that never moved could round to zero and spin forever.
        self.now += max(timeout, 1e-12) + (self.lag if timeout > 0 else 0.0)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, lag: float = 0.0) -> None:
        self._fast_forward = _FastForward()
        # A busy loop wakes late: every timer due within `lag` of the first fires in one
        # pass, in the order of their times, whatever they wake.
        self._fast_forward.lag = lag
        super().__init__(self._fast_forward)

    def time(self) -> float:
        return self._fast_forward.now


def run_virtual(main: Coroutine[Any, Any, T], lag: float = 0.0) -> T:
    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(lag)) as runner:
        return runner.run(main)
