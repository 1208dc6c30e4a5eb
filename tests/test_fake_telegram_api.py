"""The fake Telegram Bot API, exercised through the real aiogram client stack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    TelegramObject,
    Update,
)
from aiogram.utils.text_decorations import html_decoration

from tests.fakes.telegram_api import FakeTelegramAPI, load_spec, parse_html, spec_path

CHAT = 42


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake


def make_bot(api: FakeTelegramAPI, token: str | None = None, **kwargs: Any) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    return Bot(token or api.token, session=session, **kwargs)


@pytest.fixture
async def bot(api: FakeTelegramAPI) -> AsyncIterator[Bot]:
    bot = make_bot(api)
    yield bot
    await bot.session.close()


async def raw_post(api: FakeTelegramAPI, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api.base_url}/bot{api.token}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


def dump(model: TelegramObject | None) -> dict[str, Any] | None:
    # Parsed models carry the bot in private state, so compare their data instead.
    return None if model is None else model.model_dump(exclude_none=True)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=d.title(), callback_data=d) for d in data]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


class SendTelepathy(TelegramMethod[bool]):
    """A method Telegram does not have, sent through aiogram's own request path."""

    __returning__ = bool
    __api_method__ = "sendTelepathy"

    chat_id: int


# -- happy paths ---------------------------------------------------------------------------


async def test_get_me_returns_the_bot(api: FakeTelegramAPI, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123456, True, "candor_test_bot")
    assert [call.status for call in api.calls_to("getMe")] == [200]
    api.assert_no_violations()


async def test_send_message_with_html_and_inline_keyboard(api: FakeTelegramAPI, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="👍", callback_data="rate:5"),
                InlineKeyboardButton(text="Site", url="https://example.com/"),
            ]
        ]
    )

    sent = await bot.send_message(
        CHAT, "<b>How</b> was our work &amp; support?", parse_mode="HTML", reply_markup=markup
    )

    assert isinstance(sent, Message)
    assert sent.chat.id == CHAT and sent.from_user is not None and sent.from_user.is_bot
    assert sent.text == "How was our work & support?"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 3)]
    assert dump(sent.reply_markup) == dump(markup)
    [call] = api.calls_to("sendMessage")
    assert call.status == 200
    assert call.params["chat_id"] == CHAT  # decoded from the form string "42"
    assert call.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "👍",
        "callback_data": "rate:5",
    }
    [stored] = api.sent_to(CHAT)
    assert stored["message_id"] == sent.message_id
    assert stored["text"] == "How was our work & support?"
    assert stored["reply_markup"] == call.params["reply_markup"]
    api.assert_no_violations()


async def test_reply_keyboards_are_kept_in_the_transcript_not_in_the_message(
    api: FakeTelegramAPI, bot: Bot
) -> None:
    markup = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="5")]], resize_keyboard=True)

    sent = await bot.send_message(CHAT, "Your score?", reply_markup=markup)

    assert sent.reply_markup is None  # Message.reply_markup is only ever an inline keyboard
    assert api.sent_to(CHAT)[0]["reply_markup"]["keyboard"] == [[{"text": "5"}]]
    api.assert_no_violations()


async def test_text_length_is_counted_after_html_parsing(api: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, f"<b>{'x' * 4096}</b>", parse_mode="HTML")

    assert sent.text is not None and len(sent.text) == 4096
    api.assert_no_violations()


async def test_upload_travels_as_an_attached_multipart_file(api: FakeTelegramAPI, bot: Bot) -> None:
    document = BufferedInputFile(b"score;comment\n5;great\n", filename="feedback.csv")

    sent = await bot.send_document(CHAT, document, caption="<i>Report</i>", parse_mode="HTML")

    [call] = api.calls_to("sendDocument")
    assert call.params["document"].startswith("attach://")
    assert list(call.files.values()) == [b"score;comment\n5;great\n"]
    assert sent.caption == "Report"
    api.assert_no_violations()


async def test_commands_round_trip(api: FakeTelegramAPI, bot: Bot) -> None:
    commands = [BotCommand(command=f"cmd_{i}", description=f"Command {i}") for i in range(100)]

    assert await bot.set_my_commands(commands)
    assert [dump(c) for c in await bot.get_my_commands()] == [dump(c) for c in commands]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    api.assert_no_violations()


