"""`candor report`: the same XLSX / CSV / PNG as the chat commands, written to a file.

For cron jobs and shared folders. The command line is the operator's: it sees every
account (whoever can run it can read the database anyway).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import Settings
from surveys.model import Document, Language
from surveys.reporting.files import ReportRequest
from surveys.staff import StaffError


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = commands.add_parser(
        "report",
        help="write the SLA summary (XLSX/CSV) or a trend chart (PNG) to a file",
        description="Write an account's (or all accounts') report to a file: XLSX with a "
        "summary sheet and a sheet per round, CSV with one row per answer, or with --chart "
        "a PNG trend (one account) or portfolio heat map (all).",
    )
    report.add_argument("account", help="account name or #id, or 'all'")
    report.add_argument("period", nargs="?", help="2026, 2026-11, 2026-Q3 or 2026-H1")
    report.add_argument("--format", choices=("xlsx", "csv"), default="xlsx", dest="fmt")
    report.add_argument(
        "--delimiter", choices=(",", ";"), default=",", help="CSV delimiter (default ,)"
    )
    report.add_argument("--chart", action="store_true", help="a PNG trend chart instead")
    report.add_argument("--lang", choices=[lang.value for lang in Language], help="headers")
    report.add_argument(
        "-o", "--output", type=Path, help="file or directory to write (default: here)"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import App

    app = await App.create(settings, {})
    lang = Language(args.lang) if args.lang else settings.default_language
    reports = app.commands.reports
    try:
        if args.chart:
            document = await reports.chart(None, args.account, args.period, lang)
        else:
            request = ReportRequest(args.account, args.period, args.fmt, args.delimiter)
            document = await reports.build(None, request, lang)
    except StaffError as exc:
        print(f"candor report: {exc}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    print(_write(document, args.output))
    return 0


def _write(document: Document, output: Path | None) -> str:
    target = output or Path.cwd()
    if target.is_dir():
        target = target / document.filename
    target.write_bytes(document.data)
    return f"{target} ({len(document.data)} bytes)"
