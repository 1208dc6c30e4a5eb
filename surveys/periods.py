"""A round's period in words: its title as staff and clients read it, and what a client's
invitation asks about.

A round's stored title is a key-like string ("2026-11-29", "2026-Q3", "Census 2026-H2");
every place that shows a round to a person names it from its period key instead, in the
reader's language: «ноябрь 2026 г.», "Q3 2026", "H2 2026 user census". The invitation says
what the feedback is about: "the work in November 2026", "Sprint 14".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from surveys.model import Language, Round
from surveys.texts import t

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# A title names the month (nominative): «ноябрь 2026 г.».
_MONTHS_RU = (
    "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
    "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
# The invitation needs the prepositional case: «о работе в ноябре».
_MONTHS_RU_IN = (
    "январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре",
    "октябре", "ноябре", "декабре",
)  # fmt: skip
# A day told apart from another in the same month: "30 Nov" / «30 нояб.» (genitive).
_MONTHS_EN_SHORT = tuple(m[:3] for m in _MONTHS_EN)
_MONTHS_RU_SHORT = (
    "янв.", "февр.", "мар.", "апр.", "мая", "июн.", "июл.", "авг.", "сент.", "окт.", "нояб.",
    "дек.",
)  # fmt: skip
_HALVES_RU = ("в первом", "во втором")  # «во» before «вт»
_HALVES_EN = ("first", "second")
# A manual round is keyed by its day, a cron one by its moment; both ask about the month.
_DAY = re.compile(r"^(?:manual|cron)-(\d{4})-(\d{2})-(\d{2})")
_CRON = re.compile(r"^cron-(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})")  # its local wall time
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_SPRINT = re.compile(r"^sprint-(\d+)$")
_YEAR = re.compile(r"^(\d{4})$")
_CENSUS = "census-"  # a census's key is its period's: census-2026-H1, census-2026-Q3, census-2026


def _period(key: str) -> tuple[str, int, int] | None:
    """(kind, year, number) of a period key — ("month", 2026, 11), ("quarter", 2026, 3),
    ("half", 2026, 1), ("year", 2026, 0), ("sprint", 0, 14) — or None for a key we do not
    know (a round stored before these keys existed)."""
    if m := _DAY.match(key) or _MONTH.match(key):
        return "month", int(m[1]), int(m[2])
    if m := _QUARTER.match(key):
        return "quarter", int(m[1]), int(m[2])
    if m := _HALF.match(key):
        return "half", int(m[1]), int(m[2])
    if m := _YEAR.match(key):
        return "year", int(m[1]), 0
    if m := _SPRINT.match(key):
        return "sprint", 0, int(m[1])
    return None


@dataclass(frozen=True, slots=True)
class Telling:
    """What tells a round apart from another of its account that reads the same: its day,
    and its time of day when they share the day too (account's zone: "14:05", or
    "14:05:30" when the minute is shared as well)."""

    day: date
    time: str | None = None


def round_title(period_key: str, title: str, lang: Language, apart: Telling | None = None) -> str:
    """A round's title as ``lang`` reads it, from its period: «ноябрь 2026 г.» / "November
    2026" for a manual round of 2026-11-29, "Q3 2026", "Sprint 14", "H2 2026 user census".
    A key we cannot read keeps its stored ``title``. ``apart`` (see ``tellings``) follows
    it: "November 2026 (30 Nov)", "November 2026 (30 Nov, 14:05)"."""
    name = _period_title(period_key, title, lang)
    if apart is None:
        return name
    months = _MONTHS_RU_SHORT if lang is Language.RU else _MONTHS_EN_SHORT
    day, month = apart.day.day, months[apart.day.month - 1]
    if apart.time is None:
        return t("period_title.with_day", lang, title=name, day=day, month=month)
    return t("period_title.with_time", lang, title=name, day=day, month=month, time=apart.time)


@lru_cache(maxsize=4096)  # a report names each of thousands of rounds; the words never change
def _period_title(period_key: str, title: str, lang: Language) -> str:
    period = _period(period_key.removeprefix(_CENSUS))
    if period is None:
        return title
    kind, year, n = period
    months = _MONTHS_RU if lang is Language.RU else _MONTHS_EN
    month = months[n - 1] if kind == "month" else ""
    name = t(f"period_title.{kind}", lang, year=year, n=n, month=month)
    return t("census_title", lang, period=name) if period_key.startswith(_CENSUS) else name


def distinct_round_title(round_: Round, rounds: Iterable[Round], lang: Language, tz: str) -> str:
    """``round_``'s title as ``lang`` reads it, told apart from its account's other
    ``rounds`` (in the account's time zone ``tz``): the one name every staff view gives it.
    A round alone in its period keeps its plain title."""
    apart = tellings([round_, *(r for r in rounds if r.id != round_.id)], tz).get(round_.id)
    return round_title(round_.period_key, round_.title, lang, apart)


def tellings(rounds: Iterable[Round], tz: str) -> dict[int, Telling]:
    """What tells each of one account's ``rounds`` apart from another reading the same title
    (a manual round after a scheduled one in the same month), by round id; a round whose
    period alone names it is left out. Its day first; its time too when an alike round
    opened the same day (a cron rule firing twice a day, a manual round after the monthly)."""
    alike: dict[tuple[bool, str], list[Round]] = {}
    for r in rounds:
        key = (r.is_census, _period_title(r.period_key, r.title, Language.EN))
        alike.setdefault(key, []).append(r)
    zone = ZoneInfo(tz)
    out: dict[int, Telling] = {}
    for group in alike.values():
        if len(group) < 2:
            continue
        moments = {r.id: _moment(r, zone) for r in group}
        for r in group:
            day, at = moments[r.id]
            same_day = [m for i, (d, m) in moments.items() if i != r.id and d == day]
            if not same_day:
                out[r.id] = Telling(day)
            elif any(m.strftime("%H:%M") == at.strftime("%H:%M") for m in same_day):
                out[r.id] = Telling(day, at.strftime("%H:%M:%S"))
            else:
                out[r.id] = Telling(day, at.strftime("%H:%M"))
    return out


def _moment(round_: Round, zone: ZoneInfo) -> tuple[date, datetime]:
    """The day a round is known by and its time of day, as its account's people read them:
    a cron round's wall time is its key; a manual round's day is its key's (the month its
    title names), its time when it opened; any other round's, when it opened."""
    key = round_.period_key.removeprefix(_CENSUS)
    if m := _CRON.match(key):
        at = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]))
        return at.date(), at
    opened = round_.opened_at
    at = (opened if opened.tzinfo else opened.replace(tzinfo=UTC)).astimezone(zone)
    if m := _DAY.match(key):
        return date(int(m[1]), int(m[2]), int(m[3])), at
    return at.date(), at


def local_time(moment: datetime, tz: str) -> str:
    """A moment as staff of an account read it: "2026-11-09 12:00 MSK" in its time zone."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def period_phrase(period_key: str, title: str, lang: Language) -> str:
    """What "feedback on …" / «отзыв о …» is about, in ``lang``."""
    ru = lang is Language.RU
    period = _period(period_key.removeprefix(_CENSUS))  # a census asks about its period too
    if period is None:
        return f"периоде «{title}»" if ru else f"“{title}”"
    kind, year, n = period
    if kind == "month":
        if ru:
            return f"нашей работе в {_MONTHS_RU_IN[n - 1]} {year} года"
        return f"the work in {_MONTHS_EN[n - 1]} {year}"
    if kind == "quarter":
        return f"нашей работе в {n}-м квартале {year} года" if ru else f"the work in Q{n} {year}"
    if kind == "half":
        if ru:
            return f"нашей работе {_HALVES_RU[n - 1]} полугодии {year} года"
        return f"the work in the {_HALVES_EN[n - 1]} half of {year}"
    if kind == "year":
        return f"нашей работе в {year} году" if ru else f"the work in {year}"
    return f"спринте {n}" if ru else f"Sprint {n}"
