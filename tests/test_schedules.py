from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from surveys.model import CadenceKind, Schedule
from surveys.schedules import (
    DuePeriod,
    describe,
    latest_due_period,
    next_due_at,
    validate_cron,
)

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def utc(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, s, tzinfo=UTC)


def sprint(
    anchor: date = date(2026, 1, 5), weeks: int | None = 2, created: datetime | None = LONG_AGO
) -> Schedule:
    return Schedule(1, 1, CadenceKind.SPRINT, every_weeks=weeks, anchor=anchor, created_at=created)


def calendar(kind: CadenceKind, created: datetime | None = LONG_AGO) -> Schedule:
    return Schedule(1, 1, kind, created_at=created)


def cron(expr: str | None, created: datetime | None = LONG_AGO) -> Schedule:
    return Schedule(1, 1, CadenceKind.CRON, cron=expr, created_at=created)


def key(schedule: Schedule, now: datetime, tz: str = "UTC", send_hour: int = 10) -> str | None:
    period = latest_due_period(schedule, now, tz, send_hour)
    return period.key if period else None


# --- sprint ---


def test_sprint_boundaries_just_before_at_and_after_due() -> None:
    s = sprint()  # 2-week sprints from Mon 2026-01-05: sprint 1 due Mon 2026-01-19 10:00
    assert latest_due_period(s, utc(2026, 1, 5, 12), "UTC") is None
    assert latest_due_period(s, utc(2026, 1, 19, 9, 59, 59), "UTC") is None
    assert latest_due_period(s, utc(2026, 1, 19, 10), "UTC") == DuePeriod(
        "sprint-1", "Sprint 1", utc(2026, 1, 19, 10)
    )
    assert key(s, utc(2026, 2, 2, 9, 59)) == "sprint-1"
    assert key(s, utc(2026, 2, 2, 10)) == "sprint-2"


def test_sprint_numbering_far_from_anchor() -> None:
    # Sprint 14 ends 28 weeks after the anchor: Mon 2026-07-20.
    period = latest_due_period(sprint(), utc(2026, 7, 21), "UTC")
    assert period is not None
    assert (period.key, period.title, period.due_at) == (
        "sprint-14",
        "Sprint 14",
        utc(2026, 7, 20, 10),
    )


def test_weekly_sprint_and_send_hour() -> None:
    s = sprint(weeks=1)
    assert key(s, utc(2026, 1, 12, 7), send_hour=8) is None
    assert key(s, utc(2026, 1, 12, 8), send_hour=8) == "sprint-1"
    assert key(s, utc(2026, 1, 26, 8), send_hour=8) == "sprint-3"


def test_downtime_spanning_three_sprints_returns_only_the_latest() -> None:
    s = sprint()
    s.last_period_key = "sprint-1"
    # Sprints 2, 3 and 4 came due while the bot was down (due 02-02, 02-16, 03-02).
    period = latest_due_period(s, utc(2026, 3, 10), "UTC")
    assert isinstance(period, DuePeriod)
    assert period.key == "sprint-4"
    assert period.due_at == utc(2026, 3, 2, 10)


# --- quarterly / half-yearly ---


def test_quarterly_keys_across_year_boundary() -> None:
    q = calendar(CadenceKind.QUARTERLY)
    assert key(q, utc(2026, 4, 1, 10)) == "2026-Q1"
    assert key(q, utc(2026, 10, 1, 10)) == "2026-Q3"
    assert key(q, utc(2027, 1, 1, 9, 59)) == "2026-Q3"
    period = latest_due_period(q, utc(2027, 1, 1, 10), "UTC")
    assert period == DuePeriod("2026-Q4", "2026-Q4", utc(2027, 1, 1, 10))
    assert key(q, utc(2027, 3, 31, 23)) == "2026-Q4"


def test_half_yearly_keys_across_year_boundary() -> None:
    h = calendar(CadenceKind.HALF_YEARLY)
    assert key(h, utc(2026, 7, 1, 10)) == "2026-H1"
    assert key(h, utc(2026, 12, 31, 23)) == "2026-H1"
    assert key(h, utc(2027, 1, 1, 9)) == "2026-H1"
    assert key(h, utc(2027, 1, 1, 10)) == "2026-H2"
    assert key(h, utc(2027, 6, 30)) == "2026-H2"
    period = latest_due_period(h, utc(2027, 1, 2), "UTC")
    assert period is not None and period.due_at == utc(2027, 1, 1, 10)


