"""What client-service staff do with Candor, whatever the chat platform.

Telegram commands and Slack's `/candor <subcommand>` both call these use cases; each checks
the actor's role first, so a person who is not staff learns nothing about any account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from surveys import joining
from surveys.alert_desk import staff_came_back
from surveys.alerts import question_as_asked
from surveys.model import (
    Account,
    Address,
    Alert,
    AlertStatus,
    CadenceKind,
    Contact,
    ContactLevel,
    ContactStatus,
    Language,
    Round,
    Schedule,
    Staff,
    StaffRole,
)
from surveys.onboarding import Onboarding
from surveys.periods import distinct_round_title, local_time
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.reporting.labels import L
from surveys.reports import render_table
from surveys.schedules import (
    CronNeverFires,
    describe,
    latest_due_period,
    next_due_at,
    validate_cron,
)
from surveys.service import SurveyService, staff_chats
from surveys.texts import count, partly_note, t

WRITERS = frozenset({StaffRole.ADMIN, StaffRole.MANAGER})
READERS = frozenset({StaffRole.ADMIN, StaffRole.MANAGER, StaffRole.OWNER})
ADMINS = frozenset({StaffRole.ADMIN})
MAX_NAME = 200

# (English, Russian) for every staff-facing sentence.
_T: dict[str, tuple[str, str]] = {
    "staff_only": (
        "This command is only for client service staff.",
        "Эта команда доступна только сотрудникам клиентского сервиса.",
    ),
    "staff_only_button": (
        "This button is only for client service staff.",
        "Эта кнопка доступна только сотрудникам клиентского сервиса.",
    ),
    "not_allowed": (
        "Your role ({role}) cannot do this; ask a manager or an admin.",
        "Ваша роль ({role}) не позволяет это сделать; обратитесь к менеджеру или администратору.",
    ),
    "not_allowed_admins": (
        "Your role ({role}) cannot do this; only an admin can.",
        "Ваша роль ({role}) не позволяет это сделать; это может только администратор.",
    ),
    "no_account": (
        "No account «{ref}». See /accounts.",
        "Аккаунт «{ref}» не найден. См. /accounts.",
    ),
    "no_staff": (
        "No staff member «{ref}». See /staff.",
        "Сотрудник «{ref}» не найден. См. /staff.",
    ),
    "staff_ambiguous": (
        "Several staff members match «{ref}»: {who}. Name one by #id or full name.",
        "Под «{ref}» подходят несколько сотрудников: {who}. Укажите #id или полное имя.",
    ),
    "account_exists": ("Account «{name}» already exists.", "Аккаунт «{name}» уже есть."),
    "account_added": (
        "Account «{name}» added (#{id}, tier {tier}, {lang}, {tz}).",
        "Аккаунт «{name}» добавлен (#{id}, уровень {tier}, {lang}, {tz}).",
    ),
    "no_accounts": (
        "No accounts yet. Add one: /account_add <name>",
        "Аккаунтов пока нет. Добавьте: /account_add <название>",
    ),
    "no_accounts_owned": (
        "You own no accounts yet: a manager or an admin makes you an account's owner.",
        "Ваших аккаунтов пока нет: владельцем аккаунта вас назначает менеджер или админ.",
    ),
    "owner_set": ("Owner of «{account}» is now {owner}.", "Владелец «{account}» теперь {owner}."),
    "tier_set": ("Tier of «{account}» is now {tier}.", "Уровень «{account}» теперь {tier}."),
    "invite_made": (
        "Invite for {name} ({level}, {lang}) at «{account}». Send them this link; it works once and expires on {expires}:",
        "Приглашение: {name} ({level}, {lang}), «{account}». Отправьте эту ссылку; она одноразовая и действует до {expires}:",
    ),
    "bad_level": (
        "Level must be stakeholder or user.",
        "Уровень должен быть stakeholder или user.",
    ),
    "bad_lang": ("Language must be en or ru.", "Язык должен быть en или ru."),
    "bad_tz": (
        "Unknown time zone «{tz}»; use e.g. Europe/Moscow.",
        "Неизвестный часовой пояс «{tz}»; например, Europe/Moscow.",
    ),
    "bad_name": ("A name must be 1-200 characters.", "Имя должно быть от 1 до 200 символов."),
    "schedule_set": (
        "Schedule of «{account}»: {schedule}. Next round: {next}.",
        "Расписание «{account}»: {schedule}. Следующий опрос: {next}.",
    ),
    "schedule_cleared": (
        "Schedule of «{account}» cleared; rounds only by hand now.",
        "Расписание «{account}» снято; опросы только вручную.",
    ),
    "schedule_none": ("«{account}» had no schedule.", "У «{account}» не было расписания."),
    "bad_schedule": (
        "Schedule must be one of: sprint <weeks> <YYYY-MM-DD> · quarterly · half-yearly · cron <5 fields> · manual · off. {reason}",
        "Расписание: sprint <недель> <ГГГГ-ММ-ДД> · quarterly · half-yearly · cron <5 полей> · manual · off. {reason}",
    ),
    # Why a schedule was refused, in the reader's language (the {reason} above).
    "schedule.sprint": (
        "Sprint needs weeks (1-52) and a start date.",
        "Спринт задаётся числом недель (1-52) и датой начала.",
    ),
    "schedule.date": (
        "«{text}» is not a date as YYYY-MM-DD.",
        "«{text}» — не дата в виде ГГГГ-ММ-ДД.",
    ),
    "schedule.cron": (
        "«{text}» is not a cron expression (minute hour day month weekday): {detail}",
        "«{text}» — не выражение cron (минута час день месяц день_недели).",
    ),
    "schedule.never": (
        "«{text}» never comes, so no round would open.",
        "По «{text}» опрос не наступит никогда.",
    ),
    "round_opened": (
        "Round «{title}» opened for «{account}»: {n} invited.",
        "Опрос «{title}» открыт для «{account}»: приглашения отправлены — {n}.",
    ),
    "round_level": (
        "Rounds ask stakeholders only.",
        "Опросы проводятся только среди stakeholder-контактов.",
    ),
    "round_users_left": (
        "Not asked, at the user level: {n} (users are asked in a census of their own).",
        "Не опрошены контакты уровня user: {n} (пользователей опрашивает отдельная перепись).",
    ),
    "contacts_head": (
        "Contacts of «{account}». Rounds ask stakeholders only; the user level is not asked.",
        "Контакты «{account}». Опросы — только для stakeholder-контактов; уровень user не опрашивается.",
    ),
    "round_exists": (
        "Round «{title}» for «{account}» is already open.",
        "Опрос «{title}» для «{account}» уже открыт.",
    ),
    "no_due": (
        "No account is due for a round now.",
        "Сейчас ни одному аккаунту не пора проводить опрос.",
    ),
    "no_rounds": ("«{account}» has no rounds yet.", "У «{account}» ещё не было опросов."),
    "status": (
        "«{account}» — {title}: invited {invited}, responded {responded} ({rate:.0%}){partly}, completed {completed}, declined {declined}, expired {expired}. Schedule: {schedule}; next: {next}.",
        "«{account}» — {title}: приглашено {invited}, ответили {responded} ({rate:.0%}){partly}, завершили {completed}, отказались {declined}, истекло {expired}. Расписание: {schedule}; следующий: {next}.",
    ),
    "no_alerts": ("No open alerts.", "Открытых алертов нет."),
    "alert_line": (
        "#{id} [{status}] {account} · {contact} · {question}: {answer}",
        "#{id} [{status}] {account} · {contact} · {question}: {answer}",
    ),
    "no_alert": ("No alert #{id}.", "Алерт #{id} не найден."),
    "own_tz": (
        "Your time zone is now {tz}: alert timelines and your weekly digest use it.",
        "Ваш часовой пояс теперь {tz}: по нему показываются хронологии алертов и еженедельная сводка.",
    ),
    "alert_set": ("Alert #{id} is now {status} ({by}).", "Алерт #{id}: {status} ({by})."),
    "bad_period": (
        "Period must look like 2026, 2026-11, 2026-Q3 or 2026-H1.",
        "Период: 2026, 2026-11, 2026-Q3 или 2026-H1.",
    ),
    "no_report": ("No rounds in that period.", "За этот период опросов нет."),
    "staff_added": ("{name} added as {role} (#{id}).", "{name} добавлен(а) как {role} (#{id})."),
    "staff_exists": (
        "That person is already staff: {name} ({role}).",
        "Этот человек уже в команде: {name} ({role}).",
    ),
    "staff_is_contact": (
        "{name} is also a contact of «{account}»; as staff they will not be surveyed.",
        "{name} также контакт аккаунта «{account}»; сотрудникам опросы не приходят, поэтому этот контакт больше не будут опрашивать.",
    ),
    "bad_role": ("Role must be admin, manager or owner.", "Роль: admin, manager или owner."),
    # A role in words, as /staff lists it; the words the commands take follow the list.
    "role.admin": ("administrator", "администратор"),
    "role.manager": ("manager", "менеджер"),
    "role.owner": ("account owner", "владелец аккаунта"),
    "roles_typed": (
        "/staff_add takes the roles as admin, manager and owner.",
        "В /staff_add роли пишутся так: администратор — admin, менеджер — manager, "
        "владелец аккаунта — owner.",
    ),
    "contacts_none": (
        "«{account}» has no contacts yet. Invite one: /invite",
        "У «{account}» пока нет контактов. Пригласите: /invite",
    ),
    "never": ("none (manual)", "нет (вручную)"),
    "contact_added": (
        "{name} ({level}, {lang}) added to «{account}» and will be surveyed in the next round.",
        "{name} ({level}, {lang}) добавлен(а) в «{account}» и получит следующий опрос.",
    ),
    "contact_added_user": (
        "{name} ({level}, {lang}) added to «{account}». Rounds ask stakeholders only: users are asked by a census (/round <account> census).",
        "{name} ({level}, {lang}) добавлен(а) в «{account}». Опросы задают вопросы только stakeholder-контактам: пользователей опрашивает перепись (/round <аккаунт> census).",
    ),
    "contact_added_to_round": (
        "{name} ({level}, {lang}) added to «{account}» and invited to the open round «{title}» (answers until {closes}).",
        "{name} ({level}, {lang}) добавлен(а) в «{account}» и приглашён(а) в идущий опрос «{title}» (ответы принимаются до {closes}).",
    ),
    "invite_round": (
        "Round «{title}» is open: if {name} opens the link below before {closes}, its questions come right after the welcome.",
        "Идёт опрос «{title}»: если {name} откроет ссылку ниже до {closes}, вопросы опроса придут сразу после приветствия.",
    ),
    "contact_exists": (
        "That person is already a contact: {name} ({account}).",
        "Этот человек уже контакт: {name} ({account}).",
    ),
    "contact_is_staff": (
        "{name} is client service staff ({role}), not a client: staff get Candor's alerts and are never surveyed. Invite someone at the client instead.",
        "{name} — сотрудник клиентского сервиса ({role}), а не клиент: сотрудники получают алерты Candor, опросы им не приходят. Пригласите человека со стороны клиента.",
    ),
    "contact_staff": ("staff — not surveyed", "сотрудник — не опрашивается"),
    "staff_linked": (
        "{name} is now also reachable as {address}.",
        "{name} теперь доступен(на) и как {address}.",
    ),
    "no_schedule": ("none", "нет"),
}


def say(key: str, lang: Language, /, **params: object) -> str:
    # Positional-only: "account_added" and "invite_made" have a {lang} placeholder of their own.
    en, ru = _T[key]
    template = ru if lang is Language.RU else en
    return template.format(**params) if params else template


def role_label(role: StaffRole, lang: Language) -> str:
    """A role in words ("account owner", «владелец аккаунта»), as a list shows it."""
    return say(f"role.{role.value}", lang)


def role_name(role: StaffRole, lang: Language) -> str:
    """A role in a sentence: Russian does not say «Ваша роль (owner)»; English keeps the
    word the commands take (/staff_add owner …), echoing what the adder typed."""
    return role_label(role, lang) if lang is Language.RU else role.value


class StaffError(Exception):
    """A staff command cannot be done; the message is ready for the person who asked."""


@dataclass(slots=True)
class Output:
    """A command's answer: plain lines (adapters escape them) and an optional table."""

    lines: list[str] = field(default_factory=list)
    table: str | None = None
    link_token: str | None = None  # an invite token the adapter turns into a link
    verbatim: str | None = None  # a client's own words, after the lines: escaped, never reworded
    # (account, file id) of an import preview the adapter may offer to confirm with a button
    confirm_import: tuple[str, str] | None = None
    # A census run whose starter's progress message the adapter records once this answer
    # is on its way (census_progress.follow_answer): "started" is read before the numbers.
    census_progress: int | None = None


