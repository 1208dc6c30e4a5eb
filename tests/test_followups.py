"""Follow-ups and resolutions on both storage backends: what wins between a survey and a
follow-up, unreachable contacts, and two people resolving one alert at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from storage.db import session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.alert_desk import AlertDesk
from surveys.conversation import ContactEvent, EventKind
from surveys.followups import FollowUpPolicy, FollowUps
from surveys.model import AlertStatus, ContactStatus, Disposition
from surveys.resolution import Resolutions
from surveys.service import SurveyService
from surveys.staff import StaffError
from tests.conftest import Database, FakeClock, World

NEGATIVE = "Terrible result, not happy at all"


async def alert_for_anna(service: SurveyService, world: World) -> int:
    await service.open_round(world.account.id, "2026-Q4", "Q4")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, NEGATIVE, "m1"))
    async with service.uow() as u:
        [alert] = await u.alerts.list()
    return alert.id


def follow_ups(service: SurveyService, clock: FakeClock) -> FollowUps:
    return FollowUps(service.uow, clock, FollowUpPolicy(timedelta(days=3), "Acme IT"))


async def answers_of_anna(service: SurveyService) -> list[tuple[str, str]]:
    async with service.uow() as u:
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        return [(a.question_key, a.text) for a in await u.answers.for_conversations([conv.id])]


async def test_a_survey_question_sent_after_the_follow_up_takes_the_next_message(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    alert_id = await alert_for_anna(service, world)
    await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    clock.advance(timedelta(days=1))
    # A new round asks Anna its first question after the follow-up: that question was asked
    # last, so her next message answers it, and the follow-up keeps waiting.
    await service.open_round(world.account.id, "2027-Q1", "Q1")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "All fine now", "m2"))
    assert await answers_of_anna(service) == [("outcome", "All fine now")]
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
    assert alert is not None and not [n for n in alert.notes if n.get("kind") == "reply"]


async def test_a_follow_up_asked_mid_survey_takes_one_message_then_the_survey_goes_on(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    alert_id = await alert_for_anna(service, world)
    clock.advance(timedelta(minutes=5))
    await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    clock.advance(timedelta(minutes=5))
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "The login", "m2"))
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Speed ok", "m3"))
    assert await answers_of_anna(service) == [("outcome", NEGATIVE), ("speed", "Speed ok")]
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
        sent = await u.outbox.list()
    assert alert is not None
    assert [n["text"] for n in alert.notes if n.get("kind") == "reply"] == ["The login"]
    to_olga = [m for m in sent if m.recipient.address == "olga"]
    assert to_olga[-1].payload["text"] == (
        "Reply from Anna to your question (alert #1):\nThe login"
    )


async def test_a_10000_character_reply_to_a_follow_up_is_kept_whole(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    # The reply was cut to 4,000 characters without a word to anyone.
    alert_id = await alert_for_anna(service, world)
    clock.advance(timedelta(minutes=5))
    await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    clock.advance(timedelta(minutes=5))
    reply = ("The login page, every morning, for a week. " * 250)[:10_000].strip()
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, reply, "m2"))
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
        sent = await u.outbox.list()
    assert alert is not None
    assert [n["text"] for n in alert.notes if n.get("kind") == "reply"] == [reply]
    to_olga = [m for m in sent if m.recipient.address == "olga"]
    assert to_olga[-1].payload["text"].endswith(reply)


@pytest.mark.parametrize("status", [ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE])
async def test_an_opted_out_or_unreachable_contact_gets_nothing(
    service: SurveyService, world: World, clock: FakeClock, status: ContactStatus
) -> None:
    alert_id = await alert_for_anna(service, world)
    async with service.uow() as u:
        await u.contacts.set_status(world.anna.id, status)
        before = len(await u.outbox.list())
        await u.commit()
    with pytest.raises(StaffError) as refused:
        await follow_ups(service, clock).ask(world.owner, alert_id, "Which part?")
    assert str(refused.value).startswith("Nothing was sent: Anna")
    async with service.uow() as u:
        assert len(await u.outbox.list()) == before
        alert = await u.alerts.get(alert_id)
    assert alert is not None and alert.notes == []


async def test_two_people_resolving_at_once_one_wins_the_other_is_told(
    database: Database, service: SurveyService, world: World, clock: FakeClock
) -> None:
    alert_id = await alert_for_anna(service, world)
    other = database.new_engine()
    try:
        desk = AlertDesk(clock, service.policy.alerts)
        mine = Resolutions(service.uow, clock, desk)
        theirs = Resolutions(SqlUnitOfWorkFactory(session_factory(other)), clock, desk)
        results = await asyncio.gather(
            mine.resolve(world.owner, alert_id, Disposition.FIXED, "Patched"),
            theirs.resolve(world.manager, alert_id, Disposition.WONT_FIX, "Not worth it"),
            return_exceptions=True,
        )
    finally:
        await other.dispose()
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, StaffError)]
    assert len(won) == 1 and len(lost) == 1, results
    async with service.uow() as u:
        alert = await u.alerts.get(alert_id)
    assert alert is not None and alert.status is AlertStatus.RESOLVED
    resolutions = [n for n in alert.notes if n.get("status") == "resolved"]
    assert len(resolutions) == 1
    winner = resolutions[0]["by"]
    assert "was already resolved by " + winner in str(lost[0]) or "уже закрыт" in str(lost[0])


async def test_a_follow_up_on_a_silence_alert_gets_its_reply_and_the_reply_ends_the_silence(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    for quarter in ("2026-Q2", "2026-Q3", "2026-Q4"):
        await service.open_round(world.account.id, quarter, quarter)
        await service.handle_event(
            world.anna_at, ContactEvent(EventKind.DECLINE, "", f"d{quarter}")
        )
        for i, text in enumerate(("Great", "Fast", "Polite")):
            await service.handle_event(
                world.boris_at, ContactEvent(EventKind.TEXT, text, f"{quarter}{i}")
            )
        clock.advance(timedelta(days=1))
    report = await service.tick()
    assert report.silences == 1  # Anna's streak; Boris answers, so the account is not silent
    assert (await service.tick()).silences == 0
    async with service.uow() as u:
        [silence] = await u.alerts.silences()
    assert silence.contact_id == world.anna.id and silence.answer_id == 0
    await follow_ups(service, clock).ask(world.owner, silence.id, "Is everything all right?")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Just busy", "r1"))
    async with service.uow() as u:
        alert = await u.alerts.get(silence.id)
    assert alert is not None and alert.status is AlertStatus.RESOLVED
    assert [n["text"] for n in alert.notes if n.get("kind") == "reply"] == ["Just busy"]
    assert [n.get("cleared") for n in alert.notes if n.get("status") == "resolved"] == ["reply"]
