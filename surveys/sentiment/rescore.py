"""Re-score stored answers after an analyser upgrade.

Each conversation's answers are read and written in one short transaction, so an answer
edited meanwhile is not overwritten with stale text. Alerts are not created here: the
caller gets the ids of answers that became negative and lets the survey service alert
(storage keeps alerts unique per answer, so running this twice raises nothing twice).
An answer joined from quick messages is read as the service reads it (answer_sentiment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from surveys.answer_sentiment import answer_sentiment
from surveys.answers import parts_of
from surveys.model import Answer, SentimentLabel
from surveys.ports import UnitOfWorkFactory
from surveys.sentiment.base import SentimentAnalyser


@dataclass
class RescoreStats:
    scanned: int = 0
    changed: int = 0
    skipped: int = 0  # already scored by this analyser and version
    became_negative: int = 0
    no_longer_negative: int = 0


async def rescore(
    uow_factory: UnitOfWorkFactory,
    analyser: SentimentAnalyser,
    *,
    force: bool = False,
    dry_run: bool = False,
    stats: RescoreStats | None = None,
    on_change: Callable[[Answer, Answer], None] | None = None,
) -> list[int]:
    """Re-score every stored answer; the ids of answers that became negative.

    Answers already scored by this analyser's name and version are skipped unless ``force``,
    so an interrupted run resumes where it stopped. ``dry_run`` computes without writing.
    """
    stats = stats if stats is not None else RescoreStats()
    current = f"{analyser.name}/{analyser.version}"
    async with uow_factory() as uow:
        conversation_ids = [
            c.id
            for account in await uow.accounts.list()
            for round_ in await uow.rounds.for_account(account.id)
            for c in await uow.conversations.for_round(round_.id)
        ]
    became: list[int] = []
    for conversation_id in conversation_ids:
        async with uow_factory() as uow:
            dirty = False
            for answer in await uow.answers.for_conversations([conversation_id]):
                stats.scanned += 1
                old = answer.sentiment
                if old is not None and old.analyser == current and not force:
                    stats.skipped += 1
                    continue
                parts = [text for _, text in parts_of(answer)]
                new = answer_sentiment(answer.text, parts, answer.question_key, analyser.analyse)
                if old == new:
                    continue
                stats.changed += 1
                was_negative = old is not None and old.label is SentimentLabel.NEGATIVE
                if new.label is SentimentLabel.NEGATIVE and not was_negative:
                    became.append(answer.id)
                    stats.became_negative += 1
                elif was_negative and new.label is not SentimentLabel.NEGATIVE:
                    stats.no_longer_negative += 1
                updated = replace(answer, sentiment=new)
                if on_change is not None:
                    on_change(answer, updated)
                if not dry_run:
                    await uow.answers.update(updated)
                    dirty = True
            if dirty:
                await uow.commit()
    return became
