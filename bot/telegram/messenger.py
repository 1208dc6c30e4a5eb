"""Delivers outbox messages with the aiogram Bot, translating its errors for the worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
from aiogram.types import BufferedInputFile, Message

from bot.telegram.callbacks import Signer
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.render import render
from surveys.model import Address, Channel, Document, OutgoingMessage
from surveys.ports import PermanentDeliveryError, TransientDeliveryError

MB = 1024 * 1024
FILE_LIMIT = 50 * MB  # what the Bot API lets a bot upload
PHOTO_LIMIT = 10 * MB  # sendPhoto; a bigger picture goes as a document
CAPTION_LIMIT = 1024


class TelegramMessenger:
    channel = Channel.TELEGRAM

    def __init__(self, bot: Bot, signer: Signer, limiter: TelegramLimiter | None = None) -> None:
        self.bot = bot
        self.signer = signer
        self.limiter = limiter or TelegramLimiter()

    async def send(self, message: OutgoingMessage) -> str | None:
        chat_id = _chat_id(message.recipient)
        sent_id: str | None = None
        for text, keyboard in render(message, self.signer):
            async with self.limiter.slot(chat_id):
                sent_id = await self._send_one(chat_id, text, keyboard)
        return sent_id

    async def _send_one(self, chat_id: int, text: str, keyboard: object) -> str:
        with _translated():
            sent = await self.bot.send_message(
                chat_id,
                text,
                parse_mode="HTML",
                reply_markup=keyboard,  # type: ignore[arg-type]
                link_preview_options=None,
            )
        return str(sent.message_id)

    async def send_file(self, recipient: Address, document: Document, caption: str) -> str | None:
        """A chart as a photo (shown inline on a phone), anything else as a document."""
        chat_id = _chat_id(recipient)
        size = len(document.data)
        if size > FILE_LIMIT:
            raise PermanentDeliveryError(
                f"{document.filename} is {size} bytes; Telegram bots may send {FILE_LIMIT}",
                recipient_gone=False,
            )
        upload = BufferedInputFile(document.data, filename=document.filename)
        caption = caption[:CAPTION_LIMIT]  # plain text: no parse_mode, nothing to escape
        sent: Message
        async with self.limiter.slot(chat_id):
            with _translated():
                if document.mime == "image/png" and size <= PHOTO_LIMIT:
                    sent = await self.bot.send_photo(chat_id, upload, caption=caption)
                else:
                    sent = await self.bot.send_document(chat_id, upload, caption=caption)
        return str(sent.message_id)


def _chat_id(recipient: Address) -> int:
    try:
        return int(recipient.address)
    except ValueError:
        raise PermanentDeliveryError(f"not a Telegram chat id: {recipient.address!r}") from None


@contextmanager
def _translated() -> Iterator[None]:
    """aiogram's errors as the delivery worker's transient or permanent failures."""
    try:
        yield
    except TelegramRetryAfter as exc:
        raise TransientDeliveryError(exc.message, retry_after=exc.retry_after) from exc
    except TelegramForbiddenError as exc:
        # Blocked by the user, or the user is deactivated: only they can undo it.
        raise PermanentDeliveryError(exc.message) from exc
    except (TelegramNotFound, TelegramBadRequest) as exc:
        gone = "chat not found" in exc.message.lower() or "user not found" in exc.message.lower()
        raise PermanentDeliveryError(exc.message, recipient_gone=gone) from exc
    except TelegramUnauthorizedError as exc:
        # A revoked token fails every message alike; retrying lets a fixed token catch up.
        raise TransientDeliveryError(exc.message) from exc
    except (TelegramNetworkError, TelegramServerError) as exc:
        raise TransientDeliveryError(exc.message) from exc
