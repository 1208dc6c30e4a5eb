"""Clients: onboarding by deep link, answering, skip/later/decline, /stop, /lang."""

from __future__ import annotations

from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message

from bot.telegram.callbacks import SurveyAction
from bot.telegram.context import TelegramContext, language_of
from bot.telegram.filters import on_loop
from bot.telegram.routers.staff import answer_help
from surveys.census import LINK_PREFIX, Census
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Address, Language
from surveys.onboarding import typed_language
from surveys.texts import t

# Surveys happen one to one: in groups the bot says so once per command and stays quiet.

BUTTON_EVENTS = {"skip": EventKind.SKIP, "later": EventKind.LATER, "decline": EventKind.DECLINE}
NON_TEXT = (
    "sticker", "photo", "voice", "video", "video_note", "audio", "document", "animation",
    "location", "venue", "contact", "poll", "dice", "story",
)  # fmt: skip


def message_key(message: Message) -> str:
    return f"{message.chat.id}:{message.message_id}"


def position(message: Message) -> Decimal:
    """Where the message sits in the chat: a private chat numbers both sides' messages."""
    return Decimal(message.message_id)


def _lang(message: Message, ctx: TelegramContext) -> Language:
    return language_of(
        message.from_user.language_code if message.from_user else None, ctx.default_language
    )


async def start_with_invite(
    message: Message, command: CommandObject, candor: TelegramContext
) -> None:
    payload = (command.args or "").strip()
    chat = candor.address(message.chat.id)
    if payload.startswith(LINK_PREFIX) and message.from_user is not None:
        # An account-wide census link: whoever opens it joins as a user of that account.
        # Its answer is recorded with the binding, ahead of the census's first question.
        user = message.from_user
        await Census(candor.service).open_link(
            payload,
            chat,
            telegram_id=str(user.id),
            username=user.username,
            name=user.full_name,
            hint=_lang(message, candor),
            reply_key=f"tg:start:{message_key(message)}",
        )
        await candor.sync_menu(message.chat.id)  # a contact now: the contact's menu
        candor.wake_delivery()
        return
    # The answer is recorded with the binding, ahead of an open round's first question.
    await candor.onboarding.redeem(
        payload, chat, _lang(message, candor), reply_key=f"tg:start:{message_key(message)}"
    )
    await candor.sync_menu(message.chat.id)
    candor.wake_delivery()


async def start_plain(message: Message, candor: TelegramContext) -> None:
    chat = candor.address(message.chat.id)
    # A contact's answer is recorded here, ahead of an open round's first question.
    key = f"start:{message_key(message)}"
    if await candor.onboarding.come_back(chat, reply_key=f"tg:{key}") is not None:
        candor.wake_delivery()
        return
    lang = _lang(message, candor)
    staff = await candor.commands.actor(chat)
    text = t("staff_hello", staff.language, name=staff.name) if staff else t("unknown_user", lang)
    await candor.reply(message.chat.id, text, lang, key)


async def stop(message: Message, candor: TelegramContext) -> None:
    chat = candor.address(message.chat.id)
    text = await candor.onboarding.opt_out(chat)
    lang = _lang(message, candor)
    if text is None and (staff := await candor.commands.actor(chat)) is not None:
        text, lang = t("staff_stop", staff.language), staff.language  # not "who are you?"
    await candor.reply(
        message.chat.id, text or t("unknown_user", lang), lang, f"stop:{message_key(message)}"
    )


async def change_language(
    message: Message, command: CommandObject, candor: TelegramContext
) -> None:
    await switch_language(message, command.args or "", candor)


async def switch_language(message: Message, args: str, candor: TelegramContext) -> None:
    """/lang, or the same typed without the slash (typed_language)."""
    wanted = args.strip().lower()
    # A contact is told in the language they read the survey in, staff in the one they
    # chose (as on Slack), not their app's.
    chat = candor.address(message.chat.id)
    user = message.from_user
    code = user.language_code if user else None
    lang = await candor.language_for(chat, await candor.commands.actor(chat), code)
    key = f"lang:{message_key(message)}"
    if wanted not in (Language.RU.value, Language.EN.value):
        await candor.reply(message.chat.id, t("language_choose", lang), lang, key)
        return
    text = await candor.onboarding.set_language(chat, Language(wanted))
    await candor.reply(message.chat.id, text or t("unknown_user", lang), Language(wanted), key)
    await candor.sync_menu(message.chat.id)  # their menu speaks it too
    if text is not None:  # right under the reply: the question they are on, in the new language
        await candor.service.ask_again(chat)
        candor.wake_delivery()


async def typed_button(message: Message, command: CommandObject, candor: TelegramContext) -> None:
    event = ContactEvent(BUTTON_EVENTS[command.command.lower()], message_id=message_key(message))
    await candor.service.handle_event(candor.address(message.chat.id), event)
    candor.wake_delivery()


