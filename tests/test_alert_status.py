"""Alerts move forward only: open → acknowledged → resolved, with one note per change."""

from __future__ import annotations

from surveys.conversation import ContactEvent, EventKind
from surveys.model import AlertStatus
from surveys.service import SurveyService
from surveys.staff import split_period
from tests.conftest import World


async def negative_alert_id(service: SurveyService, world: World) -> int:
    opened = await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    await service.handle_event(
        world.anna_at, ContactEvent(EventKind.TEXT, "Terrible, not happy at all", "m1")
    )
    [alert] = await service.alerts_for_round(opened.round.id)
    return alert.id


async def test_alerts_only_move_forward(service: SurveyService, world: World) -> None:
    alert_id = await negative_alert_id(service, world)
    acked = await service.set_alert_status(alert_id, world.owner, AlertStatus.ACKNOWLEDGED)
    assert acked is not None and acked.status is AlertStatus.ACKNOWLEDGED
    again = await service.set_alert_status(alert_id, world.owner, AlertStatus.ACKNOWLEDGED)
    resolved = await service.set_alert_status(alert_id, world.manager, AlertStatus.RESOLVED)
    stale = await service.set_alert_status(alert_id, world.owner, AlertStatus.ACKNOWLEDGED)
    assert again is not None and again.status is AlertStatus.ACKNOWLEDGED
    assert resolved is not None and resolved.status is AlertStatus.RESOLVED
    assert stale is not None and stale.status is AlertStatus.RESOLVED  # not moved back
    assert [(n["status"], n["by"]) for n in stale.notes] == [
        ("acknowledged", "Olga Owner"),
        ("resolved", "Max Manager"),
    ]


def test_report_arguments_split_off_a_trailing_period() -> None:
    assert split_period(["Globex", "Corp", "2026-11"]) == ("Globex Corp", "2026-11")
    assert split_period(["Globex", "Corp"]) == ("Globex Corp", None)
    assert split_period(["all", "2026-Q3"]) == ("all", "2026-Q3")
    assert split_period(["2026"]) == ("2026", None)  # a lone word is the account
