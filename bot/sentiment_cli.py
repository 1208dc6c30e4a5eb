"""`candor sentiment` (score text) and `candor rescore` (re-score stored answers)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TextIO

from bot.app import analyser_from_settings
from bot.settings import Settings
from surveys.model import Language, Sentiment
from surveys.questions import COMMENT_KEY, QUESTION_KEYS
from surveys.sentiment import KNOWN_ANALYSERS, SentimentAnalyser

EXIT_USAGE = 2
EXIT_ANALYSER = 3
BATCH = 32  # lines scored per embedding call in --jsonl mode


def add_parser(subparsers: Any) -> None:
    """Add the `sentiment` and `rescore` commands to `candor`'s sub-command parsers."""
    questions = [*QUESTION_KEYS, COMMENT_KEY]
    sentiment = subparsers.add_parser(
        "sentiment",
        help="score a free-form answer: label, confidence and the words that decided it",
        description="Score TEXT with the configured analyser (CANDOR_SENTIMENT_ANALYSER). "
        "With --jsonl, read one text per line from standard input and write one JSON object "
        "per line: text, label, score, evidence (and question, with --question).",
    )
    sentiment.add_argument("text", nargs="?", help="the answer to score")
    sentiment.add_argument("--question", choices=questions, help="the question it answers")
    sentiment.add_argument(
        "--jsonl", action="store_true", help="texts on standard input, JSON lines out"
    )
    sentiment.add_argument(
        "--analyser", choices=KNOWN_ANALYSERS, help="instead of CANDOR_SENTIMENT_ANALYSER"
    )
    rescore = subparsers.add_parser(
        "rescore",
        help="re-score stored answers after an analyser upgrade",
        description="Re-score every stored answer with the configured analyser. Answers "
        "already scored by this analyser version are skipped (so an interrupted run resumes). "
        "Prints the ids of answers that became negative, and of those negative again whose "
        "alert was marked no longer negative (the alert's messages are updated); alerts stay "
        "unique per answer.",
    )
    rescore.add_argument("--analyser", choices=KNOWN_ANALYSERS)
    rescore.add_argument("--force", action="store_true", help="re-score every answer")
    rescore.add_argument("--dry-run", action="store_true", help="report, write nothing")


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run `sentiment` or `rescore` (call outside an event loop; rescore starts its own)."""
    if args.command == "rescore":
        return asyncio.run(run_async(args, settings, stdout=stdout, stderr=stderr))
    return _sentiment(
        args, settings, stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    )


async def run_async(
    args: argparse.Namespace,
    settings: Settings,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    on_negative: Callable[[list[int]], Awaitable[object]] | None = None,
) -> int:
    """The same from inside an event loop; ``on_negative`` gets the answers that became
    negative and those negative again, to raise their alerts or take back "no longer
    negative" (SurveyService.alert_rescored)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    if args.command != "rescore":
        return _sentiment(args, settings, sys.stdin, out, err)
    from bot.app import survey_policy
    from storage.db import create_engine, session_factory
    from storage.repositories import SqlUnitOfWorkFactory
    from surveys.sentiment.rescore import RescoreStats, rescore

    analyser = _load(settings, args.analyser, err)
    if analyser is None:
        return EXIT_ANALYSER
    engine = create_engine(settings.database_url)
    try:
        stats = RescoreStats()
        became = await rescore(
            SqlUnitOfWorkFactory(session_factory(engine)),
            analyser,
            force=args.force,
            dry_run=args.dry_run,
            stats=stats,
            alerting=survey_policy(settings).alerts.raises_alert,
        )
        negative = became + stats.again_ids
        if on_negative is not None and negative and not args.dry_run:
            await on_negative(negative)
    finally:
        await engine.dispose()
    lang = settings.default_language
    said = _SAID[lang]
    print(
        said["summary"].format(
            analyser=f"{analyser.name}/{analyser.version}", scanned=stats.scanned,
            verb=said["would" if args.dry_run else "changed"], changed=stats.changed,
            skipped=stats.skipped, became=stats.became_negative, again=stats.negative_again,
            no_longer=stats.no_longer_negative,
        ),
        file=out,
    )  # fmt: skip
    for key, ids in (("became", became), ("again", stats.again_ids)):
        if ids:
            print(said[key] + " ".join(map(str, ids)), file=out)
    return 0


# The summary of `candor rescore`, in the deployment's language.
_SAID = {
    Language.EN: {
        "summary": "rescored with {analyser}: {scanned} answers, {verb} {changed}, skipped "
        "{skipped} already current; {became} became negative, {again} negative again, "
        "{no_longer} no longer negative",
        "changed": "changed",
        "would": "would change",
        "became": "became negative: ",
        "again": "negative again: ",
    },
    Language.RU: {
        "summary": "перечитано анализатором {analyser}: ответов — {scanned}, {verb} — "
        "{changed}, пропущено уже прочитанных этой версией — {skipped}; стали негативными — "
        "{became}, снова негативные — {again}, больше не негативные — {no_longer}",
        "changed": "изменено",
        "would": "изменилось бы",
        "became": "стали негативными: ",
        "again": "снова негативные: ",
    },
}


def _load(settings: Settings, name: str | None, err: TextIO) -> SentimentAnalyser | None:
    try:
        return analyser_from_settings(settings, name)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"candor: cannot load the sentiment analyser: {exc}", file=err)
        return None


def _sentiment(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, out: TextIO, err: TextIO
) -> int:
    if args.jsonl == (args.text is not None):
        print("candor sentiment: give TEXT, or --jsonl with texts on standard input", file=err)
        return EXIT_USAGE
    analyser = _load(settings, args.analyser, err)
    if analyser is None:
        return EXIT_ANALYSER
    if not args.jsonl:
        result = analyser.analyse(args.text, args.question)
        print(_human(result), file=out)
        return 0
    batch: list[str] = []
    for line in stdin:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= BATCH:
            _write_jsonl(analyser, batch, args.question, out)
            batch = []
    _write_jsonl(analyser, batch, args.question, out)
    return 0


def _score(analyser: SentimentAnalyser, texts: Sequence[str], q: str | None) -> list[Sentiment]:
    many = getattr(analyser, "analyse_many", None)
    if callable(many):
        results: list[Sentiment] = many(list(texts), [q] * len(texts))
        return results
    return [analyser.analyse(t, q) for t in texts]


def _write_jsonl(
    analyser: SentimentAnalyser, texts: Sequence[str], question: str | None, out: TextIO
) -> None:
    for text, result in zip(texts, _score(analyser, texts, question), strict=True):
        record: dict[str, object] = {
            "text": text,
            "label": result.label.value,
            "score": result.score,
            "evidence": result.evidence,
        }
        if question:
            record["question"] = question
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()


def _human(result: Sentiment) -> str:
    evidence = ", ".join(f"«{e}»" for e in result.evidence) or "—"
    return (
        f"{result.label.value} (confidence {result.score:.2f}, {result.analyser})\n"
        f"evidence: {evidence}"
    )
