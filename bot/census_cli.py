"""`candor import contacts`, `candor invites export` and `candor census link|revoke`."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from bot.telegram.links import start_link
from storage import migrate
from storage.db import create_engine, session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.census import Census
from surveys.contact_import import ContactImport, ImportError_
from surveys.onboarding import Onboarding
from surveys.ports import SystemClock
from surveys.sentiment import make_analyser
from surveys.service import SurveyService

EXIT_INPUT = 1


def add_parsers(subparsers: Any) -> None:
    imp = subparsers.add_parser(
        "import",
        help="import an account's contacts from a CSV or XLSX file (preview with --dry-run)",
        description="Add and update contacts of an account from a CSV (UTF-8 or Windows-1251, "
        "comma or semicolon) or XLSX file with a header row: name, email, telegram, slack, "
        "level, language, external id, tickets / last ticket (English or Russian names, any "
        "order). Never deletes; re-importing the same file changes nothing; all or nothing.",
    )
    what = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    contacts = what.add_parser("contacts", help="contacts of one account")
    contacts.add_argument("file", type=Path)
    contacts.add_argument("--account", required=True, help="the account's name")
    contacts.add_argument("--dry-run", action="store_true", help="preview only; write nothing")

    inv = subparsers.add_parser("invites", help="personal Telegram deep links")
    inv_what = inv.add_subparsers(dest="what", required=True, metavar="WHAT")
    export = inv_what.add_parser(
        "export",
        help="write a CSV of personal deep links for the account's contacts not yet bound",
        description="One fresh one-time link per contact without a chat, for the client's own "
        "mailing. Needs CANDOR_TELEGRAM_BOT_USERNAME.",
    )
    export.add_argument("--account", required=True)
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")

    census = subparsers.add_parser(
        "census",
        help="census links of an account; bind its contacts on Slack by e-mail",
        description="link: a new account-wide census link for Telegram; revoke: withdraw "
        "them all; slack-bind: find the account's contacts that have an e-mail but no chat "
        "in the Slack workspace (users.lookupByEmail, within its rate tier) and bind them. "
        "slack-bind may be stopped and run again: it carries on with those still unbound.",
    )
    census.add_argument("action", choices=["link", "revoke", "slack-bind"])
    census.add_argument("--account", required=True)


async def run(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine))
        clock = SystemClock()
        lang = settings.default_language
        if args.command == "import":
            importer = ContactImport(uow, clock, settings.import_max_bytes)
            try:
                name, preview = await importer.run(args.account, args.file, write=not args.dry_run)
            except ImportError_ as exc:
                print(f"candor: {exc.text(lang)}", file=sys.stderr)
                return EXIT_INPUT
            except LookupError:
                print(f"candor: no account {args.account!r}", file=sys.stderr)
                return EXIT_INPUT
            print(preview.render(lang, name), file=out)
            return 0
        async with uow() as u:
            account = await u.accounts.by_name(args.account)
        if account is None:
            print(f"candor: no account {args.account!r}", file=sys.stderr)
            return EXIT_INPUT
        if args.command == "census" and args.action == "slack-bind":
            return await _slack_bind(settings, uow, clock, account.id, out)
        bot = settings.telegram_bot_username.lstrip("@")
        if not bot:
            print("candor: set CANDOR_TELEGRAM_BOT_USERNAME to build t.me links", file=sys.stderr)
            return EXIT_INPUT
        service = SurveyService(uow, clock, make_analyser("baseline"))  # type: ignore[arg-type]
        if args.command == "census":
            census = Census(service)
            if args.action == "revoke":
                print(f"revoked {await census.revoke_links(account.id)} link(s)", file=out)
            else:
                token = await census.create_link(account.id)
                print(start_link(bot, token), file=out)
            return 0
        # invites export
        onboarding = Onboarding(uow, clock, settings.company_name, lang, service=service)
        target = args.out.open("w", newline="", encoding="utf-8") if args.out else out
        try:
            writer = csv.writer(target)
            writer.writerow(["name", "email", "external id", "link"])
            async with uow() as u:
                for contact in await u.contacts.for_account(account.id):
                    if contact.reachable_at is not None:
                        continue
                    token = await onboarding.create_invite(u, contact.id, None)
                    writer.writerow([contact.name, contact.email or "", contact.external_id or "",
                                     start_link(bot, token)])  # fmt: skip
                await u.commit()
        finally:
            if args.out:
                target.close()
        return 0
    finally:
        await engine.dispose()


async def _slack_bind(
    settings: Settings, uow: SqlUnitOfWorkFactory, clock: SystemClock, account_id: int,
    out: TextIO,
) -> int:  # fmt: skip
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.directory import SlackDirectory
    from surveys.census import BindReport
    from surveys.model import Channel

    if not settings.slack_bot_token:
        print("candor: set SLACK_BOT_TOKEN to look people up on Slack", file=sys.stderr)
        return EXIT_INPUT
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    from bot.app import survey_policy

    # The configured policy: a census's answer window (expiry) and the company its
    # invitation names are those `candor run` uses.
    service = SurveyService(uow, clock, make_analyser("baseline"), survey_policy(settings))  # type: ignore[arg-type]
    census = Census(service)

    def outcome(report: BindReport) -> str:
        staff = f", {report.staff} staff (not surveyed)" if report.staff else ""
        # Bound while the census is open: asked now (their question waits in the outbox
        # for `candor run` to deliver). After it closed: bound only, and not said otherwise.
        asked = f" ({report.asked} asked in the open census)" if report.asked else ""
        return f"{report.bound} bound{asked}, {report.not_found} not in the workspace{staff}"

    async def progress(report: BindReport) -> None:
        print(f"{report.tried}/{report.total} looked up: {outcome(report)}", file=out, flush=True)

    report = await census.bind_by_email(account_id, SlackDirectory(client), Channel.SLACK, progress)
    print(f"done: {outcome(report)}", file=out)
    return 0
