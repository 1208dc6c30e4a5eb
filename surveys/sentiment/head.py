"""The trained head: plain weights in JSON, applied with numpy (no ML framework at run time).

One multinomial logistic regression over

* the e5 embedding of the answer (what generalises: paraphrase, typos, unseen phrasing),
* the same embedding once more per question asked (so "долго" can mean more for speed),
* the rule layer's features (explicit cues read in context) and the question itself.

A temperature fitted on out-of-fold predictions calibrates the probabilities, and the
negative threshold is chosen on them for recall (a missed complaint costs more).

The embedding costs ~1.5 ms per token on one core, so a second, tiny regression over the
rule features alone answers first: where it is at least ``skip_confidence`` sure (explicit
cues, all one way: "долго", "спасибо, всё отлично"), the embedding is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from surveys.sentiment.embedder import DIM
from surveys.sentiment.rules import FEATURE_NAMES

LABELS = ("negative", "neutral", "positive")
# Questions with their own embedding weights; "comment" and None use only the shared ones.
QUESTION_SLOTS = ("outcome", "speed", "politeness")
FEATURES = (
    *(f"e{i}" for i in range(DIM)),
    *(f"e{i}_{q}" for q in QUESTION_SLOTS for i in range(DIM)),
    *FEATURE_NAMES,
    *(f"q_{q}" for q in (*QUESTION_SLOTS, "comment")),
)
DEFAULT_PATH = Path(__file__).with_name("model") / "head.json"
FORMAT = 2

Matrix = npt.NDArray[np.float64]


class HeadError(ValueError):
    """The model file is missing, of another format, or inconsistent."""


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


@dataclass(frozen=True)
class Head:
    version: str
    w: Matrix  # (3, len(FEATURES))
    b: Matrix  # (3,)
    rules_w: Matrix  # (3, len(FEATURE_NAMES) + 4): the rules-only model
    rules_b: Matrix  # (3,)
    skip_confidence: float = 1.01  # rules-only answers at least this sure skip the embedding
    # P(negative) is at least this when the rules see a complaint about the very thing asked
    # ("долго" to the speed question): the share of such answers that were negative in
    # training, out of fold. None when that rule did not help there.
    complaint_floor: float | None = None
    temperature: float = 1.0
    negative_threshold: float = 0.5  # P(negative) at or above which the label is negative
    lexical: dict[str, float] = field(default_factory=dict)  # lemma weights, for evidence
    probe: list[list[float]] = field(default_factory=list)  # embeddings of embedder.PROBE
    meta: dict[str, Any] = field(default_factory=dict)  # training facts, for MODEL.md

    def logits(self, x: Matrix) -> Matrix:
        return x @ self.w.T + self.b

    def rules_proba(self, rule_features: Matrix, questions: Sequence[str | None]) -> Matrix:
        return softmax(rule_inputs(rule_features, questions) @ self.rules_w.T + self.rules_b)

    def proba(
        self, embeddings: Matrix, rule_features: Matrix, questions: Sequence[str | None]
    ) -> Matrix:
        """Calibrated P(negative, neutral, positive) per answer."""
        x = inputs(embeddings, rule_features, questions)
        return softmax(self.logits(x) / self.temperature)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "labels": list(LABELS),
            "features": len(FEATURES),
            "rule_features": list(FEATURE_NAMES),
            "w": np.round(self.w, 5).tolist(),
            "b": np.round(self.b, 5).tolist(),
            "rules_w": np.round(self.rules_w, 5).tolist(),
            "rules_b": np.round(self.rules_b, 5).tolist(),
            "skip_confidence": round(self.skip_confidence, 4),
            "complaint_floor": self.complaint_floor,
            "temperature": round(self.temperature, 4),
            "negative_threshold": round(self.negative_threshold, 4),
            "lexical": {k: round(v, 3) for k, v in sorted(self.lexical.items())},
            "probe": [[round(x, 5) for x in row] for row in self.probe],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Head:
        if data.get("format") != FORMAT or tuple(data.get("labels", ())) != LABELS:
            raise HeadError(f"unsupported model file format {data.get('format')!r}")
        if tuple(data.get("rule_features", ())) != FEATURE_NAMES:
            raise HeadError("the model was trained on other rule features; retrain it")
        head = cls(
            version=str(data["version"]),
            w=np.asarray(data["w"], dtype=np.float64),
            b=np.asarray(data["b"], dtype=np.float64),
            rules_w=np.asarray(data["rules_w"], dtype=np.float64),
            rules_b=np.asarray(data["rules_b"], dtype=np.float64),
            skip_confidence=float(data.get("skip_confidence", 1.01)),
            complaint_floor=data.get("complaint_floor"),
            temperature=float(data.get("temperature", 1.0)),
            negative_threshold=float(data.get("negative_threshold", 0.5)),
            lexical={str(k): float(v) for k, v in data.get("lexical", {}).items()},
            probe=[[float(x) for x in row] for row in data.get("probe", [])],
            meta=dict(data.get("meta", {})),
        )
        n = len(LABELS)
        if head.w.shape != (n, len(FEATURES)) or head.b.shape != (n,):
            raise HeadError("weights have the wrong shape")
        if head.rules_w.shape != (n, len(FEATURE_NAMES) + 4) or head.rules_b.shape != (n,):
            raise HeadError("rules-only weights have the wrong shape")
        if not head.temperature > 0:
            raise HeadError("temperature must be positive")
        return head

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":"))
        path.write_text(text + "\n", encoding="utf-8")


def load(path: Path = DEFAULT_PATH) -> Head:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeadError(f"model file {path} is missing; run tools/train_sentiment.py") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise HeadError(f"model file {path} is unreadable: {exc}") from exc
    try:
        return Head.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, HeadError):
            raise
        raise HeadError(f"model file {path} is malformed: {exc}") from exc


def raise_negative(p: Matrix, floor: float) -> Matrix:
    """``p`` with P(negative) at least ``floor``, the other labels keeping their ratio."""
    if p[0] >= floor:
        return p
    rest = p[1:].sum()
    others = p[1:] * ((1 - floor) / rest) if rest > 0 else np.full(len(p) - 1, (1 - floor) / 2)
    return np.concatenate([[floor], others])


def softmax(z: Matrix) -> Matrix:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
