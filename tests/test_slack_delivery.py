"""Delivery over Slack: rate limits, recipients gone for good, server errors, Block Kit limits,
signed requests, and one process serving Telegram and Slack against one database."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.run import _share_telegram_name
from bot.settings import load_settings
from bot.slack.blocks import SECTION_LIMIT
from bot.slack.context import unescape
from bot.slack.limiter import SlackLimiter
from bot.slack.listeners.commands import output_messages
from bot.slack.transport import SlackTransport, make_client
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.transport import TelegramTransport, make_bot
from surveys.model import (
    Address,
    Channel,
    ContactStatus,
    Language,
    OutboxStatus,
    OutgoingMessage,
    SentimentLabel,
)
from surveys.staff import Output
from tests.conftest import FakeClock
from tests.fakes.slack_api import (
    MAX_BLOCKS_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT,
    FakeSlackAPI,
    block_problems,
    blocks_text,
    message_event,
    slash_command,
    url_verification,
)
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.slack_harness import SIGNING_SECRET, SLACK_ADMIN, SlackHarness
from tests.telegram_harness import ADMIN_ID, TelegramHarness

ANNA = "UANNA"
MAX = "UMAX"
ADMIN = Address(Channel.SLACK, SLACK_ADMIN)
TG_TOM = 5001  # a Telegram contact
TG_OLGA = 7001  # Olga's Telegram account, linked to her Slack staff entry
OLGA = "UOLGA"
INVITE_LINK = re.compile(r"https://t\.me/candor_test_bot\?start=([\w-]+)")
NEGATIVE = "Terrible result, not happy at all"


# --- helpers ------------------------------------------------------------------------------


class Ids:
    n = 0

    @classmethod
    def next(cls) -> str:
        cls.n += 1
        return f"d{cls.n}"


def candor(
    slack: SlackHarness, text: str, user: str = SLACK_ADMIN
) -> tuple[tuple[bytes, str], str]:
    """A signed-to-be `/candor <text>` payload and the id of its response_url."""
    rid = Ids.next()
    payload = slash_command(
        "/candor", text, user, slack.api.dm_channel_of(user),
        response_url=slack.api.response_url(rid),
    )  # fmt: skip
    return payload, rid


async def say(slack: SlackHarness, text: str, user: str = SLACK_ADMIN) -> str:
    payload, rid = candor(slack, text, user)
    status, _ = await slack.post(payload)
    assert status == 200
    [reply] = slack.api.responses_to(rid)
    assert reply["response_type"] == "ephemeral"
    return unescape(str(reply["text"]))


async def write(slack: SlackHarness, user: str, text: str) -> None:
    status, _ = await slack.post(message_event(user, slack.api.dm_channel_of(user), text))
    assert status == 200


IN_WORDS = {
    "user_not_found": "this Slack user no longer exists",
    "account_inactive": "this Slack account has been deactivated",
    "cannot_dm_bot": "this Slack user is a bot and cannot be written to",
    "not_in_channel": "the bot is not in this Slack conversation",
}


async def globex_with_anna(slack: SlackHarness) -> None:
    """Globex, owned by the admin, with Anna found by e-mail."""
    assert "added" in await say(slack, "account_add Globex gold en Europe/Moscow")
    assert "Owner of" in await say(slack, f"owner Globex <@{SLACK_ADMIN}|admin>")
    slack.api.add_user(ANNA, "anna@client.example", "Anna Smith")
    assert "added to" in await say(slack, "invite Globex anna@client.example")


def posts_to(slack: SlackHarness, user: str) -> int:
    """chat.postMessage attempts (answered or not) in the DM with ``user``."""
    channel = slack.api.dm_channel_of(user)
    return len(
        [
            c
            for c in slack.api.calls_to("chat.postMessage")
            if c.params["channel"] in (channel, user)
        ]
    )


async def outbox(slack: SlackHarness) -> list[OutgoingMessage]:
    async with slack.app.uow() as u:
        return await u.outbox.list()


async def to_anna(slack: SlackHarness) -> dict[str, OutgoingMessage]:
    return {m.kind: m for m in await outbox(slack) if m.recipient.address == ANNA}


def sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b]


# --- 429, permanent errors, 5xx -------------------------------------------------------------


async def test_a_429_is_retried_exactly_after_retry_after(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    slack.api.fail_next(
        "chat.postMessage", status=429, retry_after=3, channel=slack.api.dm_channel_of(ANNA)
    )
    start = slack.clock.now()

    assert "1 contact invited" in await say(slack, "round Globex")

    assert posts_to(slack, ANNA) == 1 and slack.dm(ANNA) == []
    [refused] = [c for c in slack.api.calls_to("chat.postMessage") if c.status == 429]
    assert refused.response == {"ok": False, "error": "ratelimited"}
    mine = await to_anna(slack)
    # The round's one message (the invitation heading question 1) waits for Retry-After.
    assert mine["question"].status is OutboxStatus.PENDING and mine["question"].attempts == 1
    assert mine["question"].next_attempt_at == start + timedelta(seconds=3)
    assert "ratelimited" in (mine["question"].last_error or "")

    slack.clock.advance(timedelta(seconds=2, milliseconds=999))
    stats = await slack.deliver()
    assert (stats.sent, stats.retried) == (0, 0)
    assert posts_to(slack, ANNA) == 1 and slack.dm(ANNA) == []

    slack.clock.advance(timedelta(milliseconds=1))  # exactly Retry-After
    stats = await slack.deliver()
    assert (stats.sent, stats.retried, stats.failed) == (1, 0, 0)
    assert posts_to(slack, ANNA) == 2
    [q1] = slack.dm(ANNA)
    assert q1["text"].startswith("Hello, Anna Smith!")
    assert "\n\nQuestion 1 of 3" in q1["text"]
    mine = await to_anna(slack)
    assert mine["question"].status is OutboxStatus.SENT and mine["question"].attempts == 2


@pytest.mark.parametrize(
    ("method", "error"),
    [
        ("chat.postMessage", "user_not_found"),
        ("chat.postMessage", "account_inactive"),
        ("chat.postMessage", "cannot_dm_bot"),
        ("chat.postMessage", "not_in_channel"),
        ("conversations.open", "cannot_dm_bot"),
    ],
)
async def test_a_contact_slack_refuses_for_good_becomes_unreachable_and_staff_are_told(
    slack: SlackHarness, method: str, error: str
) -> None:
    api = slack.api
    await globex_with_anna(slack)
    assert "added as manager" in await say(slack, f"staff_add manager <@{MAX}|max> Max Manager")
    target = api.dm_channel_of(ANNA) if method == "chat.postMessage" else ANNA
    api.fail_next(method, error=error, channel=target, times=100)

    # The round's one message for Anna (invitation and first question) fails.
    assert "1 contact invited" in await say(slack, "round Globex")

    def attempts() -> int:
        calls = api.calls_to(method)
        return len([c for c in calls if target in (c.params.get("channel"), c.params.get("users"))])

    assert attempts() == 1
    assert slack.dm(ANNA) == []
    async with slack.app.uow() as u:
        anna = await u.contacts.get(1)
    assert anna is not None and anna.status is ContactStatus.UNREACHABLE
    mine = await to_anna(slack)
    assert mine["question"].status is OutboxStatus.FAILED
    assert error in (mine["question"].last_error or "")

    # Said in words: "this Slack user no longer exists", not "slack: user_not_found".
    told = (
        f"Could not reach Anna Smith (Globex) on Slack: {IN_WORDS[error]}. "
        "They are marked unreachable."
    )
    for staff in (SLACK_ADMIN, MAX):  # the owner and the manager, each by DM
        assert slack.dm_texts(staff) == [told], staff
        [notice] = slack.dm(staff)
        assert sections(notice) == [told]

    # No further attempts: no retries, no reminder, no closing notice, no second page.
    for _ in range(3):
        stats = await slack.deliver()
        assert (stats.sent, stats.retried, stats.failed) == (0, 0, 0)
    slack.clock.advance(timedelta(days=3))  # past the reminder
    await slack.app.service.tick()
    await slack.deliver()
    slack.clock.advance(timedelta(days=5))  # past the expiry
    await slack.app.service.tick()
    await slack.deliver()
    assert attempts() == 1
    assert posts_to(slack, ANNA) == (1 if method == "chat.postMessage" else 0)
    assert slack.dm_texts(SLACK_ADMIN) == [told]
    assert "expired 1" in await say(slack, "status Globex")  # the conversation ran its course


async def test_an_unreachable_contact_who_writes_again_is_reachable_again(
    slack: SlackHarness,
) -> None:
    await globex_with_anna(slack)
    slack.api.fail_next(
        "chat.postMessage", error="cannot_dm_bot", channel=slack.api.dm_channel_of(ANNA)
    )
    await say(slack, "round Globex")
    async with slack.app.uow() as u:
        assert (await u.contacts.get(1)).status is ContactStatus.UNREACHABLE  # type: ignore[union-attr]

    await write(slack, ANNA, "Good result overall")

    assert slack.dm_texts(ANNA)[-1].startswith("Question 2 of 3")
    async with slack.app.uow() as u:
        assert (await u.contacts.get(1)).status is ContactStatus.ACTIVE  # type: ignore[union-attr]


@pytest.mark.parametrize(("status", "error"), [(500, "internal_error"), (503, "fatal_error")])
async def test_a_server_error_is_retried_with_backoff(
    slack: SlackHarness, status: int, error: str
) -> None:
    slack.api.fail_next(
        "chat.postMessage", status=status, error=error, channel=slack.api.dm_channel_of(SLACK_ADMIN)
    )
    start = slack.clock.now()
    await slack.app.service.notify(ADMIN, "Weekly digest", Language.EN, "digest")

    stats = await slack.deliver()
    assert (stats.sent, stats.retried, stats.failed) == (0, 1, 0)
    [message] = await outbox(slack)
    assert message.status is OutboxStatus.PENDING and message.next_attempt_at is not None
    assert error in (message.last_error or "")
    # The first backoff is 2 s with jitter: between 1 and 2 s from now.
    assert start + timedelta(seconds=1) <= message.next_attempt_at <= start + timedelta(seconds=2)
    assert (await slack.deliver()).sent == 0  # not due yet
    assert posts_to(slack, SLACK_ADMIN) == 1

    slack.clock.advance(timedelta(seconds=2))
    assert (await slack.deliver()).sent == 1
    assert posts_to(slack, SLACK_ADMIN) == 2
    assert slack.dm_texts(SLACK_ADMIN) == ["Weekly digest"]
    [message] = await outbox(slack)
    assert message.status is OutboxStatus.SENT and message.attempts == 2


# --- Block Kit limits ---------------------------------------------------------------------


async def test_a_4000_character_answer_in_an_alert_stays_within_block_kit_limits(
    slack: SlackHarness,
) -> None:
    await globex_with_anna(slack)
    await say(slack, "round Globex")
    answer = ("Terrible & awful <not happy> with this result > all. " * 80)[:4000]
    assert len(answer) == 4000
    as_sent = answer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    await write(slack, ANNA, as_sent)

    async with slack.app.uow() as u:
        [stored] = await u.answers.for_conversations([1])
        [alert] = await u.alerts.list()
    assert stored.text == answer and not stored.truncated
    assert stored.sentiment is not None and stored.sentiment.label is SentimentLabel.NEGATIVE
    assert alert.answer_id == stored.id

    [alert_dm] = slack.dm(SLACK_ADMIN)
    blocks = alert_dm["blocks"]
    assert block_problems(blocks) == []
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    assert len(alert_dm["text"]) <= MAX_TEXT
    # The answer spans several sections, each within Slack's 3,000 characters...
    start = next(i for i, b in enumerate(blocks) if b["type"] == "context") + 1
    end = next(i for i, b in enumerate(blocks) if i > start and b["type"] == "context")
    parts = [b["text"]["text"] for b in blocks[start:end]]
    assert len(parts) >= 2
    assert all(b["type"] == "section" for b in blocks[start:end])
    assert all(len(p) <= SECTION_LIMIT for p in parts)
    assert all("<" not in p and ">" not in p for p in parts)
    # ...and nothing is lost: no entity is cut in two, and the pieces join up to the answer.
    assert all(not re.search(r"&[a-z]*$", p) for p in parts)
    assert "".join(unescape(p) for p in parts) == answer
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == [
        "alert_ack",
        "alert_followup",
        "alert_resolve",
    ]


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_40000_character_answer_is_kept_whole_and_shown_within_slacks_limits(
    slack: SlackHarness, lang: Language
) -> None:
    # Slack delivers a message of up to 40,000 characters. It was cut to 4,000 when stored;
    # kept whole now, its alert card would carry ~50,000 characters once escaped, which Slack
    # refuses (50 blocks at most, and msg_blocks_too_long past ~13,200 characters of text).
    # The card shows what fits and says where the rest is; /candor alert shows it all.
    await globex_with_anna(slack)
    if lang is Language.RU:
        await say(slack, "lang ru")
    await say(slack, "round Globex")
    answer = ("Terrible & awful <not happy> with this result > all.\n" * 760)[:40_000].strip()
    as_sent = answer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    await write(slack, ANNA, as_sent)

    async with slack.app.uow() as u:
        [stored] = await u.answers.for_conversations([1])
        [alert] = await u.alerts.list()
    assert stored.text == answer and not stored.truncated
    assert alert.answer_id == stored.id
    assert slack.api.violations == []

    [alert_dm] = slack.dm(SLACK_ADMIN)
    blocks = alert_dm["blocks"]
    assert block_problems(blocks) == []
    assert blocks_text(blocks) <= MAX_BLOCKS_TEXT
    # After the details, the answer's first pieces (a piece's edge line break is not kept).
    shown = "".join(unescape(p) for p in sections(alert_dm)[1:]).replace("\n", "")
    assert len(shown) > 6000 and answer.replace("\n", "").startswith(shown)
    note = {
        Language.EN: f"… (shortened; /candor alert {alert.id} shows the whole answer)",
        Language.RU: f"… (сокращено; весь ответ — /candor alert {alert.id})",
    }[lang]
    assert note in [
        unescape(e["text"]) for b in blocks if b["type"] == "context" for e in b["elements"]
    ]
    assert [b["type"] for b in blocks][-1] == "actions"  # the buttons are still there

    payload, rid = candor(slack, f"alert {alert.id}")
    status, _ = await slack.post(payload)
    assert status == 200
    replies = slack.api.responses_to(rid)
    assert slack.api.violations == []
    assert 2 <= len(replies) <= 5
    for reply in replies:
        assert block_problems(reply["blocks"]) == []
        assert blocks_text(reply["blocks"]) <= MAX_BLOCKS_TEXT
    texts = [unescape(b["text"]["text"]) for r in replies for b in r["blocks"]
             if b["type"] == "section"]  # fmt: skip
    assert answer.replace("\n", "") in "".join(texts).replace("\n", "")  # every word, in order


CUT_NOTE = {
    Language.EN: "… (the rest did not fit: Slack takes five replies to one command)",
    Language.RU: "… (остальное не поместилось: на одну команду Slack принимает пять ответов)",
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
def test_a_commands_answer_past_five_replies_ends_saying_the_rest_was_left_out(
    lang: Language,
) -> None:
    # A response_url takes five posts; a client's long answer is shortened to fit them, but
    # with a long table beside it (or long lines), the posts past the fifth were dropped and
    # nothing said so.
    table = "\n".join(f"{i:05d} | Globex & Sons <ops> | {'y' * 60}" for i in range(1200))
    output = Output(["Alert #7", "Timeline"], table=table, verbatim="Terrible & slow. " * 2000)

    messages = output_messages(output, None, lang)

    assert len(messages) == 5
    for _, blocks in messages:
        assert block_problems(blocks) == []
        assert blocks_text(blocks) <= MAX_BLOCKS_TEXT
    last = messages[-1][1][-1]
    assert last["type"] == "context"
    assert unescape(last["elements"][0]["text"]) == CUT_NOTE[lang]
    notes = [b for _, blocks in messages for b in blocks if b["type"] == "context"]
    assert len(notes) == 2  # the answer's own "shortened here", and this one
    # When everything fits, nothing says otherwise.
    whole = output_messages(Output(["Alert #7"], table="a | b", verbatim="Fine"), None, lang)
    assert [b["type"] for _, blocks in whole for b in blocks] == ["section"] * 3


async def test_a_long_report_is_split_across_sections_within_limits(slack: SlackHarness) -> None:
    # Report-like rows with characters that need escaping; about 9,000 characters in all.
    lines = [f"row {i:03d} | Ünïcödé <b>&amp; «quoted»</b> | {'x' * 40}" for i in range(120)]
    text = "\n".join(lines)
    assert 8500 < len(text) < 10_000
    await slack.app.service.notify(
        ADMIN, text, Language.EN, "long-report", kind="staff_notice", pre=True
    )

    assert (await slack.deliver()).sent == 1

    [message] = slack.dm(SLACK_ADMIN)
    assert block_problems(message["blocks"]) == []
    parts = sections(message)
    assert len(parts) >= 4  # escaped, the text is well over 9,000 characters
    assert all(len(p) <= SECTION_LIMIT for p in parts)
    assert all(p.startswith("```") and p.endswith("```") for p in parts)
    # In order, cut at line ends, nothing lost or repeated.
    pieces = [unescape(p.removeprefix("```").removesuffix("```")) for p in parts]
    assert "\n".join(pieces) == text
    assert all(set(piece.split("\n")) <= set(lines) for piece in pieces)  # whole lines only


async def test_a_report_too_big_for_one_message_is_split_across_messages(
    slack: SlackHarness,
) -> None:
    lines = [f"{i:05d} | Globex & Sons <ops> | {'y' * 60}" for i in range(2500)]
    text = "\n".join(lines)  # about 225,000 characters: more than 50 sections' worth
    await slack.app.service.notify(
        ADMIN, text, Language.EN, "huge-report", kind="staff_notice", pre=True
    )

    stats = await slack.deliver()

    assert (stats.sent, stats.failed) == (1, 0)
    messages = slack.dm(SLACK_ADMIN)
    assert len(messages) >= 2
    for message in messages:
        assert block_problems(message["blocks"]) == []
        assert 1 <= len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
        assert 0 < len(message["text"]) <= MAX_TEXT
    parts = [p for m in messages for p in sections(m)]
    assert all(len(p) <= SECTION_LIMIT for p in parts)
    pieces = [unescape(p.removeprefix("```").removesuffix("```")) for p in parts]
    assert "\n".join(pieces) == text
    [stored] = await outbox(slack)
    assert stored.status is OutboxStatus.SENT


# --- signed requests ----------------------------------------------------------------------


async def test_a_bad_signature_is_refused_and_changes_nothing(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    await say(slack, "round Globex")
    rows = len(await outbox(slack))
    posts = len(slack.api.calls_to("chat.postMessage"))
    payload, rid = candor(slack, "account_add Forged")

    for kwargs in (
        {"secret": "not-the-signing-secret"},
        {"timestamp": int(time.time()) - 6 * 60},  # older than five minutes
        {"timestamp": int(time.time()) + 6 * 60},  # or as far in the future
        {"secret": ""},  # unsigned
        {"headers": {"X-Slack-Signature": "v0=" + "0" * 64}},  # tampered with
    ):
        for attempt in (payload, message_event(ANNA, slack.api.dm_channel_of(ANNA), NEGATIVE)):
            status, _ = await slack.post(attempt, **kwargs)  # type: ignore[arg-type]
            assert status == 401, kwargs

    assert slack.api.responses_to(rid) == []
    async with slack.app.uow() as u:
        assert [a.name for a in await u.accounts.list()] == ["Globex"]
        assert await u.answers.for_conversations([1]) == []
        assert await u.alerts.list() == []
    assert len(await outbox(slack)) == rows
    assert len(slack.api.calls_to("chat.postMessage")) == posts


async def test_a_replayed_request_is_refused_and_changes_nothing(slack: SlackHarness) -> None:
    await globex_with_anna(slack)
    await say(slack, "round Globex")
    now = int(time.time())

    payload, rid = candor(slack, "account_add Initech")
    assert (await slack.post(payload, timestamp=now))[0] == 200
    assert (await slack.post(payload, timestamp=now))[0] == 401
    assert [r["text"] for r in slack.api.responses_to(rid)] == [
        "Account «Initech» added (#2, tier standard, en, UTC)."
    ]  # not a second "already exists"

    answer = message_event(ANNA, slack.api.dm_channel_of(ANNA), "Good result")
    assert (await slack.post(answer, timestamp=now))[0] == 200
    sent = len(slack.dm(ANNA))
    # An event is keyed by its event_id in the inbox: replayed, it is already there.
    assert (await slack.post(answer, timestamp=now))[0] == 200
    assert len(slack.dm(ANNA)) == sent
    assert len(await slack.app.inbox.store.list()) == 1
    async with slack.app.uow() as u:
        assert [a.text for a in await u.answers.for_conversations([1])] == ["Good result"]
        assert [a.name for a in await u.accounts.list()] == ["Globex", "Initech"]

    # The same body signed afresh is a new request (a Slack retry): handled, but only once.
    assert (await slack.post(answer, timestamp=now + 1))[0] == 200
    assert len(slack.dm(ANNA)) == sent
    async with slack.app.uow() as u:
        assert len(await u.answers.for_conversations([1])) == 1


async def test_url_verification_answers_the_challenge(slack: SlackHarness) -> None:
    status, body = await slack.post(
        url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7")
    )
    assert status == 200
    assert json.loads(body) == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7"}
    status, _ = await slack.post(url_verification("unsigned"), secret="")
    assert status == 401


# --- Telegram and Slack in one process --------------------------------------------------------


async def test_one_process_serves_telegram_and_slack_against_one_database(
    api: FakeTelegramAPI, slack_api: FakeSlackAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings(
        telegram_bot_token=api.token,
        telegram_api_url=api.base_url,
        admin_telegram_ids=str(ADMIN_ID),
        slack_bot_token=slack_api.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api.api_url,
        slack_mode="http",
        admin_slack_ids=SLACK_ADMIN,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/both.db",
        company_name="Acme IT",
    )
    # As bot/run.py does it: every transport, one App over their messengers, attach, prepare.
    telegram = TelegramTransport(
        make_bot(settings),
        settings,
        limiter=TelegramLimiter(per_second=10_000, per_chat_per_second=10_000),
        handle_as_tasks=False,
    )
    slack_transport = SlackTransport(
        make_client(settings), settings, limiter=SlackLimiter(scale=1e4)
    )
    transports = {Channel.TELEGRAM: telegram, Channel.SLACK: slack_transport}
    app = await App.create(settings, {c: t.messenger for c, t in transports.items()}, clock)
    for transport in transports.values():
        transport.attach(app)
    for transport in transports.values():
        await transport.prepare(app)
    _share_telegram_name(transports)
    # A census link made on Slack opens the Telegram bot getMe named.
    assert slack_transport.context is not None
    assert slack_transport.context.telegram_bot_username == "candor_test_bot"
    serving = asyncio.create_task(telegram.serve(app.stop_event))
    http = TestClient(TestServer(slack_transport.web_app(), host="127.0.0.1"))
    try:
        await api.wait_until_polling()
        await http.start_server()
        tg = TelegramHarness(api, app, telegram, clock, settings, serving)
        slack = SlackHarness(slack_api, app, slack_transport, clock, settings, http)
        await _both_platforms_one_round(tg, slack)
    finally:
        await http.close()
        app.stop()
        await serving
        await telegram.close()
        await slack_transport.close()
        await app.close()


async def tg_say(tg: TelegramHarness, text: str, chat: int = ADMIN_ID) -> list[str]:
    before = len(tg.api.sent_to(chat))
    await tg.process(tg.api.text_message(chat, text, user_id=chat))
    return [m["text"] for m in tg.api.sent_to(chat)[before:]]


async def _both_platforms_one_round(tg: TelegramHarness, slack: SlackHarness) -> None:
    # One staff list for both platforms: each bootstrap admin, then Olga, linked to Telegram.
    async with slack.app.uow() as u:
        assert {(s.telegram_user_id, s.slack_user_id) for s in await u.staff.list()} == {
            (ADMIN_ID, None),
            (None, SLACK_ADMIN),
        }
    assert "added" in await say(slack, "account_add Globex gold en Europe/Moscow")
    added = await say(slack, f"staff_add owner <@{OLGA}|olga> Olga Owner")
    olga_id = re.fullmatch(r"Olga Owner added as owner \(#(\d+)\)\.", added)
    assert olga_id, added
    assert await say(slack, f"staff_link {olga_id[1]} telegram:{TG_OLGA}") == (
        f"Olga Owner is now also reachable as {TG_OLGA}."
    )
    assert "Olga Owner" in (await tg_say(tg, f"/owner Globex {TG_OLGA}"))[0]
    async with slack.app.uow() as u:
        olga = await u.staff.get(int(olga_id[1]))
    assert olga is not None
    assert (olga.telegram_user_id, olga.slack_user_id) == (TG_OLGA, OLGA)

    # A Slack contact found by e-mail, a Telegram contact by invite link.
    slack.api.add_user(ANNA, "anna@client.example", "Anna Smith")
    assert "added to «Globex»" in await say(slack, "invite Globex anna@client.example")
    [invite] = await tg_say(tg, '/invite Globex "Tom Telegram"')
    link = INVITE_LINK.search(invite)
    assert link, invite
    [welcome] = await tg_say(tg, f"/start {link[1]}", TG_TOM)
    assert welcome.startswith("Welcome, Tom Telegram!")

    # One round invites both: one DM on each platform.
    assert await tg_say(tg, "/round Globex") == [
        "Round «November 2026» opened for «Globex»: 2 contacts invited.\n"
        "Rounds ask stakeholders only."
    ]
    [tom_q1] = tg.texts(TG_TOM)[1:]  # the invitation heads question 1
    assert tom_q1.startswith("Hello, Tom Telegram!")
    assert "\n\nQuestion 1 of 3" in tom_q1
    [anna_q1] = slack.dm_texts(ANNA)
    assert anna_q1.startswith("Hello, Anna Smith!")
    assert "\n\nQuestion 1 of 3" in anna_q1
    async with slack.app.uow() as u:
        [round_] = await u.rounds.for_account(1)
        convs = await u.conversations.for_round(round_.id)
    assert len(convs) == 2

    # Both answer badly; Olga hears of each on the contact's own platform.
    await tg.process(tg.api.text_message(TG_TOM, "Terrible speed, very slow and awful"))
    assert tg.texts(TG_TOM)[-1].startswith("Question 2 of 3")
    [tg_alert] = tg.api.sent_to(TG_OLGA)
    assert "Tom Telegram" in tg_alert["text"] and "Terrible speed" in tg_alert["text"]
    assert "Anna" not in tg_alert["text"]
    tg_buttons = [b["text"] for row in tg_alert["reply_markup"]["inline_keyboard"] for b in row]
    assert tg_buttons == ["Acknowledge", "Ask the client", "Resolve"]
    assert slack.dm(OLGA) == []

    await write(slack, ANNA, NEGATIVE)
    assert slack.dm_texts(ANNA)[-1].startswith("Question 2 of 3")
    [slack_alert] = slack.dm(OLGA)
    assert slack_alert["text"] == "Negative feedback: Globex · Anna Smith"
    assert NEGATIVE in "\n".join(sections(slack_alert))
    assert block_problems(slack_alert["blocks"]) == []
    assert tg.api.sent_to(TG_OLGA) == [tg_alert]  # nothing more on Telegram
    async with slack.app.uow() as u:
        assert [(a.owner_id, a.status.value) for a in await u.alerts.list()] == [
            (olga.id, "open"),
            (olga.id, "open"),
        ]

    # The round's summary holds both contacts' answers, whichever platform asks.
    summary = await slack.app.service.round_summary(round_.id)
    assert (summary.invited, summary.responded) == (2, 2)
    by_contact = {row.contact: row.cells["outcome"].text for row in summary.rows}
    assert by_contact == {
        "Anna Smith": NEGATIVE,
        "Tom Telegram": "Terrible speed, very slow and awful",
    }
    payload, rid = candor(slack, "report Globex")
    await slack.post(payload)
    [reply] = slack.api.responses_to(rid)
    report = unescape("\n".join(b["text"]["text"] for b in reply["blocks"])).strip("`")
    assert "Responded: 2/2 (100%)" in report
    assert re.search(r"Tom Telegram\s+\| answering \| \[-\] Terrible speed", report)
    assert re.search(r"Anna Smith\s+\| answering \| \[-\] Terrible result", report)
    [tg_report] = await tg_say(tg, "/report Globex")
    assert "Responded: 2/2 (100%)" in tg_report
    assert "Tom Telegram" in tg_report and "Anna Smith" in tg_report