async def test_callback_query_answer_and_edit(api: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Rate us", reply_markup=keyboard("rate:4", "rate:5"))
    api.push_update(api.callback_query(CHAT, "rate:5", message_id=sent.message_id))

    [update] = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert query is not None and query.data == "rate:5"
    assert isinstance(query.message, Message)
    assert dump(query.message.reply_markup) == dump(keyboard("rate:4", "rate:5"))
    assert await bot.answer_callback_query(query.id, text="Thanks!")
    edited = await bot.edit_message_text(
        "Thanks for the 5", chat_id=CHAT, message_id=sent.message_id
    )

    # Telegram drops the inline keyboard when an edit does not repeat it.
    assert isinstance(edited, Message) and edited.reply_markup is None
    [stored] = api.sent_to(CHAT)
    assert stored["text"] == "Thanks for the 5" and "reply_markup" not in stored
    assert "edit_date" in stored
    api.assert_no_violations()


async def test_state_errors_are_answered_but_are_not_violations(
    api: FakeTelegramAPI, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "Rate us", reply_markup=keyboard("rate:5"))
    api.push_update(api.callback_query(CHAT, "rate:5", message_id=sent.message_id))
    [update] = await bot.get_updates()
    assert update.callback_query is not None
    await bot.answer_callback_query(update.callback_query.id)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("rate:5")
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=999)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(update.callback_query.id)
    api.assert_no_violations()


async def test_every_answer_matches_the_spec(api: FakeTelegramAPI, bot: Bot) -> None:
    await bot.get_me()
    await bot.delete_webhook(drop_pending_updates=True)
    await bot.get_webhook_info()
    await bot.set_my_commands([BotCommand(command="start", description="Begin")])
    await bot.get_my_commands()
    await bot.send_chat_action(CHAT, "typing")
    sent = await bot.send_message(
        CHAT, '<a href="https://x.y">a</a> <tg-spoiler>b</tg-spoiler>', parse_mode="HTML"
    )
    await bot.edit_message_text("edited", chat_id=CHAT, message_id=sent.message_id)
    await bot.send_photo(CHAT, "AgACAgIAAxkBAAIB", caption="photo")
    api.push_update(api.text_message(CHAT, "hi"))
    await bot.get_updates()
    await bot.delete_message(CHAT, sent.message_id)

    methods = load_spec()["methods"]
    for call in api.calls:
        returns = methods[call.method]["returns"]
        checks = [api.validator.check(call.response["result"], t) for t in returns]
        assert [] in checks, f"{call.method} answered off-spec: {checks}"
    assert api.sent_to(CHAT) == [api.sent_to(CHAT)[0]]  # the photo; the text was deleted
    api.assert_no_violations()


# -- violations ----------------------------------------------------------------------------


async def test_text_over_4096_characters(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="4096"):
        await bot.send_message(CHAT, "x" * 4097)

    assert api.violations == [
        "sendMessage: text: must be 1-4096 characters after entities parsing, got 4097"
    ]
    assert api.calls_to("sendMessage")[0].status == 400
    assert api.sent_to(CHAT) == []


async def test_html_that_leaves_no_text(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(CHAT, "<b> </b>", parse_mode="HTML")

    assert api.violations == ["sendMessage: text: must not be empty after entities parsing"]


@pytest.mark.parametrize("data", ["x" * 65, "é" * 33], ids=["65-ascii", "66-bytes-33-chars"])
async def test_callback_data_over_64_bytes(api: FakeTelegramAPI, bot: Bot, data: str) -> None:
    with pytest.raises(TelegramBadRequest, match="callback_data"):
        await bot.send_message(CHAT, "Rate us", reply_markup=keyboard(data))

    [violation] = api.violations
    assert violation.startswith(
        "sendMessage: reply_markup.inline_keyboard[0][0].callback_data: must be 1-64 bytes"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("ok</b>", 'Unexpected end tag "b" at byte offset 2'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<a>x</a>", 'Tag "a" must have attribute "href"'),
    ],
)
async def test_malformed_html(api: FakeTelegramAPI, bot: Bot, text: str, reason: str) -> None:
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.send_message(CHAT, text, parse_mode="HTML")

    assert raised.value.message.startswith(f"Bad Request: can't parse entities: {reason}")
    [violation] = api.violations
    assert violation.startswith(f"sendMessage: text: can't parse entities: {reason}")


async def test_escaped_html_is_fine(api: FakeTelegramAPI, bot: Bot) -> None:
    text = html_decoration.quote("a < b & c > d")

    sent = await bot.send_message(CHAT, text, parse_mode="HTML")

    assert sent.text == "a < b & c > d"
    api.assert_no_violations()


async def test_unknown_method(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="unknown method"):
        await bot.session.make_request(bot, SendTelepathy(chat_id=CHAT))

    assert api.violations == ["sendTelepathy: unknown method 'sendTelepathy' (not in Bot API 10.1)"]


async def test_method_names_are_case_insensitive_like_telegram(api: FakeTelegramAPI) -> None:
    status, body = await raw_post(api, "sendmessage", data={"chat_id": "1", "text": "hi"})

    assert (status, body["ok"]) == (200, True)
    assert api.calls_to("sendMessage")[0].method == "sendMessage"
    api.assert_no_violations()


async def test_unknown_field(api: FakeTelegramAPI, bot: Bot) -> None:
    # aiogram's methods allow extra fields and send them along.
    with pytest.raises(TelegramBadRequest, match="colour"):
        await bot(SendMessage(chat_id=CHAT, text="hi", colour="red"))  # type: ignore[call-arg]

    assert api.violations == ["sendMessage: colour: unknown field, sendMessage has no such field"]


async def test_missing_required_field(api: FakeTelegramAPI) -> None:
    status, body = await raw_post(api, "sendMessage", data={"chat_id": "1"})

    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: text: required field is missing",
    }
    assert api.violations == ["sendMessage: text: required field is missing"]


