"""Escalation: reminder to the owner, then the managers; acknowledged-but-unresolved to the
managers — each level once per alert, across a restart and several processes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from storage.db import session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.conversation import ContactEvent, EventKind
from surveys.escalation import EscalationPolicy, Escalations
from surveys.model import Account, Alert, AlertStatus, Language
from surveys.service import SurveyService
from tests.conftest import Database, FakeClock, RecordingMessenger, World
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_harness import TelegramHarness
from tests.test_telegram_staff import ANNA, MAX, NEGATIVE, OLGA, globex_with_anna, say

POLICY = EscalationPolicy(ack_after=timedelta(hours=24), resolve_after=timedelta(days=7))


def no_digest(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Staff messages but the weekly digest, which the clock's Monday 09:00 also brings."""
    return [m for m in messages if not m["text"].startswith("Candor weekly digest")]


def alert_at(status: AlertStatus, clock: FakeClock) -> Alert:
    return Alert(1, 1, 1, 1, status, clock.now())


def test_due_levels_and_priority_tiers(clock: FakeClock) -> None:
    standard = Account(1, "A", 1, "standard", Language.EN)
    gold = Account(2, "B", 1, "gold", Language.EN)
    alert = alert_at(AlertStatus.OPEN, clock)
    now = clock.now()
    assert POLICY.due_level(alert, standard, now + timedelta(hours=23)) is None
    assert POLICY.due_level(alert, standard, now + timedelta(hours=24)) == "reminder"
    assert POLICY.due_level(alert, gold, now + timedelta(hours=6)) == "reminder"
    assert POLICY.due_level(alert, gold, now + timedelta(hours=12)) == "managers"
    alert.notes.append({"kind": "escalation", "level": "reminder"})
    assert POLICY.due_level(alert, standard, now + timedelta(hours=25)) is None
    assert POLICY.due_level(alert, standard, now + timedelta(hours=48)) == "managers"
    alert.notes.append({"kind": "escalation", "level": "managers"})
    assert POLICY.due_level(alert, standard, now + timedelta(days=30)) is None
    acked = alert_at(AlertStatus.ACKNOWLEDGED, clock)
    acked.notes.append({"status": "acknowledged", "at": (now + timedelta(hours=1)).isoformat()})
    assert POLICY.due_level(acked, standard, now + timedelta(days=7)) is None
    assert POLICY.due_level(acked, standard, now + timedelta(days=7, hours=1)) == "unresolved"
    resolved = alert_at(AlertStatus.RESOLVED, clock)
    assert POLICY.due_level(resolved, standard, now + timedelta(days=99)) is None


