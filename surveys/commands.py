"""The one staff-command table: every command's name, arguments, usage text, menu line and
roles, written once for every chat platform.

An adapter (Telegram, Slack) only reads the words a person typed, names people the way its
platform does (a `Platform`), and renders the `Output`. Adding a command is one `StaffCommand`
entry here plus its use case in `surveys/staff.py` (or a sibling module).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from surveys.alert_view import parse_alert_id, show_alert
from surveys.census_staff import census_command, census_status_line, start_census
from surveys.model import Address, Channel, Language, Staff, StaffRole
from surveys.staff import (
    ADMINS,
    READERS,
    WRITERS,
    AccountOptions,
    Output,
    StaffCommands,
    StaffError,
    say,
    split_period,
)
from surveys.texts import t

LEVELS = ("stakeholder", "user")
# What anyone may type, staff or not (the contact's self-service), on every platform.
CLIENT_COMMANDS = ("start", "stop", "lang", "help", "skip", "later", "decline")


class Usage(Exception):
    """The arguments do not fit the command: `run` answers with its usage line."""


@dataclass(frozen=True, slots=True)
class Invitee:
    """Whom `invite` adds: a platform address when the platform can name the person now
    (a Slack user), else only a name and a one-time link the adapter renders."""

    name: str
    address: Address | None = None
    email: str | None = None


class Platform(Protocol):
    """What only the chat platform knows about naming people."""

    channel: Channel
    prefix: str  # what comes before a command's name: "/" or "/candor "

    def syntax(self, slot: str, lang: Language) -> str:
        """How a person is written in this platform's commands: slot is `person`
        (one of its users), `other` (someone on another platform) or `invitee`."""
        ...

    async def person(self, ref: str) -> Address | None:
        """A platform user named in a command (`9001`, `<@U123>`), or None if `ref` is not one."""
        ...

    async def invitee(self, args: list[str], lang: Language) -> tuple[Invitee, list[str]]:
        """Read the invitee from the front of `args`; the words left over."""
        ...

    async def staff_added(self, address: Address) -> None:
        """A person became staff (e.g. Telegram gives them the staff command menu)."""
        ...


@dataclass(slots=True)
class Call:
    """One run of a command: who asked, the words after the command's name, the platform."""

    commands: StaffCommands
    actor: Staff
    args: list[str]
    platform: Platform

    def need(self, at_least: int) -> list[str]:
        if len(self.args) < at_least:
            raise Usage
        return self.args

    def rest(self, start: int) -> str:
        return " ".join(self.args[start:])


Run = Callable[[Call], Awaitable[Output]]


@dataclass(frozen=True, slots=True)
class StaffCommand:
    name: str
    roles: frozenset[StaffRole]
    args: tuple[str, str]  # (EN, RU) usage after the name; {person} etc. from the platform
    summary: tuple[str, str]  # (EN, RU) one line for menus and help
    run: Run = field(compare=False)

    def usage(self, platform: Platform, lang: Language) -> str:
        args = self.args[1 if lang is Language.RU else 0]
        slots = {s: platform.syntax(s, lang) for s in ("person", "other", "invitee")}
        return f"{platform.prefix}{self.name} {args.format(**slots)}".rstrip()

    def describe(self, lang: Language) -> str:
        return self.summary[1 if lang is Language.RU else 0]


# --- how each command reads its arguments ------------------------------------------------


async def _accounts(call: Call) -> Output:
    return await call.commands.list_accounts(call.actor)


async def _account_add(call: Call) -> Output:
    args = call.need(1)
    language = None
    if len(args) > 2:
        if args[2].lower() not in ("en", "ru"):
            raise StaffError(say("bad_lang", call.actor.language))
        language = Language(args[2].lower())
    options = AccountOptions(
        tier=args[1] if len(args) > 1 else "standard",
        language=language,
        timezone=args[3] if len(args) > 3 else None,
    )
    return await call.commands.add_account(call.actor, args[0], options)


async def _owner(call: Call) -> Output:
    args = call.need(2)
    person = await call.platform.person(call.rest(1))
    ref = person.address if person else call.rest(1)
    return await call.commands.set_owner(call.actor, args[0], ref)


