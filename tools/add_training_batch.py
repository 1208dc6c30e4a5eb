"""Add a batch of hand-written answers to the training set (dev time only).

    python -m tools.add_training_batch NEW.jsonl [--dev-dir DIR] [--dry-run]

Checks every line of NEW.jsonl as DATA.md's checks do (valid JSON with exactly the four
fields, valid values, no surrounding whitespace), then drops each answer that coincides with
or nearly matches a text already in the training set, an evaluation set or a development
set (exact, case-insensitive, normalised, or character-trigram Jaccard >= 0.6 of the
normalised texts), and each repeat within the batch. Only the dropped *new* answers are
printed: the texts of the measured sets are compared, never shown, so adding a batch does
not leak them into anyone's reading. The rest is appended to train.jsonl.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "surveys/sentiment/data/train.jsonl"
MEASURED = (
    ROOT / "bench/data/sentiment_eval.jsonl",
    ROOT / "bench/data/sentiment_eval_authors.jsonl",
    *sorted((ROOT / "bench/data/public").glob("*.jsonl")),
)
FIELDS = {"text", "question", "label", "lang"}
VALUES = {
    "question": {"outcome", "speed", "politeness"},
    "label": {"negative", "neutral", "positive"},
    "lang": {"ru", "en", "mixed"},
}
NEAR = 0.6


def normalise(text: str) -> str:
    """NFKC, lower case, ё→е, letters and digits; an answer of only emoji stays as written."""
    folded = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    return "".join(c for c in folded if c.isalnum()) or text


def trigrams(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 3] for i in range(max(1, len(key) - 2)))


def problems(row: object) -> list[str]:
    if not isinstance(row, dict) or set(row) != FIELDS:
        return ["fields are not exactly text, question, label, lang"]
    out = [f"{k}={row[k]!r}" for k, allowed in VALUES.items() if row[k] not in allowed]
    text = row["text"]
    if not isinstance(text, str) or not text or text != text.strip():
        out.append("text empty or with surrounding whitespace")
    return out


class Known:
    """Texts already in some file, for exact, normalised and near-duplicate look-ups."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.grams: list[frozenset[str]] = []
        self.by_gram: dict[str, list[int]] = defaultdict(list)

    def add(self, text: str) -> None:
        key = normalise(text)
        self.keys.add(key)
        grams = trigrams(key)
        for g in grams:
            self.by_gram[g].append(len(self.grams))
        self.grams.append(grams)

    def matches(self, text: str) -> bool:
        key = normalise(text)
        if key in self.keys:
            return True
        grams = trigrams(key)
        shared: Counter[int] = Counter(i for g in grams for i in self.by_gram.get(g, ()))
        return any(n / (len(grams) + len(self.grams[i]) - n) >= NEAR for i, n in shared.items())


def texts(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        with path.open(encoding="utf-8") as f:
            yield from (json.loads(line)["text"] for line in f if line.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", type=Path)
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument(
        "--dev-dir", type=Path, default=Path("/work/cache11/dev"),
        help="development sets not in git (tools.public_sentiment_data --dev-out)",
    )  # fmt: skip
    parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    args = parser.parse_args(argv)

    rows, invalid = [], 0
    for n, line in enumerate(args.batch.open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            print(f"line {n}: not JSON ({e})")
            invalid += 1
            continue
        if bad := problems(row):
            print(f"line {n}: {'; '.join(bad)}")
            invalid += 1
        else:
            rows.append(row)

    dev = sorted(args.dev_dir.glob("*.jsonl")) if args.dev_dir.is_dir() else []
    known = Known()
    for text in texts([args.train, *MEASURED, *dev]):
        known.add(text)
    kept, dropped = [], []
    for row in rows:
        if known.matches(row["text"]):
            dropped.append(row)
        else:
            kept.append(row)
            known.add(row["text"])  # a later repeat within the batch is dropped too
    for row in dropped:
        print(f"dropped (matches a known text): {row['text']!r}")
    print(
        f"{len(rows) + invalid} lines: {invalid} invalid, {len(dropped)} duplicates or "
        f"near-duplicates dropped, {len(kept)} kept "
        f"{dict(sorted(Counter((r['lang'], r['label']) for r in kept).items()))}"
    )
    if kept and not args.dry_run:
        with args.train.open("a", encoding="utf-8") as f:
            for row in kept:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"appended {len(kept)} answers to {args.train}")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
