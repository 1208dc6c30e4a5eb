"""VADER's valence (vendored, MIT) as three features of the default analyser's head."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.sentiment import rules, valence


def test_english_feeling_words_our_lexicon_lacks_get_a_valence() -> None:
    neg, pos, compound = valence.scores("battery life sucks, what a horrible update")
    assert neg > 0 and pos == 0 and compound < -0.5
    neg, pos, compound = valence.scores("lovely staff, yummy food")
    assert pos > 0 and neg == 0 and compound > 0.5


@pytest.mark.parametrize("text", ["Когда будет следующий релиз?", "Всё отлично, спасибо", "-"])
def test_russian_and_empty_text_say_nothing(text: str) -> None:
    assert valence.scores(text) == (0.0, 0.0, 0.0)


def test_negation_is_read() -> None:
    assert valence.scores("not good at all")[2] < 0 < valence.scores("good")[2]


def test_the_valence_is_the_last_three_rule_features() -> None:
    found = rules.read("The soup was disgusting", "outcome")
    assert rules.FEATURE_NAMES[-3:] == ("vader_neg", "vader_pos", "vader_compound")
    assert found.features()[-3:] == list(found.valence)
    assert found.valence[2] < 0
    # An answer of only punctuation has no content and no valence.
    assert rules.read("?").valence == (0.0, 0.0, 0.0)


def test_a_long_text_costs_no_more_than_its_opening() -> None:
    text = "ok " * 5000 + "terrible"
    assert valence.scores(text) == valence.scores(text[: valence.MAX_CHARS])


def test_the_vendored_lexicon_ships_with_its_licence() -> None:
    folder = Path(valence.__file__).with_name("vader")
    assert "MIT License" in (folder / "LICENSE.txt").read_text(encoding="utf-8")
    assert (folder / "vader_lexicon.txt").stat().st_size > 400_000


def test_the_install_size_counts_the_vendored_lexicon() -> None:
    from bench.install_size import default_analyser_files

    assert default_analyser_files()["candor VADER lexicon"] > 400_000