async def test_aiogram_drops_empty_strings_so_empty_text_is_a_missing_field(
    api: FakeTelegramAPI, bot: Bot
) -> None:
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(CHAT, "")

    assert api.violations == ["sendMessage: text: required field is missing"]
    assert "text" not in api.calls_to("sendMessage")[0].params


async def test_conditionally_required_field(api: FakeTelegramAPI) -> None:
    # "Required if inline_message_id is not specified."
    status, _ = await raw_post(api, "editMessageText", data={"chat_id": "1", "text": "x"})

    assert status == 400
    assert api.violations == ["editMessageText: message_id: required field is missing"]


async def test_wrong_value_types(api: FakeTelegramAPI) -> None:
    form = {
        "chat_id": "1",
        "text": "hi",
        "disable_notification": "yes",
        "reply_markup": json.dumps({"inline_keyboard": [[{"text": "A"}]]}),
        "message_thread_id": "1.5",
        "entities": "not json",
    }

    status, _ = await raw_post(api, "sendMessage", data=form)

    assert status == 400
    assert sorted(api.violations) == [
        "sendMessage: disable_notification: expected Boolean, got 'yes'",
        "sendMessage: entities: expected Array of MessageEntity, got 'not json'",
        "sendMessage: message_thread_id: expected Integer, got '1.5'",
        "sendMessage: reply_markup.inline_keyboard[0][0]: InlineKeyboardButton needs exactly "
        "one of url, callback_data, web_app, login_url, switch_inline_query, "
        "switch_inline_query_current_chat, switch_inline_query_chosen_chat, copy_text, "
        "callback_game, pay; got none",
    ]


async def test_abstract_types_accept_any_matching_subtype(api: FakeTelegramAPI) -> None:
    commands = json.dumps([{"command": "start", "description": "Begin"}])
    good = {"commands": commands, "scope": json.dumps({"type": "chat", "chat_id": 5})}
    bad = {"commands": commands, "scope": json.dumps({"type": "galaxy"})}

    assert (await raw_post(api, "setMyCommands", data=good))[0] == 200
    assert (await raw_post(api, "setMyCommands", data=bad))[0] == 400
    assert api.violations == ["setMyCommands: scope.type: must be one of ['default'], got 'galaxy'"]


async def test_json_bodies_and_query_strings_are_accepted(api: FakeTelegramAPI) -> None:
    assert (await raw_post(api, "sendMessage", json={"chat_id": 1, "text": "hi"}))[0] == 200
    assert (await raw_post(api, "sendMessage", params={"chat_id": "1", "text": "yo"}))[0] == 200
    assert [m["text"] for m in api.sent_to(1)] == ["hi", "yo"]
    api.assert_no_violations()


async def test_more_than_100_bot_commands(api: FakeTelegramAPI, bot: Bot) -> None:
    commands = [BotCommand(command=f"cmd_{i}", description="Command") for i in range(101)]

    with pytest.raises(TelegramBadRequest, match="commands"):
        await bot.set_my_commands(commands)

    assert api.violations == ["setMyCommands: commands: must have 0-100 items, got 101"]


@pytest.mark.parametrize(
    ("command", "violation"),
    [
        (
            BotCommand(command="Start", description="Begin"),
            "commands[0].command: may contain only lowercase English letters, digits and "
            "underscores, got 'Start'",
        ),
        (
            BotCommand(command="x" * 33, description="Begin"),
            "commands[0].command: must be 1-32 characters, got 33",
        ),
        (
            BotCommand(command="start", description=""),  # aiogram keeps "" inside objects
            "commands[0].description: must be 1-256 characters, got 0",
        ),
    ],
)
async def test_invalid_bot_command(
    api: FakeTelegramAPI, bot: Bot, command: BotCommand, violation: str
) -> None:
    with pytest.raises(TelegramBadRequest):
        await bot.set_my_commands([command])

    assert api.violations == [f"setMyCommands: {violation}"]


