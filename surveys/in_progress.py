"""Rounds in progress, one rule for the weekly digest and Slack's App Home.

A round is in progress while someone may still answer it (invited, or being asked) and,
for a census, while it is still asking people or paused: a census paused before anyone
answered has taken back its unsent questions and has no open conversation, yet it is not
over. The two used to choose apart (App Home: each account's latest round, finished or
not, for the first 20 accounts; the digest: rounds with an open conversation), so the
same person saw a different list in each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from surveys.census import CensusState
from surveys.model import Account, Round
from surveys.ports import UnitOfWork


async def round_ids_in_progress(uow: UnitOfWork, accounts: Sequence[Account]) -> set[int]:
    """Ids of the rounds of ``accounts`` in progress (two queries, whatever their number)."""
    ids = {a.id for a in accounts}
    active = await uow.rounds.with_open_conversations(list(ids))
    runs = await uow.census.runs(CensusState.RUNNING, CensusState.PAUSED)
    return active | {run.round_id for run in runs if run.account_id in ids}


async def rounds_in_progress(
    uow: UnitOfWork, accounts: Sequence[Account]
) -> list[tuple[Account, Round]]:
    """The rounds of ``accounts`` in progress: account by account, in the order given, each
    account's oldest first (three queries, whatever the number of accounts)."""
    active = await round_ids_in_progress(uow, accounts)
    mine: dict[int, list[Round]] = defaultdict(list)
    for round_ in await uow.reports.rounds([a.id for a in accounts]):
        if round_.id in active:
            mine[round_.account_id].append(round_)
    return [(account, round_) for account in accounts for round_ in mine.get(account.id, [])]
