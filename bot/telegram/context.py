"""What every Telegram handler needs, injected by the Dispatcher as ``candor``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.telegram import menus
from bot.telegram.callbacks import Signer
from bot.telegram.links import start_link
from surveys.contact_import import MAX_BYTES
from surveys.model import Address, Channel, Language, Staff
from surveys.onboarding import Onboarding
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from surveys.texts import language_of

__all__ = ["TelegramContext", "language_of"]


@dataclass
class TelegramContext:
    service: SurveyService
    onboarding: Onboarding
    commands: StaffCommands
    signer: Signer
    default_language: Language
    wake_delivery: Callable[[], None]
    bot_username: str = ""
    import_max_bytes: int = MAX_BYTES  # CANDOR_IMPORT_MAX_BYTES: a file to import, at most
    # Bootstrap admins whose Telegram name we have not seen yet (see routers.staff.names).
    unnamed_admins: set[int] = field(default_factory=set)

    @staticmethod
    def address(chat_id: int) -> Address:
        return Address(Channel.TELEGRAM, str(chat_id))

    async def language_for(
        self, chat: Address, actor: Staff | None, language_code: str | None
    ) -> Language:
        """The language to answer a person in: staff their own, a contact the one their
        survey speaks, anyone else their app's (``language_code``), else the default. As
        SlackContext.language_for."""
        if actor is not None:
            return actor.language
        if (spoken := await self.service.contact_language(chat)) is not None:
            return spoken
        return language_of(language_code, self.default_language)

    async def sync_menu(self, chat_id: int, *, retry_failed: bool = False) -> None:
        """Queue the chat's command menu if who they are (or their language) changed it."""
        service = self.service
        queued = await menus.sync_chat(
            service.uow, service.clock, chat_id, retry_failed=retry_failed
        )
        if queued:
            self.wake_delivery()

    def invite_link(self, token: str) -> str:
        return start_link(self.bot_username, token)

    async def reply(
        self,
        chat_id: int,
        text: str,
        lang: Language,
        key: str,
        *,
        pre: bool = False,
        table: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Answer through the outbox, like every other message, and wake the worker."""
        await self.service.notify(
            self.address(chat_id), text, lang, f"tg:{key}", pre=pre, table=table, extra=extra
        )
        self.wake_delivery()
