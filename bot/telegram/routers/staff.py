"""Staff commands on Telegram: `/name args`, read from the one table in `surveys.commands`.

What is Telegram's own stays here: people are named by their numeric user id, an invite is a
deep link, and answers are sent as text or a monospace block.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, TelegramObject

from bot.telegram.context import TelegramContext, language_of
from bot.telegram.filters import on_loop
from surveys import commands as table
from surveys.census_progress import follow_answer
from surveys.census_staff import FetchFailed, Upload
from surveys.commands import Invitee
from surveys.model import Address, Channel, Language
from surveys.staff import Output
from surveys.texts import spoken_language, t

log = logging.getLogger(__name__)

_SYNTAX = {
    "person": ("<telegram user id>", "<id пользователя Telegram>"),
    "other": ("slack:<user id>", "slack:<id пользователя>"),
    "invitee": ('"<contact name>"', '"<имя контакта>"'),
}


class TelegramPlatform:
    channel = Channel.TELEGRAM
    prefix = "/"

    def __init__(self, ctx: TelegramContext | None = None, bot: Bot | None = None) -> None:
        self.ctx, self.bot = ctx, bot

    def syntax(self, slot: str, lang: Language) -> str:
        return _SYNTAX[slot][1 if lang is Language.RU else 0]

    async def person(self, ref: str) -> Address | None:
        ref = ref.strip()
        return Address(Channel.TELEGRAM, ref) if ref.isdigit() else None

    async def invitee(self, args: list[str], lang: Language) -> tuple[Invitee, list[str]]:
        # Nobody to look up: the contact is named here and joins through a deep link.
        return Invitee(args[0]), args[1:]

    async def staff_added(self, address: Address) -> None:
        if self.ctx is None or self.bot is None or address.channel is not Channel.TELEGRAM:
            return
        # Their role's menu, through the outbox: if Telegram does not know their chat yet
        # (they never started the bot), it is set again when they first write.
        await self.ctx.sync_menu(int(address.address))


PLATFORM = TelegramPlatform()  # for usage and help texts, which need no context
USAGE = {name: command.usage(PLATFORM, Language.EN) for name, command in table.TABLE.items()}


async def staff_command(
    message: Message, command: CommandObject, candor: TelegramContext, bot: Bot
) -> None:
    user = message.from_user
    assert user is not None
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(user.id)))
    lang = actor.language if actor else language_of(user.language_code, candor.default_language)
    try:
        words: list[str] | None = shlex.split(command.args or "")
    except ValueError:  # unbalanced quotes
        words = None
    output = await table.run(
        candor.commands,
        actor,
        lang,
        command.command.lower(),
        words,
        TelegramPlatform(candor, bot),
        f"tg:file:{message.chat.id}:{message.message_id}",
    )
    await send_output(
        candor, message.chat.id, output, lang, f"cmd:{message.chat.id}:{message.message_id}"
    )


async def help_command(message: Message, candor: TelegramContext) -> None:
    await answer_help(message, candor, unknown=None)


async def answer_help(message: Message, candor: TelegramContext, unknown: str | None) -> None:
    """Staff get their commands, a contact the contact's help, anyone else what their
    messages are told (Candor does not know them: ask for an invite), as on Slack; an
    unknown command is named first."""
    user = message.from_user
    assert user is not None
    me = Address(Channel.TELEGRAM, str(user.id))
    actor = await candor.commands.actor(me)
    # A contact reads it in their survey's language, not their app's (as on Slack).
    lang = await candor.language_for(me, actor, user.language_code)
    lines = [t("unknown_command", lang, command=unknown)] if unknown else []
    if actor is not None:
        lines += table.staff_help(actor, PLATFORM)
    else:
        known = await candor.service.contact_language(me) is not None
        lines.append(t("client_help" if known else "unknown_user", lang))
    await candor.reply(
        message.chat.id, "\n".join(lines), lang, f"help:{message.chat.id}:{message.message_id}"
    )


async def send_output(
    ctx: TelegramContext, chat_id: int, output: Output, lang: Language, key: str,
    file_message: int | None = None,
) -> None:  # fmt: skip
    lines = list(output.lines)
    if output.link_token:
        lines.append(ctx.invite_link(output.link_token))
    if output.verbatim is not None:
        lines.append(output.verbatim)  # escaped and split to Telegram's limit when rendered
    extra = None
    if output.confirm_import is not None and file_message is not None:
        # What the preview's Import button needs (see routers.census).
        account, file_id = output.confirm_import
        extra = {"import_confirm": {"account": account, "file": file_id, "message": file_message}}
    if lines:  # one message: the words, then the table under them
        await ctx.reply(
            chat_id, "\n".join(lines), lang, f"{key}:text", table=output.table, extra=extra
        )
    elif output.table:
        await ctx.reply(chat_id, output.table, lang, f"{key}:table", pre=True)
    if await follow_answer(ctx.service, output.census_progress):
        ctx.wake_delivery()  # the progress message, queued behind the answer above


async def names(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """A bootstrap admin is named from their Telegram first and last name when they first
    write (the settings hold only their id)."""
    candor: TelegramContext | None = data.get("candor")
    user = getattr(event, "from_user", None)
    if candor is not None and user is not None and user.id in candor.unnamed_admins:
        candor.unnamed_admins.discard(user.id)
        address = Address(Channel.TELEGRAM, str(user.id))
        await candor.commands.adopt_display_name(address, user.full_name)
    return await handler(event, data)


async def follow_language(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Staff who have not chosen a language with /lang speak their Telegram's (someone else
    added them, in that person's language); their command menu follows."""
    candor: TelegramContext | None = data.get("candor")
    user = getattr(event, "from_user", None)
    if candor is not None and user is not None and not user.is_bot:
        address = Address(Channel.TELEGRAM, str(user.id))
        spoken = spoken_language(user.language_code)
        changed = await candor.onboarding.follow_platform_language(address, spoken)
        if changed is not None:
            await candor.sync_menu(user.id)
    return await handler(event, data)


async def import_document(message: Message, candor: TelegramContext, bot: Bot) -> None:
    """A CSV/XLSX sent with the caption `import <account> [confirm]`: preview or import."""
    user, document = message.from_user, message.document
    assert user is not None and document is not None
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(user.id)))
    lang = actor.language if actor else language_of(user.language_code, candor.default_language)
    try:
        words: list[str] | None = shlex.split((message.caption or "").lstrip("/"))[1:]
    except ValueError:
        words = None

    async def fetch(path: Path) -> None:
        try:
            await bot.download(document, destination=path)
        except TelegramAPIError as exc:  # e.g. over the 20 MB a bot may download
            raise FetchFailed(str(exc)) from exc

    output = await table.run(
        candor.commands, actor, lang, "import", words, TelegramPlatform(candor, bot),
        upload=Upload(document.file_size, fetch, candor.import_max_bytes, document.file_id),
    )  # fmt: skip
    key = f"import:{message.chat.id}:{message.message_id}"
    await send_output(candor, message.chat.id, output, lang, key, message.message_id)


def create_router() -> Router:
    """A fresh router: aiogram lets a router belong to one dispatcher only."""
    router = Router(name="staff")
    router.message.outer_middleware(names)
    router.message.filter(on_loop(F.chat.type == "private"))
    # Before the commands: aiogram's Command filter reads a caption too.
    router.message.register(
        import_document,
        on_loop(F.document),
        on_loop(F.caption.regexp(r"(?i)^/?import(\s|$)")),
    )
    router.message.register(staff_command, Command(*table.TABLE))
    router.message.register(help_command, Command("help"))
    return router