@dataclass(frozen=True, slots=True)
class AccountOptions:
    tier: str = "standard"
    language: Language | None = None
    timezone: str | None = None


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|Q([1-4])|H([12])))?$", re.IGNORECASE)


def split_period(args: list[str]) -> tuple[str, str | None]:
    """`report` arguments as (account, period): a trailing period-like word is the period,
    so an account name with spaces needs no quotes."""
    if len(args) > 1 and _PERIOD.match(args[-1]):
        return " ".join(args[:-1]), args[-1]
    return " ".join(args), None


def period_range(text: str) -> tuple[datetime, datetime]:
    """'2026', '2026-11', '2026-Q3', '2026-H1' as [start, end) in UTC."""
    match = _PERIOD.match(text.strip())
    if not match:
        raise ValueError(text)
    year = int(match[1])
    if match[2]:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(text)
        first, months = month, 1
    elif match[3]:
        first, months = (int(match[3]) - 1) * 3 + 1, 3
    elif match[4]:
        first, months = (int(match[4]) - 1) * 6 + 1, 6
    else:
        first, months = 1, 12
    start = datetime(year, first, 1, tzinfo=UTC)
    end_month = first + months
    end = datetime(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1, tzinfo=UTC)
    return start, end


class ScheduleError(ValueError):
    """Why a schedule was refused: a text key and its parameters, said in the reader's
    language by `set_schedule`."""

    def __init__(self, key: str = "", **params: str) -> None:
        super().__init__(key)
        self.key, self.params = key, params

    def said(self, lang: Language) -> str:
        return say(f"schedule.{self.key}", lang, **self.params) if self.key else ""


