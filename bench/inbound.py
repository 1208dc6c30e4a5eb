"""Benchmarks for the README: an answer burst into `candor run` webhooks, and a round's
fan-out, against the fake Bot API (tests/fakes/telegram_api.py).

    python -m bench.inbound burst --db postgresql --processes 2 --answers 5000
    python -m bench.inbound burst --db sqlite --processes 1 --answers 5000
    python -m bench.inbound fanout --db postgresql --processes 3 --contacts 1000

burst: answers acknowledged (= stored) per second, answers handled per second, CPU
milliseconds per answer of the candor processes, peak RSS per process, answers lost /
stored twice, messages sent twice.
fanout: efficiency = (messages / 30 per second) / (first send to last send), the most
sends in any one-second window, and the shortest gap between two sends to one chat,
across all processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from pathlib import Path

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


async def _sample(procs: list[Candor], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for proc in procs:
            proc.sample_rss()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


async def burst(
    db: str, processes: int, answers: int, in_flight: int, analyser: str = "baseline"
) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="candor-bench-"))
    async with FakeTelegramAPI() as fake, database(db, tmp) as url:
        fake.max_poll_wait = 0.5
        chats = await seed(url, answers, invitations_sent=True)
        # Leases long enough that a slow moment under load is not taken for a dead process.
        extra = {"CANDOR_INBOX_LEASE": "60s", "CANDOR_DELIVERY_LEASE": "60s",
                 "CANDOR_SENTIMENT_ANALYSER": analyser}  # fmt: skip
        procs = [webhook_candor(i, fake, url, tmp, **extra) for i in range(processes)]
        for proc in procs:
            await proc.start()
        stop = asyncio.Event()
        try:
            for proc in procs:
                await proc.wait_listening()
            sampler = asyncio.create_task(_sample(procs, stop))
            cpu_before = sum(p.cpu_seconds() for p in procs)
            started = time.monotonic()
            result = await post_burst(procs, answer_updates(fake, chats), in_flight=in_flight)
            cpu_stored = sum(p.cpu_seconds() for p in procs)
            await wait_inbox_settled(url, 3600)
            handled_in = time.monotonic() - started
            cpu_handled = sum(p.cpu_seconds() for p in procs)
            stop.set()
            await sampler
            found = await outcome(url, fake)
        finally:
            for proc in procs:
                if proc.process is not None and proc.process.returncode is None:
                    await proc.terminate()
    lost = sum(1 for c in chats if found.answers_by_chat.get(c, 0) == 0)
    return {
        "db": db,
        "processes": processes,
        "answers": answers,
        "in_flight": in_flight,
        "analyser": analyser,
        "acknowledged": len(result.acknowledged),
        "stored_per_s": round(result.rate),
        "handled_per_s": round(answers / handled_in, 1),
        # CPU of the candor processes (not PostgreSQL's), a figure a busy machine distorts
        # less than rates: until every answer was acknowledged, and until all were handled
        # (that includes delivering the replies sent meanwhile).
        "cpu_ms_per_answer_stored": round(1000 * (cpu_stored - cpu_before) / answers, 2),
        "cpu_ms_per_answer_handled": round(1000 * (cpu_handled - cpu_before) / answers, 2),
        "peak_rss_mb": [round(p.peak_rss_kb / 1024) for p in procs],
        "answers_lost": lost,
        "answers_twice": sum(1 for n in found.answers_by_chat.values() if n > 1),
        "sent_twice": found.duplicates_sent,
        "inbox": found.inbox,
    }


async def fanout(db: str, processes: int, contacts: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="candor-bench-"))
    async with FakeTelegramAPI() as fake, database(db, tmp) as url:
        await seed(url, contacts, invitations_sent=False)
        if processes == 1:
            procs = [Candor(0, candor_env(fake, url), tmp, None)]
        else:
            procs = [webhook_candor(i, fake, url, tmp) for i in range(processes)]
        for proc in procs:
            await proc.start()
        try:
            async with asyncio.timeout(contacts):
                while True:
                    found = await outcome(url, fake)
                    if not found.outbox.get("pending") and not found.outbox.get("sending"):
                        break
                    await asyncio.sleep(0.5)
        finally:
            for proc in procs:
                if proc.process is not None and proc.process.returncode is None:
                    await proc.terminate()
    most, gap, first, last = send_pacing(fake)
    sent = len([c for c in fake.calls_to("sendMessage") if c.status == 200])
    return {
        "db": db,
        "processes": processes,
        "contacts": contacts,
        "messages": sent,
        "seconds": round(last - first, 1),
        "efficiency_vs_30_per_s": round((sent / 30) / max(1e-9, last - first), 3),
        "max_sends_in_1s": most,
        "min_gap_one_chat_s": round(gap, 3),
        "sent_twice": found.duplicates_sent,
        "outbox": found.outbox,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("burst")
    b.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    b.add_argument("--processes", type=int, default=2)
    b.add_argument("--answers", type=int, default=5000)
    b.add_argument("--in-flight", type=int, default=100)
    # baseline: the figures are about moving answers; default: what scoring adds.
    b.add_argument("--analyser", default="baseline")
    f = sub.add_parser("fanout")
    f.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    f.add_argument("--processes", type=int, default=1)
    f.add_argument("--contacts", type=int, default=1000)
    args = parser.parse_args()
    if args.what == "burst":
        report = asyncio.run(
            burst(args.db, args.processes, args.answers, args.in_flight, args.analyser)
        )
    else:
        report = asyncio.run(fanout(args.db, args.processes, args.contacts))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
