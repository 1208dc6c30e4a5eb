"""Account health benchmark: Slack App Home and `/candor health` over a portfolio.

    python -m bench.health                                    # SQLite, 50, 200, 500 accounts
    python -m bench.health --db postgresql --accounts 50 200 500

Each size gets a fresh database (a SQLite file, or a PostgreSQL schema dropped after) holding
N accounts with 6 fortnightly rounds × 12 contacts each: three in four answer, a third of the
answers negative, half of those with an alert (open, in progress or resolved, some escalated,
relapsed or "not about us"), the latest round still running, and a silence alert on one
account in five. An admin (who sees every account) then opens App Home (`home_blocks`: open
alerts, rounds in progress and account health) and asks `/candor health`; each is timed
(best of --repeat) and its SQL statements counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.db import create_engine, session_factory
from storage.models import (
    AccountRow,
    AlertRow,
    AnswerRow,
    ContactRow,
    ConversationRow,
    RoundRow,
    StaffRow,
)
from storage.repositories import SqlUnitOfWorkFactory

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ROUNDS, CONTACTS = 6, 12
KEYS = ("outcome", "speed", "politeness")


@asynccontextmanager
async def database(kind: str) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database: a temp SQLite file, or a PostgreSQL schema (dropped)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            await migrate.upgrade(engine)
            try:
                yield engine
            finally:
                await engine.dispose()
        return
    schema = f"bench_health_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await migrate.upgrade(engine)
        yield engine
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def _alert_notes(rnd: random.Random) -> tuple[str, list[dict[str, Any]]]:
    roll = rnd.random()
    notes: list[dict[str, Any]] = []
    if rnd.random() < 0.2:
        notes.append({"kind": "escalation", "level": "manager"})
    if roll < 0.4:
        return "open", notes
    if roll < 0.55:
        return "acknowledged", [*notes, {"kind": "followup", "text": "Called them"}]
    if rnd.random() < 0.1:
        notes.append({"kind": "relapse"})
    disposition = rnd.choice(["fixed", "explained", "not_us", "wont_fix"])
    return "resolved", [*notes, {"status": "resolved", "disposition": disposition}]


async def seed(engine: AsyncEngine, accounts: int) -> dict[str, int]:
    rnd = random.Random(7)
    counts = {"rounds": 0, "answers": 0, "alerts": 0}
    async with engine.begin() as conn:
        await conn.execute(insert(StaffRow), [{"id": 1, "name": "Ada Admin", "role": "admin"}])
        await conn.execute(insert(AccountRow), [
            {"id": a, "name": f"Account {a:04d}", "owner_id": 1, "tier": "gold"}
            for a in range(1, accounts + 1)
        ])  # fmt: skip
        contacts = []
        for a in range(1, accounts + 1):
            contacts += [
                {"id": (a - 1) * CONTACTS + c + 1, "account_id": a, "name": f"Contact {c}",
                 "status": "active", "channel": "telegram",
                 "address": str(10_000_000 + (a - 1) * CONTACTS + c)}
                for c in range(CONTACTS)
            ]  # fmt: skip
        await conn.execute(insert(ContactRow), contacts)
        round_id = conv_id = answer_id = 0
        rounds, convs, answers, alerts = [], [], [], []
        for a in range(1, accounts + 1):
            for r in range(ROUNDS):
                round_id += 1
                opened = T0 + timedelta(weeks=2 * r)
                last = r == ROUNDS - 1
                rounds.append({"id": round_id, "account_id": a, "period_key": f"{opened:%Y-%m-%d}",
                               "title": f"Sprint {r + 1}", "opened_at": opened})  # fmt: skip
                for c in range(CONTACTS):
                    conv_id += 1
                    answered = rnd.random() < 0.75
                    status = "completed" if answered else ("invited" if last else "expired")
                    convs.append(
                        {"id": conv_id, "round_id": round_id,
                         "contact_id": (a - 1) * CONTACTS + c + 1, "status": status,
                         "question_keys": list(KEYS), "language": "en", "invited_at": opened,
                         "last_activity_at": opened, "expires_at": opened + timedelta(days=7)}
                    )  # fmt: skip
                    if not answered:
                        continue
                    for key in (*KEYS, "comment") if rnd.random() < 0.3 else KEYS:
                        answer_id += 1
                        label = rnd.choice(["positive", "neutral", "negative"])
                        answers.append(
                            {"id": answer_id, "conversation_id": conv_id, "question_key": key,
                             "text": "Slow again" if label == "negative" else "Fine",
                             "received_at": opened, "sentiment_label": label,
                             "sentiment_score": rnd.random(), "analyser": "bench/1"}
                        )  # fmt: skip
                        if label == "negative" and key != "comment" and rnd.random() < 0.5:
                            status_, notes = _alert_notes(rnd)
                            alerts.append({"answer_id": answer_id, "account_id": a,
                                           "kind": "answer", "status": status_,
                                           "contact_id": None, "streak_key": None,
                                           "notes": notes, "created_at": opened})  # fmt: skip
            if a % 5 == 0:
                alerts.append(
                    {"answer_id": None, "account_id": a, "kind": "silence", "status": "open",
                     "contact_id": (a - 1) * CONTACTS + 1, "streak_key": f"silence:{a}",
                     "notes": [{"kind": "silence", "what": "contact", "contact": "Contact 0",
                                "n": 3}], "created_at": T0}
                )  # fmt: skip
        for table, rows in (
            (RoundRow, rounds), (ConversationRow, convs), (AnswerRow, answers), (AlertRow, alerts)
        ):  # fmt: skip
            for start in range(0, len(rows), 5000):
                await conn.execute(insert(table), rows[start : start + 5000])
        counts = {"rounds": len(rounds), "answers": len(answers), "alerts": len(alerts)}
    return counts


async def measure(
    engine: AsyncEngine, fn: Callable[[], Awaitable[object]], repeat: int
) -> tuple[float, int]:
    """Best wall time over ``repeat`` runs, and the SQL statements one run sends."""
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    best = float("inf")
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        for _ in range(repeat):
            statements = 0
            start = time.perf_counter()
            await fn()
            best = min(best, time.perf_counter() - start)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    return best, statements


async def run(db: str, accounts: int, repeat: int) -> dict[str, object]:
    from bot.slack.listeners.home import home_blocks
    from surveys.health import show_health
    from surveys.model import Language
    from surveys.onboarding import Onboarding
    from surveys.ports import SystemClock
    from surveys.sentiment import make_analyser
    from surveys.service import SurveyService
    from surveys.staff import StaffCommands

    async with database(db) as engine:
        started = time.perf_counter()
        counts = await seed(engine, accounts)
        seeded = time.perf_counter() - started
        uow = SqlUnitOfWorkFactory(session_factory(engine))
        clock = SystemClock()
        service = SurveyService(uow, clock, make_analyser("baseline"))
        onboarding = Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
        commands = StaffCommands(uow, clock, service, onboarding)
        async with uow() as u:
            admin = await u.staff.get(1)
        assert admin is not None
        ctx: Any = SimpleNamespace(service=service)
        home_s, home_q = await measure(engine, lambda: home_blocks(ctx, admin, Language.EN), repeat)
        health_s, health_q = await measure(engine, lambda: show_health(commands, admin, ""), repeat)
    return {
        "db": db,
        "accounts": accounts,
        **counts,
        "seed_s": round(seeded, 1),
        "app_home_s": round(home_s, 3),
        "app_home_queries": home_q,
        "health_s": round(health_s, 3),
        "health_queries": health_q,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--accounts", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for n in args.accounts:
        print(json.dumps(asyncio.run(run(args.db, n, args.repeat))), flush=True)


if __name__ == "__main__":
    main()
