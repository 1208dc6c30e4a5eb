"""Census buttons: pause / resume / cancel under the starter's progress message (acting on
the census run it shows), and Import under a contact-file preview."""

from __future__ import annotations

import contextlib
from pathlib import Path

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from bot.telegram.callbacks import CensusControl, CensusRunControl, ImportConfirm
from bot.telegram.context import TelegramContext, language_of
from bot.telegram.routers.staff import PLATFORM, send_output
from surveys import commands as table
from surveys.census_staff import FetchFailed, Upload, census_button, census_run_button
from surveys.model import Address, Channel
from surveys.staff import WRITERS, StaffCommands, StaffError
from surveys.texts import t


async def census_control(
    query: CallbackQuery, callback_data: CensusControl | CensusRunControl, candor: TelegramContext
) -> None:
    actor = await candor.commands.actor(Address(Channel.TELEGRAM, str(query.from_user.id)))
    # Someone Candor does not know is refused in their Telegram's language.
    stranger = language_of(query.from_user.language_code, candor.default_language)
    try:
        if isinstance(callback_data, CensusRunControl):
            state = await census_run_button(
                candor.commands, actor, callback_data.run, callback_data.action, stranger
            )
        else:  # a button sent before they named their run: the account's latest census
            state = await census_button(
                candor.commands, actor, callback_data.account, callback_data.action, stranger
            )
    except StaffError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    # The progress message itself is edited through the outbox (recorded just now).
    await query.answer(state)
    candor.wake_delivery()


async def import_confirm(
    query: CallbackQuery, callback_data: ImportConfirm, candor: TelegramContext, bot: Bot
) -> None:
    """Import pressed under a preview: the same file (its id is in the preview, recorded in
    the outbox for this chat), written."""
    me = Address(Channel.TELEGRAM, str(query.from_user.id))
    actor = await candor.commands.actor(me)
    lang = actor.language if actor else language_of(query.from_user.language_code,
                                                     candor.default_language)  # fmt: skip
    chat_id = query.message.chat.id if query.message else query.from_user.id
    async with candor.service.uow() as uow:
        preview = await uow.outbox.by_key(f"tg:import:{chat_id}:{callback_data.message}:text")
    confirm = preview.payload.get("import_confirm") if preview else None
    if not confirm:
        await query.answer(t("button_forged", lang), show_alert=True)
        return
    try:  # the file is asked for only for someone who may import
        StaffCommands.require(actor, WRITERS, lang, button=True)
    except StaffError as exc:
        await query.answer(str(exc), show_alert=True)
        return
    upload = await _upload(bot, str(confirm["file"]), candor.import_max_bytes)
    if upload is None:
        await query.answer(t("import_fetch_failed", lang), show_alert=True)
        return
    await query.answer()  # before the import, which may take a while; its outcome follows
    words = [str(confirm["account"]), "confirm"]
    output = await table.run(candor.commands, actor, lang, "import", words, PLATFORM, upload=upload)
    if isinstance(query.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # pressed once: the button goes
            await query.message.edit_reply_markup(reply_markup=None)
    await send_output(candor, chat_id, output, lang, f"import-confirm:{query.id}")


async def _upload(bot: Bot, file_id: str, limit: int) -> Upload | None:
    try:
        file = await bot.get_file(file_id)
    except TelegramAPIError:
        return None

    async def fetch(path: Path) -> None:
        if not file.file_path:
            raise FetchFailed("Telegram gave no file path")
        try:
            await bot.download_file(file.file_path, destination=path)
        except TelegramAPIError as exc:
            raise FetchFailed(str(exc)) from exc

    return Upload(file.file_size, fetch, limit, file_id)


def create_router() -> Router:
    router = Router(name="census")
    router.callback_query.register(census_control, CensusControl.filter())
    router.callback_query.register(census_control, CensusRunControl.filter())
    router.callback_query.register(import_confirm, ImportConfirm.filter())
    return router
