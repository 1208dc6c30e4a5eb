"""What every Slack listener needs, captured when the listeners are registered."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.slack.files import SlackFiles
from bot.slack.locale import SlackLocales
from bot.slack.messenger import SlackMessenger
from surveys.contact_import import MAX_BYTES
from surveys.model import Address, Channel, Language, Staff
from surveys.onboarding import Onboarding
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from surveys.texts import language_of, spoken_language

__all__ = ["SlackContext", "language_of", "unescape", "user_id_of"]

_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass
class SlackContext:
    service: SurveyService
    onboarding: Onboarding
    commands: StaffCommands
    messenger: SlackMessenger
    default_language: Language
    wake_delivery: Callable[[], None]
    files: SlackFiles
    import_max_bytes: int = MAX_BYTES  # CANDOR_IMPORT_MAX_BYTES: a file to import, at most
    # A census link opens the Telegram bot: its username, from CANDOR_TELEGRAM_BOT_USERNAME
    # or, in a run with Telegram too, from its getMe. Empty: no link can be shown here.
    telegram_bot_username: str = ""
    # Slack users' locales, for staff who follow their Slack's language (bot/slack/locale.py).
    locales: SlackLocales | None = None

    @staticmethod
    def address(user_id: str) -> Address:
        return Address(Channel.SLACK, user_id)

    async def language_for(
        self, user_id: str, actor: Staff | None, locale: str | None = None
    ) -> Language:
        """The language to answer a person in: staff their own, a contact the one their
        survey speaks, anyone else the payload's locale if it has one (a command or App Home
        has none, so Slack is asked), else the default."""
        if actor is not None:
            return actor.language
        if (spoken := await self.service.contact_language(self.address(user_id))) is not None:
            return spoken
        if not locale and self.locales is not None:  # none, or "": Slack did not say
            locale = await self.locales.locale(user_id)
        return language_of(locale, self.default_language)

    async def presser_language(self, user: Mapping[str, Any], actor: Staff | None) -> Language:
        """The language to answer the person pressing a button (``user``: the payload's user
        object, which seldom carries a locale), as language_for: every button asks here."""
        return await self.language_for(str(user["id"]), actor, user.get("locale"))

    async def stranger_language(self, user_id: str) -> Language | None:
        """A direct message carries no locale: for someone neither staff nor a contact (who
        is told Candor does not know them), their Slack's language if it is one we speak.
        None for everyone else, whose language Candor knows, and whenever Slack does not say."""
        if self.locales is None or not await self.is_stranger(user_id):
            return None
        return spoken_language(await self.locales.locale(user_id))

    async def is_stranger(self, user_id: str) -> bool:
        """Whether Candor knows this person neither as staff nor as a contact."""
        async with self.service.uow() as uow:
            address = self.address(user_id)
            known = await uow.staff.by_address(address) or await uow.contacts.by_address(address)
        return known is None


def user_id_of(ref: str) -> str | None:
    """A Slack user id from `<@U123|name>` (escaped slash-command text) or a bare `U123`."""
    ref = ref.strip()
    if match := _USER_MENTION.match(ref):
        return match[1]
    return ref if _USER_ID.match(ref) else None


def unescape(text: str) -> str:
    """Slack sends a user's `&`, `<`, `>` as entities; the stored answer is what they typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
