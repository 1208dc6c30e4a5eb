"""A deleted answer told to the staff who have its alert (surveys/deleted_answers.py), on both
storage backends: a copy forwarded to a manager is theirs too; a grouped comment is its
alert's; nobody else hears of it."""

from __future__ import annotations

from dataclasses import replace

from surveys.conversation import ContactEvent, EventKind
from surveys.model import Staff
from surveys.service import SurveyService
from tests.conftest import T0, FakeClock, World

NEGATIVE = "Terrible result, not happy at all"


async def staff_notices(service: SurveyService, person: Staff) -> list[dict[str, object]]:
    """What ``person`` was told of a deleted message (other notices, e.g. why an alert was
    forwarded to them, left out)."""
    async with service.uow() as u:
        sent = await u.outbox.list()
    return [
        m.payload for m in sent
        if m.kind == "staff_notice" and m.recipient.address == person.console_name
        and m.idempotency_key.startswith("answer-deleted:")
    ]  # fmt: skip


async def test_an_alert_forwarded_to_a_manager_tells_the_manager_in_their_language(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    async with service.uow() as u:  # the owner blocked the bot: alerts go to managers
        await u.staff.update(replace(world.owner, unreachable_since=T0))
        await u.commit()
    await service.open_round(world.account.id, "2026-Q4", "Q4")
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, NEGATIVE, "m1"))
    async with service.uow() as u:
        [alert] = await u.alerts.list()
        copy = await u.outbox.by_key(f"alert:{alert.id}:fwd:{world.manager.id}")
    assert copy is not None

    await service.handle_deletion(world.anna_at, "m1")
    await service.handle_deletion(world.anna_at, "m1")  # delivered again

    [told] = await staff_notices(service, world.manager)
    assert told["text"] == (
        f"Anna удалил(а) в Slack сообщение с ответом (алерт #{alert.id}). Ответ остаётся "
        "сохранённым и в алерте, как был; клиенту сказано, что он сохранён и как его изменить."
    )
    assert await staff_notices(service, world.owner) == []  # never had the alert


async def test_a_deleted_comment_is_told_under_the_alert_it_was_grouped_into(
    service: SurveyService, world: World, clock: FakeClock
) -> None:
    await service.open_round(world.account.id, "2026-Q4", "Q4")
    for n, text in enumerate(["Fine", "Ok", "Polite", NEGATIVE, "Also awful support, terrible"]):
        await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, text, f"m{n}"))
    async with service.uow() as u:
        [alert] = await u.alerts.list()
    assert any("comment" in n for n in alert.notes), alert.notes  # the second was grouped

    await service.handle_deletion(world.anna_at, "m4")

    [told] = await staff_notices(service, world.owner)
    assert told["text"] == (
        f"Anna deleted the Slack message with their answer (alert #{alert.id}). The answer "
        "stays stored and on the alert as it was; they were told it is kept and how to change it."
    )
    assert await staff_notices(service, world.manager) == []