async def test_answer_callback_query_text_limit(api: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Rate us", reply_markup=keyboard("rate:5"))
    api.push_update(api.callback_query(CHAT, "rate:5", message_id=sent.message_id))
    [update] = await bot.get_updates()
    assert update.callback_query is not None

    with pytest.raises(TelegramBadRequest):
        await bot.answer_callback_query(update.callback_query.id, text="x" * 201)

    assert api.violations == ["answerCallbackQuery: text: must be 0-200 characters, got 201"]


async def test_wrong_token(api: FakeTelegramAPI) -> None:
    stranger = make_bot(api, token="999:WRONG-TOKEN")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()

    assert api.calls[0].response == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert api.violations == ["getMe: request with a wrong bot token"]


async def test_assert_no_violations_lists_them(api: FakeTelegramAPI, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(CHAT, "x" * 5000)

    with pytest.raises(AssertionError, match=r"1 Telegram API violation\(s\):\n  - sendMessage"):
        api.assert_no_violations()


# -- failure injection ---------------------------------------------------------------------


async def test_injected_flood_wait(api: FakeTelegramAPI, bot: Bot) -> None:
    api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
    )

    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(CHAT, "hi")
    await bot.send_message(CHAT, "hi again")

    assert raised.value.retry_after == 3
    assert api.calls[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    assert [m["text"] for m in api.sent_to(CHAT)] == ["hi again"]
    api.assert_no_violations()


async def test_injected_block_hits_only_its_chat(api: FakeTelegramAPI, bot: Bot) -> None:
    api.fail_next(
        "sendMessage",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=7,
        times=2,
    )

    await bot.send_message(8, "to someone else")
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(7, "hi")
    await bot.send_message(7, "unblocked")

    assert [m["text"] for m in api.sent_to(7)] == ["unblocked"]
    api.assert_no_violations()


async def test_injected_server_error(api: FakeTelegramAPI, bot: Bot) -> None:
    api.fail_next("getMe", error_code=500, description="Internal Server Error")

    with pytest.raises(TelegramServerError):
        await bot.get_me()
    assert (await bot.get_me()).username == "candor_test_bot"
    api.assert_no_violations()


async def test_invalid_requests_do_not_use_up_injected_failures(
    api: FakeTelegramAPI, bot: Bot
) -> None:
    api.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )

    with pytest.raises(TelegramBadRequest):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(CHAT, "hi")


# -- updates -------------------------------------------------------------------------------


async def test_long_poll_wakes_on_a_pushed_update(api: FakeTelegramAPI, bot: Bot) -> None:
    api.max_poll_wait = 10.0
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_until_polling()
    started = time.monotonic()

    update_id = api.push_update(api.text_message(CHAT, "/start abc"))
    [update] = await poll

    assert time.monotonic() - started < 2.0
    assert update.update_id == update_id
    assert update.message is not None and update.message.text == "/start abc"
    assert update.message.entities is not None
    assert update.message.entities[0].type == "bot_command"
    assert update.message.entities[0].length == len("/start")
    api.assert_no_violations()


async def test_offset_confirms_and_limit_caps(api: FakeTelegramAPI, bot: Bot) -> None:
    first, second, third = (api.push_update(api.text_message(CHAT, t)) for t in "abc")

    assert [u.update_id for u in await bot.get_updates(limit=2)] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second, third]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == [third]
    assert await bot.get_updates(offset=third + 1) == []
    api.assert_no_violations()


async def test_poll_gives_up_after_max_poll_wait(api: FakeTelegramAPI, bot: Bot) -> None:
    api.max_poll_wait = 0.05
    started = time.monotonic()

    assert await bot.get_updates(timeout=30) == []
    assert time.monotonic() - started < 1.0


async def test_stop_releases_a_pending_long_poll(api: FakeTelegramAPI, bot: Bot) -> None:
    api.max_poll_wait = 30.0
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await api.wait_until_polling()
    started = time.monotonic()

    await api.stop()

    assert await poll == []
    assert time.monotonic() - started < 2.0


