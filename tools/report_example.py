"""Make the README's report pictures and example summary row from a seeded example.

    python -m tools.report_example        # writes docs/report-trend.png, docs/report-portfolio.png

The data is a fixed, seeded example (no database needed), so the pictures change only
when the chart code does.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from surveys.model import (
    Account,
    AlertStatus,
    ContactLevel,
    ConversationStatus,
    Language,
    Round,
    SentimentLabel,
)
from surveys.questions import QUESTION_KEYS
from surveys.reporting import charts, xlsx
from surveys.reporting.data import AlertInfo, AnswerCell, ContactRow, RoundData, summary_lines

DOCS = Path(__file__).resolve().parents[1] / "docs"
T0 = datetime(2026, 1, 12, 9, tzinfo=UTC)
# Per question, the chance of a negative answer in the first and the last period.
DRIFT = {"outcome": (0.45, 0.10), "speed": (0.55, 0.30), "politeness": (0.15, 0.05)}


def account_rounds(account: Account, periods: int, rnd: random.Random) -> list[RoundData]:
    out = []
    for p in range(periods):
        opened = T0 + timedelta(weeks=4 * p)
        round_ = Round(p + 1, account.id, f"{opened:%Y-%m}", f"{opened:%B}", opened)
        share = p / max(1, periods - 1)
        rows = []
        for c in range(24):
            level = ContactLevel.STAKEHOLDER if c < 6 else ContactLevel.USER
            row = ContactRow(f"Contact {c + 1}", level, ConversationStatus.COMPLETED)
            if rnd.random() < 0.55 + 0.35 * share:
                for key in QUESTION_KEYS:
                    start, end = DRIFT[key]
                    negative = rnd.random() < start + (end - start) * share
                    label = SentimentLabel.NEGATIVE if negative else SentimentLabel.POSITIVE
                    alert = AlertInfo(AlertStatus.RESOLVED, "Called") if negative else None
                    row.answers[key] = AnswerCell("…", label, 0.9, "", False, opened, alert)
            rows.append(row)
        out.append(RoundData(account, round_, rows))
    return out


def main() -> None:
    rnd = random.Random(2026)
    globex = Account(1, "Globex", 1, timezone="Europe/Moscow")
    rounds = account_rounds(globex, 6, rnd)
    DOCS.mkdir(exist_ok=True)
    (DOCS / "report-trend.png").write_bytes(charts.account_chart(globex, rounds, Language.EN))
    portfolio = [rounds[-1]]
    for i, name in enumerate(["Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne"]):
        DRIFT["speed"] = (0.2 + 0.1 * i, 0.6 - 0.1 * i)
        portfolio.append(account_rounds(Account(i + 2, name, 1), 6, rnd)[-1])
    (DOCS / "report-portfolio.png").write_bytes(charts.portfolio_chart(portfolio, Language.EN))
    line = [s for s in summary_lines(rounds) if s.level is ContactLevel.STAKEHOLDER][-1]
    m = line.measures
    values = [
        line.account.name, line.round.period_key,
        line.title(Language.EN),
        f"{line.round.opened_at.astimezone(ZoneInfo(globex.timezone)):%Y-%m-%d}",
        "stakeholders", str(m.population),
        str(m.responded), f"{m.response_rate:.0%}",
        *(f"{m.negative_share[k]:.0%}" for k in QUESTION_KEYS),
        str(m.open_alerts), str(m.resolved_alerts),
        f"{line.delta_rate:+.0%}", f"{line.delta_negative:+.0%}",
    ]  # fmt: skip
    print("| " + " | ".join(xlsx.summary_headers(Language.EN)) + " |")
    print("|" + "---|" * len(values))
    print("| " + " | ".join(values) + " |")


if __name__ == "__main__":
    main()
