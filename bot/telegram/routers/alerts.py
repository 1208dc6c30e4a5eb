"""Alert buttons: Acknowledge and Resolve, verified before they change anything."""

from __future__ import annotations

import contextlib

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from bot.telegram.callbacks import AlertAction
from bot.telegram.context import TelegramContext, language_of
from bot.telegram.render import alert_html, alert_keyboard
from surveys.alerts import alert_fields, status_line
from surveys.model import Address, AlertStatus, Channel
from surveys.staff import StaffError
from surveys.texts import t

ACTIONS = {"ack": AlertStatus.ACKNOWLEDGED, "resolve": AlertStatus.RESOLVED}


async def alert_button(
    query: CallbackQuery, callback_data: AlertAction, candor: TelegramContext
) -> None:
    lang = language_of(query.from_user.language_code, candor.default_language)
    status = ACTIONS.get(callback_data.action)
    if status is None or not candor.signer.verify(
        callback_data.action, callback_data.alert, callback_data.sig
    ):
        await query.answer(t("button_forged", lang), show_alert=True)
        return
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(query.from_user.id)))
    if actor is None:
        await query.answer(t("alert_button_staff_only", lang), show_alert=True)
        return
    try:
        alert = await candor.commands.set_alert(actor, callback_data.alert, status)
    except StaffError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    async with candor.service.uow() as uow:
        details = await candor.service.alert_details(uow, alert)
    fields = alert_fields(
        alert,
        account=details.account,
        contact=details.contact,
        round_=details.round,
        answer=details.answer,
        lang=actor.language,
    )
    await query.answer(status_line(alert.status, actor.name, actor.language) or "")
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified": nothing to do
            await query.message.edit_text(
                alert_html(
                    fields, actor.language, status_line(alert.status, actor.name, actor.language)
                ),
                parse_mode="HTML",
                reply_markup=alert_keyboard(alert.id, actor.language, candor.signer, alert.status),
            )


def create_router() -> Router:
    """A fresh router: aiogram lets a router belong to one dispatcher only."""
    router = Router(name="alerts")
    router.callback_query.register(alert_button, AlertAction.filter())
    return router
