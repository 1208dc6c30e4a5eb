"""The trained head: plain weights in JSON, applied with numpy (no ML framework at run time).

One multinomial logistic regression over

* the e5 embedding of the answer (what generalises: paraphrase, typos, unseen phrasing),
* the same embedding once more per question asked (so "долго" can mean more for speed),
* the rule layer's features (explicit cues read in context) and the question itself.

A temperature fitted on out-of-fold predictions calibrates the probabilities, and the
negative threshold is chosen on them for recall (a missed complaint costs more).
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


def inputs(embeddings: Matrix, rule_features: Matrix, questions: Sequence[str | None]) -> Matrix:
    """The head's input rows: embedding, embedding per question, rule features, question."""
    n = len(questions)
    slots = np.array([[float(q == s) for s in QUESTION_SLOTS] for q in questions]).reshape(n, 3)
    comment = np.array([[float(q == "comment")] for q in questions]).reshape(n, 1)
    per_question = [embeddings * slots[:, [k]] for k in range(len(QUESTION_SLOTS))]
    return np.hstack([embeddings, *per_question, rule_features.reshape(n, -1), slots, comment])


@dataclass(frozen=True)
class Head:
    version: str
    w: Matrix  # (3, len(FEATURES))
    b: Matrix  # (3,)
    temperature: float = 1.0
    negative_threshold: float = 0.5  # P(negative) at or above which the label is negative
    lexical: dict[str, float] = field(default_factory=dict)  # lemma weights, for evidence
    probe: list[list[float]] = field(default_factory=list)  # embeddings of embedder.PROBE
    meta: dict[str, Any] = field(default_factory=dict)  # training facts, for MODEL.md

    def logits(self, x: Matrix) -> Matrix:
        return x @ self.w.T + self.b

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
            temperature=float(data.get("temperature", 1.0)),
            negative_threshold=float(data.get("negative_threshold", 0.5)),
            lexical={str(k): float(v) for k, v in data.get("lexical", {}).items()},
            probe=[[float(x) for x in row] for row in data.get("probe", [])],
            meta=dict(data.get("meta", {})),
        )
        if head.w.shape != (len(LABELS), len(FEATURES)) or head.b.shape != (len(LABELS),):
            raise HeadError("weights have the wrong shape")
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


def softmax(z: Matrix) -> Matrix:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
