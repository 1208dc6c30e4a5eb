"""What a report is made of, gathered from storage into plain rows, and its measures.

Everything here is computed from domain objects, so the XLSX, the CSV, the charts and the
weekly digest all count the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from surveys.alerts import resolving_note
from surveys.model import (
    Account,
    AlertStatus,
    ContactLevel,
    ConversationStatus,
    Disposition,
    Language,
    Round,
    SentimentLabel,
)
from surveys.periods import Telling, round_title, tellings
from surveys.ports import ReportAnswer, UnitOfWork
from surveys.questions import COMMENT_KEY, QUESTION_KEYS, answered_partly
from surveys.service import staff_chats

OPEN_ALERTS = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED})


@dataclass(frozen=True, slots=True)
class AlertInfo:
    """An alert as a report shows it."""

    status: AlertStatus
    note: str = ""
    disposition: str | None = None  # how a resolved alert ended: fixed, explained, not_us, …

    @property
    def not_about_us(self) -> bool:
        """Resolved as another party's doing: the answer stays, out of the negative share."""
        return self.disposition == Disposition.NOT_US.value


@dataclass(frozen=True, slots=True)
class AnswerCell:
    text: str
    label: SentimentLabel | None
    score: float | None
    evidence: str
    edited: bool
    answered_at: datetime
    alert: AlertInfo | None = None


@dataclass(slots=True)
class ContactRow:
    contact: str
    level: ContactLevel
    status: ConversationStatus
    answers: dict[str, AnswerCell] = field(default_factory=dict)  # question key -> answer
    # Made staff after being a contact (as /contacts marks them), and no answer in this
    # round: the reason there is none. Answers they gave as a contact show as answers.
    staff: bool = False

    @property
    def responded(self) -> bool:
        return bool(self.answers)

    @property
    def partly(self) -> bool:
        """Responded, but not to every question: one answer of three is not a full reply."""
        return answered_partly(self.answers)


@dataclass(slots=True)
class RoundData:
    account: Account
    round: Round
    rows: list[ContactRow]
    # What tells the round apart from another of the account reading the same (its day).
    apart: Telling | None = None

    def title(self, lang: Language) -> str:
        """The round as staff read it in every view (surveys.periods.distinct_round_title)."""
        return round_title(self.round.period_key, self.round.title, lang, self.apart)


@dataclass(frozen=True, slots=True)
class Measures:
    population: int
    responded: int
    negative_share: dict[str, float | None]  # question -> share of its answers; None: none
    open_alerts: int
    resolved_alerts: int
    partly: int = 0  # part of responded: not every question answered

    @property
    def response_rate(self) -> float:
        return self.responded / self.population if self.population else 0.0

    @property
    def overall_negative(self) -> float | None:
        shares = [s for s in self.negative_share.values() if s is not None]
        return sum(shares) / len(shares) if shares else None


def measure(rows: Iterable[ContactRow]) -> Measures:
    population = responded = partly = open_alerts = resolved = 0
    negatives = dict.fromkeys(QUESTION_KEYS, 0)
    answered = dict.fromkeys(QUESTION_KEYS, 0)
    for row in rows:
        population += 1
        responded += row.responded
        partly += row.partly
        for key, cell in row.answers.items():
            if key in answered:
                answered[key] += 1
                negatives[key] += cell.label is SentimentLabel.NEGATIVE and not (
                    cell.alert is not None and cell.alert.not_about_us
                )
            if cell.alert is not None:
                if cell.alert.status in OPEN_ALERTS:
                    open_alerts += 1
                else:
                    resolved += 1
    shares = {k: (negatives[k] / answered[k] if answered[k] else None) for k in QUESTION_KEYS}
    return Measures(population, responded, shares, open_alerts, resolved, partly)


@dataclass(frozen=True, slots=True)
class SummaryLine:
    """One row of the summary sheet: an account's round at one level (None: all levels)."""

    account: Account
    round: Round
    level: ContactLevel | None
    measures: Measures
    previous: Measures | None  # the same level in the account's previous round
    apart: Telling | None = None  # as RoundData.apart

    def title(self, lang: Language) -> str:
        return round_title(self.round.period_key, self.round.title, lang, self.apart)

    @property
    def delta_rate(self) -> float | None:
        return self.measures.response_rate - self.previous.response_rate if self.previous else None

    @property
    def delta_negative(self) -> float | None:
        now = self.measures.overall_negative
        before = self.previous.overall_negative if self.previous else None
        return now - before if now is not None and before is not None else None


