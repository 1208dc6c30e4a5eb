"""One staff-command table, run by both adapters: every entry of `surveys.commands.TABLE` is
offered, refused, explained and listed the same way on Telegram and on Slack, through the real
aiogram and slack-bolt stacks against the fake servers."""

from __future__ import annotations

import pytest

from bot.telegram.menus import STAFF_SELF, staff_lines
from surveys.commands import TABLE
from surveys.model import Language, Staff, StaffRole
from surveys.staff import READERS, say
from tests.staff_chat import SLACK, TELEGRAM, Chat, owner_id

EN, RU = Language.EN, Language.RU
# Commands with a required argument (`/health [account]` runs without one).
WITH_ARGS = sorted(name for name, c in TABLE.items() if c.args[0] and c.args[0][0] != "[")
WRITER_ONLY = sorted(name for name, c in TABLE.items() if StaffRole.OWNER not in c.roles)


# --- the table itself ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_command_has_both_languages_and_a_usage_per_platform(name: str) -> None:
    command = TABLE[name]
    assert command.name == name and command.roles
    assert all(command.summary) and len(command.summary) == 2
    for platform, prefix in ((TELEGRAM, "/"), (SLACK, "/candor ")):
        for lang in (EN, RU):
            usage = command.usage(platform, lang)
            assert usage.startswith(f"{prefix}{name}")
            assert "{" not in usage  # every platform slot was filled


def test_telegram_menu_is_the_table_in_order() -> None:
    admin = dict(staff_lines(Staff(2, "Ada", StaffRole.ADMIN, Language.EN)))
    assert list(admin) == [*TABLE, *STAFF_SELF]
    assert admin["round"] == TABLE["round"].summary[0]


# --- both adapters run it ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TABLE))
async def test_a_stranger_is_refused_every_command_on_both_platforms(chat: Chat, name: str) -> None:
    assert await chat.ask(name, chat.stranger) == say("staff_only", EN)


@pytest.mark.parametrize("name", WITH_ARGS)
async def test_a_command_without_its_arguments_answers_the_tables_usage(
    chat: Chat, name: str
) -> None:
    assert await chat.ask(name) == TABLE[name].usage(chat.platform, EN)


@pytest.mark.parametrize("name", WRITER_ONLY)
async def test_an_owner_is_refused_writer_commands_on_both_platforms(chat: Chat, name: str) -> None:
    assert "added as owner" in await chat.ask(f"staff_add owner {chat.owner} Olga Owner")
    # Admins-only commands name who can run them: a manager could not help.
    key = "not_allowed_admins" if StaffRole.MANAGER not in TABLE[name].roles else "not_allowed"
    assert await chat.ask(name, owner_id(chat)) == say(key, EN, role="owner")


async def test_a_manager_refused_an_admins_command_is_told_only_an_admin_can(chat: Chat) -> None:
    # A manager typing /staff_add was told to "ask a manager or an admin".
    assert "added as manager" in await chat.ask(f"staff_add manager {chat.owner} Max Manager")
    refusal = await chat.ask("staff_add owner 1234 Eve", owner_id(chat))
    assert refusal == "Your role (manager) cannot do this; only an admin can."


async def test_staff_help_lists_the_table_in_each_platforms_syntax(chat: Chat) -> None:
    admin_help = await chat.ask("help")
    for command in TABLE.values():
        assert command.usage(chat.platform, EN) in admin_help
    other = SLACK if chat.platform is TELEGRAM else TELEGRAM
    assert TABLE["staff_add"].usage(other, EN) not in admin_help

    await chat.ask(f"staff_add owner {chat.owner} Olga Owner")
    owner_help = await chat.ask("help", owner_id(chat))
    for command in TABLE.values():
        owners = command.usage(chat.platform, EN, StaffRole.OWNER)
        assert (owners in owner_help) == (command.roles == READERS)


async def test_usages_never_nest_the_platforms_brackets(chat: Chat) -> None:
    # `/owner` answered "<staff id, name or <telegram user id>>": the platform's person slot
    # brings its own brackets, and the table wrapped it in a second pair.
    if chat.platform is TELEGRAM:
        owner = "/owner <account> <staff id, name or telegram user id>"
        link = "/staff_link <staff id or name> <telegram user id | slack:<user id>>"
    else:
        owner = "/candor owner <account> <staff id, name or @user>"
        link = "/candor staff_link <staff id or name> <@user | telegram:<id>>"
    assert await chat.ask("owner") == owner
    assert await chat.ask("staff_link") == link
    for command in TABLE.values():
        for lang in (EN, RU):
            usage = command.usage(chat.platform, lang)
            assert "<<" not in usage and "or <" not in usage and "или <" not in usage, usage


@pytest.mark.parametrize("lang", [EN, Language.RU])
def test_an_owners_help_does_not_point_them_to_a_command_they_may_not_run(
    lang: Language,
) -> None:
    # The footer told an owner that users are asked "by a census: /round <account> census",
    # and /round then refused them.
    from surveys.commands import staff_help

    for platform in (TELEGRAM, SLACK):
        owner = staff_help(Staff(1, "Olga", StaffRole.OWNER, lang), platform)
        assert not any("round" in line.split(" — ")[0] for line in owner), owner
        assert "census" in owner[-1] or "перепись" in owner[-1]
        admin = staff_help(Staff(2, "Ada", StaffRole.ADMIN, lang), platform)
        assert "round" in admin[-1]


async def test_an_owners_help_lists_only_the_census_commands_an_owner_may_run(chat: Chat) -> None:
    # An owner's /help offered "/census <account> [pause|resume|cancel|link|revoke|…]",
    # and each of those then refused them: they may read a census's progress, not steer it.
    await chat.ask(f"staff_add owner {chat.owner} Olga Owner")
    owner_help = await chat.ask("help", owner_id(chat))
    census = [line for line in owner_help.splitlines() if f"{chat.platform.prefix}census" in line]
    assert census == [f"{chat.platform.prefix}census <account> — Census progress"]
    for word in ("pause", "resume", "cancel", "revoke", "schedule"):
        assert word not in owner_help, word
    # Typed without its account, the usage they get is theirs too.
    assert await chat.ask("census", owner_id(chat)) == f"{chat.platform.prefix}census <account>"
    admin_help = await chat.ask("help")
    assert "census <account> [pause|resume|cancel|link|revoke" in admin_help


@pytest.mark.parametrize("lang", [EN, RU])
def test_each_role_reads_the_census_line_it_may_run_in_its_language(lang: Language) -> None:
    from surveys.commands import staff_help

    for platform in (TELEGRAM, SLACK):
        owner = staff_help(Staff(1, "Olga", StaffRole.OWNER, lang), platform)
        manager = staff_help(Staff(2, "Max", StaffRole.MANAGER, lang), platform)
        [mine] = [line for line in owner if line.startswith(f"{platform.prefix}census ")]
        [theirs] = [line for line in manager if line.startswith(f"{platform.prefix}census ")]
        account = "<аккаунт>" if lang is RU else "<account>"
        summary = "Ход переписи" if lang is RU else "Census progress"
        assert mine == f"{platform.prefix}census {account} — {summary}"
        assert "pause|resume|cancel" in theirs
