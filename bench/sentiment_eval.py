"""Sentiment benchmark: quality on each evaluation set, and cost on one core.

    .venv/bin/python -m bench.sentiment_eval [--analyser default|baseline|hf|openai]
        [--eval FILE ...] [--dev-dir DIR]

Pins itself to one core (CPU 0) and one OpenMP thread before any engine loads, then prints,
for each set: negative precision/recall, negative-vs-rest macro-F1 and the share of neutral
texts flagged negative (overall, per language, per question), the confusion matrix and
calibration; then, on the first set, answers/second, p50/p99 latency, load time, memory and
the install size the backend adds.

The sets: our two in-domain evaluation sets, the public human-written development sets in
bench/data/public/, and any JSONL in --dev-dir (public sets whose licence does not let the
project ship them; tools/public_sentiment_data.py builds them). None is trained or tuned on
(the public development sets come from other splits or sources than the training texts).
"""

from __future__ import annotations

import os

# Before numpy or the embedding engine start their thread pools.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.install_size import DEFAULT_ANALYSER_FILES, added_size
from bench.metrics import (
    LABELS,
    Row,
    confusion,
    expected_calibration_error,
    load_jsonl,
    neg_scores,
)
from bot.settings import Settings
from surveys.model import Sentiment
from surveys.sentiment import KNOWN_ANALYSERS, SentimentAnalyser, make_analyser

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "bench/data/sentiment_eval.jsonl"
EVAL_AUTHORS = ROOT / "bench/data/sentiment_eval_authors.jsonl"
PUBLIC_DEV = tuple(sorted((ROOT / "bench/data/public").glob("*.jsonl")))
DEV_DIR = Path(os.environ.get("CANDOR_SENTIMENT_DEV_DIR", "/work/cache11/dev"))
# What each backend brings on top of the rest of the project, by distribution name; the
# default analyser's own files (e5 weights, compiled engine, head) are measured as installed.
BACKEND_DISTS = {
    "default": ["pymorphy3", DEFAULT_ANALYSER_FILES],
    "baseline": [],
    "hf": ["transformers", "torch", "pymorphy3", DEFAULT_ANALYSER_FILES],
    "openai": ["pymorphy3", DEFAULT_ANALYSER_FILES],  # its fallback is the default analyser
}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return f"CPU {min(os.sched_getaffinity(0))}"
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return "not pinned"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def score_all(
    analyser: SentimentAnalyser, rows: Sequence[Row]
) -> tuple[list[Sentiment], list[float], list[float]]:
    """One answer at a time, as the bot scores them: results, wall and CPU seconds each."""
    results, wall, cpu = [], [], []
    for row in rows:
        w0, c0 = time.perf_counter(), time.thread_time()
        results.append(analyser.analyse(row.text, row.question))
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return results, wall, cpu


def batch_rate(analyser: SentimentAnalyser, rows: Sequence[Row], size: int = 32) -> float:
    many: Callable[..., list[Sentiment]] | None = getattr(analyser, "analyse_many", None)
    if many is None:
        return float("nan")
    t0 = time.perf_counter()
    for i in range(0, len(rows), size):
        chunk = rows[i : i + size]
        many([r.text for r in chunk], [r.question for r in chunk])
    return len(rows) / (time.perf_counter() - t0)


