"""The census starter's one progress message, edited in place (throttled, through the
outbox) with pause / resume / cancel buttons: real aiogram and slack-bolt against the fake
servers, on SQLite and PostgreSQL, including a restart in the middle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.cluster import database as fresh_database
from bot.app import App
from bot.delivery import DeliveryWorker
from bot.telegram.callbacks import CensusControl, CensusRunControl
from storage.repositories import SqlUnitOfWorkFactory
from surveys.census import Census, CensusState
from surveys.census_progress import PROGRESS_EVERY, follow_answer, progress_messages
from surveys.census_staff import census_status_line, start_census
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Address, Channel, Contact, ContactLevel, ContactStatus, Language
from surveys.onboarding import Onboarding
from surveys.service import SurveyService
from surveys.staff import StaffCommands
from surveys.texts import t
from tests.conftest import FakeClock, RecordingMessenger, World
from tests.fakes.slack_api import FakeSlackAPI, block_action
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_slack_staff import say

USERS = [7101, 7102, 7103]
STRANGER = 7199
LATER = PROGRESS_EVERY + timedelta(seconds=1)

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path) as url:
        yield url


async def add_users(app: App, clock: FakeClock, channel: Channel, chats: list[str]) -> None:
    """Users of Globex with a ticket last week, reachable at ``chats``."""
    async with app.uow() as uow:
        account = await uow.accounts.by_name("Globex")
        assert account is not None
        for chat in chats:
            await uow.contacts.add(
                Contact(
                    0, account.id, f"User {chat}", ContactLevel.USER, Language.EN,
                    ContactStatus.ACTIVE, channel, chat,
                    last_ticket_at=clock.now() - timedelta(days=7),
                )
            )  # fmt: skip
        await uow.commit()


async def fan_out_pass(app: App, max_backlog: int = 100) -> None:
    """One turn of `candor run`'s census loop, then delivery."""
    await Census(app.service).fan_out(max_backlog)
    await progress_messages(app.service).refresh()
    await app.delivery.run_once()


# --- Telegram -----------------------------------------------------------------------------


def progress_of(tg: TelegramHarness) -> list[dict[str, Any]]:
    return [m for m in tg.api.sent_to(ADMIN_ID) if is_progress(m)]


def is_progress(message: dict[str, Any]) -> bool:
    """A census progress message: its numbers, or why there are none (with its buttons:
    the start's reply says that too)."""
    text = str(message.get("text", ""))
    controls = buttons(message) or [
        b for b in message.get("blocks", []) if b.get("type") == "actions"
    ]  # Telegram's keyboard, Slack's actions block
    # Over before anyone was asked (cancelled at once), it says that instead of "sent 0".
    numbers = "users, sent" in text or "users, no one was asked" in text
    return numbers or ("no one to ask" in text and bool(controls))


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["text"] for row in rows for b in row]


async def press(tg: TelegramHarness, message: dict[str, Any], label: str, user: int) -> str:
    """``user`` presses ``label`` under ``message``; the answer the button shows them."""
    rows = message["reply_markup"]["inline_keyboard"]
    [data] = [b["callback_data"] for row in rows for b in row if b["text"] == label]
    answered = len(tg.api.calls_to("answerCallbackQuery"))
    await tg.process(tg.api.callback_query(ADMIN_ID, data, message_id=message["message_id"],
                                           user_id=user))  # fmt: skip
    return str(tg.api.calls_to("answerCallbackQuery")[answered].params.get("text", ""))


