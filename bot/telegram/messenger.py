"""Delivers outbox messages with the aiogram Bot, translating its errors for the worker."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.methods.base import Response
from aiogram.types import BufferedInputFile, ForceReply, Message, ReplyParameters

from bot.telegram.callbacks import Signer
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.menus import MENU_KIND, to_bot_commands, to_scope
from bot.telegram.render import render, render_alert_update
from surveys.model import Address, Channel, Document, OutgoingMessage
from surveys.ports import PermanentDeliveryError, TransientDeliveryError

MB = 1024 * 1024
FILE_LIMIT = 50 * MB  # what the Bot API lets a bot upload
PHOTO_LIMIT = 10 * MB  # sendPhoto; a bigger picture goes as a document
CAPTION_LIMIT = 1024
# aiogram reads every reply as ``Response[<the method's result type>]``, a pydantic generic
# model that pydantic caches only while something holds it: otherwise each call builds the
# model class again (a third of a millisecond, 11 % of a process's CPU in an answer
# burst). Held here for the methods called on every answer.
_RESPONSE_MODELS = tuple(
    Response[method.__returning__]  # type: ignore
    for method in (SendMessage, SendPhoto, SendDocument, EditMessageText,
                   EditMessageReplyMarkup, AnswerCallbackQuery)
)  # fmt: skip


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
        if message.kind == MENU_KIND:
            return await self._set_menu(message)
        chat_id = _chat_id(message.recipient)
        if message.payload.get("target_id"):
            return await self._edit(chat_id, message)
        sent_id: str | None = None
        # Under the alert it is about (a follow-up's reply, an escalation), where one exists.
        reply_to = message.payload.get("reply_to")
        for text, keyboard in render(message, self.signer):
            if keyboard is None and message.payload.get("force_reply"):
                keyboard = ForceReply(force_reply=True)
            async with self.limiter.slot(chat_id):
                sent_id = await self._send_one(chat_id, text, keyboard, reply_to)
            reply_to = None
        return sent_id

    async def _send_one(
        self, chat_id: int, text: str, keyboard: object, reply_to: object = None
    ) -> str:
        replying = (
            ReplyParameters(message_id=int(str(reply_to)), allow_sending_without_reply=True)
            if reply_to and str(reply_to).isdigit()
            else None
        )
        try:
            sent = await self.bot.send_message(
                chat_id,
                text,
                parse_mode="HTML",
                reply_markup=keyboard,  # type: ignore[arg-type]
                link_preview_options=None,
                reply_parameters=replying,
            )
        except TelegramAPIError as exc:
            raise delivery_error(exc) from exc
        return str(sent.message_id)

    async def _set_menu(self, message: OutgoingMessage) -> None:
        payload = message.payload
        scope, code = to_scope(payload["scope"]), payload.get("language_code")
        try:
            async with self.limiter.any_chat():
                if payload["commands"]:
                    await self.bot.set_my_commands(
                        to_bot_commands(payload), scope=scope, language_code=code
                    )
                else:
                    await self.bot.delete_my_commands(scope=scope, language_code=code)
        except TelegramAPIError as exc:
            error = delivery_error(exc)
            if isinstance(error, PermanentDeliveryError):
                # A menu refused ("chat not found": they never started the bot) says nothing
                # about whether the person can be reached; it is tried again when they write.
                raise PermanentDeliveryError(exc.message, recipient_gone=False) from exc
            raise error from exc
        return None

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
        try:
            async with self.limiter.slot(chat_id):
                if document.mime == "image/png" and size <= PHOTO_LIMIT:
                    sent = await self.bot.send_photo(chat_id, upload, caption=caption)
                else:
                    sent = await self.bot.send_document(chat_id, upload, caption=caption)
        except TelegramAPIError as exc:
            raise delivery_error(exc) from exc
        return str(sent.message_id)

    async def _edit(self, chat_id: int, message: OutgoingMessage) -> str:
        """Change a message already delivered: take a question's buttons away, or show an
        alert or a census's progress as it is now."""
        target = int(message.payload["target_id"])
        try:
            async with self.limiter.slot(chat_id):
                if message.kind in ("alert_update", "census_progress_update"):
                    text, keyboard = (
                        render_alert_update(message, self.signer)
                        if message.kind == "alert_update"
                        else render(message, self.signer)[-1]
                    )
                    await self.bot.edit_message_text(
                        text, chat_id=chat_id, message_id=target, parse_mode="HTML",
                        reply_markup=keyboard,
                    )  # fmt: skip
                else:
                    await self.bot.edit_message_reply_markup(
                        chat_id=chat_id, message_id=target, reply_markup=None
                    )
        except TelegramBadRequest as exc:
            # Already as wanted ("message is not modified"), or gone / too old to edit:
            # there is nothing left to change, which is not a failure.
            if not _is_gone(exc):
                return str(target)
            raise delivery_error(exc) from exc
        except TelegramAPIError as exc:
            raise delivery_error(exc) from exc
        return str(target)


def _chat_id(recipient: Address) -> int:
    try:
        return int(recipient.address)
    except ValueError:
        raise PermanentDeliveryError(f"not a Telegram chat id: {recipient.address!r}") from None


def _is_gone(exc: TelegramAPIError) -> bool:
    text = exc.message.lower()
    return "chat not found" in text or "user not found" in text


def delivery_error(exc: TelegramAPIError) -> Exception:
    """An aiogram error as the delivery worker's transient or permanent failure."""
    if isinstance(exc, TelegramRetryAfter):
        return TransientDeliveryError(exc.message, retry_after=exc.retry_after)
    if isinstance(exc, TelegramForbiddenError):
        # Blocked by the user, or the user is deactivated: only they can undo it.
        code = "deactivated" if "deactivated" in exc.message.lower() else "blocked"
        return PermanentDeliveryError(exc.message, code=code)
    if isinstance(exc, TelegramNotFound | TelegramBadRequest):
        gone = _is_gone(exc)
        return PermanentDeliveryError(
            exc.message, recipient_gone=gone, code="chat_not_found" if gone else None
        )
    # A revoked token fails every message alike; retrying lets a fixed token catch up.
    # Network trouble and Telegram's 5xx are worth another try as well.
    return TransientDeliveryError(exc.message)
