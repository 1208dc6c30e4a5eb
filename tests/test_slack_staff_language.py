"""Slack staff someone else added speak their Slack's language (the locale users.info gives
with include_locale) until they choose one with `/candor lang`, as Telegram staff follow
their app's language; Slack is asked only about such staff, and not again for a while."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from bot.slack.context import unescape
from bot.slack.limiter import SlackLimiter
from bot.slack.locale import LOCALE_TTL, SlackLocales
from surveys.model import Address, Channel, Language
from surveys.texts import t
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlackAPI, block_action, file_share_event
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.test_slack_staff import (
    ACCOUNT,
    ANNA,
    MAX,
    NEGATIVE,
    STRANGER,
    Ids,
    actions_of,
    globex_with_anna,
    open_home,
    press,
    say,
    texts_in,
    write,
)

NO_ACCOUNTS = {
    Language.EN: "No accounts yet. Add one: /candor account_add <name>",
    Language.RU: "Аккаунтов пока нет. Добавьте: /candor account_add <название>",
}
FORGED = {Language.EN: "This button is not valid.", Language.RU: "Эта кнопка недействительна."}


def locale_lookups(api: FakeSlackAPI, user: str) -> int:
    """users.info calls asking ``user``'s locale."""
    return sum(
        1
        for c in api.calls_to("users.info")
        if c.params.get("user") == user and c.params.get("include_locale") is True
    )


async def add_max(slack: SlackHarness, locale: str) -> None:
    """Max, a member whose Slack speaks ``locale``, added as a manager by the admin."""
    slack.api.add_user(MAX, "max@acme.example", "Max Manager", locale=locale)
    assert "Max Manager" in await say(slack, f"staff_add manager <@{MAX}|max> Max Manager")


async def language_of_max(slack: SlackHarness) -> tuple[Language, bool]:
    async with slack.app.uow() as u:
        max_ = await u.staff.by_address(Address(Channel.SLACK, MAX))
    assert max_ is not None
    return max_.language, max_.language_chosen


async def press_forged(
    slack: SlackHarness, user: str, *, locale: str | None = None, action: str = "alert_ack"
) -> str:
    """``user`` presses a button (an alert's, unless ``action`` says) whose value was never
    ours: the answer's text."""
    rid = Ids.next()
    status, _ = await slack.post(
        block_action(
            user, slack.api.dm_channel_of(user), action, json.dumps({"x": 1}),
            message_ts="1700000000.000100", response_url=slack.api.response_url(rid),
            locale=locale,
        )
    )  # fmt: skip
    assert status == 200
    [answer] = slack.api.responses_to(rid)
    return str(answer["text"])


async def test_a_russian_slack_manager_added_in_english_reads_russian_until_choosing(
    slack: SlackHarness,
) -> None:
    await add_max(slack, "ru-RU")
    assert await language_of_max(slack) == (Language.RU, False)  # their Slack's, at once

    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.RU]
    assert await press_forged(slack, MAX) == FORGED[Language.RU]
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.RU]
    assert await language_of_max(slack) == (Language.RU, False)
    assert locale_lookups(slack.api, MAX) == 1  # asked once, not at every command

    # Their choice holds, whatever their Slack speaks, and Slack is not asked again.
    assert await say(slack, "lang en", MAX) == "Language set to English."
    slack.clock.advance(LOCALE_TTL + timedelta(minutes=1))
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.EN]
    assert await press_forged(slack, MAX) == FORGED[Language.EN]
    assert await language_of_max(slack) == (Language.EN, True)
    assert locale_lookups(slack.api, MAX) == 1
    # The admin chose theirs long ago (the settings' language): never asked about.
    assert await say(slack, "accounts") == NO_ACCOUNTS[Language.EN]
    assert locale_lookups(slack.api, SLACK_ADMIN) == 0


