"""Tokens of a short answer: words, emoji, emoticons and punctuation, with their spans.

Spans index the original text, so evidence quotes the client's own words and case.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import emoji

# Longest texts the rules read; the rest of a wall of text adds cost, not signal.
MAX_CHARS = 4000

# A line break ends a sentence: a chat message's lines and quick messages joined by one
# ("Доволен\nПретензий нет") are read apart. Emoticons first so ":(" or ")))" is one token;
# words keep inner apostrophes and hyphens ("didn't", "кое-как"); emoji are single code
# points (skin tones and joiners are dropped).
_TOKEN_RE = re.compile(
    r"(?P<emo>[:;=]['‘’]?-?(?:\)+|\(+|[DdPpОо](?!\w)|/(?!/)|\|)|[xX]D+(?!\w)|\){2,}|\({2,}"
    r"|-_-|\^_?\^)"
    r"|(?P<word>\w+(?:['’‘`]\w+|-\w+)*)"
    r"|(?P<punct>\.{2,}|…|[!?]+|[.,;:()\"«»“”„']|\n)"
    r"|(?P<sym>[^\w\s])"
)
# "3/10", "4 из 5", "2 out of 10": a score on a 5- or 10-point scale.
RATING_RE = re.compile(r"(?<![\d/])(\d{1,2}(?:[.,]5)?)\s*(?:/|из|out of)\s*(5|10)(?![\d/])")
_IGNORED = {"\u200d", "\ufe0f", "\ufe0e"} | {chr(c) for c in range(0x1F3FB, 0x1F400)}
_REPEAT_RE = re.compile(r"(\w)\1{2,}")
_CYRILLIC_RE = re.compile(r"[а-яё]")
_LATIN_RE = re.compile(r"[a-z]")


class Kind(StrEnum):
    WORD = "word"
    EMOJI = "emoji"  # an emoji or an emoticon
    PUNCT = "punct"


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as written
    norm: str  # lowercase, "ё" as "е", no apostrophes, letters repeated 3+ times squeezed
    start: int
    end: int
    kind: Kind
    shouted: bool = False  # written in capitals ("УЖАСНО"), which strengthens a cue

    @property
    def cyrillic(self) -> bool:
        return bool(_CYRILLIC_RE.search(self.norm))

    @property
    def latin(self) -> bool:
        return bool(_LATIN_RE.search(self.norm))


def clean(text: str) -> str:
    """NFC, control characters and lone surrogates removed, clipped to MAX_CHARS; emoji
    shortcodes (":thumbsdown:") as the emoji: Slack answers stored before intake converted
    them, and people type them elsewhere too."""
    text = text[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    if ":" in text:
        text = emoji.emojize(text, language="alias")
    text = unicodedata.normalize("NFC", text)
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)


def norm_word(word: str) -> str:
    word = word.lower().replace("ё", "е")
    word = re.sub(r"['’‘`]", "", word)
    # "оооочень", "спасибооо", "sooo": a squeezed form is what the dictionary knows.
    return _REPEAT_RE.sub(r"\1", word)


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` (already passed through :func:`clean`)."""
    tokens: list[Token] = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        if m.group("word"):
            shouted = len(raw) >= 3 and raw.isupper()
            tokens.append(Token(raw, norm_word(raw), m.start(), m.end(), Kind.WORD, shouted))
        elif m.group("emo"):
            norm = raw.lower().replace("-", "").replace("'", "").replace("’", "")
            tokens.append(Token(raw, norm, m.start(), m.end(), Kind.EMOJI))
        elif m.group("punct"):
            tokens.append(Token(raw, raw, m.start(), m.end(), Kind.PUNCT))
        elif raw not in _IGNORED:
            kind = (
                Kind.EMOJI if unicodedata.category(raw) == "So" or ord(raw) > 0x2100 else Kind.PUNCT
            )
            tokens.append(Token(raw, raw, m.start(), m.end(), kind))
    return tokens
