"""Staff on Slack: every `/candor` subcommand, App Home and the alert buttons, through
Candor's real slack-bolt app against the fake Web API."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.slack.context import unescape
from bot.slack.listeners.commands import USAGE
from bot.slack.listeners.home import MAX_ITEMS
from surveys.alerts import ALERT_LABELS, status_line
from surveys.commands import TABLE
from surveys.model import (
    Address,
    Alert,
    AlertStatus,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Language,
    Round,
    StaffRole,
)
from surveys.texts import t
from tests.conftest import FakeClock
from tests.fakes.slack_api import (
    FakeSlackAPI,
    app_home_opened_event,
    block_action,
    block_problems,
    message_changed_event,
    message_event,
    slash_command,
)
from tests.slack_harness import SLACK_ADMIN, SlackHarness

ACCOUNT = "Globex Corp"  # two words: commands take it without quotes where they can
ANNA = "UANNA"  # a contact of Globex Corp
MAX = "UMAX"  # a manager, added with staff_add
OLGA = "UOLGA"  # an owner, added with staff_add
STRANGER = "USTRANGER"  # nobody: not staff, not a contact

STAFF_ONLY = "This command is only for client service staff."
ALERT_STAFF_ONLY = "Only client service staff can acknowledge or resolve alerts."
NEGATIVE = "Terrible result, not happy at all"

# The outcome question as an alert list shows it: the client's wording, shortened.
OUTCOME_SHOWN = "Are you satisfied with the result, and was the…"


# --- helpers ------------------------------------------------------------------------------


class Ids:
    n = 0

    @classmethod
    def next(cls) -> str:
        cls.n += 1
        return f"s{cls.n}"


async def command(slack: SlackHarness, text: str, user: str = SLACK_ADMIN) -> dict[str, Any]:
    """`/candor <text>` as ``user``: the one body posted to its response_url, ephemeral."""
    rid = Ids.next()
    status, _ = await slack.post(
        slash_command(
            "/candor",
            text,
            user,
            slack.api.dm_channel_of(user),
            response_url=slack.api.response_url(rid),
        )
    )
    assert status == 200
    [reply] = slack.api.responses_to(rid)
    assert reply.get("response_type") == "ephemeral", (text, reply)
    return reply


async def say(slack: SlackHarness, text: str, user: str = SLACK_ADMIN) -> str:
    """The reply's lines, as the person reads them (mrkdwn unescaped)."""
    reply = await command(slack, text, user)
    if not reply.get("blocks"):
        return unescape(str(reply["text"]))
    lines = [s["text"]["text"] for s in reply["blocks"] if not s["text"]["text"].startswith("```")]
    return unescape("\n".join(lines))


async def table(slack: SlackHarness, text: str, user: str = SLACK_ADMIN) -> list[str]:
    """The monospace block of a reply, as lines."""
    reply = await command(slack, text, user)
    code = [s["text"]["text"] for s in reply["blocks"] if s["text"]["text"].startswith("```")]
    assert code, reply
    return unescape("\n".join(c.removeprefix("```").removesuffix("```") for c in code)).split("\n")


def everything_in(reply: dict[str, Any]) -> str:
    return "\n".join([str(reply.get("text", "")), *texts_in(reply.get("blocks", []))])


def texts_in(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += [item] if key == "text" and isinstance(item, str) else texts_in(item)
    elif isinstance(value, list):
        for item in value:
            found += texts_in(item)
    return found


async def write(slack: SlackHarness, user: str, text: str) -> None:
    status, _ = await slack.post(message_event(user, slack.api.dm_channel_of(user), text))
    assert status == 200


async def globex_with_anna(slack: SlackHarness, owner: str = SLACK_ADMIN) -> None:
    assert (await say(slack, f'account_add "{ACCOUNT}" gold en Europe/Moscow')).startswith(
        f"Account «{ACCOUNT}» added"
    )
    assert (await say(slack, f'owner "{ACCOUNT}" <@{owner}|owner>')).startswith(
        f"Owner of «{ACCOUNT}» is now"
    )
    slack.api.add_user(ANNA, "anna@client.example", "Anna Smith")
    assert "added to" in await say(slack, f'invite "{ACCOUNT}" anna@client.example')


async def alerts(slack: SlackHarness) -> list[Alert]:
    async with slack.app.uow() as u:
        return await u.alerts.list()


def actions_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e for b in message.get("blocks", []) if b.get("type") == "actions" for e in b["elements"]
    ]


# --- every subcommand, for the admin ------------------------------------------------------


