"""Command menus per scope: clients see client commands, staff also see theirs."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from surveys.model import Language, Staff

CLIENT_COMMANDS = {
    "start": ("Start or come back", "Начать или вернуться"),
    "lang": ("Change language", "Сменить язык"),
    "stop": ("Stop receiving surveys", "Отписаться от опросов"),
    "help": ("Help", "Помощь"),
}
STAFF_COMMANDS = {
    "accounts": ("List accounts", "Список аккаунтов"),
    "account_add": ("Add an account", "Добавить аккаунт"),
    "owner": ("Set an account's owner", "Назначить владельца"),
    "tier": ("Set an account's tier", "Задать уровень"),
    "invite": ("Invite a contact", "Пригласить контакт"),
    "contacts": ("List an account's contacts", "Контакты аккаунта"),
    "schedule": ("Set or clear a schedule", "Задать или снять расписание"),
    "round": ("Start a round now", "Начать опрос сейчас"),
    "status": ("Round status", "Статус опроса"),
    "alerts": ("Open alerts", "Открытые алерты"),
    "report": ("Summary report; xlsx or csv for a file", "Сводный отчёт; xlsx или csv — файлом"),
    "trend": ("Trend chart", "График динамики"),
    "digest": ("Weekly digest on/off", "Еженедельная сводка вкл/выкл"),
    "staff": ("List staff", "Сотрудники"),
    "staff_add": ("Add staff (admins)", "Добавить сотрудника (админ)"),
}


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
    if person.telegram_user_id is None:
        return
    await bot.set_my_commands(
        _commands({**STAFF_COMMANDS, **CLIENT_COMMANDS}, person.language),
        scope=BotCommandScopeChat(chat_id=person.telegram_user_id),
    )
