"""Command menus through Candor's real Telegram transport: what each person sees in the menu
(resolved by the fake as Telegram resolves scopes), in their language, and that menus are
set when a role becomes known, through the outbox, and not sent again needlessly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from surveys.model import Address, Channel, StaffRole
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_telegram_staff import ANNA, INVITE_LINK, MAX, OLGA, STRANGER, say

IVAN = 5002  # a Russian-speaking contact whose Telegram is in English
GROUP = -100123

STRANGER_EN = ["start", "help"]
CONTACT = ["start", "lang", "stop", "help"]
ADMIN_ONLY = {"staff_add", "staff_link"}
WRITERS_ONLY = {"account_add", "owner", "tier", "invite", "schedule", "round", "import", "staff"}


def names(api: FakeTelegramAPI, chat: int, language_code: str | None = None) -> list[str]:
    return [c["command"] for c in api.menu_seen(chat, language_code)]


def described(api: FakeTelegramAPI, chat: int, language_code: str | None = None) -> dict[str, str]:
    return {c["command"]: c["description"] for c in api.menu_seen(chat, language_code)}


async def invite(tg: TelegramHarness, chat: int, name: str, lang: str, app_lang: str) -> None:
    replies = await say(tg, f'/invite Globex "{name}" stakeholder {lang}')
    link = INVITE_LINK.search(replies[-1])
    assert link, replies
    await say(tg, f"/start {link[1]}", chat, language_code=app_lang)


async def test_strangers_and_groups_see_no_contact_or_staff_commands(tg: TelegramHarness) -> None:
    await tg.deliver()
    assert names(tg.api, STRANGER) == STRANGER_EN
    assert names(tg.api, STRANGER, "ru") == STRANGER_EN
    assert described(tg.api, STRANGER, "ru")["start"] == "Начать по ссылке-приглашению"
    assert described(tg.api, STRANGER, "en")["start"] == "Start with your invite link"
    # Nobody is surveyed in a group: no menu there, in any language.
    assert names(tg.api, GROUP) == [] and names(tg.api, GROUP, "ru") == []
    # A stranger who writes gets no menu of their own.
    await say(tg, "hello", STRANGER)
    await say(tg, "/help", STRANGER)
    assert not [c for c in tg.api.calls_to("setMyCommands") if c.params["scope"].get("chat_id")
                == STRANGER]  # fmt: skip


async def test_staff_see_their_roles_commands_in_their_language(tg: TelegramHarness) -> None:
    await say(tg, f"/staff_add manager {MAX} Max Manager")
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")

    admin, manager, owner = names(tg.api, ADMIN_ID), names(tg.api, MAX), names(tg.api, OLGA)
    assert set(admin) >= ADMIN_ONLY | WRITERS_ONLY
    assert set(manager) >= WRITERS_ONLY and not ADMIN_ONLY & set(manager)
    assert not (ADMIN_ONLY | WRITERS_ONLY) & set(owner)
    assert {"alerts", "alert", "followup", "resolve", "report", "lang", "help"} <= set(owner)
    for menu in (admin, manager, owner):
        assert "stop" not in menu and "start" not in menu  # staff are never surveyed
        assert menu[-2:] == ["lang", "help"]

    # Olga's Telegram speaks Russian: from her first message, so does her menu.
    await say(tg, "/help", OLGA, language_code="ru")
    assert described(tg.api, OLGA)["alerts"] == "Открытые алерты"
    assert described(tg.api, OLGA)["help"] == "Ваши команды"


async def test_contacts_see_contact_commands_in_the_language_they_read(
    tg: TelegramHarness,
) -> None:
    await say(tg, "/account_add Globex gold en Europe/Moscow")
    await invite(tg, ANNA, "Anna Smith", "en", "en")
    await invite(tg, IVAN, "Ivan Petrov", "ru", "en")

    assert names(tg.api, ANNA) == CONTACT
    assert described(tg.api, ANNA)["stop"] == "Stop receiving surveys"
    # Ivan reads Candor in Russian though his Telegram is in English: so is his menu.
    assert names(tg.api, IVAN, "en") == CONTACT
    assert described(tg.api, IVAN, "en")["stop"] == "Отписаться от опросов"

    await say(tg, "/lang en", IVAN, language_code="en")
    assert described(tg.api, IVAN, "en")["stop"] == "Stop receiving surveys"
    await say(tg, "язык ru", IVAN, language_code="en")
    assert described(tg.api, IVAN, "en")["stop"] == "Отписаться от опросов"


async def test_menus_are_set_once_not_on_every_message_nor_on_a_restart(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tg.db"
    tg = await TelegramHarness.start(api, url, clock)
    try:
        await say(tg, "/account_add Globex gold en Europe/Moscow")
        await invite(tg, ANNA, "Anna Smith", "en", "en")
        await say(tg, f"/staff_add owner {OLGA} Olga Owner")
        await say(tg, "/round Globex")
        before = len(api.calls_to("setMyCommands")) + len(api.calls_to("deleteMyCommands"))
        for text in ("Great result", "Fast enough", "/help", "/start"):
            await say(tg, text, ANNA)
        await say(tg, "/accounts", OLGA)
        await say(tg, "/alerts")
        after = len(api.calls_to("setMyCommands")) + len(api.calls_to("deleteMyCommands"))
        assert after == before
    finally:
        await tg.stop()

    tg = await TelegramHarness.start(api, url, clock)
    try:
        await tg.deliver()
        await say(tg, "Polite", ANNA)
        await say(tg, "/alerts", OLGA)
        again = len(api.calls_to("setMyCommands")) + len(api.calls_to("deleteMyCommands"))
        assert again == before  # a restart sends no menu again
        assert names(api, ANNA) == CONTACT
    finally:
        await tg.stop()


async def test_a_role_changed_outside_candor_moves_the_menu_at_start(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tg.db"
    tg = await TelegramHarness.start(api, url, clock)
    try:
        await say(tg, f"/staff_add manager {MAX} Max Manager")
        assert "round" in names(api, MAX)
        async with tg.app.uow() as uow:
            max_ = await uow.staff.by_address(Address(Channel.TELEGRAM, str(MAX)))
            assert max_ is not None
            await uow.staff.update(replace(max_, role=StaffRole.OWNER))
            await uow.commit()
    finally:
        await tg.stop()

    tg = await TelegramHarness.start(api, url, clock)
    try:
        await tg.deliver()
        assert "round" not in names(api, MAX) and "alerts" in names(api, MAX)
    finally:
        await tg.stop()


async def test_a_menu_refused_before_the_chat_exists_is_set_when_they_write(
    tg: TelegramHarness,
) -> None:
    await tg.deliver()  # the menus set at start
    tg.api.fail_next("setMyCommands", error_code=400, description="Bad Request: chat not found")
    assert await say(tg, f"/staff_add manager {MAX} Max Manager") == [
        "Max Manager added as manager (#2)."
    ]
    assert names(tg.api, MAX) == STRANGER_EN  # refused: nothing of theirs yet
    max_ = await tg.app.commands.actor(Address(Channel.TELEGRAM, str(MAX)))
    assert max_ is not None  # still staff, and nobody was told they are unreachable
    assert tg.texts(ADMIN_ID)[-1] == "Max Manager added as manager (#2)."

    await say(tg, "/start", MAX)
    assert "round" in names(tg.api, MAX)
