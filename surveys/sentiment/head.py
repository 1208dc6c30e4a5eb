"""The trained head: plain weights in JSON, applied in plain Python (no numpy at run time).

One multinomial logistic regression over

* the e5 embedding of the answer (what generalises: paraphrase, typos, unseen phrasing),
* the same embedding once more per question asked (so "долго" can mean more for speed),
* the rule layer's features (explicit cues read in context) and the question itself.

A temperature fitted on out-of-fold predictions calibrates the probabilities; the label is
negative from P(negative) >= ``negative_threshold``, 1/3 when a missed complaint counts as
twice a false alarm (see tools/train_sentiment.py), or >= ``no_cue_threshold`` when the rules
see no complaint in the text at all.

The embedding costs ~1.2 ms per token on one core, so a second, tiny regression over the
rule features alone answers first: where it is at least ``skip_confidence`` sure (explicit
cues, all one way: "долго", "спасибо, всё отлично"), the embedding is skipped.

One answer costs three dot products of 384 (the shared embedding weights plus those of the
question asked, added up once at load) and a dozen multiplications for the rules: tens of
microseconds. Training works on matrices instead (tools/head_matrix.py, numpy).
"""

from __future__ import annotations

import json
import math
import operator
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

Row = tuple[float, ...]
# No question (None) has no slot of its own.
_SLOT_OF: dict[str | None, int] = {q: k for k, q in enumerate((*QUESTION_SLOTS, "comment"))}


class HeadError(ValueError):
    """The model file is missing, of another format, or inconsistent."""


def _row(values: Any) -> Row:
    return tuple(float(v) for v in values)


def _rows(values: Any) -> tuple[Row, ...]:
    return tuple(_row(r) for r in values)


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(map(operator.mul, a, b))


