"""Staff commands. A person who is not staff gets one polite line and learns nothing."""

from __future__ import annotations

import shlex
from collections.abc import Awaitable, Callable

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.telegram.context import TelegramContext, language_of
from bot.telegram.menus import STAFF_COMMANDS, set_staff_menu
from surveys.model import Address, Channel, Language, Staff, StaffRole
from surveys.reporting.files import parse_report_args
from surveys.staff import (
    READERS,
    WRITERS,
    AccountOptions,
    Output,
    StaffCommands,
    StaffError,
    say,
    split_period,
)
from surveys.texts import t

USAGE = {
    "accounts": "/accounts",
    "account_add": "/account_add <name> [tier] [en|ru] [time zone]",
    "owner": "/owner <account> <staff id or name>",
    "tier": "/tier <account> <tier>",
    "invite": "/invite <account> <contact name> [stakeholder|user] [en|ru]",
    "contacts": "/contacts <account>",
    "schedule": (
        "/schedule <account> sprint <weeks> <YYYY-MM-DD> | quarterly | half-yearly"
        " | cron <m h dom mon dow> | manual | off"
    ),
    "round": "/round <account> | due",
    "status": "/status <account>",
    "alerts": "/alerts",
    "report": "/report <account>|all [2026 | 2026-11 | 2026-Q3 | 2026-H1] [xlsx | csv | csv;]",
    "trend": "/trend <account>|all [period]",
    "digest": "/digest on [time zone] | off",
    "staff": "/staff",
    "staff_add": "/staff_add <admin|manager|owner> <telegram user id> <name>",
}
Handler = Callable[
    [StaffCommands, Staff, list[str], Message, TelegramContext, Bot], Awaitable[Output]
]


class Usage(Exception):
    pass


def _need(args: list[str], at_least: int) -> None:
    if len(args) < at_least:
        raise Usage


async def _accounts(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    return await c.list_accounts(actor)


async def _account_add(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 1)
    lang = None
    if len(args) > 2:
        if args[2].lower() not in ("en", "ru"):
            raise StaffError(say("bad_lang", actor.language))
        lang = Language(args[2].lower())
    options = AccountOptions(
        tier=args[1] if len(args) > 1 else "standard",
        language=lang,
        timezone=args[3] if len(args) > 3 else None,
    )
    return await c.add_account(actor, args[0], options)


async def _owner(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 2)
    return await c.set_owner(actor, args[0], " ".join(args[1:]))


async def _tier(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 2)
    return await c.set_tier(actor, args[0], " ".join(args[1:]))


async def _invite(
    c: StaffCommands, actor: Staff, args: list[str], _m: Message, ctx: TelegramContext, _b: Bot
) -> Output:
    _need(args, 2)
    level = args[2] if len(args) > 2 else "stakeholder"
    language = args[3] if len(args) > 3 else None
    output = await c.invite(actor, args[0], args[1], level, language)
    if output.link_token:
        output.lines.append(ctx.invite_link(output.link_token))
    return output


async def _contacts(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 1)
    return await c.list_contacts(actor, " ".join(args))


async def _schedule(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 2)
    return await c.set_schedule(actor, args[0], args[1:])


async def _round(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 1)
    return await c.start_round(actor, " ".join(args))


async def _status(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    _need(args, 1)
    return await c.status(actor, " ".join(args))


async def _alerts(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    return await c.open_alerts(actor)


async def _report(
    c: StaffCommands, actor: Staff, args: list[str], m: Message, ctx: TelegramContext, _b: Bot
) -> Output:
    _need(args, 1)
    if parse_report_args(args) is not None:  # a trailing xlsx / csv asks for the file
        to, key = ctx.address(m.chat.id), f"tg:file:{m.chat.id}:{m.message_id}"
        return await c.reports.report_command(actor, to, args, key)
    return await c.report(actor, *split_period(args))


async def _trend(
    c: StaffCommands, actor: Staff, args: list[str], m: Message, ctx: TelegramContext, _b: Bot
) -> Output:
    _need(args, 1)
    to, key = ctx.address(m.chat.id), f"tg:file:{m.chat.id}:{m.message_id}"
    return await c.reports.trend_command(actor, to, args, key)


async def _digest(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    return await c.digest.command(actor, args)


async def _staff(c: StaffCommands, actor: Staff, args: list[str], *_: object) -> Output:
    return await c.list_staff(actor)


async def _staff_add(
    c: StaffCommands, actor: Staff, args: list[str], _m: Message, _c: TelegramContext, bot: Bot
) -> Output:
    _need(args, 3)
    if not args[1].isdigit():
        raise Usage
    address = Address(Channel.TELEGRAM, args[1])
    output = await c.add_staff(actor, args[0], " ".join(args[2:]), address, None)
    person = await c.actor(address)
    if person is not None:
        await set_staff_menu(bot, person)
    return output


# command -> (who may run it, handler)
COMMANDS: dict[str, tuple[frozenset[StaffRole], Handler]] = {
    "accounts": (READERS, _accounts),
    "account_add": (WRITERS, _account_add),
    "owner": (WRITERS, _owner),
    "tier": (WRITERS, _tier),
    "invite": (WRITERS, _invite),
    "contacts": (READERS, _contacts),
    "schedule": (WRITERS, _schedule),
    "round": (WRITERS, _round),
    "status": (READERS, _status),
    "alerts": (READERS, _alerts),
    "report": (READERS, _report),
    "trend": (READERS, _trend),
    "digest": (READERS, _digest),
    "staff": (WRITERS, _staff),
    "staff_add": (frozenset({StaffRole.ADMIN}), _staff_add),
}
assert set(COMMANDS) == set(STAFF_COMMANDS) == set(USAGE)


async def staff_command(
    message: Message, command: CommandObject, candor: TelegramContext, bot: Bot
) -> None:
    user = message.from_user
    assert user is not None
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(user.id)))
    lang = actor.language if actor else language_of(user.language_code, candor.default_language)
    name = command.command.lower()
    roles, handler = COMMANDS[name]
    key = f"cmd:{message.chat.id}:{message.message_id}"
    try:
        actor = StaffCommands.require(actor, roles, lang)
        args = shlex.split(command.args or "")
        output = await handler(candor.commands, actor, args, message, candor, bot)
    except StaffError as exc:
        output = Output([str(exc)])
    except (Usage, ValueError):  # ValueError: unbalanced quotes in the arguments
        output = Output([USAGE[name]])
    await send_output(candor, message.chat.id, output, lang, key)


async def help_command(message: Message, candor: TelegramContext) -> None:
    user = message.from_user
    assert user is not None
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(user.id)))
    lang = actor.language if actor else language_of(user.language_code, candor.default_language)
    lines = [t("client_help", lang)]
    if actor is not None:
        lines += ["", *USAGE.values()]
    await candor.reply(
        message.chat.id, "\n".join(lines), lang, f"help:{message.chat.id}:{message.message_id}"
    )


async def send_output(
    ctx: TelegramContext, chat_id: int, output: Output, lang: Language, key: str
) -> None:
    if output.lines:
        await ctx.reply(chat_id, "\n".join(output.lines), lang, f"{key}:text")
    if output.table:
        await ctx.reply(chat_id, output.table, lang, f"{key}:table", pre=True)


def create_router() -> Router:
    """A fresh router: aiogram lets a router belong to one dispatcher only."""
    router = Router(name="staff")
    router.message.filter(F.chat.type == "private")
    router.message.register(staff_command, Command(*COMMANDS))
    router.message.register(help_command, Command("help"))
    return router
