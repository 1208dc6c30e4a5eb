"""Staff commands, command menus and alert buttons through Candor's real Telegram transport."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.telegram.menus import STAFF_SELF, STRANGER_COMMANDS
from bot.telegram.routers.staff import USAGE
from surveys.alerts import ALERT_LABELS, status_line
from surveys.commands import TABLE
from surveys.model import (
    Address,
    Alert,
    AlertStatus,
    Channel,
    ContactStatus,
    Disposition,
    Language,
    StaffRole,
)
from surveys.texts import t
from tests.telegram_harness import ADMIN_ID, TelegramHarness

ANNA = 5001  # a contact of Globex
MAX = 7002  # a manager, added with /staff_add
OLGA = 7003  # an owner, added with /staff_add
STRANGER = 6666  # nobody: not staff, not a contact

ADMIN_NAME = "Ada Admin"
STAFF_ONLY = "This command is only for client service staff."
ALERT_STAFF_ONLY = "Only client service staff can acknowledge or resolve alerts."
INVITE_LINK = re.compile(r"https://t\.me/candor_test_bot\?start=([\w-]+)")
NEGATIVE = "Terrible result, not happy at all"

# The outcome question as an alert list shows it: the client's wording, shortened.
OUTCOME_SHOWN = "Are you satisfied with the result, and was the…"


# --- helpers ------------------------------------------------------------------------------


async def say(tg: TelegramHarness, text: str, user: int = ADMIN_ID, **kw: Any) -> list[str]:
    """``user`` writes ``text`` in their private chat; the texts the bot sent back."""
    return [m["text"] for m in await say_full(tg, text, user, **kw)]


async def say_full(
    tg: TelegramHarness, text: str, user: int = ADMIN_ID, **kw: Any
) -> list[dict[str, Any]]:
    before = len(tg.api.sent_to(user))
    if user == ADMIN_ID:  # the bootstrap admin, as Telegram names them
        kw.setdefault("first_name", ADMIN_NAME)
    await tg.process(tg.api.text_message(user, text, user_id=user, **kw))
    return tg.api.sent_to(user)[before:]


def is_pre(message: dict[str, Any]) -> bool:
    """The whole message is one monospace <pre> block."""
    length = len(message["text"].encode("utf-16-le")) // 2
    return message.get("entities") == [{"type": "pre", "offset": 0, "length": length}]


async def join(tg: TelegramHarness, chat: int, account: str, name: str) -> None:
    """Invite ``name`` at ``account`` as the admin and redeem the link from ``chat``."""
    replies = await say(tg, f'/invite {account} "{name}"')
    link = INVITE_LINK.search(replies[-1])
    assert link, replies
    welcome = await say(tg, f"/start {link[1]}", chat)
    assert welcome == [welcome[0]] and f"Welcome, {name}" in welcome[0]


async def globex_with_anna(tg: TelegramHarness, owner: int = ADMIN_ID) -> None:
    [added] = await say(tg, "/account_add Globex gold en Europe/Moscow")
    assert added.startswith("Account «Globex» added")
    [owned] = await say(tg, f"/owner Globex {owner}")
    assert owned.startswith("Owner of «Globex» is now")
    await join(tg, ANNA, "Globex", "Anna Smith")


async def alerts(tg: TelegramHarness) -> list[Alert]:
    async with tg.app.uow() as u:
        return await u.alerts.list()


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def assert_callback_data_fits(tg: TelegramHarness) -> None:
    """Every inline button the bot ever sent carries at most 64 bytes of callback_data."""
    for call in tg.api.calls:
        if call.method not in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            continue
        for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if "callback_data" in button:
                    assert 1 <= len(button["callback_data"].encode()) <= 64, button


# --- every command, for the admin ---------------------------------------------------------


async def test_admin_manages_accounts_contacts_and_staff(tg: TelegramHarness) -> None:
    assert await say(tg, "/accounts") == ["No accounts yet. Add one: /account_add <name>"]
    assert await say(tg, "/account_add Globex gold en Europe/Moscow") == [
        "Account «Globex» added (#1, tier gold, en, Europe/Moscow)."
    ]
    assert await say(tg, "/account_add Globex") == ["Account «Globex» already exists."]
    assert await say(tg, '/account_add "Initech Corp"') == [
        "Account «Initech Corp» added (#2, tier standard, en, UTC)."
    ]
    assert await say(tg, f"/owner Globex {ADMIN_ID}") == ["Owner of «Globex» is now Ada Admin."]
    assert await say(tg, "/owner Globex nobody") == ["No staff member «nobody». See /staff."]
    assert await say(tg, "/owner Globex ada") == ["Owner of «Globex» is now Ada Admin."]
    assert await say(tg, "/tier Globex platinum") == ["Tier of «Globex» is now platinum."]
    assert await say(tg, "/tier Nowhere gold") == ["No account «Nowhere». See /accounts."]

    table = await say_full(tg, "/accounts")
    assert len(table) == 1 and is_pre(table[0])
    rows = table[0]["text"].splitlines()
    assert rows[0].split() == ["id", "account", "tier", "owner", "active", "schedule"]
    assert rows[2].split() == ["#1", "Globex", "platinum", "Ada", "Admin", "0/0", "none"]
    assert rows[3].split() == ["#2", "Initech", "Corp", "standard", "—", "0/0", "none"]

    invite = await say(tg, '/invite Globex "Anna Smith" user ru')
    assert len(invite) == 1
    assert invite[0].startswith("Invite for Anna Smith (user, ru) at «Globex».")
    assert "expires on 2026-11-16" in invite[0]
    link = INVITE_LINK.search(invite[0])
    assert link and invite[0].endswith(link[0])
    assert await say(tg, '/contacts "Initech Corp"') == [
        "«Initech Corp» has no contacts yet. Invite one: /invite"
    ]
    # One message: the account and which level rounds ask, the table under them in <pre>.
    [contacts] = await say_full(tg, "/contacts Globex")
    head, *rows = contacts["text"].split("\n")
    assert (
        head == "Contacts of «Globex». Rounds ask stakeholders only; the user level is not asked."
    )
    table_length = len("\n".join(rows).encode("utf-16-le")) // 2
    assert contacts["entities"] == [
        {"type": "pre", "offset": len(head) + 1, "length": table_length}
    ]
    assert rows[2].split() == [
        "#1", "Anna", "Smith", "user", "ru", "not", "joined", "yet", "—"
    ]  # fmt: skip

    # The link is the one the contact opens: it binds their chat.
    welcome = await say(tg, f"/start {link[1]}", ANNA)
    assert len(welcome) == 1 and welcome[0].startswith("Добро пожаловать, Anna Smith!")
    [contacts] = await say_full(tg, "/contacts #1")
    assert contacts["text"].splitlines()[3].split() == [
        "#1", "Anna", "Smith", "user", "ru", "active", "telegram"
    ]  # fmt: skip
    assert (await say_full(tg, "/accounts"))[0]["text"].splitlines()[2].split()[-2] == "1/1"

    staff = await say_full(tg, "/staff")
    # One message: how /staff_add takes the roles, then the list (the role in words).
    assert len(staff) == 1
    said, *listed = staff[0]["text"].splitlines()
    assert said == "/staff_add takes the roles as admin, manager and owner."
    assert [e["type"] for e in staff[0]["entities"]] == ["pre"]
    assert listed[2].split() == ["#1", "Ada", "Admin", "administrator", "9001", "—", "yes"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "sprint 2 2026-11-02",
            "Schedule of «Globex»: every 2 weeks from 2026-11-02. "
            "Next round: 2026-11-16 10:00 MSK.",
        ),
        ("quarterly", "Schedule of «Globex»: quarterly. Next round: 2027-01-01 10:00 MSK."),
        ("half-yearly", "Schedule of «Globex»: half-yearly. Next round: 2027-01-01 10:00 MSK."),
        (
            "cron 0 10 * * 1",
            "Schedule of «Globex»: cron: 0 10 * * 1. Next round: 2026-11-09 10:00 MSK.",
        ),
        ("manual", "Schedule of «Globex»: manual. Next round: none (manual)."),
    ],
)
async def test_admin_sets_each_kind_of_schedule(
    tg: TelegramHarness, spec: str, expected: str
) -> None:
    await say(tg, "/account_add Globex gold en Europe/Moscow")
    assert await say(tg, "/schedule Globex off") == ["«Globex» had no schedule."]
    assert await say(tg, f"/schedule Globex {spec}") == [expected]
    accounts = (await say_full(tg, "/accounts"))[0]["text"]
    assert "none" not in accounts.splitlines()[2]  # the schedule column shows it
    assert await say(tg, "/schedule Globex off") == [
        "Schedule of «Globex» cleared; rounds only by hand now."
    ]
    assert (await say_full(tg, "/accounts"))[0]["text"].splitlines()[2].endswith("none")


@pytest.mark.parametrize(
    "spec", ["weekly", "sprint 0 2026-11-02", "sprint 2 someday", "cron 0 10 * *", "quarterly x"]
)
async def test_a_bad_schedule_spec_explains_the_forms(tg: TelegramHarness, spec: str) -> None:
    await say(tg, "/account_add Globex")
    [reply] = await say(tg, f"/schedule Globex {spec}")
    assert reply.startswith(
        "Schedule must be one of: sprint <weeks> <YYYY-MM-DD> · quarterly · half-yearly"
        " · cron <5 fields> · manual · off."
    )
    # Nothing was set.
    assert (await say_full(tg, "/accounts"))[0]["text"].splitlines()[2].endswith("none")


async def test_admin_runs_rounds_and_reads_status_alerts_and_reports(tg: TelegramHarness) -> None:
    await globex_with_anna(tg)
    assert await say(tg, "/status Globex") == ["«Globex» has no rounds yet."]
    assert await say(tg, "/report Globex") == ["No rounds in that period."]
    assert await say(tg, "/round due") == ["No account is due for a round now."]

    assert await say(tg, "/round Globex") == [
        "Round «November 2026» opened for «Globex»: 1 contact invited.\n"
        "Rounds ask stakeholders only."
    ]
    assert "Question 1 of 3" in tg.texts(ANNA)[-1]
    assert await say(tg, "/round Globex") == ["Round «November 2026» for «Globex» is already open."]
    [status] = await say(tg, "/status Globex")
    assert "invited 1, responded 0 (0%)" in status
    assert await say(tg, "/alerts") == ["No open alerts."]

    owner_dm = await say_full(tg, NEGATIVE, ANNA)
    assert "Question 2 of 3" in owner_dm[-1]["text"]
    [status] = await say(tg, "/status Globex")
    assert status == (
        "«Globex» — November 2026: invited 1, responded 1 (100%), 1 of them partly, "
        "completed 0, declined 0, "
        "expired 0. Schedule: none; next: none (manual)."
    )
    assert await say(tg, "/alerts") == [
        f"#1 [open] Globex · Anna Smith · {OUTCOME_SHOWN}: {NEGATIVE}"
    ]

    for command in ("/report Globex", "/report all 2026-11", "/report #1 2026-Q4", "/report all"):
        report = await say_full(tg, command)
        assert len(report) == 1 and is_pre(report[0]), command
        lines = report[0]["text"].splitlines()
        assert lines[0] == "Globex — November 2026"
        assert lines[1] == "Responded: 1/1 (100%), 1 of them partly"  # one question of three
        assert lines[4].startswith("Anna Smith | answering | [-] Terrible result")
    assert await say(tg, "/report all 2026-10") == ["No rounds in that period."]
    assert await say(tg, "/report all 2026-13") == [
        "Period must look like 2026, 2026-11, 2026-Q3 or 2026-H1."
    ]


async def test_a_russian_speaking_admin_reads_statuses_in_russian(tg: TelegramHarness) -> None:
    # /report and /alerts put the raw enum values ("completed", "[open]") in front of a
    # staff member who reads Russian; the XLSX/CSV reports already had their words.
    await globex_with_anna(tg)
    assert await say(tg, "/lang ru") == ["Язык изменён на русский."]
    await say(tg, "/round Globex")
    await say(tg, NEGATIVE, ANNA)
    [listed] = await say(tg, "/alerts")
    assert listed.startswith("#1 [открыт] Globex · Anna Smith · "), listed
    [report] = await say(tg, "/report Globex")
    lines = report.splitlines()
    assert lines[2].startswith("Контакт    | Статус   | результат"), lines
    assert lines[4].startswith("Anna Smith | отвечает | [-] Terrible result"), lines


async def test_a_russian_speaking_admin_reads_contact_and_staff_tables_in_russian(
    tg: TelegramHarness,
) -> None:
    # /accounts had Russian headers, /contacts and /staff English ones ("name level lang
    # status channel") and English contact statuses ("active").
    await globex_with_anna(tg)
    await say(tg, "/lang ru")
    [contacts] = await say(tg, "/contacts Globex")
    table = contacts.splitlines()
    assert table[1].split() == ["id", "имя", "уровень", "язык", "статус", "канал"], table
    assert table[3].split() == ["#1", "Anna", "Smith", "stakeholder", "en", "активен", "telegram"]
    [staff] = await say(tg, "/staff")
    said, head, _, admin = staff.splitlines()
    assert said.startswith("В /staff_add роли пишутся так: администратор — admin,")
    assert head.split() == ["id", "имя", "роль", "telegram", "slack", "алерты"]
    assert admin.split()[3] == "администратор"


async def test_round_due_opens_the_rounds_schedules_are_due_for(tg: TelegramHarness) -> None:
    await globex_with_anna(tg)
    await say(tg, "/schedule Globex quarterly")
    assert await say(tg, "/round due") == ["No account is due for a round now."]
    tg.clock.set(datetime(2027, 1, 1, 7, 30, tzinfo=UTC))  # 10:30 in Moscow
    assert await say(tg, "/round due") == ["Globex: Q4 2026"]  # about the quarter just ended
    assert "Question 1 of 3" in tg.texts(ANNA)[-1]
    assert await say(tg, "/round due") == ["No account is due for a round now."]


async def test_added_staff_speak_their_own_telegram_language_until_they_choose(
    tg: TelegramHarness,
) -> None:
    """A manager added by an English-speaking admin is greeted in the Russian their Telegram
    speaks, not in the admin's English, until they choose a language with /lang."""
    await say(tg, f"/staff_add manager {MAX} Max Manager")
    hello = "Здравствуйте, Max Manager! Вы сотрудник клиентского сервиса. /help — список команд."
    assert await say(tg, "/start", MAX, language_code="ru") == [hello]
    assert await say(tg, "/accounts", MAX, language_code="ru") == [
        "Аккаунтов пока нет. Добавьте: /account_add <название>"
    ]
    # Their command menu follows them too (the one set on /staff_add was the admin's English).
    menus = [c.params for c in tg.api.calls_to("setMyCommands")]
    latest = [m for m in menus if m.get("scope") == {"type": "chat", "chat_id": MAX}][-1]
    described = {c["command"]: c["description"] for c in latest["commands"]}
    assert described["accounts"] == TABLE["accounts"].summary[1]

    # Chosen explicitly, the language stays, whatever Telegram says afterwards.
    assert await say(tg, "/lang en", MAX, language_code="ru") == ["Language set to English."]
    assert await say(tg, "/accounts", MAX, language_code="ru") == [
        "No accounts yet. Add one: /account_add <name>"
    ]
    # The admin's own language was never the platform's to change: they are as they were.
    assert await say(tg, "/accounts", language_code="ru") == [
        "No accounts yet. Add one: /account_add <name>"
    ]


