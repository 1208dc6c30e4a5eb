"""`candor demo --census`: the shipped sample imported, a census link opened, answers."""

from __future__ import annotations

import io
from pathlib import Path

from bot.console.demo import run_demo
from bot.settings import load_settings
from surveys.model import Language
from tests.conftest import FakeClock


async def test_demo_census_imports_the_sample_and_runs_a_census(
    tmp_path: Path, clock: FakeClock
) -> None:
    out = io.StringIO()
    answers = io.StringIO("Great result\nSlow answers, we wait for days\nPolite\n")
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db")
    code = await run_demo(
        settings, answers, out, lang=Language.EN, interactive=False, clock=clock, census=True
    )
    text = out.getvalue()
    assert code == 0
    assert "nothing written yet): new 6, updated 0, unchanged 0, invalid 0" in text
    assert "Вопрос 3 из 3" in text  # the sample says Анна answers in Russian
    assert "4 users, sent 1, reached 1, unreachable 0, answered 1" in text
    assert "Анна Смирнова | completed" in text