async def test_telegram_one_progress_message_edited_in_place_and_after_a_restart(
    api: FakeTelegramAPI, db_url: str, clock: FakeClock
) -> None:
    tg = await TelegramHarness.start(api, db_url, clock)
    admin = {"user_id": ADMIN_ID}
    await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
    await add_users(tg.app, clock, Channel.TELEGRAM, [str(u) for u in USERS])
    await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
    [message] = progress_of(tg)
    assert "(sending): 3 users, sent 0" in message["text"]
    assert buttons(message) == ["Pause", "Cancel the census"]

    assert await press(tg, message, "Pause", ADMIN_ID) == "paused"
    [message] = progress_of(tg)  # the same message, edited at once (a state change)
    assert "(paused)" in message["text"] and buttons(message) == ["Resume", "Cancel the census"]
    await fan_out_pass(tg.app)  # paused: nobody is asked
    assert all(not api.sent_to(u) for u in USERS)
    assert await press(tg, message, "Resume", ADMIN_ID) == "sending"
    edits = len(api.calls_to("editMessageText"))

    await fan_out_pass(tg.app, max_backlog=2)  # two asked; within 10 s of the last edit
    assert len(api.calls_to("editMessageText")) == edits
    clock.advance(LATER)
    await fan_out_pass(tg.app, max_backlog=2)  # the third; 10 s on, so an edit
    [message] = progress_of(tg)
    # Everyone queued, the last one not delivered yet: not done, and it says so.
    assert "(all queued, 1 still being sent): 3 users, sent 3, reached 2" in message["text"]
    assert buttons(message) == ["Pause", "Cancel the census"]
    assert len(api.calls_to("editMessageText")) == edits + 1
    await fan_out_pass(tg.app)  # everyone asked: done shows at once, without buttons
    [message] = progress_of(tg)
    assert "(everyone reachable was asked)" in message["text"] and "reached 3" in message["text"]
    assert buttons(message) == []
    await tg.stop()

    # A restart: the new process goes on editing the same message.
    tg = await TelegramHarness.start(api, db_url, clock)
    try:
        await tg.process(api.text_message(USERS[0], "Terrible, nothing works"))
        clock.advance(LATER)
        await fan_out_pass(tg.app)
        [again] = progress_of(tg)
        assert again["message_id"] == message["message_id"]
        # One question of three answered: counted, and said to be partial.
        assert "answered 1 (33% of reached), 1 of them partly;" in again["text"]
        # Someone not staff cannot press the buttons (and learns nothing).
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census 2026-H1", **admin))
        [_, fresh] = progress_of(tg)
        answer = await press(tg, fresh, "Cancel the census", STRANGER)
        assert answer == "This button is only for client service staff."
        assert "(sending)" in progress_of(tg)[1]["text"]
    finally:
        await tg.stop()


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_telegram_the_starter_reads_started_before_the_progress_message(
    api: FakeTelegramAPI, db_url: str, clock: FakeClock, lang: str
) -> None:
    # The progress message was recorded while the command ran, its answer after it, so
    # the starter read the numbers first and "census started" under them.
    tg = await TelegramHarness.start(api, db_url, clock)
    admin = {"user_id": ADMIN_ID}
    try:
        await tg.process(api.text_message(ADMIN_ID, f"/lang {lang}", **admin))
        await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
        await add_users(tg.app, clock, Channel.TELEGRAM, [str(u) for u in USERS])
        before = len(api.sent_to(ADMIN_ID))
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
        await fan_out_pass(tg.app)  # the census loop's next turn changes nothing in that
        texts = [str(m["text"]) for m in api.sent_to(ADMIN_ID)[before:]]
        started = "перепись начата" if lang == "ru" else "started: it asks users"
        numbers = "пользователя, отправлено" if lang == "ru" else "users, sent"
        assert [started in text for text in texts] == [True, False]
        assert numbers in texts[1]
        # One progress message: the loop did not record a second one beside it.
        assert len([m for m in api.sent_to(ADMIN_ID) if buttons(m)]) == 1
    finally:
        await tg.stop()


def progress_edits(api: FakeTelegramAPI, message: dict[str, Any]) -> list[str]:
    """The texts of the edits of ``message`` Telegram was asked for, in order."""
    return [
        str(c.params["text"])
        for c in api.calls_to("editMessageText")
        if int(c.params["message_id"]) == message["message_id"]
    ]


