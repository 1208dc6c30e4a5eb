"""How an answer typed as several quick messages reads: the joined text, and each message.

A client answered the speed question «Медленно» and a moment later «Общались нормально»:
read joined, the add-on about something else outweighed the complaint (neutral) and the
owner's alert said "no longer negative". So each message is read on its own too, and the
answer is negative when the joined text reads negative, or when a message does and nothing
after it takes it back. What takes a message back is one that opens as a reply to it:

* a contrast («но результат отличный», "but the result is great") is read joined with the
  message before it, as the whole answer was read before, so it may still outweigh it;
* a retraction («не, всё нормально, показалось», "sorry, ignore that, all fine") is read
  joined with everything before it.

An add-on about another aspect ("People were polite") takes nothing back. Mistaking an
add-on for a reply costs nothing new: it is then read joined, as every answer was before.
The verdict is the negative reading with the higher P (its evidence: the complaint's own
words), else the joined one. One message costs one analysis; n of them, up to n more, and
each addition reads the earlier messages again: `remembering` keeps those readings, so an
answer typed as 50 quick messages costs ~50 more analyses, not ~1,275 (≈0.15 s each for
the default analyser on one core).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache

from surveys.model import Sentiment, SentimentLabel

# text, question key → the verdict (SentimentAnalyser.analyse, or the service's checked one).
Score = Callable[[str, str | None], Sentiment]

_OPEN = r"^[\W_]*"  # leading punctuation, quotes, an ellipsis or an emoji
_END = r"(?![\w-])"  # a whole word: «Ноль» is not «но», "Nobody" is not "no"
CONTRAST = re.compile(
    _OPEN + r"(но|зато|однако|хотя|впрочем|тем не менее|but|however|though|although|still"
    r"|nevertheless|nonetheless|even so|that said)" + _END,
    re.IGNORECASE,
)
RETRACTION = re.compile(
    _OPEN + r"(?:(?:не|нет|неа|no|nope|nah)\s*[,.!…—–-]"  # «не, всё нормально», "no, it was fine"
    r"|(?:хотя нет|ой|упс|извините|простите|сорри|пардон|забудьте|забейте|проехали|отбой"
    r"|не обращайте внимания|игнорируйте|не читайте|шучу|вернее|точнее|на самом деле"
    r"|вообще-то|показалось|ошибся|ошиблась|sorry|oops|ignore|disregard|scratch that"
    r"|forget (?:it|that)|never ?mind|nvm|actually|i mean|correction|my bad|just kidding"
    r"|jk|wrong (?:chat|question|message))" + _END + ")",
    re.IGNORECASE,
)


def retracts(text: str) -> bool:
    return RETRACTION.match(text) is not None


def takes_back(text: str) -> bool:
    """Whether a message opens as a reply to what came before it: a contrast or a retraction."""
    return retracts(text) or CONTRAST.match(text) is not None


def answer_sentiment(
    whole: str,
    parts: Sequence[str],
    question: str | None,
    score: Score,
    score_part: Score | None = None,
) -> Sentiment:
    """How the answer ``whole``, joined from the messages ``parts`` (oldest first), reads;
    the messages (with their replies) are read by ``score_part``, else by ``score``."""
    joined = score(whole, question)
    groups = _groups(_kept(parts, whole))
    if len(groups) < 2:  # one message, or all replies to the first: the joined reading
        return joined
    read = score_part or score
    readings = [joined, *(read("\n".join(group), question) for group in groups)]
    negative = [r for r in readings if r.label is SentimentLabel.NEGATIVE]
    return max(negative, key=lambda r: r.score) if negative else joined


def _groups(parts: Sequence[str]) -> list[list[str]]:
    """The messages, each with the replies that take it back: each group is read as one."""
    groups: list[list[str]] = []
    for text in parts:
        if groups and retracts(text):
            groups = [[t for group in groups for t in group] + [text]]
        elif groups and takes_back(text):
            groups[-1].append(text)
        else:
            groups.append([text])
    return groups


def _kept(parts: Sequence[str], whole: str) -> list[str]:
    """The messages as far as the stored answer keeps them (it is cut at its bound): none
    is read beyond it, so no evidence quotes words the answer no longer has."""
    kept: list[str] = []
    at = 0
    for text in parts:
        if at >= len(whole):
            break
        text = text.rstrip()[: len(whole) - at]
        kept.append(text)
        at += len(text) + 1  # and the line break that joins it to the next
    return kept


def remembering(score: Score, size: int = 1024) -> Score:
    """``score``, keeping its last ``size`` readings (an analyser is pure). Thread-safe; each
    caller gets its own evidence list."""
    kept = lru_cache(maxsize=size)(score)

    def read(text: str, question: str | None) -> Sentiment:
        found = kept(text, question)
        return replace(found, evidence=list(found.evidence))

    return read