def parse_schedule(spec: list[str], account_id: int, now: datetime) -> Schedule:
    """`sprint 2 2026-01-05`, `quarterly`, `half-yearly`, `cron 0 10 * * 1`, `manual`."""
    if not spec:
        raise ScheduleError()
    head = spec[0].lower().replace("-", "_")
    if head == "sprint":
        if len(spec) != 3 or not spec[1].isdigit() or not 1 <= int(spec[1]) <= 52:
            raise ScheduleError("sprint")
        try:
            anchor = date.fromisoformat(spec[2])
        except ValueError:
            raise ScheduleError("date", text=spec[2]) from None
        return Schedule(0, account_id, CadenceKind.SPRINT, int(spec[1]), anchor, created_at=now)
    if head in ("quarterly", "half_yearly", "manual") and len(spec) == 1:
        return Schedule(0, account_id, CadenceKind(head), created_at=now)
    if head == "cron" and len(spec) == 6:
        expr = " ".join(spec[1:])
        try:
            validate_cron(expr)
        except CronNeverFires:
            raise ScheduleError("never", text=expr) from None
        except ValueError as exc:  # the library's own words, kept for English readers
            detail = str(exc).split(": ", 1)[-1]
            raise ScheduleError("cron", text=expr, detail=_sentence(detail)) from None
        return Schedule(0, account_id, CadenceKind.CRON, cron=expr, created_at=now)
    raise ScheduleError()