async def _tier(call: Call) -> Output:
    args = call.need(2)
    return await call.commands.set_tier(call.actor, args[0], call.rest(1))


async def _invite(call: Call) -> Output:
    args = call.need(2)
    invitee, rest = await call.platform.invitee(args[1:], call.actor.language)
    level = rest[0] if rest else "stakeholder"
    language = rest[1] if len(rest) > 1 else None
    if invitee.address is None:
        return await call.commands.invite(call.actor, args[0], invitee.name, level, language)
    return await call.commands.add_contact(
        call.actor, args[0], invitee.name, invitee.address, level, language, invitee.email
    )


async def _contacts(call: Call) -> Output:
    call.need(1)
    return await call.commands.list_contacts(call.actor, call.rest(0))


async def _schedule(call: Call) -> Output:
    args = call.need(2)
    return await call.commands.set_schedule(call.actor, args[0], args[1:])


async def _round(call: Call) -> Output:
    call.need(1)
    if len(call.args) >= 2 and call.args[1].lower() == "census":
        if len(call.args) > 3:
            raise Usage
        period = call.args[2] if len(call.args) > 2 else None
        starter = call.actor.address_on(call.platform.channel)
        return await start_census(call.commands, call.actor, call.args[0], period, starter)
    return await call.commands.start_round(call.actor, call.rest(0))


async def _status(call: Call) -> Output:
    call.need(1)
    output = await call.commands.status(call.actor, call.rest(0))
    if users := await census_status_line(call.commands, call.actor, call.rest(0)):
        output.lines.append(users)
    return output


async def _census(call: Call) -> Output:
    args = call.need(1)
    if len(args) > 2:
        raise Usage
    action = args[1].lower() if len(args) > 1 else None
    return await census_command(call.commands, call.actor, args[0], action)


async def _alerts(call: Call) -> Output:
    return await call.commands.open_alerts(call.actor)


async def _alert(call: Call) -> Output:
    args = call.need(1)
    return await show_alert(call.commands, call.actor, parse_alert_id(args[0]))


async def _report(call: Call) -> Output:
    call.need(1)
    return await call.commands.report(call.actor, *split_period(call.args))


async def _staff(call: Call) -> Output:
    return await call.commands.list_staff(call.actor)


async def _staff_add(call: Call) -> Output:
    args = call.need(3)
    address = await call.platform.person(args[1])
    if address is None:
        raise Usage
    output = await call.commands.add_staff(call.actor, args[0], call.rest(2), address, None)
    await call.platform.staff_added(address)
    return output


async def _staff_link(call: Call) -> Output:
    args = call.need(2)
    address = other_platform(args[1]) or await call.platform.person(args[1])
    if address is None:
        raise Usage
    return await call.commands.link_staff(call.actor, args[0], address)


def other_platform(ref: str) -> Address | None:
    """`telegram:<id>` or `slack:<user id>`: a person named on any platform, explicitly."""
    channel, _, rest = ref.partition(":")
    if channel.lower() == "telegram" and rest.isdigit():
        return Address(Channel.TELEGRAM, rest)
    if channel.lower() == "slack" and rest.isalnum() and rest[:1].upper() in ("U", "W"):
        return Address(Channel.SLACK, rest.upper())
    return None


