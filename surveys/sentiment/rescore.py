"""Re-score stored answers after an analyser upgrade.

Each conversation's answers are read and written in one short transaction, so an answer
edited meanwhile is not overwritten with stale text. Alerts are not created here: the
caller gets the ids of answers that became negative and lets the survey service alert
(storage keeps alerts unique per answer, so running this twice raises nothing twice).
An answer joined from quick messages is read as the service reads it (answer_sentiment).

Older code read some answers as fine after an edit or an add-on and marked their alerts "no
longer negative" (the owner's message says so); when the answer now reads negative, its id
is in ``RescoreStats.again_ids`` for the service to take that mark back. Answers skipped as
already current are checked too: a run before this was noticed left such marks standing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from surveys.alert_desk import still_negative
from surveys.answer_sentiment import answer_sentiment
from surveys.answers import parts_of
from surveys.model import Answer, Sentiment, SentimentLabel
from surveys.ports import UnitOfWork, UnitOfWorkFactory
from surveys.sentiment.base import SentimentAnalyser


@dataclass
class RescoreStats:
    scanned: int = 0
    changed: int = 0
    skipped: int = 0  # already scored by this analyser and version
    became_negative: int = 0
    no_longer_negative: int = 0
    negative_again: int = 0  # alerts marked no longer negative whose answer reads negative
    again_ids: list[int] = field(default_factory=list)  # those answers


async def rescore(
    uow_factory: UnitOfWorkFactory,
    analyser: SentimentAnalyser,
    *,
    force: bool = False,
    dry_run: bool = False,
    stats: RescoreStats | None = None,
    on_change: Callable[[Answer, Answer], None] | None = None,
    alerting: Callable[[Sentiment | None], bool] | None = None,
) -> list[int]:
    """Re-score every stored answer; the ids of answers that became negative.

    Answers already scored by this analyser's name and version are skipped unless ``force``,
    so an interrupted run resumes where it stopped. ``dry_run`` computes without writing.
    ``alerting`` tells a reading that raises an alert (the alert policy's; by default any
    negative one): only such a reading takes back an alert's "no longer negative".
    """
    alerts_on = alerting or _negative
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
                current_already = old is not None and old.analyser == current and not force
                if current_already:
                    stats.skipped += 1
                    new = old
                else:
                    parts = [text for _, text in parts_of(answer)]
                    new = answer_sentiment(
                        answer.text, parts, answer.question_key, analyser.analyse
                    )
                # Its alert is marked no longer negative: the service takes that back. The
                # answer has its one alert, so it is not counted as newly negative.
                again = alerts_on(new) and await _marked_cleared(uow, answer.id)
                if again:
                    stats.negative_again += 1
                    stats.again_ids.append(answer.id)
                if current_already or new is None or old == new:
                    continue
                stats.changed += 1
                was_negative = old is not None and old.label is SentimentLabel.NEGATIVE
                if new.label is SentimentLabel.NEGATIVE and not was_negative and not again:
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


def _negative(sentiment: Sentiment | None) -> bool:
    return sentiment is not None and sentiment.label is SentimentLabel.NEGATIVE


async def _marked_cleared(uow: UnitOfWork, answer_id: int) -> bool:
    """Whether the answer's alert is marked no longer negative."""
    alert = await uow.alerts.for_answer(answer_id)
    return alert is not None and not still_negative(alert)
