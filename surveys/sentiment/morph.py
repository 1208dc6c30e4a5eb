"""Lemmas for Russian words (pymorphy3 with its bundled OpenCorpora dictionary), cached.

English needs no analyser here: the lexicon lists English forms and stems directly.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import pymorphy3

_lock = threading.Lock()
_analyzer: pymorphy3.MorphAnalyzer | None = None


def analyzer() -> pymorphy3.MorphAnalyzer:
    """The process-wide analyser: its dictionary takes ~0.3 s and ~15 MB to load, once."""
    global _analyzer
    with _lock:
        if _analyzer is None:
            _analyzer = pymorphy3.MorphAnalyzer(lang="ru")
        return _analyzer


@lru_cache(maxsize=50_000)
def lemmas(word: str) -> tuple[str, ...]:
    """Normal forms of a lowercase Cyrillic word, most likely first, "ё" written as "е".

    Every reading is kept ("стали" is both стать and сталь) because a cue matches when any
    reading is a cue word; sentiment words rarely collide with neutral homonyms.
    """
    seen: dict[str, None] = {}
    for parse in analyzer().parse(word):
        seen[parse.normal_form.replace("ё", "е")] = None
    return tuple(seen) or (word,)


@lru_cache(maxsize=50_000)
def is_known(word: str) -> bool:
    return bool(analyzer().word_is_known(word))


@lru_cache(maxsize=50_000)
def is_comparative(word: str) -> bool:
    """ "быстрее", "побыстрее", "лучше": the form a wish such as "хотелось бы …" takes."""
    return any("COMP" in parse.tag for parse in analyzer().parse(word))


def forms(lemma: str) -> set[str]:
    """Every inflected form of ``lemma``: used to build the typo index at load time."""
    out = {lemma}
    for parse in analyzer().parse(lemma):
        if parse.normal_form.replace("ё", "е") == lemma:
            out.update(f.word.replace("ё", "е") for f in parse.lexeme)
    return out


@lru_cache(maxsize=10_000)
def is_imperfective_past(word: str) -> bool:
    """«проверяли», «отвечали»: a habit in the past («если бы вы проверяли» reproaches), not
    one act («если бы вы прислали» asks)."""
    tag = analyzer().parse(word)[0].tag
    return tag.aspect == "impf" and tag.tense == "past"


@lru_cache(maxsize=10_000)
def is_imperfective_infinitive(word: str) -> bool:
    """«повышать», «ждать»: «сколько можно повышать цены» is exasperation, while «сколько можно
    заработать» (perfective) asks."""
    tag = analyzer().parse(word)[0].tag
    return tag.aspect == "impf" and "INFN" in tag
