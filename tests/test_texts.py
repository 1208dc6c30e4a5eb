"""Every user-facing text exists in Russian and English with the same placeholders."""

from __future__ import annotations

import string

import pytest

from surveys.model import Language
from surveys.questions import QUESTION_KEYS, question_text, validate_overrides
from surveys.texts import CATALOG, t


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_both_languages_with_same_placeholders(key: str) -> None:
    texts = CATALOG[key]
    assert set(texts) == set(Language)
    assert all(text.strip() for text in texts.values())
    assert placeholders(texts[Language.RU]) == placeholders(texts[Language.EN])


def test_unknown_language_falls_back_to_english() -> None:
    assert t("thanks", "de") == CATALOG["thanks"][Language.EN]


def test_account_overrides_replace_question_wording_per_language() -> None:
    overrides = {"speed": {"ru": "Как вам наш темп?"}}
    assert question_text("speed", Language.RU, overrides) == "Как вам наш темп?"
    # No English override: the standard English wording stays.
    assert question_text("speed", Language.EN, overrides) == CATALOG["q.speed"][Language.EN]
    assert question_text("outcome", Language.RU, overrides) == CATALOG["q.outcome"][Language.RU]


@pytest.mark.parametrize(
    "overrides",
    [
        {"price": {"en": "How was the price?"}},
        {"speed": {"de": "Wie schnell?"}},
        {"speed": {"en": " "}},
    ],
)
def test_bad_overrides_are_rejected(overrides: dict[str, dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        validate_overrides(overrides)


def test_three_questions_in_order() -> None:
    assert QUESTION_KEYS == ("outcome", "speed", "politeness")
