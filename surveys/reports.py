"""Summary tables of a round: one row per contact, one column per question."""

from __future__ import annotations

from dataclasses import dataclass, field

from surveys.model import Answer, ConversationStatus, Language, SentimentLabel
from surveys.periods import Telling, round_title
from surveys.questions import COMMENT_KEY, QUESTION_KEYS, answered_partly, question_label
from surveys.reporting.labels import L
from surveys.texts import partly_note, t

_MARK = {
    SentimentLabel.NEGATIVE: "[-]",
    SentimentLabel.NEUTRAL: "[~]",
    SentimentLabel.POSITIVE: "[+]",
}


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    label: SentimentLabel | None
    late: bool = False


@dataclass(slots=True)
class SummaryRow:
    contact: str
    status: ConversationStatus
    cells: dict[str, Cell] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RoundSummary:
    account: str
    period_key: str
    title: str  # as stored; people read round_title(period_key, title, lang, apart)
    rows: list[SummaryRow]
    apart: Telling | None = None  # its day, when another round of the account reads the same

    @property
    def invited(self) -> int:
        return len(self.rows)

    @property
    def responded(self) -> int:
        return sum(1 for r in self.rows if r.cells or r.comments)

    @property
    def partly(self) -> int:
        """Of those who responded, how many left a question unanswered."""
        return sum(
            1
            for r in self.rows
            if answered_partly([*r.cells, *([COMMENT_KEY] if r.comments else [])])
        )

    @property
    def response_rate(self) -> float:
        return self.responded / self.invited if self.invited else 0.0

    @property
    def negatives(self) -> int:
        return sum(
            1 for r in self.rows for c in r.cells.values() if c.label is SentimentLabel.NEGATIVE
        )


def summary_row(contact: str, status: ConversationStatus, answers: list[Answer]) -> SummaryRow:
    row = SummaryRow(contact=contact, status=status)
    for answer in answers:
        label = answer.sentiment.label if answer.sentiment else None
        if answer.question_key in QUESTION_KEYS:
            row.cells[answer.question_key] = Cell(answer.text, label, answer.late)
        else:
            row.comments.append(answer.text)
    return row


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())  # newlines would break the table's rows
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(summary: RoundSummary, lang: Language, width: int = 28) -> str:
    """A plain-text table for terminals and monospace chat blocks."""
    head = {
        Language.EN: ("Contact", "Status", "Responded"),
        Language.RU: ("Контакт", "Статус", "Ответили"),
    }[lang]
    partly = partly_note(summary.partly, lang)
    columns = [head[0], head[1], *(question_label(k, lang) for k in QUESTION_KEYS)]
    lines: list[list[str]] = []
    for row in summary.rows:
        cells = []
        for key in QUESTION_KEYS:
            cell = row.cells.get(key)
            if cell is None:
                cells.append("—")
            else:
                mark = _MARK.get(cell.label, "[ ]") if cell.label else "[ ]"
                cells.append(f"{mark} {_clip(cell.text, width)}")
        lines.append([_clip(row.contact, 24), L(f"conv.{row.status.value}", lang), *cells])
    # A list, not max(a, *rest): a round nobody was invited to (a census of no users yet)
    # has no lines, and max() of one bare number would raise.
    widths = [max([len(c), *(len(line[i]) for line in lines)]) for i, c in enumerate(columns)]

    def fmt(values: list[str]) -> str:
        return " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    title = round_title(summary.period_key, summary.title, lang, summary.apart)
    out = [
        f"{summary.account} — {title}",
        f"{head[2]}: {summary.responded}/{summary.invited} ({summary.response_rate:.0%}){partly}"
        if summary.invited
        else t("report_no_one_asked", lang),  # not "0/0 (0%)": nobody to respond
        fmt(columns),
        "-+-".join("-" * w for w in widths),
        *(fmt(line) for line in lines),
    ]
    comments = [(r.contact, c) for r in summary.rows for c in r.comments]
    if comments:
        out.append("")
        out.extend(f"{_clip(who, 24)}: {_clip(text, 3 * width)}" for who, text in comments)
    return "\n".join(out)
