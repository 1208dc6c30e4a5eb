"""When is a feedback round due? Pure functions of (schedule, now, account time zone).

Everything is computed in the account's local time and returned as aware UTC datetimes.
Only the latest due period is ever reported: after downtime the caller opens one round,
not one per missed tick, and compares the key with `Schedule.last_period_key` to dedupe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from surveys.model import CadenceKind, Schedule

# A cron schedule silent for longer than this is treated as having no due fire. 8 years
# covers the rarest sane expression (Feb 29 skips 2100, so up to 8 years between fires).
CRON_LOOKBACK = timedelta(days=8 * 366)

# Crontab numbering (0 and 7 are Sunday); the names are also what APScheduler accepts.
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# Calendar cadences: months per period and the letter used in keys.
_CALENDAR = {CadenceKind.QUARTERLY: (3, "Q"), CadenceKind.HALF_YEARLY: (6, "H")}


@dataclass(frozen=True, slots=True)
class DuePeriod:
    key: str  # stable, unique per account and period: "sprint-14", "2026-Q3", "cron-...T10:00"
    title: str  # human title: "Sprint 14", "2026-Q3", "2026-11-25 10:00"
    due_at: datetime  # aware UTC moment the round for this period becomes due


def latest_due_period(
    schedule: Schedule, now: datetime, tz: str, send_hour: int = 10
) -> DuePeriod | None:
    """The most recent period due at or before `now`, or None (also if due before creation)."""
    zone = _prepare(schedule, now, tz, send_hour)
    kind = CadenceKind(schedule.kind)
    if kind is CadenceKind.MANUAL:
        return None
    if kind is CadenceKind.SPRINT:
        period = _latest_sprint(schedule, now, zone, send_hour)
    elif kind is CadenceKind.CRON:
        period = _latest_cron(_cron_triggers(schedule.cron or "", zone), now, schedule.created_at)
    else:
        period = _latest_calendar(kind, now, zone, send_hour)
    # A new schedule must not fire retroactively for a period that ended before it existed.
    created = _as_utc(schedule.created_at) if schedule.created_at else None
    if period is None or (created is not None and period.due_at < created):
        return None
    return period


def next_due_at(schedule: Schedule, now: datetime, tz: str, send_hour: int = 10) -> datetime | None:
    """The next due moment strictly after `now` (for status display); None for manual."""
    zone = _prepare(schedule, now, tz, send_hour)
    kind = CadenceKind(schedule.kind)
    if kind is CadenceKind.MANUAL:
        return None
    if kind is CadenceKind.SPRINT:
        k = max(_sprint_index(schedule, now, zone), 1)
        due = _sprint_due(schedule, k, zone, send_hour)
        return due if due > now else _sprint_due(schedule, k + 1, zone, send_hour)
    if kind is CadenceKind.CRON:
        # Fires are whole seconds, so one microsecond later excludes a fire exactly at `now`.
        triggers = _cron_triggers(schedule.cron or "", zone)
        return _first_fire(triggers, now + timedelta(microseconds=1))
    months, _ = _CALENDAR[kind]
    idx = _calendar_index(now, zone, months)
    due = _calendar_due(idx, months, zone, send_hour)
    return due if due > now else _calendar_due(idx + 1, months, zone, send_hour)


class CronNeverFires(ValueError):
    """A well-formed crontab that matches no moment (31 February): told apart from a
    malformed one, so staff are told which it is."""


def validate_cron(expr: str) -> None:
    """Raise ValueError with a readable message unless `expr` is a usable 5-field crontab."""
    triggers = _cron_triggers(expr, UTC)
    if _first_fire(triggers, datetime(2000, 1, 1, tzinfo=UTC)) is None:
        raise CronNeverFires(f"cron expression {expr!r} never fires")


def describe(schedule: Schedule, lang: str) -> str:
    """Short human description of the cadence in "ru" or "en"."""
    if lang not in ("ru", "en"):
        raise ValueError(f"unsupported language {lang!r}, expected 'ru' or 'en'")
    _check_schedule(schedule)
    ru = lang == "ru"
    match CadenceKind(schedule.kind):
        case CadenceKind.SPRINT:
            n, start = schedule.every_weeks or 1, schedule.anchor
            if ru:
                return f"{_ru_every_weeks(n)} с {start}"
            return f"every week from {start}" if n == 1 else f"every {n} weeks from {start}"
        case CadenceKind.QUARTERLY:
            return "ежеквартально" if ru else "quarterly"
        case CadenceKind.HALF_YEARLY:
            return "раз в полгода" if ru else "half-yearly"
        case CadenceKind.CRON:
            return f"cron: {schedule.cron}"
        case _:
            return "вручную" if ru else "manual"


# --- validation and time helpers ---------------------------------------------------------


def _prepare(schedule: Schedule, now: datetime, tz: str, send_hour: int) -> ZoneInfo:
    # A naive `now` would silently be read as the server's local time; refuse it instead.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not 0 <= send_hour <= 23:
        raise ValueError(f"send_hour must be 0..23, got {send_hour}")
    _check_schedule(schedule)
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {tz!r}") from e


def _check_schedule(schedule: Schedule) -> None:
    try:
        kind = CadenceKind(schedule.kind)
    except ValueError:
        raise ValueError(f"unknown schedule kind {schedule.kind!r}") from None
    if kind is CadenceKind.SPRINT:
        n = schedule.every_weeks
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"sprint schedule needs every_weeks >= 1, got {n!r}")
        # datetime is a date subclass, but a time of day here would make the maths ambiguous.
        if not isinstance(schedule.anchor, date) or isinstance(schedule.anchor, datetime):
            raise ValueError(f"sprint schedule needs an anchor date, got {schedule.anchor!r}")
    elif kind is CadenceKind.CRON:
        if not schedule.cron or not schedule.cron.strip():
            raise ValueError("cron schedule needs a cron expression")
        validate_cron(schedule.cron)


def _as_utc(moment: datetime) -> datetime:
    # Storage may hand back naive timestamps (SQLite drops the zone); they are stored as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    # fold=0: an hour skipped by DST resolves to the moment the clock jumps past it and a
    # repeated hour to its first occurrence, so neither case raises or fires twice.
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)


# --- sprint ------------------------------------------------------------------------------


def _sprint_index(s: Schedule, now: datetime, zone: ZoneInfo) -> int:
    """The highest k whose due date (anchor + k*N weeks) is on or before today's local date."""
    assert s.anchor is not None and s.every_weeks is not None
    return (now.astimezone(zone).date() - s.anchor).days // (7 * s.every_weeks)


