"""Report benchmark: XLSX, CSV and charts for one big account and a 200-account portfolio.

    python -m bench.reports                   # every case, each in its own process (peak RSS)
    python -m bench.reports --case account    # one case: account, portfolio or db

Cases "account" and "portfolio" build synthetic report rows in memory, so their figures
are for the files and pictures alone; case "db" stores the 50 × 1,000 account in a fresh
SQLite file and times reading it back through the repositories too. Peak memory is the
process's maximum resident set size, interpreter, matplotlib and the data included.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from surveys.model import (
    Account,
    AlertStatus,
    ContactLevel,
    ConversationStatus,
    Language,
    Round,
    SentimentLabel,
)
from surveys.questions import COMMENT_KEY, QUESTION_KEYS
from surveys.reporting import charts, tabular, xlsx
from surveys.reporting.data import AlertInfo, AnswerCell, ContactRow, RoundData, summary_lines

T0 = datetime(2024, 1, 8, 9, tzinfo=UTC)
PHRASES = [
    "Great result, the team delivered everything on time, thanks",
    "Too slow, deadlines slipped twice and nobody warned us in advance",
    "Normal, nothing special to add",
    "Отлично, спасибо, всё сделали вовремя",
    "Плохо: сроки сорваны, на письма отвечают через неделю",
    "Нормально, замечаний нет",
]
LABELS = [SentimentLabel.POSITIVE, SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL] * 2


def make_rounds(
    account: Account, rounds: int, contacts: int, rnd: random.Random
) -> list[RoundData]:
    out = []
    for r in range(rounds):
        opened = T0 + timedelta(weeks=2 * r)
        round_ = Round(r + 1, account.id, f"{opened:%Y-%m-%d}", f"Sprint {r + 1}", opened)
        rows = []
        for c in range(contacts):
            level = ContactLevel.STAKEHOLDER if c % 5 == 0 else ContactLevel.USER
            row = ContactRow(f"Contact {c:04d}", level, ConversationStatus.COMPLETED)
            if rnd.random() < 0.8:  # 80 % answer
                for q, key in enumerate((*QUESTION_KEYS, COMMENT_KEY)):
                    if key == COMMENT_KEY and rnd.random() < 0.7:
                        continue
                    i = rnd.randrange(len(PHRASES))
                    label = LABELS[i]
                    alert = None
                    if label is SentimentLabel.NEGATIVE and rnd.random() < 0.5:
                        alert = AlertInfo(rnd.choice(list(AlertStatus)), "Called the client")
                    row.answers[key] = AnswerCell(
                        PHRASES[i], label, rnd.random(), "slow, deadlines",
                        rnd.random() < 0.05, opened + timedelta(hours=c % 48, minutes=q), alert,
                    )  # fmt: skip
            else:
                row.status = ConversationStatus.EXPIRED
            rows.append(row)
        out.append(RoundData(account, round_, rows))
    return out


def timed(label: str, fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args)
    took = time.perf_counter() - start
    size = f", {len(result) / 1024 / 1024:.1f} MB" if isinstance(result, bytes) else ""
    print(f"  {label:<28} {took:6.2f} s{size}")
    return result, took


async def _seed_and_collect(rounds_n: int, contacts_n: int, tmpdir: str | None) -> None:
    """Store one account's rounds in a fresh SQLite file, then time reading them back."""
    import tempfile
    from pathlib import Path

    from sqlalchemy import insert

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
    from surveys.reporting.data import collect

    rnd = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await migrate.upgrade(engine)
        start = time.perf_counter()
        async with engine.begin() as conn:
            await conn.execute(insert(StaffRow), [{"id": 1, "name": "Olga", "role": "owner"}])
            await conn.execute(
                insert(AccountRow),
                [{"id": 1, "name": "Globex", "owner_id": 1, "timezone": "Europe/Moscow"}],
            )
            await conn.execute(insert(ContactRow), [
                {"id": c + 1, "account_id": 1, "name": f"Contact {c:04d}", "status": "active",
                 "level": "stakeholder" if c % 5 == 0 else "user"}
                for c in range(contacts_n)
            ])  # fmt: skip
            conv_id = answer_id = 0
            for r in range(rounds_n):
                opened = T0 + timedelta(weeks=2 * r)
                await conn.execute(insert(RoundRow), [
                    {"id": r + 1, "account_id": 1, "period_key": f"{opened:%Y-%m-%d}",
                     "title": f"Sprint {r + 1}", "audience": "all", "opened_at": opened}
                ])  # fmt: skip
                conversations, answers, alerts = [], [], []
                for c in range(contacts_n):
                    conv_id += 1
                    conversations.append(
                        {"id": conv_id, "round_id": r + 1, "contact_id": c + 1,
                         "status": "completed", "question_keys": list(QUESTION_KEYS),
                         "language": "en", "invited_at": opened, "last_activity_at": opened,
                         "expires_at": opened + timedelta(days=7)}
                    )  # fmt: skip
                    if rnd.random() >= 0.8:
                        continue
                    for key in QUESTION_KEYS:
                        answer_id += 1
                        i = rnd.randrange(len(PHRASES))
                        answers.append(
                            {"id": answer_id, "conversation_id": conv_id, "question_key": key,
                             "text": PHRASES[i], "received_at": opened,
                             "sentiment_label": LABELS[i].value,
                             "sentiment_score": rnd.random(),
                             "sentiment_evidence": ["slow"], "analyser": "bench/1"}
                        )  # fmt: skip
                        if LABELS[i] is SentimentLabel.NEGATIVE and rnd.random() < 0.5:
                            alerts.append({"answer_id": answer_id, "account_id": 1,
                                           "status": "open", "created_at": opened})  # fmt: skip
                await conn.execute(insert(ConversationRow), conversations)
                await conn.execute(insert(AnswerRow), answers)
                if alerts:
                    await conn.execute(insert(AlertRow), alerts)
        print(f"  seed SQLite ({answer_id} answers)  {time.perf_counter() - start:6.2f} s")
        uow = SqlUnitOfWorkFactory(session_factory(engine))
        start = time.perf_counter()
        async with uow() as u:
            account = await u.accounts.get(1)
            assert account is not None
            rounds = await collect(u, [account])
        took = time.perf_counter() - start
        print(f"  {'read rows back (collect)':<28} {took:6.2f} s, {len(rounds)} rounds")
        summary, _ = timed("summary lines", summary_lines, rounds)
        timed("xlsx (51 sheets)", xlsx.build_xlsx, rounds, summary, Language.RU, tmpdir)
        await engine.dispose()


