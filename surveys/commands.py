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
from surveys.census_staff import (
    Upload,
    census_command,
    census_status_line,
    import_from_chat,
    start_census,
)
from surveys.followups import FollowUpPolicy, FollowUps, visible_alert
from surveys.health import show_health
from surveys.model import Address, Channel, Language, Staff, StaffRole
from surveys.reporting.files import parse_report_args
from surveys.resolution import Resolutions, awaiting_note, parse_disposition
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
    # The language the platform says the person uses (Slack's locale), when we speak it:
    # theirs unless the command names one, rather than the account's.
    language: Language | None = None


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
        """A person became staff at ``address``, added or linked (e.g. Telegram gives them
        the staff command menu, Slack their Slack's language)."""
        ...


@dataclass(slots=True)
class Call:
    """One run of a command: who asked, the words after the command's name, the platform."""

    commands: StaffCommands
    actor: Staff
    args: list[str]
    platform: Platform
    # What identifies this request on its platform (a chat message), so a redelivered
    # command records its file once; None where the platform gives nothing to key on.
    request_key: str | None = None
    upload: Upload | None = None  # a file sent with the command (Telegram caption, Slack DM)

    def need(self, at_least: int) -> list[str]:
        if len(self.args) < at_least:
            raise Usage
        return self.args

    def rest(self, start: int) -> str:
        return " ".join(self.args[start:])

    @property
    def census_links(self) -> bool:
        """Whether a census link can be shown where the command was typed: the service
        knows, as a census progress message asks it too (SurveyService.census_links_work)."""
        return self.commands.service.census_links_work(self.platform.channel)


Run = Callable[[Call], Awaitable[Output]]


@dataclass(frozen=True, slots=True)
class ReadOnly:
    """What a command that readers run too offers a role that may not act with it (an
    owner's /census shows progress; pausing it is a manager's)."""

    args: tuple[str, str]
    summary: tuple[str, str]


@dataclass(frozen=True, slots=True)
class StaffCommand:
    name: str
    roles: frozenset[StaffRole]
    args: tuple[str, str]  # (EN, RU) usage after the name; {person} etc. from the platform
    summary: tuple[str, str]  # (EN, RU) one line for menus and help
    run: Run = field(compare=False)
    read_only: ReadOnly | None = None  # for roles outside WRITERS, when they differ

    def _for(self, role: StaffRole | None) -> tuple[tuple[str, str], tuple[str, str]]:
        if self.read_only is not None and role is not None and role not in WRITERS:
            return self.read_only.args, self.read_only.summary
        return self.args, self.summary

    def usage(self, platform: Platform, lang: Language, role: StaffRole | None = None) -> str:
        """The command as ``role`` may type it (None: everything it takes)."""
        args = self._for(role)[0][1 if lang is Language.RU else 0]
        slots = {s: platform.syntax(s, lang) for s in ("person", "other", "invitee")}
        # Inside another slot's brackets, the person without its own: "<id, name or @user>".
        slots["person_bare"] = slots["person"].removeprefix("<").removesuffix(">")
        return f"{platform.prefix}{self.name} {args.format(**slots)}".rstrip()

    def describe(self, lang: Language, role: StaffRole | None = None) -> str:
        return self._for(role)[1][1 if lang is Language.RU else 0]


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
    language = rest[1] if len(rest) > 1 else invitee.language
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
        return await start_census(
            call.commands, call.actor, call.args[0], period, starter, call.census_links
        )
    return await call.commands.start_round(call.actor, call.rest(0))


async def _status(call: Call) -> Output:
    call.need(1)
    output = await call.commands.status(call.actor, call.rest(0))
    if users := await census_status_line(call.commands, call.actor, call.rest(0)):
        output.lines.append(users)
    return output


async def _census(call: Call) -> Output:
    args = call.need(1)
    action = args[1].lower() if len(args) > 1 else None
    if len(args) > (3 if action == "schedule" else 2):
        raise Usage
    cadence = args[2] if len(args) > 2 else None
    return await census_command(
        call.commands, call.actor, args[0], action, cadence, call.census_links
    )


