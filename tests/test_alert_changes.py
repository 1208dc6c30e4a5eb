"""An alerted answer the client keeps changing, on SQLite and PostgreSQL: the alert's notes
grow with the number of changes, not with it times the answer's length, and `/alert <id>`
shows the whole answer with the last few changes, the earlier ones counted in one line."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from bot.delivery import DeliveryWorker
from storage.repositories import SqlUnitOfWorkFactory
from surveys import answers as answering
from surveys.alert_changes import changes_of
from surveys.alert_view import show_alert
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Alert, AlertStatus, Answer, Language, Staff
from surveys.onboarding import Onboarding
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from tests.conftest import T0, FakeClock, World
from tests.test_conversation_service import answers_of, open_round

NEGATIVE = "Terrible result, very disappointed"
PARTS = [NEGATIVE] + [f"Part {i:02d}: and one more thing about the delivery." for i in range(49)]


async def type_quickly(service: SurveyService, world: World, clock: FakeClock) -> None:
    """Anna's answer to question 1 as 50 messages, all before question 2 reached her."""
    for i, body in enumerate(PARTS):
        event = ContactEvent(EventKind.TEXT, body, f"a{i}", position=Decimal(100 + i))
        await service.handle_event(world.anna_at, event)
        clock.advance(timedelta(seconds=20))


async def the_alert(uow: SqlUnitOfWorkFactory) -> Alert:
    async with uow() as u:
        [alert] = await u.alerts.list()
    return alert


async def timeline_of(commands: StaffCommands, reader: Staff, alert_id: int) -> list[str]:
    """The timeline's steps in ``/alert``, after its heading."""
    lines = (await show_alert(commands, reader, alert_id)).lines
    return lines[lines.index(next(x for x in lines if "(UTC):" in x)) + 1 :]


def commands_of(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService
) -> StaffCommands:
    return StaffCommands(
        uow, clock, service, Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    )