async def test_telegram_a_burst_of_answers_edits_the_progress_message_once_with_the_latest(
    api: FakeTelegramAPI, db_url: str, clock: FakeClock
) -> None:
    # Each progress edit carries the whole state: while delivery lags behind (a busy
    # outbox, a rate-limited chat), the edits queued for the message coalesce into the
    # newest, which always goes out.
    tg = await TelegramHarness.start(api, db_url, clock)
    admin = {"user_id": ADMIN_ID}
    try:
        await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
        await add_users(tg.app, clock, Channel.TELEGRAM, [str(u) for u in USERS])
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
        await fan_out_pass(tg.app)  # everyone asked
        await fan_out_pass(tg.app)  # and done, shown at once
        [message] = progress_of(tg)
        assert "reached 3" in message["text"] and "answered 0" in message["text"]
        before = progress_edits(api, message)

        progress = progress_messages(tg.app.service)
        for user in USERS:  # an answer, and an edit recorded for it, before any is delivered
            await tg.process(api.text_message(user, "Fine, thanks"), deliver=False)
            clock.advance(LATER)
            assert await progress.refresh() == 1
        stats = await tg.deliver()

        assert stats.superseded == 0  # settled when recorded, not by the worker
        [latest] = progress_edits(api, message)[len(before) :]
        assert "answered 3 (100% of reached)" in latest
        [message] = progress_of(tg)
        assert message["text"] == latest
        async with tg.app.uow() as uow:
            edits = [m for m in await uow.outbox.list() if m.kind == "census_progress_update"]
        assert [m.status.value for m in edits[-3:]] == ["superseded", "superseded", "sent"]
    finally:
        await tg.stop()


async def run_states(app: App) -> list[str]:
    """The account's census runs' states, oldest first."""
    async with app.uow() as uow:
        return [run.state.value for run in await uow.census.runs(*CensusState)]


async def test_telegram_buttons_act_on_the_census_their_message_shows(
    api: FakeTelegramAPI, db_url: str, clock: FakeClock
) -> None:
    tg = await TelegramHarness.start(api, db_url, clock)
    admin = {"user_id": ADMIN_ID}
    try:
        await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
        await add_users(tg.app, clock, Channel.TELEGRAM, [str(u) for u in USERS])
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census 2026-H2", **admin))
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census 2026-H1", **admin))
        [older, latest] = progress_of(tg)
        assert "H2 2026" in older["text"] and "H1 2026" in latest["text"]

        # The older census's Pause pauses it, not the account's latest census.
        assert await press(tg, older, "Pause", ADMIN_ID) == "paused"
        assert await run_states(tg.app) == ["paused", "running"]
        [older, latest] = progress_of(tg)
        assert "(paused)" in older["text"] and "(sending)" in latest["text"]
        stale = older  # Resume / Cancel, as the message stood while paused
        assert await press(tg, older, "Cancel the census", ADMIN_ID) == "cancelled"
        assert await run_states(tg.app) == ["cancelled", "running"]
        [older, latest] = progress_of(tg)
        assert "(cancelled)" in older["text"] and buttons(older) == []
        assert "(sending)" in latest["text"]

        # A button left from before the cancel changes nothing and says why, in the
        # presser's language.
        answer = await press(tg, stale, "Resume", ADMIN_ID)
        assert answer == (
            "The H2 2026 user census of Globex was cancelled: its buttons no longer act. "
            "/round Globex census starts a new one."
        )
        await tg.process(api.text_message(ADMIN_ID, "/lang ru", **admin))
        answer = await press(tg, stale, "Resume", ADMIN_ID)
        assert answer.startswith(
            "Перепись пользователей за 2-е полугодие 2026 г., Globex: перепись отменена"
        )
        assert await run_states(tg.app) == ["cancelled", "running"]

        # A button sent before buttons named their run acts on the latest census, as before.
        account_id = await account_id_of(tg.app, "Globex")
        legacy = CensusControl(action="pause", account=account_id).pack()
        await tg.process(api.callback_query(ADMIN_ID, legacy, message_id=latest["message_id"],
                                            user_id=ADMIN_ID))  # fmt: skip
        assert await run_states(tg.app) == ["cancelled", "paused"]
        [shown] = [m for m in api.sent_to(ADMIN_ID) if m["message_id"] == latest["message_id"]]
        assert "(на паузе)" in shown["text"]
    finally:
        await tg.stop()