async def _import(call: Call) -> Output:
    call.need(1)  # typed without a file, it answers how to send one
    return await import_from_chat(call.commands, call.actor, call.args, call.upload)


async def _alerts(call: Call) -> Output:
    return await call.commands.open_alerts(call.actor)


async def _alert(call: Call) -> Output:
    args = call.need(1)
    return await show_alert(call.commands, call.actor, parse_alert_id(args[0]))


def follow_ups(commands: StaffCommands) -> FollowUps:
    policy = commands.service.policy
    return FollowUps(
        commands.uow, commands.clock, FollowUpPolicy(policy.followup_window, policy.company)
    )


def resolutions(commands: StaffCommands) -> Resolutions:
    return Resolutions(commands.uow, commands.clock, commands.service.alert_desk)


async def reply_to_alert(commands: StaffCommands, actor: Staff, alert_id: int, text: str) -> Output:
    """A staff member's reply to an alert message (Telegram reply, Slack thread): the note
    of a resolution they chose a disposition for, else a follow-up question to the client."""
    try:
        async with commands.uow() as uow:
            alert = await visible_alert(uow, actor, alert_id)
        chosen = awaiting_note(alert, actor)
        if chosen is not None:
            return await resolutions(commands).resolve(actor, alert_id, chosen, text)
        return await follow_ups(commands).ask(actor, alert_id, text)
    except StaffError as exc:
        return Output([str(exc)])


async def _followup(call: Call) -> Output:
    args = call.need(1)
    return await follow_ups(call.commands).ask(call.actor, parse_alert_id(args[0]), call.rest(1))


async def _resolve(call: Call) -> Output:
    args = call.need(2)
    try:
        disposition = parse_disposition(args[1])
    except ValueError:
        raise StaffError(t("bad_disposition", call.actor.language)) from None
    return await resolutions(call.commands).resolve(
        call.actor, parse_alert_id(args[0]), disposition, call.rest(2)
    )


async def _health(call: Call) -> Output:
    return await show_health(call.commands, call.actor, call.rest(0))


async def _report(call: Call) -> Output:
    call.need(1)
    if parse_report_args(call.args) is not None:  # a trailing xlsx / csv asks for the file
        to = call.actor.address_on(call.platform.channel)
        return await call.commands.reports.report_command(
            call.actor, to, call.args, call.request_key
        )
    return await call.commands.report(call.actor, *split_period(call.args))


async def _trend(call: Call) -> Output:
    call.need(1)
    to = call.actor.address_on(call.platform.channel)
    return await call.commands.reports.trend_command(call.actor, to, call.args, call.request_key)


async def _timezone(call: Call) -> Output:
    args = call.need(1)
    return await call.commands.set_own_timezone(call.actor, args[0])