async def test_admin_manages_accounts_contacts_and_staff(slack: SlackHarness) -> None:
    api = slack.api
    assert await say(slack, "accounts") == "No accounts yet. Add one: /candor account_add <name>"
    assert await say(slack, "account_add Globex gold en Europe/Moscow") == (
        "Account «Globex» added (#1, tier gold, en, Europe/Moscow)."
    )
    assert await say(slack, "account_add Globex") == "Account «Globex» already exists."
    assert await say(slack, 'account_add "Initech Corp"') == (
        "Account «Initech Corp» added (#2, tier standard, en, UTC)."
    )
    assert await say(slack, "account_add Umbrella gold xx") == "Language must be en or ru."
    assert await say(slack, "account_add Umbrella gold en Mars/Base") == (
        "Unknown time zone «Mars/Base»; use e.g. Europe/Moscow."
    )
    assert await say(slack, f"owner Globex <@{SLACK_ADMIN}|admin>") == (
        f"Owner of «Globex» is now Admin {SLACK_ADMIN}."
    )
    assert await say(slack, "owner Globex nobody") == "No staff member «nobody». See /candor staff."
    assert await say(slack, "tier Globex platinum") == "Tier of «Globex» is now platinum."
    assert await say(slack, "tier Nowhere gold") == "No account «Nowhere». See /candor accounts."

    rows = await table(slack, "accounts")
    assert rows[0].split() == ["id", "account", "tier", "owner", "active", "schedule"]
    assert rows[2].split() == ["#1", "Globex", "platinum", "Admin", SLACK_ADMIN, "0/0", "none"]
    assert rows[3].split() == ["#2", "Initech", "Corp", "standard", "—", "0/0", "none"]

    api.add_user(ANNA, "anna@client.example", "Anna Smith")
    assert await say(slack, "invite Globex anna@client.example user ru") == (
        "Anna Smith (user, ru) added to «Globex». Rounds ask stakeholders only: users are asked"
        " by a census (/candor round <account> census)."
    )
    assert await say(slack, "invite Globex nobody@client.example") == (
        "Cannot invite nobody@client.example: no Slack user has this e-mail."
    )
    assert await say(slack, "contacts Initech Corp") == (
        "«Initech Corp» has no contacts yet. Invite one: /candor invite"
    )
    assert await say(slack, "contacts Globex") == (
        "Contacts of «Globex». Rounds ask stakeholders only; the user level is not asked."
    )
    contacts = await table(slack, "contacts #1")
    assert contacts[0].split() == ["id", "name", "level", "lang", "status", "channel"]
    assert contacts[2].split() == ["#1", "Anna", "Smith", "user", "ru", "active", "slack"]
    assert (await table(slack, "accounts"))[2].split()[-2] == "1/1"

    staff = await table(slack, "staff")
    assert staff[0].split() == ["id", "name", "role", "telegram", "slack", "alerts"]
    assert staff[2].split() == ["#1", "Admin", SLACK_ADMIN, "administrator", "—", SLACK_ADMIN,
                                "yes"]  # fmt: skip
    # The role in words; how /candor staff_add takes it is said above the list.
    assert (await say(slack, "staff")).startswith(
        "/candor staff_add takes the roles as admin, manager and owner."
    )

    assert await say(slack, f"staff_add owner <@{OLGA}|olga> Olga Owner") == (
        "Olga Owner added as owner (#2)."
    )
    assert await say(slack, f"staff_add manager <@{OLGA}|olga> Olga Again") == (
        "That person is already staff: Olga Owner (owner)."
    )
    assert await say(slack, "staff_add janitor <@UJAN|jan> Jan") == (
        "Role must be admin, manager or owner."
    )
    assert await say(slack, "staff_link 2 telegram:12345") == (
        "Olga Owner is now also reachable as 12345."
    )
    assert await say(slack, "staff_link #1 telegram:12345") == (
        "That person is already staff: Olga Owner (owner)."
    )
    async with slack.app.uow() as u:
        olga = await u.staff.get(2)
        by_telegram = await u.staff.by_address(Address(Channel.TELEGRAM, "12345"))
    assert olga is not None and by_telegram is not None
    assert (olga.telegram_user_id, olga.slack_user_id, olga.role) == (12345, OLGA, StaffRole.OWNER)
    assert by_telegram.id == olga.id
    assert (await table(slack, "staff"))[3].split() == [
        "#2",
        "Olga",
        "Owner",
        "account",
        "owner",
        "12345",
        OLGA,
        "yes",
    ]
    assert await say(slack, f'staff_link "Olga Owner" <@{MAX}|max>') == (
        f"Olga Owner is now also reachable as {MAX}."
    )
    async with slack.app.uow() as u:
        olga = await u.staff.get(2)
    assert olga is not None and olga.slack_user_id == MAX and olga.telegram_user_id == 12345

    # Commands answer through response_url only: nothing was posted in anyone's DMs.
    assert api.calls_to("chat.postMessage") == []
    assert api.calls_to("chat.postEphemeral") == []