def neutral_flagged(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of neutral texts read as negative: the false alarms an owner would get."""
    flags = [p == "negative" for g, p in zip(gold, pred, strict=True) if g == "neutral"]
    return sum(flags) / len(flags) if flags else float("nan")


def table(title: str, groups: dict[str, tuple[list[str], list[str]]]) -> list[str]:
    lines = [
        f"{title:<14} {'n':>5} {'negP':>6} {'negR':>6} {'negF1':>6} {'macroF1':>8} {'acc3':>6} "
        f"{'neu→neg':>8}"
    ]
    for key, (gold, pred) in groups.items():
        s = neg_scores(gold, pred)
        lines.append(
            f"{key:<14} {s.n:>5} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1_negative:>6.3f} "
            f"{s.macro_f1:>8.3f} {s.accuracy3:>6.3f} {neutral_flagged(gold, pred):>8.3f}"
        )
    return lines


def report(rows: Sequence[Row], results: Sequence[Sentiment], threshold: float) -> list[str]:
    gold = [r.label for r in rows]
    pred = [s.label.value for s in results]
    by_lang: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    by_q: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for row, p in zip(rows, pred, strict=True):
        for groups, key in ((by_lang, row.lang or "?"), (by_q, row.question or "none")):
            groups[key][0].append(row.label)
            groups[key][1].append(p)
    out = table("ALL", {"all": (gold, pred)})
    out += ["", *table("by language", dict(sorted(by_lang.items())))]
    if len(by_q) > 1:
        out += ["", *table("by question", dict(sorted(by_q.items())))]
    m = confusion(gold, pred)
    out += ["", "confusion (rows gold, columns predicted)"]
    out.append(f"{'':>10}" + "".join(f"{label:>10}" for label in LABELS))
    out += [f"{g:>10}" + "".join(f"{c:>10}" for c in row) for g, row in zip(LABELS, m, strict=True)]
    alert = ["negative" if s.label.value == "negative" and s.score >= threshold else "rest"
             for s in results]  # fmt: skip
    a = neg_scores(gold, alert)
    ece = expected_calibration_error(
        [s.score for s in results], [g == p for g, p in zip(gold, pred, strict=True)]
    )
    out += [
        "",
        f"alerts at threshold {threshold:g} (negative and score >= threshold): "
        f"precision {a.precision:.3f}, recall {a.recall:.3f}",
        f"calibration: expected calibration error of the label's score {ece:.3f}",
    ]
    return out


def eval_sets(chosen: Sequence[Path] | None, dev_dir: Path | None) -> list[Path]:
    if chosen:
        return list(chosen)
    local = sorted(dev_dir.glob("*.jsonl")) if dev_dir and dev_dir.is_dir() else []
    return [EVAL, EVAL_AUTHORS, *PUBLIC_DEV, *local]


def summary(name: str, rows: Sequence[Row], results: Sequence[Sentiment]) -> dict[str, object]:
    gold = [r.label for r in rows]
    pred = [x.label.value for x in results]
    s = neg_scores(gold, pred)
    out: dict[str, object] = {
        "set": name,
        "n": len(rows),
        "neg_precision": round(s.precision, 3),
        "neg_recall": round(s.recall, 3),
        "neg_vs_rest_macro_f1": round(s.macro_f1, 3),
        "neutral_flagged": round(neutral_flagged(gold, pred), 3),
        "accuracy3": round(s.accuracy3, 3),
    }
    for lang in sorted({r.lang for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.lang == lang]
        g, p = [gold[i] for i in idx], [pred[i] for i in idx]
        out[f"macro_f1_{lang or '?'}"] = round(neg_scores(g, p).macro_f1, 3)
        out[f"neutral_flagged_{lang or '?'}"] = round(neutral_flagged(g, p), 3)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sentiment benchmark on the evaluation sets.")
    parser.add_argument("--eval", type=Path, nargs="+", help="JSONL sets (default: all)")
    parser.add_argument(
        "--dev-dir", type=Path, default=DEV_DIR,
        help="also every JSONL here (default $CANDOR_SENTIMENT_DEV_DIR or /work/cache11/dev)",
    )  # fmt: skip
    parser.add_argument("--analyser", choices=KNOWN_ANALYSERS, default="default")
    parser.add_argument("--model-dir", help="for --analyser hf")
    parser.add_argument("--url", help="for --analyser openai")
    parser.add_argument("--model", help="for --analyser openai")
    parser.add_argument(
        "--threshold",
        type=float,
        default=Settings.model_fields["alert_threshold"].default,
        help="alert threshold (default: CANDOR_ALERT_THRESHOLD's default)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    parser.add_argument("--no-cost", action="store_true", help="quality only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    pinned = "not pinned" if args.no_pin else pin_one_core()
    sets = eval_sets(args.eval, args.dev_dir)
    rss0 = rss_mb()
    t0 = time.perf_counter()
    options = {"model_dir": args.model_dir, "url": args.url, "model": args.model}
    analyser = make_analyser(args.analyser, **options)
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    analyser.analyse("warm-up", "outcome")
    figures: dict[str, object] = {"analyser": f"{analyser.name}/{analyser.version}", "sets": []}
    overview = []
    first: tuple[list[Row], list[float], list[float]] | None = None
    for path in sets:
        rows = load_jsonl(path)
        results, wall, cpu = score_all(analyser, rows)
        first = first or (rows, wall, cpu)
        print(f"analyser {analyser.name}/{analyser.version} on {path.name}: {len(rows)} texts")
        print("\n".join(["", *report(rows, results, args.threshold), "", ""]))
        summ = summary(path.name, rows, results)
        figures["sets"].append(summ)  # type: ignore[attr-defined]
        overview.append(summ)
    print(
        f"{'set':<34} {'n':>5} {'negP':>6} {'negR':>6} {'macroF1':>8} {'neu→neg':>8}  per language"
    )
    for o in overview:
        langs = " ".join(
            f"{k[9:]} {v:.3f}/{o.get('neutral_flagged_' + k[9:], float('nan')):.2f}"
            for k, v in o.items()
            if k.startswith("macro_f1_")
        )
        print(
            f"{o['set']:<34} {o['n']:>5} {o['neg_precision']:>6.3f} {o['neg_recall']:>6.3f} "
            f"{o['neg_vs_rest_macro_f1']:>8.3f} {o['neutral_flagged']:>8.3f}  {langs}"
        )
    print("  (per language: macro-F1 / share of neutral texts flagged negative)")
    if not args.no_cost and first is not None:
        rows, wall, cpu = first
        rate = batch_rate(analyser, rows)
        size = added_size(BACKEND_DISTS[args.analyser])
        lines = [
            "",
            f"cost on {sets[0].name} ({pinned}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}):",
            f"  load {load_s:.2f} s; RSS {rss_loaded:.0f} MB after load "
            f"(+{rss_loaded - rss0:.0f} MB), {rss_mb():.0f} MB after the run",
            f"  one at a time: {len(rows) / sum(wall):.1f} answers/s; latency p50 "
            f"{percentile(wall, 0.5) * 1e3:.1f} ms, p99 {percentile(wall, 0.99) * 1e3:.1f} ms, "
            f"max {max(wall) * 1e3:.1f} ms (CPU time p50 {percentile(cpu, 0.5) * 1e3:.1f} ms, "
            f"p99 {percentile(cpu, 0.99) * 1e3:.1f} ms)",
            f"  batched (32): {rate:.1f} answers/s" if rate == rate else "  batched: no batch API",
            f"  install size added: {size.total_mb:.0f} MB ({size.describe()})",
        ]
        print("\n".join(lines))
        figures.update(
            load_s=load_s,
            p50_ms=percentile(wall, 0.5) * 1e3,
            p99_ms=percentile(wall, 0.99) * 1e3,
            batch_per_s=rate,
            install_mb=size.total_mb,
            rss_mb=rss_loaded,
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
