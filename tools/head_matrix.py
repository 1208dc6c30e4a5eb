"""The head's arithmetic on numpy matrices, for training (dev only: needs numpy).

At run time surveys/sentiment/head.py applies the head to one answer at a time in plain
Python; the training tool works on whole matrices of answers instead. Both compute the same
function of the same weights (tests/test_sentiment_engine.py checks they agree to 1e-9).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from surveys.sentiment.head import QUESTION_SLOTS, Head

Matrix = npt.NDArray[np.float64]


def _question_columns(questions: Sequence[str | None]) -> Matrix:
    slots = (*QUESTION_SLOTS, "comment")
    return np.array([[float(q == s) for s in slots] for q in questions]).reshape(-1, len(slots))


def rule_inputs(rule_features: Matrix, questions: Sequence[str | None]) -> Matrix:
    """The rules-only model's input rows: rule features and the question."""
    return np.hstack([rule_features.reshape(len(questions), -1), _question_columns(questions)])


def inputs(embeddings: Matrix, rule_features: Matrix, questions: Sequence[str | None]) -> Matrix:
    """The head's input rows: embedding, embedding per question, rule features, question."""
    q = _question_columns(questions)
    per_question = [embeddings * q[:, [k]] for k in range(len(QUESTION_SLOTS))]
    return np.hstack([embeddings, *per_question, rule_inputs(rule_features, questions)])


def softmax(z: Matrix) -> Matrix:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def raise_negative(p: Matrix, floor: float) -> Matrix:
    """``p`` with P(negative) at least ``floor``, the other labels keeping their ratio."""
    if p[0] >= floor:
        return p
    rest = p[1:].sum()
    others = p[1:] * ((1 - floor) / rest) if rest > 0 else np.full(len(p) - 1, (1 - floor) / 2)
    return np.concatenate([[floor], others])


def rules_proba(head: Head, rule_features: Matrix, questions: Sequence[str | None]) -> Matrix:
    """P(negative, neutral, positive) of the rules-only model, one row per answer."""
    w, b = np.asarray(head.rules_w), np.asarray(head.rules_b)
    return softmax(rule_inputs(rule_features, questions) @ w.T + b)


def proba(
    head: Head, embeddings: Matrix, rule_features: Matrix, questions: Sequence[str | None]
) -> Matrix:
    """Calibrated P(negative, neutral, positive) of the head, one row per answer."""
    w, b = np.asarray(head.w), np.asarray(head.b)
    x = inputs(embeddings, rule_features, questions)
    return softmax((x @ w.T + b) / head.temperature)
