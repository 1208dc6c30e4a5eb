"""Metrics for the sentiment benchmark and training: negative-vs-rest first, as alerts are."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Row:
    text: str
    question: str | None
    label: str
    lang: str = ""


def load_jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        label = str(data["label"])
        if label not in LABELS:
            raise ValueError(f"{path}:{n}: label {label!r} is not one of {LABELS}")
        q = data.get("question") or None
        rows.append(Row(str(data["text"]), q, label, str(data.get("lang", ""))))
    return rows


@dataclass(frozen=True)
class NegScores:
    n: int
    precision: float
    recall: float
    f1_negative: float
    macro_f1: float  # mean of F1(negative) and F1(rest)
    accuracy3: float  # three-way accuracy


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def neg_scores(gold: Sequence[str], pred: Sequence[str]) -> NegScores:
    tp = sum(g == p == "negative" for g, p in zip(gold, pred, strict=True))
    fp = sum(g != "negative" and p == "negative" for g, p in zip(gold, pred, strict=True))
    fn = sum(g == "negative" and p != "negative" for g, p in zip(gold, pred, strict=True))
    tn = len(gold) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    rest_p = tn / (tn + fn) if tn + fn else 0.0
    rest_r = tn / (tn + fp) if tn + fp else 0.0
    f1_neg = _f1(precision, recall)
    macro = (f1_neg + _f1(rest_p, rest_r)) / 2
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    return NegScores(len(gold), precision, recall, f1_neg, macro, acc)


def confusion(gold: Sequence[str], pred: Sequence[str]) -> list[list[int]]:
    """Rows are gold labels, columns predictions, both in LABELS order."""
    m = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, pred, strict=True):
        m[LABELS.index(g)][LABELS.index(p)] += 1
    return m


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """Mean |confidence - accuracy| over equal-width confidence bins, weighted by size."""
    total, err = len(confidences), 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo < c <= hi or (b == 0 and c == 0)]
        if idx:
            acc = sum(correct[i] for i in idx) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            err += len(idx) / total * abs(acc - conf)
    return err


def brier_negative(p_negative: Iterable[float], gold: Iterable[str]) -> float:
    pairs = [(p, float(g == "negative")) for p, g in zip(p_negative, gold, strict=True)]
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs) if pairs else 0.0