CONTACT_IS_STAFF = {
    "en": "Max Manager is client service staff (manager), not a client: staff get Candor's"
    " alerts and are never surveyed. Invite someone at the client instead.",
    "ru": "Max Manager — сотрудник клиентского сервиса (менеджер), а не клиент: сотрудники"
    " получают алерты Candor, опросы им не приходят. Пригласите человека со стороны клиента.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_staff_are_not_invited_as_contacts(slack: SlackHarness, lang: str) -> None:
    slack.api.add_user(MAX, "max@acme.example", "Max Manager")
    assert "Max Manager" in await say(slack, f"staff_add manager <@{MAX}|max> Max Manager")
    assert "added" in await say(slack, f'account_add "{ACCOUNT}"')
    await say(slack, f"lang {lang}")
    for ref in (f"<@{MAX}|max>", "max@acme.example"):
        assert await say(slack, f'invite "{ACCOUNT}" {ref}') == CONTACT_IS_STAFF[lang], ref
        # Refused as a manager would be too, and whoever asks reads it in their language.
    await say(slack, "lang en")
    assert await say(slack, f'invite "{ACCOUNT}" {ref} user', MAX) == CONTACT_IS_STAFF["en"]
    async with slack.app.uow() as u:
        account = await u.accounts.by_name(ACCOUNT)
        assert account is not None
        assert await u.contacts.for_account(account.id) == []


STAFF_CONTACT_ROW = {
    "en": ["#1", "Anna", "Smith", "stakeholder", "en", "staff", "—", "not", "surveyed", "slack"],
    "ru": ["#1", "Anna", "Smith", "stakeholder", "en", "сотрудник", "—", "не", "опрашивается",
           "slack"],
}  # fmt: skip


STAFF_CONTACT_WARNING = {
    "en": f"Anna Smith is also a contact of «{ACCOUNT}»; as staff they will not be surveyed.",
    "ru": f"Anna Smith также контакт аккаунта «{ACCOUNT}»; сотрудникам опросы не приходят,"
    " поэтому этот контакт больше не будут опрашивать.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_a_contact_made_staff_is_listed_as_staff_not_surveyed(
    slack: SlackHarness, lang: str
) -> None:
    # Anna, a client's contact, was made staff: rounds and censuses leave her out, but
    # `contacts` listed her as an active contact and `accounts` counted her as one.
    await globex_with_anna(slack)
    await say(slack, f"lang {lang}")
    assert (await say(slack, f"staff_add manager <@{ANNA}|anna> Anna Smith")).split("\n")[1:] == [
        STAFF_CONTACT_WARNING[lang]
    ]
    assert (await table(slack, f'contacts "{ACCOUNT}"'))[2].split() == STAFF_CONTACT_ROW[lang]
    assert (await table(slack, "accounts"))[2].split()[-2] == "0/1"


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
async def test_admin_sets_each_kind_of_schedule_and_clears_it(
    slack: SlackHarness, spec: str, expected: str
) -> None:
    await say(slack, "account_add Globex gold en Europe/Moscow")
    assert await say(slack, "schedule Globex off") == "«Globex» had no schedule."
    assert await say(slack, f"schedule Globex {spec}") == expected
    assert not (await table(slack, "accounts"))[2].endswith("none")
    assert await say(slack, "schedule Globex off") == (
        "Schedule of «Globex» cleared; rounds only by hand now."
    )
    assert (await table(slack, "accounts"))[2].endswith("none")


@pytest.mark.parametrize(
    "spec", ["weekly", "sprint 0 2026-11-02", "sprint 2 someday", "cron 0 10 * *", "quarterly x"]
)
async def test_a_bad_schedule_spec_explains_the_forms(slack: SlackHarness, spec: str) -> None:
    await say(slack, "account_add Globex")
    reply = await say(slack, f"schedule Globex {spec}")
    assert reply.startswith(
        "Schedule must be one of: sprint <weeks> <YYYY-MM-DD> · quarterly · half-yearly"
        " · cron <5 fields> · manual · off."
    )
    assert (await table(slack, "accounts"))[2].endswith("none")  # nothing was set


async def test_admin_runs_rounds_and_reads_status_alerts_and_reports(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    assert await say(slack, f"status {ACCOUNT}") == f"«{ACCOUNT}» has no rounds yet."
    assert await say(slack, f"report {ACCOUNT}") == "No rounds in that period."
    assert await say(slack, "round due") == "No account is due for a round now."

    assert await say(slack, f"round {ACCOUNT}") == (
        f"Round «November 2026» opened for «{ACCOUNT}»: 1 contact invited."
        "\nRounds ask stakeholders only."
    )
    assert "\n\nQuestion 1 of 3" in slack.dm_texts(ANNA)[-1]  # under the invitation
    assert await say(slack, f"round {ACCOUNT}") == (
        f"Round «November 2026» for «{ACCOUNT}» is already open."
    )
    assert "invited 1, responded 0 (0%)" in await say(slack, f"status {ACCOUNT}")
    assert await say(slack, "alerts") == "No open alerts."

    await write(slack, ANNA, NEGATIVE)
    assert slack.dm_texts(ANNA)[-1].startswith("Question 2 of 3")
    assert await say(slack, f"status {ACCOUNT}") == (
        f"«{ACCOUNT}» — November 2026: invited 1, responded 1 (100%), 1 of them partly, "
        "completed 0, declined 0, "
        "expired 0. Schedule: none; next: none (manual)."
    )
    assert await say(slack, "alerts") == (
        f"#1 [open] {ACCOUNT} · Anna Smith · {OUTCOME_SHOWN}: {NEGATIVE}"
    )

    for text in (
        f"report {ACCOUNT}",
        f"report {ACCOUNT} 2026-11",
        "report all 2026-11",
        "report #1 2026-Q4",
        "report all",
    ):
        lines = await table(slack, text)
        assert lines[0] == f"{ACCOUNT} — November 2026", text
        assert lines[1] == "Responded: 1/1 (100%), 1 of them partly"  # one question of three
        assert lines[4].startswith("Anna Smith | answering | [-] Terrible result")
    assert await say(slack, "report all 2026-10") == "No rounds in that period."
    assert await say(slack, "report all 2026-13") == (
        "Period must look like 2026, 2026-11, 2026-Q3 or 2026-H1."
    )
    assert (
        await say(slack, "report Initech 2026-11") == "No account «Initech». See /candor accounts."
    )


async def test_round_due_opens_the_rounds_schedules_are_due_for(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    await say(slack, f'schedule "{ACCOUNT}" quarterly')
    assert await say(slack, "round due") == "No account is due for a round now."
    slack.clock.set(datetime(2027, 1, 1, 7, 30, tzinfo=UTC))  # 10:30 in Moscow
    assert await say(slack, "round due") == f"{ACCOUNT}: Q4 2026"
    assert "\n\nQuestion 1 of 3" in slack.dm_texts(ANNA)[-1]  # under the invitation
    assert await say(slack, "round due") == "No account is due for a round now."


@pytest.mark.parametrize(
    "text",
    [
        "account_add",
        "owner",
        "owner Globex",
        "tier Globex",
        'invite "Globex',
        "invite Globex",
        "invite Globex someone",
        "contacts",
        "schedule Globex",
        "round",
        "status",
        "report",
        "staff_add manager",
        "staff_add manager abc Max",
        "staff_link 1",
        "staff_link 1 telegram:abc",
    ],
)
async def test_bad_arguments_give_the_commands_usage(slack: SlackHarness, text: str) -> None:
    await say(slack, "account_add Globex")
    name = text.split()[0]
    reply = await command(slack, text)
    if '"' in text:  # unbalanced quotes: nothing to go on but the help
        assert "/candor accounts" in unescape(reply["text"])
    else:
        assert unescape(reply["text"]) == USAGE[name]
    async with slack.app.uow() as u:  # and nothing happened
        assert [a.name for a in await u.accounts.list()] == ["Globex"]
        assert len(await u.staff.list()) == 1
        assert await u.contacts.for_account(1) == []


async def test_an_unknown_subcommand_is_named_and_gets_the_help(slack: SlackHarness) -> None:
    staff_help = await say(slack, "help")
    assert await say(slack, "frobnicate") == f"Unknown command /candor frobnicate.\n{staff_help}"
    assert await say(slack, "") == staff_help  # an empty /candor is a request for help
    client_help = await say(slack, "help", STRANGER)
    assert await say(slack, "frobnicate", STRANGER) == (
        f"Unknown command /candor frobnicate.\n{client_help}"
    )


# --- who may not --------------------------------------------------------------------------

EXAMPLE_ARGS = {
    "accounts": "",
    "account_add": "Umbrella gold en",
    "owner": f"Globex <@{SLACK_ADMIN}|admin>",
    "tier": "Globex gold",
    "invite": "Globex anna@client.example",
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
    "staff_add": f"admin <@{STRANGER}|me> Eve",
    "staff_link": f"1 <@{STRANGER}|me>",
}


async def test_a_stranger_gets_only_the_staff_only_line(slack: SlackHarness) -> None:
    await say(slack, "account_add Globex")
    await say(slack, f"owner Globex <@{SLACK_ADMIN}|admin>")
    slack.api.add_user(ANNA, "anna@client.example", "Anna Smith")
    await say(slack, "invite Globex anna@client.example")
    await say(slack, "round Globex")
    await write(slack, ANNA, NEGATIVE)  # an open alert exists
    assert len(await alerts(slack)) == 1
    lookups = len(slack.api.calls_to("users.lookupByEmail"))

    assert set(EXAMPLE_ARGS) == set(TABLE) == set(USAGE)
    seen = []
    for name, args in EXAMPLE_ARGS.items():
        for user in (STRANGER, ANNA):  # a contact is not staff either
            reply = await command(slack, f"{name} {args}".strip(), user)
            assert reply["text"] == STAFF_ONLY, (name, user)
            assert texts_in(reply["blocks"]) == [STAFF_ONLY], (name, user)
            seen.append(everything_in(reply))
    everything = "\n".join(seen)
    for secret in ("Globex", "Anna", "Smith", "Admin", "Terrible", "#1", SLACK_ADMIN, "UANNA"):
        assert secret not in everything
    # Nothing changed on their behalf, and nobody was looked up for them.
    assert len(slack.api.calls_to("users.lookupByEmail")) == lookups
    async with slack.app.uow() as u:
        assert [a.name for a in await u.accounts.list()] == ["Globex"]
        assert [s.name for s in await u.staff.list()] == [f"Admin {SLACK_ADMIN}"]
        assert len(await u.contacts.for_account(1)) == 1
        assert len(await u.rounds.for_account(1)) == 1
        [staff] = await u.staff.list()
        assert staff.slack_user_id == SLACK_ADMIN and staff.telegram_user_id is None


async def test_help_differs_for_staff_and_everyone_else(slack: SlackHarness) -> None:
    staff_help = await say(slack, "help")
    stranger_help = await say(slack, "help", STRANGER)
    assert staff_help != stranger_help
    # A stranger is told Candor does not know them, as at `/candor` alone and in messages:
    # a contact's commands are not theirs either.
    assert stranger_help == t("unknown_user", Language.EN)
    assert staff_help.startswith("Staff commands:")
    assert "Just answer the questions" not in staff_help  # the client's text is not for staff
    for usage in USAGE.values():
        assert usage in staff_help
        assert usage not in stranger_help
    assert "staff_add" not in stranger_help and "report" not in stranger_help
    # `/candor` alone: a stranger is told Candor does not know them, as their messages are.
    assert await say(slack, "", STRANGER) == t("unknown_user", Language.EN)


async def test_owner_takes_a_first_name_and_lists_the_candidates_when_several_match(
    slack: SlackHarness,
) -> None:
    await say(slack, 'account_add "Acme Corp"')
    await say(slack, f"staff_add owner <@{OLGA}|mark> Mark Twain")
    assert await say(slack, 'owner "Acme Corp" Mark') == "Owner of «Acme Corp» is now Mark Twain."
    await say(slack, f"staff_add manager <@{MAX}|marko> Marko Polo")
    assert await say(slack, 'owner "Acme Corp" mar') == (
        "Several staff members match «mar»: Mark Twain (#2, owner), Marko Polo (#3, manager)."
        " Name one by #id or full name."
    )
    assert await say(slack, 'owner "Acme Corp" Mark') == "Owner of «Acme Corp» is now Mark Twain."


async def test_a_manager_runs_manager_commands_but_cannot_add_staff(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    assert await say(slack, f"staff_add manager <@{MAX}|max> Max Manager") == (
        "Max Manager added as manager (#2)."
    )
    assert ACCOUNT in "\n".join(await table(slack, "accounts", MAX))
    assert await say(slack, "account_add Initech", MAX) == (
        "Account «Initech» added (#2, tier standard, en, UTC)."
    )
    assert await say(slack, "owner Initech Max Manager", MAX) == (
        "Owner of «Initech» is now Max Manager."
    )
    assert "Round «November 2026» opened" in await say(slack, f"round {ACCOUNT}", MAX)
    assert "invited 1" in await say(slack, f"status {ACCOUNT}", MAX)
    assert "Max Manager" in "\n".join(await table(slack, "staff", MAX))

    refused = "Your role (manager) cannot do this; only an admin can."
    assert await say(slack, f"staff_add manager <@{STRANGER}|eve> Eve", MAX) == refused
    assert await say(slack, f"staff_link Max Manager <@{STRANGER}|eve>", MAX) == refused
    staff = "\n".join(await table(slack, "staff"))
    assert "Eve" not in staff and STRANGER not in staff


async def test_staff_added_on_slack_keep_the_adders_language_until_they_choose(
    slack: SlackHarness,
) -> None:
    """When Slack will not tell the person's locale (users.info does not know them), the
    adder's language stands until the person picks theirs, which then holds."""
    await say(slack, f"staff_add manager <@{MAX}|max> Max Manager")
    assert (
        await say(slack, "accounts", MAX) == "No accounts yet. Add one: /candor account_add <name>"
    )
    assert await say(slack, "lang ru", MAX) == "Язык изменён на русский."
    assert await say(slack, "accounts", MAX) == (
        "Аккаунтов пока нет. Добавьте: /candor account_add <название>"
    )
    async with slack.app.uow() as u:
        max_ = await u.staff.by_address(Address(Channel.SLACK, MAX))
    assert max_ is not None and max_.language_chosen


async def test_an_owner_sees_only_their_own_accounts(slack: SlackHarness) -> None:
    await say(slack, f"staff_add owner <@{OLGA}|olga> Olga Owner")
    await globex_with_anna(slack, owner=OLGA)
    await say(slack, "account_add Initech")
    await say(slack, f"round {ACCOUNT}")

    rows = await table(slack, "accounts", OLGA)
    assert len(rows) == 3 and "Globex" in rows[2]  # head, rule, Globex Corp
    assert await say(slack, f"contacts {ACCOUNT}", OLGA) == (
        f"Contacts of «{ACCOUNT}». Rounds ask stakeholders only; the user level is not asked."
    )
    assert (
        await say(slack, "contacts Initech", OLGA) == "No account «Initech». See /candor accounts."
    )
    assert await say(slack, "status #2", OLGA) == "No account «#2». See /candor accounts."
    assert "invited 1" in await say(slack, f"status {ACCOUNT}", OLGA)
    assert (await table(slack, "report all", OLGA))[0] == f"{ACCOUNT} — November 2026"
    refused = "Your role (owner) cannot do this; ask a manager or an admin."
    for text in ("account_add Umbrella", f"tier {ACCOUNT} gold", f"round {ACCOUNT}", "staff"):
        assert await say(slack, text, OLGA) == refused, text


# --- App Home -----------------------------------------------------------------------------


async def open_home(slack: SlackHarness, user: str) -> list[dict[str, Any]]:
    status, _ = await slack.post(app_home_opened_event(user))
    assert status == 200
    view = slack.api.home_view_of(user)
    assert view is not None and view["type"] == "home"
    return list(view["blocks"])


async def test_app_home_shows_staff_open_alerts_and_rounds_in_progress(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    await say(slack, "account_add Initech")
    blocks = await open_home(slack, SLACK_ADMIN)
    assert texts_in(blocks) == [
        "Candor",
        "*Open alerts*",
        "No open alerts.",
        "*Rounds in progress*",
        "No rounds in progress.",
        "*Account health, riskiest first*",
        "«Globex Corp» (gold)\nNo rounds yet.",
        "«Initech» (standard)\nNo rounds yet.",
    ]

    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, "Terrible result &amp; &lt;!channel&gt; not happy")
    blocks = await open_home(slack, SLACK_ADMIN)
    assert texts_in(blocks) == [
        "Candor",
        "*Open alerts: 1*",
        f"*#1* [open] {ACCOUNT} · Anna Smith · Are you satisfied with the result, and was the…: "
        "Terrible result &amp; &lt;!channel&gt; not happy",
        "*Rounds in progress*",
        f"{ACCOUNT} — November 2026: 1/1 (100%), 1 of them partly",  # one question of three
        "*Account health, riskiest first*",
        f"«{ACCOUNT}» (gold)\nNovember 2026: responded 1/1 (100%), 1 of them partly\n"
        "Negative share: outcome 100% · speed — · politeness —\n"
        "Alerts: open 1 · escalated 0 · relapses 0 · silence 0 · not about us 0",
        "«Initech» (standard)\nNo rounds yet.",
    ]
    assert block_problems(blocks, limit=100) == []
    [publish, *_] = slack.api.calls_to("views.publish")
    assert publish.params["user_id"] == SLACK_ADMIN


async def test_app_home_in_russian_names_alert_states_in_russian(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    await say(slack, "lang ru")
    [alert_line] = [
        t for t in texts_in(await open_home(slack, SLACK_ADMIN)) if t.startswith("*#1*")
    ]
    assert alert_line.startswith(f"*#1* [открыт] {ACCOUNT} · Anna Smith · ")
    async with slack.app.uow() as u:
        [alert] = await u.alerts.list()
    await slack.app.commands.set_alert(await _admin(slack), alert.id, AlertStatus.ACKNOWLEDGED)
    [alert_line] = [
        t for t in texts_in(await open_home(slack, SLACK_ADMIN)) if t.startswith("*#1*")
    ]
    assert alert_line.startswith(f"*#1* [принят] {ACCOUNT} · Anna Smith · ")


HEALTH_MORE = {
    "en": "…and 2 more: `/candor health` lists them all.",
    "ru": "…и ещё 2: `/candor health` покажет все.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_app_home_health_says_how_many_accounts_it_leaves_out(
    slack: SlackHarness, lang: str
) -> None:
    # More accounts than the section holds; the last one added is the only one with a round
    # (nobody answered yet): the riskiest, so it comes first though it was added last.
    many = MAX_ITEMS + 2
    for n in range(many):
        assert "added" in await say(slack, f"account_add Account{n:02d}")
    async with slack.app.uow() as u:
        last = await u.accounts.by_name(f"Account{many - 1:02d}")
        assert last is not None
        await u.rounds.get_or_create(Round(0, last.id, "2026-11", "", slack.clock.now()))
        await u.commit()
    await say(slack, f"lang {lang}")
    texts = texts_in(await open_home(slack, SLACK_ADMIN))
    head = {"en": "*Account health, riskiest first*", "ru": "*Здоровье аккаунтов*"}[lang]
    listed = texts[texts.index(head) + 1 :]
    assert len(listed) == MAX_ITEMS + 1
    assert listed[0].startswith(f"«Account{many - 1:02d}» (standard)\n")
    assert [line.split("\n")[0] for line in listed[1:-1]] == [
        f"«Account{n:02d}» (standard)" for n in range(MAX_ITEMS - 1)
    ]
    assert unescape(listed[-1]) == HEALTH_MORE[lang]


async def _admin(slack: SlackHarness) -> Any:
    actor = await slack.app.commands.actor(Address(Channel.SLACK, SLACK_ADMIN))
    assert actor is not None
    return actor


async def test_app_home_for_anyone_else_is_a_welcome_without_account_data(
    slack: SlackHarness,
) -> None:
    await globex_with_anna(slack)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)

    for user in (STRANGER, ANNA):
        blocks = await open_home(slack, user)
        [title, welcome] = texts_in(blocks)
        assert title == "Candor"
        if user == STRANGER:  # not a contact: none of a contact's commands is theirs
            assert welcome == t("unknown_user", Language.EN)
        else:
            assert welcome.startswith("I collect feedback for client service.")
        flat = "\n".join(texts_in(blocks))
        for secret in ("Globex", "Anna", "Terrible", "alerts", "rounds", "#1"):
            assert secret not in flat, (user, secret)

    # The messages tab is not the home tab: nothing is published for it.
    published = len(slack.api.calls_to("views.publish"))
    await slack.post(app_home_opened_event(STRANGER, tab="messages"))
    assert len(slack.api.calls_to("views.publish")) == published


# --- alerts -------------------------------------------------------------------------------


async def negative_alert(slack: SlackHarness) -> dict[str, Any]:
    """Olga owns Globex Corp; Anna answers badly; the one alert message Olga got."""
    await say(slack, f"staff_add owner <@{OLGA}|olga> Olga Owner")
    await globex_with_anna(slack, owner=OLGA)
    await say(slack, f"round {ACCOUNT}")
    assert slack.dm(OLGA) == []
    await write(slack, ANNA, NEGATIVE)
    [alert] = slack.dm(OLGA)
    posts = [
        c for c in slack.api.calls_to("chat.postMessage")
        if c.params["channel"] == slack.api.dm_channel_of(OLGA)
    ]  # fmt: skip
    assert len(posts) == 1
    assert block_problems(alert["blocks"]) == []
    assert alert["text"] == f"Negative feedback: {ACCOUNT} · Anna Smith"
    assert alert["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "⚠️ Negative feedback"},
    }
    flat = "\n".join(texts_in(alert["blocks"]))
    assert NEGATIVE in flat and "*Contact:*\nAnna Smith" in flat
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in actions_of(alert)] == [
        ("Acknowledge", "alert_ack", "1"),
        ("Ask the client", "alert_followup", "1"),
        ("Resolve", "alert_resolve", "1"),
    ]
    assert slack.dm(SLACK_ADMIN) == []  # nobody else was paged
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.OPEN
    return alert


async def press(
    slack: SlackHarness,
    user: str,
    message: dict[str, Any],
    action_id: str,
    value: str,
    channel: str | None = None,
) -> list[dict[str, Any]]:
    """``user`` presses a button on ``message``; the bodies posted to its response_url."""
    rid = Ids.next()
    status, _ = await slack.post(
        block_action(
            user,
            channel or slack.api.dm_channel_of(user),
            action_id,
            value,
            message_ts=str(message["ts"]),
            message=message,
            response_url=slack.api.response_url(rid),
        )
    )
    assert status == 200
    return slack.api.responses_to(rid)


def alert_updates(api: Any, user: str) -> list[Any]:
    """chat.update calls on ``user``'s DM (questions losing their buttons are elsewhere)."""
    return [
        c for c in api.calls_to("chat.update") if c.params["channel"] == api.dm_channel_of(user)
    ]


def context_lines(message: dict[str, Any]) -> list[str]:
    return [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]


async def test_owner_acknowledges_then_resolves_an_alert(slack: SlackHarness) -> None:
    api = slack.api
    alert = await negative_alert(slack)

    assert await press(slack, OLGA, alert, "alert_ack", "1") == []
    [update] = alert_updates(api, OLGA)
    assert update.params["channel"] == api.dm_channel_of(OLGA)
    assert update.params["ts"] == alert["ts"]
    [acked] = slack.dm(OLGA)
    assert acked["ts"] == alert["ts"]
    assert block_problems(acked["blocks"]) == []
    assert context_lines(acked)[-1] == "_Acknowledged by Olga Owner_"
    assert [b["action_id"] for b in actions_of(acked)] == ["alert_followup", "alert_resolve"]
    assert NEGATIVE in "\n".join(texts_in(acked["blocks"]))
    assert [a.status for a in await alerts(slack)] == [AlertStatus.ACKNOWLEDGED]
    assert await say(slack, "alerts") == (
        f"#1 [acknowledged] {ACCOUNT} · Anna Smith · {OUTCOME_SHOWN}: {NEGATIVE}"
    )

    # Resolve asks how it ended (tests/test_slack_loop.py); /candor resolve does it at once.
    [choices] = await press(slack, OLGA, acked, "alert_resolve", "1")
    assert [e["action_id"] for b in choices["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == [
        "alert_d_fixed", "alert_d_explained", "alert_d_not_us", "alert_d_wont_fix"
    ]  # fmt: skip
    assert await say(slack, "resolve 1 fixed Patched the page", OLGA) == (
        "Alert #1 resolved: fixed."
    )
    [resolved] = slack.dm(OLGA)
    assert context_lines(resolved)[-1] == "_Resolved by Olga Owner: fixed — Patched the page_"
    assert "Acknowledged" not in "\n".join(texts_in(resolved["blocks"]))
    assert actions_of(resolved) == []
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.RESOLVED
    assert [n["status"] for n in stored.notes if "status" in n] == ["acknowledged", "resolved"]
    assert await say(slack, "alerts") == "No open alerts."
    assert await say(slack, "alerts", OLGA) == "No open alerts."
    assert len(alert_updates(api, OLGA)) == 3  # Acknowledge, Resolve, the resolution

    # A stale Acknowledge (from the first rendering, still showing both buttons): alerts only
    # move forward, so nothing changes, and the message stays as it is now.
    assert await press(slack, OLGA, alert, "alert_ack", "1") == []
    assert await alerts(slack) == [stored]
    [after] = slack.dm(OLGA)
    assert after["blocks"] == resolved["blocks"]
    assert actions_of(after) == []


@pytest.mark.parametrize(
    ("before", "after"), [(Language.EN, Language.RU), (Language.RU, Language.EN)]
)
async def test_resolve_shows_the_card_in_the_language_the_presser_reads_now(
    slack: SlackHarness, before: Language, after: Language
) -> None:
    # Olga changed her language after the alert came: Resolve answered her in the new one
    # while the card stayed in the old one (Acknowledge re-renders the whole card).
    await say(slack, f"staff_add owner <@{OLGA}|olga> Olga Owner")
    await say(slack, f"lang {before.value}", OLGA)
    await globex_with_anna(slack, owner=OLGA)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    [card] = slack.dm(OLGA)
    assert card["blocks"][0]["text"]["text"] == f"⚠️ {ALERT_LABELS[before][0]}"
    await say(slack, f"lang {after.value}", OLGA)

    [choices] = await press(slack, OLGA, card, "alert_resolve", "1")
    assert unescape(choices["text"]) == t("choose_disposition", after)
    [shown] = slack.dm(OLGA)
    assert shown["ts"] == card["ts"] and block_problems(shown["blocks"]) == []
    head, account, contact, *_ = ALERT_LABELS[after]
    flat = "\n".join(texts_in(shown["blocks"]))
    assert shown["blocks"][0]["text"]["text"] == f"⚠️ {head}"
    assert f"*{account}:*\n{ACCOUNT}" in flat and f"*{contact}:*\nAnna Smith" in flat
    assert NEGATIVE in flat and ALERT_LABELS[before][1] not in flat
    assert [b["text"]["text"] for b in actions_of(shown)] == [
        t(f"button.{a}", after) for a in ("ack", "followup", "resolve")
    ]
    # An acknowledged alert's card keeps saying who acknowledged it (asking the client did).
    await say(slack, "followup 1 Which part?", OLGA)
    await press(slack, OLGA, shown, "alert_resolve", "1")
    shown = next(m for m in slack.dm(OLGA) if m["ts"] == card["ts"])
    line = status_line(AlertStatus.ACKNOWLEDGED, "Olga Owner", after)
    assert context_lines(shown)[-1] == f"_{line}_"


async def test_a_non_staff_presser_changes_nothing(slack: SlackHarness) -> None:
    api = slack.api
    alert = await negative_alert(slack)
    for user in (STRANGER, ANNA):  # a contact of the same account is not staff either
        for action in ("alert_ack", "alert_resolve"):
            responses = await press(slack, user, alert, action, "1")
            assert responses == [
                {"text": ALERT_STAFF_ONLY, "response_type": "ephemeral", "replace_original": False}
            ]
    assert alert_updates(api, OLGA) == []
    assert slack.dm(OLGA) == [alert]
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.OPEN and stored.notes == []
    async with slack.app.uow() as u:
        anna = await u.contacts.get(1)
    assert anna is not None and anna.status is ContactStatus.ACTIVE


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ru-RU", "Принимать и закрывать алерты могут только сотрудники клиентского сервиса."),
        ("en-GB", ALERT_STAFF_ONLY),
    ],
)
async def test_a_stranger_pressing_an_alert_button_is_answered_in_their_slacks_language(
    slack: SlackHarness, locale: str, expected: str
) -> None:
    # QA: a stranger whose Slack is Russian pressed Acknowledge on a forwarded alert and was
    # refused in English: the payload carries no locale, and Slack was not asked (the census
    # buttons do ask).
    alert = await negative_alert(slack)
    slack.api.add_user(STRANGER, "who@else.example", "Stranger", locale=locale)
    responses = await press(slack, STRANGER, alert, "alert_ack", "1")
    assert [r["text"] for r in responses] == [expected]
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.OPEN


async def test_forged_and_foreign_alert_buttons_change_nothing(slack: SlackHarness) -> None:
    api = slack.api
    alert = await negative_alert(slack)
    channel = api.dm_channel_of(OLGA)

    for value in ("", "one", "1.5", json.dumps({"c": 1})):
        responses = await press(slack, OLGA, alert, "alert_ack", value, channel)
        assert [r["text"] for r in responses] == ["This button is not valid."], value
    responses = await press(slack, OLGA, alert, "alert_resolve", "99", channel)
    assert [r["text"] for r in responses] == ["No alert #99."]

    # Staff who cannot see the account cannot touch its alert.
    await say(slack, f"staff_add owner <@{MAX}|max> Max Other")
    responses = await press(slack, MAX, alert, "alert_resolve", "1", channel)
    assert [r["text"] for r in responses] == ["No alert #1."]
    assert all(r["response_type"] == "ephemeral" for r in api.responses[-6:])

    assert alert_updates(api, OLGA) == []
    assert slack.dm(OLGA) == [alert]
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.OPEN and stored.notes == []


async def test_an_alert_in_russian_for_a_russian_owner(slack: SlackHarness) -> None:
    await say(slack, f"staff_add owner <@{OLGA}|olga> Ольга")
    assert await say(slack, "lang ru", OLGA) == "Язык изменён на русский."
    await globex_with_anna(slack, owner=OLGA)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    [alert] = slack.dm(OLGA)
    assert alert["blocks"][0]["text"]["text"] == "⚠️ Негативный отзыв"
    assert [b["text"]["text"] for b in actions_of(alert)] == [
        "Принято",
        "Спросить клиента",
        "Решено",
    ]
    await press(slack, OLGA, alert, "alert_ack", "1")
    assert context_lines(slack.dm(OLGA)[0])[-1] == "_Принято: Ольга_"


# --- the census link ------------------------------------------------------------------------


async def test_census_link_on_slack_shows_the_telegram_link(
    slack_api: FakeSlackAPI, tmp_path: Path, clock: FakeClock
) -> None:
    """The link opens on Telegram: Slack shows it when the Telegram bot's name is known."""
    slack = await SlackHarness.start(
        slack_api, f"sqlite+aiosqlite:///{tmp_path}/l.db", clock, telegram_bot_username="@acme_bot"
    )
    try:
        await say(slack, "account_add Globex")
        reply = await say(slack, "census Globex link")
    finally:
        await slack.stop()
    intro, link = reply.split("\n")
    assert intro.startswith("Census link for «Globex» (post it in the client's own channels")
    assert link.startswith("<https://t.me/acme_bot?start=census_") and link.endswith(">")


async def test_census_link_on_slack_without_telegram_says_what_to_do(slack: SlackHarness) -> None:
    await say(slack, "account_add Globex")
    assert await say(slack, "census Globex link") == (
        "Census links open the Telegram bot, whose name Candor does not know here: set "
        "CANDOR_TELEGRAM_BOT_USERNAME, or ask the Telegram bot for the link."
    )


async def a_user_with_a_ticket(slack: SlackHarness, account: str) -> None:
    """One of ``account``'s users with a ticket in 2026-H2: someone a census asks."""
    async with slack.app.uow() as u:
        found = await u.accounts.by_name(account)
        assert found is not None
        await u.contacts.add(
            Contact(
                0, found.id, "Ivy", ContactLevel.USER, Language.EN, ContactStatus.INVITED,
                tickets=1, last_ticket_at=datetime(2026, 8, 3, tzinfo=UTC),
            )
        )  # fmt: skip
        await u.commit()


NO_ONE = {
    "en": "H2 2026 user census of Globex (sending) has no one to ask: nobody in the account "
    "has a ticket in the census period or has joined by the census link. Add users with "
    "/candor import Globex (a CSV/XLSX file of tickets)",
    "ru": "Перепись пользователей за 2-е полугодие 2026 г., Globex (идёт рассылка): "
    "опрашивать некого — ни у кого в аккаунте нет обращений за период переписи и никто не "
    "пришёл по ссылке переписи. Добавьте пользователей: /candor import Globex (файл "
    "CSV/XLSX с обращениями)",
}
NO_LINK_HERE = {
    "en": ". Census links open the Telegram bot, which is not set up here "
    "(CANDOR_TELEGRAM_BOT_USERNAME).",
    "ru": ". Ссылка переписи открывает Telegram-бота, а он здесь не настроен "
    "(CANDOR_TELEGRAM_BOT_USERNAME).",
}
WITH_LINK = {
    "en": " or post the link from /candor census Globex link in the client's channels.",
    "ru": " или ссылка из /candor census Globex link в каналах клиента.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_a_census_with_no_one_to_ask_suggests_no_dead_link_on_slack_only(
    slack: SlackHarness, lang: str
) -> None:
    # Found by hand on a Slack-only deployment: the progress suggested
    # `/candor census … link`, which cannot work without a Telegram bot.
    await say(slack, f"lang {lang}")
    await say(slack, "account_add Globex")
    expected = NO_ONE[lang] + NO_LINK_HERE[lang]
    await say(slack, "round Globex census 2026-H2")
    assert await say(slack, "census Globex") == expected
    assert slack.dm_texts(SLACK_ADMIN)[-1] == expected  # the progress message


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_a_census_started_with_no_one_to_ask_says_so_at_once(
    slack: SlackHarness, lang: str
) -> None:
    # Found by hand: the start was announced as started; only the progress message then
    # said there was no one to ask.
    await say(slack, f"lang {lang}")
    await say(slack, "account_add Globex")
    expected = NO_ONE[lang] + NO_LINK_HERE[lang]
    assert await say(slack, "round Globex census 2026-H2") == expected


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_with_a_telegram_bot_the_no_one_hint_offers_the_census_link(
    slack_api: FakeSlackAPI, tmp_path: Path, clock: FakeClock, lang: str
) -> None:
    slack = await SlackHarness.start(
        slack_api, f"sqlite+aiosqlite:///{tmp_path}/l.db", clock, telegram_bot_username="@acme_bot"
    )
    try:
        await say(slack, f"lang {lang}")
        await say(slack, "account_add Globex")
        expected = NO_ONE[lang] + WITH_LINK[lang]
        await say(slack, "round Globex census 2026-H2")
        assert await say(slack, "census Globex") == expected
        assert slack.dm_texts(SLACK_ADMIN)[-1] == expected
    finally:
        await slack.stop()


async def test_a_telegram_bot_name_learnt_after_start_reaches_commands_and_progress_alike(
    slack: SlackHarness,
) -> None:
    # In a run with Telegram too the name comes from getMe after Slack started (bot/run.py);
    # a command's reply and the progress message ask the one answer (census_links_work).
    assert slack.transport.context is not None
    slack.transport.context.telegram_bot_username = "acme_bot"
    await say(slack, "account_add Globex")
    expected = NO_ONE["en"] + WITH_LINK["en"]
    assert await say(slack, "round Globex census 2026-H2") == expected
    assert await say(slack, "census Globex") == expected
    assert slack.dm_texts(SLACK_ADMIN)[-1] == expected  # the progress message


@pytest.mark.parametrize("error", ["channel_not_found", "message_not_found"])
async def test_an_alert_card_that_cannot_be_updated_still_records_the_press(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, error: str
) -> None:
    """chat.update failing (the card deleted, the channel gone) must not lose the press: the
    state is stored, the presser is told in their language, and Slack is answered 200."""
    await say(slack, f"staff_add owner <@{OLGA}|olga> Ольга")
    await say(slack, "lang ru", OLGA)
    await globex_with_anna(slack, owner=OLGA)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    [alert] = slack.dm(OLGA)
    slack.api.fail_next("chat.update", error=error, channel=slack.api.dm_channel_of(OLGA))

    responses = await press(slack, OLGA, alert, "alert_ack", "1")  # asserts HTTP 200

    assert [a.status for a in await alerts(slack)] == [AlertStatus.ACKNOWLEDGED]
    assert responses == [
        {
            "text": "Алерт #1 принят, но его карточку обновить не удалось.",
            "response_type": "ephemeral",
            "replace_original": False,
        }
    ]
    assert error in caplog.text and "xoxb" not in caplog.text
    slack.api.assert_no_violations()


@pytest.mark.parametrize(
    ("lang", "none_yet"),
    [
        ("en", '«Globex Corp» has no census yet: /candor round "Globex Corp" census'),
        ("ru", '«Globex Corp»: переписи ещё не было. Начать: /candor round "Globex Corp" census'),
    ],
)
async def test_census_replies_suggest_commands_that_work_for_a_two_word_account(
    slack: SlackHarness, lang: str, none_yet: str
) -> None:
    # Found by hand: "/candor census Acme Corp" answered "…: /candor round Acme Corp census",
    # and that command, copied, said "No account «Acme»" (as did the progress hints).
    await say(slack, f"lang {lang}")
    await say(slack, f'account_add "{ACCOUNT}"')
    await a_user_with_a_ticket(slack, ACCOUNT)  # else the start says there is no one to ask

    reply = await say(slack, f'census "{ACCOUNT}"')
    assert reply == none_yet
    started = await say(slack, reply.split(": /candor ")[1])  # the suggestion, copied

    hints = re.findall(r"/candor (census [^;.—]*?)(?: (?:shows|—)|;|\.$)", started)
    assert hints == [f'census "{ACCOUNT}"', f'census "{ACCOUNT}" pause|resume|cancel'], started
    assert ACCOUNT in await say(slack, f'census "{ACCOUNT}" pause')  # the copied name works
    # With no one to ask, the hint to add users names a two-word account so it copies, too.
    await say(slack, 'account_add "Acme Corp"')
    assert '/candor import "Acme Corp"' in await say(slack, 'round "Acme Corp" census')


@pytest.mark.parametrize(
    ("lang", "round_heading", "census_heading", "responded"),
    [
        ("en", "November 2026", "H2 2026 user census", "Responded: 1/1 (100%), 1 of them partly"),
        (
            "ru",
            "ноябрь 2026 г.",
            "Перепись пользователей за 2-е полугодие 2026 г.",
            "Ответили: 1/1 (100%), из них частично 1",
        ),
    ],
)
async def test_a_report_without_a_period_keeps_the_round_when_a_census_follows_it(
    slack: SlackHarness, lang: str, round_heading: str, census_heading: str, responded: str
) -> None:
    # Found by hand: once a census was started, "/candor report <account>" showed only the
    # census's empty table (0/0) and the stakeholders' round with its answers was gone.
    await globex_with_anna(slack)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    await say(slack, f'round "{ACCOUNT}" census')
    await say(slack, f"lang {lang}")

    for text in (f'report "{ACCOUNT}"', "report all"):
        lines = await table(slack, text)
        assert lines[0] == f"{ACCOUNT} — {round_heading}", text
        assert lines[1] == responded
        assert lines[4].startswith("Anna Smith | ")
        assert f"{ACCOUNT} — {census_heading}" in lines  # the census has its own table


@pytest.mark.parametrize(
    ("lang", "span"),
    [("en", "from 2026-07-01 to 2026-12-31,"), ("ru", "с 2026-07-01 по 2026-12-31,")],
)
async def test_a_census_start_names_the_last_day_of_its_period(
    slack: SlackHarness, lang: str, span: str
) -> None:
    # Found by hand: "round … census 2026-H2" said the census asks users with a ticket
    # "from 2026-07-01 to 2027-01-01" (RU "с … по 2027-01-01"): a day of next year.
    await say(slack, f"lang {lang}")
    await say(slack, "account_add Globex")
    await a_user_with_a_ticket(slack, "Globex")

    started = await say(slack, "round Globex census 2026-H2")

    assert span in started, started


async def test_census_schedule_replies_read_naturally_in_russian(slack: SlackHarness) -> None:
    # Found by hand: "Перепись пользователей Ромашка теперь открывается сама…" — a company
    # name cannot be declined, so it reads right only as «Ромашка» after a noun.
    await say(slack, "lang ru")
    await say(slack, "account_add Ромашка")

    assert await say(slack, "census Ромашка schedule") == (
        "Перепись пользователей аккаунта «Ромашка» теперь открывается сама каждые полгода"
        " (в январе и июле, за прошедшее полугодие)."
    )
    assert (await say(slack, "census Ромашка schedule quarterly")).startswith(
        "Перепись пользователей аккаунта «Ромашка» теперь открывается сама каждый квартал"
    )
    assert (await say(slack, "census Ромашка schedule yearly")).startswith(
        "Перепись пользователей аккаунта «Ромашка» теперь открывается сама раз в год"
    )
    assert await say(slack, "census Ромашка unschedule") == (
        "Перепись аккаунта «Ромашка» больше не запланирована."
    )
    assert await say(slack, "census Ромашка revoke") == (
        "Отозвано ссылок переписи аккаунта «Ромашка»: 0."
    )


@pytest.mark.parametrize(
    ("lang", "latest"),
    [
        ("en", "H2 2026 user census of Globex"),
        ("ru", "Перепись пользователей за 2-е полугодие 2026 г., Globex"),
    ],
)
async def test_a_census_schedule_set_after_a_census_does_not_reopen_an_older_period(
    slack: SlackHarness, lang: str, latest: str
) -> None:
    # Found by hand: in November a manager ran the census (H2, the last 183 days), then set
    # the half-yearly schedule; the next tick opened the "H1 2026 user census" as well,
    # asking the same users about an older half year, and /census then showed H1 as latest.
    await say(slack, f"lang {lang}")
    await say(slack, "account_add Globex")
    await say(slack, "round Globex census")
    await say(slack, "census Globex schedule")

    await slack.app.tick()

    async with slack.app.uow() as uow:
        rounds = await uow.rounds.for_account(1)
    assert [r.period_key for r in rounds] == ["census-2026-H2"]
    assert (await say(slack, "census Globex")).startswith(latest)


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        (
            "en",
            "_Acknowledged by Olga Owner · "
            "The client edited this answer; it no longer reads as negative._",
        ),
        (
            "ru",
            "_Принято: Olga Owner · Клиент исправил этот ответ; он больше не звучит негативно._",
        ),
    ],
)
async def test_an_acknowledged_alert_card_keeps_saying_so_after_the_client_edits(
    slack: SlackHarness, lang: str, shown: str
) -> None:
    # Found by hand: Mark acknowledged Kate's alert; Kate then edited her answer, and the
    # card's "Acknowledged by Mark Manager" gave way to the edit line: the card no longer
    # said anyone had taken it (and its Acknowledge button was gone).
    alert = await negative_alert(slack)
    await say(slack, f"lang {lang}", OLGA)
    await press(slack, OLGA, alert, "alert_ack", "1")
    async with slack.app.uow() as uow:
        [answer] = [a for a in await uow.answers.for_conversations([1])]
    assert answer.source_message_id is not None
    ts = answer.source_message_id.split(":")[1]

    channel = slack.api.dm_channel_of(ANNA)
    await slack.post(message_changed_event(ANNA, channel, "Great result, very satisfied", ts))

    [card] = slack.dm(OLGA)
    assert context_lines(card)[-1] == shown


@pytest.mark.parametrize(
    ("lang", "prompt"),
    [
        ("en", "Alert #1, fixed: write a short note in this alert's thread to resolve it."),
        (
            "ru",
            "Алерт #1, исправлено: напишите короткую заметку в ветке этого алерта,"
            " чтобы закрыть его.",
        ),
    ],
)
async def test_how_it_ended_asks_for_the_note_in_the_alerts_thread(
    slack: SlackHarness, lang: str, prompt: str
) -> None:
    # Found by hand: "reply to the alert with a short note" (Telegram's words) led an owner to
    # write the note in the DM, where it resolved nothing; on Slack the note goes in the thread.
    alert = await negative_alert(slack)
    await say(slack, f"lang {lang}", OLGA)

    [ask_note] = await press(slack, OLGA, alert, "alert_d_fixed", "1")

    assert ask_note["text"] == prompt