async def test_staff_added_by_a_russian_admin_speak_english_if_their_telegram_does(
    tg: TelegramHarness,
) -> None:
    assert await say(tg, "/lang ru") == ["Язык изменён на русский."]
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    assert await say(tg, "/start", OLGA, language_code="en") == [
        "Hello, Olga Owner! You are client service staff here. /help lists your commands."
    ]
    # Telegram tells no language (or one Candor does not speak): the admin's choice stays.
    await say(tg, f"/staff_add owner {MAX} Max Manager")
    assert await say(tg, "/accounts", MAX, language_code="de") == [
        "Ваших аккаунтов пока нет: владельцем аккаунта вас назначает менеджер или админ."
    ]


STAFF_OPENED_INVITE = {
    "en": "You are client service staff here, so this invite link does not make you a"
    " contact: staff get alerts, they are not surveyed. The link stays unused; send it to"
    " the client.",
    "ru": "Вы сотрудник клиентского сервиса, поэтому эта ссылка-приглашение не делает вас"
    " контактом: сотрудники получают алерты, опросы им не приходят. Ссылка не использована;"
    " отправьте её клиенту.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_staff_opening_a_clients_invite_link_stay_staff_and_the_link_stays_the_clients(
    tg: TelegramHarness, lang: str
) -> None:
    await say(tg, "/account_add Globex")
    [invite] = await say(tg, '/invite Globex "Anna Smith"')
    link = INVITE_LINK.search(invite)
    assert link, invite
    await say(tg, f"/staff_add manager {MAX} Max Manager")
    # Max tries the link to see what the client will see; the admin does too.
    assert await say(tg, f"/start {link[1]}", MAX, language_code=lang) == [
        STAFF_OPENED_INVITE[lang]
    ]
    assert await say(tg, f"/lang {lang}") and await say(tg, f"/start {link[1]}") == [
        STAFF_OPENED_INVITE[lang]
    ]
    [welcome] = await say(tg, f"/start {link[1]}", ANNA)
    assert welcome.startswith("Welcome, Anna Smith!")
    async with tg.app.uow() as u:
        [anna] = await u.contacts.for_account(1)
    assert (anna.name, anna.address) == ("Anna Smith", str(ANNA))