async def test_an_english_slack_manager_added_in_russian_reads_english(
    slack: SlackHarness,
) -> None:
    assert await say(slack, "lang ru") == "Язык изменён на русский."
    await add_max(slack, "en-US")
    assert await language_of_max(slack) == (Language.EN, False)

    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.EN]
    assert await language_of_max(slack) == (Language.EN, False)
    assert await say(slack, "accounts") == NO_ACCOUNTS[Language.RU]  # the admin's stays


async def test_app_home_opened_follows_the_locale_too(slack: SlackHarness) -> None:
    await add_max(slack, "ru-RU")
    blocks = await open_home(slack, MAX)
    assert texts_in(blocks)[:2] == ["Candor", "*Открытые алерты*"]
    assert await language_of_max(slack) == (Language.RU, False)


async def test_a_slack_manager_who_chose_a_language_keeps_it(slack: SlackHarness) -> None:
    await add_max(slack, "en-US")
    assert await say(slack, "lang ru", MAX) == "Язык изменён на русский."
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.RU]
    assert await press_forged(slack, MAX, locale="en-US") == FORGED[Language.RU]
    assert await language_of_max(slack) == (Language.RU, True)


async def test_the_locale_is_asked_again_later_and_a_payloads_own_is_taken_as_is(
    slack: SlackHarness,
) -> None:
    await add_max(slack, "ru-RU")
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.RU]
    assert locale_lookups(slack.api, MAX) == 1

    # They switch their Slack to English: Candor follows once what it knows has aged.
    slack.api.add_user(MAX, "max@acme.example", "Max Manager", locale="en-US")
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.RU]
    slack.clock.advance(LOCALE_TTL + timedelta(minutes=1))
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.EN]
    assert locale_lookups(slack.api, MAX) == 2

    # A button payload that carries the presser's locale needs no users.info.
    assert await press_forged(slack, MAX, locale="ru-RU") == FORGED[Language.RU]
    assert locale_lookups(slack.api, MAX) == 2


async def test_when_slack_will_not_tell_the_adders_language_stands(
    slack: SlackHarness,
) -> None:
    slack.api.add_user(MAX, "max@acme.example", "Max Manager", locale="ru-RU")
    slack.api.fail_next("users.info", status=429, retry_after=30)
    assert "Max Manager" in await say(slack, f"staff_add manager <@{MAX}|max> Max Manager")
    assert await language_of_max(slack) == (Language.EN, False)  # the adder's
    # Nothing was learnt, so the next command asks again.
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.RU]


async def test_a_slow_slack_costs_a_command_at_most_the_budget() -> None:
    class SlowSlack:
        calls = 0

        async def users_info(self, **_: Any) -> dict[str, Any]:
            self.calls += 1
            await asyncio.sleep(30)
            return {"ok": True, "user": {"locale": "ru-RU"}}

    slow = SlowSlack()
    limiter = SlackLimiter(scale=1e4)
    locales = SlackLocales(slow, limiter, FakeClock(), budget=0.05)  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await locales.locale("UMAX") is None
    assert loop.time() - started < 1
    # Nothing was learnt: the next command asks again.
    assert await locales.locale("UMAX") is None and slow.calls == 2


HELLO = {
    Language.EN: "Hello, Max Manager! You are client service staff here.",
    Language.RU: "Здравствуйте, Max Manager! Вы сотрудник клиентского сервиса.",
}
PREVIEW = {
    Language.EN: "Preview of the import into Globex (nothing written yet): new 1,",
    Language.RU: "Предпросмотр импорта в аккаунт «Globex» (пока ничего не записано): новых 1,",
}
CSV = b"Name,E-mail\nAnna,anna@example.com\n"
# (the adder's language, Max's Slack locale, what Max reads): both ways round.
BOTH_WAYS = [
    pytest.param("en", "ru-RU", Language.RU, id="ru-slack-added-in-en"),
    pytest.param("ru", "en-US", Language.EN, id="en-slack-added-in-ru"),
]


