"""Which survey round of an account is still open, and whether it stops a schedule.

A survey round accepts answers for the policy's expiry delay after it opened; the newest
one supersedes older ones (a contact answers one round at a time). A schedule that comes
due while another round is open — one staff started by hand, or one a former schedule
opened — skips that occurrence instead of asking clients who may have answered minutes
ago again under a title that reads the same. A schedule's own previous round does not stop
it: a cadence shorter than the expiry delay supersedes its rounds, as it always did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from surveys.alerts import staff_notice
from surveys.model import Account, Language, OutgoingMessage, Round, Schedule, Staff
from surveys.periods import Telling, distinct_round_title, local_time, round_title
from surveys.schedules import DuePeriod
from surveys.texts import t


@dataclass(frozen=True, slots=True)
class OpenRound:
    round: Round
    closes_at: datetime  # answers are accepted until then
    apart: Telling | None = None  # what tells it from an alike round (joining.open_round)

    def title(self, lang: Language) -> str:
        """The round as staff read it in every view (periods.distinct_round_title)."""
        return round_title(self.round.period_key, self.round.title, lang, self.apart)


def open_survey_round(
    rounds: Iterable[Round], now: datetime, expiry_delay: timedelta
) -> OpenRound | None:
    """The account's survey round (not a census) still accepting answers at ``now``."""
    surveys = [r for r in rounds if not r.is_census]
    if not surveys:
        return None
    newest = max(surveys, key=lambda r: (r.opened_at, r.id))  # it superseded the older ones
    closes_at = newest.opened_at + expiry_delay
    return OpenRound(newest, closes_at) if now < closes_at else None


def blocking_round(
    schedule: Schedule, due_key: str, rounds: Iterable[Round], now: datetime,
    expiry_delay: timedelta,
) -> OpenRound | None:  # fmt: skip
    """The open round that makes ``schedule`` skip its period ``due_key`` now, if any.

    None when nothing is open, when the open round is this period's own (a second firing
    after a restart finds it and opens nothing), or when it is the schedule's previous one.
    """
    current = open_survey_round(rounds, now, expiry_delay)
    if current is None or current.round.period_key in (due_key, schedule.last_period_key):
        return None
    return current


def skip_notices(
    people: Iterable[Staff], account: Account, schedule_id: int, period: DuePeriod,
    open_now: OpenRound, rounds: list[Round], now: datetime,
) -> list[OutgoingMessage]:  # fmt: skip
    """One notice per person that the schedule skipped ``period``, in their language; keyed
    by schedule, period and person, so a repeated tick or a restart sends nothing more."""
    notices = []
    for person in people:
        lang = person.language
        text = t(
            "schedule_skipped",
            lang,
            account=account.name,
            period=round_title(period.key, period.title, lang),
            open=distinct_round_title(open_now.round, rounds, lang, account.timezone),
            closes=local_time(open_now.closes_at, account.timezone),
        )
        key = f"schedule-skipped:{schedule_id}:{period.key}:{person.id}"
        if notice := staff_notice(person, text, key, now):
            notices.append(notice)
    return notices
