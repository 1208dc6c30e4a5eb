"""What an alert may quote as the reason it was raised.

An owner reads "Why flagged" to see which of the client's words decided it. So evidence is
a short phrase of the client's own words, each once, or nothing: never the whole message,
never markup or a run of one letter. A message without any words (tags, symbols, 10,000 × "x")
is no complaint at all, whatever an analyser makes of it — unless it still says something:
an emoji ("😡", "👍👍"), an emoticon (":(", ")))") or a rating ("2/10", "3 из 5") is how many
clients answer in a chat, so such a message keeps the analyser's verdict and is its own
evidence.
"""

from __future__ import annotations

import re
from dataclasses import replace

from surveys.model import Sentiment, SentimentLabel
from surveys.sentiment.text import RATING_RE, Kind, clean, tokenize

_TAG = re.compile(r"<[^<>]{0,200}>")
_WORD = re.compile(r"[^\W\d_]+")
# Longer "words" are glued garbage or keyboard mashing, not language.
MAX_WORD = 30
# A quote this long or longer is the message retold, not the words that decided it.
MAX_QUOTE_WORDS = 12
MAX_ITEMS = 5


def is_word(token: str) -> bool:
    return 2 <= len(token) <= MAX_WORD and len(set(token.casefold())) > 1


def words(text: str) -> list[str]:
    """The words of ``text`` once tags are taken out."""
    return [w for w in _WORD.findall(_TAG.sub(" ", text)) if is_word(w)]


def has_words(text: str) -> bool:
    return bool(words(text))


def says_something(text: str) -> bool:
    """Words, or an emoji, emoticon or rating as the analyser's own tokenizer and rules read
    them: something an analyser can read a feeling in."""
    if has_words(text):
        return True
    bare = _TAG.sub(" ", text)
    return bool(RATING_RE.search(bare)) or any(
        token.kind is Kind.EMOJI for token in tokenize(clean(bare))
    )


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def clean_evidence(text: str, evidence: list[str]) -> list[str]:
    """The evidence an owner can use: phrases from the message, without repeats, without a
    phrase that only repeats the start of another (a cut-off quote), without markup."""
    whole = _normal(_TAG.sub(" ", text))
    kept: list[str] = []
    for item in evidence:
        item = item.strip()
        if not item or "<" in item or ">" in item or not says_something(item):
            continue
        norm = _normal(item)
        if len(words(item)) > MAX_QUOTE_WORDS or (norm == whole and len(words(text)) > 3):
            continue
        if any(_normal(k).startswith(norm) for k in kept):
            continue
        kept = [k for k in kept if not norm.startswith(_normal(k))]
        kept.append(item)
    return kept[:MAX_ITEMS]


def checked(text: str, sentiment: Sentiment) -> Sentiment:
    """An analyser's verdict, held to the rules above."""
    if not says_something(text):
        return Sentiment(SentimentLabel.NEUTRAL, 1.0, [], f"{sentiment.analyser}+no-words")
    return replace(sentiment, evidence=clean_evidence(text, sentiment.evidence))
