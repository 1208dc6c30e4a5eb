"""Slack staff speak their Slack's language until they choose one.

Someone added by another speaks the adder's language until they choose theirs with
`/candor lang` (``Staff.language_chosen``); meanwhile they follow their platform's, as
Telegram staff follow their app's (bot/telegram/routers/staff.py, ``follow_language``).
A slash command or a direct message says nothing of the person's language, so Slack is
asked (users.info with include_locale, Tier 4): only about such staff, at most once per
``LOCALE_TTL`` each, within the method's rate limit and within a budget that leaves a
command its three seconds. A payload that carries the person's locale needs no call.
Whatever goes wrong, the person keeps the language they had and is answered.
Someone Candor does not know at all is answered in their Slack's language the same way
(bot/slack/context.py), else in the default one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import ClientError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.payload_utils import (
    is_action,
    is_app_home_opened_event,
    is_message_event,
    is_slash_command,
)
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.limiter import SlackLimiter
from surveys.model import Address, Channel
from surveys.onboarding import Onboarding
from surveys.ports import Clock
from surveys.texts import spoken_language

log = logging.getLogger(__name__)

LOCALE_TTL = timedelta(minutes=30)  # a changed Slack language shows within this
LOOKUP_BUDGET = 1.0  # seconds of the command's three, waiting for the limiter included
# Slack will not say, for this person, until something changes: asked again after the TTL.
_SETTLED_ERRORS = {"user_not_found", "user_not_visible", "account_inactive"}

Next = Callable[[], Awaitable[Any]]
Middleware = Callable[[AsyncBoltRequest, BoltResponse, Next], Awaitable[Any]]


class SlackLocales:
    """Slack users' locales ("ru-RU"), as users.info last told them, for a while."""

    def __init__(
        self,
        client: AsyncWebClient,
        limiter: SlackLimiter,
        clock: Clock,
        *,
        ttl: timedelta = LOCALE_TTL,
        budget: float = LOOKUP_BUDGET,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.clock = clock
        self.ttl = ttl
        self.budget = budget
        # Only staff still following their platform's language and strangers get here.
        self._known: dict[str, tuple[datetime, str | None]] = {}

    def remember(self, user_id: str, locale: str | None) -> None:
        self._known[user_id] = (self.clock.now() + self.ttl, locale)

    async def locale(self, user_id: str) -> str | None:
        """The user's Slack locale, or None when Slack does not say (now)."""
        known = self._known.get(user_id)
        if known is not None and self.clock.now() < known[0]:
            return known[1]
        try:
            async with asyncio.timeout(self.budget):
                async with self.limiter.slot("users.info"):
                    found = await self.client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            log.info("Slack locale of %s: %s", user_id, error or exc)
            if error in _SETTLED_ERRORS:
                self.remember(user_id, None)
            return None  # rate-limited or down: the next command asks again
        except (SlackClientError, ClientError, TimeoutError) as exc:
            log.info("Slack locale of %s: %s", user_id, type(exc).__name__)
            return None
        user = found.get("user") or {}
        locale = user.get("locale")
        locale = str(locale) if isinstance(locale, str) and locale else None
        self.remember(user_id, locale)
        return locale


def _interaction(body: dict[str, Any]) -> tuple[str, str | None] | None:
    """Who acts in a slash command, a button press, the opening of App Home or a direct
    message (a DM command, a file to import, a reply in an alert's thread, an edit), and
    the locale the payload itself carries (some actions do); None for anything else."""
    if is_slash_command(body):
        user = body.get("user_id")
        return (str(user), None) if user else None
    if is_action(body):
        person = body.get("user") if isinstance(body.get("user"), dict) else {}
        if not person.get("id"):
            return None
        locale = person.get("locale")
        return str(person["id"]), locale if isinstance(locale, str) and locale else None
    if is_app_home_opened_event(body):
        user = body["event"].get("user")
        return (str(user), None) if user else None
    if is_message_event(body):
        user = _writer(body["event"])
        return (user, None) if user else None
    return None


def _writer(event: dict[str, Any]) -> str | None:
    """Who wrote (or edited) a message in a DM with the bot; None for channels and bots,
    which the message listener ignores too."""
    if event.get("channel_type") != "im":
        return None
    message = event.get("message") if event.get("subtype") == "message_changed" else event
    if not isinstance(message, dict) or message.get("bot_id") or event.get("bot_id"):
        return None
    user = message.get("user")
    return user if isinstance(user, str) and user else None


async def follow_slack_language(
    onboarding: Onboarding, locales: SlackLocales, user_id: str, given: str | None = None
) -> None:
    """A Slack staff member who has not chosen a language takes their Slack locale's (when
    it is one Candor speaks); ``given``: the locale a payload carried, if any."""
    address = Address(Channel.SLACK, user_id)
    if await onboarding.follows_platform_language(address):
        if given is not None:
            locales.remember(user_id, given)
        locale = given if given is not None else await locales.locale(user_id)
        await onboarding.follow_platform_language(address, spoken_language(locale))


def follow_locale(onboarding: Onboarding, locales: SlackLocales) -> Middleware:
    """Bolt middleware: before the listener reads the person's language, staff who have
    not chosen one take their Slack locale's."""

    async def follow(req: AsyncBoltRequest, resp: BoltResponse, next: Next) -> Any:
        found = _interaction(req.body)
        if found is not None:
            await follow_slack_language(onboarding, locales, *found)
        return await next()

    return follow
