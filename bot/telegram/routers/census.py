"""Pause / resume / cancel pressed under the census starter's progress message."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot.telegram.callbacks import CensusControl
from bot.telegram.context import TelegramContext
from surveys.census_staff import census_button
from surveys.model import Address, Channel
from surveys.staff import StaffError


async def census_control(
    query: CallbackQuery, callback_data: CensusControl, candor: TelegramContext
) -> None:
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(query.from_user.id)))
    try:
        state = await census_button(
            candor.commands, actor, callback_data.account, callback_data.action
        )
    except StaffError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    # The progress message itself is edited through the outbox (recorded just now).
    await query.answer(state)
    candor.wake_delivery()


def create_router() -> Router:
    router = Router(name="census")
    router.callback_query.register(census_control, CensusControl.filter())
    return router
