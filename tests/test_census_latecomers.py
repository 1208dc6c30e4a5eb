"""Users of a census who become reachable after it started (bound on Slack by e-mail later,
a personal invite link opened later): asked once while it is open, never after it closed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from surveys.census import CensusState
from surveys.model import Address, Channel, Contact, ContactLevel, ContactStatus, Language
from surveys.onboarding import Onboarding, RedeemStatus
from surveys.texts import t
from tests.test_census import Bed, bed  # noqa: F401  (fixture)


class Directory:
    """A workspace's members by e-mail (the Slack adapter's users.lookupByEmail)."""

    def __init__(self, members: dict[str, str]) -> None:
        self.members = members

    async def user_by_email(self, email: str) -> str | None:
        return self.members.get(email)


async def add_unbound(bed: Bed, email: str, name: str = "Late Larry") -> Contact:  # noqa: F811
    """A user with a ticket last week and no chat anywhere yet (imported by e-mail)."""
    async with bed.uow() as u:
        contact = await u.contacts.add(
            Contact(
                0, bed.account_id, name, ContactLevel.USER, Language.EN, ContactStatus.INVITED,
                email=email, tickets=1, last_ticket_at=bed.clock.now() - timedelta(days=7),
            )
        )  # fmt: skip
        await u.commit()
    return contact


async def bind_later(bed: Bed) -> int:  # noqa: F811
    """`candor census slack-bind`: how many it asked in the open census."""
    directory = Directory({"larry@globex.example": "late-larry"})
    report = await bed.census.bind_by_email(bed.account_id, directory, Channel.CONSOLE)
    return report.asked


async def test_a_user_bound_after_the_census_sent_everything_is_asked_once_while_it_is_open(
    bed: Bed,  # noqa: F811
) -> None:
    await bed.add_users(2)
    await add_unbound(bed, "larry@globex.example")
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()
    assert (await bed.progress()).state is CensusState.DONE

    bed.clock.advance(timedelta(days=2))  # the census still accepts answers (7 days)
    assert await bind_later(bed) == 1
    await bed.ask_everyone()  # a later fan-out pass, a restarted process: nothing more
    assert await bed.census.fan_out() == 0
    assert sorted(bed.asked()) == ["late-larry", "user0", "user1"]
    assert await bind_later(bed) == 0  # slack-bind run again: bound already, not asked again
    await bed.delivery.run_once()
    assert bed.asked().count("late-larry") == 1

    progress = await bed.progress()
    assert (progress.population, progress.sent, progress.reached) == (3, 3, 3)
    assert (progress.no_chat, progress.not_sent) == (0, 0)
    for lang in Language:
        text = progress.render(lang, "Globex", "H2 2026 user census")
        assert t("census_state.done", lang) in text


async def test_a_user_bound_after_the_census_closed_is_not_asked_and_progress_says_so(
    bed: Bed,  # noqa: F811
) -> None:
    await bed.add_users(1)
    await add_unbound(bed, "larry@globex.example")
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()

    bed.clock.advance(timedelta(days=7))  # its answer window has closed
    assert await bind_later(bed) == 0
    await bed.ask_everyone()
    assert bed.asked() == ["user0"]
    progress = await bed.progress()
    assert (progress.sent, progress.not_sent) == (1, 1)
    for lang in Language:
        text = progress.render(lang, "Globex", "H2 2026 user census")
        assert t("census_state.done_late", lang, n=1) in text
        assert t("census_state.done", lang) not in text


@pytest.mark.parametrize("state", [CensusState.PAUSED, CensusState.CANCELLED])
async def test_a_paused_census_asks_a_latecomer_on_resume_and_a_cancelled_one_never(
    bed: Bed,  # noqa: F811
    state: CensusState,
) -> None:
    await bed.add_users(1)
    await add_unbound(bed, "larry@globex.example")
    await bed.census.start(bed.account_id, None, None)
    await bed.census.set_state(bed.account_id, state)
    assert await bind_later(bed) == 0  # nobody is asked while paused
    await bed.ask_everyone()
    assert bed.asked() == []
    if state is CensusState.PAUSED:
        await bed.census.set_state(bed.account_id, CensusState.RUNNING)
        await bed.ask_everyone()
        assert sorted(bed.asked()) == ["late-larry", "user0"]


async def test_a_personal_invite_link_opened_while_the_census_is_open_asks_once(
    bed: Bed,  # noqa: F811
) -> None:
    # `candor invites export` mailed Telegram users their links; one opens it after the
    # census had sent everything, and Telegram delivers that /start twice.
    await bed.add_users(1)
    larry = await add_unbound(bed, "larry@globex.example")
    onboarding = Onboarding(bed.uow, bed.clock, "Acme IT", Language.EN, service=bed.service)
    async with bed.uow() as u:
        token = await onboarding.create_invite(u, larry.id, None)
        await u.commit()
    await bed.census.start(bed.account_id, None, None)
    await bed.ask_everyone()

    bed.clock.advance(timedelta(hours=5))
    chat = Address(Channel.CONSOLE, "tg-larry")
    first = await onboarding.redeem(token, chat, Language.EN, reply_key="start:1")
    again = await onboarding.redeem(token, chat, Language.EN, reply_key="start:1")
    assert first.status is RedeemStatus.BOUND and again.status is RedeemStatus.ALREADY_BOUND
    assert first.text.startswith("Welcome, Late Larry!") and "survey is open now" in first.text
    await bed.ask_everyone()
    assert bed.asked() == ["user0", "tg-larry"]
    progress = await bed.progress()
    assert (progress.population, progress.sent, progress.not_sent) == (2, 2, 0)