def run_case(case: str, tmpdir: str | None = None) -> None:
    rnd = random.Random(14)
    lang = Language.RU
    start = time.perf_counter()
    if case == "db":
        import asyncio

        asyncio.run(_seed_and_collect(50, 1000, tmpdir))
    elif case == "account":
        account = Account(1, "Globex", 1, timezone="Europe/Moscow")
        rounds, _ = timed("build 50 × 1,000 rows", make_rounds, account, 50, 1000, rnd)
        summary, _ = timed("summary lines", summary_lines, rounds)
        timed("xlsx (51 sheets)", xlsx.build_xlsx, rounds, summary, lang, tmpdir)
        timed("csv (all answers)", tabular.build_csv, rounds, lang, ";")
        timed("trend chart", charts.account_chart, account, rounds, lang)
    else:
        accounts = [Account(i, f"Account {i:03d}", 1) for i in range(1, 201)]
        rounds: list[RoundData] = []
        for account in accounts:
            rounds += make_rounds(account, 6, 50, rnd)  # six periods of history each
        print(f"  200 accounts × 6 rounds × 50 contacts: {len(rounds)} rounds")
        summary, _ = timed("summary lines (all history)", summary_lines, rounds)
        latest_key = rounds[-1].round.period_key
        latest = [d for d in rounds if d.round.period_key == latest_key]
        shown = [s for s in summary if s.round.period_key == latest_key]
        timed("xlsx, latest period (201 sh.)", xlsx.build_xlsx, latest, shown, lang, tmpdir)
        timed("xlsx, all history (1,201 sh.)", xlsx.build_xlsx, rounds, summary, lang, tmpdir)
        timed("portfolio chart", charts.portfolio_chart, latest, lang)
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  total {total:.2f} s, peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("account", "portfolio", "db"))
    parser.add_argument("--tmpdir", help="where XLSX rows spool (CANDOR_REPORT_TMPDIR)")
    args = parser.parse_args()
    if args.case:
        run_case(args.case, args.tmpdir)
        return
    extra = ["--tmpdir", args.tmpdir] if args.tmpdir else []
    for case in ("account", "portfolio", "db"):
        print(f"{case}:", flush=True)
        command = [sys.executable, "-m", "bench.reports", "--case", case, *extra]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
