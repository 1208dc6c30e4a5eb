"""Sentiment analysis: one interface, a baseline analyser, and a factory by name."""

from surveys.sentiment.base import SentimentAnalyser
from surveys.sentiment.baseline import BaselineAnalyser

KNOWN_ANALYSERS: tuple[str, ...] = ("baseline",)


def make_analyser(name: str = "baseline") -> SentimentAnalyser:
    if name == "baseline":
        return BaselineAnalyser()
    raise ValueError(f"unknown sentiment analyser {name!r}; known: baseline")


__all__ = ["KNOWN_ANALYSERS", "BaselineAnalyser", "SentimentAnalyser", "make_analyser"]