async def added_by(slack: SlackHarness, adder_language: str, locale: str) -> None:
    """Max added by an admin speaking ``adder_language``, his Slack speaking ``locale``."""
    await say(slack, f"lang {adder_language}")
    await add_max(slack, locale)


@pytest.mark.parametrize(("adder", "locale", "reads"), BOTH_WAYS)
async def test_a_staff_members_direct_message_is_answered_in_their_slacks_language(
    slack: SlackHarness, adder: str, locale: str, reads: Language
) -> None:
    await added_by(slack, adder, locale)
    await write(slack, MAX, "hello?")
    [hello] = slack.dm_texts(MAX)
    assert hello.startswith(HELLO[reads])
    assert await language_of_max(slack) == (reads, False)
    assert locale_lookups(slack.api, MAX) == 1
    # Known for a while: the next message asks Slack nothing.
    await write(slack, MAX, "hello again")
    assert slack.dm_texts(MAX)[-1].startswith(HELLO[reads])
    assert locale_lookups(slack.api, MAX) == 1


@pytest.mark.parametrize(("adder", "locale", "reads"), BOTH_WAYS)
async def test_a_file_imported_by_direct_message_is_previewed_in_their_slacks_language(
    slack: SlackHarness, adder: str, locale: str, reads: Language
) -> None:
    await added_by(slack, adder, locale)
    await say(slack, "account_add Globex gold en")
    file = slack.api.host_file(MAX, "people.csv", CSV)
    channel = slack.api.dm_channel_of(MAX)
    await slack.post(file_share_event(MAX, channel, text="import Globex", file=file))
    [preview] = slack.dm(MAX)
    assert PREVIEW[reads] in " ".join(texts_in(preview.get("blocks")))
    assert await language_of_max(slack) == (reads, False)


async def test_a_chosen_language_holds_in_direct_messages_and_contacts_cost_no_lookup(
    slack: SlackHarness,
) -> None:
    await add_max(slack, "ru-RU")
    assert await say(slack, "lang en", MAX) == "Language set to English."
    asked = locale_lookups(slack.api, MAX)
    await write(slack, MAX, "hello?")
    assert slack.dm_texts(MAX)[-1].startswith(HELLO[Language.EN])
    assert locale_lookups(slack.api, MAX) == asked
    # Someone Candor does not know is asked about once, to be told so in their language
    # (tests/test_slack_clients.py); a contact's messages cost no lookup there either.
    slack.api.add_user("USTRANGER", "s@example.com", "Stranger", locale="ru-RU")
    await write(slack, "USTRANGER", "hello?")
    await write(slack, "USTRANGER", "hello again?")
    assert slack.dm_texts("USTRANGER")[-1].startswith("Здравствуйте! Я вас пока не знаю.")
    assert locale_lookups(slack.api, "USTRANGER") == 1


NOT_FOR_STAFF = {
    Language.EN: "This button answers a client's survey question; it does nothing for staff.",
    Language.RU: (
        "Эта кнопка — для ответа клиента на вопрос опроса; сотрудникам она ничего не делает."
    ),
}


@pytest.mark.parametrize(("adder", "locale", "reads"), BOTH_WAYS)
async def test_staff_pressing_a_survey_button_read_their_own_language(
    slack: SlackHarness, adder: str, locale: str, reads: Language
) -> None:
    await added_by(slack, adder, locale)
    assert await press_forged(slack, MAX, action="survey_skip") == NOT_FOR_STAFF[reads]
    # Chosen, it holds over whatever locale a payload carries.
    other = Language.EN if reads is Language.RU else Language.RU
    assert await say(slack, f"lang {other.value}", MAX)
    assert (
        await press_forged(slack, MAX, action="survey_skip", locale=locale)
        == (NOT_FOR_STAFF[other])
    )


