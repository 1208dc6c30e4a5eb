"""The local Hugging Face backend: its error paths always; a tiny random model when the `hf`
extra (transformers + torch) is installed, skipped otherwise."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest

from surveys.model import SentimentLabel
from surveys.sentiment import SentimentAnalyser, make_analyser
from surveys.sentiment.hf import HFAnalyser, HFModelError, label_map

NEG, NEU, POS = SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, {0: NEG, 1: NEU, 2: POS}),
        ({0: "neutral", 1: "positive", 2: "negative"}, {0: NEU, 1: POS, 2: NEG}),  # seara/*
        ({0: "NEGATIVE", 1: "POSITIVE"}, {0: NEG, 1: POS}),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, {0: NEG, 1: NEU, 2: POS}),
        ({0: "LABEL_0", 1: "LABEL_1"}, {0: NEG, 1: POS}),
    ],
)
def test_label_map(id2label: dict[int, str], expected: dict[int, SentimentLabel]) -> None:
    assert label_map(id2label) == expected


def test_label_map_refuses_a_model_without_a_negative_class() -> None:
    with pytest.raises(HFModelError, match="negative"):
        label_map({0: "joy", 1: "anger", 2: "fear", 3: "surprise"})


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HFModelError, match=r"config\.json"):
        HFAnalyser(tmp_path / "nowhere")
    with pytest.raises(HFModelError, match=r"config\.json"):
        HFAnalyser(tmp_path)


def test_missing_extra_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text("{}")
    real_import = builtins.__import__

    def no_transformers(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in ("transformers", "torch") or name.startswith(("transformers.", "torch.")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_transformers)
    with pytest.raises(HFModelError, match=r"candor\[hf\]"):
        HFAnalyser(tmp_path)


def test_factory_needs_a_model_dir() -> None:
    with pytest.raises(ValueError, match="HF_MODEL_DIR"):
        make_analyser("hf")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 1-layer BERT classifier with a 40-word vocabulary, saved."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    path = tmp_path_factory.mktemp("tiny-bert")
    words = ["долго", "быстро", "вежливо", "грубо", "плохо", "slow", "fast", "rude", "bad", "ok"]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(path / "vocab.txt"))
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    transformers.set_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def test_tiny_model_scores_offline(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    analyser = make_analyser("hf", model_dir=str(tiny_model))
    assert isinstance(analyser, SentimentAnalyser)
    for text in ["долго", "отвечали грубо :(", "", "x" * 5000]:
        result = analyser.analyse(text, "speed")
        assert result.label in set(SentimentLabel)
        assert 1 / 3 - 1e-6 <= result.score <= 1.0  # the largest of three probabilities
        assert result.analyser.startswith("hf/1:tiny-bert")


def test_evidence_comes_from_the_rules_on_the_models_side(tiny_model: Path) -> None:
    analyser = HFAnalyser(tiny_model)
    result = analyser.analyse("отвечали грубо, ужасно", "politeness")
    if result.label is NEG:  # a random model may say anything; evidence must agree with it
        assert result.evidence == ["грубо", "ужасно"]
    else:
        assert "грубо" not in result.evidence
