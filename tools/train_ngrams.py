"""Train the n-gram head (surveys/sentiment/ngrams.py) on the embedding head's folds.

Called by tools/train_sentiment.py after the embedding head: a logistic regression (C=4) over
the run-time featuriser's hashed n-grams, the public texts at a lower weight than for the
embedding head (their wording differs most from our clients'), fitted out of fold on the same
grouped folds; alpha, the weight of its log-odds where the rules see no complaint cue, is the
one of ALPHAS with the best out-of-fold macro-F1 on our answers. Weights under PRUNE are
dropped so the file stays small. Needs the `train` extra (scikit-learn).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from bench.metrics import LABELS, neg_scores
from surveys.sentiment import ngrams
from tools.train_sentiment import decide

Matrix = npt.NDArray[np.float64]
C = 4.0
PUBLIC_WEIGHT = 0.35
ALPHAS = (0.25, 0.5)
PRUNE = 0.02  # columns whose three weights are all smaller are dropped: ~no effect, half the size


@dataclass(frozen=True)
class TrainedNgrams:
    alpha: float
    bias: list[float]
    columns: list[int]
    weights: list[list[float]]
    oof_proba: Matrix  # the combined out-of-fold probabilities (no-cue rows only changed)
    report: dict[str, object]

    def encoded(self) -> bytes:
        return ngrams.encode(self.columns, self.weights)


def matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        for col, value in ngrams.features(text).items():
            rows.append(i)
            cols.append(col)
            vals.append(value)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), ngrams.DIM))


def combined(p_head: Matrix, p_ngram: Matrix, alpha: float) -> Matrix:
    z = np.log(np.clip(p_head, 1e-9, 1.0)) + alpha * np.log(np.clip(p_ngram, 1e-9, 1.0))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def oof_proba(
    x: sparse.csr_matrix,
    y: npt.NDArray[np.int64],
    sw: Matrix,
    folds: list[npt.NDArray[np.int64]],
    c: float,
) -> Matrix:
    """Out-of-fold class probabilities of the n-gram model on the head's folds."""
    p = np.zeros((x.shape[0], len(LABELS)))
    for test in folds:
        train_idx = np.setdiff1d(np.arange(x.shape[0]), test)
        model = LogisticRegression(C=c, max_iter=2000)
        model.fit(x[train_idx], y[train_idx], sample_weight=sw[train_idx])
        p[test] = model.predict_proba(x[test])
    return p


def train(
    texts: Sequence[str],
    y: npt.NDArray[np.int64],
    weight: Matrix,
    public: npt.NDArray[np.bool_],
    scored: npt.NDArray[np.bool_],
    no_cue: npt.NDArray[np.bool_],
    p_head: Matrix,
    bars: npt.NDArray[np.float64],
    folds: list[npt.NDArray[np.int64]],
    public_weight: float,
    log: Callable[[str], None] = print,
) -> TrainedNgrams:
    x = matrix(texts)
    # The embedding head's public weight, rescaled to the n-grams' own.
    sw = np.where(public, weight * PUBLIC_WEIGHT / public_weight, weight)
    p_ngram = oof_proba(x, y, sw, folds, C)
    gold = [LABELS[i] for i in y[scored]]
    report: dict[str, object] = {"C": C, "public_weight": PUBLIC_WEIGHT, "prune": PRUNE}
    best: tuple[float, float, Matrix] | None = None
    for alpha in ALPHAS:
        p = np.where(no_cue[:, None], combined(p_head, p_ngram, alpha), p_head)
        s = neg_scores(gold, decide(p[scored], bars[scored]))
        log(f"OOF n-grams alpha={alpha}: P={s.precision:.3f} R={s.recall:.3f} "
            f"macroF1={s.macro_f1:.3f}")  # fmt: skip
        report[f"alpha_{alpha}"] = {
            "neg_precision": round(s.precision, 3),
            "neg_recall": round(s.recall, 3),
            "neg_vs_rest_macro_f1": round(s.macro_f1, 3),
        }
        if best is None or s.macro_f1 > best[0]:
            best = (s.macro_f1, alpha, p)
    assert best is not None
    _, alpha, p_best = best
    model = LogisticRegression(C=C, max_iter=2000).fit(x, y, sample_weight=sw)
    coef = model.coef_.T  # (DIM, 3)
    keep = np.flatnonzero(np.abs(coef).max(axis=1) >= PRUNE)
    report.update(alpha=alpha, columns=len(keep))
    log(f"n-grams: alpha {alpha}, {len(keep)} columns kept")
    return TrainedNgrams(
        alpha=alpha,
        bias=[float(b) for b in model.intercept_],
        columns=[int(c) for c in keep],
        weights=[[float(v) for v in coef[c]] for c in keep],
        oof_proba=p_best,
        report=report,
    )
