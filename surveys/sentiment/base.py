"""The one interface every sentiment analyser implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from surveys.model import Sentiment


@runtime_checkable
class SentimentAnalyser(Protocol):
    """Scores one free-form answer.

    ``question`` is the question key the answer replies to ("outcome", "speed",
    "politeness", or "comment"), so an analyser may read "долго" as negative for speed.
    Implementations must be pure and fast enough to call inline while handling a message.
    One that takes microseconds may set ``inline = True``: it is then called on the event
    loop inside the transaction that stores the answer, instead of in a worker thread
    before it (which costs more than such an analyser itself) — for a short answer only:
    past surveys.service.INLINE_MAX_CHARS it is read in the worker thread too.
    """

    name: str
    version: str

    def analyse(self, text: str, question: str | None = None) -> Sentiment: ...
