"""Alert buttons — Acknowledge, Ask the client, Resolve (then how it ended) — verified before
they change anything, and staff replies to alert messages (a follow-up or a resolution note)."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.telegram.callbacks import AlertAction
from bot.telegram.context import TelegramContext, language_of
from bot.telegram.filters import on_loop
from bot.telegram.render import alert_html, alert_keyboard, disposition_keyboard
from bot.telegram.routers.staff import send_output
from surveys import commands
from surveys.alert_card import Card, card_for
from surveys.alerts import state_line
from surveys.model import Address, AlertStatus, Channel, Disposition, Staff
from surveys.staff import StaffError
from surveys.texts import t

ACTIONS = {"ack", "resolve", "followup", *(f"d_{d.value}" for d in Disposition)}


async def alert_button(
    query: CallbackQuery, callback_data: AlertAction, candor: TelegramContext
) -> None:
    lang = language_of(query.from_user.language_code, candor.default_language)
    action = callback_data.action
    if action not in ACTIONS or not candor.signer.verify(
        action, callback_data.alert, callback_data.sig
    ):
        await query.answer(t("button_forged", lang), show_alert=True)
        return
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(query.from_user.id)))
    if actor is None:
        await query.answer(t("alert_button_staff_only", lang), show_alert=True)
        return
    try:
        if action == "ack":
            alert = await candor.commands.set_alert(
                actor, callback_data.alert, AlertStatus.ACKNOWLEDGED
            )
        else:
            await _ask_for_words(query, callback_data.alert, action, actor, candor)
            return
    except StaffError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    await query.answer(state_line(alert, actor.name, actor.language) or "")
    keyboard = alert_keyboard(alert.id, actor.language, candor.signer, alert.status)
    await _redraw(query, await card_for(candor.service.uow, actor, alert.id), actor, keyboard)


async def _redraw(
    query: CallbackQuery, card: Card, actor: Staff, keyboard: InlineKeyboardMarkup | None
) -> None:
    """The pressed alert message drawn again whole, in the presser's current language, with
    ``keyboard`` under it: never new buttons under text in the language they left."""
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified": nothing to do
            await query.message.edit_text(
                alert_html(card.fields, actor.language, card.line),
                parse_mode="HTML",
                reply_markup=keyboard,
            )


async def _ask_for_words(
    query: CallbackQuery, alert_id: int, action: str, actor: Staff, candor: TelegramContext
) -> None:
    """Resolve shows how it may end; Ask the client and a chosen ending ask for words, as a
    reply (Telegram opens the reply field by itself)."""
    lang = actor.language
    if action == "resolve":
        # Only someone who may see the alert is shown its choices (StaffError otherwise).
        card = await card_for(candor.service.uow, actor, alert_id)
        await query.answer(t("choose_disposition", lang))  # as Slack says it, over the choices
        await _redraw(query, card, actor, disposition_keyboard(alert_id, lang, candor.signer))
        return
    followups = commands.follow_ups(candor.commands)
    if action == "followup":
        contact = await followups.contact_name(actor, alert_id)
        text = t("followup_prompt", lang, id=alert_id, contact=contact)
    else:
        disposition = Disposition(action.removeprefix("d_"))
        output = await commands.resolutions(candor.commands).choose(actor, alert_id, disposition)
        text = "\n".join(output.lines)
    key = f"prompt:{alert_id}:{actor.id}:{query.id}"
    await followups.prompt(actor, alert_id, text, key, force_reply=True)
    await query.answer()
    candor.wake_delivery()


async def staff_reply(message: Message, candor: TelegramContext) -> None:
    """Staff replying to one of our alert messages: a follow-up, or a resolution's note.
    Anything else goes on to the other handlers."""
    user = message.from_user
    replied = message.reply_to_message
    if user is None or replied is None:
        raise SkipHandler
    me = Address(Channel.TELEGRAM, str(user.id))
    actor = await candor.commands.actor(me)
    if actor is None:
        raise SkipHandler
    followups = commands.follow_ups(candor.commands)
    alert_id = await followups.alert_of_reply(me, str(replied.message_id))
    if alert_id is None:
        raise SkipHandler
    output = await commands.reply_to_alert(candor.commands, actor, alert_id, message.text or "")
    await send_output(
        candor,
        message.chat.id,
        output,
        actor.language,
        f"reply:{message.chat.id}:{message.message_id}",
    )


def create_router() -> Router:
    """A fresh router: aiogram lets a router belong to one dispatcher only."""
    router = Router(name="alerts")
    router.callback_query.register(alert_button, AlertAction.filter())
    router.message.register(
        staff_reply,
        on_loop(F.chat.type == "private"),
        on_loop(F.reply_to_message),
        on_loop(F.text),
    )
    return router