async def test_each_level_once_across_a_restart_on_telegram(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/esc.db"
    tg = await TelegramHarness.start(api, url, clock)
    try:
        await say(tg, f"/staff_add owner {OLGA} Olga Owner")
        await say(tg, f"/staff_add manager {MAX} Max Manager")
        await globex_with_anna(tg, owner=OLGA)  # tier gold: a quarter of the usual times
        await say(tg, "/round Globex")
        await say(tg, NEGATIVE, ANNA)
        assert len(no_digest(tg.api.sent_to(OLGA))) == 1
        clock.advance(timedelta(hours=5, minutes=59))
        await tg.app.tick()
        await tg.deliver()
        assert len(no_digest(tg.api.sent_to(OLGA))) == 1  # not yet
        clock.advance(timedelta(minutes=1))
        await tg.app.tick()
        await tg.app.tick()
        await tg.deliver()
        reminder = no_digest(tg.api.sent_to(OLGA))[-1]
        assert reminder["text"] == (
            "Reminder: alert #1 (Globex, Anna Smith) has waited 6 h without being acknowledged."
        )
        assert (
            reminder["reply_to_message"]["message_id"]
            == no_digest(tg.api.sent_to(OLGA))[0]["message_id"]
        )
        assert no_digest(tg.api.sent_to(MAX)) == []
    finally:
        await tg.stop()

    # A restart: the reminder is not sent again; the next level comes when due, once.
    tg = await TelegramHarness.start(api, url, clock)
    try:
        await tg.app.tick()
        await tg.deliver()
        assert len(no_digest(tg.api.sent_to(OLGA))) == 2
        clock.advance(timedelta(hours=6))
        await tg.app.tick()
        await tg.app.tick()
        await tg.deliver()
        assert [m["text"] for m in no_digest(tg.api.sent_to(MAX))] == [
            "Escalated: alert #1 (Globex, Anna Smith) was not acknowledged by its owner "
            "Olga Owner within 12 h."
        ]
        assert len(no_digest(tg.api.sent_to(OLGA))) == 2  # the owner is not told twice

        # Acknowledged but not resolved within 42 h (7 days × 0.25): the managers again.
        await say(tg, "/resolve 1 nonsense x", OLGA)  # a bad disposition changes nothing
        async with tg.app.uow() as u:
            await u.alerts.set_status(
                1, AlertStatus.ACKNOWLEDGED,
                {"by": "Olga Owner", "status": "acknowledged", "at": clock.now().isoformat()},
                clock.now(),
            )  # fmt: skip
            await u.commit()
        clock.advance(timedelta(hours=41))
        await tg.app.tick()
        await tg.deliver()
        assert len(no_digest(tg.api.sent_to(MAX))) == 1
        clock.advance(timedelta(hours=1))
        await tg.app.tick()
        await tg.app.tick()
        await tg.deliver()
        assert no_digest(tg.api.sent_to(MAX))[-1]["text"] == (
            "Escalated: alert #1 (Globex, Anna Smith) was acknowledged but is not resolved "
            "after 42 h (owner Olga Owner)."
        )
        assert len(no_digest(tg.api.sent_to(MAX))) == 2
        [shown] = await say(tg, "/alert 1", OLGA)
        for line in ("owner reminded", "escalated to managers: not acknowledged",
                     "escalated to managers: acknowledged, not resolved"):  # fmt: skip
            assert line in shown
    finally:
        await tg.stop()


async def test_several_processes_escalate_once(
    database: Database, service: SurveyService, world: World, clock: FakeClock,
    messenger: RecordingMessenger,
) -> None:  # fmt: skip
    """Two processes (two engines on one database) tick at the same moment: one level, one
    message per person."""
    opened = await service.open_round(world.account.id, "2026-Q4", "Q4")
    assert opened.invited == 2
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, NEGATIVE, "m1"))
    clock.advance(timedelta(hours=6))  # gold account: reminder due
    other = database.new_engine()
    try:
        first = Escalations(service.uow, clock, POLICY)
        second = Escalations(SqlUnitOfWorkFactory(session_factory(other)), clock, POLICY)
        done = await asyncio.gather(first.run_due(), second.run_due())
        assert sorted(done) == [0, 1]
    finally:
        await other.dispose()
    async with service.uow() as u:
        [alert] = await u.alerts.list()
        reminders = [
            m for m in await u.outbox.list() if m.idempotency_key.startswith("escalation:")
        ]
    assert [n["level"] for n in alert.notes if n.get("kind") == "escalation"] == ["reminder"]
    assert [m.recipient.address for m in reminders] == ["olga"]


def test_escalation_texts_give_the_wait_in_hours_and_minutes_not_a_fraction() -> None:
    # With CANDOR_ESCALATE_ACK_AFTER=90m on a gold account (× 0.25) the managers read
    # "not acknowledged … within 0.375 h"; a 60 s setting gave «за 0.00833333 ч».
    from surveys.texts import hours_minutes, t

    assert hours_minutes(timedelta(hours=6), Language.EN) == "6 h"  # whole hours read as before
    assert hours_minutes(timedelta(hours=42), Language.RU) == "42 ч"
    assert hours_minutes(timedelta(minutes=22, seconds=30), Language.EN) == "23 min"
    assert hours_minutes(timedelta(minutes=90), Language.RU) == "1 ч 30 мин"
    assert hours_minutes(timedelta(seconds=30), Language.EN) == "1 min"
    text = t("escalation_managers", Language.RU, id=4, account="Globex", contact="Liz",
             owner="Olga", waited=hours_minutes(timedelta(seconds=30), Language.RU))  # fmt: skip
    assert text.endswith("не принят владельцем (Olga) за 1 мин.")
