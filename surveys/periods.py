"""A round's period in words, as a client reads it in the invitation.

"Your honest feedback on 2026-11-29" reads as feedback about a date; a round asks about the
work of a period: "the work in November 2026", "Sprint 14", "the work in Q3 2026".
"""

from __future__ import annotations

import re

from surveys.model import Language
from surveys.texts import t

_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
# Russian needs the prepositional case: «о работе в ноябре».
_MONTHS_RU = (
    "январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре",
    "октябре", "ноябре", "декабре",
)  # fmt: skip
_HALVES_RU = ("в первом", "во втором")  # «во» before «вт»
_HALVES_EN = ("first", "second")
_DAY = re.compile(r"^(?:manual|cron)-(\d{4})-(\d{2})-\d{2}")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_SPRINT = re.compile(r"^sprint-(\d+)$")
_YEAR = re.compile(r"^(\d{4})$")
# A census's period key: census-2026-H1, census-2026-Q3 or census-2026.
_CENSUS = re.compile(r"^census-(\d{4})(?:-([HQ])([1-4]))?$")
_CENSUS_TITLES = {"H": "census_title.half", "Q": "census_title.quarter", None: "census_title.year"}


def round_title(period_key: str, title: str, lang: Language) -> str:
    """A round's title as ``lang`` reads it: a census's from its period, in the reader's
    language; any other round's as it was given."""
    if m := _CENSUS.match(period_key):
        return t(_CENSUS_TITLES[m[2]], lang, year=m[1], n=m[3] or "")
    return title


def period_phrase(period_key: str, title: str, lang: Language) -> str:
    """What "feedback on …" / «отзыв о …» is about, in ``lang``."""
    ru = lang is Language.RU
    period_key = period_key.removeprefix("census-")  # a census asks about its period too
    if m := _DAY.match(period_key):
        year, month = int(m[1]), int(m[2])
        if ru:
            return f"нашей работе в {_MONTHS_RU[month - 1]} {year} года"
        return f"the work in {_MONTHS_EN[month - 1]} {year}"
    if m := _QUARTER.match(period_key):
        return (
            f"нашей работе в {m[2]}-м квартале {m[1]} года" if ru else f"the work in Q{m[2]} {m[1]}"
        )
    if m := _HALF.match(period_key):
        i = int(m[2]) - 1
        if ru:
            return f"нашей работе {_HALVES_RU[i]} полугодии {m[1]} года"
        return f"the work in the {_HALVES_EN[i]} half of {m[1]}"
    if m := _YEAR.match(period_key):
        return f"нашей работе в {m[1]} году" if ru else f"the work in {m[1]}"
    if m := _SPRINT.match(period_key):
        return f"спринте {m[1]}" if ru else f"Sprint {m[1]}"
    return f"периоде «{title}»" if ru else f"“{title}”"
