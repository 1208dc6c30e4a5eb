"""A contact who becomes reachable while their account's round is open joins that round.

A contact added with a chat (Slack `/candor invite @user`), one who opens their invite link
(Telegram) and one who comes back (`/start` after `/stop` or after blocking the bot) get the
open round's invitation at once, in the transaction that made them reachable: one
conversation per round and contact (the database's unique pair, checked here first), its
first message in the outbox under the conversation's key, so a restart, a redelivered update
or a repeated command sends nothing twice. Before, they waited for the next round.

The open round is the account's newest survey round; it accepts answers for the policy's
expiry delay after it opened, and a late joiner's conversation ends with it. After that
they wait for the next one. A user joins their account's census the same way (bound on
Slack by e-mail, their invite link opened, back after /stop) while it is sending or has
sent (not paused: its resume asks them; not cancelled) and within its answer window, if
they are one of its users; after that window they are not asked (its progress says so).
A census link joins its census itself (surveys.census).
"""

from __future__ import annotations

from dataclasses import replace

from surveys.model import Account, Contact, ContactLevel
from surveys.open_rounds import OpenRound, open_survey_round
from surveys.periods import tellings
from surveys.ports import UnitOfWork
from surveys.service import SurveyService


async def open_round(service: SurveyService, uow: UnitOfWork, account: Account) -> OpenRound | None:
    """The account's round still accepting answers now, if any (surveys.open_rounds)."""
    rounds = await uow.rounds.for_account(account.id)
    found = open_survey_round(rounds, service.clock.now(), service.policy.expiry_delay)
    if found is None:
        return None
    return replace(found, apart=tellings(rounds, account.timezone).get(found.round.id))


async def round_to_join(
    service: SurveyService, uow: UnitOfWork, contact: Contact
) -> tuple[Account, OpenRound] | None:
    """The account's open round ``contact`` would join now (invites nobody), or None when
    there is none for them or they already have its conversation."""
    account = await uow.accounts.get(contact.account_id)
    if account is None:
        return None
    current = await open_round(service, uow, account)
    if current is None or not service.invitable(contact, current.round.audience):
        census = await census_to_join(service, uow, account, contact)
        return (account, census) if census is not None else None
    if await uow.conversations.in_round(current.round.id, contact.id) is not None:
        return None  # invited already (this add, an earlier one, or they declined it)
    return account, current


async def census_to_join(
    service: SurveyService, uow: UnitOfWork, account: Account, contact: Contact
) -> OpenRound | None:
    """The account's census that would ask ``contact`` now, or None: not one of its users,
    not reachable, paused, cancelled, past its answer window, or asked already."""
    from surveys.census import CensusState  # here: surveys.census imports onboarding, us

    if contact.level is not ContactLevel.USER or not service.invitable(contact, "user"):
        return None
    latest = await uow.census.latest_run(account.id)
    if latest is None or latest.created_at is None or not latest.counts(contact):
        return None
    closes_at = latest.created_at + service.policy.expiry_delay
    if service.clock.now() >= closes_at:
        return None
    # Under the row lock a fan-out batch takes: a batch reading the population now sees
    # this contact bound once we commit, or has finished (and not asked them) before.
    run = await uow.census.run(latest.id, lock=True)
    if run is None or run.state not in (CensusState.RUNNING, CensusState.DONE):
        return None
    if await uow.conversations.in_round(run.round_id, contact.id) is not None:
        return None  # asked already (the fan-out, an earlier join), or declined
    round_ = await uow.rounds.get(run.round_id)
    return OpenRound(round_, closes_at) if round_ is not None else None


async def join_open_round(
    service: SurveyService, uow: UnitOfWork, contact: Contact
) -> OpenRound | None:
    """Invite ``contact`` to their account's open round inside the caller's transaction;
    the round, or None when there is none for them or they already have its conversation."""
    found = await round_to_join(service, uow, contact)
    if found is None:
        return None
    account, current = found
    await service.invite(uow, account, current.round, contact, closes_at=current.closes_at)
    return current
