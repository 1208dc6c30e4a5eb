"""The SLA summary workbook: a summary sheet, then one sheet per round (XlsxWriter).

Every text we did not write goes through ``write_string`` with ``strings_to_formulas``
off, so an answer like ``=cmd|'/c calc'!A1`` is stored as text and never evaluated.
``constant_memory`` streams each row to disk, which keeps a 50 000-row report small in RAM
(rows must then be written top to bottom, which is what we do).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from surveys.model import Language, SentimentLabel
from surveys.questions import COMMENT_KEY, QUESTION_KEYS
from surveys.reporting.data import AlertInfo, RoundData, SummaryLine
from surveys.reporting.labels import L, label_name, level_name, question_name, row_status
from surveys.texts import t

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")
_WIDTH_SAMPLE = 300  # rows looked at to size a column; enough to fit, cheap on big rounds
_MAX_WIDTH = 60
CELL_LIMIT = 32_767  # UTF-16 units in one Excel cell; XlsxWriter cuts longer text silently


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cell_text(text: str, lang: Language) -> str:
    """A client's words as one cell holds them: whole, or cut (for display) with a note
    saying where the whole text is (an answer may be 40,000 characters long)."""
    if len(text) <= CELL_LIMIT // 2 or _utf16(text) <= CELL_LIMIT:
        return text
    note = L("cell_cut", lang)
    room = CELL_LIMIT - _utf16(note)
    kept = text[:room]  # a character is one or two units: at most ``room`` units, cut below
    while _utf16(kept) > room:
        kept = kept[: -max(1, (_utf16(kept) - room) // 2)]
    return kept + note


@dataclass(frozen=True, slots=True)
class AlertColumn:
    """A per-question alert column. A disposition column is one more entry in ALERT_COLUMNS."""

    header: str
    value: Callable[[AlertInfo, Language], str]


ALERT_COLUMNS: tuple[AlertColumn, ...] = (
    AlertColumn("alert_status", lambda a, lang: L(f"alert.{a.status.value}", lang)),
    AlertColumn("alert_note", lambda a, lang: a.note),
    AlertColumn(
        "alert_disposition",
        lambda a, lang: t(f"disposition.{a.disposition}", lang) if a.disposition else "",
    ),
)


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        self.head = book.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "text_wrap": True, "valign": "top", "border": 1}
        )
        self.text = book.add_format({"text_wrap": True, "valign": "top"})
        self.neg = book.add_format({"text_wrap": True, "valign": "top", "bg_color": "#FFC7CE"})
        self.pos = book.add_format({"text_wrap": True, "valign": "top", "bg_color": "#C6EFCE"})
        self.pct = book.add_format({"num_format": "0%", "valign": "top"})
        self.delta = book.add_format({"num_format": "+0%;-0%;0%", "valign": "top"})
        self.num = book.add_format({"num_format": "0.00", "valign": "top"})
        self.int = book.add_format({"num_format": "0", "valign": "top"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
        self.day = book.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})

    def for_label(self, label: SentimentLabel | None) -> Any:
        if label is SentimentLabel.NEGATIVE:
            return self.neg
        if label is SentimentLabel.POSITIVE:
            return self.pos
        return self.text


def _local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)  # Excel has no time zones


def _fit(header: str, values: Sequence[str], wrap_at: int = _MAX_WIDTH) -> float:
    longest = max([len(header) // 2 + 2, *(len(v) + 2 for v in values[:_WIDTH_SAMPLE])])
    return float(min(max(longest, 8), wrap_at))


def build_xlsx(
    rounds: Sequence[RoundData],
    summary: Sequence[SummaryLine],
    lang: Language,
    tmpdir: str | None = None,
) -> bytes:
    """``tmpdir``: where rows are spooled (one temporary file per sheet); None is the
    system's temporary directory. A RAM disk (/dev/shm) makes many-sheet books much faster."""
    out = io.BytesIO()
    options: dict[str, Any] = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
        "in_memory": False,  # constant_memory streams rows through temporary files
    }
    if tmpdir:
        options["tmpdir"] = tmpdir
    book = xlsxwriter.Workbook(out, options)
    fmt = _Formats(book)
    _summary_sheet(book.add_worksheet(L("sheet.summary", lang)[:31]), summary, lang, fmt)
    names: set[str] = {L("sheet.summary", lang).casefold()}
    for data in rounds:
        sheet = book.add_worksheet(_sheet_name(data, names))
        _round_sheet(sheet, data, lang, fmt)
    book.close()
    return out.getvalue()


def _sheet_name(data: RoundData, taken: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", f"{data.account.name[:18]} {data.round.period_key}").strip()
    base = base[:31] or "round"
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.casefold())
    return name


def summary_headers(lang: Language) -> list[str]:
    return [
        L("account", lang),
        L("period", lang),
        L("round", lang),
        L("opened", lang),
        L("level", lang),
        L("population", lang),
        L("responded", lang),
        L("response_rate", lang),
        *(L("negative_share", lang, question=question_name(k, lang)) for k in QUESTION_KEYS),
        L("alerts_open", lang),
        L("alerts_resolved", lang),
        L("delta_rate", lang),
        L("delta_negative", lang),
        L("partly", lang),  # last: the columns before keep their places
    ]


