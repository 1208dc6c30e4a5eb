"""`candor sentiment` and `candor rescore`, called as functions with captured streams."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import sentiment_cli
from bot.app import App, TimedAnalyser, analyser_from_settings
from bot.settings import Settings
from storage import migrate
from storage.db import create_engine, session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.sentiment.llm import OpenAIAnalyser
from tests.test_sentiment_rescore import seed_answers, seed_cleared


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="candor")
    commands = parser.add_subparsers(dest="command", required=True)
    sentiment_cli.add_parser(commands)
    return parser.parse_args(argv)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def call(argv: list[str], stdin: str = "", **values: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = sentiment_cli.run(
        parse(*argv), settings(**values), stdin=io.StringIO(stdin), stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue()


def test_one_text_prints_verdict_and_evidence() -> None:
    code, out, _ = call(["sentiment", "не доволен, сорвали сроки", "--question", "outcome"])
    assert code == 0
    first, second = out.splitlines()
    assert first.startswith("negative (confidence ") and first.endswith(")")
    assert "«не доволен»" in second and "«сорвали сроки»" in second


def test_default_analyser_by_name() -> None:
    code, out, _ = call(["sentiment", "ну спасибо, опять сорвали сроки", "--analyser", "default"])
    assert code == 0 and out.startswith("negative") and "default/" in out


def test_jsonl_reads_stdin_and_writes_one_object_per_line() -> None:
    lines = ["долго", "", "всё отлично 👍", "ответы сухие\r"]
    code, out, _ = call(
        ["sentiment", "--jsonl", "--question", "speed", "--analyser", "baseline"],
        stdin="\n".join(lines) + "\n",
    )
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in records] == ["долго", "", "всё отлично 👍", "ответы сухие"]
    assert [r["label"] for r in records] == ["negative", "neutral", "positive", "negative"]
    for r in records:
        assert set(r) == {"text", "label", "score", "evidence", "question"}
        assert r["question"] == "speed" and 0 <= r["score"] <= 1
    assert records[0]["evidence"] == ["долго"]


def test_jsonl_without_question_omits_it_and_batches_many_lines() -> None:
    texts = [f"ответ номер {i}, всё плохо" for i in range(sentiment_cli.BATCH * 2 + 3)]
    code, out, _ = call(
        ["sentiment", "--jsonl"], stdin="\n".join(texts), sentiment_analyser="default"
    )
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == len(texts)
    assert "question" not in records[0] and records[0]["label"] == "negative"


@pytest.mark.parametrize("argv", [["sentiment"], ["sentiment", "text", "--jsonl"]])
def test_usage_errors(argv: list[str]) -> None:
    code, out, err = call(argv)
    assert code == sentiment_cli.EXIT_USAGE and out == "" and "TEXT" in err


def test_an_analyser_that_cannot_load_is_reported() -> None:
    code, _, err = call(["sentiment", "x", "--analyser", "hf"])
    assert code == sentiment_cli.EXIT_ANALYSER
    assert "HF_MODEL_DIR" in err


def test_analyser_from_settings_passes_backend_options() -> None:
    s = settings(
        sentiment_analyser="openai",
        sentiment_openai_url="http://127.0.0.1:9/v1",
        sentiment_openai_model="local-llm",
        sentiment_openai_api_key="secret",
        sentiment_openai_timeout=2.5,
    )
    analyser = analyser_from_settings(s)
    assert isinstance(analyser, OpenAIAnalyser)
    assert (analyser.model, analyser.timeout) == ("local-llm", 2.5)


async def test_the_bot_runs_the_analyser_the_settings_configure(tmp_path: Path) -> None:
    # `candor run` builds its analyser with the backend's options, as `candor sentiment` does.
    s = settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/candor.db",
        sentiment_analyser="openai",
        sentiment_openai_url="http://127.0.0.1:9/v1",
        sentiment_openai_model="local-llm",
    )
    app = await App.create(s, {})
    try:
        # The service's analyser is wrapped to time each scoring for /metrics.
        analyser = app.service.analyser
        assert isinstance(analyser, TimedAnalyser)
        assert isinstance(analyser.inner, OpenAIAnalyser)
        assert analyser.inner.model == "local-llm"
    finally:
        await app.engine.dispose()


@pytest.mark.parametrize(
    ("name", "missing"),
    [("openai", "CANDOR_SENTIMENT_OPENAI_URL"), ("hf", "CANDOR_SENTIMENT_HF_MODEL_DIR")],
)
def test_a_backend_without_its_setting_is_a_config_error(name: str, missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        settings(sentiment_analyser=name)


async def test_rescore_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/candor.db"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    ids = await seed_answers(SqlUnitOfWorkFactory(session_factory(engine)))
    await engine.dispose()

    s = settings(database_url=url, sentiment_analyser="baseline")
    out = io.StringIO()
    code = await sentiment_cli.run_async(parse("rescore", "--dry-run"), s, stdout=out)
    assert code == 0 and "would change 3" in out.getvalue()

    seen: list[list[int]] = []

    async def alert(answer_ids: list[int]) -> None:
        seen.append(answer_ids)

    out = io.StringIO()
    code = await sentiment_cli.run_async(parse("rescore"), s, stdout=out, on_negative=alert)
    assert code == 0
    assert "changed 3" in out.getvalue() and f"became negative: {ids['bad']}" in out.getvalue()
    assert seen == [[ids["bad"]]]

    out = io.StringIO()
    await sentiment_cli.run_async(parse("rescore"), s, stdout=out, on_negative=alert)
    assert "skipped 3 already current" in out.getvalue() and seen == [[ids["bad"]]]


@pytest.mark.parametrize(
    ("lang", "summary", "became", "again"),
    [
        ("en", "rescored with baseline/1.0: 4 answers, changed 4, skipped 0 already current; "
         "1 became negative, 1 negative again, 1 no longer negative",
         "became negative: ", "negative again: "),
        ("ru", "перечитано анализатором baseline/1.0: ответов — 4, изменено — 4, пропущено "
         "уже прочитанных этой версией — 0; стали негативными — 1, снова негативные — 1, "
         "больше не негативные — 1", "стали негативными: ", "снова негативные: "),
    ],
)  # fmt: skip
async def test_rescore_command_counts_alerts_negative_again(
    tmp_path: Path, lang: str, summary: str, became: str, again: str
) -> None:
    # An answer whose alert older code marked "no longer negative" reads negative now: it
    # is counted apart from those newly negative, and handed on with them to be alerted on.
    url = f"sqlite+aiosqlite:///{tmp_path}/candor.db"
    engine = create_engine(url)
    await migrate.upgrade(engine)
    uow = SqlUnitOfWorkFactory(session_factory(engine))
    ids = await seed_answers(uow)
    cleared, _ = await seed_cleared(uow)
    await engine.dispose()
    s = settings(database_url=url, sentiment_analyser="baseline", default_language=lang)
    seen: list[list[int]] = []

    async def alert(answer_ids: list[int]) -> None:
        seen.append(answer_ids)

    out = io.StringIO()
    assert await sentiment_cli.run_async(parse("rescore"), s, stdout=out, on_negative=alert) == 0
    assert out.getvalue().splitlines() == [summary, f"{became}{ids['bad']}", f"{again}{cleared}"]
    assert seen == [[ids["bad"], cleared]]


def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path: Path) -> None:
    # `candor sentiment --jsonl < answers | head -1`: no traceback once head has its line.
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "CANDOR_SENTIMENT_ANALYSER": "baseline",
        "CANDOR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.db'}",
    }
    answers = tmp_path / "answers.txt"
    answers.write_text("slow and rude, not happy at all\n" * 5000, encoding="utf-8")
    cmd = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    with (
        answers.open("rb") as stdin,
        subprocess.Popen(
            [*cmd, "sentiment", "--jsonl"],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
        ) as proc,
    ):
        assert proc.stdout is not None and proc.stderr is not None
        assert json.loads(proc.stdout.readline())["label"] == "negative"
        proc.stdout.close()  # what head does after its line
        err = proc.stderr.read().decode()
    assert proc.returncode == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err
