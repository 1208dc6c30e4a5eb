"""Command menus: each person sees the commands they may use, in their language.

Telegram shows a private chat the menu of the narrowest scope that has one: the chat's own
(``BotCommandScopeChat``), else all private chats' for the user's app language, else all
private chats', else the default scope's (which groups see too). So:

- default scope: nothing — nobody is surveyed in groups (a command there gets a pointer);
- all private chats: someone Candor does not know yet, ``/start`` and ``/help``, in English
  and (``language_code`` ``ru``) Russian;
- a contact's chat: ``/start /lang /stop /help`` in the contact's language;
- a staff member's chat: their role's commands from the one table, then ``/lang`` and
  ``/help``, in their language (a contact who is also staff is staff: never surveyed).

A menu is recorded in the outbox like a message (delivered within the bot's rate limits,
retried, never blocking a contact's questions) and only when it differs from the last one
recorded for that scope: when a role becomes known (an invite opened, a census link, staff
added or linked, a language changed), for staff at start-up, and once per process for a chat
that writes (which catches a role changed outside Candor, or a menu Telegram refused while the
chat did not exist yet).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    TelegramObject,
)

from surveys.commands import staff_menu
from surveys.model import (
    Address,
    Channel,
    Contact,
    Language,
    OutboxStatus,
    OutgoingMessage,
    Staff,
)
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory

MENU_KIND = "menu"
# (EN, RU) menu lines of the commands anyone may type.
CLIENT_COMMANDS = {
    "start": ("Start or come back", "Начать или вернуться"),
    "lang": ("Change language", "Сменить язык"),
    "stop": ("Stop receiving surveys", "Отписаться от опросов"),
    "help": ("Help", "Помощь"),
}
STRANGER_COMMANDS = {
    "start": ("Start with your invite link", "Начать по ссылке-приглашению"),
    "help": ("Help", "Помощь"),
}
STAFF_SELF = {
    "lang": ("Change language", "Сменить язык"),
    "help": ("Your commands", "Ваши команды"),
}
_SEEN_MAX = 50_000  # chats remembered as checked in this process before starting over


@dataclass(frozen=True, slots=True)
class Menu:
    """One setMyCommands call (no commands: deleteMyCommands) and the outbox row it is."""

    scope: dict[str, Any]
    language_code: str | None
    commands: tuple[tuple[str, str], ...]

    @property
    def address(self) -> Address:
        """Where it queues in the outbox: a chat's menu in that chat's line."""
        if self.scope["type"] == "chat":
            return Address(Channel.TELEGRAM, str(self.scope["chat_id"]))
        return Address(Channel.TELEGRAM, f"scope:{self.scope['type']}:{self.language_code or ''}")

    @property
    def digest(self) -> str:
        body = json.dumps([self.scope, self.language_code, self.commands], ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def payload(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "language_code": self.language_code,
            "commands": [list(c) for c in self.commands],
            "digest": self.digest,
        }


def _lines(table: dict[str, tuple[str, str]], lang: Language) -> tuple[tuple[str, str], ...]:
    index = 1 if lang is Language.RU else 0
    return tuple((name, texts[index]) for name, texts in table.items())


def staff_lines(person: Staff) -> tuple[tuple[str, str], ...]:
    """The commands this person's role may run, as /help words them for that role (an
    owner's /census is "Census progress"), then /lang and /help."""
    mine = staff_menu(person.role, person.language)
    return (*mine.items(), *_lines(STAFF_SELF, person.language))


def default_menus() -> list[Menu]:
    menus = [Menu({"type": "default"}, code, ()) for code in (None, Language.RU.value)]
    for lang in Language:
        code = lang.value if lang is Language.RU else None
        scope = {"type": "all_private_chats"}
        menus.append(Menu(scope, code, _lines(STRANGER_COMMANDS, lang)))
    return menus


def chat_menu(chat_id: int, staff: Staff | None, contact: Contact | None) -> Menu:
    """The menu of one private chat; no commands when it needs none of its own."""
    scope = {"type": "chat", "chat_id": chat_id}
    if staff is not None:
        return Menu(scope, None, staff_lines(staff))
    if contact is not None:
        return Menu(scope, None, _lines(CLIENT_COMMANDS, contact.language))
    return Menu(scope, None, ())


def to_bot_commands(payload: dict[str, Any]) -> list[BotCommand]:
    return [BotCommand(command=name, description=text) for name, text in payload["commands"]]


def to_scope(
    scope: dict[str, Any],
) -> BotCommandScopeChat | BotCommandScopeAllPrivateChats | BotCommandScopeDefault:
    if scope["type"] == "chat":
        return BotCommandScopeChat(chat_id=int(scope["chat_id"]))
    if scope["type"] == "all_private_chats":
        return BotCommandScopeAllPrivateChats()
    return BotCommandScopeDefault()


async def record(uow: UnitOfWork, menu: Menu, clock: Clock, *, retry_failed: bool) -> bool:
    """Queue ``menu`` unless it is what was last queued for its scope (a refused one again
    only with ``retry_failed``). The key names the row it follows, so two processes making
    the same change queue it once, and a menu set back to an earlier one is queued again."""
    last = await uow.outbox.latest(menu.address, MENU_KIND)
    if last is None and not menu.commands and menu.scope["type"] == "chat":
        return False  # never had a menu of its own: the scope above already fits
    same = last is not None and last.payload.get("digest") == menu.digest
    if same and not (retry_failed and last is not None and last.status is OutboxStatus.FAILED):
        return False
    key = f"menu:{menu.address.address}:{menu.digest}:{last.id if last else 0}"
    message = OutgoingMessage(
        menu.address, MENU_KIND, menu.payload(), key, next_attempt_at=clock.now()
    )
    return await uow.outbox.enqueue(message) is not None


async def sync_chat(
    uow_factory: UnitOfWorkFactory, clock: Clock, chat_id: int, *, retry_failed: bool = False
) -> bool:
    """Queue this private chat's menu if it changed; whether one was queued."""
    address = Address(Channel.TELEGRAM, str(chat_id))
    async with uow_factory() as uow:
        staff = await uow.staff.by_address(address)
        contact = None if staff else await uow.contacts.by_address(address)
        queued = await record(
            uow, chat_menu(chat_id, staff, contact), clock, retry_failed=retry_failed
        )
        await uow.commit()
    return queued


async def sync_staff(uow_factory: UnitOfWorkFactory, clock: Clock) -> bool:
    """Queue each staff member's chat menu that changed, in one transaction (at start-up,
    so staff have theirs before they first write); whether any was queued."""
    queued = False
    async with uow_factory() as uow:
        for person in await uow.staff.list():
            if person.telegram_user_id is not None:
                menu = chat_menu(person.telegram_user_id, person, None)
                queued = await record(uow, menu, clock, retry_failed=False) or queued
        await uow.commit()
    return queued


async def sync_defaults(uow_factory: UnitOfWorkFactory, clock: Clock) -> bool:
    queued = False
    async with uow_factory() as uow:
        for menu in default_menus():
            queued = await record(uow, menu, clock, retry_failed=True) or queued
        await uow.commit()
    return queued


class FirstSight:
    """A message middleware: a private chat's menu is checked after its first update in
    this process (not on every message)."""

    def __init__(self) -> None:
        self.seen: set[int] = set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        chat = getattr(event, "chat", None)
        candor = data.get("candor")
        if chat is None or chat.type != "private" or candor is None or chat.id in self.seen:
            return result
        if len(self.seen) >= _SEEN_MAX:
            self.seen.clear()
        self.seen.add(chat.id)
        await candor.sync_menu(chat.id, retry_failed=True)
        return result
