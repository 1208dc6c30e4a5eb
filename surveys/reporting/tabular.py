"""The per-answer rows as CSV: UTF-8 with a BOM so Excel reads Cyrillic, comma or semicolon.
A contact made staff who gave no answer in a round has one row of its own, without a question,
its *Status* "staff — not surveyed" (as the XLSX round sheet and /contacts say): every row with
a question is an answer, and a filter on *Status* finds them, as it finds the expired ones.

Spreadsheets evaluate a CSV cell that starts with = + - @ (or a tab / carriage return) as
a formula; such cells get a leading apostrophe (OWASP's advice), which shows as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from surveys.model import Language
from surveys.questions import COMMENT_KEY, QUESTION_KEYS
from surveys.reporting.data import RoundData
from surveys.reporting.labels import L, label_name, level_name, question_name, row_status

MIME = "text/csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_headers(lang: Language) -> list[str]:
    return [
        L(k, lang)
        for k in (
            "account", "period", "round", "contact", "level", "status", "question", "answer",
            "sentiment", "score", "evidence", "edited", "answered_at", "alert_status",
            "alert_note",
        )
    ]  # fmt: skip


def build_csv(rounds: Sequence[RoundData], lang: Language, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    head = csv_headers(lang)
    writer.writerow(head)
    yes = L("yes", lang)
    for data in rounds:
        tz = ZoneInfo(data.account.timezone)
        for row in data.rows:
            who = [
                defuse(data.account.name),
                data.round.period_key,
                defuse(data.title(lang)),
                defuse(row.contact),
                level_name(row.level, lang),
                row_status(row, lang),
            ]
            if row.staff:  # no answers: its status says why
                writer.writerow([*who, *[""] * (len(head) - len(who))])
                continue
            for key in (*QUESTION_KEYS, COMMENT_KEY):
                cell = row.answers.get(key)
                if cell is None:
                    continue
                alert = cell.alert
                writer.writerow(
                    [
                        *who,
                        question_name(key, lang),
                        defuse(cell.text),
                        label_name(cell.label, lang),
                        f"{cell.score:.2f}" if cell.score is not None else "",
                        defuse(cell.evidence),
                        yes if cell.edited else "",
                        cell.answered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                        L(f"alert.{alert.status.value}", lang) if alert else "",
                        defuse(alert.note) if alert else "",
                    ]
                )
    return out.getvalue().encode("utf-8-sig")
