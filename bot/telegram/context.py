"""What every Telegram handler needs, injected by the Dispatcher as ``candor``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.telegram.callbacks import Signer
from surveys.model import Address, Channel, Language
from surveys.onboarding import Onboarding
from surveys.service import SurveyService
from surveys.staff import StaffCommands


@dataclass
class TelegramContext:
    service: SurveyService
    onboarding: Onboarding
    commands: StaffCommands
    signer: Signer
    default_language: Language
    wake_delivery: Callable[[], None]
    bot_username: str = ""

    @staticmethod
    def address(chat_id: int) -> Address:
        return Address(Channel.TELEGRAM, str(chat_id))

    def invite_link(self, token: str) -> str:
        return f"https://t.me/{self.bot_username}?start={token}"

    async def reply(
        self, chat_id: int, text: str, lang: Language, key: str, *, pre: bool = False
    ) -> None:
        """Answer through the outbox, like every other message, and wake the worker."""
        await self.service.notify(self.address(chat_id), text, lang, f"tg:{key}", pre=pre)
        self.wake_delivery()


def language_of(code: str | None, default: Language) -> Language:
    """The Telegram client's interface language, when it is one we speak."""
    if code:
        short = code.split("-")[0].lower()
        if short in (Language.RU.value, Language.EN.value):
            return Language(short)
    return default
