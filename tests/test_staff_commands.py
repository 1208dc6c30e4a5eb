"""Staff use cases (the layer under Telegram and Slack commands), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text as sql

from storage.repositories import SqlUnitOfWorkFactory
from surveys.commands import TABLE
from surveys.conversation import ContactEvent, EventKind
from surveys.model import (
    Account,
    Address,
    Alert,
    AlertStatus,
    CadenceKind,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Language,
    Schedule,
    Staff,
    StaffRole,
)
from surveys.onboarding import Onboarding, RedeemStatus
from surveys.reports import render_table
from surveys.service import SurveyService
from surveys.staff import (
    READERS,
    WRITERS,
    AccountOptions,
    Output,
    StaffCommands,
    StaffError,
    parse_schedule,
    period_range,
    say,
)
from tests.conftest import T0, FakeClock, World

EN, RU = Language.EN, Language.RU
NEGATIVE = "Terrible result <b>& awful</b>, not happy"


@dataclass
class Team:
    """The conftest world plus an English admin and a second owner with their own account."""

    world: World
    admin: Staff  # Ada Admin, EN
    other_owner: Staff  # Oscar Owner, EN
    initech: Account  # owned by Oscar, UTC
    ivan: Contact  # Initech's one contact

    @property
    def olga(self) -> Staff:
        return self.world.owner

    @property
    def max(self) -> Staff:
        return self.world.manager

    @property
    def globex(self) -> Account:
        return self.world.account


@pytest.fixture
def onboarding(uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService) -> Onboarding:
    return Onboarding(uow, clock, "Acme IT", Language.EN, service=service)


@pytest.fixture
def commands(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, service: SurveyService, onboarding: Onboarding
) -> StaffCommands:
    return StaffCommands(uow, clock, service, onboarding)


@pytest.fixture
async def team(uow: SqlUnitOfWorkFactory, world: World) -> Team:
    async with uow() as u:
        admin = await u.staff.add(Staff(0, "Ada Admin", StaffRole.ADMIN, EN, console_name="ada"))
        oscar = await u.staff.add(
            Staff(0, "Oscar Owner", StaffRole.OWNER, EN, console_name="oscar")
        )
        initech = await u.accounts.add(Account(0, "Initech", oscar.id, "standard", EN, "UTC"))
        ivan = await u.contacts.add(
            Contact(
                0,
                initech.id,
                "Ivan",
                ContactLevel.STAKEHOLDER,
                EN,
                ContactStatus.ACTIVE,
                Channel.CONSOLE,
                "ivan",
            )
        )
        await u.commit()
    return Team(world, admin, oscar, initech, ivan)


async def refused(call: Awaitable[object]) -> str:
    with pytest.raises(StaffError) as caught:
        await call
    return str(caught.value)


def text(body: str, message_id: str) -> ContactEvent:
    return ContactEvent(EventKind.TEXT, body, message_id)


async def schedule_of(uow: SqlUnitOfWorkFactory, account_id: int) -> Schedule | None:
    async with uow() as u:
        return await u.schedules.for_account(account_id)


async def round_keys(uow: SqlUnitOfWorkFactory, account_id: int) -> list[str]:
    async with uow() as u:
        return [r.period_key for r in await u.rounds.for_account(account_id)]


async def negative_alert(service: SurveyService, account_id: int, at: Address, n: str) -> Alert:
    """Open a round for the account and have the contact at ``at`` answer negatively."""
    opened = await service.open_round(account_id, f"sprint-{n}", f"Sprint {n}")
    await service.handle_event(at, text(NEGATIVE, f"neg-{n}"))
    alerts = await service.alerts_for_round(opened.round.id)
    assert len(alerts) == 1
    return alerts[0]


# --- who may do what -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", [EN, RU])
@pytest.mark.parametrize("command", sorted(TABLE))
async def test_non_staff_is_refused_every_command_and_learns_nothing(
    commands: StaffCommands, team: Team, command: str, lang: Language
) -> None:
    stranger = Address(Channel.TELEGRAM, "31337")
    actor = await commands.actor(stranger)
    assert actor is None
    roles = TABLE[command].roles

    with pytest.raises(StaffError) as caught:
        StaffCommands.require(actor, roles, lang)

    message = str(caught.value)
    assert message == say("staff_only", lang)
    for secret in ("Globex", "Initech", "Olga", "Anna", "Борис", "#"):
        assert secret not in message


async def test_actor_is_found_by_any_of_their_addresses(
    commands: StaffCommands, team: Team
) -> None:
    olga = await commands.actor(Address(Channel.CONSOLE, "olga"))
    assert olga is not None and olga.id == team.olga.id and olga.role is StaffRole.OWNER
    assert await commands.actor(Address(Channel.CONSOLE, "anna")) is None  # a contact, not staff


@pytest.mark.parametrize(
    "command", ["account_add", "owner", "tier", "invite", "schedule", "round", "staff_add"]
)
async def test_owner_cannot_run_writer_commands(team: Team, command: str) -> None:
    roles = TABLE[command].roles
    with pytest.raises(StaffError) as caught:
        StaffCommands.require(team.olga, roles, EN)
    key = "not_allowed" if StaffRole.MANAGER in roles else "not_allowed_admins"
    assert str(caught.value) == say(key, EN, role="owner")
    assert "owner" in str(caught.value)


async def test_role_refusal_speaks_the_actors_language(team: Team) -> None:
    russian_owner = Staff(99, "Ольга", StaffRole.OWNER, RU)
    with pytest.raises(StaffError) as caught:
        StaffCommands.require(russian_owner, WRITERS, EN)
    # The role in Russian words, not the command's English word («Ваша роль (owner)»).
    assert str(caught.value) == (
        "Ваша роль (владелец аккаунта) не позволяет это сделать; "
        "обратитесь к менеджеру или администратору."
    )


async def test_staff_add_is_for_admins_only_in_the_command_table(team: Team) -> None:
    roles = TABLE["staff_add"].roles
    assert StaffCommands.require(team.admin, roles, EN) is team.admin
    with pytest.raises(StaffError, match=r"\(менеджер\)"):
        StaffCommands.require(team.max, roles, EN)


@pytest.mark.parametrize("command", ["accounts", "contacts", "status", "alerts", "report"])
async def test_owner_may_run_reader_commands(team: Team, command: str) -> None:
    roles = TABLE[command].roles
    assert roles == READERS
    assert StaffCommands.require(team.olga, roles, EN) is team.olga


async def test_owner_lists_only_their_own_accounts(commands: StaffCommands, team: Team) -> None:
    mine = await commands.list_accounts(team.olga)
    assert mine.table is not None
    assert "Globex" in mine.table and "Olga Owner" in mine.table
    assert "Initech" not in mine.table and "Oscar" not in mine.table

    everything = await commands.list_accounts(team.max)
    assert everything.table is not None
    assert "Globex" in everything.table and "Initech" in everything.table
    assert "аккаунт" in everything.table  # Max reads Russian headings


async def test_owner_with_no_accounts_is_told_so(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    async with uow() as u:
        lonely = await u.staff.add(Staff(0, "Lonely Owner", StaffRole.OWNER, EN))
        await u.commit()
    out = await commands.list_accounts(lonely)
    # Not "Add one: /account_add": an owner may not add accounts.
    assert out.lines == [
        "You own no accounts yet: a manager or an admin makes you an account's owner."
    ]
    assert out.table is None
    lonely.language = RU
    assert (await commands.list_accounts(lonely)).lines == [
        "Ваших аккаунтов пока нет: владельцем аккаунта вас назначает менеджер или админ."
    ]


async def test_another_owners_account_looks_exactly_like_a_missing_one(
    commands: StaffCommands, service: SurveyService, team: Team
) -> None:
    await service.open_round(team.initech.id, "sprint-1", "Sprint 1")
    hidden_by_id = f"#{team.initech.id}"

    for ref, missing in (("Initech", "Nowhere"), (hidden_by_id, "#4242")):
        for call in (commands.status, commands.list_contacts):
            hidden = await refused(call(team.olga, ref))
            absent = await refused(call(team.olga, missing))
            assert hidden == say("no_account", EN, ref=ref)
            assert absent == say("no_account", EN, ref=missing)
        hidden = await refused(commands.report(team.olga, ref, None))
        assert hidden == say("no_account", EN, ref=ref)
        assert await refused(commands.report(team.olga, missing, None)) == say(
            "no_account", EN, ref=missing
        )

    # Their own account and the other owner's own view still work.
    assert (await commands.status(team.other_owner, "Initech")).lines[0].startswith("«Initech»")
    assert (await commands.status(team.olga, "Globex")).lines == [
        say("no_rounds", EN, account="Globex")
    ]


async def test_account_ids_that_cannot_exist_are_a_missing_account(
    commands: StaffCommands, team: Team
) -> None:
    for ref in ("#2147483648", "99999999999999999999", "#0"):
        assert await refused(commands.status(team.admin, ref)) == say("no_account", EN, ref=ref)


# --- accounts ------------------------------------------------------------------------------


async def test_add_account_with_all_options(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    out = await commands.add_account(
        team.max, "  Initrode   Ltd ", AccountOptions("silver", RU, "Asia/Yekaterinburg")
    )

    async with uow() as u:
        account = await u.accounts.by_name("Initrode Ltd")
    assert account is not None
    assert (account.tier, account.language, account.timezone) == (
        "silver",
        RU,
        "Asia/Yekaterinburg",
    )
    assert account.owner_id is None
    assert out.lines == [
        say(
            "account_added",
            RU,
            name="Initrode Ltd",
            id=account.id,
            tier="silver",
            lang="ru",
            tz="Asia/Yekaterinburg",
        )
    ]


async def test_add_account_defaults_to_the_policy_language_and_zone(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    out = await commands.add_account(team.admin, "Hooli", AccountOptions(language=EN))
    async with uow() as u:
        account = await u.accounts.by_name("Hooli")
    assert account is not None
    assert (account.tier, account.language, account.timezone) == ("standard", EN, "UTC")
    assert out.lines[0].startswith("Account «Hooli» added (#")
    assert "standard, en, UTC" in out.lines[0]


async def test_duplicate_account_name_is_refused_whatever_the_case(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    for name in ("Globex", "GLOBEX", " globex "):
        message = await refused(commands.add_account(team.admin, name, AccountOptions()))
        assert message == say("account_exists", EN, name=name.strip())
    async with uow() as u:
        assert [a.name for a in await u.accounts.list()] == ["Globex", "Initech"]


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "../../etc/passwd", "MSK+3", " "])
async def test_bad_time_zone_is_refused(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, tz: str
) -> None:
    message = await refused(
        commands.add_account(team.admin, "Umbrella", AccountOptions(timezone=tz))
    )
    assert message == say("bad_tz", EN, tz=" ".join(tz.split()))
    async with uow() as u:
        assert await u.accounts.by_name("Umbrella") is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
async def test_bad_account_name_is_refused(commands: StaffCommands, team: Team, name: str) -> None:
    assert await refused(commands.add_account(team.admin, name, AccountOptions())) == say(
        "bad_name", EN
    )


@pytest.mark.parametrize(
    "ref", ["{max_id}", "#{max_id}", "Max Manager", "max manager", "@Max Manager", " MAX MANAGER "]
)
async def test_set_owner_by_id_or_name(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, ref: str
) -> None:
    out = await commands.set_owner(team.admin, "Globex", ref.format(max_id=team.max.id))
    assert out.lines == [say("owner_set", EN, account="Globex", owner="Max Manager")]
    async with uow() as u:
        account = await u.accounts.get(team.globex.id)
    assert account is not None and account.owner_id == team.max.id


async def test_set_owner_by_telegram_id(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    await commands.add_staff(team.admin, "owner", "Nina", Address(Channel.TELEGRAM, "5550001"), EN)
    await commands.set_owner(team.admin, "#" + str(team.globex.id), "5550001")
    async with uow() as u:
        account = await u.accounts.get(team.globex.id)
        nina = await u.staff.get(account.owner_id)  # type: ignore[union-attr,arg-type]
    assert nina is not None and nina.name == "Nina"


@pytest.mark.parametrize("ref", ["max", "MAX", "Max M", "manager", "@max", "@Max"])
async def test_set_owner_by_first_name_prefix_or_handle(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, ref: str
) -> None:
    # Nobody types "Max Manager" in a hurry: one person whose name (or a word of it) starts
    # so, or whose handle it is, is the one meant.
    out = await commands.set_owner(team.admin, "Globex", ref)
    assert out.lines == [say("owner_set", EN, account="Globex", owner="Max Manager")]
    async with uow() as u:
        account = await u.accounts.get(team.globex.id)
    assert account is not None and account.owner_id == team.max.id


async def test_set_owner_by_a_console_handle(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    await commands.add_staff(
        team.admin, "owner", "Nina Petrova", Address(Channel.CONSOLE, "np"), EN
    )
    out = await commands.set_owner(team.admin, "Globex", "@NP")
    assert out.lines == [say("owner_set", EN, account="Globex", owner="Nina Petrova")]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            EN,
            "Several staff members match «o»: Olga Owner (#{olga}, owner), Oscar Owner"
            " (#{oscar}, owner). Name one by #id or full name.",
        ),
        (
            RU,
            "Под «o» подходят несколько сотрудников: Olga Owner (#{olga}, владелец аккаунта),"
            " Oscar Owner (#{oscar}, владелец аккаунта). Укажите #id или полное имя.",
        ),
    ],
)
async def test_set_owner_to_an_ambiguous_name_lists_the_candidates_and_changes_nothing(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, lang: Language, expected: str
) -> None:
    admin = replace(team.admin, language=lang)
    message = await refused(commands.set_owner(admin, "Initech", "o"))
    assert message == expected.format(olga=team.olga.id, oscar=team.other_owner.id)
    async with uow() as u:
        account = await u.accounts.get(team.initech.id)
    assert account is not None and account.owner_id == team.other_owner.id


@pytest.mark.parametrize("ref", ["Nobody", "#999", "", "@", "   ", "Maxi", "ax"])
async def test_set_owner_to_unknown_staff_is_refused_and_changes_nothing(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, ref: str
) -> None:
    message = await refused(commands.set_owner(team.admin, "Globex", ref))
    assert message.startswith("No staff member «")
    async with uow() as u:
        account = await u.accounts.get(team.globex.id)
    assert account is not None and account.owner_id == team.olga.id


async def test_set_tier(commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory) -> None:
    out = await commands.set_tier(team.admin, "globex", "  platinum ")
    assert out.lines == [say("tier_set", EN, account="Globex", tier="platinum")]
    async with uow() as u:
        account = await u.accounts.get(team.globex.id)
    assert account is not None and account.tier == "platinum"
    assert await refused(commands.set_tier(team.admin, "Nowhere", "gold")) == say(
        "no_account", EN, ref="Nowhere"
    )


# --- contacts ------------------------------------------------------------------------------


async def test_invite_creates_an_invited_contact_whose_link_binds_it(
    commands: StaffCommands, onboarding: Onboarding, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    out = await commands.invite(team.max, "Globex", "  Carla  Díaz ", "user", "RU")

    assert out.link_token is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]{32,64}", out.link_token)
    assert out.lines == [
        say(
            "invite_made",
            RU,
            name="Carla Díaz",
            level="user",
            lang="ru",
            account="Globex",
            expires="2026-11-16",
        )
    ]
    async with uow() as u:
        carla = next(
            c for c in await u.contacts.for_account(team.globex.id) if c.name.startswith("Carla")
        )
    assert (carla.name, carla.level, carla.language) == ("Carla Díaz", ContactLevel.USER, RU)
    assert carla.status is ContactStatus.INVITED and carla.reachable_at is None

    chat = Address(Channel.TELEGRAM, "777")
    result = await onboarding.redeem(out.link_token, chat, None)

    assert result.status is RedeemStatus.BOUND and result.language is RU
    async with uow() as u:
        bound = await u.contacts.get(carla.id)
    assert bound is not None and bound.status is ContactStatus.ACTIVE
    assert bound.reachable_at == chat
    listed = await commands.list_contacts(team.olga, "Globex")
    assert listed.table is not None and "Carla Díaz" in listed.table and "telegram" in listed.table


async def test_invite_defaults_to_a_stakeholder_in_the_accounts_language(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    first = await commands.invite(team.admin, "Globex", "Dora")
    second = await commands.invite(team.admin, "Globex", "Dora")
    assert first.link_token != second.link_token
    async with uow() as u:
        doras = [c for c in await u.contacts.for_account(team.globex.id) if c.name == "Dora"]
    assert len(doras) == 2
    assert {(c.level, c.language) for c in doras} == {(ContactLevel.STAKEHOLDER, EN)}


@pytest.mark.parametrize(
    ("account", "name", "level", "language", "expected"),
    [
        ("Globex", "Eve", "boss", None, ("bad_level", {})),
        ("Globex", "Eve", "user", "de", ("bad_lang", {})),
        ("Globex", " ", "user", None, ("bad_name", {})),
        ("Nowhere", "Eve", "user", None, ("no_account", {"ref": "Nowhere"})),
    ],
)
async def test_bad_invites_are_refused_and_create_nothing(
    commands: StaffCommands,
    team: Team,
    uow: SqlUnitOfWorkFactory,
    account: str,
    name: str,
    level: str,
    language: str | None,
    expected: tuple[str, dict[str, str]],
) -> None:
    message = await refused(commands.invite(team.admin, account, name, level, language))
    key, params = expected
    assert message == say(key, EN, **params)
    async with uow() as u:
        assert len(await u.contacts.for_account(team.globex.id)) == 2
        invites = await u.session.execute(sql("SELECT count(*) FROM invites"))
        assert invites.scalar() == 0


@pytest.mark.parametrize(
    ("status", "en", "ru"),
    [
        (ContactStatus.INVITED, "not joined yet", "ещё не подключён"),
        (ContactStatus.OPTED_OUT, "opted out", "отписался"),
        (ContactStatus.UNREACHABLE, "unreachable", "недоступен"),
    ],
)
async def test_contacts_status_is_in_words_not_the_stored_value(
    commands: StaffCommands,
    team: Team,
    uow: SqlUnitOfWorkFactory,
    status: ContactStatus,
    en: str,
    ru: str,
) -> None:
    # English showed the stored value ("opted_out"), and "invited" for a contact who came
    # from an import or a helpdesk ticket and was never invited to anything.
    async with uow() as u:
        await u.contacts.add(
            Contact(0, team.globex.id, "Petra", ContactLevel.USER, EN, status, None, None)
        )
        await u.commit()
    for lang, words in ((EN, en), (RU, ru)):
        listed = await commands.list_contacts(replace(team.admin, language=lang), "Globex")
        assert listed.table is not None
        [petra] = [line for line in listed.table.splitlines() if "Petra" in line]
        assert words in petra and (status.value == words or status.value not in petra)


async def test_contacts_of_an_account_without_any(commands: StaffCommands, team: Team) -> None:
    await commands.add_account(team.admin, "Empty Co", AccountOptions())
    out = await commands.list_contacts(team.admin, "Empty Co")
    assert out.lines == [say("contacts_none", EN, account="Empty Co")]


# --- schedules -----------------------------------------------------------------------------

# Now is Monday 2026-11-02 12:00 in Moscow (09:00 UTC); Globex rounds open at 10:00 local.
SCHEDULES = [
    (
        ["sprint", "2", "2026-10-19"],
        CadenceKind.SPRINT,
        "every 2 weeks from 2026-10-19",
        "sprint-1",
        "2026-11-16 10:00 MSK",
    ),
    (["quarterly"], CadenceKind.QUARTERLY, "quarterly", "2026-Q3", "2027-01-01 10:00 MSK"),
    (["Half-Yearly"], CadenceKind.HALF_YEARLY, "half-yearly", "2026-H1", "2027-01-01 10:00 MSK"),
    (
        ["cron", "0", "10", "*", "*", "1"],
        CadenceKind.CRON,
        "cron: 0 10 * * 1",
        "cron-2026-11-02T10:00",
        "2026-11-09 10:00 MSK",
    ),
    (["manual"], CadenceKind.MANUAL, "manual", None, "none (manual)"),
]


@pytest.mark.parametrize(("spec", "kind", "described", "done", "upcoming"), SCHEDULES)
async def test_set_schedule(
    commands: StaffCommands,
    team: Team,
    uow: SqlUnitOfWorkFactory,
    spec: list[str],
    kind: CadenceKind,
    described: str,
    done: str | None,
    upcoming: str,
) -> None:
    out = await commands.set_schedule(team.admin, "Globex", spec)

    assert out.lines == [
        say("schedule_set", EN, account="Globex", schedule=described, next=upcoming)
    ]
    schedule = await schedule_of(uow, team.globex.id)
    assert schedule is not None and schedule.kind is kind
    # The period already due when the schedule was set counts as done.
    assert schedule.last_period_key == done
    listed = await commands.list_accounts(team.olga)
    assert listed.table is not None and described in listed.table


async def test_sprint_schedule_keeps_its_length_and_anchor(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    await commands.set_schedule(team.admin, "Globex", ["sprint", "3", "2026-09-07"])
    schedule = await schedule_of(uow, team.globex.id)
    assert schedule is not None
    assert (schedule.every_weeks, schedule.anchor) == (3, date(2026, 9, 7))


async def test_replacing_a_schedule_keeps_one_per_account(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    await commands.set_schedule(team.admin, "Globex", ["quarterly"])
    await commands.set_schedule(team.admin, "Globex", ["cron", "0", "10", "*", "*", "1"])
    async with uow() as u:
        schedules = await u.schedules.list()
    assert [(s.account_id, s.kind) for s in schedules] == [(team.globex.id, CadenceKind.CRON)]


@pytest.mark.parametrize(
    "spec",
    [
        [],
        ["weekly"],
        ["sprint"],
        ["sprint", "0", "2026-01-05"],
        ["sprint", "53", "2026-01-05"],
        ["sprint", "two", "2026-01-05"],
        ["sprint", "2", "soon"],
        ["quarterly", "please"],
        ["cron", "0", "10"],
        ["cron", "99", "*", "*", "*", "*"],
        ["cron", "0", "10", "31", "2", "*"],  # 31 February never comes
    ],
)
async def test_bad_schedule_gives_the_usage_and_stores_nothing(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, spec: list[str]
) -> None:
    message = await refused(commands.set_schedule(team.admin, "Globex", spec))
    assert message.startswith(say("bad_schedule", EN, reason="").rstrip())
    assert await schedule_of(uow, team.globex.id) is None


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        (["sprint"], "Спринт задаётся числом недель (1-52) и датой начала."),
        (["sprint", "2", "01.12.2026"], "«01.12.2026» — не дата в виде ГГГГ-ММ-ДД."),
        (["cron", "61", "10", "*", "*", "1"], "«61 10 * * 1» — не выражение cron"),
        (["cron", "0", "10", "31", "2", "*"], "По «0 10 31 2 *» опрос не наступит никогда."),
    ],
)
async def test_bad_schedule_reason_speaks_the_staff_members_language(
    commands: StaffCommands, team: Team, spec: list[str], says: str
) -> None:
    # A Russian manager read «Sprint needs weeks…» / «Invalid cron expression…» in English.
    marina = replace(team.admin, language=RU)
    message = await refused(commands.set_schedule(marina, "Globex", spec))
    assert message.startswith(say("bad_schedule", RU, reason="").rstrip())
    assert says in message
    assert not re.search(r"[A-Za-z]{5,}", message.split("off.", 1)[1])  # no English words


async def test_off_clears_the_schedule(
    commands: StaffCommands,
    service: SurveyService,
    team: Team,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await commands.set_schedule(team.admin, "Globex", ["quarterly"])

    out = await commands.set_schedule(team.admin, "Globex", ["off"])

    assert out.lines == [say("schedule_cleared", EN, account="Globex")]
    assert await schedule_of(uow, team.globex.id) is None
    again = await commands.set_schedule(team.admin, "Globex", ["OFF"])
    assert again.lines == [say("schedule_none", EN, account="Globex")]
    clock.set(datetime(2027, 1, 1, 7, 0, tzinfo=UTC))
    assert (await service.tick()).rounds_opened == []
    assert await round_keys(uow, team.globex.id) == []


@pytest.mark.parametrize(
    ("spec", "next_due", "key", "title"),
    [
        (["quarterly"], datetime(2027, 1, 1, 7, 0, tzinfo=UTC), "2026-Q4", "Q4 2026"),
        (["half-yearly"], datetime(2027, 1, 1, 7, 0, tzinfo=UTC), "2026-H2", "H2 2026"),
        (
            ["sprint", "2", "2026-10-19"],
            datetime(2026, 11, 16, 7, 0, tzinfo=UTC),
            "sprint-2",
            "Sprint 2",
        ),
        (
            ["cron", "0", "10", "*", "*", "1"],
            datetime(2026, 11, 9, 7, 0, tzinfo=UTC),
            "cron-2026-11-09T10:00",
            "November 2026",  # what the round asks about, not when it fired
        ),
    ],
)
async def test_a_schedule_fires_for_the_next_period_never_for_the_one_already_due(
    commands: StaffCommands,
    service: SurveyService,
    team: Team,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
    spec: list[str],
    next_due: datetime,
    key: str,
    title: str,
) -> None:
    await commands.set_schedule(team.admin, "Globex", spec)

    assert (await service.tick()).rounds_opened == []
    assert await round_keys(uow, team.globex.id) == []

    clock.set(next_due - timedelta(minutes=1))
    assert (await service.tick()).rounds_opened == []
    clock.set(next_due)
    assert (await service.tick()).rounds_opened == [f"Globex: {title}"]
    assert await round_keys(uow, team.globex.id) == [key]
    assert (await service.tick()).rounds_opened == []  # once per period
    assert await round_keys(uow, team.initech.id) == []  # no schedule, no round


async def test_manual_schedule_never_opens_a_round(
    commands: StaffCommands,
    service: SurveyService,
    team: Team,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    await commands.set_schedule(team.admin, "Globex", ["manual"])
    for days in (1, 40, 200):
        clock.set(T0 + timedelta(days=days))
        assert (await service.tick()).rounds_opened == []
    assert await round_keys(uow, team.globex.id) == []


# --- rounds --------------------------------------------------------------------------------


async def test_start_round_opens_once_per_day(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    first = await commands.start_round(team.admin, "Globex")
    second = await commands.start_round(team.admin, "globex")

    assert first.lines[:2] == [
        "Round «November 2026» opened for «Globex»: 2 contacts invited.",
        "Rounds ask stakeholders only.",
    ]
    assert second.lines == [say("round_exists", EN, title="November 2026", account="Globex")]
    assert await round_keys(uow, team.globex.id) == ["manual-2026-11-02"]

    clock.advance(timedelta(days=1))
    third = await commands.start_round(team.max, "Globex")
    # A second round of November is told apart from the first by its day.
    assert third.lines[0] == (
        "Опрос «ноябрь 2026 г. (3 нояб.)» открыт для «Globex»: приглашения отправлены — 2 контакта."
    )
    assert await round_keys(uow, team.globex.id) == ["manual-2026-11-02", "manual-2026-11-03"]


async def test_start_round_for_an_unknown_account_is_refused(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    assert await refused(commands.start_round(team.admin, "Nowhere")) == say(
        "no_account", EN, ref="Nowhere"
    )
    async with uow() as u:
        assert await u.outbox.list() == []


async def test_start_due_rounds_opens_only_scheduled_due_ones(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, clock: FakeClock
) -> None:
    assert (await commands.start_round(team.admin, "due")).lines == [say("no_due", EN)]
    await commands.set_schedule(team.admin, "Globex", ["quarterly"])
    # The quarter already due when the schedule was set is not opened by "due" either.
    assert (await commands.start_round(team.admin, "due")).lines == [say("no_due", EN)]

    clock.set(datetime(2027, 1, 1, 7, 0, tzinfo=UTC))
    opened = await commands.start_round(team.admin, "DUE")

    assert opened.lines == ["Globex: Q4 2026"]
    assert await round_keys(uow, team.globex.id) == ["2026-Q4"]
    assert await round_keys(uow, team.initech.id) == []  # no schedule
    assert (await commands.start_round(team.admin, "due")).lines == [say("no_due", EN)]


# --- status --------------------------------------------------------------------------------


async def test_status_counts_invited_and_responded(
    commands: StaffCommands, service: SurveyService, team: Team
) -> None:
    assert (await commands.status(team.olga, "Globex")).lines == [
        say("no_rounds", EN, account="Globex")
    ]
    await service.open_round(team.globex.id, "sprint-1", "Sprint 1")
    await service.handle_event(team.world.anna_at, text("Great result, thanks", "a1"))

    out = await commands.status(team.olga, "Globex")

    assert out.lines == [
        say(
            "status",
            EN,
            account="Globex",
            title="Sprint 1",
            invited=2,
            responded=1,
            rate=0.5,
            partly=", 1 of them partly",  # one question of three
            completed=0,
            declined=0,
            expired=0,
            schedule="none",
            next="none (manual)",
        )
    ]
    assert "invited 2, responded 1 (50%)" in out.lines[0]


async def test_status_counts_outcomes_and_shows_the_schedule(
    commands: StaffCommands, service: SurveyService, team: Team
) -> None:
    await commands.set_schedule(team.admin, "Globex", ["quarterly"])
    await service.open_round(team.globex.id, "sprint-1", "Sprint 1")
    for i, body in enumerate(["Great result", "Fast", "Polite"]):
        await service.handle_event(team.world.anna_at, text(body, f"a{i}"))
    await service.handle_event(
        team.world.boris_at, ContactEvent(EventKind.DECLINE, message_id="b1")
    )

    out = await commands.status(team.max, "Globex")

    assert out.lines == [
        say(
            "status",
            RU,
            account="Globex",
            title="Спринт 1",
            invited=2,
            responded=1,
            rate=0.5,
            partly="",  # Anna answered all three
            completed=1,
            declined=1,
            expired=0,
            schedule="ежеквартально",
            next="2027-01-01 10:00 MSK",
        )
    ]


# --- alerts --------------------------------------------------------------------------------


async def test_open_alerts_lists_a_negative_answer_as_plain_text(
    commands: StaffCommands, service: SurveyService, team: Team
) -> None:
    alert = await negative_alert(service, team.globex.id, team.world.anna_at, "1")

    out = await commands.open_alerts(team.olga)

    assert out.lines == [
        say(
            "alert_line",
            EN,
            id=alert.id,
            status="open",
            account="Globex",
            contact="Anna",
            question="Are you satisfied with the result, and was the…",
            answer=NEGATIVE,
        )
    ]
    line = out.lines[0]
    assert "Anna" in line and "<b>& awful</b>" in line  # adapters escape, not the use case
    assert "&amp;" not in line and "&lt;" not in line


async def test_acknowledge_then_resolve_an_alert(
    commands: StaffCommands, service: SurveyService, team: Team, clock: FakeClock
) -> None:
    alert = await negative_alert(service, team.globex.id, team.world.anna_at, "1")

    acked = await commands.set_alert(team.olga, alert.id, AlertStatus.ACKNOWLEDGED)

    assert acked.id == alert.id and acked.status is AlertStatus.ACKNOWLEDGED
    assert acked.notes[-1] == {
        "by": "Olga Owner",
        "status": "acknowledged",
        "at": clock.now().isoformat(),
    }
    listed = await commands.open_alerts(team.olga)
    assert len(listed.lines) == 1 and f"#{alert.id} [acknowledged] Globex · Anna" in listed.lines[0]

    resolved = await commands.set_alert(team.max, alert.id, AlertStatus.RESOLVED)

    assert resolved.status is AlertStatus.RESOLVED
    assert (await commands.open_alerts(team.olga)).lines == [say("no_alerts", EN)]
    assert (await commands.open_alerts(team.max)).lines == [say("no_alerts", RU)]


async def test_alerts_of_another_owners_account_are_invisible_to_olga(
    commands: StaffCommands, service: SurveyService, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    ivan_at = Address(Channel.CONSOLE, "ivan")
    theirs = await negative_alert(service, team.initech.id, ivan_at, "1")
    mine = await negative_alert(service, team.globex.id, team.world.anna_at, "2")

    olga_sees = await commands.open_alerts(team.olga)
    assert [line.split(" ")[0] for line in olga_sees.lines] == [f"#{mine.id}"]
    assert "Initech" not in " ".join(olga_sees.lines) and "Ivan" not in " ".join(olga_sees.lines)
    admin_sees = await commands.open_alerts(team.admin)
    assert [line.split(" ")[0] for line in admin_sees.lines] == [f"#{theirs.id}", f"#{mine.id}"]

    # Olga may not touch it, and hears the same as for an alert that does not exist.
    assert await refused(commands.set_alert(team.olga, theirs.id, AlertStatus.RESOLVED)) == say(
        "no_alert", EN, id=theirs.id
    )
    async with uow() as u:
        still = await u.alerts.get(theirs.id)
    assert still is not None and still.status is AlertStatus.OPEN and still.notes == []
    # Its own owner may.
    done = await commands.set_alert(team.other_owner, theirs.id, AlertStatus.RESOLVED)
    assert done.status is AlertStatus.RESOLVED


@pytest.mark.parametrize("alert_id", [0, -1, 4242, 2**31, 2**63, 10**30])
async def test_unknown_or_forged_alert_id_is_refused(
    commands: StaffCommands, service: SurveyService, team: Team, alert_id: int
) -> None:
    await negative_alert(service, team.globex.id, team.world.anna_at, "1")
    assert await refused(commands.set_alert(team.admin, alert_id, AlertStatus.RESOLVED)) == say(
        "no_alert", EN, id=alert_id
    )
    assert await refused(commands.set_alert(team.max, alert_id, AlertStatus.ACKNOWLEDGED)) == say(
        "no_alert", RU, id=alert_id
    )


# --- reports -------------------------------------------------------------------------------


async def one_answer_each(service: SurveyService, team: Team) -> tuple[int, int]:
    globex = await service.open_round(team.globex.id, "sprint-1", "Sprint 1")
    await service.handle_event(team.world.anna_at, text("Great result, thanks", "a1"))
    initech = await service.open_round(team.initech.id, "sprint-1", "Initech Sprint 1")
    return globex.round.id, initech.round.id


async def test_report_for_one_account_renders_its_latest_round(
    commands: StaffCommands, service: SurveyService, team: Team
) -> None:
    globex_round, _ = await one_answer_each(service, team)

    out = await commands.report(team.olga, "Globex", None)

    assert out.lines == []
    assert out.table == render_table(await service.round_summary(globex_round), EN)
    assert out.table.startswith("Globex — Sprint 1\nResponded: 1/2 (50%)")
    assert "[+] Great result, thanks" in out.table
    ru = await commands.report(team.max, "Globex", None)
    assert ru.table is not None and "Ответили: 1/2 (50%)" in ru.table


async def test_report_all_covers_the_accounts_the_actor_may_see(
    commands: StaffCommands, service: SurveyService, team: Team
) -> None:
    globex_round, initech_round = await one_answer_each(service, team)

    everyone = await commands.report(team.admin, "all", None)
    olgas = await commands.report(team.olga, "ALL", None)

    assert everyone.table == "\n\n".join(
        [
            render_table(await service.round_summary(globex_round), EN),
            render_table(await service.round_summary(initech_round), EN),
        ]
    )
    assert olgas.table == render_table(await service.round_summary(globex_round), EN)
    assert "Initech" not in olgas.table


@pytest.mark.parametrize("period", ["2026", "2026-11", "2026-Q4", "2026-q4", "2026-H2"])
async def test_report_for_a_period_includes_every_round_opened_in_it(
    commands: StaffCommands, service: SurveyService, team: Team, clock: FakeClock, period: str
) -> None:
    await one_answer_each(service, team)
    clock.advance(timedelta(days=3))
    await service.open_round(team.globex.id, "sprint-2", "Sprint 2")

    out = await commands.report(team.admin, "all", period)

    assert out.table is not None
    titles = [block.split("\n")[0] for block in out.table.split("\n\n")]
    assert titles == ["Globex — Sprint 1", "Globex — Sprint 2", "Initech — Sprint 1"]
    one = await commands.report(team.olga, "Globex", period)
    assert one.table is not None
    assert [b.split("\n")[0] for b in one.table.split("\n\n")] == titles[:2]


@pytest.mark.parametrize("period", ["2026-10", "2026-Q3", "2026-H1", "2025", "2027-01"])
async def test_report_for_a_period_without_rounds(
    commands: StaffCommands, service: SurveyService, team: Team, period: str
) -> None:
    await one_answer_each(service, team)
    out = await commands.report(team.admin, "all", period)
    assert out.lines == [say("no_report", EN)] and out.table is None


async def test_report_without_any_rounds(commands: StaffCommands, team: Team) -> None:
    assert (await commands.report(team.olga, "all", None)).lines == [say("no_report", EN)]


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-0", "2026-Q5", "2026-H3", "Q4", "last month", "26", "2026/11"]
)
async def test_report_with_a_bad_period_is_refused(
    commands: StaffCommands, team: Team, period: str
) -> None:
    assert await refused(commands.report(team.olga, "Globex", period)) == say("bad_period", EN)
    assert await refused(commands.report(team.max, "all", period)) == say("bad_period", RU)


# --- staff ---------------------------------------------------------------------------------


async def test_add_staff_on_each_platform(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    nina_at = Address(Channel.TELEGRAM, "5550001")
    # Only admins add staff: the use case itself refuses a manager.
    with pytest.raises(StaffError, match="менеджер"):
        await commands.add_staff(team.max, "Owner", "Nina", nina_at, None)
    assert await commands.actor(nina_at) is None
    admin_ru = replace(team.admin, language=RU)
    out = await commands.add_staff(admin_ru, "Owner", "Nina", nina_at, None)

    nina = await commands.actor(nina_at)
    assert nina is not None
    assert (nina.name, nina.role, nina.language, nina.telegram_user_id) == (
        "Nina",
        StaffRole.OWNER,
        RU,  # the adder's language unless told otherwise
        5550001,
    )
    # Russian names the role in Russian words, not the command's «owner».
    assert out.lines == [f"Nina добавлен(а) как владелец аккаунта (#{nina.id})."]

    await commands.add_staff(team.admin, "manager", "Sam", Address(Channel.SLACK, "U123"), EN)
    await commands.add_staff(team.admin, "admin", "Cy", Address(Channel.CONSOLE, "cy"), None)
    sam = await commands.actor(Address(Channel.SLACK, "U123"))
    cy = await commands.actor(Address(Channel.CONSOLE, "cy"))
    assert sam is not None and (sam.role, sam.slack_user_id, sam.language) == (
        StaffRole.MANAGER,
        "U123",
        EN,
    )
    assert cy is not None and (cy.role, cy.console_name) == (StaffRole.ADMIN, "cy")


async def test_added_staff_follow_their_platform_language_until_they_choose(
    commands: StaffCommands, onboarding: Onboarding, team: Team
) -> None:
    nina_at = Address(Channel.TELEGRAM, "5550001")
    await commands.add_staff(team.admin, "owner", "Nina", nina_at, None)  # an English admin
    nina = await commands.actor(nina_at)
    assert nina is not None and (nina.language, nina.language_chosen) == (EN, False)

    # Her platform says nothing Candor speaks: the adder's language stays.
    assert await onboarding.follow_platform_language(nina_at, None) is None
    changed = await onboarding.follow_platform_language(nina_at, RU)
    assert changed is not None and changed.language is RU
    assert (await commands.actor(nina_at)) == changed  # stored, not only returned
    assert await onboarding.follow_platform_language(nina_at, RU) is None  # nothing new

    # Her own choice is fixed: the platform no longer moves it.
    await onboarding.set_language(nina_at, EN)
    assert await onboarding.follow_platform_language(nina_at, RU) is None
    nina = await commands.actor(nina_at)
    assert nina is not None and (nina.language, nina.language_chosen) == (EN, True)

    # Staff who were there before (the bootstrap admin, the world's people) keep theirs.
    assert await onboarding.follow_platform_language(Address(Channel.CONSOLE, "ada"), RU) is None


async def test_add_staff_refuses_an_address_already_staff(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory
) -> None:
    nina_at = Address(Channel.TELEGRAM, "5550001")
    admin_ru = replace(team.admin, language=RU)
    await commands.add_staff(admin_ru, "owner", "Nina", nina_at, None)

    message = await refused(commands.add_staff(admin_ru, "admin", "Nina Again", nina_at, None))

    assert message == say("staff_exists", RU, name="Nina", role="владелец аккаунта")
    olga_again = await refused(
        commands.add_staff(team.admin, "manager", "Imposter", Address(Channel.CONSOLE, "olga"), EN)
    )
    assert olga_again == say("staff_exists", EN, name="Olga Owner", role="owner")
    async with uow() as u:
        names = [s.name for s in await u.staff.list()]
    assert names == ["Olga Owner", "Max Manager", "Ada Admin", "Oscar Owner", "Nina"]


@pytest.mark.parametrize(
    ("lang", "warning"),
    [
        (EN, "Ivan is also a contact of «Initech»; as staff they will not be surveyed."),
        (
            RU,
            "Ivan также контакт аккаунта «Initech»; сотрудникам опросы не приходят,"
            " поэтому этот контакт больше не будут опрашивать.",
        ),
    ],
)
async def test_add_staff_who_is_a_contact_tells_the_adder_they_will_not_be_surveyed(
    commands: StaffCommands, team: Team, lang: Language, warning: str
) -> None:
    # Ivan, Initech's contact, is made staff: accepted (our own people may also be on a
    # client's list), but the adder hears that Initech loses him as a respondent.
    admin = replace(team.admin, language=lang)
    out = await commands.add_staff(admin, "manager", "Ivan", Address(Channel.CONSOLE, "ivan"), EN)
    assert out.lines[1:] == [warning]
    plain = await commands.add_staff(admin, "owner", "Nina", Address(Channel.CONSOLE, "nina"), EN)
    assert len(plain.lines) == 1


@pytest.mark.parametrize(("role", "name"), [("boss", "Zed"), ("", "Zed"), ("owner", "  ")])
async def test_add_staff_with_a_bad_role_or_name_is_refused(
    commands: StaffCommands, team: Team, uow: SqlUnitOfWorkFactory, role: str, name: str
) -> None:
    message = await refused(
        commands.add_staff(team.admin, role, name, Address(Channel.TELEGRAM, "1"), None)
    )
    assert message == say("bad_role" if name.strip() else "bad_name", EN)
    assert await commands.actor(Address(Channel.TELEGRAM, "1")) is None


@pytest.mark.parametrize(
    ("reader", "head", "roles", "typed"),
    [
        (
            "max",
            ["id", "имя", "роль", "telegram", "slack", "алерты"],
            {"owner": "владелец аккаунта", "manager": "менеджер", "admin": "администратор"},
            "В /staff_add роли пишутся так: администратор — admin, менеджер — manager, "
            "владелец аккаунта — owner.",
        ),
        (
            "admin",
            ["id", "name", "role", "telegram", "slack", "alerts"],
            {"owner": "account owner", "manager": "manager", "admin": "administrator"},
            "/staff_add takes the roles as admin, manager and owner.",
        ),
    ],
)
async def test_list_staff_shows_every_person_with_roles_in_words(
    commands: StaffCommands, team: Team, reader: str, head: list[str], roles: dict[str, str],
    typed: str,
) -> None:  # fmt: skip
    # QA: /staff listed «admin», «manager», «owner» (the words /staff_add takes) to a reader
    # of Russian too; the role reads as words now, and a line says how /staff_add takes it.
    await commands.add_staff(team.admin, "owner", "Nina", Address(Channel.TELEGRAM, "5550001"), EN)

    out = await commands.list_staff(team.max if reader == "max" else team.admin)

    assert out.lines == [typed]
    assert out.table is not None
    lines = out.table.split("\n")
    assert lines[0].split() == head
    body = "\n".join(lines[2:])
    for name, role in [
        ("Olga Owner", "owner"),
        ("Max Manager", "manager"),
        ("Ada Admin", "admin"),
        ("Oscar Owner", "owner"),
        ("Nina", "owner"),
    ]:
        assert re.search(rf"{name}\s+{roles[role]}(\s|$)", body, re.M), name
    assert re.search(rf"Nina\s+{roles['owner']}\s+5550001", body)
    assert len(lines) == 2 + 5


# --- pure helpers --------------------------------------------------------------------------


def utc(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text_", "start", "end"),
    [
        ("2026", utc(2026, 1), utc(2027, 1)),
        ("2026-11", utc(2026, 11), utc(2026, 12)),
        ("2026-1", utc(2026, 1), utc(2026, 2)),
        ("2026-12", utc(2026, 12), utc(2027, 1)),
        ("2026-Q1", utc(2026, 1), utc(2026, 4)),
        ("2026-Q3", utc(2026, 7), utc(2026, 10)),
        ("2026-Q4", utc(2026, 10), utc(2027, 1)),
        ("2026-q4", utc(2026, 10), utc(2027, 1)),
        ("2026-H1", utc(2026, 1), utc(2026, 7)),
        ("2026-H2", utc(2026, 7), utc(2027, 1)),
        ("  2026-h2 ", utc(2026, 7), utc(2027, 1)),
    ],
)
def test_period_range(text_: str, start: datetime, end: datetime) -> None:
    assert period_range(text_) == (start, end)


@pytest.mark.parametrize(
    "bad", ["", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "2026-H0", "2026-H3", "2026-", "x"]
)
def test_period_range_refuses_nonsense(bad: str) -> None:
    with pytest.raises(ValueError):
        period_range(bad)


def test_parse_schedule_builds_each_kind() -> None:
    sprint = parse_schedule(["SPRINT", "2", "2026-01-05"], 7, T0)
    assert (sprint.kind, sprint.every_weeks, sprint.anchor, sprint.account_id) == (
        CadenceKind.SPRINT,
        2,
        date(2026, 1, 5),
        7,
    )
    assert sprint.created_at == T0 and sprint.last_period_key is None
    assert parse_schedule(["half-yearly"], 7, T0).kind is CadenceKind.HALF_YEARLY
    assert parse_schedule(["half_yearly"], 7, T0).kind is CadenceKind.HALF_YEARLY
    assert parse_schedule(["quarterly"], 7, T0).kind is CadenceKind.QUARTERLY
    assert parse_schedule(["manual"], 7, T0).kind is CadenceKind.MANUAL
    cron = parse_schedule(["cron", "30", "9", "1", "*", "*"], 7, T0)
    assert (cron.kind, cron.cron) == (CadenceKind.CRON, "30 9 1 * *")


def test_output_defaults_are_empty() -> None:
    out = Output()
    assert out.lines == [] and out.table is None and out.link_token is None