def test_time_zone_decides_whether_due() -> None:
    q = calendar(CadenceKind.QUARTERLY)
    now = utc(2026, 10, 1, 0, 30)  # 10:30 on Oct 1 in Vladivostok, 20:30 on Sep 30 in New York
    vladivostok = latest_due_period(q, now, "Asia/Vladivostok")
    assert vladivostok == DuePeriod("2026-Q3", "2026-Q3", utc(2026, 10, 1, 0))
    assert key(q, now, "America/New_York") == "2026-Q2"
    assert next_due_at(q, now, "America/New_York") == utc(2026, 10, 1, 14)


def test_sprint_due_date_is_local() -> None:
    s = sprint()
    # Sprint 1 is due Jan 19 10:00 local: 00:00 UTC in Vladivostok, 15:00 UTC in New York.
    now = utc(2026, 1, 19, 1)
    assert key(s, now, "Asia/Vladivostok") == "sprint-1"
    assert key(s, now, "America/New_York") is None
    assert next_due_at(s, now, "America/New_York") == utc(2026, 1, 19, 15)


# --- created_at ---


def test_created_at_suppresses_retroactive_periods() -> None:
    q = calendar(CadenceKind.QUARTERLY, created=utc(2026, 8, 15))
    assert latest_due_period(q, utc(2026, 9, 1), "UTC") is None  # 2026-Q2 was due 07-01
    assert key(q, utc(2026, 10, 1, 10)) == "2026-Q3"

    s = sprint(created=utc(2026, 3, 1))  # sprints 1-3 were due before creation
    assert latest_due_period(s, utc(2026, 3, 1, 12), "UTC") is None
    assert key(s, utc(2026, 3, 2, 10)) == "sprint-4"


def test_naive_created_at_is_read_as_utc() -> None:
    s = sprint(created=datetime(2026, 1, 19, 10, 30))  # as SQLite returns it: no tzinfo
    assert latest_due_period(s, utc(2026, 1, 20), "UTC") is None
    assert key(s, utc(2026, 2, 2, 10)) == "sprint-2"


# --- cron ---


def test_cron_weekly_monday_fire_times() -> None:
    s = cron("0 10 * * 1")  # crontab: 1 is Monday (APScheduler's own numbering says Tuesday)
    tz = "Europe/Berlin"
    assert latest_due_period(s, utc(2026, 11, 25, 12), tz) == DuePeriod(
        "cron-2026-11-23T10:00", "2026-11-23 10:00", utc(2026, 11, 23, 9)
    )
    assert key(s, utc(2026, 11, 30, 8, 59, 59), tz) == "cron-2026-11-23T10:00"
    assert key(s, utc(2026, 11, 30, 9), tz) == "cron-2026-11-30T10:00"
    assert next_due_at(s, utc(2026, 11, 30, 9), tz) == utc(2026, 12, 7, 9)


def test_cron_after_a_year_of_downtime_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = CronTrigger.get_next_fire_time

    def counting(self: CronTrigger, previous: datetime | None, now: datetime) -> datetime | None:
        nonlocal calls
        calls += 1
        return original(self, previous, now)

    monkeypatch.setattr(CronTrigger, "get_next_fire_time", counting)
    s = cron("0 10 * * 1", created=utc(2025, 1, 1))
    assert key(s, utc(2026, 11, 25, 12), "Europe/Berlin") == "cron-2026-11-23T10:00"
    # Logarithmic search: a minute-by-minute scan would take ~1,000,000 evaluations.
    assert calls < 100

    calls = 0
    every_minute = cron("* * * * *", created=utc(2024, 1, 1))
    assert key(every_minute, utc(2026, 11, 25, 12, 34, 56)) == "cron-2026-11-25T12:34"
    assert calls < 100


def test_cron_rare_expression_found_years_back() -> None:
    leap_day = cron("0 0 29 2 *")
    assert key(leap_day, utc(2027, 6, 1)) == "cron-2024-02-29T00:00"
    assert next_due_at(leap_day, utc(2027, 6, 1), "UTC") == utc(2028, 2, 29)


def test_cron_created_after_last_fire_returns_none() -> None:
    s = cron("0 10 * * 1", created=utc(2026, 11, 23, 12))
    assert latest_due_period(s, utc(2026, 11, 25), "UTC") is None
    assert key(s, utc(2026, 11, 30, 10)) == "cron-2026-11-30T10:00"