@pytest.mark.parametrize(("locale", "lang"), [("ru-RU", Language.RU), ("en-GB", Language.EN)])
async def test_a_payloads_empty_locale_asks_slack_whichever_button_is_pressed(
    slack: SlackHarness, locale: str, lang: Language
) -> None:
    # QA: the language to answer someone pressing a button was worked out in three places.
    # A survey button took a payload's empty locale ("") for a language (the default, so a
    # Russian stranger read English), while alert and census buttons asked Slack. One
    # SlackContext function now: an empty locale is no locale, and Slack is asked.
    slack.api.add_user(STRANGER, "s@example.com", "Stranger", locale=locale)
    assert await press_forged(slack, STRANGER, action="survey_skip", locale="") == t(
        "button_stale", lang
    )
    assert await press_forged(slack, STRANGER, action="alert_ack", locale="") == t(
        "alert_button_staff_only", lang
    )
    await slack.post(
        block_action(
            STRANGER, slack.api.dm_channel_of(STRANGER), "census_pause", json.dumps({"x": 1}),
            message_ts="1700000000.000100", locale="",
        )
    )  # fmt: skip
    await slack.deliver()
    assert slack.dm_texts(STRANGER) == [FORGED[lang]]
    assert locale_lookups(slack.api, STRANGER) == 1  # asked once, then remembered


# --- what a Russian-locale manager reads on the way (help, contacts, an alert's buttons) ---

LANG_HELP = {
    Language.EN: "/candor lang en|ru — The language Candor writes to you in",
    Language.RU: "/candor lang ru|en — Язык, на котором Candor пишет вам",
}
USER_ADDED = {
    Language.EN: (
        "Bob User (user, en) added to «Globex Corp». Rounds ask stakeholders only: users are"
        " asked by a census (/candor round <account> census)."
    ),
    Language.RU: (
        "Bob User (user, en) добавлен(а) в «Globex Corp». Опросы задают вопросы только"
        " stakeholder-контактам: пользователей опрашивает перепись"
        " (/candor round <аккаунт> census)."
    ),
}
FOLLOWUP_PROMPT = {
    Language.EN: "Alert #1: write your question for the client (Anna Smith) in this alert's"
    " thread, or use /candor followup 1 <question>.",
    Language.RU: "Алерт #1: напишите вопрос клиенту (Anna Smith) в ветке этого алерта"
    " или командой /candor followup 1 <вопрос>.",
}
NEGATIVE_FEEDBACK = {Language.EN: "Negative feedback", Language.RU: "Негативный отзыв"}
HOW_IT_ENDED = {
    Language.EN: "How did it end? Choose below.",
    Language.RU: "Чем закончилось? Выберите ниже.",
}


@pytest.mark.parametrize(("adder", "locale", "reads"), BOTH_WAYS)
async def test_a_manager_following_slack_reads_one_language_through_an_alert(
    slack: SlackHarness, adder: str, locale: str, reads: Language
) -> None:
    await added_by(slack, adder, locale)
    assert LANG_HELP[reads] in await say(slack, "help", MAX)  # how to choose another
    await say(slack, "lang en")  # the admin's commands below are in English
    await globex_with_anna(slack, owner=MAX)
    slack.api.add_user("UBOB", "bob@client.example", "Bob User")
    invited = await say(slack, f'invite "{ACCOUNT}" <@UBOB|bob> "Bob User" user en', MAX)
    assert invited == USER_ADDED[reads]  # not "will be surveyed in the next round"

    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    [alert] = slack.dm(MAX)
    [prompt] = await press(slack, MAX, alert, "alert_followup", "1")
    assert unescape(prompt["text"]).startswith(FOLLOWUP_PROMPT[reads])
    [choices] = await press(slack, MAX, alert, "alert_resolve", "1")
    assert choices["text"] == HOW_IT_ENDED[reads]  # the buttons below name the endings
    assert len(actions_of(choices)) == 4


