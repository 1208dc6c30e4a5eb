"""A round's name as staff read it, for a view that holds the round alone: loads its
account's other rounds and time zone so it reads apart from one of the same month, as in
every other view (surveys.periods.distinct_round_title)."""

from __future__ import annotations

from surveys.model import Language, Round
from surveys.periods import distinct_round_title
from surveys.ports import UnitOfWork


async def round_name(uow: UnitOfWork, round_: Round, lang: Language) -> str:
    account = await uow.accounts.get(round_.account_id)
    rounds = await uow.rounds.for_account(round_.account_id)
    return distinct_round_title(round_, rounds, lang, account.timezone if account else "UTC")