# Run ids no census has, up to ones no INTEGER column can hold (a forged callback).
FORGED_RUNS = [0, -1, 4242, 2**31, 2**63, 10**30]


async def test_telegram_a_forged_run_button_is_refused_and_changes_nothing(
    api: FakeTelegramAPI, db_url: str, clock: FakeClock
) -> None:
    tg = await TelegramHarness.start(api, db_url, clock)
    admin = {"user_id": ADMIN_ID}
    try:
        await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
        await add_users(tg.app, clock, Channel.TELEGRAM, [str(u) for u in USERS])
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
        [message] = progress_of(tg)
        for run in FORGED_RUNS:
            data = CensusRunControl(action="cancel", run=run).pack()
            answered = len(api.calls_to("answerCallbackQuery"))
            await tg.process(api.callback_query(ADMIN_ID, data, message_id=message["message_id"],
                                                user_id=ADMIN_ID))  # fmt: skip
            answer = api.calls_to("answerCallbackQuery")[answered].params.get("text")
            assert answer == "This button is not valid.", run
        assert await run_states(tg.app) == ["running"]
    finally:
        await tg.stop()


async def test_telegram_a_stranger_pressing_census_buttons_is_refused_in_their_language(
    api: FakeTelegramAPI, db_url: str, clock: FakeClock
) -> None:
    # Candor does not know them, so their Telegram's language is all it has to go on (as
    # for Import and the alert buttons); the census buttons answered them in English.
    tg = await TelegramHarness.start(api, db_url, clock)
    admin = {"user_id": ADMIN_ID}
    try:
        await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
        await add_users(tg.app, clock, Channel.TELEGRAM, [str(u) for u in USERS])
        await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
        [message] = progress_of(tg)
        account_id = await account_id_of(tg.app, "Globex")
        rows = message["reply_markup"]["inline_keyboard"]
        [pause] = [b["callback_data"] for row in rows for b in row if b["text"] == "Pause"]
        legacy = CensusControl(action="pause", account=account_id).pack()  # a button of old
        for data in (pause, legacy):
            answered = len(api.calls_to("answerCallbackQuery"))
            await tg.process(api.callback_query(ADMIN_ID, data, message_id=message["message_id"],
                                                user_id=STRANGER, language_code="ru"))  # fmt: skip
            answer = api.calls_to("answerCallbackQuery")[answered].params.get("text")
            assert answer == "Эта кнопка доступна только сотрудникам клиентского сервиса.", data
        assert await run_states(tg.app) == ["running"]
    finally:
        await tg.stop()


async def account_id_of(app: App, name: str) -> int:
    async with app.uow() as uow:
        account = await uow.accounts.by_name(name)
    assert account is not None
    return account.id


# --- Slack --------------------------------------------------------------------------------


@pytest.fixture
async def slack(db_url: str, clock: FakeClock) -> AsyncIterator[SlackHarness]:
    async with FakeSlackAPI() as api:
        harness = await SlackHarness.start(api, db_url, clock)
        try:
            yield harness
        finally:
            await harness.stop()
        api.assert_no_violations()


def slack_progress(slack: SlackHarness) -> list[dict[str, Any]]:
    return [m for m in slack.dm(SLACK_ADMIN) if is_progress(m)]


def slack_buttons(message: dict[str, Any], field: str = "action_id") -> dict[str, str]:
    """Each button's label and its ``field`` (its action id, or its value)."""
    return {
        e["text"]["text"]: e[field]
        for b in message.get("blocks", [])
        if b.get("type") == "actions"
        for e in b["elements"]
    }