LEVELS: tuple[ContactLevel, ...] = (ContactLevel.STAKEHOLDER, ContactLevel.USER)


def summary_lines(rounds: Sequence[RoundData]) -> list[SummaryLine]:
    """Per round and level, with the change since the account's previous round.

    ``rounds`` must hold every round of each account in order, so "previous" is right even
    when only some are shown; the caller filters afterwards.
    """
    lines: list[SummaryLine] = []
    last: dict[tuple[int, ContactLevel], Measures] = {}
    for data in rounds:
        for level in LEVELS:
            rows = [r for r in data.rows if r.level is level]
            if not rows:
                continue
            now = measure(rows)
            key = (data.account.id, level)
            lines.append(
                SummaryLine(data.account, data.round, level, now, last.get(key), data.apart)
            )
            last[key] = now
    return lines


def _note(notes: Sequence[dict[str, object]]) -> str:
    return "; ".join(str(n["note"]) for n in notes if n.get("note"))


def _disposition(notes: Sequence[dict[str, object]]) -> str | None:
    """How the alert ended, from the note that last resolved it, if any."""
    found = (resolving_note(notes) or {}).get("disposition")
    return str(found) if found else None


async def collect(uow: UnitOfWork, accounts: Sequence[Account]) -> list[RoundData]:
    """Every round of ``accounts``, oldest first per account, as report rows."""
    out: list[RoundData] = []
    chats = await staff_chats(uow)
    for account in accounts:
        contacts = {c.id: c for c in await uow.contacts.for_account(account.id)}
        rounds = sorted(await uow.rounds.for_account(account.id), key=lambda r: r.opened_at)
        apart = tellings(rounds, account.timezone)  # named among all, whichever are shown
        by_conv: dict[int, list[ReportAnswer]] = {}
        for answer in await uow.reports.answers(account.id):  # in the order they arrived
            by_conv.setdefault(answer.conversation_id, []).append(answer)
        by_round: dict[int, list[ContactRow]] = {r.id: [] for r in rounds}
        for conv in await uow.reports.conversations(account.id):
            contact = contacts.get(conv.contact_id)
            if contact is None or conv.round_id not in by_round:
                continue
            answers = by_conv.get(conv.id, [])
            staff = contact.reachable_at is not None and contact.reachable_at in chats
            row = ContactRow(contact.name, contact.level, conv.status, staff=staff and not answers)
            for answer in answers:
                _put(row, answer)
            by_round[conv.round_id].append(row)
        for round_ in rounds:
            rows = by_round[round_.id]
            rows.sort(key=lambda r: (r.level.value, r.contact.casefold()))
            out.append(RoundData(account, round_, rows, apart.get(round_.id)))
    return out


def _put(row: ContactRow, answer: ReportAnswer) -> None:
    alert = (
        AlertInfo(answer.alert_status, _note(answer.alert_notes), _disposition(answer.alert_notes))
        if answer.alert_status
        else None
    )
    cell = AnswerCell(
        text=answer.text,
        label=answer.label,
        score=answer.score,
        evidence=", ".join(answer.evidence),
        edited=answer.edited,
        answered_at=answer.received_at,
        alert=alert,
    )
    key = answer.question_key if answer.question_key in QUESTION_KEYS else COMMENT_KEY
    previous = row.answers.get(key)
    if key == COMMENT_KEY and previous is not None:  # several comments: one cell
        cell = AnswerCell(
            f"{previous.text}\n{cell.text}", previous.label, previous.score, previous.evidence,
            previous.edited or cell.edited, previous.answered_at, previous.alert or cell.alert,
        )  # fmt: skip
    row.answers[key] = cell


def in_window(data: RoundData, window: tuple[datetime, datetime] | None) -> bool:
    return window is None or window[0] <= data.round.opened_at < window[1]
