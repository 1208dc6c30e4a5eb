"""The training tool, end to end on the small hand-written set (needs numpy and scikit-learn,
the `train` extra, never needed at run time: skipped where they are not installed)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason="the training tool needs the `train` extra")

from bench.metrics import load_jsonl
from surveys.sentiment import head as head_module
from surveys.sentiment.default import DefaultAnalyser
from surveys.sentiment.embedder import Embedder
from tools import train_sentiment

ROOT = Path(__file__).resolve().parent.parent


def test_noisy_copies_keep_the_words() -> None:
    rng = random.Random(1)
    text = "Всё сделали, довольны результатом!"
    copy = train_sentiment.noisy(text, rng)
    assert copy != text and copy == copy.lower() and "!" not in copy
    assert len(copy.split()) == len(text.split())


def test_folds_keep_an_answer_with_its_copies() -> None:
    groups = [0, 1, 2, 3, 0, 1, 2, 3, 4]
    folds = train_sentiment.group_folds(groups, 2, seed=3)
    for fold in folds:
        members = {groups[i] for i in fold}
        assert all(groups[i] in members for i in range(len(groups)) if groups[i] in members)
    assert sorted(i for f in folds for i in f) == list(range(len(groups)))


def test_train_writes_a_head_the_analyser_loads(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    rows = load_jsonl(ROOT / "tests/data/sentiment_small.jsonl")
    embedder = Embedder()
    trained = train_sentiment.train(
        rows, embedder, folds=3, version="test", cache=tmp_path / "cache.npz", log=lambda _: None
    )
    path = tmp_path / "head.json"
    trained.head.save(path)
    analyser = DefaultAnalyser(model_path=path, embedder=embedder)
    assert analyser.version.endswith(".test")
    assert analyser.analyse("долго", "speed").label.value == "negative"
    loaded = head_module.load(path)
    assert loaded.negative_threshold == trained.head.negative_threshold
    assert set(trained.report) >= {"rules", "embedding_only", "head", "C", "skip_confidence"}
    assert (tmp_path / "cache.npz").exists()


def test_every_training_gets_its_own_version() -> None:
    # `candor rescore` skips answers already scored by this analyser version: two heads
    # trained the same day must not share one, or an upgrade would leave answers unscored.
    from dataclasses import replace

    shipped = head_module.load()
    version = train_sentiment.weights_version(shipped)
    assert version == train_sentiment.weights_version(replace(shipped, version="other"))
    nudged = replace(shipped, b=[shipped.b[0] + 0.01, *shipped.b[1:]])
    assert train_sentiment.weights_version(nudged) != version
    day, digest = version.split("-")
    assert len(day) == 8 and day.isdigit() and len(digest) == 8