async def test_slack_progress_message_with_buttons_edited_by_chat_update(
    slack: SlackHarness, clock: FakeClock
) -> None:
    api = slack.api
    await say(slack, "account_add Globex gold en")
    await add_users(slack.app, clock, Channel.SLACK, ["UUSER1", "UUSER2"])
    assert "started" in await say(slack, "round Globex census")
    await slack.deliver()
    [message] = slack_progress(slack)
    assert "2 users, sent 0" in message["text"]
    assert slack_buttons(message) == {"Pause": "census_pause", "Cancel the census": "census_cancel"}

    channel = api.dm_channel_of(SLACK_ADMIN)
    await slack.post(
        block_action(SLACK_ADMIN, channel, "census_pause", "1", message_ts=message["ts"],
                     message=message)
    )  # fmt: skip
    [message] = slack_progress(slack)
    assert "(paused)" in message["text"] and "Resume" in slack_buttons(message)
    assert api.calls_to("chat.update")[-1].params["ts"] == message["ts"]
    await slack.post(
        block_action(SLACK_ADMIN, channel, "census_resume", "1", message_ts=message["ts"],
                     message=message)
    )  # fmt: skip
    clock.advance(LATER)
    await fan_out_pass(slack.app)
    await fan_out_pass(slack.app)
    [message] = slack_progress(slack)
    assert "(everyone reachable was asked)" in message["text"] and "reached 2" in message["text"]
    assert slack_buttons(message) == {}
    # `/candor census Globex pause` now: too late, and said so (it used to say nothing).
    said = await say(slack, "census Globex pause")
    assert said.startswith(
        "The H2 2026 user census of Globex has already sent all its first questions, so "
        "there is nothing left to pause."
    )
    assert "/candor census Globex cancel would stop the reminders" in said
    assert "(everyone reachable was asked): 2 users, sent 2" in said

    # A stranger's press changes nothing; they are told, in their DM, it is for staff.
    await slack.post(
        block_action("USTRANGER", channel, "census_cancel", "1", message_ts=message["ts"])
    )
    assert slack.dm_texts("USTRANGER")[-1] == "This button is only for client service staff."
    assert "(everyone reachable was asked)" in slack_progress(slack)[0]["text"]
    # Cancelled while those asked may still answer: it stops their reminders.
    said = await say(slack, "census Globex cancel")
    assert said.startswith("H2 2026 user census of Globex (cancelled): 2 users, sent 2")
    await fan_out_pass(slack.app)
    assert "(cancelled)" in slack_progress(slack)[0]["text"]


async def test_slack_buttons_act_on_the_census_their_message_shows(
    slack: SlackHarness, clock: FakeClock
) -> None:
    api = slack.api
    await say(slack, "account_add Globex gold en")
    await add_users(slack.app, clock, Channel.SLACK, ["UUSER1", "UUSER2"])
    assert "started" in await say(slack, "round Globex census 2026-H2")
    assert "no one to ask" in await say(slack, "round Globex census 2026-H1")
    await slack.deliver()
    [older, latest] = slack_progress(slack)
    assert "H2 2026" in older["text"] and "H1 2026" in latest["text"]
    channel = api.dm_channel_of(SLACK_ADMIN)

    async def press(message: dict[str, Any], label: str, user: str = SLACK_ADMIN) -> None:
        action = slack_buttons(message)[label]
        value = slack_buttons(message, "value")[label]
        await slack.post(
            block_action(user, channel, action, value, message_ts=message["ts"], message=message)
        )

    # The older census's Pause pauses it, not the account's latest census.
    await press(older, "Pause")
    assert await run_states(slack.app) == ["paused", "running"]
    [older, latest] = slack_progress(slack)
    assert "(paused)" in older["text"] and "(sending)" in latest["text"]
    await press(older, "Resume")
    running = slack_progress(slack)[0]  # Pause / Cancel, as the message stood while sending
    assert "(sending)" in running["text"]
    # A button sent before buttons named their run (its value the account's id) acts on the
    # latest census, as before.
    account_id = await account_id_of(slack.app, "Globex")
    await slack.post(
        block_action(SLACK_ADMIN, channel, "census_pause", str(account_id),
                     message_ts=latest["ts"], message=latest)
    )  # fmt: skip
    assert await run_states(slack.app) == ["running", "paused"]

    clock.advance(LATER)
    await fan_out_pass(slack.app)
    await fan_out_pass(slack.app)
    assert await run_states(slack.app) == ["done", "paused"]
    assert "(everyone reachable was asked)" in slack_progress(slack)[0]["text"]

    # A button left from before it finished changes nothing and says why, in the presser's
    # language.
    await press(running, "Cancel the census")
    assert slack.dm_texts(SLACK_ADMIN)[-1] == (
        "The H2 2026 user census of Globex has already finished: its buttons no longer act. "
        "/candor census Globex shows its results."
    )
    assert await say(slack, "lang ru") == "Язык изменён на русский."
    await press(running, "Pause")
    assert slack.dm_texts(SLACK_ADMIN)[-1].startswith(
        "Перепись пользователей за 2-е полугодие 2026 г., Globex: перепись уже завершена"
    )
    assert await run_states(slack.app) == ["done", "paused"]
    # A value naming no run is refused as a forged button.
    await slack.post(
        block_action(SLACK_ADMIN, channel, "census_pause", '{"x":1}', message_ts=older["ts"])
    )
    assert slack.dm_texts(SLACK_ADMIN)[-1] == "Эта кнопка недействительна."


