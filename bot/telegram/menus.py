"""Command menus per scope: clients see client commands, staff also see theirs."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from surveys.commands import TABLE, staff_menu
from surveys.model import Language, Staff

CLIENT_COMMANDS = {
    "start": ("Start or come back", "Начать или вернуться"),
    "lang": ("Change language", "Сменить язык"),
    "stop": ("Stop receiving surveys", "Отписаться от опросов"),
    "help": ("Help", "Помощь"),
}
STAFF_COMMANDS = {name: command.summary for name, command in TABLE.items()}


def _commands(table: dict[str, tuple[str, str]], lang: Language) -> list[BotCommand]:
    index = 1 if lang is Language.RU else 0
    return [BotCommand(command=name, description=texts[index]) for name, texts in table.items()]


async def set_default_menus(bot: Bot) -> None:
    for lang in Language:
        await bot.set_my_commands(
            _commands(CLIENT_COMMANDS, lang),
            scope=BotCommandScopeDefault(),
            language_code=lang.value if lang is Language.RU else None,
        )


async def set_staff_menu(bot: Bot, person: Staff) -> None:
    """The commands this person's role may run (as /help lists them), then the client's."""
    if person.telegram_user_id is None:
        return
    lang = person.language
    mine = [BotCommand(command=name, description=text)
            for name, text in staff_menu(person.role, lang).items()]  # fmt: skip
    await bot.set_my_commands(
        [*mine, *_commands(CLIENT_COMMANDS, lang)],
        scope=BotCommandScopeChat(chat_id=person.telegram_user_id),
    )
