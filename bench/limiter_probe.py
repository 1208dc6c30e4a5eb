"""`python -m bench.limiter_probe run`: `candor run` with every Telegram limiter slot timed.

The benchmarks start this instead of `python -m bot` to learn how long sends queued in the
limiter (from asking for a slot to entering it) without the product keeping such a record.
At exit it writes a summary (count, longest, how many waited over 1 s, median, 99th
percentile) as JSON to the file named by CANDOR_BENCH_LIMITER_WAITS.
"""

from __future__ import annotations

import atexit
import json
import os
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.telegram.limiter import TelegramLimiter

_waits: list[float] = []
_slot = TelegramLimiter.slot


@asynccontextmanager
async def _timed_slot(self: TelegramLimiter, chat_id: int) -> AsyncIterator[None]:
    started = time.monotonic()
    async with _slot(self, chat_id):
        _waits.append(time.monotonic() - started)
        yield


def summary(waits: list[float]) -> dict[str, float | int]:
    ordered = sorted(waits)
    return {
        "slots": len(ordered),
        "max_s": round(ordered[-1], 3) if ordered else 0.0,
        "over_1s": sum(1 for w in ordered if w > 1.0),
        "median_s": round(statistics.median(ordered), 3) if ordered else 0.0,
        "p99_s": round(ordered[int(0.99 * (len(ordered) - 1))], 3) if ordered else 0.0,
    }


def _write() -> None:
    Path(os.environ["CANDOR_BENCH_LIMITER_WAITS"]).write_text(json.dumps(summary(_waits)))


TelegramLimiter.slot = _timed_slot  # type: ignore[method-assign]
atexit.register(_write)

if __name__ == "__main__":
    from bot.cli import main

    raise SystemExit(main())
