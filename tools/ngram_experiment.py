"""Would a second head over character and word n-grams help? `python -m tools.ngram_experiment`.

Dev-time experiment of issue 11 (MODEL.md, "Tried and left out"): a logistic regression over
hashed character 3-5-grams and lemma uni/bigrams, trained on our answers (+ the public texts at
lower weight), combined with the shipped head by adding its log-probabilities times `alpha`
(alpha 0 = the head alone), everywhere or (--no-cue-only) only where the rules see no
complaint cue. It prints, for each C and alpha:

* out of fold on the training answers (the same grouped folds as tools/train_sentiment.py,
  the head's bar per row): negative precision, recall, macro-F1; and on the public texts;
* on every development set (bench/data/public and $CANDOR_SENTIMENT_DEV_DIR): macro-F1,
  negative recall and the share of neutral texts flagged, the n-gram model fitted on all the
  training rows and combined before the rule floors, as the analyser would.

It never reads the evaluation sets. Needs the `train` extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from bench.metrics import LABELS, load_jsonl, neg_scores
from surveys.sentiment import morph
from surveys.sentiment.default import DefaultAnalyser
from surveys.sentiment.embedder import Embedder
from tools import train_sentiment as ts
from tools.train_ngrams import combined, oof_proba
from tools.train_sentiment import decide

Matrix = npt.NDArray[np.float64]
ROOT = Path(__file__).resolve().parent.parent
_WORD_RE = re.compile(r"\w+")
_CYRILLIC_RE = re.compile("[а-яё]")
_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(3, 5), n_features=2**18, alternate_sign=False
)
_WORDS = HashingVectorizer(
    analyzer="word", ngram_range=(1, 2), n_features=2**18, alternate_sign=False,
    token_pattern=r"\S+",
)  # fmt: skip


def lemmatised(text: str) -> str:
    """Russian words as their first pymorphy3 lemma, so word n-grams ignore inflection."""
    out = []
    for w in _WORD_RE.findall(text.lower()):
        lemmas = morph.lemmas(w) if _CYRILLIC_RE.search(w) else ()
        out.append(lemmas[0] if lemmas else w)
    return " ".join(out)


def ngrams(texts: Sequence[str]) -> sparse.csr_matrix:
    words = _WORDS.transform([lemmatised(t) for t in texts])
    return sparse.hstack([_CHARS.transform(texts), words]).tocsr()


def scores(gold: Sequence[str], pred: Sequence[str]) -> str:
    s = neg_scores(gold, pred)
    neutral = [p == "negative" for g, p in zip(gold, pred, strict=True) if g == "neutral"]
    flagged = sum(neutral) / max(1, len(neutral))
    return f"P={s.precision:.3f} R={s.recall:.3f} F1={s.macro_f1:.3f} flagged={flagged:.3f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-weight", type=float, default=0.35, help="for the n-grams")
    parser.add_argument("--c", type=float, nargs="+", default=[1.0, 4.0])
    parser.add_argument("--alpha", type=float, nargs="+", default=[0.0, 0.25, 0.5, 1.0])
    parser.add_argument(
        "--no-cue-only", action="store_true",
        help="combine only where the rules see no complaint cue (the head's higher bar)",
    )  # fmt: skip
    parser.add_argument(
        "--cache", default=str(Path.home() / ".cache/candor/sentiment-embeddings.npz")
    )
    args = parser.parse_args(argv)

    rows = load_jsonl(ts.TRAIN)
    public = [r for path in ts.PUBLIC for r in load_jsonl(path)]
    # The shipped head's recipe (MODEL.md, "How to retrain"), for its out-of-fold figures.
    trained = ts.train(
        rows, Embedder(), folds=3, c_grid=[3.0], cache=Path(args.cache) if args.cache else None,
        public=public, no_cue_bar=ts.NO_CUE_THRESHOLD, log=lambda _: None,
    )  # fmt: skip
    exs, p_head, bars = trained.examples, trained.oof_proba, trained.thresholds
    assert p_head is not None and bars is not None
    y = ts._labels(exs)
    x = ngrams([e.row.text for e in exs])
    folds = ts.group_folds([e.group for e in exs], 3, 13)
    ours = np.array([e.original for e in exs])
    pub = np.array([e.group >= len(rows) for e in exs])
    weight = np.array([e.weight for e in exs])
    weight = np.where(pub, weight * args.public_weight / ts.PUBLIC_WEIGHT, weight)

    analyser = DefaultAnalyser()
    dev_files = sorted((ROOT / "bench/data/public").glob("*.jsonl"))
    dev_dir = Path(os.environ.get("CANDOR_SENTIMENT_DEV_DIR", "/work/cache11/dev"))
    dev_files += sorted(dev_dir.glob("*.jsonl"))
    dev = []
    for path in dev_files:
        dev_rows = load_jsonl(path)
        found, proba = analyser.head_proba(
            [r.text for r in dev_rows], [r.question for r in dev_rows]
        )
        keep = [i for i, p in enumerate(proba) if p is not None]
        dev.append((path.stem, [dev_rows[i] for i in keep], [found[i] for i in keep],
                    np.array([proba[i] for i in keep])))  # fmt: skip

    for c in args.c:
        p_ngram = oof_proba(x, y, weight, folds, c)
        model = LogisticRegression(C=c, max_iter=2000).fit(x, y, sample_weight=weight)
        gold, gold_pub = [LABELS[i] for i in y[ours]], [LABELS[i] for i in y[pub]]
        alone = scores(gold, decide(p_ngram[ours], bars[ours]))
        print(f"C={c}: n-grams alone, our answers OOF {alone}")
        for alpha in args.alpha:
            p = combined(p_head, p_ngram, alpha)
            if args.no_cue_only:
                p = np.where((bars > ts.NEGATIVE_THRESHOLD)[:, None], p, p_head)
            on_ours = scores(gold, decide(p[ours], bars[ours]))
            on_public = scores(gold_pub, decide(p[pub], bars[pub]))
            print(f"C={c} alpha={alpha}: our answers OOF {on_ours} | public OOF {on_public}")
            for name, dev_rows, found, p_dev in dev:
                p_ng = model.predict_proba(ngrams([r.text for r in dev_rows]))
                mixed = combined(p_dev, p_ng, alpha)
                if args.no_cue_only:
                    cue = np.array([f.negative for f in found])
                    mixed = np.where(cue[:, None], p_dev, mixed)
                final = np.array(
                    [analyser.floored(f, list(q)) for f, q in zip(found, mixed, strict=True)]
                )
                dev_bars = [analyser._threshold(f) for f in found]
                print(
                    f"    {name:30} {scores([r.label for r in dev_rows], decide(final, dev_bars))}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
