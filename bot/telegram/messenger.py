"""Delivers outbox messages with the aiogram Bot, translating its errors for the worker."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot.telegram.callbacks import Signer
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.render import render
from surveys.model import Channel, OutgoingMessage
from surveys.ports import PermanentDeliveryError, TransientDeliveryError


class TelegramMessenger:
    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot, signer: Signer, limiter: TelegramLimiter | None = None) -> None:
        self.bot = bot
        self.signer = signer
        self.limiter = limiter or TelegramLimiter()

    def ready(self, address: str) -> bool:
        """Whether a message to this chat may go now (its per-chat gap is over)."""
        try:
            return self.limiter.chat_has_capacity(int(address))
        except ValueError:
            return True

    async def send(self, message: OutgoingMessage) -> str | None:
        try:
            chat_id = int(message.recipient.address)
        except ValueError:
            reason = f"not a Telegram chat id: {message.recipient.address!r}"
            raise PermanentDeliveryError(reason) from None
        sent_id: str | None = None
        for text, keyboard in render(message, self.signer):
            async with self.limiter.slot(chat_id):
                sent_id = await self._send_one(chat_id, text, keyboard)
        return sent_id

    async def _send_one(self, chat_id: int, text: str, keyboard: object) -> str:
        try:
            sent = await self.bot.send_message(
                chat_id,
                text,
                parse_mode="HTML",
                reply_markup=keyboard,  # type: ignore[arg-type]
                link_preview_options=None,
            )
        except TelegramRetryAfter as exc:
            raise TransientDeliveryError(exc.message, retry_after=exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            # Blocked by the user, or the user is deactivated: only they can undo it.
            raise PermanentDeliveryError(exc.message) from exc
        except (TelegramNotFound, TelegramBadRequest) as exc:
            gone = (
                "chat not found" in exc.message.lower() or "user not found" in exc.message.lower()
            )
            raise PermanentDeliveryError(exc.message, recipient_gone=gone) from exc
        except TelegramUnauthorizedError as exc:
            # A revoked token fails every message alike; retrying lets a fixed token catch up.
            raise TransientDeliveryError(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TransientDeliveryError(exc.message) from exc
        return str(sent.message_id)