STAFF_CONTACT_ROW = {
    "en": ["#1", "Anna", "Smith", "stakeholder", "en", "staff", "—", "not", "surveyed", "telegram"],
    "ru": ["#1", "Anna", "Smith", "stakeholder", "en", "сотрудник", "—", "не", "опрашивается",
           "telegram"],
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_a_contact_made_staff_is_listed_as_staff_not_surveyed(
    tg: TelegramHarness, lang: str
) -> None:
    # Anna, a client's contact, was made staff: rounds and censuses leave her out, but
    # /contacts listed her as an active contact and /accounts counted her as one.
    await globex_with_anna(tg)
    await say(tg, f"/staff_add manager {ANNA} Anna Smith")
    await say(tg, f"/lang {lang}")
    [contacts] = await say(tg, "/contacts Globex")
    assert contacts.splitlines()[3].split() == STAFF_CONTACT_ROW[lang]
    [accounts] = await say(tg, "/accounts")
    assert accounts.splitlines()[2].split()[-2] == "0/1"


async def olga_on_slack(tg: TelegramHarness) -> None:
    """Olga, an owner known on Slack only so far."""
    admin = await tg.app.commands.actor(Address(Channel.TELEGRAM, str(ADMIN_ID)))
    assert admin is not None
    await tg.app.commands.add_staff(
        admin, "owner", "Olga Owner", Address(Channel.SLACK, "UOLGA"), None
    )


def role_menu(role: StaffRole) -> list[str]:
    return [name for name, c in TABLE.items() if role in c.roles] + list(STAFF_SELF)


def menus_of(tg: TelegramHarness, chat: int) -> list[dict[str, Any]]:
    menus = [c.params for c in tg.api.calls_to("setMyCommands")]
    return [m for m in menus if m.get("scope") == {"type": "chat", "chat_id": chat}]


async def test_staff_linked_to_telegram_get_the_staff_menu_there(tg: TelegramHarness) -> None:
    await olga_on_slack(tg)
    assert await say(tg, f'/staff_link "Olga Owner" {OLGA}') == [
        f"Olga Owner is now also reachable as {OLGA}."
    ]
    [menu] = menus_of(tg, OLGA)  # at once, as for someone added with /staff_add
    assert [c["command"] for c in menu["commands"]] == role_menu(StaffRole.OWNER)


async def test_a_menu_telegram_refuses_does_not_undo_the_link(tg: TelegramHarness) -> None:
    await olga_on_slack(tg)
    # Olga never started the bot: Telegram may not know her chat yet.
    tg.api.fail_next("setMyCommands", error_code=400, description="Bad Request: chat not found")
    assert await say(tg, f'/staff_link "Olga Owner" {OLGA}') == [
        f"Olga Owner is now also reachable as {OLGA}."
    ]
    olga = await tg.app.commands.actor(Address(Channel.TELEGRAM, str(OLGA)))
    assert olga is not None and olga.slack_user_id == "UOLGA"
    # Nor an addition: the reply says added, not (on a retry) "already staff".
    tg.api.fail_next("setMyCommands", error_code=400, description="Bad Request: chat not found")
    assert await say(tg, f"/staff_add manager {MAX} Max Manager") == [
        "Max Manager added as manager (#3)."
    ]


async def test_admin_adds_a_manager_who_can_run_manager_commands(tg: TelegramHarness) -> None:
    await globex_with_anna(tg)
    assert await say(tg, f"/staff_add manager {MAX} Max Manager") == [
        "Max Manager added as manager (#2)."
    ]
    menus = [c.params for c in tg.api.calls_to("setMyCommands")]
    max_menu = [m for m in menus if m.get("scope") == {"type": "chat", "chat_id": MAX}]
    assert len(max_menu) == 1
    assert [c["command"] for c in max_menu[0]["commands"]] == role_menu(StaffRole.MANAGER)
    assert await say(tg, f"/staff_add owner {MAX} Max Again") == [
        "That person is already staff: Max Manager (manager)."
    ]

    # Max's commands work now.
    accounts = await say_full(tg, "/accounts", MAX)
    assert is_pre(accounts[0]) and "Globex" in accounts[0]["text"]
    assert await say(tg, "/account_add Initech", MAX) == [
        "Account «Initech» added (#2, tier standard, en, UTC)."
    ]
    assert await say(tg, "/owner Initech Max Manager", MAX) == [
        "Owner of «Initech» is now Max Manager."
    ]
    [invite] = await say(tg, "/invite Initech Bob", MAX)
    assert INVITE_LINK.search(invite)
    assert "Max Manager" in (await say_full(tg, "/staff", MAX))[0]["text"]
    assert "Round «November 2026» opened" in (await say(tg, "/round Globex", MAX))[0]
    assert "invited 1" in (await say(tg, "/status Globex", MAX))[0]

    # ... except the admins' one.
    assert await say(tg, f"/staff_add manager {STRANGER} Eve", MAX) == [
        "Your role (manager) cannot do this; only an admin can."
    ]
    staff = (await say_full(tg, "/staff"))[0]["text"]
    assert "Eve" not in staff and str(STRANGER) not in staff
    assert not [m for m in menus if m.get("scope") == {"type": "chat", "chat_id": STRANGER}]


async def test_an_owner_sees_only_their_own_accounts(tg: TelegramHarness) -> None:
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    await globex_with_anna(tg, owner=OLGA)
    await say(tg, "/account_add Initech")
    await say(tg, "/round Globex")

    [accounts] = await say_full(tg, "/accounts", OLGA)
    assert is_pre(accounts)
    assert "Globex" in accounts["text"] and "Initech" not in accounts["text"]
    assert len(accounts["text"].splitlines()) == 3  # head, rule, Globex
    assert (await say(tg, "/contacts Globex", OLGA))[0].startswith("Contacts of «Globex».")
    assert await say(tg, "/contacts Initech", OLGA) == ["No account «Initech». See /accounts."]
    assert await say(tg, "/status #2", OLGA) == ["No account «#2». See /accounts."]
    assert "invited 1" in (await say(tg, "/status Globex", OLGA))[0]
    assert "Globex — " in (await say_full(tg, "/report all", OLGA))[0]["text"]
    # Readers only: changing things is for managers and admins.
    refused = "Your role (owner) cannot do this; ask a manager or an admin."
    for command in ("/account_add Umbrella", "/tier Globex gold", "/round Globex", "/staff"):
        assert await say(tg, command, OLGA) == [refused], command


# --- who may not --------------------------------------------------------------------------

EXAMPLE_ARGS = {
    "accounts": "",
    "account_add": "Umbrella gold en",
    "owner": f"Globex {ADMIN_ID}",
    "tier": "Globex gold",
    "invite": 'Globex "Anna Smith"',
    "contacts": "Globex",
    "schedule": "Globex quarterly",
    "round": "Globex",
    "census": "Globex link",
    "import": "Globex",
    "status": "Globex",
    "alerts": "",
    "alert": "1",
    "followup": "1 What went wrong?",
    "resolve": "1 fixed Patched",
    "health": "Globex",
    "report": "all",
    "trend": "Globex",
    "digest": "off",
    "timezone": "Europe/Moscow",
    "staff": "",
    "staff_add": f"admin {STRANGER} Eve",
    "staff_link": f"1 {STRANGER}",
}


async def test_a_stranger_learns_nothing_from_any_staff_command(tg: TelegramHarness) -> None:
    await globex_with_anna(tg)
    await say(tg, "/round Globex")
    await say(tg, NEGATIVE, ANNA)  # an open alert exists
    assert set(EXAMPLE_ARGS) == set(TABLE)
    for name, args in EXAMPLE_ARGS.items():
        for text in (f"/{name} {args}".strip(), f'/{name} "unbalanced'):
            assert await say(tg, text, STRANGER) == [STAFF_ONLY], text
    assert await say(tg, "/accounts", STRANGER, language_code="ru") == [
        "Эта команда доступна только сотрудникам клиентского сервиса."
    ]
    everything = "\n".join(tg.texts(STRANGER))
    for secret in ("Globex", "Anna", "Smith", ADMIN_NAME, "Terrible", "#1", "9001", "t.me"):
        assert secret not in everything
    # Nothing changed on their behalf.
    async with tg.app.uow() as u:
        assert [a.name for a in await u.accounts.list()] == ["Globex"]
        assert [s.name for s in await u.staff.list()] == [ADMIN_NAME]
        assert len(await u.contacts.for_account(1)) == 1
        assert len(await u.rounds.for_account(1)) == 1
    scopes = [c.params.get("scope") for c in tg.api.calls_to("setMyCommands")]
    assert {"type": "chat", "chat_id": STRANGER} not in scopes


async def test_a_contact_typing_a_staff_command_learns_nothing(tg: TelegramHarness) -> None:
    await globex_with_anna(tg)
    assert await say(tg, "/accounts", ANNA) == [STAFF_ONLY]
    assert await say(tg, "/contacts Globex", ANNA) == [STAFF_ONLY]
    assert not any("Anna Smith (" in t or "#1" in t for t in tg.texts(ANNA))


@pytest.mark.parametrize(
    "text",
    [
        "/account_add",
        "/owner",
        "/owner Globex",
        "/tier Globex",
        '/invite "Globex',
        "/invite Globex",
        "/contacts",
        "/schedule Globex",
        "/round",
        "/status",
        "/report",
        "/staff_add manager",
        "/staff_add manager abc Max",
        "/owner 'Globex 9001",
    ],
)
async def test_bad_arguments_give_the_commands_usage(tg: TelegramHarness, text: str) -> None:
    await say(tg, "/account_add Globex")
    name = text.split()[0].removeprefix("/")
    assert await say(tg, text) == [USAGE[name]]
    async with tg.app.uow() as u:  # and nothing happened
        assert [a.name for a in await u.accounts.list()] == ["Globex"]
        assert len(await u.staff.list()) == 1
        assert await u.contacts.for_account(1) == []


# --- command menus ------------------------------------------------------------------------


async def test_start_sets_the_strangers_menu_for_all_and_staff_menus_per_chat(
    tg: TelegramHarness,
) -> None:
    await tg.deliver()
    calls = [c.params for c in tg.api.calls_to("setMyCommands")]
    everyone = [p for p in calls if p["scope"] == {"type": "all_private_chats"}]
    assert sorted(str(p.get("language_code")) for p in everyone) == ["None", "ru"]
    for params in everyone:
        assert [c["command"] for c in params["commands"]] == list(STRANGER_COMMANDS)
    russian = next(p for p in everyone if p.get("language_code") == "ru")
    assert russian["commands"][0]["description"] == "Начать по ссылке-приглашению"
    # Groups see none (one for each language, as earlier versions set both).
    deleted = [c.params for c in tg.api.calls_to("deleteMyCommands")]
    assert sorted(str(p.get("language_code")) for p in deleted) == ["None", "ru"]
    assert all(p.get("scope", {"type": "default"}) == {"type": "default"} for p in deleted)

    chats = [p for p in calls if p["scope"].get("type") == "chat"]
    assert [p["scope"] for p in chats] == [{"type": "chat", "chat_id": ADMIN_ID}]
    admin_menu = [c["command"] for c in chats[0]["commands"]]
    assert admin_menu == [*TABLE, *STAFF_SELF]
    assert "language_code" not in chats[0]
    assert len(calls) == 3


# --- alerts -------------------------------------------------------------------------------


async def negative_alert(tg: TelegramHarness) -> dict[str, Any]:
    """Olga owns Globex; Anna answers badly; the one alert message Olga got."""
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    await globex_with_anna(tg, owner=OLGA)
    await say(tg, "/round Globex")
    assert tg.api.sent_to(OLGA) == []
    await say(tg, NEGATIVE, ANNA)
    sent = tg.api.sent_to(OLGA)
    assert len(sent) == 1
    assert len([c for c in tg.api.calls_to("sendMessage") if c.params["chat_id"] == OLGA]) == 1
    alert = sent[0]
    assert NEGATIVE in alert["text"] and "Anna Smith" in alert["text"]
    assert [b["text"] for b in buttons(alert)] == ["Acknowledge", "Ask the client", "Resolve"]
    assert tg.api.sent_to(ADMIN_ID)[-1]["text"] != alert["text"]  # nobody else was paged
    [stored] = await alerts(tg)
    assert stored.status is AlertStatus.OPEN
    assert_callback_data_fits(tg)
    return alert


async def press(
    tg: TelegramHarness, chat: int, message: dict[str, Any], data: str, user: int
) -> dict[str, Any]:
    """Press a button; the answerCallbackQuery params the bot sent for it."""
    answered = len(tg.api.calls_to("answerCallbackQuery"))
    update = tg.api.callback_query(chat, data, message_id=message["message_id"], user_id=user)
    await tg.process(update)
    calls = tg.api.calls_to("answerCallbackQuery")
    assert len(calls) == answered + 1 and calls[-1].status == 200
    assert calls[-1].params["callback_query_id"] == update["callback_query"]["id"]
    return calls[-1].params


async def test_owner_acknowledges_then_resolves_an_alert(tg: TelegramHarness) -> None:
    alert = await negative_alert(tg)
    ack, _ask, resolve = (b["callback_data"] for b in buttons(alert))
    assert all(len(d.encode()) <= 64 for d in (ack, resolve))

    answer = await press(tg, OLGA, alert, ack, OLGA)
    assert answer.get("text") == "Acknowledged by Olga Owner"
    [edited] = tg.api.sent_to(OLGA)
    assert edited["message_id"] == alert["message_id"]
    assert edited["text"].endswith("Acknowledged by Olga Owner")
    assert NEGATIVE in edited["text"]
    assert [b["text"] for b in buttons(edited)] == ["Ask the client", "Resolve"]
    assert [a.status for a in await alerts(tg)] == [AlertStatus.ACKNOWLEDGED]
    assert await say(tg, "/alerts") == [
        f"#1 [acknowledged] Globex · Anna Smith · {OUTCOME_SHOWN}: {NEGATIVE}"
    ]

    # Resolve asks how it ended, then for a note (tests/test_telegram_loop.py); /resolve
    # does both at once.
    answer = await press(tg, OLGA, edited, buttons(edited)[1]["callback_data"], OLGA)
    [choosing] = tg.api.sent_to(OLGA)
    assert len(buttons(choosing)) == 4
    # The buttons changed under the alert without a word; Slack asks, so does Telegram.
    assert answer.get("text") == "How did it end? Choose below."
    assert await say(tg, "/resolve 1 fixed Patched the page", OLGA) == ["Alert #1 resolved: fixed."]
    resolved = tg.api.sent_to(OLGA)[0]  # the alert message, edited in place
    assert resolved["text"].endswith("Resolved by Olga Owner: fixed — Patched the page")
    assert "Acknowledged" not in resolved["text"]
    assert "reply_markup" not in resolved
    [stored] = await alerts(tg)
    assert stored.status is AlertStatus.RESOLVED
    assert [n["status"] for n in stored.notes if "status" in n] == ["acknowledged", "resolved"]
    assert await say(tg, "/alerts") == ["No open alerts."]
    assert await say(tg, "/alerts", OLGA) == ["No open alerts."]
    # Acknowledge, Resolve (the card drawn again with the endings), the resolution.
    assert len(tg.api.calls_to("editMessageText")) == 3
    assert_callback_data_fits(tg)


@pytest.mark.parametrize(
    ("before", "after"), [(Language.EN, Language.RU), (Language.RU, Language.EN)]
)
async def test_resolve_shows_the_card_in_the_language_the_presser_reads_now(
    tg: TelegramHarness, before: Language, after: Language
) -> None:
    # Olga changed her language after the alert came: Resolve put the endings in the new
    # language under the card still in the old one (Acknowledge re-renders the whole card).
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    await say(tg, f"/lang {before.value}", OLGA)
    await globex_with_anna(tg, owner=OLGA)
    await say(tg, "/round Globex")
    await say(tg, NEGATIVE, ANNA)
    [card] = tg.api.sent_to(OLGA)[-1:]
    assert card["text"].startswith(f"⚠️ {ALERT_LABELS[before][0]}")
    await say(tg, f"/lang {after.value}", OLGA)

    resolve = next(b for b in buttons(card) if b["text"] == t("button.resolve", before))
    answer = await press(tg, OLGA, card, resolve["callback_data"], OLGA)
    assert answer.get("text") == t("choose_disposition", after)
    shown = next(m for m in tg.api.sent_to(OLGA) if m["message_id"] == card["message_id"])
    head, account, contact, *_ = ALERT_LABELS[after]
    assert shown["text"].startswith(f"⚠️ {head}\n{account}: Globex\n{contact}: Anna Smith")
    assert NEGATIVE in shown["text"]
    assert [b["text"] for b in buttons(shown)] == [
        t(f"disposition.{d.value}", after) for d in Disposition
    ]
    # An acknowledged alert's card keeps saying who acknowledged it (asking the client did).
    await say(tg, "/followup 1 Which part?", OLGA)
    await press(tg, OLGA, shown, resolve["callback_data"], OLGA)
    shown = next(m for m in tg.api.sent_to(OLGA) if m["message_id"] == card["message_id"])
    assert shown["text"].endswith(status_line(AlertStatus.ACKNOWLEDGED, "Olga Owner", after))
    assert_callback_data_fits(tg)


def tamper(data: str) -> str:
    """The same callback_data with one character of its signature changed."""
    prefix, sig = data.rsplit(":", 1)
    last = "A" if sig[-1] != "A" else "B"
    return f"{prefix}:{sig[:-1]}{last}"


async def test_a_tampered_signature_changes_nothing(tg: TelegramHarness) -> None:
    alert = await negative_alert(tg)
    ack, _ask, resolve = (b["callback_data"] for b in buttons(alert))
    for data in (tamper(ack), tamper(resolve), ack.replace(":1:", ":2:"), "a:delete:1:xxxx"):
        assert data != ack and len(data.encode()) <= 64
        answer = await press(tg, OLGA, alert, data, OLGA)
        assert answer.get("text") == "This button is not valid." and answer.get("show_alert")
    assert tg.api.sent_to(OLGA) == [alert]  # not edited
    assert tg.api.calls_to("editMessageText") == []
    assert [a.status for a in await alerts(tg)] == [AlertStatus.OPEN]
    assert (await alerts(tg))[0].notes == []


async def test_a_non_staff_presser_changes_nothing(tg: TelegramHarness) -> None:
    alert = await negative_alert(tg)
    ack, _ask, resolve = (b["callback_data"] for b in buttons(alert))
    [hello] = await say_full(tg, "/start", STRANGER)  # a bot message of their own to press on
    for data in (ack, resolve):
        answer = await press(tg, STRANGER, hello, data, STRANGER)
        assert answer.get("text") == ALERT_STAFF_ONLY and answer.get("show_alert")
    # A contact is not staff either, even one of the same account.
    answer = await press(tg, ANNA, tg.api.sent_to(ANNA)[-1], ack, ANNA)
    assert answer.get("text") == ALERT_STAFF_ONLY
    assert tg.api.calls_to("editMessageText") == []
    assert tg.api.sent_to(OLGA) == [alert]
    assert [a.status for a in await alerts(tg)] == [AlertStatus.OPEN]
    async with tg.app.uow() as u:
        anna = await u.contacts.get(1)
    assert anna is not None and anna.status is ContactStatus.ACTIVE


async def test_staff_who_cannot_see_the_account_cannot_touch_its_alert(
    tg: TelegramHarness,
) -> None:
    alert = await negative_alert(tg)
    ack = buttons(alert)[0]["callback_data"]
    await say(tg, f"/staff_add owner {MAX} Max Other")
    [hello] = await say_full(tg, "/start", MAX)
    answer = await press(tg, MAX, hello, ack, MAX)
    assert answer.get("text") == "No alert #1." and answer.get("show_alert")
    assert [a.status for a in await alerts(tg)] == [AlertStatus.OPEN]
    assert tg.api.calls_to("editMessageText") == []


async def test_lang_without_a_language_answers_staff_in_the_language_they_chose(
    tg: TelegramHarness,
) -> None:
    # An admin who chose Russian, in an English Telegram, typed "/lang" (or "/lang xx") and
    # was told to choose in English, their app's language, though every other reply (and
    # the same on Slack) is in the language they chose.
    assert await say(tg, "/lang ru", language_code="en") == ["Язык изменён на русский."]
    for typed in ("/lang", "/lang xx"):
        assert await say(tg, typed, language_code="en") == [
            "Выберите язык: /lang ru или /lang en"
        ], typed
    assert await say(tg, "/lang en", language_code="ru") == ["Language set to English."]
    assert await say(tg, "/lang", language_code="ru") == [
        "Choose your language: /lang en or /lang ru"
    ]


async def test_staff_link_takes_no_guess_from_a_first_name(tg: TelegramHarness) -> None:
    # A link gives the account staff rights: "Olga" alone must not pick Olga Owner.
    await olga_on_slack(tg)
    assert await say(tg, f"/staff_link Olga {OLGA}") == ["No staff member «Olga». See /staff."]
    assert await tg.app.commands.actor(Address(Channel.TELEGRAM, str(OLGA))) is None


async def test_an_owners_command_menu_offers_only_what_an_owner_may_run(
    tg: TelegramHarness,
) -> None:
    # Telegram's command menu listed every staff command for an owner too (/round,
    # /account_add, "Census progress and control"), each of which then refused them.
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    await say(tg, f"/staff_add manager {MAX} Max Manager")
    menus = [c.params for c in tg.api.calls_to("setMyCommands")]

    def menu_of(user: int) -> dict[str, str]:
        latest = [m for m in menus if m.get("scope") == {"type": "chat", "chat_id": user}][-1]
        return {c["command"]: c["description"] for c in latest["commands"]}

    owner, manager = menu_of(OLGA), menu_of(MAX)
    assert owner["census"] == "Census progress" and owner["status"] == "Round status"
    assert not {"round", "account_add", "import", "staff", "staff_add"} & set(owner)
    assert {"lang", "help"} <= set(owner) and not {"start", "stop"} & set(owner)
    assert manager["census"] == "Census progress and control" and "round" in manager
    assert "staff_add" not in manager  # admins only


async def test_staff_typing_stop_are_told_they_are_not_surveyed(tg: TelegramHarness) -> None:
    """/stop is a contact's command; staff are never surveyed, and Candor knows them."""
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    assert await say(tg, "/stop", OLGA, language_code="ru") == [
        "Вы сотрудник клиентского сервиса: Candor вас не опрашивает, отписываться не от чего. "
        "/help — список команд."
    ]
    assert await say(tg, "/stop") == [
        "You are client service staff here: Candor does not survey you, so there is nothing "
        "to stop. /help lists your commands."
    ]
    assert await tg.app.commands.actor(Address(Channel.TELEGRAM, str(OLGA))) is not None