@dataclass(frozen=True)
class Head:
    version: str
    w: tuple[Row, ...]  # (3, len(FEATURES)); any nested sequence is accepted and copied
    b: Row  # (3,)
    rules_w: tuple[Row, ...]  # (3, len(FEATURE_NAMES) + 4): the rules-only model
    rules_b: Row  # (3,)
    skip_confidence: float = 1.01  # rules-only answers at least this sure skip the embedding
    # P(negative) is at least this when the rules see a complaint about the very thing asked
    # ("долго" to the speed question): the share of such answers that were negative in
    # training, out of fold. None when that rule did not help there.
    complaint_floor: float | None = None
    # The same for a plain complaint (the rules see a complaint and nothing good said:
    # "bland", "санкции", "не работает"): chosen by the cost of a miss, out of fold, on our
    # answers and the public texts. None when flagging them did not pay there.
    plain_floor: float | None = None
    temperature: float = 1.0
    negative_threshold: float = 0.5  # P(negative) at or above which the label is negative
    # The same for a text in which the rules see no complaint at all (a question, a fact, a
    # request): on human wording the embedding alone over-reads such texts as complaints, so
    # training sets a higher bar from the out-of-fold cost. None: negative_threshold.
    no_cue_threshold: float | None = None
    lexical: dict[str, float] = field(default_factory=dict)  # lemma weights, for evidence
    probe: list[list[float]] = field(default_factory=list)  # embeddings of embedder.PROBE
    meta: dict[str, Any] = field(default_factory=dict)  # training facts, for MODEL.md
    # The n-gram head (surveys/sentiment/ngrams.py) for texts with no complaint cue: its
    # weights file next to this one, their column count and digest, its bias and alpha.
    ngram: dict[str, Any] | None = None
    # Per question slot (None for none or "comment"), per label: shared + slot embedding
    # weights, then the rule weights and the question's own weight. Derived from w.
    _embedding_w: dict[str | None, tuple[array, ...]] = field(init=False, repr=False, compare=False)
    _rule_w: tuple[Row, ...] = field(init=False, repr=False, compare=False)
    _question_w: dict[str | None, Row] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("w", "rules_w"):
            object.__setattr__(self, name, _rows(getattr(self, name)))
        for name in ("b", "rules_b"):
            object.__setattr__(self, name, _row(getattr(self, name)))
        n_rules = len(FEATURE_NAMES)
        embedding_w: dict[str | None, tuple[array, ...]] = {
            None: tuple(array("d", row[:DIM]) for row in self.w)
        }
        for k, q in enumerate(QUESTION_SLOTS, 1):
            embedding_w[q] = tuple(
                array("d", map(operator.add, row[:DIM], row[k * DIM : (k + 1) * DIM]))
                for row in self.w
            )
        rules_at = (1 + len(QUESTION_SLOTS)) * DIM
        object.__setattr__(self, "_embedding_w", embedding_w)
        object.__setattr__(
            self, "_rule_w", tuple(row[rules_at : rules_at + n_rules] for row in self.w)
        )
        object.__setattr__(
            self,
            "_question_w",
            {q: tuple(row[rules_at + n_rules + k] for row in self.w) for q, k in _SLOT_OF.items()},
        )

    def rules_proba(self, rule_features: Sequence[float], question: str | None) -> list[float]:
        """P(negative, neutral, positive) of the rules-only model for one answer."""
        n = len(FEATURE_NAMES)
        slot = _SLOT_OF.get(question)
        logits = []
        for row, bias in zip(self.rules_w, self.rules_b, strict=True):
            z = bias + _dot(row[:n], rule_features)
            if slot is not None:
                z += row[n + slot]
            logits.append(z)
        return softmax(logits)

    def logits(
        self, embedding: Sequence[float], rule_features: Sequence[float], question: str | None
    ) -> list[float]:
        """The head's raw scores for one answer (before the temperature)."""
        slot = question if question in QUESTION_SLOTS else None
        question_w = self._question_w.get(question)
        out = []
        for k, bias in enumerate(self.b):
            z = bias + _dot(self._embedding_w[slot][k], embedding)
            z += _dot(self._rule_w[k], rule_features)
            if question_w is not None:
                z += question_w[k]
            out.append(z)
        return out

    def proba(
        self, embedding: Sequence[float], rule_features: Sequence[float], question: str | None
    ) -> list[float]:
        """Calibrated P(negative, neutral, positive) for one answer."""
        t = self.temperature
        return softmax([z / t for z in self.logits(embedding, rule_features, question)])

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "labels": list(LABELS),
            "features": len(FEATURES),
            "rule_features": list(FEATURE_NAMES),
            "w": [[round(x, 5) for x in row] for row in self.w],
            "b": [round(x, 5) for x in self.b],
            "rules_w": [[round(x, 5) for x in row] for row in self.rules_w],
            "rules_b": [round(x, 5) for x in self.rules_b],
            "skip_confidence": round(self.skip_confidence, 4),
            "complaint_floor": self.complaint_floor,
            "plain_floor": self.plain_floor,
            "temperature": round(self.temperature, 4),
            "negative_threshold": round(self.negative_threshold, 4),
            "no_cue_threshold": self.no_cue_threshold,
            "lexical": {k: round(v, 3) for k, v in sorted(self.lexical.items())},
            "probe": [[round(x, 5) for x in row] for row in self.probe],
            "ngram": self.ngram,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Head:
        if data.get("format") != FORMAT or tuple(data.get("labels", ())) != LABELS:
            raise HeadError(f"unsupported model file format {data.get('format')!r}")
        if tuple(data.get("rule_features", ())) != FEATURE_NAMES:
            raise HeadError("the model was trained on other rule features; retrain it")
        n = len(LABELS)
        head = cls(
            version=str(data["version"]),
            w=_shape(data["w"], n, len(FEATURES), "weights"),
            b=_shape(data["b"], n, None, "weights"),
            rules_w=_shape(data["rules_w"], n, len(FEATURE_NAMES) + 4, "rules-only weights"),
            rules_b=_shape(data["rules_b"], n, None, "rules-only weights"),
            skip_confidence=float(data.get("skip_confidence", 1.01)),
            complaint_floor=data.get("complaint_floor"),
            plain_floor=data.get("plain_floor"),
            temperature=float(data.get("temperature", 1.0)),
            negative_threshold=float(data.get("negative_threshold", 0.5)),
            no_cue_threshold=data.get("no_cue_threshold"),
            lexical={str(k): float(v) for k, v in data.get("lexical", {}).items()},
            probe=[[float(x) for x in row] for row in data.get("probe", [])],
            meta=dict(data.get("meta", {})),
            ngram=data.get("ngram"),
        )
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


def _shape(data: Any, rows: int, cols: int | None, what: str) -> Any:
    """``data`` if it is ``rows`` numbers (cols None) or ``rows`` rows of ``cols`` numbers."""
    ok = isinstance(data, list) and len(data) == rows
    if ok and cols is None:
        ok = all(isinstance(x, int | float) for x in data)
    elif ok:
        ok = all(isinstance(r, list) and len(r) == cols for r in data)
    if not ok:
        raise HeadError(f"{what} have the wrong shape")
    return data


def raise_negative(p: Sequence[float], floor: float) -> list[float]:
    """``p`` with P(negative) at least ``floor``, the other labels keeping their ratio."""
    if p[0] >= floor:
        return list(p)
    rest = sum(p[1:])
    if rest > 0:
        return [floor, *(x * ((1 - floor) / rest) for x in p[1:])]
    return [floor, *([(1 - floor) / 2] * (len(p) - 1))]


def lower_negative(p: Sequence[float], cap: float) -> list[float]:
    """``p`` with P(negative) at most ``cap``, the other labels keeping their ratio."""
    if p[0] <= cap:
        return list(p)
    rest = sum(p[1:])
    if rest > 0:
        return [cap, *(x * ((1 - cap) / rest) for x in p[1:])]
    return [cap, *([(1 - cap) / 2] * (len(p) - 1))]


def softmax(z: Sequence[float]) -> list[float]:
    top = max(z)
    e = [math.exp(x - top) for x in z]
    total = sum(e)
    return [x / total for x in e]
