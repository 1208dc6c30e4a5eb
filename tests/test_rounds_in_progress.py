"""The weekly digest and Slack's App Home list the same rounds in progress for a person
(surveys/in_progress.py), on SQLite and PostgreSQL: not a finished latest round, and a
census paused before anyone answered counts; each says how many it leaves out."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from bot.slack.listeners.home import MAX_ITEMS, home_blocks
from storage.repositories import SqlUnitOfWorkFactory
from surveys.census import CensusRun, CensusState
from surveys.conversation import ContactEvent, EventKind
from surveys.digest import MAX_LINES, WeeklyDigest
from surveys.health import show_health
from surveys.model import Account, ContactLevel, ConversationStatus, Language, Round, Staff
from surveys.onboarding import Onboarding
from surveys.periods import round_title
from surveys.reporting.data import collect
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from tests.conftest import T0, FakeClock, World


async def census(
    uow: SqlUnitOfWorkFactory, account: Account, key: str, state: CensusState
) -> Round:
    """A census whose run is in ``state`` and none of whose users is being asked."""
    async with uow() as u:
        round_, _ = await u.rounds.get_or_create(
            Round(0, account.id, key, "", T0, audience=ContactLevel.USER.value)
        )
        await u.census.add_run(
            CensusRun(0, round_.id, account.id, state, T0 - timedelta(days=183), T0)
        )
        await u.commit()
    return round_


async def digest_rounds(uow: SqlUnitOfWorkFactory, clock: FakeClock, person: Staff) -> list[str]:
    async with uow() as u:
        text = await WeeklyDigest(uow, clock).compose(
            u, person, await collect(u, await u.accounts.list()), clock.now(), "2026-W45"
        )
    lines = text.split("\n")
    start = lines.index("Rounds in progress:") + 1
    listed = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        listed.append(line.strip().rsplit(": ", 1)[0])
    return listed


async def home_rounds(service: SurveyService, person: Staff) -> list[str]:
    ctx: Any = SimpleNamespace(service=service)
    blocks = await home_blocks(ctx, person, person.language)
    texts = [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]
    start = texts.index("*Rounds in progress*") + 1
    listed = []
    for text in texts[start:]:
        if text.startswith("*"):
            break
        listed.append(text.rsplit(": ", 1)[0])
    return listed


async def test_digest_and_app_home_list_the_same_rounds_in_progress(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World
) -> None:
    # Sprint 1 is over (nobody answered before it expired); Sprint 2 is asking; the H1
    # census was paused before its first question went, the Q3 one was cancelled.
    clock.set(T0 - timedelta(days=20))
    await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    async with uow() as u:
        for conv in await u.conversations.for_round(1):
            conv.status = ConversationStatus.EXPIRED
            await u.conversations.save(conv)
        await u.commit()
    clock.set(T0 - timedelta(days=2))
    await service.open_round(world.account.id, "sprint-2", "Sprint 2")
    clock.set(T0)
    await census(uow, world.account, "census-2026-H1", CensusState.PAUSED)
    async with uow() as u:
        initech = await u.accounts.add(Account(0, "Initech", world.owner.id, created_at=T0))
        await u.commit()
    await census(uow, initech, "census-2026-Q3", CensusState.CANCELLED)

    expected = ["Globex — Sprint 2", "Globex — H1 2026 user census"]
    for person in (world.owner, world.manager):
        person.language = world.owner.language  # one wording to compare
        assert await digest_rounds(uow, clock, person) == expected
        assert await home_rounds(service, person) == expected


async def test_both_say_how_many_rounds_they_leave_out(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World
) -> None:
    many = MAX_ITEMS + 2
    async with uow() as u:
        accounts = [
            await u.accounts.add(Account(0, f"Account {n:02d}", world.owner.id, created_at=T0))
            for n in range(many)
        ]
        await u.commit()
    for account in accounts:
        await census(uow, account, "census-2026-H1", CensusState.RUNNING)

    listed = await digest_rounds(uow, clock, world.owner)
    assert listed[:-1] == [f"Account {n:02d} — H1 2026 user census" for n in range(MAX_LINES)]
    assert listed[-1] == f"… and {many - MAX_LINES} more"
    listed = await home_rounds(service, world.owner)
    assert listed[:-1] == [f"Account {n:02d} — H1 2026 user census" for n in range(MAX_ITEMS)]
    assert listed[-1] == f"…and {many - MAX_ITEMS} more."


async def test_a_new_owner_sees_the_round_already_in_progress_on_their_account(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World
) -> None:
    # Sprint 2 was opened while Olga owned Globex; on Tuesday Globex is given to Nina. The
    # round still asking is hers to follow now, in App Home and the digest, in both languages.
    clock.set(T0 - timedelta(days=2))
    await service.open_round(world.account.id, "sprint-2", "Sprint 2")
    clock.set(T0)
    async with uow() as u:
        nina = await u.staff.add(
            Staff(0, "Nina Newowner", world.owner.role, world.owner.language,
                  console_name="nina", created_at=T0 - timedelta(days=30))
        )  # fmt: skip
        await u.commit()
    onboarding = Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    commands = StaffCommands(uow, clock, service, onboarding)
    await commands.set_owner(world.manager, "Globex", "Nina Newowner")
    async with uow() as u:
        nina = await u.staff.get(nina.id)
        assert nina is not None
    assert await digest_rounds(uow, clock, nina) == ["Globex — Sprint 2"]
    assert await home_rounds(service, nina) == ["Globex — Sprint 2"]
    nina.language = Language.RU
    ctx: Any = SimpleNamespace(service=service)
    blocks = await home_blocks(ctx, nina, Language.RU)
    texts = [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]
    start = texts.index("*Идут опросы*") + 1
    assert texts[start].startswith("Globex — ")
    assert "Опросов сейчас нет." not in str(blocks)


async def test_round_lines_and_health_say_how_many_answered_partly(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World
) -> None:
    # Anna answers all three questions, Boris only the first: App Home, the digest and
    # /health counted both as "responded" with no word that one stopped part-way, while
    # census progress and /report say "2 of them partly". Now all say it, in both languages.
    await service.open_round(world.account.id, "sprint-2", "Sprint 2")
    for n, body in enumerate(("Good result", "Fast enough", "Always polite")):
        await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, body, f"a{n}"))
    await service.handle_event(world.boris_at, ContactEvent(EventKind.TEXT, "Хорошо", "b0"))
    onboarding = Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    commands = StaffCommands(uow, clock, service, onboarding)
    person = world.owner
    for lang, partly, responded in (
        (Language.EN, ", 1 of them partly", "responded"),
        (Language.RU, ", из них частично 1", "ответили"),
    ):
        person.language = lang
        title = round_title("sprint-2", "Sprint 2", lang)
        expected = f"Globex — {title}: 2/2 (100%){partly}"
        ctx: Any = SimpleNamespace(service=service)
        blocks = await home_blocks(ctx, person, lang)
        texts = [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]
        assert expected in texts
        assert f"{title}: {responded} 2/2 (100%){partly}" in "\n".join(texts)  # App Home health
        async with uow() as u:
            digest = await WeeklyDigest(uow, clock).compose(
                u, person, await collect(u, await u.accounts.list()), clock.now(), "2026-W45"
            )
        assert f"  {expected}" in digest.split("\n")
        health = await show_health(commands, person, "Globex")
        assert f"{title}: {responded} 2/2 (100%){partly}" in health.lines


async def test_health_says_partly_after_the_rate_and_its_trend(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World
) -> None:
    # QA: /health read "responded 2/2 (100%), 1 of them partly, ↑ from 50% the round
    # before": the arrow is about the response rate, and the partly note stood between them.
    await service.open_round(world.account.id, "sprint-1", "Sprint 1")
    for n, body in enumerate(("Good result", "Fast enough", "Always polite")):
        await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, body, f"a{n}"))
    clock.advance(timedelta(days=35))
    await service.tick()  # Boris's first invitation expires unanswered
    await service.open_round(world.account.id, "sprint-2", "Sprint 2")
    for n, body in enumerate(("Good result", "Fast enough", "Always polite")):
        await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, body, f"b{n}"))
    await service.handle_event(world.boris_at, ContactEvent(EventKind.TEXT, "Хорошо", "c0"))
    onboarding = Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    commands = StaffCommands(uow, clock, service, onboarding)
    person = world.owner
    for lang, expected in (
        (Language.EN, "responded 2/2 (100%), ↑ from 50% the round before; "
                      "of the 2 who responded, 1 partly"),
        (Language.RU, "ответили 2/2 (100%), ↑ по сравнению с 50% в прошлом опросе; "
                      "из 2 ответивших частично 1"),
    ):  # fmt: skip
        person.language = lang
        title = round_title("sprint-2", "Sprint 2", lang)
        health = await show_health(commands, person, "Globex")
        assert f"{title}: {expected}" in health.lines


async def test_status_says_how_many_answered_partly(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World
) -> None:
    # Anna answers all three questions, Boris only the first. /status said "responded 2
    # (100%)" with no word that one stopped part-way, though the README (and every other
    # round line: App Home, the digest, /health, /report) says how many did.
    await service.open_round(world.account.id, "sprint-2", "Sprint 2")
    for n, body in enumerate(("Good result", "Fast enough", "Always polite")):
        await service.handle_event(world.anna_at, ContactEvent(EventKind.TEXT, body, f"a{n}"))
    await service.handle_event(world.boris_at, ContactEvent(EventKind.TEXT, "Хорошо", "b0"))
    onboarding = Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    commands = StaffCommands(uow, clock, service, onboarding)
    person = world.owner
    for lang, expected in (
        (Language.EN, "responded 2 (100%), 1 of them partly, completed"),
        (Language.RU, "ответили 2 (100%), из них частично 1, завершили"),
    ):
        person.language = lang
        (line,) = (await commands.status(person, "Globex")).lines
        assert expected in line
