"""English valence from VADER's lexicon and rules (vendored in ``vader/``, MIT).

The rule layer's lexicon was written for answers to our three questions; tweets and review
sentences say what they feel in thousands of other words ("suck", "gross", "meh"), which
VADER's 7,500 human-rated entries cover, with its reading of negation, boosters, capitals
and "but". Its scores are three more features of the head, not a verdict: on Russian text
(no entry matches) they are zero and say nothing.
"""

from __future__ import annotations

from functools import lru_cache

from surveys.sentiment.vader.vader_sentiment import SentimentIntensityAnalyzer

# VADER's cost grows with the text; the opening carries a tweet or an answer's feeling.
MAX_CHARS = 1000


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def load() -> None:
    """Read the lexicons now (about 0.1 s), not on the first answer."""
    _analyzer()


def scores(text: str) -> tuple[float, float, float]:
    """VADER's negative share, positive share and compound score (-1..1) of ``text``."""
    s = _analyzer().polarity_scores(text[:MAX_CHARS])
    return float(s["neg"]), float(s["pos"]), float(s["compound"])
