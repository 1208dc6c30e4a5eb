"""The training tool, end to end on the small hand-written set (needs numpy and scikit-learn,
the `train` extra, never needed at run time: skipped where they are not installed)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

pytest.importorskip("numpy", reason="the training tool needs the `train` extra")

from bench.metrics import load_jsonl
from surveys.model import SentimentLabel
from surveys.sentiment import head as head_module
from surveys.sentiment import ngrams
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
    trained.save(path)
    analyser = DefaultAnalyser(model_path=path, embedder=embedder)
    assert analyser.version.endswith(".test")
    assert analyser.analyse("долго", "speed").label.value == "negative"
    loaded = head_module.load(path)
    assert loaded.negative_threshold == trained.head.negative_threshold
    assert set(trained.report) >= {"rules", "embedding_only", "head", "C", "skip_confidence"}
    assert (tmp_path / "cache.npz").exists()
    # Out-of-fold predictions for experiments stacked on the head (tools/ngram_experiment.py).
    assert trained.oof_proba is not None and trained.thresholds is not None
    assert trained.oof_proba.shape == (len(trained.examples), 3)
    assert len(trained.thresholds) == len(trained.examples)
    # The n-gram head: its weights next to head.json, alpha chosen out of fold.
    assert analyser.ngram is not None and len(analyser.ngram.columns) > 0
    assert analyser.ngram.alpha in (0.25, 0.5) and "with_ngrams" in trained.report


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


def test_no_cue_threshold_is_raised_only_when_it_lowers_the_cost() -> None:
    import numpy as np

    y = np.array([1, 1, 1, 1, 0, 0])  # four neutral texts, two complaints
    sw = np.ones(6)
    everything = np.ones(6, dtype=bool)
    # No cue in any; the neutral ones look like complaints to the embedding (P 0.45).
    over_read = np.array([[0.45, 0.5, 0.05]] * 4 + [[0.8, 0.1, 0.1]] * 2)
    chosen = train_sentiment.choose_no_cue_threshold(
        over_read, y, sw, everything, everything, lambda _: None
    )
    assert chosen is not None and 0.45 < chosen <= 0.8
    calibrated = np.array([[0.1, 0.8, 0.1]] * 4 + [[0.4, 0.5, 0.1]] * 2)
    kept = train_sentiment.choose_no_cue_threshold(
        calibrated, y, sw, everything, everything, lambda _: None
    )
    assert kept is None


def test_public_texts_train_with_their_weight_and_no_question() -> None:
    from bench.metrics import Row

    ours = [Row("долго", "speed", "negative", "ru")]
    public = [Row("Is the deploy on Friday?", None, "neutral", "en")]
    exs = train_sentiment.examples(ours, augment=False, seed=1, public=public, public_weight=0.3)
    outside = [e for e in exs if e.row.text == "Is the deploy on Friday?"]
    assert len(outside) == 1 and outside[0].weight == 0.3 and not outside[0].original
    assert outside[0].row.question is None and outside[0].group not in {e.group for e in exs[:1]}


def test_plain_complaints_get_a_floor_only_when_flagging_them_pays() -> None:
    import numpy as np

    everything = np.ones(6, dtype=bool)
    plain = np.array([True] * 5 + [False])
    sw = np.ones(6)
    doubted = np.array([[0.2, 0.7, 0.1]] * 5 + [[0.1, 0.8, 0.1]])
    # Two of the five plain complaints the model doubted were complaints: 40 % > 1/3.
    y = np.array([0, 0, 1, 1, 1, 1])
    floor = train_sentiment.choose_plain_floor(doubted, y, sw, everything, plain, lambda _: None)
    assert floor is None  # fewer than ten: too few to trust
    many = np.repeat(doubted[:5], 4, axis=0)
    floor = train_sentiment.choose_plain_floor(
        many, np.tile(y[:5], 4), np.ones(20), np.ones(20, dtype=bool), np.ones(20, dtype=bool),
        lambda _: None,
    )  # fmt: skip
    assert floor == 0.4
    # One in five negative (20 %): a false alarm for every 2/3 of a miss avoided; no floor.
    mostly_fine = np.tile(np.array([0, 1, 1, 1, 1]), 4)
    assert train_sentiment.choose_plain_floor(
        many, mostly_fine, np.ones(20), np.ones(20, dtype=bool), np.ones(20, dtype=bool),
        lambda _: None,
    ) is None  # fmt: skip


def test_the_plain_floor_is_saved_and_applied(tmp_path: Path) -> None:
    from dataclasses import replace

    from surveys.sentiment import rules

    assert rules.read("The pasta was bland.").plain_complaint
    assert not rules.read("Bland pasta, but the staff were great.").plain_complaint
    head = replace(head_module.load(), plain_floor=0.9)
    path = tmp_path / "head.json"
    head.save(path)
    shutil.copy(head_module.DEFAULT_PATH.with_name(ngrams.NGRAM_FILE), tmp_path)
    assert head_module.load(path).plain_floor == 0.9
    analyser = DefaultAnalyser(model_path=path)
    assert analyser.proba("The pasta was bland.")[SentimentLabel.NEGATIVE] >= 0.9
    assert analyser.proba("Is the deploy on Friday?")[SentimentLabel.NEGATIVE] < 0.9