async def text_answer(message: Message, candor: TelegramContext) -> None:
    text = message.text or ""
    if text.startswith("/"):
        # Staff commands are handled before this router; anything else here is a typo.
        await answer_help(message, candor, unknown=text.split()[0].split("@")[0][:64])
        return
    if (wanted := typed_language(text)) is not None:
        await switch_language(message, wanted.value, candor)  # not an answer
        return
    event = ContactEvent(
        EventKind.TEXT, text, message_key(message), position=position(message),
        language=_lang(message, candor),
    )  # fmt: skip
    await candor.service.handle_event(candor.address(message.chat.id), event)
    candor.wake_delivery()


async def captioned_media(message: Message, candor: TelegramContext) -> None:
    # A photo or file with words under it: the words are the answer, so they are kept.
    event = ContactEvent(
        EventKind.TEXT, message.caption or "", message_key(message), position=position(message),
        language=_lang(message, candor),
    )  # fmt: skip
    await candor.service.handle_event(candor.address(message.chat.id), event)
    candor.wake_delivery()


async def non_text(message: Message, candor: TelegramContext) -> None:
    media = next((kind for kind in NON_TEXT if getattr(message, kind, None)), "other")
    event = ContactEvent(
        EventKind.NON_TEXT, message_id=message_key(message), media=media,
        language=_lang(message, candor),
    )  # fmt: skip
    await candor.service.handle_event(candor.address(message.chat.id), event)
    candor.wake_delivery()


async def edited_answer(message: Message, candor: TelegramContext) -> None:
    text = message.text or message.caption or ""
    await candor.service.handle_edit(candor.address(message.chat.id), message_key(message), text)
    candor.wake_delivery()


async def edited_other(message: Message) -> None:
    """An edited non-text message (e.g. a live location) carries no answer."""


async def survey_button(
    query: CallbackQuery, callback_data: SurveyAction, candor: TelegramContext
) -> None:
    chat = candor.address(query.from_user.id)
    lang = language_of(query.from_user.language_code, candor.default_language)
    event_kind = BUTTON_EVENTS.get(callback_data.action)
    current = event_kind is not None and await candor.service.is_current_question(
        chat, callback_data.conversation, callback_data.question
    )
    if not current:
        # An old button, or one that was never ours: it changes nothing.
        await query.answer(
            await _unchanged(chat, event_kind, callback_data.conversation, lang, candor)
        )
        return
    assert event_kind is not None
    # A skipped or declined question loses its buttons through the outbox, after whatever
    # was sent before it, like an answered or re-asked one.
    pressed_under = (callback_data.conversation, callback_data.question)
    event = ContactEvent(event_kind, message_id=f"cb:{query.id}", pressed_under=pressed_under)
    await candor.service.handle_event(chat, event)
    candor.wake_delivery()
    await query.answer()


async def _unchanged(
    chat: Address, kind: EventKind | None, conversation: int, lang: Language,
    candor: TelegramContext,
) -> str:  # fmt: skip
    """What a press that changes nothing is answered with. Someone who opted out is reminded
    of that rather than told the button is old (as on Slack)."""
    if kind is not None and (opted_out := await candor.service.opted_out_reply(chat, kind)):
        return opted_out
    staff = await candor.commands.actor(chat)
    if staff is not None:
        return t("button_not_for_staff", staff.language)
    # A contact reads it in their own language, like the question it belongs to.
    return await candor.service.stale_button_reply(chat, conversation, lang)


async def unknown_button(query: CallbackQuery, candor: TelegramContext) -> None:
    """Button data we cannot read (not ours, or tampered): answer, so the spinner stops."""
    lang = language_of(query.from_user.language_code, candor.default_language)
    await query.answer(t("button_forged", lang))


def create_router() -> Router:
    """A fresh router: aiogram lets a router belong to one dispatcher only."""
    router = Router(name="client")
    router.message.filter(on_loop(F.chat.type == "private"))
    router.edited_message.filter(on_loop(F.chat.type == "private"))
    router.message.register(start_with_invite, CommandStart(deep_link=True))
    router.message.register(start_plain, CommandStart())
    router.message.register(stop, Command("stop"))
    router.message.register(change_language, Command("lang"))
    router.message.register(typed_button, Command("skip", "later", "decline"))
    router.message.register(text_answer, on_loop(F.text))
    router.message.register(captioned_media, on_loop(F.caption))
    router.message.register(non_text)
    router.edited_message.register(edited_answer, on_loop(F.text | F.caption))
    router.edited_message.register(edited_other)
    router.callback_query.register(survey_button, SurveyAction.filter())
    router.callback_query.register(unknown_button)
    return router
