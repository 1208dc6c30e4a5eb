"""The sentiment benchmark: which sets it measures and the figures it prints for each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import sentiment_eval
from bench.metrics import Row


def test_neutral_flagged_is_the_share_of_neutral_texts_read_as_negative() -> None:
    gold = ["neutral", "neutral", "neutral", "neutral", "negative"]
    pred = ["negative", "neutral", "positive", "neutral", "negative"]
    assert sentiment_eval.neutral_flagged(gold, pred) == 0.25


def test_default_sets_are_ours_then_the_public_development_sets(tmp_path: Path) -> None:
    (tmp_path / "local_dev.jsonl").write_text("", encoding="utf-8")
    sets = sentiment_eval.eval_sets(None, tmp_path)
    assert sets[:2] == [sentiment_eval.EVAL, sentiment_eval.EVAL_AUTHORS]
    assert set(sentiment_eval.PUBLIC_DEV) <= set(sets) and sets[-1].name == "local_dev.jsonl"
    assert sentiment_eval.eval_sets([tmp_path / "x.jsonl"], tmp_path) == [tmp_path / "x.jsonl"]


def test_prints_and_writes_figures_for_every_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        Row("Когда будет следующий релиз?", None, "neutral", "ru"),
        Row("никогда не связывайтесь с ними", None, "negative", "ru"),
        Row("don't waste your time", None, "negative", "en"),
        Row("Great, thanks!", None, "positive", "en"),
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text(
        "".join(json.dumps(r.__dict__, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )
    out = tmp_path / "figures.json"
    code = sentiment_eval.main(
        ["--eval", str(path), str(path), "--no-pin", "--no-cost", "--json", str(out)]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "neu→neg" in printed and printed.count("mini.jsonl") >= 4
    figures = json.loads(out.read_text(encoding="utf-8"))
    first = figures["sets"][0]
    assert first["n"] == 4 and first["neg_recall"] == 1.0 and first["neutral_flagged"] == 0.0
    assert {"macro_f1_ru", "macro_f1_en", "neutral_flagged_ru"} <= set(first)
