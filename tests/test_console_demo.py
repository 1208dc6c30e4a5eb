"""`candor demo`: what a person typing in the terminal reads, in their language."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.console.demo import run_demo
from bot.settings import load_settings
from surveys.model import Language
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
