"""Sentiment benchmark: quality on the eval set, and cost on one core.

    .venv/bin/python -m bench.sentiment_eval [--analyser default|baseline|hf|openai]

Pins itself to one core (CPU 0) and one OpenMP thread before any engine loads, then prints
negative precision/recall, negative-vs-rest macro-F1 (overall, per language, per question),
the confusion matrix, calibration, answers/second, p50/p99 latency, load time, memory and
the install size the backend adds. The eval set is never used for training or tuning.
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


def table(title: str, groups: dict[str, tuple[list[str], list[str]]]) -> list[str]:
    lines = [
        f"{title:<14} {'n':>5} {'negP':>6} {'negR':>6} {'negF1':>6} {'macroF1':>8} {'acc3':>6}"
    ]
    for key, (gold, pred) in groups.items():
        s = neg_scores(gold, pred)
        lines.append(
            f"{key:<14} {s.n:>5} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1_negative:>6.3f} "
            f"{s.macro_f1:>8.3f} {s.accuracy3:>6.3f}"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sentiment benchmark on the eval set.")
    parser.add_argument("--eval", type=Path, default=EVAL)
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
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    pinned = "not pinned" if args.no_pin else pin_one_core()
    rows = load_jsonl(args.eval)
    rss0 = rss_mb()
    t0 = time.perf_counter()
    options = {"model_dir": args.model_dir, "url": args.url, "model": args.model}
    analyser = make_analyser(args.analyser, **options)
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    analyser.analyse("warm-up", "outcome")
    results, wall, cpu = score_all(analyser, rows)
    rate = batch_rate(analyser, rows)
    size = added_size(BACKEND_DISTS[args.analyser])

    lines = [
        f"analyser {analyser.name}/{analyser.version} on {args.eval.name}: {len(rows)} answers",
        "",
        *report(rows, results, args.threshold),
        "",
        f"cost ({pinned}, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}):",
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
    if args.json:
        s = neg_scores([r.label for r in rows], [x.label.value for x in results])
        args.json.write_text(
            json.dumps(
                {
                    "analyser": f"{analyser.name}/{analyser.version}",
                    "n": len(rows),
                    "neg_precision": s.precision,
                    "neg_recall": s.recall,
                    "neg_vs_rest_macro_f1": s.macro_f1,
                    "accuracy3": s.accuracy3,
                    "load_s": load_s,
                    "p50_ms": percentile(wall, 0.5) * 1e3,
                    "p99_ms": percentile(wall, 0.99) * 1e3,
                    "batch_per_s": rate,
                    "install_mb": size.total_mb,
                    "rss_mb": rss_loaded,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
