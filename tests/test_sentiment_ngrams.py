"""The n-gram head of the default analyser: a stable featuriser, and where it may speak.

Its log-odds count only where the rules see no complaint cue (MODEL.md, "The n-gram head").
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from surveys.model import SentimentLabel
from surveys.sentiment import head as head_module
from surveys.sentiment import make_analyser, ngrams
from surveys.sentiment.default import DefaultAnalyser

NEG, NEU = SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL
ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["Ну и зачем это всё?", "I expected more from you", "ёлки, опять", "ok"]


@pytest.fixture(scope="module")
def analyser() -> DefaultAnalyser:
    result = make_analyser("default")
    assert isinstance(result, DefaultAnalyser)
    return result


def test_features_are_the_same_in_every_process() -> None:
    # Training and run time are different processes: Python's salted hash() would differ.
    script = (
        "import json, sys; from surveys.sentiment import ngrams; "
        "print(json.dumps([sorted(ngrams.features(t).items()) for t in json.load(sys.stdin)]))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], input=json.dumps(TEXTS), env=env, cwd=ROOT,
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        outputs.append(json.loads(done.stdout))
    here = [[list(kv) for kv in sorted(ngrams.features(t).items())] for t in TEXTS]
    assert outputs[0] == outputs[1] == here


def test_features_are_two_unit_blocks_of_counted_ngrams() -> None:
    assert ngrams.char_grams("a") == [" a "]  # no longer than a size: the padded word, once
    assert ngrams.char_grams("Abc") == [" ab", "abc", "bc ", " abc", "abc ", " abc "]
    assert ngrams.word_grams("Ждали ответа") == ["ждать", "ответ", "ждать ответ"]
    feats = ngrams.features("ждали ждали ответа")
    chars = [v for c, v in feats.items() if c < ngrams.BLOCK]
    words = [v for c, v in feats.items() if c >= ngrams.BLOCK]
    assert all(0 <= c < ngrams.DIM for c in feats)
    assert math.isclose(sum(v * v for v in chars), 1) and math.isclose(sum(v * v for v in words), 1)
    assert ngrams.features("") == {}


def test_no_cue_texts_get_the_ngram_log_odds(analyser: DefaultAnalyser) -> None:
    ngram = analyser.ngram
    assert ngram is not None and ngram.alpha in (0.25, 0.5)
    texts = ["ну такое", "не впечатлило", "опять двадцать пять", "Когда будет релиз?"]
    found, raw = analyser.head_proba(texts, None)
    for text, f, p in zip(texts, found, raw, strict=True):
        assert p is not None and not f.negative, text
        # p_head * p_ngram ** alpha, renormalised: written out independently of combine().
        z = ngram.logits(text)
        p_ngram = [math.exp(x) / sum(math.exp(y) for y in z) for y in [0] for x in z]
        mixed = [q * r**ngram.alpha for q, r in zip(p, p_ngram, strict=True)]
        expected = [m / sum(mixed) for m in mixed]
        got = list(analyser.proba(text).values())
        assert got == pytest.approx(analyser.floored(f, expected), abs=1e-9), text
    # Unmarked complaints, most of which the embedding head alone leaves neutral (which ones
    # depends on the training); a question stays neutral.
    below = [raw[i][0] < analyser._threshold(found[i]) for i in range(3)]  # type: ignore[index]
    assert sum(below) >= 2
    for text in texts[:3]:
        assert analyser.analyse(text).label is NEG, text
    assert analyser.analyse(texts[3]).label is NEU


@pytest.mark.parametrize(
    "text", ["пришлось самим звонить", "бардак", "not great", "could be better", "бесит"]
)
def test_texts_with_a_complaint_cue_are_left_to_the_embedding_head(
    analyser: DefaultAnalyser, text: str
) -> None:
    found, raw = analyser.head_proba([text], None)
    assert found[0].negative and raw[0] is not None
    assert list(analyser.proba(text).values()) == analyser.floored(found[0], raw[0])


def test_a_weights_file_that_does_not_match_head_json_is_refused(tmp_path: Path) -> None:
    model = ROOT / "surveys/sentiment/model"
    (tmp_path / "head.json").write_bytes((model / "head.json").read_bytes())
    data = bytearray((model / ngrams.NGRAM_FILE).read_bytes())
    data[-1] ^= 1
    (tmp_path / ngrams.NGRAM_FILE).write_bytes(bytes(data))
    with pytest.raises(head_module.HeadError, match="do not match"):
        DefaultAnalyser(model_path=tmp_path / "head.json")
    (tmp_path / ngrams.NGRAM_FILE).unlink()
    with pytest.raises(head_module.HeadError, match="unreadable"):
        DefaultAnalyser(model_path=tmp_path / "head.json")


def test_weights_ship_as_small_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["surveys.sentiment"]
    path = ROOT / "surveys/sentiment/model" / ngrams.NGRAM_FILE
    assert any(Path("model", ngrams.NGRAM_FILE).match(p) for p in patterns)
    assert path.stat().st_size < 5_000_000


def test_weights_out_of_column_order_are_refused(tmp_path: Path) -> None:
    # The run time looks columns up by binary search: an unsorted file would drop weights.
    data = ngrams.encode([5, 3], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    (tmp_path / "w.bin").write_bytes(data)
    with pytest.raises(ngrams.NgramError, match="column order"):
        ngrams.load(tmp_path / "w.bin", 2, ngrams.digest(data), 0.5, [0.0, 0.0, 0.0])
    data = ngrams.encode([3, 5], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    (tmp_path / "w.bin").write_bytes(data)
    head = ngrams.load(tmp_path / "w.bin", 2, ngrams.digest(data), 0.5, [0.0, 0.0, 0.0])
    assert list(head.columns) == [3, 5] and list(head.weights) == [0, 1, 0, 1, 0, 0]
