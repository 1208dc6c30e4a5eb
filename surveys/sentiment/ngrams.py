"""The n-gram head: hashed character and lemma n-grams, in plain Python (issue 11).

A second logistic regression reads what the embedding smooths away: spelling, slang, stems
("ужасн", "disappoint"). It is trusted only where the rules see no complaint cue (a question,
a fact, a request, or an unmarked complaint); there its log-probabilities, times ``alpha``,
are added to the embedding head's before the rule floors (MODEL.md, "The n-gram head").

Features, the same in training (tools/train_sentiment.py) and here:

* character 3-5-grams of each lower-cased word padded with a space (scikit-learn's
  ``char_wb``), counted, the block scaled to unit length;
* word uni- and bigrams of the lower-cased text, Russian words as their first lemma,
  counted, the block scaled to unit length;

each n-gram hashed with CRC-32 (stable across processes, unlike ``hash()``) into its block of
``BLOCK`` columns. Only the columns training kept are stored, in ``ngram.bin`` next to
``head.json``: little-endian uint32 column numbers, then float32 weights, three per column.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import re
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from surveys.sentiment import morph

BLOCK = 2**17  # columns per block: characters [0, BLOCK), words [BLOCK, 2 * BLOCK)
DIM = 2 * BLOCK
NGRAM_FILE = "ngram.bin"
CHAR_SIZES = (3, 4, 5)
_WORD_RE = re.compile(r"\w+")
_CYRILLIC_RE = re.compile("[а-яё]")
_SPACE_RE = re.compile(r"\s\s+")


class NgramError(ValueError):
    """The n-gram weights file is missing or does not match head.json."""


def _column(gram: str, offset: int) -> int:
    return offset + zlib.crc32(gram.encode("utf-8", "surrogatepass")) % BLOCK


def char_grams(text: str) -> list[str]:
    out = []
    for word in _SPACE_RE.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in CHAR_SIZES:
            if len(padded) <= n:  # the whole padded word, once (as scikit-learn's char_wb)
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


def lemmatised(text: str) -> list[str]:
    """Russian words as their first pymorphy3 lemma, so word n-grams ignore inflection."""
    out = []
    for w in _WORD_RE.findall(text.lower()):
        lemmas = morph.lemmas(w) if _CYRILLIC_RE.search(w) else ()
        out.append(lemmas[0] if lemmas else w)
    return out


def word_grams(text: str) -> list[str]:
    words = lemmatised(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _unit(counts: Counter[int]) -> dict[int, float]:
    norm = math.sqrt(sum(v * v for v in counts.values()))
    return {k: v / norm for k, v in counts.items()} if norm else {}


def features(text: str) -> dict[int, float]:
    """Column -> value for one text: two unit-length blocks of n-gram counts."""
    chars = _unit(Counter(_column(g, 0) for g in char_grams(text)))
    words = _unit(Counter(_column(g, BLOCK) for g in word_grams(text)))
    return chars | words


@dataclass(frozen=True)
class NgramHead:
    alpha: float  # weight of its log-probabilities added to the embedding head's
    bias: tuple[float, float, float]
    columns: array  # the kept columns, ascending (uint32)
    weights: array  # three float32 per column: negative, neutral, positive

    def logits(self, text: str) -> list[float]:
        # A binary search per n-gram over the packed arrays: a dict of ~190k entries cost
        # ~40 MB more memory (bench RSS after load +72 MB against +30 MB).
        z = list(self.bias)
        cols, n = self.columns, len(self.columns)
        for col, value in features(text).items():
            k = bisect.bisect_left(cols, col)
            if k < n and cols[k] == col:
                w = self.weights
                z[0] += value * w[3 * k]
                z[1] += value * w[3 * k + 1]
                z[2] += value * w[3 * k + 2]
        return z

    def log_proba(self, text: str) -> list[float]:
        z = self.logits(text)
        top = max(z)
        log_total = top + math.log(sum(math.exp(x - top) for x in z))
        return [x - log_total for x in z]

    def combine(self, p: Sequence[float], text: str) -> list[float]:
        """``p`` (the embedding head's probabilities) with this head's log-odds added."""
        z = [
            math.log(max(q, 1e-9)) + self.alpha * lp
            for q, lp in zip(p, self.log_proba(text), strict=True)
        ]
        top = max(z)
        e = [math.exp(x - top) for x in z]
        total = sum(e)
        return [x / total for x in e]


def encode(columns: Sequence[int], weights: Sequence[Sequence[float]]) -> bytes:
    """The weights file: column numbers (uint32), then their three weights each (float32)."""
    cols = array("I", columns)
    flat = array("f", (x for row in weights for x in row))
    if sys.byteorder != "little":
        cols.byteswap()
        flat.byteswap()
    return cols.tobytes() + flat.tobytes()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def load(
    path: Path, columns: int, expected_digest: str, alpha: float, bias: Sequence[float]
) -> NgramHead:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NgramError(f"n-gram weights {path} are unreadable: {exc}") from exc
    if len(data) != columns * 16 or digest(data) != expected_digest:
        raise NgramError(f"n-gram weights {path} do not match head.json; retrain")
    cols = array("I")
    cols.frombytes(data[: columns * 4])
    flat = array("f")
    flat.frombytes(data[columns * 4 :])
    if sys.byteorder != "little":
        cols.byteswap()
        flat.byteswap()
    if any(a >= b for a, b in itertools.pairwise(cols)):
        raise NgramError(f"n-gram weights {path} are not in column order; retrain")
    b = tuple(float(x) for x in bias)
    if len(b) != 3:
        raise NgramError("n-gram bias must have three values")
    return NgramHead(alpha=float(alpha), bias=(b[0], b[1], b[2]), columns=cols, weights=flat)
