"""A census that asked no one says so — progress, /status, /report, /health, App Home and
the weekly digest — instead of "responded 0/0 (0%)", in the reader's language."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.slack.listeners.home import home_blocks
from storage.repositories import SqlUnitOfWorkFactory
from surveys.census import CensusState
from surveys.census_staff import census_status_line
from surveys.digest import WeeklyDigest
from surveys.health import show_health
from surveys.model import Contact, ContactLevel, ContactStatus, Language
from surveys.onboarding import Onboarding
from surveys.periods import round_title
from surveys.reporting.data import collect
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from tests.conftest import FakeClock, World
from tests.test_census import Bed, bed  # noqa: F401  (fixture)
from tests.test_rounds_in_progress import census

NONE = {Language.EN: "no one was asked", Language.RU: "никто не опрошен"}


def staff_commands(uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService) -> Any:
    onboarding = Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    return StaffCommands(uow, clock, service, onboarding)


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_census_nobody_was_asked_in_reads_so_in_every_view(
    uow: SqlUnitOfWorkFactory, service: SurveyService, clock: FakeClock, world: World,
    lang: Language,
) -> None:  # fmt: skip
    round_ = await census(uow, world.account, "census-2026-H1", CensusState.RUNNING)
    person = world.manager
    person.language = lang
    title = round_title(round_.period_key, round_.title, lang)
    line = f"{title}: {NONE[lang]}"

    async with uow() as u:
        digest = await WeeklyDigest(uow, clock).compose(
            u, person, await collect(u, await u.accounts.list()), clock.now(), "2026-W45"
        )
    assert f"  Globex — {line}" in digest.split("\n")
    blocks = await home_blocks(SimpleNamespace(service=service), person, lang)  # type: ignore[arg-type]
    home = [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]
    assert f"Globex — {line}" in home  # App Home's rounds in progress
    assert any(line in text.split("\n") for text in home)  # and its health
    commands = staff_commands(uow, clock, service)
    health = (await show_health(commands, person, "Globex")).lines
    assert line in health
    table = (await commands.report(person, "Globex", None)).table
    assert table is not None
    assert ("No one was asked." if lang is Language.EN else "Никто не опрошен.") in table
    for text in (digest, *home, *health, table):
        assert "0/0" not in text and "(0%)" not in text, text


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_census_whose_users_have_no_chat_says_no_one_was_asked_and_why(
    bed: Bed,  # noqa: F811
    lang: Language,
) -> None:
    async with bed.uow() as u:
        for i in range(2):  # imported with an e-mail only: nobody can be written to
            await u.contacts.add(
                Contact(
                    0, bed.account_id, f"User {i}", ContactLevel.USER, Language.EN,
                    ContactStatus.INVITED, email=f"u{i}@globex.example", tickets=1,
                    last_ticket_at=bed.clock.now() - timedelta(days=3),
                )
            )  # fmt: skip
        await u.commit()
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()
    progress = await bed.progress()
    assert (progress.state, progress.population, progress.sent) == (CensusState.DONE, 2, 0)

    text = progress.render(lang, "Globex", "T")
    if lang is Language.EN:
        expected = "T of Globex (finished): 2 users, no one was asked: no chat 2, opted out 0, "
        expected += "not sent 0."
    else:
        expected = "T, Globex (завершена): 2 пользователя, никто не опрошен: нет чата 2, "
        expected += "отказались 0, не отправлено 0."
    assert text == expected
    commands = staff_commands(bed.uow, bed.clock, bed.service)
    person = bed.world.manager
    person.language = lang
    status = await census_status_line(commands, person, "Globex")
    assert status is not None and status.endswith(f", {NONE[lang]}.")
    assert "(0%)" not in status