async def test_fifty_quick_messages_keep_the_alert_notes_linear_and_its_view_short(
    service: SurveyService,
    delivery: DeliveryWorker,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # Each message added to the alerted answer stored the whole answer before it in the
    # alert's notes (64,026 characters for this ~2,500-character answer), and /alert printed
    # 49 clipped copies of it. Now a note names the history entry of its change.
    await open_round(service, world, delivery)
    await type_quickly(service, world, clock)
    [answer] = await answers_of(uow, world.anna)
    assert answer.text == "\n".join(PARTS)
    alert = await the_alert(uow)
    assert alert.answer_id == answer.id and len(alert.notes) == 49
    stored = len(json.dumps(alert.notes, ensure_ascii=False))
    assert stored <= 3 * len(answer.text), (stored, len(answer.text))
    # Nothing is lost: what the answer read before each change, and what each added.
    changes = changes_of(alert.notes, answer)
    assert [c.before for c in changes] == answering.earlier_texts(answer)
    assert [c.text for c in changes] == PARTS[1:] and all(c.added for c in changes)

    commands = commands_of(uow, clock, service)
    olga = await show_alert(commands, world.owner, alert.id)  # English
    assert olga.verbatim == answer.text  # the whole answer, as it reads now
    timeline = olga.lines[olga.lines.index("Timeline (UTC):") :]
    assert timeline[1:] == [
        "2026-11-02 09:00 · alert raised",
        "2026-11-02 09:00 – 2026-11-02 09:15 · 46 earlier changes by the client (additions: 46,"
        " edits: 0); only the last 3 are shown",
        f"2026-11-02 09:15 · the client added to the answer: «{PARTS[47]}»",
        f"2026-11-02 09:16 · the client added to the answer: «{PARTS[48]}»",
        f"2026-11-02 09:16 · the client added to the answer: «{PARTS[49]}»",
        "",
        "Answer, in full:",
    ]
    max_ = await show_alert(commands, world.manager, alert.id)  # Russian
    timeline = max_.lines[max_.lines.index("Хронология (UTC):") :]
    assert timeline[2] == (
        "2026-11-02 09:00 – 2026-11-02 09:15 · более ранних изменений ответа клиентом: 46 "
        "(дополнений: 46, исправлений: 0); показаны только последние 3"
    )
    assert timeline[3:6] == [
        f"2026-11-02 09:{m} · клиент дополнил ответ: «{PARTS[n]}»"
        for m, n in (("15", 47), ("16", 48), ("16", 49))
    ]

    # An edit of one message: the line names that message as it read before.
    await service.handle_edit(world.anna_at, "a26", "Part 25: fine, no notes.")
    alert = await the_alert(uow)
    [answer] = await answers_of(uow, world.anna)
    stored = len(json.dumps(alert.notes, ensure_ascii=False))
    assert stored <= 3 * len(answer.text), (stored, len(answer.text))
    timeline = await timeline_of(commands, world.owner, alert.id)
    assert "47 earlier changes by the client (additions: 47, edits: 0)" in timeline[1]
    assert timeline[4] == f"2026-11-02 09:16 · the client edited the answer; before: «{PARTS[26]}»"
    timeline = await timeline_of(commands, world.manager, alert.id)
    assert timeline[4] == f"2026-11-02 09:16 · клиент исправил ответ; было: «{PARTS[26]}»"


async def test_alert_notes_in_the_earlier_format_still_show(
    service: SurveyService,
    delivery: DeliveryWorker,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # Rows written before notes named a history entry carry the whole text before instead;
    # /alert shows them as it did, counts them with the rest, and a note naming an entry the
    # answer does not have (nor its text) shows no text rather than failing.
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, NEGATIVE, "a0"))
    alert = await the_alert(uow)
    old = [
        {"edited_at": "2026-11-02T09:01:00+00:00", "previous_text": "It was fine",
         "negative": True},
        {"edited_at": "2026-11-02T09:02:00+00:00", "previous_text": "It was bad", "added": True,
         "negative": False},
        {"status": "acknowledged", "by": "Olga Owner", "at": "2026-11-02T09:03:00+00:00"},
        {"edited_at": "2026-11-02T09:04:00+00:00", "change": 7, "negative": True},
    ]  # fmt: skip
    async with uow() as u:
        for note in old:
            await u.alerts.set_status(alert.id, AlertStatus.OPEN, note, clock.now())
        await u.commit()
    commands = commands_of(uow, clock, service)
    lines = (await show_alert(commands, world.owner, alert.id)).lines
    timeline = lines[lines.index("Timeline (UTC):") + 1 :]
    assert timeline[:6] == [
        "2026-11-02 09:00 · alert raised",
        "2026-11-02 09:01 · the client edited the answer; before: «It was fine»",
        "2026-11-02 09:02 · the client added to the answer; before: «It was bad»",
        "2026-11-02 09:02 · it no longer reads as negative",
        "2026-11-02 09:03 · acknowledged by Olga Owner",
        "2026-11-02 09:04 · the client edited the answer; before: «»",
    ]
    ru = (await show_alert(commands, world.manager, alert.id)).lines
    assert "2026-11-02 09:01 · клиент исправил ответ; было: «It was fine»" in ru
    assert "2026-11-02 09:02 · клиент дополнил ответ; было: «It was bad»" in ru

    # Many of them: the earlier ones are counted, by kind, like new ones.
    async with uow() as u:
        for i in range(4):
            note = {"edited_at": f"2026-11-02T09:1{i}:00+00:00", "previous_text": f"v{i}"}
            await u.alerts.set_status(alert.id, AlertStatus.OPEN, note, clock.now())
        await u.commit()
    lines = (await show_alert(commands, world.owner, alert.id)).lines
    timeline = lines[lines.index("Timeline (UTC):") + 1 :]
    assert timeline[:7] == [
        "2026-11-02 09:00 · alert raised",
        "2026-11-02 09:01 – 2026-11-02 09:10 · 4 earlier changes by the client (additions: 1,"
        " edits: 3); only the last 3 are shown",
        "2026-11-02 09:03 · acknowledged by Olga Owner",
        "2026-11-02 09:11 · the client edited the answer; before: «v1»",
        "2026-11-02 09:12 · the client edited the answer; before: «v2»",
        "2026-11-02 09:13 · the client edited the answer; before: «v3»",
        "",
    ]


def test_an_answer_without_history_reads_earlier_notes_only() -> None:
    answer = Answer(1, 1, "outcome", "Now", T0)
    notes = [{"edited_at": "x", "change": 0, "previous_text": "Before"}, {"status": "open"}]
    [change] = changes_of(notes, answer)
    assert (change.before, change.text, change.added) == ("Before", None, False)
    assert changes_of(notes, None)[0].before == "Before"


async def test_the_answers_edit_time_is_in_the_readers_time_zone_like_the_timeline(
    service: SurveyService,
    delivery: DeliveryWorker,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    # "/alert" gave the timeline in the reader's /timezone (05:02 Moscow) and, under it,
    # «Ответ (исправлен 2026-11-30 02:02 UTC)»: one message, two clocks.
    await open_round(service, world, delivery)
    await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, "Fine", "m1"))
    clock.advance(timedelta(minutes=5))
    await service.handle_edit(world.anna_at, "m1", NEGATIVE)
    alert = await the_alert(uow)
    [answer] = await answers_of(uow, world.anna)
    assert answer.edited_at is not None
    commands = commands_of(uow, clock, service)
    moscow = (answer.edited_at + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    for reader, head in (
        (world.owner, f"Answer (edited {moscow} MSK), in full:"),
        (world.manager, f"Ответ (исправлен {moscow} MSK) полностью:"),
    ):
        reader.timezone = "Europe/Moscow"
        lines = (await show_alert(commands, reader, alert.id)).lines
        assert lines[-1] == head
        assert "Europe/Moscow" in "\n".join(lines)
