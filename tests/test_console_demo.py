"""`candor demo`: what a person typing in the terminal reads, in their language."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.console.demo import run_demo
from bot.settings import load_settings
from surveys.model import Language
from surveys.texts import t
from tests.conftest import FakeClock


@pytest.mark.parametrize(
    ("lang", "said", "other"),
    [
        (Language.EN, "(nothing to edit yet)", "(пока нечего исправлять)"),
        (Language.RU, "(пока нечего исправлять)", "(nothing to edit yet)"),
    ],
)
async def test_edit_before_any_answer_is_explained_in_the_demos_language(
    tmp_path: Path, clock: FakeClock, lang: Language, said: str, other: str
) -> None:
    # QA: `candor demo --lang ru`, /edit typed first, answered in English.
    out = io.StringIO()
    typed = io.StringIO("/edit better\nGood\nFast\nPolite\n")
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    code = await run_demo(settings, typed, out, lang=lang, interactive=False, clock=clock)
    text = out.getvalue()
    assert code == 0
    assert said in text and other not in text


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_the_census_demo_takes_the_buttons_and_non_text_like_the_round_demo(
    tmp_path: Path, clock: FakeClock, lang: Language
) -> None:
    # QA: `candor demo --census`: /skip (shown as a button under each question) and /sticker
    # were stored as answers, and «/sticker» paged the owner as negative feedback.
    out = io.StringIO()
    typed = io.StringIO("/skip\n/sticker\nFast enough\n/edit Fast enough, thanks\nPolite\n")
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    code = await run_demo(
        settings, typed, out, lang=lang, interactive=False, clock=clock, census=True
    )
    text = out.getvalue()
    assert code == 0
    # The sample's Анна answers in Russian, whichever language the demo speaks.
    assert t("skipped", Language.RU) in text and t("text_please", Language.RU) in text
    assert "/skip" not in text.split("Анна Смирнова |")[-1]
    assert "/sticker" not in text.split("Анна Смирнова |")[-1]
    assert "Fast enough, thanks" in text.split("Анна Смирнова |")[-1]


@pytest.mark.parametrize("typed", ["lang en", "/lang en", "Язык EN"])
async def test_lang_typed_mid_survey_switches_the_language_and_is_no_answer(
    tmp_path: Path, clock: FakeClock, typed: str
) -> None:
    # QA: `candor demo --lang ru`, «lang en» typed at question 2 was stored as the answer
    # and paged the owner as negative feedback; Telegram and Slack switch the language.
    out = io.StringIO()
    lines = io.StringIO(f"Всё хорошо\n{typed}\n/lang xx\nFast\nPolite\n")
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    code = await run_demo(settings, lines, out, lang=Language.RU, interactive=False, clock=clock)
    text = out.getvalue()
    assert code == 0
    # Right under the reply, the question they are on (2) once more, in English.
    switched = text.split(t("language_set", Language.EN) + "\n\n", 1)[1]
    assert switched.split("\n", 1)[1].startswith("Question 2 of 3\nHow do you find the speed")
    assert text.count("Question 2 of 3") == 1 and "[/skip Skip]" in switched
    assert t("language_choose", Language.EN) in text
    assert "Question 3 of 3" in text  # the next question comes in English
    table = text.split("Анна Смирнова |")[-1]
    assert "lang" not in table.lower() and "Fast" in table and "Polite" in table
    assert f"Ответ: {typed}" not in text and f"Answer: {typed}" not in text  # no alert on it


@pytest.mark.parametrize(
    ("start", "switch", "answers"),
    [
        (Language.RU, "lang en", ("Good", "Fast", "Polite")),
        (Language.EN, "/lang ru", ("Хорошо", "Быстро", "Вежливо")),
    ],
)
async def test_the_terminals_own_words_follow_a_language_switch(
    tmp_path: Path, clock: FakeClock, start: Language, switch: str, answers: tuple[str, ...]
) -> None:
    # QA: `candor demo --lang ru`, «lang en» typed: the questions came in English, but the
    # prompt («вы>»), who a message is for («→ вы (…)») and the /edit hint stayed Russian.
    now = Language(switch.split()[-1])
    you = {Language.EN: "you", Language.RU: "вы"}
    nothing = {Language.EN: "(nothing to edit yet)", Language.RU: "(пока нечего исправлять)"}
    out = io.StringIO()
    typed = io.StringIO(f"{switch}\n/edit better\n" + "\n".join(answers) + "\n")
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    code = await run_demo(settings, typed, out, lang=start, interactive=False, clock=clock)
    assert code == 0
    text = out.getvalue()
    before, after = text.split(t("language_set", now) + "\n\n", 1)
    assert f"── → {you[start]} (" in before and f"{you[start]}> {switch}" in before
    survey = after.split("=" * 60)[0]  # up to the round's outcome, which staff read
    assert nothing[now] in survey and nothing[start] not in survey
    assert f"{you[now]}> /edit better" in survey and f"{you[now]}> {answers[-1]}" in survey
    assert f"── → {you[now]} (" in survey and f"── → {you[start]} (" not in survey
    assert f"{you[start]}> " not in survey