async def test_allowed_updates_filter_delivery(api: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Rate us", reply_markup=keyboard("rate:5"))
    api.push_update(api.callback_query(CHAT, "rate:5", message_id=sent.message_id))
    message_id = api.push_update(api.text_message(CHAT, "hello"))

    updates = await bot.get_updates(allowed_updates=["message"])

    assert [u.update_id for u in updates] == [message_id]


async def test_webhook_blocks_get_updates(api: FakeTelegramAPI, bot: Bot) -> None:
    assert await bot.set_webhook("https://candor.example/hook")
    assert (await bot.get_webhook_info()).url == "https://candor.example/hook"

    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == []
    api.assert_no_violations()


BUILDER_KINDS = [
    "text",
    "command",
    "group",
    "edited",
    "sticker",
    "photo",
    "voice",
    "document",
    "location",
    "callback",
]


def _builders(api: FakeTelegramAPI) -> dict[str, Callable[[], dict[str, Any]]]:
    return {
        "text": lambda: api.text_message(CHAT, "Hello", language_code="ru"),
        "command": lambda: api.text_message(CHAT, "/start abc"),
        "group": lambda: api.text_message(-100123, "hi all", chat_type="supergroup", user_id=5),
        "edited": lambda: api.edited_message(CHAT, "Hello!"),
        "sticker": lambda: api.sticker_message(CHAT),
        "photo": lambda: api.photo_message(CHAT, caption="look"),
        "voice": lambda: api.voice_message(CHAT),
        "document": lambda: api.document_message(CHAT),
        "location": lambda: api.location_message(CHAT),
        "callback": lambda: api.callback_query(CHAT, "rate:5", message_id=1),
    }


@pytest.mark.parametrize("kind", BUILDER_KINDS)
async def test_builders_make_spec_valid_updates(api: FakeTelegramAPI, kind: str) -> None:
    update = _builders(api)[kind]()

    update_id = api.push_update(update)

    assert api.validator.check({**update, "update_id": update_id}, "Update") == []
    parsed = Update.model_validate({**update, "update_id": update_id})
    expected = {"edited": "edited_message", "callback": "callback_query"}.get(kind, "message")
    assert parsed.event_type == expected


async def test_message_ids_grow_per_chat(api: FakeTelegramAPI, bot: Bot) -> None:
    first = api.text_message(CHAT, "one")["message"]["message_id"]
    api.push_update(api.text_message(CHAT, "one"))
    sent = await bot.send_message(CHAT, "two")
    other = api.text_message(CHAT + 1, "elsewhere")["message"]["message_id"]

    assert sent.message_id > first
    assert other == 1


def test_push_update_rejects_off_spec_updates() -> None:
    api = FakeTelegramAPI()

    with pytest.raises(ValueError, match=r"message\.chat: required field is missing"):
        api.push_update({"message": {"message_id": 1, "date": 0, "text": "hi"}})


# -- the bot end to end --------------------------------------------------------------------


async def test_dispatcher_polls_and_replies(api: FakeTelegramAPI) -> None:
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message, command: CommandObject) -> None:
        name = message.from_user.first_name if message.from_user else "there"
        await message.answer(f"Welcome, <b>{name}</b>! Code: {command.args}")

    dp = Dispatcher()
    dp.include_router(router)
    bot = make_bot(api, default=DefaultBotProperties(parse_mode="HTML"))
    api.push_update(api.text_message(CHAT, "/start abc"))

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    reply = await api.wait_for_call("sendMessage")
    await dp.stop_polling()
    await polling

    assert reply.status == 200
    assert reply.params["parse_mode"] == "HTML"
    assert [m["text"] for m in api.sent_to(CHAT)] == ["Welcome, Anna! Code: abc"]
    assert api.calls_to("getUpdates")[0].params["allowed_updates"] == ["message"]
    api.assert_no_violations()


# -- pieces --------------------------------------------------------------------------------


def test_parse_html_entities_in_utf16() -> None:
    text, entities = parse_html(
        '😀 <a href="https://x.y">link</a> <span class="tg-spoiler">s</span> '
        '<pre><code class="language-python">x=1</code></pre> &lt;&#33;&#x21;&quot;'
    )

    assert text == '😀 link s x=1 <!!"'
    assert entities == [
        {"type": "text_link", "url": "https://x.y", "offset": 3, "length": 4},
        {"type": "spoiler", "offset": 8, "length": 1},
        {"type": "pre", "language": "python", "offset": 10, "length": 3},
    ]


def test_spec_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert spec_path().is_file()
    assert spec_path().parts[-3:] == ("specs", "telegram", "api.json")

    monkeypatch.setenv("CANDOR_SPECS_DIR", str(tmp_path))

    assert spec_path() == tmp_path / "telegram" / "api.json"