@pytest.mark.parametrize(("adder", "locale", "reads"), BOTH_WAYS)
async def test_an_alert_reaches_staff_who_never_wrote_in_their_slacks_language(
    slack: SlackHarness, adder: str, locale: str, reads: Language
) -> None:
    await added_by(slack, adder, locale)
    assert await language_of_max(slack) == (reads, False)  # from Slack, when added
    await say(slack, "lang en")  # the admin's commands below are in English
    await globex_with_anna(slack, owner=MAX)
    await say(slack, f"round {ACCOUNT}")
    await write(slack, ANNA, NEGATIVE)
    [alert] = slack.dm(MAX)  # Max has not written to Candor yet
    assert alert["text"] == f"{NEGATIVE_FEEDBACK[reads]}: {ACCOUNT} · Anna Smith"
    assert locale_lookups(slack.api, MAX) == 1


# --- staff linked to a Slack user (staff_link) --------------------------------------------

TG_MAX = "4242"  # Max's Telegram id: he was staff there before being linked to Slack
LINKED = {
    Language.EN: f"Max Manager is now also reachable as {MAX}.",
    Language.RU: f"Max Manager теперь доступен(на) и как {MAX}.",
}


async def max_on_telegram(slack: SlackHarness, adder: str, *, chosen: bool = False) -> None:
    """Max, staff on Telegram only, added by an admin speaking ``adder`` (or who chose it)."""
    await say(slack, f"lang {adder}")
    admin = await slack.app.commands.actor(Address(Channel.SLACK, SLACK_ADMIN))
    assert admin is not None
    await slack.app.commands.add_staff(
        admin, "manager", "Max Manager", Address(Channel.TELEGRAM, TG_MAX), None
    )
    if chosen:
        await slack.app.onboarding.set_language(Address(Channel.TELEGRAM, TG_MAX), admin.language)


@pytest.mark.parametrize(("adder", "locale", "reads"), BOTH_WAYS)
async def test_a_staff_member_linked_to_slack_speaks_their_slacks_language_at_once(
    slack: SlackHarness, adder: str, locale: str, reads: Language
) -> None:
    await max_on_telegram(slack, adder)
    slack.api.add_user(MAX, "max@acme.example", "Max Manager", locale=locale)
    assert await say(slack, f'staff_link "Max Manager" <@{MAX}|max>') == LINKED[Language(adder)]
    assert await language_of_max(slack) == (reads, False)  # before he writes or gets an alert
    assert locale_lookups(slack.api, MAX) == 1
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[reads]
    assert locale_lookups(slack.api, MAX) == 1  # known now: his first command asks nothing


@pytest.mark.parametrize("error", ["missing_scope", "user_not_found"])
async def test_when_slack_will_not_tell_a_linked_staff_members_locale_the_link_holds(
    slack: SlackHarness, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    await max_on_telegram(slack, "en")
    slack.api.add_user(MAX, "max@acme.example", "Max Manager", locale="ru-RU")
    slack.api.fail_next("users.info", error=error)
    with caplog.at_level("INFO", logger="bot.slack.locale"):
        linked = await say(slack, f'staff_link "Max Manager" <@{MAX}|max>')
    assert linked == LINKED[Language.EN]
    assert await language_of_max(slack) == (Language.EN, False)  # the adder's, as before
    assert f"Slack locale of {MAX}: {error}" in caplog.text
    assert slack.api.bot_token not in caplog.text


async def test_a_linked_staff_member_who_chose_a_language_keeps_it(slack: SlackHarness) -> None:
    await max_on_telegram(slack, "ru", chosen=True)
    slack.api.add_user(MAX, "max@acme.example", "Max Manager", locale="en-US")
    assert await say(slack, f'staff_link "Max Manager" <@{MAX}|max>') == LINKED[Language.RU]
    assert await language_of_max(slack) == (Language.RU, True)
    assert locale_lookups(slack.api, MAX) == 0  # his choice: Slack is not asked
