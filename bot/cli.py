"""The `candor` command line: run, demo, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from bot import census_cli, report_cli, sentiment_cli
from bot.settings import Settings, SettingsError, load_settings
from surveys.model import Language

EXIT_CONFIG = 2

NO_PLATFORM = (
    "candor: no chat platform is configured, so there is nobody to talk to.\n"
    "  Set TELEGRAM_BOT_TOKEN (Telegram) and/or SLACK_BOT_TOKEN (Slack) in the environment\n"
    "  or in .env (see .env.example), or use the terminal instead:\n"
    "    candor run --console   # the bot's full loop, you type as the console contact\n"
    "    candor demo            # a guided round with a seeded demo account"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="candor",
        description="Candor collects honest client feedback over Telegram and Slack.",
        epilog="Settings come from the environment and .env; see .env.example.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the configured transports, the scheduler and delivery",
        description="Run Candor: platform transports, the round scheduler and the delivery "
        "worker in one process. Migrates the database first.",
    )
    run.add_argument(
        "--console",
        action="store_true",
        help="use the terminal as the transport: lines you type come from the console contact",
    )
    run.add_argument(
        "--as",
        dest="as_address",
        default="client",
        metavar="NAME",
        help="console address you type as (default: client, the demo contact)",
    )

    demo = commands.add_parser(
        "demo",
        help="run one whole round in the terminal, no tokens needed",
        description="Seed a demo account, open a round and answer it as the client; shows the "
        "alert the account owner receives and the round's summary table. Answers may be "
        "typed or piped on standard input, one per line.",
    )
    demo.add_argument(
        "--lang", choices=[lang.value for lang in Language], help="language of the demo"
    )
    demo.add_argument(
        "--census",
        action="store_true",
        help="a small census instead: the sample CSV imported, you join by the census link",
    )

    sentiment_cli.add_parser(commands)
    report_cli.add_parser(commands)
    census_cli.add_parsers(commands)

    commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply Alembic migrations to CANDOR_DATABASE_URL (run also happens on start).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`candor sentiment --jsonl … | head -1`): stop quietly, as
        # Unix tools do, and let nothing flush into the closed pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"candor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.log_level if args.command in ("run", "migrate") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Routine chatter of libraries stays out of the operator's log.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # a line per update
    if args.command == "sentiment":
        return sentiment_cli.run(args, settings)
    try:
        return asyncio.run(_dispatch(args, settings))
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        from storage import migrate
        from storage.db import create_engine

        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
            print(f"database at revision {await migrate.current_revision(engine)}")
        finally:
            await engine.dispose()
        return 0
    if args.command == "report":
        return await report_cli.run(args, settings)
    if args.command in ("import", "invites", "census"):
        return await census_cli.run(args, settings)
    if args.command == "rescore":
        from bot.app import App

        app = await App.create(settings, {})
        try:
            return await sentiment_cli.run_async(
                args, settings, on_negative=app.service.alert_rescored
            )
        finally:
            await app.close()
    if args.command == "demo":
        from bot.console.demo import run_demo

        lang = Language(args.lang) if args.lang else settings.default_language
        return await run_demo(
            settings, sys.stdin, sys.stdout, lang=lang, interactive=sys.stdin.isatty(),
            census=args.census,
        )  # fmt: skip
    # run
    if args.console:
        from bot.console.run import run_console

        return await run_console(settings, sys.stdin, sys.stdout, args.as_address)
    if not settings.has_platform:
        print(NO_PLATFORM, file=sys.stderr)
        return EXIT_CONFIG
    from bot.run import run_platforms

    return await run_platforms(settings)


if __name__ == "__main__":
    raise SystemExit(main())