class StaffCommands:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        service: SurveyService,
        onboarding: Onboarding,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.service = service
        self.onboarding = onboarding
        # Files, charts and the weekly digest live in modules of their own; imported here
        # because they use this module's texts and account lookup.
        from surveys.digest import WeeklyDigest
        from surveys.reporting.files import ReportFiles

        self.reports = ReportFiles(uow, clock)
        self.digest = WeeklyDigest(uow, clock, default_timezone=service.policy.default_timezone)

    # --- who is asking --------------------------------------------------------------------

    async def actor(self, address: Address) -> Staff | None:
        async with self.uow() as uow:
            person = await uow.staff.by_address(address)
            if person is not None and person.unreachable_since is not None:
                person = await staff_came_back(uow, person, address)
                await uow.commit()
            return person

    async def ensure_admin(
        self, address: Address, language: Language, display_name: str | None = None
    ) -> None:
        """A bootstrap admin from the settings exists, named as their platform shows them
        (or a placeholder until the platform tells us)."""
        async with self.uow() as uow:
            person = await uow.staff.by_address(address)
            if person is None:
                person = Staff(
                    0,
                    _display(display_name) or placeholder_name(address),
                    StaffRole.ADMIN,
                    language,
                    created_at=self.clock.now(),
                )
                _set_address(person, address)
                await uow.staff.add(person)
            elif display_name and person.name == placeholder_name(address):
                await uow.staff.update(replace(person, name=_display(display_name) or person.name))
            await uow.commit()

    async def adopt_display_name(self, address: Address, display_name: str) -> None:
        """A bootstrap admin still called by the placeholder takes the name the platform
        shows (Telegram tells it only when the person writes)."""
        name = _display(display_name)
        if not name:
            return
        async with self.uow() as uow:
            person = await uow.staff.by_address(address)
            if person is None or person.name != placeholder_name(address):
                return
            await uow.staff.update(replace(person, name=name))
            await uow.commit()

    @staticmethod
    def require(
        actor: Staff | None, roles: frozenset[StaffRole], lang: Language, *, button: bool = False
    ) -> Staff:
        if actor is None:
            # A stranger who pressed a (forwarded) button typed no command: say "button".
            raise StaffError(say("staff_only_button" if button else "staff_only", lang))
        if actor.role not in roles:
            # A manager cannot help with an admins-only command: name who can.
            key = "not_allowed" if StaffRole.MANAGER in roles else "not_allowed_admins"
            raise StaffError(say(key, actor.language, role=role_name(actor.role, actor.language)))
        return actor

    # --- accounts -------------------------------------------------------------------------

    async def add_account(self, actor: Staff, name: str, options: AccountOptions) -> Output:
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        name = _clean_name(name, lang)
        tz = options.timezone or self.service.policy.default_timezone
        _check_timezone(tz, lang)
        language = options.language or self.service.policy.default_language
        async with self.uow() as uow:
            if await uow.accounts.by_name(name) is not None:
                raise StaffError(say("account_exists", lang, name=name))
            account = await uow.accounts.add(
                Account(0, name, None, options.tier[:40], language, tz, created_at=self.clock.now())
            )
            await uow.commit()
        return Output(
            [
                say(
                    "account_added",
                    lang,
                    name=account.name,
                    id=account.id,
                    tier=account.tier,
                    lang=account.language.value,
                    tz=account.timezone,
                )
            ]
        )

    async def list_accounts(self, actor: Staff) -> Output:
        self.require(actor, READERS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            accounts = await self._visible_accounts(uow, actor)
            staff = {s.id: s for s in await uow.staff.list()}
            chats = await staff_chats(uow)
            rows = []
            for a in accounts:
                schedule = await uow.schedules.for_account(a.id)
                contacts = await uow.contacts.for_account(a.id)
                # Active: can be surveyed; a contact whose chat is staff's never is.
                active = sum(
                    c.status is ContactStatus.ACTIVE and c.reachable_at not in chats
                    for c in contacts
                )
                owner = staff[a.owner_id].name if a.owner_id in staff else "—"
                rows.append(
                    [
                        f"#{a.id}",
                        a.name,
                        a.tier,
                        owner,
                        f"{active}/{len(contacts)}",
                        describe(schedule, lang.value) if schedule else say("no_schedule", lang),
                    ]
                )
        if not rows:  # an owner may not add one: they are told who gives them one
            owner = actor.role is StaffRole.OWNER
            return Output([say("no_accounts_owned" if owner else "no_accounts", lang)])
        head = (
            ["id", "account", "tier", "owner", "active", "schedule"]
            if lang is Language.EN
            else ["id", "аккаунт", "уровень", "владелец", "активны", "расписание"]
        )
        return Output(table=_table(head, rows))

    async def set_owner(self, actor: Staff, account_ref: str, staff_ref: str) -> Output:
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang)
            owner = await self._staff(uow, staff_ref, lang)
            if account.owner_id != owner.id:
                given = replace(account, owner_id=owner.id, owner_since=self.clock.now())
                await uow.accounts.update(given)
            await uow.commit()
        return Output([say("owner_set", lang, account=account.name, owner=owner.name)])

    async def set_tier(self, actor: Staff, account_ref: str, tier: str) -> Output:
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        tier = _clean_name(tier, lang)[:40]
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang)
            await uow.accounts.update(replace(account, tier=tier))
            await uow.commit()
        return Output([say("tier_set", lang, account=account.name, tier=tier)])

    # --- contacts -------------------------------------------------------------------------

    async def invite(
        self,
        actor: Staff,
        account_ref: str,
        name: str,
        level: str = "stakeholder",
        language: str | None = None,
        email: str | None = None,
    ) -> Output:
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        name, contact_level = _clean_name(name, lang), _level(level, lang)
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang)
            contact_lang = _contact_language(language, account, lang)
            contact = await uow.contacts.add(
                Contact(
                    0,
                    account.id,
                    name,
                    contact_level,
                    contact_lang,
                    ContactStatus.INVITED,
                    email=email,
                )
            )
            token = await self.onboarding.create_invite(uow, contact.id, actor)
            # Opening the link while this round is open joins it (Onboarding.redeem).
            current = await joining.open_round(self.service, uow, account)
            await uow.commit()
        expires = (self.clock.now() + self.onboarding.invite_ttl).strftime("%Y-%m-%d")
        line = say(
            "invite_made",
            lang,
            name=name,
            level=contact_level.value,
            lang=contact_lang.value,
            account=account.name,
            expires=expires,
        )
        lines = [line]
        if current and self.service.asks(current.round.audience, contact_level):
            title = current.title(lang)
            closes = local_time(current.closes_at, account.timezone)
            lines.insert(0, say("invite_round", lang, title=title, name=name, closes=closes))
        return Output(lines, link_token=token)

    async def add_contact(
        self,
        actor: Staff,
        account_ref: str,
        name: str,
        address: Address,
        level: str = "stakeholder",
        language: str | None = None,
        email: str | None = None,
    ) -> Output:
        """A contact already reachable on a platform (e.g. a Slack user found by e-mail)."""
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        name, contact_level = _clean_name(name, lang), _level(level, lang)
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang)
            # Staff get alerts about the answers; surveying them would mix our people's
            # words into the client's and send them the questions meant for the client.
            if (staff := await uow.staff.by_address(address)) is not None:
                raise StaffError(
                    say("contact_is_staff", lang, name=staff.name, role=role_name(staff.role, lang))
                )
            existing = await uow.contacts.by_address(address)
            if existing is not None:
                owner = await uow.accounts.get(existing.account_id)
                raise StaffError(
                    say(
                        "contact_exists",
                        lang,
                        name=existing.name,
                        account=owner.name if owner else "?",
                    )
                )
            contact_lang = _contact_language(language, account, lang)
            contact = await uow.contacts.add(
                Contact(
                    0,
                    account.id,
                    name,
                    contact_level,
                    contact_lang,
                    ContactStatus.ACTIVE,
                    address.channel,
                    address.address,
                    email,
                )
            )
            # Reachable now: a round under way asks them too (once; see surveys.joining).
            joined = await joining.join_open_round(self.service, uow, contact)
            await uow.commit()
        params = {"name": name, "level": contact_level.value, "lang": contact_lang.value,
                  "account": account.name}  # fmt: skip
        if joined is None:
            # A user is never in a round: their survey is the census, not "the next round".
            key = (
                "contact_added"
                if contact_level is ContactLevel.STAKEHOLDER
                else "contact_added_user"
            )
            return Output([say(key, lang, **params)])
        title = joined.title(lang)
        closes = local_time(joined.closes_at, account.timezone)
        return Output([say("contact_added_to_round", lang, **params, title=title, closes=closes)])

    async def link_staff(self, actor: Staff, staff_ref: str, address: Address) -> Output:
        """Make one staff member reachable on another platform too (Telegram and Slack)."""
        self.require(actor, ADMINS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            # Exactly: a link gives that account staff rights, so no guess from a first name.
            person = await self._staff(uow, staff_ref, lang, loose=False)
            holder = await uow.staff.by_address(address)
            if holder is not None and holder.id != person.id:
                raise StaffError(
                    say("staff_exists", lang, name=holder.name, role=role_name(holder.role, lang))
                )
            _set_address(person, address)
            await uow.staff.update(person)
            await uow.commit()
        return Output([say("staff_linked", lang, name=person.name, address=address.address)])

    async def list_contacts(self, actor: Staff, account_ref: str) -> Output:
        self.require(actor, READERS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang, actor)
            contacts = await uow.contacts.for_account(account.id)
            chats = await staff_chats(uow)
        if not contacts:
            return Output([say("contacts_none", lang, account=account.name)])
        # Levels and languages stay as /invite spells them; the rest in the reader's words.
        ru = lang is Language.RU

        def status(c: Contact) -> str:
            # Made staff after becoming a contact: rounds and censuses leave them out.
            if c.reachable_at is not None and c.reachable_at in chats:
                return say("contact_staff", lang)
            en, ru_ = _CONTACT_STATUS[c.status]
            return ru_ if ru else en

        rows = [
            [f"#{c.id}", c.name, c.level.value, c.language.value, status(c), c.channel or "—"]
            for c in contacts
        ]
        head = (
            ["id", "имя", "уровень", "язык", "статус", "канал"]
            if ru
            else ["id", "name", "level", "lang", "status", "channel"]
        )
        return Output([say("contacts_head", lang, account=account.name)], table=_table(head, rows))

    # --- schedules and rounds -------------------------------------------------------------

    async def set_schedule(self, actor: Staff, account_ref: str, spec: list[str]) -> Output:
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        now = self.clock.now()
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang)
            if spec and spec[0].lower() in ("off", "clear", "none"):
                cleared = await uow.schedules.clear(account.id)
                await uow.commit()
                key = "schedule_cleared" if cleared else "schedule_none"
                return Output([say(key, lang, account=account.name)])
            try:
                schedule = parse_schedule(spec, account.id, now)
                # A period already due when the schedule is set counts as done, so setting a
                # schedule never fires a round for the past.
                current = latest_due_period(
                    replace(schedule, created_at=None), now, account.timezone, self._hour
                )
            except ValueError as exc:
                reason = exc.said(lang) if isinstance(exc, ScheduleError) else _sentence(str(exc))
                raise StaffError(say("bad_schedule", lang, reason=reason).strip()) from None
            schedule.last_period_key = current.key if current else None
            saved = await uow.schedules.set(schedule)
            await uow.commit()
        upcoming = next_due_at(saved, now, account.timezone, self._hour)
        return Output(
            [
                say(
                    "schedule_set",
                    lang,
                    account=account.name,
                    schedule=describe(saved, lang.value),
                    next=local_time(upcoming, account.timezone) if upcoming else say("never", lang),
                )
            ]
        )

    async def start_round(self, actor: Staff, account_ref: str) -> Output:
        self.require(actor, WRITERS, actor.language)
        lang = actor.language
        if account_ref.lower() in ("due", "all"):
            opened = await self.service.open_due_rounds(lang)
            return Output(opened or [say("no_due", lang)])
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang)
            chats = await staff_chats(uow)
            users = sum(
                c.level is ContactLevel.USER
                and c.status is ContactStatus.ACTIVE
                and c.reachable_at not in chats  # staff: not asked in a census either
                for c in await uow.contacts.for_account(account.id)
            )
        result = await self.service.open_round_now(account.id)
        async with self.uow() as uow:
            rounds = await uow.rounds.for_account(account.id)
        title = distinct_round_title(result.round, rounds, lang, account.timezone)
        if not result.created:
            return Output([say("round_exists", lang, title=title, account=account.name)])
        invited = count(result.invited, "contact", lang)
        lines = [
            say("round_opened", lang, title=title, account=account.name, n=invited),
            say("round_level", lang),
        ]
        if users:
            lines.append(say("round_users_left", lang, n=count(users, "contact", lang)))
        return Output(lines)

    async def status(self, actor: Staff, account_ref: str) -> Output:
        self.require(actor, READERS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            account = await self._account(uow, account_ref, lang, actor)
            # Stakeholders' rounds only: a census (users) has its own line, never mixed in.
            rounds = [r for r in await uow.rounds.for_account(account.id) if not r.is_census]
            schedule = await uow.schedules.for_account(account.id)
        if not rounds:
            return Output([say("no_rounds", lang, account=account.name)])
        latest = rounds[-1]
        summary = await self.service.round_summary(latest.id)
        count = {
            s: sum(r.status.value == s for r in summary.rows)
            for s in ("completed", "declined", "expired")
        }
        upcoming = (
            next_due_at(schedule, self.clock.now(), account.timezone, self._hour)
            if schedule
            else None
        )
        line = say(
            "status",
            lang,
            account=account.name,
            title=distinct_round_title(latest, rounds, lang, account.timezone),
            invited=summary.invited,
            responded=summary.responded,
            rate=summary.response_rate,
            partly=partly_note(summary.partly, lang),
            completed=count["completed"],
            declined=count["declined"],
            expired=count["expired"],
            schedule=describe(schedule, lang.value) if schedule else say("no_schedule", lang),
            next=local_time(upcoming, account.timezone) if upcoming else say("never", lang),
        )
        return Output([line])

    # --- alerts ---------------------------------------------------------------------------

    async def open_alerts(self, actor: Staff) -> Output:
        self.require(actor, READERS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            visible = {a.id: a for a in await self._visible_accounts(uow, actor)}
            lines = []
            for alert in await uow.alerts.list():
                if alert.status is AlertStatus.RESOLVED or alert.account_id not in visible:
                    continue
                detail = await self.service.alert_details(uow, alert)
                lines.append(
                    say(
                        "alert_line",
                        lang,
                        id=alert.id,
                        status=L(f"alert.{alert.status.value}", lang),
                        account=visible[alert.account_id].name,
                        contact=detail.contact.name,
                        question=question_as_asked(
                            detail.answer.question_key, lang, visible[alert.account_id], limit=48
                        ),
                        answer=_clip(detail.answer.text, 200),
                    )
                )
        return Output(lines or [say("no_alerts", lang)])

    async def set_own_timezone(self, actor: Staff, tz: str) -> Output:
        """A staff member's own time zone (IANA name): their alert timelines and digest."""
        self.require(actor, READERS, actor.language)
        _check_timezone(tz, actor.language)
        async with self.uow() as uow:
            person = await uow.staff.get(actor.id)
            assert person is not None
            await uow.staff.update(replace(person, timezone=tz))
            await uow.commit()
        return Output([say("own_tz", actor.language, tz=tz)])

    async def set_alert(self, actor: Staff, alert_id: int, status: AlertStatus) -> Alert:
        """Acknowledge or resolve: the account's owner, managers and admins may."""
        self.require(actor, READERS, actor.language)
        lang = actor.language
        async with self.uow() as uow:
            alert = await uow.alerts.get(alert_id)
            account = await uow.accounts.get(alert.account_id) if alert else None
        if alert is None or account is None or not may_see(actor, account):
            raise StaffError(say("no_alert", lang, id=alert_id))
        updated = await self.service.set_alert_status(alert_id, actor, status)
        assert updated is not None
        return updated

    # --- reports --------------------------------------------------------------------------

    async def report(self, actor: Staff, account_ref: str, period: str | None) -> Output:
        self.require(actor, READERS, actor.language)
        lang = actor.language
        try:
            window = period_range(period) if period else None
        except ValueError:
            raise StaffError(say("bad_period", lang)) from None
        async with self.uow() as uow:
            if account_ref.lower() == "all":
                accounts = await self._visible_accounts(uow, actor)
            else:
                accounts = [await self._account(uow, account_ref, lang, actor)]
            chosen: list[Round] = []
            for account in accounts:
                rounds = await uow.rounds.for_account(account.id)
                if window:
                    chosen += [r for r in rounds if window[0] <= r.opened_at < window[1]]
                else:
                    # The latest of each audience: a census after a stakeholders' round
                    # does not hide it (and shows as its own table, as in /status).
                    chosen += _latest_per_audience(rounds)
        if not chosen:
            return Output([say("no_report", lang)])
        tables = [render_table(await self.service.round_summary(r.id), lang) for r in chosen]
        return Output(table="\n\n".join(tables))

    # --- staff ----------------------------------------------------------------------------

    async def add_staff(
        self, actor: Staff, role: str, name: str, address: Address, language: Language | None
    ) -> Output:
        self.require(actor, ADMINS, actor.language)
        lang = actor.language
        try:
            staff_role = StaffRole(role.lower())
        except ValueError:
            raise StaffError(say("bad_role", lang)) from None
        name = _clean_name(name, lang)
        async with self.uow() as uow:
            existing = await uow.staff.by_address(address)
            if existing is not None:
                raise StaffError(
                    say(
                        "staff_exists",
                        lang,
                        name=existing.name,
                        role=role_name(existing.role, lang),
                    )
                )
            # The adder's language only until the person's platform tells theirs, or they
            # choose one (surveys.onboarding.Onboarding.follow_platform_language).
            person = Staff(
                0,
                name,
                staff_role,
                language or lang,
                created_at=self.clock.now(),
                language_chosen=False,
            )
            _set_address(person, address)
            added = await uow.staff.add(person)
            # Allowed (our people may be on a client's list too), but that account loses a
            # respondent without a word: staff are never surveyed. The adder should know.
            contact = await uow.contacts.by_address(address)
            client = await uow.accounts.get(contact.account_id) if contact else None
            await uow.commit()
        lines = [
            say("staff_added", lang, name=added.name, role=role_name(added.role, lang), id=added.id)
        ]
        if contact is not None:
            account = client.name if client else "?"
            lines.append(say("staff_is_contact", lang, name=contact.name, account=account))
        return Output(lines)

    async def list_staff(self, actor: Staff) -> Output:
        self.require(actor, WRITERS, actor.language)
        async with self.uow() as uow:
            people = await uow.staff.list()
        rows = [
            [
                f"#{p.id}",
                p.name,
                role_label(p.role, actor.language),
                str(p.telegram_user_id or "—"),
                p.slack_user_id or "—",
                _reachability(p, actor.language),
            ]
            for p in people
        ]
        headers = (
            ["id", "имя", "роль", "telegram", "slack", "алерты"]
            if actor.language is Language.RU
            else ["id", "name", "role", "telegram", "slack", "alerts"]
        )
        return Output([say("roles_typed", actor.language)], table=_table(headers, rows))

    # --- helpers --------------------------------------------------------------------------

    @property
    def _hour(self) -> int:
        return self.service.policy.send_hour

    async def _visible_accounts(self, uow: UnitOfWork, actor: Staff) -> list[Account]:
        accounts = await uow.accounts.list()
        return [a for a in accounts if may_see(actor, a)]

    async def _account(
        self, uow: UnitOfWork, ref: str, lang: Language, actor: Staff | None = None
    ) -> Account:
        return await find_account(uow, ref, lang, actor)

    async def _staff(
        self, uow: UnitOfWork, ref: str, lang: Language, *, loose: bool = True
    ) -> Staff:
        ref = ref.strip().lstrip("@")
        if not ref:  # "" would equal the empty telegram/slack id of the first person listed
            raise StaffError(say("no_staff", lang, ref=ref))
        people = await uow.staff.list()
        # Most specific first: our own id, then a platform id, then the name.
        matchers = [
            lambda p: ref.lstrip("#") == str(p.id),
            lambda p: ref == str(p.telegram_user_id or "") or ref == (p.slack_user_id or ""),
            lambda p: ref.casefold() == p.name.casefold(),
        ]
        for matches in matchers:
            for person in people:
                if matches(person):
                    return person
        # Then what people type in a hurry ("Mark", "@mark", "mar"): a handle or whole words
        # of the name ("Mark" is Mark Twain, not also Marko Polo), else the start of the name
        # or of a word of it; taken only when it points at one person.
        for whole in (True, False) if loose else ():
            found = [p for p in people if _loosely_named(p, ref, whole=whole)]
            if len(found) == 1:
                return found[0]
            if found:
                shown = [f"{p.name} (#{p.id}, {role_name(p.role, lang)})" for p in found[:10]]
                more = [f"+{len(found) - 10}"] if len(found) > 10 else []  # "a": half the staff
                who = ", ".join(shown + more)
                raise StaffError(say("staff_ambiguous", lang, ref=_clip(ref, 60), who=who))
        raise StaffError(say("no_staff", lang, ref=_clip(ref, 60)))


def _loosely_named(person: Staff, ref: str, *, whole: bool) -> bool:
    """``ref`` is ``person``'s console handle or whole words of their name; not ``whole``:
    the start of their name or of a word of it."""
    ref = " ".join(ref.casefold().split())
    name = " ".join(person.name.casefold().split())
    if whole:
        return ref == (person.console_name or "").casefold() or f" {ref} " in f" {name} "
    return f" {ref}" in f" {name}"


def placeholder_name(address: Address) -> str:
    """What a bootstrap admin is called until their platform tells us their name."""
    return f"Admin {address.address}"


def _display(name: str | None) -> str:
    return " ".join((name or "").split())[:MAX_NAME]


def _set_address(person: Staff, address: Address) -> None:
    if address.channel.value == "telegram":
        person.telegram_user_id = int(address.address)
    elif address.channel.value == "slack":
        person.slack_user_id = address.address
    else:
        person.console_name = address.address


async def find_account(
    uow: UnitOfWork, ref: str, lang: Language, actor: Staff | None = None
) -> Account:
    """An account by #id or name; with ``actor``, only one they may see."""
    ref = ref.strip()
    account = None
    if ref.lstrip("#").isdigit():
        account = await uow.accounts.get(int(ref.lstrip("#")))
    if account is None:
        account = await uow.accounts.by_name(ref)
    # An owner asking about someone else's account hears the same as for a missing one.
    if account is None or (actor is not None and not may_see(actor, account)):
        raise StaffError(say("no_account", lang, ref=_clip(ref, 60)))
    return account


def may_see(actor: Staff, account: Account) -> bool:
    return actor.role in WRITERS or account.owner_id == actor.id


def _clean_name(name: str, lang: Language) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise StaffError(say("bad_name", lang))
    return name


def _level(level: str, lang: Language) -> ContactLevel:
    try:
        return ContactLevel(level.lower())
    except ValueError:
        raise StaffError(say("bad_level", lang)) from None


def _latest_per_audience(rounds: list[Round]) -> list[Round]:
    """The latest stakeholders' round, then the latest census, of rounds in opening order."""
    latest = {r.is_census: r for r in rounds}
    return [latest[census] for census in (False, True) if census in latest]


def _contact_language(wanted: str | None, account: Account, lang: Language) -> Language:
    """The contact's language: as asked, else the account's."""
    try:
        return Language(wanted.lower()) if wanted else account.language
    except ValueError:
        raise StaffError(say("bad_lang", lang)) from None


def _check_timezone(tz: str, lang: Language) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise StaffError(say("bad_tz", lang, tz=_clip(tz, 60))) from None


def _sentence(text: str) -> str:
    """A reason as a sentence: capital letter, full stop ("" stays "")."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# A contact's status in a staff table, in words: not the stored value ("opted_out"), and not
# "invited" for someone who has no chat yet because they came from an import or a ticket.
_CONTACT_STATUS = {
    ContactStatus.INVITED: ("not joined yet", "ещё не подключён"),
    ContactStatus.ACTIVE: ("active", "активен"),
    ContactStatus.UNREACHABLE: ("unreachable", "недоступен"),
    ContactStatus.OPTED_OUT: ("opted out", "отписался"),
}


def _table(head: list[str], rows: list[list[str]]) -> str:
    rows = [[_clip(c, 40) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(head), line(["-" * w for w in widths]), *map(line, rows)])


def _reachability(person: Staff, lang: Language) -> str:
    """Whether alerts reach this person, or go past them to managers and admins."""
    if person.unreachable_since is None:
        return t("staff_reachable", lang)
    return t("staff_unreachable", lang, since=f"{person.unreachable_since:%Y-%m-%d}")