async def _digest(call: Call) -> Output:
    if not call.args or call.args[0].lower() not in ("on", "off"):
        raise Usage
    return await call.commands.digest.command(call.actor, call.args)


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
    output = await call.commands.link_staff(call.actor, args[0], address)
    # Reachable here from now on, like someone just added: e.g. their Slack's language.
    await call.platform.staff_added(address)
    return output


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
            (
                "<account> <staff id, name or {person_bare}>",
                "<аккаунт> <id, имя или {person_bare}>",
            ),
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
            (
                "<account> [census [2026-H1|2026-Q3|2026]] | due",
                "<аккаунт> [census [2026-H1|2026-Q3|2026]] | due",
            ),
            ("Start a round now (census: the users)", "Начать опрос (census — пользователи)"),
            _round,
        ),
        StaffCommand(
            "census",
            READERS,
            (
                "<account> [pause|resume|cancel|link|revoke|unschedule"
                " | schedule [half-yearly|quarterly|yearly]]",
                "<аккаунт> [pause|resume|cancel|link|revoke|unschedule"
                " | schedule [half-yearly|quarterly|yearly]]",
            ),
            ("Census progress and control", "Ход и управление переписью"),
            _census,
            ReadOnly(("<account>", "<аккаунт>"), ("Census progress", "Ход переписи")),
        ),
        StaffCommand(
            "import",
            WRITERS,
            (
                "<account> [confirm] (as a CSV/XLSX file's caption)",
                "<аккаунт> [confirm] (подписью к файлу CSV/XLSX)",
            ),
            ("Import contacts from a file", "Импорт контактов из файла"),
            _import,
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
            "followup",
            READERS,
            ("<alert id> <question for the client>", "<номер алерта> <вопрос клиенту>"),
            ("Ask the client about an alert", "Уточнить у клиента по алерту"),
            _followup,
        ),
        StaffCommand(
            "resolve",
            READERS,
            (
                "<alert id> fixed|explained|not_us|wont_fix <note>",
                "<номер алерта> fixed|explained|not_us|wont_fix <заметка>",
            ),
            ("Resolve an alert with how it ended", "Закрыть алерт с итогом"),
            _resolve,
        ),
        StaffCommand(
            "health",
            READERS,
            ("[account]", "[аккаунт]"),
            ("Account health, riskiest first", "Здоровье аккаунтов, самые рискованные первыми"),
            _health,
        ),
        StaffCommand(
            "report",
            READERS,
            (
                "<account>|all [2026 | 2026-11 | 2026-Q3 | 2026-H1] [xlsx | csv | csv;]",
                "<аккаунт>|all [2026 | 2026-11 | 2026-Q3 | 2026-H1] [xlsx | csv | csv;]",
            ),
            ("Summary report; xlsx or csv for a file", "Сводный отчёт; xlsx или csv — файлом"),
            _report,
        ),
        StaffCommand(
            "trend",
            READERS,
            ("<account>|all [period]", "<аккаунт>|all [период]"),
            ("Trend chart", "График динамики"),
            _trend,
        ),
        StaffCommand(
            "timezone",
            READERS,
            ("<time zone, e.g. Europe/Moscow>", "<часовой пояс, например Europe/Moscow>"),
            ("Your time zone for timelines and the digest", "Ваш часовой пояс"),
            _timezone,
        ),
        StaffCommand(
            "digest",
            READERS,
            ("on [time zone] | off", "on [часовой пояс] | off"),
            ("Weekly digest on/off", "Еженедельная сводка вкл/выкл"),
            _digest,
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
                "<staff id or name> <{person_bare} | {other}>",
                "<id или имя сотрудника> <{person_bare} | {other}>",
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
    request_key: str | None = None,
    upload: Upload | None = None,
    button: bool = False,
) -> Output:
    """Check the role, then run `name` with the words after it (None: the text could not be
    split into words, e.g. unbalanced quotes). Refusals and bad arguments come back as text,
    and a stranger hears only that the command (or ``button``, if pressed) is for staff,
    whatever they typed."""
    command = TABLE[name]
    try:
        staff = StaffCommands.require(actor, command.roles, lang, button=button)
        if words is None:
            raise Usage
        return await command.run(Call(commands, staff, words, platform, request_key, upload))
    except StaffError as exc:
        return Output([str(exc)])
    except (Usage, ValueError):
        if actor is None:
            return Output([command.usage(platform, lang)])
        return Output([command.usage(platform, actor.language, actor.role)])


def staff_menu(role: StaffRole, lang: Language) -> dict[str, str]:
    """The commands ``role`` may run, each with its one line, in table order (a menu)."""
    return {
        name: command.describe(lang, role)
        for name, command in TABLE.items()
        if role in command.roles
    }


def staff_help(actor: Staff, platform: Platform) -> list[str]:
    """The commands this person's role may run, in their language and the platform's syntax."""
    lang = actor.language
    lines = [t("staff_help_head", lang)]
    for command in TABLE.values():
        if actor.role in command.roles:
            usage = command.usage(platform, lang, actor.role)
            lines.append(f"{usage} — {command.describe(lang, actor.role)}")
    # Staff who never chose follow their app's language: this is how they choose.
    lines.append(t("staff_help_lang", lang))
    levels = "round_levels" if actor.role in TABLE["round"].roles else "round_levels_reader"
    return [*lines, "", t(levels, lang)]