@pytest.mark.parametrize(
    "value",
    [
        '{"r": true}',  # int(True) is 1: the first census run, whoever's it is
        '{"r": 1.5}',
        '{"r": "1"}',
        '{"r": 1e999}',  # int(inf) raises OverflowError, not ValueError
        '{"r": 2147483648}',  # beyond an INTEGER column
        '{"r": 100000000000000000000000000000}',
        "\u00b9",  # "¹".isdigit(), yet int() refuses it
    ],
)
async def test_slack_a_forged_button_value_is_refused_and_changes_nothing(
    slack: SlackHarness, clock: FakeClock, value: str
) -> None:
    await say(slack, "account_add Globex gold en")
    await add_users(slack.app, clock, Channel.SLACK, ["UUSER1", "UUSER2"])
    assert "started" in await say(slack, "round Globex census")
    await slack.deliver()
    [message] = slack_progress(slack)
    channel = slack.api.dm_channel_of(SLACK_ADMIN)
    await slack.post(
        block_action(SLACK_ADMIN, channel, "census_pause", value, message_ts=message["ts"])
    )
    assert slack.dm_texts(SLACK_ADMIN)[-1] == "This button is not valid."
    assert await run_states(slack.app) == ["running"]


# They pressed a button, not typed a command: the refusal says so (it said "command").
STAFF_ONLY_BUTTON = {
    Language.EN: "This button is only for client service staff.",
    Language.RU: "Эта кнопка доступна только сотрудникам клиентского сервиса.",
}


@pytest.mark.parametrize(
    ("locale", "in_payload", "lang"),
    [("ru-RU", False, Language.RU), ("ru-RU", True, Language.RU), ("en-GB", False, Language.EN)],
)
@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("census_cancel", "1"),
        ("census_pause", '{"r": 1}'),
        ("import_confirm", '{"a":"G","f":"F1"}'),
    ],
)
async def test_slack_a_stranger_pressing_a_census_button_is_answered_in_their_slacks_language(
    slack: SlackHarness, clock: FakeClock, locale: str, in_payload: bool, lang: Language,
    action: str, value: str,
) -> None:  # fmt: skip
    # QA: someone Candor does not know pressed Pause under a forwarded progress message and
    # was refused in the default language (English), not in their Slack's (Russian).
    await say(slack, "account_add Globex gold en")
    await add_users(slack.app, clock, Channel.SLACK, ["UUSER1", "UUSER2"])
    assert "started" in await say(slack, "round Globex census")
    await slack.deliver()
    [message] = slack_progress(slack)
    slack.api.add_user("USTRANGER", "who@else.example", "Stranger", locale=locale)
    channel = slack.api.dm_channel_of("USTRANGER")
    await slack.post(
        block_action("USTRANGER", channel, action, value, message_ts=message["ts"],
                     locale=locale if in_payload else None)
    )  # fmt: skip
    [said] = slack.dm_texts("USTRANGER")
    assert said == STAFF_ONLY_BUTTON[lang], said
    assert await run_states(slack.app) == ["running"]
    asked = [c for c in slack.api.calls_to("users.info") if c.params.get("user") == "USTRANGER"]
    assert len(asked) == (0 if in_payload else 1)  # the payload's locale needs no call


