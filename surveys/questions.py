"""The three survey questions, their wording per language, and per-account overrides."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from surveys.model import Language
from surveys.texts import t

QUESTION_KEYS: tuple[str, ...] = ("outcome", "speed", "politeness")
# Free text that arrives after the last question is kept under this key.
COMMENT_KEY = "comment"
# What a silence alert stands on: answers that did not come.
SILENCE_KEY = "silence"


def answered_partly(keys: Collection[str]) -> bool:
    """Whether a person whose answers are under ``keys`` responded, but not to every question:
    one answer of three (or a comment alone) is not a full reply. Storage counts the same way
    in SQL (storage.repositories.answered_questions)."""
    return bool(keys) and not all(k in keys for k in QUESTION_KEYS)


def question_text(
    key: str, lang: Language, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """The wording of question ``key``: the account's override when it has one in ``lang``."""
    override = (overrides or {}).get(key, {}).get(lang.value)
    if override and override.strip():
        return override.strip()
    return t(f"q.{key}", lang)


def question_label(key: str, lang: Language) -> str:
    return t(f"label.{key}", lang) if key in (*QUESTION_KEYS, COMMENT_KEY, SILENCE_KEY) else key


def validate_overrides(overrides: Mapping[str, Mapping[str, str]]) -> None:
    """Reject overrides for unknown questions or languages, so a typo is not silently ignored."""
    for key, by_lang in overrides.items():
        if key not in QUESTION_KEYS:
            raise ValueError(f"unknown question {key!r}; known: {', '.join(QUESTION_KEYS)}")
        for lang, text in by_lang.items():
            if lang not in {language.value for language in Language}:
                raise ValueError(f"unknown language {lang!r} for question {key!r}")
            if not text.strip() or len(text) > 1000:
                raise ValueError(f"question {key!r} ({lang}) must be 1-1000 characters")