def test_cron_uses_crontab_weekday_numbers() -> None:
    now = utc(2026, 11, 25, 12)  # Wednesday
    assert key(cron("0 10 * * 0"), now) == "cron-2026-11-22T10:00"  # Sunday
    assert key(cron("0 10 * * 7"), now) == "cron-2026-11-22T10:00"  # Sunday again
    assert key(cron("0 10 * * 4-6"), now) == "cron-2026-11-21T10:00"  # Thu-Sat: last is Sat
    assert key(cron("0 10 * * mon-fri"), now) == "cron-2026-11-25T10:00"
    assert key(cron("0 10 * * */3"), now) == "cron-2026-11-25T10:00"  # Sun, Wed, Sat


def test_cron_day_of_month_or_day_of_week() -> None:
    s = cron("0 10 13 * 5")  # crontab: the 13th OR any Friday, not only Friday the 13th
    assert key(s, utc(2026, 11, 12)) == "cron-2026-11-06T10:00"  # a Friday
    assert key(s, utc(2026, 12, 14)) == "cron-2026-12-13T10:00"  # a Sunday, the 13th
    assert next_due_at(s, utc(2026, 12, 14), "UTC") == utc(2026, 12, 18, 10)


def test_next_due_at_is_strictly_after_now() -> None:
    s = cron("0 10 * * 1")
    assert next_due_at(s, utc(2026, 11, 23, 10), "UTC") == utc(2026, 11, 30, 10)
    assert next_due_at(sprint(), utc(2026, 1, 19, 10), "UTC") == utc(2026, 2, 2, 10)
    assert next_due_at(sprint(), utc(2025, 12, 1), "UTC") == utc(2026, 1, 19, 10)
    q = calendar(CadenceKind.QUARTERLY)
    assert next_due_at(q, utc(2026, 12, 31, 23), "UTC") == utc(2027, 1, 1, 10)
    assert next_due_at(q, utc(2027, 1, 1, 10), "UTC") == utc(2027, 4, 1, 10)
    h = calendar(CadenceKind.HALF_YEARLY)
    assert next_due_at(h, utc(2026, 7, 1, 10), "UTC") == utc(2027, 1, 1, 10)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 10 * *", "expected 5 fields"),
        ("@daily", "expected 5 fields"),
        ("61 10 * * *", "invalid cron expression"),
        ("0 24 * * *", "invalid cron expression"),
        ("0 10 * * 8", "bad day of week"),
        ("0 10 * * fri-mon", "runs backwards"),
        ("0 10 * * */0", "step must be >= 1"),
        ("x 10 * * *", "invalid cron expression"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_invalid_cron_raises(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_cron(expr)


def test_valid_cron_passes() -> None:
    assert validate_cron("*/15 9-18 * * 1-5") is None
    assert validate_cron("0 10 1 jan,jul *") is None


def test_cron_schedule_without_expression_raises() -> None:
    with pytest.raises(ValueError, match="needs a cron expression"):
        latest_due_period(cron(None), utc(2026, 1, 1), "UTC")
    with pytest.raises(ValueError, match="invalid cron expression"):
        next_due_at(cron("0 10 * * 9"), utc(2026, 1, 1), "UTC")


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (sprint(weeks=0), "every_weeks >= 1"),
        (sprint(weeks=-2), "every_weeks >= 1"),
        (sprint(weeks=None), "every_weeks >= 1"),
        (Schedule(1, 1, CadenceKind.SPRINT, every_weeks=2), "anchor date"),
        (sprint(anchor=datetime(2026, 1, 5, 10, tzinfo=UTC)), "anchor date"),
    ],
)
def test_invalid_sprint_config_raises(schedule: Schedule, message: str) -> None:
    for call in (
        lambda: latest_due_period(schedule, utc(2026, 6, 1), "UTC"),
        lambda: next_due_at(schedule, utc(2026, 6, 1), "UTC"),
        lambda: describe(schedule, "en"),
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_bad_arguments_raise() -> None:
    q = calendar(CadenceKind.QUARTERLY)
    with pytest.raises(ValueError, match="aware"):
        latest_due_period(q, datetime(2026, 10, 2), "UTC")
    with pytest.raises(ValueError, match="unknown time zone"):
        latest_due_period(q, utc(2026, 10, 2), "Mars/Olympus")
    with pytest.raises(ValueError, match="send_hour"):
        next_due_at(q, utc(2026, 10, 2), "UTC", send_hour=24)
    with pytest.raises(ValueError, match="unsupported language"):
        describe(q, "de")


def test_manual_never_due() -> None:
    m = calendar(CadenceKind.MANUAL)
    assert latest_due_period(m, utc(2026, 10, 1, 12), "UTC") is None
    assert next_due_at(m, utc(2026, 10, 1, 12), "UTC") is None


# --- describe ---


def test_describe_english() -> None:
    assert describe(sprint(), "en") == "every 2 weeks from 2026-01-05"
    assert describe(sprint(weeks=1), "en") == "every week from 2026-01-05"
    assert describe(calendar(CadenceKind.QUARTERLY), "en") == "quarterly"
    assert describe(calendar(CadenceKind.HALF_YEARLY), "en") == "half-yearly"
    assert describe(cron("0 10 * * 1"), "en") == "cron: 0 10 * * 1"
    assert describe(calendar(CadenceKind.MANUAL), "en") == "manual"


def test_describe_russian() -> None:
    assert describe(sprint(), "ru") == "каждые 2 недели с 2026-01-05"
    assert describe(sprint(weeks=1), "ru") == "каждую неделю с 2026-01-05"
    assert describe(sprint(weeks=5), "ru") == "каждые 5 недель с 2026-01-05"
    assert describe(sprint(weeks=12), "ru") == "каждые 12 недель с 2026-01-05"
    assert describe(sprint(weeks=21), "ru") == "каждую 21 неделю с 2026-01-05"
    assert describe(calendar(CadenceKind.QUARTERLY), "ru") == "ежеквартально"
    assert describe(calendar(CadenceKind.HALF_YEARLY), "ru") == "раз в полгода"
    assert describe(cron("0 10 * * 1"), "ru") == "cron: 0 10 * * 1"
    assert describe(calendar(CadenceKind.MANUAL), "ru") == "вручную"


# --- DST ---


def test_send_hour_in_spring_forward_gap() -> None:
    # Europe/Berlin skips 02:00-03:00 on 2026-03-29: the round is due when the clock jumps,
    # 03:00 CEST = 01:00 UTC.
    s = sprint(anchor=date(2026, 3, 15))
    tz = "Europe/Berlin"
    assert latest_due_period(s, utc(2026, 3, 29, 0, 59), tz, send_hour=2) is None
    assert next_due_at(s, utc(2026, 3, 29, 0, 59), tz, send_hour=2) == utc(2026, 3, 29, 1)
    period = latest_due_period(s, utc(2026, 3, 29, 1), tz, send_hour=2)
    assert period == DuePeriod("sprint-1", "Sprint 1", utc(2026, 3, 29, 1))


def test_send_hour_in_fall_back_overlap_uses_first_occurrence() -> None:
    # 02:00 happens twice in Berlin on 2026-10-25: first at 00:00 UTC (CEST), then 01:00 (CET).
    s = sprint(anchor=date(2026, 10, 11))
    tz = "Europe/Berlin"
    period = latest_due_period(s, utc(2026, 10, 25, 0), tz, send_hour=2)
    assert period is not None and period.due_at == utc(2026, 10, 25, 0)
    assert next_due_at(s, utc(2026, 10, 25, 0), tz, send_hour=2) == utc(2026, 11, 8, 1)


def test_cron_across_dst_transitions() -> None:
    tz = "Europe/Berlin"
    nightly = cron("30 2 * * *")
    # Spring: 02:30 does not exist; APScheduler fires at 01:30 UTC (03:30 CEST).
    spring = latest_due_period(nightly, utc(2026, 3, 29, 2), tz)
    assert spring is not None and spring.due_at == utc(2026, 3, 29, 1, 30)
    assert spring.key == "cron-2026-03-29T03:30"
    # Autumn: 02:30 happens twice; both fires share one key, so only one round opens.
    first = latest_due_period(nightly, utc(2026, 10, 25, 1), tz)
    second = latest_due_period(nightly, utc(2026, 10, 25, 2), tz)
    assert first is not None and second is not None
    assert first.due_at == utc(2026, 10, 25, 0, 30)
    assert second.due_at == utc(2026, 10, 25, 1, 30)
    assert first.key == second.key == "cron-2026-10-25T02:30"
