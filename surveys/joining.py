"""A contact who becomes reachable while their account's round is open joins that round.

A contact added with a chat (Slack `/candor invite @user`), one who opens their invite link
(Telegram) and one who comes back (`/start` after `/stop` or after blocking the bot) get the
open round's invitation at once, in the transaction that made them reachable: one
conversation per round and contact (the database's unique pair, checked here first), its
first message in the outbox under the conversation's key, so a restart, a redelivered update
or a repeated command sends nothing twice. Before, they waited for the next round.

The open round is the account's newest survey round; it accepts answers for the policy's
expiry delay after it opened, and a late joiner's conversation ends with it. After that
they wait for the next one. A census has its own rule for latecomers (surveys.census).
"""

from __future__ import annotations

from dataclasses import replace

from surveys.model import Account, Contact
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
        return None
    if await uow.conversations.in_round(current.round.id, contact.id) is not None:
        return None  # invited already (this add, an earlier one, or they declined it)
    return account, current


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
