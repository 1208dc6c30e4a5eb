"""Group chats: nobody is surveyed there; a command gets a pointer to a private chat."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.telegram.context import TelegramContext, language_of
from bot.telegram.filters import on_loop
from surveys.texts import t


async def command_in_group(message: Message, candor: TelegramContext) -> None:
    lang = language_of(
        message.from_user.language_code if message.from_user else None, candor.default_language
    )
    await candor.reply(
        message.chat.id,
        t("group_chat", lang),
        lang,
        f"group:{message.chat.id}:{message.message_id}",
    )


async def ignore_group_chatter(message: Message) -> None:
    """Ordinary group messages are not answers: stay silent, store nothing."""


def create_router() -> Router:
    """A fresh router: aiogram lets a router belong to one dispatcher only."""
    router = Router(name="groups")
    router.message.filter(on_loop(F.chat.type != "private"))
    router.message.register(command_in_group, on_loop(F.text.startswith("/")))
    router.message.register(ignore_group_chatter)
    return router