# In menu and help order.
TABLE: dict[str, StaffCommand] = {
    c.name: c
    for c in [
        StaffCommand(
            "accounts", READERS, ("", ""), ("List accounts", "Список аккаунтов"), _accounts
        ),
        StaffCommand(
            "account_add",
            WRITERS,
            (
                '"<name>" [tier] [en|ru] [time zone]',
                '"<название>" [уровень] [en|ru] [часовой пояс]',
            ),
            ("Add an account", "Добавить аккаунт"),
            _account_add,
        ),
        StaffCommand(
            "owner",
            WRITERS,
            ("<account> <staff id, name or {person}>", "<аккаунт> <id, имя или {person}>"),
            ("Set an account's owner", "Назначить владельца"),
            _owner,
        ),
        StaffCommand(
            "tier",
            WRITERS,
            ("<account> <tier>", "<аккаунт> <уровень>"),
            ("Set an account's tier", "Задать уровень"),
            _tier,
        ),
        StaffCommand(
            "invite",
            WRITERS,
            (
                "<account> {invitee} [stakeholder|user] [en|ru]",
                "<аккаунт> {invitee} [stakeholder|user] [en|ru]",
            ),
            ("Invite a contact", "Пригласить контакт"),
            _invite,
        ),
        StaffCommand(
            "contacts",
            READERS,
            ("<account>", "<аккаунт>"),
            ("List an account's contacts", "Контакты аккаунта"),
            _contacts,
        ),
        StaffCommand(
            "schedule",
            WRITERS,
            (
                "<account> sprint <weeks> <YYYY-MM-DD> | quarterly | half-yearly"
                " | cron <m h dom mon dow> | manual | off",
                "<аккаунт> sprint <недель> <ГГГГ-ММ-ДД> | quarterly | half-yearly"
                " | cron <м ч день мес дн_нед> | manual | off",
            ),
            ("Set or clear a schedule", "Задать или снять расписание"),
            _schedule,
        ),
        StaffCommand(
            "round",
            WRITERS,
            ("<account> [census [2026-H1]] | due", "<аккаунт> [census [2026-H1]] | due"),
            ("Start a round now (census: the users)", "Начать опрос (census — пользователи)"),
            _round,
        ),
        StaffCommand(
            "census",
            READERS,
            (
                "<account> [pause|resume|cancel|link|revoke|schedule|unschedule]",
                "<аккаунт> [pause|resume|cancel|link|revoke|schedule|unschedule]",
            ),
            ("Census progress and control", "Ход и управление переписью"),
            _census,
        ),
        StaffCommand(
            "status",
            READERS,
            ("<account>", "<аккаунт>"),
            ("Round status", "Статус опроса"),
            _status,
        ),
        StaffCommand("alerts", READERS, ("", ""), ("Open alerts", "Открытые алерты"), _alerts),
        StaffCommand(
            "alert",
            READERS,
            ("<alert id>", "<номер алерта>"),
            ("One alert with the full answer", "Алерт с полным ответом"),
            _alert,
        ),
        StaffCommand(
            "report",
            READERS,
            (
                "<account>|all [2026 | 2026-11 | 2026-Q3 | 2026-H1]",
                "<аккаунт>|all [2026 | 2026-11 | 2026-Q3 | 2026-H1]",
            ),
            ("Summary report", "Сводный отчёт"),
            _report,
        ),
        StaffCommand("staff", WRITERS, ("", ""), ("List staff", "Сотрудники"), _staff),
        StaffCommand(
            "staff_add",
            ADMINS,
            ("<admin|manager|owner> {person} <name>", "<admin|manager|owner> {person} <имя>"),
            ("Add staff (admins)", "Добавить сотрудника (админ)"),
            _staff_add,
        ),
        StaffCommand(
            "staff_link",
            ADMINS,
            (
                "<staff id or name> <{person} | {other}>",
                "<id или имя сотрудника> <{person} | {other}>",
            ),
            (
                "Reach staff on another platform (admins)",
                "Связать сотрудника с другой платформой (админ)",
            ),
            _staff_link,
        ),
    ]
}


async def run(
    commands: StaffCommands,
    actor: Staff | None,
    lang: Language,
    name: str,
    words: list[str] | None,
    platform: Platform,
) -> Output:
    """Check the role, then run `name` with the words after it (None: the text could not be
    split into words, e.g. unbalanced quotes). Refusals and bad arguments come back as text,
    and a stranger hears only that the command is for staff, whatever they typed."""
    command = TABLE[name]
    try:
        staff = StaffCommands.require(actor, command.roles, lang)
        if words is None:
            raise Usage
        return await command.run(Call(commands, staff, words, platform))
    except StaffError as exc:
        return Output([str(exc)])
    except (Usage, ValueError):
        return Output([command.usage(platform, actor.language if actor else lang)])


def staff_help(actor: Staff, platform: Platform) -> list[str]:
    """The commands this person's role may run, in their language and the platform's syntax."""
    lang = actor.language
    lines = [t("staff_help_head", lang)]
    for command in TABLE.values():
        if actor.role in command.roles:
            lines.append(f"{command.usage(platform, lang)} — {command.describe(lang)}")
    return [*lines, "", t("round_levels", lang)]
