"""Report benchmark: XLSX, CSV and charts for one big account and a 200-account portfolio.

    python -m bench.reports            # both cases, each in its own process (peak RSS)
    python -m bench.reports --case account

Data is synthetic and built in memory (the report rows storage would hand over), so the
figures are for building the files and pictures; reading the rows from the database is
not included. Peak memory is the process's maximum resident set size, interpreter,
matplotlib and the data included.
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


def run_case(case: str) -> None:
    rnd = random.Random(14)
    lang = Language.RU
    start = time.perf_counter()
    if case == "account":
        account = Account(1, "Globex", 1, timezone="Europe/Moscow")
        rounds, _ = timed("build 50 × 1,000 rows", make_rounds, account, 50, 1000, rnd)
        summary, _ = timed("summary lines", summary_lines, rounds)
        timed("xlsx (51 sheets)", xlsx.build_xlsx, rounds, summary, lang)
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
        timed("xlsx, latest period (201 sh.)", xlsx.build_xlsx, latest, shown, lang)
        timed("xlsx, all history (1,201 sh.)", xlsx.build_xlsx, rounds, summary, lang)
        timed("portfolio chart", charts.portfolio_chart, latest, lang)
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"  total {total:.2f} s, peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("account", "portfolio"))
    args = parser.parse_args()
    if args.case:
        run_case(args.case)
        return
    for case in ("account", "portfolio"):
        print(f"{case}:", flush=True)
        subprocess.run([sys.executable, "-m", "bench.reports", "--case", case], check=True)


if __name__ == "__main__":
    main()