def _summary_sheet(
    sheet: Worksheet, summary: Sequence[SummaryLine], lang: Language, fmt: _Formats
) -> None:
    head = summary_headers(lang)
    names = [s.account.name for s in summary]
    titles = [s.title(lang) for s in summary]
    keys = [s.round.period_key for s in summary]
    widths = [_fit(head[0], names, 40), _fit(head[1], keys, 20), _fit(head[2], titles, 40)]
    widths += [12, 14] + [max(10.0, len(h) / 2 + 2) for h in head[5:]]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 32)
    for col, text in enumerate(head):
        sheet.write_string(0, col, text, fmt.head)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(1, len(summary)), len(head) - 1)
    if not summary:
        sheet.write_string(1, 0, L("empty", lang), fmt.text)
        return
    for r, (line, title) in enumerate(zip(summary, titles, strict=True), start=1):
        m = line.measures
        sheet.write_string(r, 0, line.account.name, fmt.text)
        sheet.write_string(r, 1, line.round.period_key, fmt.text)
        sheet.write_string(r, 2, title, fmt.text)
        sheet.write_datetime(r, 3, _local(line.round.opened_at, line.account.timezone), fmt.day)
        sheet.write_string(r, 4, level_name(line.level, lang), fmt.text)
        sheet.write_number(r, 5, m.population, fmt.int)
        sheet.write_number(r, 6, m.responded, fmt.int)
        sheet.write_number(r, 7, m.response_rate, fmt.pct)
        col = 8
        for key in QUESTION_KEYS:
            share = m.negative_share[key]
            if share is None:
                sheet.write_blank(r, col, None, fmt.pct)
            else:
                sheet.write_number(r, col, share, fmt.pct)
            col += 1
        sheet.write_number(r, col, m.open_alerts, fmt.int)
        sheet.write_number(r, col + 1, m.resolved_alerts, fmt.int)
        for offset, delta in ((2, line.delta_rate), (3, line.delta_negative)):
            if delta is None:
                sheet.write_blank(r, col + offset, None, fmt.delta)
            else:
                sheet.write_number(r, col + offset, delta, fmt.delta)
        sheet.write_number(r, col + 4, m.partly, fmt.int)
    # Colour the negative shares: over a third is red, none is green.
    first, last = 8, 8 + len(QUESTION_KEYS) - 1
    sheet.conditional_format(1, first, len(summary), last, {
        "type": "cell", "criteria": ">=", "value": 1 / 3, "format": fmt.neg,
    })  # fmt: skip
    sheet.conditional_format(1, first, len(summary), last, {
        "type": "cell", "criteria": "==", "value": 0, "format": fmt.pos,
    })  # fmt: skip


def round_headers(lang: Language) -> list[str]:
    head = [L("contact", lang), L("level", lang), L("status", lang), L("answered_at", lang)]
    for key in QUESTION_KEYS:
        q = question_name(key, lang)
        head += [
            f"{q}: {L('answer', lang)}",
            f"{q}: {L('sentiment', lang)}",
            f"{q}: {L('score', lang)}",
            f"{q}: {L('evidence', lang)}",
            f"{q}: {L('edited', lang)}",
            *(f"{q}: {L(c.header, lang)}" for c in ALERT_COLUMNS),
        ]
    head.append(question_name(COMMENT_KEY, lang))
    return head


def _round_sheet(sheet: Worksheet, data: RoundData, lang: Language, fmt: _Formats) -> None:
    head = round_headers(lang)
    rows = data.rows
    per_q = 5 + len(ALERT_COLUMNS)
    statuses = [row_status(r, lang) for r in rows[:_WIDTH_SAMPLE]]
    widths = [_fit(head[0], [r.contact for r in rows], 30), 14, _fit(head[2], statuses, 28), 17]
    for key in QUESTION_KEYS:
        texts = [c.text for r in rows[:_WIDTH_SAMPLE] if (c := r.answers.get(key))]
        widths += [_fit(head[len(widths)], texts, 50), 12, 8, 20, 8]
        widths += [12, 30][: len(ALERT_COLUMNS)] + [16] * max(0, len(ALERT_COLUMNS) - 2)
    comments = [c.text for r in rows[:_WIDTH_SAMPLE] if (c := r.answers.get(COMMENT_KEY))]
    widths.append(_fit(head[-1], comments, 50))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 45)
    for col, text in enumerate(head):
        sheet.write_string(0, col, text, fmt.head)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(1, len(rows)), len(head) - 1)
    tz = data.account.timezone
    yes = L("yes", lang)
    for r, row in enumerate(rows, start=1):
        sheet.write_string(r, 0, row.contact, fmt.text)
        sheet.write_string(r, 1, level_name(row.level, lang), fmt.text)
        sheet.write_string(r, 2, row_status(row, lang), fmt.text)
        if row.answers:
            last = max(c.answered_at for c in row.answers.values())
            sheet.write_datetime(r, 3, _local(last, tz), fmt.date)
        col = 4
        for key in QUESTION_KEYS:
            cell = row.answers.get(key)
            if cell is not None:
                colour = fmt.for_label(cell.label)
                sheet.write_string(r, col, cell_text(cell.text, lang), colour)
                sheet.write_string(r, col + 1, label_name(cell.label, lang), colour)
                if cell.score is not None:
                    sheet.write_number(r, col + 2, round(cell.score, 2), fmt.num)
                sheet.write_string(r, col + 3, cell.evidence, fmt.text)
                if cell.edited:
                    sheet.write_string(r, col + 4, yes, fmt.text)
                if cell.alert is not None:
                    for i, column in enumerate(ALERT_COLUMNS):
                        sheet.write_string(r, col + 5 + i, column.value(cell.alert, lang), fmt.text)
            col += per_q
        comment = row.answers.get(COMMENT_KEY)
        if comment is not None:
            sheet.write_string(r, col, cell_text(comment.text, lang), fmt.text)
