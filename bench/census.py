"""Census benchmarks for the README, against the fake Bot API enforcing a send limit.

    python -m bench.census fanout --db postgresql --contacts 1000 --rate 100
    python -m bench.census fanout --db postgresql --contacts 10000 --rate 100
    python -m bench.census import --rows 1000
    python -m bench.census import --rows 100000

fanout: one `candor run` process (CANDOR_TELEGRAM_RATE = the fake's limit) delivers a census
of N users started beforehand. Reported: every first message exactly once (chats asked
twice / never), efficiency = (messages / limit) / (first send to last send), 429s the fake
gave, how long sends waited in the limiter (longest, how many over 1 s, 99th percentile;
bench/limiter_probe.py), and the process's peak RSS.
import: `ContactImport` preview then write of an N-row CSV in a fresh process on SQLite:
seconds for each, and the process's peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.cluster import ROOT, Candor, candor_env, database, send_pacing
from bot.app import App
from bot.settings import load_settings
from surveys.census import Census
from surveys.model import Account, Channel, Contact, ContactLevel, ContactStatus, Language
from tests.fakes.telegram_api import FakeTelegramAPI

FIRST_CHAT = 20_000_000


async def seed_census(url: str, contacts: int) -> None:
    app = await App.create(load_settings(database_url=url), {})
    try:
        recent = datetime.now(UTC) - timedelta(days=10)
        async with app.uow() as uow:
            account = await uow.accounts.add(Account(0, "Globex", None))
            for start in range(0, contacts, 1000):
                await uow.census.add_many([
                    Contact(0, account.id, f"User {i}", ContactLevel.USER, Language.EN,
                            ContactStatus.ACTIVE, Channel.TELEGRAM, str(FIRST_CHAT + i),
                            tickets=1, last_ticket_at=recent)
                    for i in range(start, min(contacts, start + 1000))
                ])  # fmt: skip
            await uow.commit()
        await Census(app.service).start(account.id, None, None)
    finally:
        await app.close()


async def fanout(db: str, contacts: int, rate: float, backlog: int) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="candor-census-"))
    async with FakeTelegramAPI() as fake, database(db, tmp) as url:
        fake.limit_rate(rate)
        await seed_census(url, contacts)
        env = candor_env(
            fake,
            url,
            CANDOR_TELEGRAM_RATE=str(rate),
            CANDOR_DELIVERY_CONCURRENCY="8",
            CANDOR_CENSUS_BACKLOG=str(backlog),
            CANDOR_BENCH_LIMITER_WAITS=str(tmp / "limiter-waits.json"),
        )
        # The probe times each send's wait in the limiter (bench/limiter_probe.py).
        proc = Candor(0, env, tmp, None, module="bench.limiter_probe")
        await proc.start()
        expected = contacts  # one message each: the invitation heading the first question
        try:
            async with asyncio.timeout(60 + 4 * expected / rate):
                while len([c for c in fake.calls_to("sendMessage") if c.status == 200]) < expected:
                    proc.sample_rss()
                    await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # anything extra would show up now
            proc.sample_rss()
        finally:
            with contextlib.suppress(Exception):
                await proc.terminate()
    sent = [c for c in fake.calls_to("sendMessage") if c.status == 200]
    invites = Counter(
        str(c.params["chat_id"]) for c in sent if str(c.params.get("text", "")).startswith("Hello")
    )
    chats = {str(FIRST_CHAT + i) for i in range(contacts)}
    most, _gap, first, last = send_pacing(fake)
    waits_file = tmp / "limiter-waits.json"
    waits = json.loads(waits_file.read_text()) if waits_file.exists() else {}
    return {
        "db": db,
        "contacts": contacts,
        "rate_limit": rate,
        "messages": len(sent),
        "first_messages_twice": sum(1 for n in invites.values() if n > 1),
        "first_messages_missing": len(chats - set(invites)),
        "seconds": round(last - first, 1),
        "efficiency": round((len(sent) / rate) / max(1e-9, last - first), 3),
        "max_sends_in_1s": most,
        "refused_429": fake.rate_refusals,
        "limiter_wait_max_s": waits.get("max_s"),
        "limiter_waits_over_1s": waits.get("over_1s"),
        "limiter_wait_p99_s": waits.get("p99_s"),
        "peak_rss_mb": round(proc.peak_rss_kb / 1024, 1),
    }


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Имя;E-mail;Telegram;Уровень;Язык;Внешний ID;Обращений\n")
        for i in range(rows):
            fh.write(f"Пользователь {i};user{i}@example.com;@user_{i:06d};пользователь;ru;"
                     f"X-{i};{i % 5}\n")  # fmt: skip


async def import_once(rows: int) -> dict[str, object]:
    """In this (fresh) process: preview, then write, an N-row CSV into SQLite."""
    from surveys.contact_import import ContactImport
    from surveys.ports import SystemClock

    tmp = Path(tempfile.mkdtemp(prefix="candor-import-"))
    path = tmp / "people.csv"
    write_csv(path, rows)
    url = f"sqlite+aiosqlite:///{tmp}/candor.db"
    app = await App.create(load_settings(database_url=url), {})
    try:
        async with app.uow() as uow:
            await uow.accounts.add(Account(0, "Globex", None))
            await uow.commit()
        importer = ContactImport(app.uow, SystemClock(), max_bytes=200_000_000)
        started = time.monotonic()
        _, preview = await importer.run("Globex", path, write=False)
        previewed = time.monotonic() - started
        started = time.monotonic()
        _, done = await importer.run("Globex", path, write=True)
        written = time.monotonic() - started
        started = time.monotonic()
        _, again = await importer.run("Globex", path, write=True)
        reimported = time.monotonic() - started
    finally:
        await app.close()
    return {
        "rows": rows,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "preview_s": round(previewed, 1),
        "import_s": round(written, 1),
        "reimport_s": round(reimported, 1),
        "new": done.new,
        "unchanged_on_reimport": again.unchanged,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "preview_new": preview.new,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    f = sub.add_parser("fanout")
    f.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    f.add_argument("--contacts", type=int, default=1000)
    f.add_argument("--rate", type=float, default=50.0)
    f.add_argument("--backlog", type=int, default=100, help="CANDOR_CENSUS_BACKLOG")
    i = sub.add_parser("import")
    i.add_argument("--rows", type=int, default=100_000)
    i.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.what == "fanout":
        report = asyncio.run(fanout(args.db, args.contacts, args.rate, args.backlog))
    elif args.in_process:
        report = asyncio.run(import_once(args.rows))
    else:
        # A fresh process per run, so its peak RSS is the import's alone.
        out = subprocess.run(
            [sys.executable, "-m", "bench.census", "import", "--rows", str(args.rows),
             "--in-process"], cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        report = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(report))


if __name__ == "__main__":
    main()
