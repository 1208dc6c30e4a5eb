"""The trained head: plain weights in JSON, applied with numpy (no ML framework at run time).

Two stages, both multinomial logistic regressions:

* the embedding head reads the e5 vector of the answer;
* the stacker combines the embedding head's log-probabilities with the rule layer's
  features and the question asked. It is fitted on out-of-fold predictions, so its
  probabilities are calibrated rather than over-confident, and a temperature fitted the same
  way corrects what is left.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from surveys.sentiment.rules import FEATURE_NAMES

LABELS = ("negative", "neutral", "positive")
QUESTION_SLOTS = ("outcome", "speed", "politeness", "comment")  # None: all zero
STACK_FEATURES = (
    "head_log_negative",
    "head_log_neutral",
    "head_log_positive",
    *FEATURE_NAMES,
    *(f"q_{q}" for q in QUESTION_SLOTS),
)
DEFAULT_PATH = Path(__file__).with_name("model") / "head.json"
FORMAT = 1

Matrix = npt.NDArray[np.float64]


class HeadError(ValueError):
    """The model file is missing, of another format, or inconsistent."""


@dataclass(frozen=True)
class Head:
    version: str
    emb_w: Matrix  # (3, 384)
    emb_b: Matrix  # (3,)
    stack_w: Matrix  # (3, len(STACK_FEATURES))
    stack_b: Matrix  # (3,)
    temperature: float = 1.0
    negative_threshold: float = 0.5  # P(negative) at or above which the label is negative
    lexical: dict[str, float] = field(default_factory=dict)  # lemma weights, for evidence
    probe: list[list[float]] = field(default_factory=list)  # embeddings of embedder.PROBE
    meta: dict[str, Any] = field(default_factory=dict)  # training facts, for MODEL.md

    def head_proba(self, embeddings: Matrix) -> Matrix:
        return softmax(embeddings @ self.emb_w.T + self.emb_b)

    def stack_inputs(
        self, head_proba: Matrix, rule_features: Matrix, questions: Sequence[str | None]
    ) -> Matrix:
        onehot = np.array(
            [[float(q == slot) for slot in QUESTION_SLOTS] for q in questions], dtype=np.float64
        ).reshape(len(questions), len(QUESTION_SLOTS))
        return np.hstack([np.log(np.clip(head_proba, 1e-6, 1.0)), rule_features, onehot])

    def proba(
        self, embeddings: Matrix, rule_features: Matrix, questions: Sequence[str | None]
    ) -> Matrix:
        """Calibrated P(negative, neutral, positive) per answer."""
        x = self.stack_inputs(self.head_proba(embeddings), rule_features, questions)
        return softmax((x @ self.stack_w.T + self.stack_b) / self.temperature)

    def to_json(self) -> dict[str, Any]:
        def r(a: Matrix) -> Any:
            return np.round(a, 6).tolist()

        return {
            "format": FORMAT,
            "version": self.version,
            "labels": list(LABELS),
            "stack_features": list(STACK_FEATURES),
            "embedding_head": {"w": r(self.emb_w), "b": r(self.emb_b)},
            "stacker": {"w": r(self.stack_w), "b": r(self.stack_b)},
            "temperature": round(self.temperature, 6),
            "negative_threshold": round(self.negative_threshold, 6),
            "lexical": {k: round(v, 4) for k, v in sorted(self.lexical.items())},
            "probe": [[round(x, 6) for x in row] for row in self.probe],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Head:
        if data.get("format") != FORMAT or tuple(data.get("labels", ())) != LABELS:
            raise HeadError(f"unsupported model file format {data.get('format')!r}")
        if tuple(data.get("stack_features", ())) != STACK_FEATURES:
            raise HeadError("the model was trained on other rule features; retrain it")
        head = cls(
            version=str(data["version"]),
            emb_w=np.asarray(data["embedding_head"]["w"], dtype=np.float64),
            emb_b=np.asarray(data["embedding_head"]["b"], dtype=np.float64),
            stack_w=np.asarray(data["stacker"]["w"], dtype=np.float64),
            stack_b=np.asarray(data["stacker"]["b"], dtype=np.float64),
            temperature=float(data.get("temperature", 1.0)),
            negative_threshold=float(data.get("negative_threshold", 0.5)),
            lexical={str(k): float(v) for k, v in data.get("lexical", {}).items()},
            probe=[[float(x) for x in row] for row in data.get("probe", [])],
            meta=dict(data.get("meta", {})),
        )
        n = len(LABELS)
        if head.emb_w.ndim != 2 or head.emb_w.shape[0] != n or head.emb_b.shape != (n,):
            raise HeadError("embedding head weights have the wrong shape")
        if head.stack_w.shape != (n, len(STACK_FEATURES)) or head.stack_b.shape != (n,):
            raise HeadError("stacker weights have the wrong shape")
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