def _sprint_due(s: Schedule, k: int, zone: ZoneInfo, send_hour: int) -> datetime:
    assert s.anchor is not None and s.every_weeks is not None
    return _at(s.anchor + timedelta(weeks=k * s.every_weeks), send_hour, zone)


def _latest_sprint(s: Schedule, now: datetime, zone: ZoneInfo, hour: int) -> DuePeriod | None:
    k = _sprint_index(s, now, zone)
    if k >= 1 and _sprint_due(s, k, zone, hour) > now:
        k -= 1  # today is the due date, but send_hour has not come yet
    if k < 1:
        return None
    return DuePeriod(f"sprint-{k}", f"Sprint {k}", _sprint_due(s, k, zone, hour))


# --- quarterly / half-yearly -------------------------------------------------------------
# Periods are numbered year * per_year + index_in_year, so stepping back across a new year
# is plain integer arithmetic.


def _calendar_index(now: datetime, zone: ZoneInfo, months: int) -> int:
    local = now.astimezone(zone)
    return local.year * (12 // months) + (local.month - 1) // months


def _calendar_due(idx: int, months: int, zone: ZoneInfo, send_hour: int) -> datetime:
    """When the period *before* `idx` is due: at the start of period `idx`."""
    per_year = 12 // months
    return _at(date(idx // per_year, idx % per_year * months + 1, 1), send_hour, zone)


def _latest_calendar(
    kind: CadenceKind, now: datetime, zone: ZoneInfo, send_hour: int
) -> DuePeriod | None:
    months, letter = _CALENDAR[kind]
    idx = _calendar_index(now, zone, months)
    due = _calendar_due(idx, months, zone, send_hour)
    if due > now:
        idx -= 1
        due = _calendar_due(idx, months, zone, send_hour)
    per_year = 12 // months
    year, n = divmod(idx - 1, per_year)  # the round reports on the period that just ended
    key = f"{year}-{letter}{n + 1}"
    return DuePeriod(key, key, due)


# --- cron --------------------------------------------------------------------------------


def _cron_triggers(expr: str, zone: tzinfo) -> list[CronTrigger]:
    """Triggers whose union fires exactly when the standard crontab `expr` does."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f"invalid cron expression {expr!r}: expected 5 fields "
            f"(minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    minute, hour, dom, month, dow = fields
    try:
        days = _apscheduler_dow(dow)
        # Crontab fires when EITHER day field matches if both are restricted; APScheduler
        # requires both, so that case becomes two triggers.
        if dom.startswith("*") or dow.startswith("*"):
            variants = [(dom, days)]
        else:
            variants = [(dom, "*"), ("*", days)]
        return [
            CronTrigger.from_crontab(f"{minute} {hour} {d} {month} {w}", timezone=zone)
            for d, w in variants
        ]
    except ValueError as e:
        raise ValueError(f"invalid cron expression {expr!r}: {e}") from None


def _apscheduler_dow(field: str) -> str:
    """APScheduler 3.x numbers weekdays from Monday=0, crontab from Sunday=0 (7 too), so a
    numeric field is expanded into day names, which both agree on ("1" is Monday)."""
    if field == "*":
        return field
    days: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        first, _, last = span.partition("-")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"day-of-week step must be >= 1 in {item!r}")
        if span == "*":
            lo, hi = 0, 6
        else:
            lo = _dow_value(first)
            hi = _dow_value(last) if last else (6 if step_text else lo)
        if lo > hi:
            raise ValueError(f"day-of-week range {span!r} runs backwards")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_DOW_NAMES[d] for d in sorted(days))


def _dow_value(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token.lower() in _DOW_NAMES:
        return _DOW_NAMES.index(token.lower())
    raise ValueError(f"bad day of week {token!r} (use 0-7 or sun-sat)")


def _first_fire(triggers: list[CronTrigger], start: datetime) -> datetime | None:
    """The earliest fire at or after `start` (UTC), or None if the expression never fires."""
    fires = [f for t in triggers if (f := t.get_next_fire_time(None, start)) is not None]
    return min(fires).astimezone(UTC) if fires else None


def _latest_cron(
    triggers: list[CronTrigger], now: datetime, created_at: datetime | None
) -> DuePeriod | None:
    """Latest fire <= now (and >= created_at), in O(log(lookback)) trigger evaluations.

    APScheduler only searches forwards, so: double a window back from `now` (1 min, 2 min, ...,
    at most 23 steps to reach CRON_LOOKBACK) until its first fire is <= now, then bisect the
    window start to 1 s (at most 28 steps) to the last start whose first fire is still <= now.
    So about 50 evaluations per trigger bound the work, whatever the downtime.
    """
    floor = now - CRON_LOOKBACK
    if created_at is not None:
        floor = max(floor, _as_utc(created_at))
    if floor > now:
        return None

    def fires_by_now(start: datetime) -> bool:
        fire = _first_fire(triggers, start)
        return fire is not None and fire <= now

    span = timedelta(minutes=1)
    while not fires_by_now(lo := max(now - span, floor)):
        if lo == floor:
            return None
        span *= 2
    # Invariant: the first fire from `lo` is <= now; from `hi` it is > now (or hi == now).
    hi = now
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        lo, hi = (mid, hi) if fires_by_now(mid) else (lo, mid)
    # Fires are whole minutes, so [lo, hi] (1 s wide) cannot hold the latest fire and an
    # earlier one: the first fire from lo is the answer.
    fire = _first_fire(triggers, lo)
    assert fire is not None
    local = fire.astimezone(triggers[0].timezone)
    # Keyed by local wall time: a fire repeated in a DST fall-back hour maps to the same key,
    # so the caller's dedupe on last_period_key opens one round, not two.
    return DuePeriod(f"cron-{local:%Y-%m-%dT%H:%M}", f"{local:%Y-%m-%d %H:%M}", fire)


def _ru_every_weeks(n: int) -> str:
    if n == 1:
        return "каждую неделю"
    if n % 10 == 1 and n % 100 != 11:
        return f"каждую {n} неделю"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"каждые {n} недели"
    return f"каждые {n} недель"
