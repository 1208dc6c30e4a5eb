"""Slack staff someone else added speak their Slack's language (the locale users.info gives
with include_locale) until they choose one with `/candor lang`, as Telegram staff follow
their app's language; Slack is asked only about such staff, and not again for a while."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from bot.slack.limiter import SlackLimiter
from bot.slack.locale import LOCALE_TTL, SlackLocales
from surveys.model import Address, Channel, Language
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlackAPI, block_action
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.test_slack_staff import MAX, Ids, open_home, say, texts_in

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


async def press_forged(slack: SlackHarness, user: str, *, locale: str | None = None) -> str:
    """``user`` presses an alert button whose value was never ours: the answer's text."""
    rid = Ids.next()
    status, _ = await slack.post(
        block_action(
            user, slack.api.dm_channel_of(user), "alert_ack", json.dumps({"x": 1}),
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
    assert await language_of_max(slack) == (Language.EN, False)  # the adder's, for now

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
    assert await language_of_max(slack) == (Language.RU, False)

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
    await add_max(slack, "ru-RU")
    slack.api.fail_next("users.info", status=429, retry_after=30)
    assert await say(slack, "accounts", MAX) == NO_ACCOUNTS[Language.EN]  # answered anyway
    assert await language_of_max(slack) == (Language.EN, False)
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