# --- in Russian -----------------------------------------------------------------------------


async def test_a_russian_census_reads_in_russian_to_its_users_and_its_starter(
    service: SurveyService,
    delivery: DeliveryWorker,
    messenger: RecordingMessenger,
    world: World,
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
) -> None:
    async with uow() as u:
        for i in range(2):
            await u.contacts.add(
                Contact(
                    0, world.account.id, f"Пользователь {i}", ContactLevel.USER, Language.RU,
                    ContactStatus.ACTIVE, Channel.CONSOLE, f"ru{i}",
                    last_ticket_at=datetime(2026, 9, 1, tzinfo=UTC),
                )
            )  # fmt: skip
        await u.commit()
    commands = StaffCommands(
        uow, clock, service, Onboarding(uow, clock, "Acme IT", Language.EN, service=service)
    )
    max_at = Address(Channel.CONSOLE, "max")  # Max Manager reads Russian
    started = await start_census(commands, world.manager, "Globex", "2026-H2", max_at)
    assert started.lines[0].startswith("Перепись пользователей за 2-е полугодие 2026 г., Globex")
    await follow_answer(service, started.census_progress)  # as the adapter does, after it
    await Census(service).fan_out()
    await delivery.run_once()
    [progress] = [m for m in messenger.sent if m.kind == "census_progress"]
    assert progress.recipient == max_at
    assert "(идёт рассылка): 2 пользователя, отправлено 0" in progress.payload["text"]
    invitation = next(m for m in messenger.sent if m.recipient.address == "ru0")
    assert "нашей работе во втором полугодии 2026 года" in invitation.payload["text"]
    assert "Census" not in invitation.payload["text"]
    status = await census_status_line(commands, world.manager, "Globex")
    assert status is not None
    title = "Перепись пользователей за 2-е полугодие 2026 г."
    assert status.startswith(f"Пользователи: {title} — 2 пользователя, доставлено 2")
    # One of them answers the first question only: answered, but partly.
    ru0 = Address(Channel.CONSOLE, "ru0")
    await service.handle_event(ru0, ContactEvent(EventKind.TEXT, "Всё хорошо", "r1"))
    status = await census_status_line(commands, world.manager, "Globex")
    assert status is not None
    assert "доставлено 2, ответили 1 (50%), из них частично 1." in status


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
def test_a_done_census_does_not_claim_everyone_reachable_was_asked_when_some_were_not(
    lang: Language,
) -> None:
    # Users bound on Slack by e-mail (candor census slack-bind) after the census had sent
    # everything read: "(everyone reachable was asked) … not asked: … not sent 1".
    from surveys.census import CensusProgress, CensusState

    late = CensusProgress(CensusState.DONE, population=3, sent=2, reached=2, unreachable=0,
                          answered=1, not_sent=1)  # fmt: skip
    text = late.render(lang, "Initech", "H2 2026 user census")
    assert t("census_state.done", lang) not in text
    assert t("census_state.done_late", lang, n=1) in text
    everyone = CensusProgress(CensusState.DONE, population=2, sent=2, reached=2, unreachable=0,
                              answered=1)  # fmt: skip
    assert t("census_state.done", lang) in everyone.render(lang, "Initech", "H2 2026 user census")
