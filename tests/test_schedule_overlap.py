"""A schedule coming due while another round of the account is still open skips that
occurrence: clients who just answered are not asked again, and staff are told once."""

from __future__ import annotations

from datetime import date, timedelta

from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import CadenceKind, Channel, Round, Schedule
from surveys.open_rounds import blocking_round
from surveys.sentiment import make_analyser
from surveys.service import SurveyService
from tests.conftest import POLICY, T0, FakeClock, World


async def weekly_sprints(uow: SqlUnitOfWorkFactory, world: World, clock: FakeClock) -> None:
    # Weekly sprints from Monday 2026-11-02, due at 10:00 Moscow (07:00 UTC): 11-09, 11-16.
    async with uow() as u:
        await u.schedules.set(
            Schedule(
                0,
                world.account.id,
                CadenceKind.SPRINT,
                every_weeks=1,
                anchor=date(2026, 11, 2),
                created_at=clock.now(),
            )
        )
        await u.commit()


async def notices(uow: SqlUnitOfWorkFactory, who: str) -> list[str]:
    async with uow() as u:
        return [
            str(m.payload["text"])
            for m in await u.outbox.list()
            if m.kind == "staff_notice" and m.recipient.channel is Channel.CONSOLE
            and m.recipient.address == who
        ]  # fmt: skip


async def test_a_schedule_due_during_a_manual_round_skips_it_once_and_says_so(
    service: SurveyService, world: World, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    await weekly_sprints(uow, world, clock)
    clock.advance(timedelta(days=6))  # Sunday 11-08 09:00 UTC: staff start a round by hand
    manual = await service.open_round_now(world.account.id)
    assert manual.created and manual.invited == 2

    clock.advance(timedelta(hours=23))  # Monday 11-09 08:00 UTC: Sprint 1 is due
    assert (await service.tick()).rounds_opened == []
    # A restart (a new process, the missed tick coalesced and run again) opens nothing either.
    again = SurveyService(uow, clock, make_analyser("baseline"), POLICY)
    assert (await again.tick()).rounds_opened == []
    assert (await again.open_due_rounds()) == []

    async with uow() as u:
        rounds = await u.rounds.for_account(world.account.id)
        schedule = await u.schedules.for_account(world.account.id)
        convs = [await u.conversations.open_for_contact(c) for c in (world.anna.id,)]
    assert [r.period_key for r in rounds] == [manual.round.period_key]
    assert schedule is not None and schedule.last_period_key == "sprint-1"
    assert [c.round_id for c in convs[0]] == [manual.round.id]  # Anna is not asked again

    # The owner (English) and the manager (Russian) are told once, each in their language.
    owner, manager = await notices(uow, "olga"), await notices(uow, "max")
    assert len(owner) == 1 and len(manager) == 1
    assert "Sprint 1" in owner[0] and "November 2026" in owner[0] and "skipped" in owner[0]
    assert "Спринт 1" in manager[0] and "ноябрь 2026" in manager[0] and "пропущен" in manager[0]

    # The next sprint comes after the manual round closed (11-15 09:00 UTC): it opens.
    clock.advance(timedelta(days=7))
    assert (await service.tick()).rounds_opened == ["Globex: Sprint 2"]
    assert len(await notices(uow, "olga")) == 1


def test_a_schedules_own_round_does_not_stop_it() -> None:
    sprint = Schedule(0, 1, CadenceKind.SPRINT, every_weeks=1, anchor=date(2026, 11, 2))
    sprint.last_period_key = "sprint-1"
    fortnight = timedelta(days=14)  # an expiry longer than the cadence
    own = Round(1, 1, "sprint-1", "Sprint 1", opened_at=T0)
    manual = Round(2, 1, "manual-2026-11-02", "2026-11-02", opened_at=T0 + timedelta(hours=1))
    due = Round(3, 1, "sprint-2", "Sprint 2", opened_at=T0 + timedelta(hours=2))
    later = T0 + timedelta(days=7)
    # The previous sprint is superseded, as before; a round staff opened stops it.
    assert blocking_round(sprint, "sprint-2", [own], later, fortnight) is None
    blocked = blocking_round(sprint, "sprint-2", [own, manual], later, fortnight)
    assert blocked is not None and blocked.round is manual
    # Its own period already open (a second firing): nothing stops it, and nothing new opens.
    assert blocking_round(sprint, "sprint-2", [own, manual, due], later, fortnight) is None
    # Once the manual round closes, it stops nothing.
    closed = manual.opened_at + fortnight
    assert blocking_round(sprint, "sprint-2", [manual], closed, fortnight) is None
