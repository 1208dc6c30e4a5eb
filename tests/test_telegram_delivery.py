"""Delivery over Telegram: rate limits, blocked users, server errors, long texts, webhooks."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.settings import load_settings
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.menus import MENU_KIND
from bot.telegram.render import TELEGRAM_TEXT_LIMIT, alert_html, tg_len
from bot.telegram.transport import TelegramTransport, make_bot
from surveys.model import (
    Address,
    Channel,
    Contact,
    ContactStatus,
    Language,
    OutboxStatus,
    OutgoingMessage,
)
from surveys.staff import AccountOptions
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_harness import ADMIN_ID, TelegramHarness

ANNA = 5001
MAX = 7002
INVITE_LINK = re.compile(r"https://t\.me/candor_test_bot\?start=([\w-]+)")
ADMIN = Address(Channel.TELEGRAM, str(ADMIN_ID))


# --- helpers ------------------------------------------------------------------------------


async def say(tg: TelegramHarness, text: str, user: int = ADMIN_ID) -> list[str]:
    before = len(tg.api.sent_to(user))
    await tg.process(tg.api.text_message(user, text, user_id=user))
    return [m["text"] for m in tg.api.sent_to(user)[before:]]


def send_attempts(tg: TelegramHarness, chat: int) -> int:
    return len([c for c in tg.api.calls_to("sendMessage") if c.params["chat_id"] == chat])


async def outbox(tg: TelegramHarness) -> list[OutgoingMessage]:
    """The messages recorded, without the command menus (tests/test_telegram_menus.py)."""
    async with tg.app.uow() as u:
        return [m for m in await u.outbox.list() if m.kind != MENU_KIND]


async def globex_with_anna(tg: TelegramHarness) -> None:
    """Globex, owned by the admin, with Anna joined by her invite link."""
    await say(tg, "/account_add Globex gold en Europe/Moscow")
    await say(tg, f"/owner Globex {ADMIN_ID}")
    link = INVITE_LINK.search((await say(tg, '/invite Globex "Anna Smith"'))[-1])
    assert link
    assert "Welcome, Anna Smith" in (await say(tg, f"/start {link[1]}", ANNA))[0]


# --- 429, 403, 5xx ------------------------------------------------------------------------


async def test_a_429_is_retried_only_after_telegrams_retry_after(tg: TelegramHarness) -> None:
    tg.api.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 3",
        retry_after=3,
        chat_id=ADMIN_ID,
    )
    start = tg.clock.now()
    staff = tg.api.text_message(ADMIN_ID, "/staff", user_id=ADMIN_ID, first_name="Ada Admin")
    await tg.process(staff, deliver=False)
    stats = await tg.deliver()
    assert (stats.sent, stats.retried) == (0, 1)
    assert send_attempts(tg, ADMIN_ID) == 1 and tg.texts(ADMIN_ID) == []
    [message] = await outbox(tg)
    assert message.status is OutboxStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == start + timedelta(seconds=3)
    assert "Too Many Requests" in (message.last_error or "")

    tg.clock.advance(timedelta(seconds=2))
    stats = await tg.deliver()
    assert (stats.sent, stats.retried) == (0, 0)
    assert send_attempts(tg, ADMIN_ID) == 1 and tg.texts(ADMIN_ID) == []

    tg.clock.advance(timedelta(seconds=1, milliseconds=500))
    stats = await tg.deliver()
    assert stats.sent == 1
    assert send_attempts(tg, ADMIN_ID) == 2
    [table] = tg.texts(ADMIN_ID)
    assert "Ada Admin" in table
    [message] = await outbox(tg)
    assert message.status is OutboxStatus.SENT and message.attempts == 2


async def test_a_blocked_contact_becomes_unreachable_and_staff_are_told(
    tg: TelegramHarness,
) -> None:
    await globex_with_anna(tg)
    await say(tg, f"/staff_add manager {MAX} Max Manager")
    welcomed = send_attempts(tg, ANNA)
    tg.api.fail_next(  # she has blocked the bot, and it stays blocked
        "sendMessage",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=ANNA,
        times=100,
    )
    # The round's one message for Anna (invitation and first question) fails.
    await tg.process(tg.api.text_message(ADMIN_ID, "/round Globex", user_id=ADMIN_ID))
    assert send_attempts(tg, ANNA) == welcomed + 1
    assert len(tg.texts(ANNA)) == 1  # only the welcome from before

    async with tg.app.uow() as u:
        anna = await u.contacts.get(1)
        to_anna = [m for m in await u.outbox.list() if m.recipient.address == str(ANNA)]
    assert anna is not None and anna.status is ContactStatus.UNREACHABLE
    by_kind = {m.kind: m for m in to_anna}
    assert by_kind["question"].status is OutboxStatus.FAILED
    assert "blocked" in (by_kind["question"].last_error or "")

    for staff_chat in (ADMIN_ID, MAX):  # the owner and the manager
        told = [t for t in tg.texts(staff_chat) if t.startswith("Could not reach")]
        assert told == [
            "Could not reach Anna Smith (Globex) on Telegram: they blocked the bot. "
            "They are marked unreachable."
        ], staff_chat

    # Later deliveries leave the chat alone: no retries, no reminder, no closing notice.
    attempts = send_attempts(tg, ANNA)
    for _ in range(3):
        stats = await tg.deliver()
        assert (stats.sent, stats.retried, stats.failed) == (0, 0, 0)
    tg.clock.advance(timedelta(days=3))  # past the reminder
    await tg.app.service.tick()
    await tg.deliver()
    tg.clock.advance(timedelta(days=5))  # past the expiry
    await tg.app.service.tick()
    await tg.deliver()
    assert send_attempts(tg, ANNA) == attempts
    assert len([t for t in tg.texts(ADMIN_ID) if t.startswith("Could not reach")]) == 1
    [status] = await say(tg, "/status Globex")
    assert "expired 1" in status  # the conversation still ran its course


async def test_a_blocked_contact_who_writes_again_is_reachable_again(
    tg: TelegramHarness,
) -> None:
    await globex_with_anna(tg)
    tg.api.fail_next(
        "sendMessage",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=ANNA,
    )
    await say(tg, "/round Globex")
    async with tg.app.uow() as u:
        assert (await u.contacts.get(1)).status is ContactStatus.UNREACHABLE  # type: ignore[union-attr]
    # Unblocking and writing is the only way back, and it works.
    replies = await say(tg, "Good result overall", ANNA)
    assert replies and "Question 2 of 3" in replies[-1]
    async with tg.app.uow() as u:
        assert (await u.contacts.get(1)).status is ContactStatus.ACTIVE  # type: ignore[union-attr]


async def test_a_server_error_is_retried_with_backoff(tg: TelegramHarness) -> None:
    tg.api.fail_next(
        "sendMessage", error_code=500, description="Internal Server Error", chat_id=ADMIN_ID
    )
    start = tg.clock.now()
    await tg.process(tg.api.text_message(ADMIN_ID, "/alerts", user_id=ADMIN_ID), deliver=False)
    stats = await tg.deliver()
    assert (stats.sent, stats.retried, stats.failed) == (0, 1, 0)
    [message] = await outbox(tg)
    assert message.status is OutboxStatus.PENDING and message.next_attempt_at is not None
    # The first backoff is 2 s with jitter: between 1 and 2 s from now.
    assert start + timedelta(seconds=1) <= message.next_attempt_at <= start + timedelta(seconds=2)
    assert (await tg.deliver()).sent == 0  # not due yet
    assert send_attempts(tg, ADMIN_ID) == 1

    tg.clock.advance(timedelta(seconds=2))
    assert (await tg.deliver()).sent == 1
    assert send_attempts(tg, ADMIN_ID) == 2
    assert tg.texts(ADMIN_ID) == ["No open alerts."]


# --- long texts ---------------------------------------------------------------------------


async def test_a_long_report_is_split_in_order_within_telegrams_limit(
    tg: TelegramHarness,
) -> None:
    # Report-like rows with characters that need escaping; about 9,000 characters in all.
    lines = [f"row {i:03d} | Ünïcödé <b>&amp; «quoted»</b> | {'x' * 40}" for i in range(120)]
    text = "\n".join(lines)
    assert 8500 < len(text) < 10_000
    await tg.app.service.notify(ADMIN, text, Language.EN, "long-report", pre=True)
    assert (await tg.deliver()).sent == 1
    parts = tg.api.sent_to(ADMIN_ID)
    assert len(parts) == 3
    for part in parts:
        assert tg_len(part["text"]) <= TELEGRAM_TEXT_LIMIT
        assert part["entities"] == [{"type": "pre", "offset": 0, "length": tg_len(part["text"])}]
    # In order, cut at line ends, nothing lost or repeated.
    assert "\n".join(p["text"] for p in parts) == text
    assert [p["message_id"] for p in parts] == sorted(p["message_id"] for p in parts)


async def test_a_long_line_of_emoji_is_cut_hard_within_the_limit(tg: TelegramHarness) -> None:
    text = "Отчёт 😀 " * 1000  # 8,000 characters, 9,000 UTF-16 code units, no line breaks
    await tg.app.service.notify(ADMIN, text, Language.RU, "long-notice")
    assert (await tg.deliver()).sent == 1
    parts = [m["text"] for m in tg.api.sent_to(ADMIN_ID)]
    assert len(parts) == 3
    assert all(tg_len(p) <= TELEGRAM_TEXT_LIMIT for p in parts)
    assert tg_len(parts[0]) >= TELEGRAM_TEXT_LIMIT - 1  # filled, an emoji is never split
    assert "".join(parts) == text


async def test_an_alert_with_a_huge_answer_is_shortened_into_one_message(
    tg: TelegramHarness,
) -> None:
    # 40,000 characters (Slack's longest message; Telegram's come in pieces, joined), more
    # UTF-16 units.
    answer = ("Ужасно 😡 <плохо> & " * 2110)[:40_000]
    assert len(answer) == 40_000 and tg_len(answer) > 40_000
    fields: dict[str, Any] = {
        "alert_id": 7,
        "account": "Globex & Sons",
        "contact": "Анна <Smith>",
        "round": "2026-Q4",
        "question_key": "outcome",
        "question": "outcome",
        "answer": answer,
        "evidence": ["ужасно", "плохо"],
        "lang": "en",
    }
    rendered = alert_html(fields, Language.EN)
    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert tg_len(visible) <= TELEGRAM_TEXT_LIMIT
    assert visible.endswith("«ужасно», «плохо»")
    # It said "the full answer is in the report", where answers are clipped to a cell.
    assert "… (shortened; /alert 7 shows the whole answer)" in visible

    message = OutgoingMessage(
        recipient=ADMIN,
        kind="alert",
        payload={"lang": "en", "alert": fields, "buttons": ["ack", "resolve"]},
        idempotency_key="alert:huge",
    )
    sent_id = await tg.transport.messenger.send(message)
    [sent] = tg.api.sent_to(ADMIN_ID)
    assert sent_id == str(sent["message_id"])
    assert sent["text"] == visible  # Telegram parsed our HTML to exactly this text
    assert tg_len(sent["text"]) <= TELEGRAM_TEXT_LIMIT
    assert "Globex & Sons" in sent["text"] and "Анна <Smith>" in sent["text"]
    quote = next(e for e in sent["entities"] if e["type"] == "blockquote")
    assert quote["length"] > 3000  # most of the answer made it
    buttons = sent["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["Acknowledge", "Ask the client", "Resolve"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)


async def test_an_alert_that_fits_is_not_shortened(tg: TelegramHarness) -> None:
    fields = {
        "alert_id": 1,
        "account": "Globex",
        "contact": "Anna",
        "round": "2026-Q4",
        "question": "speed",
        "answer": "Слишком медленно 🐢 " * 100,
        "evidence": [],
    }
    rendered = alert_html(fields, Language.EN)
    assert "shortened" not in rendered and ("Слишком медленно 🐢 " * 100) in rendered


# --- the limiter --------------------------------------------------------------------------


async def test_the_limiter_keeps_per_chat_and_overall_budgets() -> None:
    limiter = TelegramLimiter(per_second=100, per_chat_per_second=1)
    chat_a, chat_b = 101, 202
    async with limiter.slot(chat_a):
        pass
    assert not limiter.chat_has_capacity(chat_a)
    assert limiter.chat_has_capacity(chat_b)
    # Sends are spread at the rate (a bucket of three absorbs a late wake-up, no more).
    loop = asyncio.get_running_loop()
    started = loop.time()
    for chat in range(1000, 1020):  # each to its own chat: only the overall budget paces
        async with limiter.slot(chat):
            pass
    assert loop.time() - started >= (20 - 3) / 100 * 0.95
    assert limiter.chat_has_capacity(chat_b)  # B still has its own budget


# --- webhook ------------------------------------------------------------------------------


async def test_the_webhook_takes_only_requests_carrying_the_secret(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings(
        telegram_bot_token=api.token,
        telegram_api_url=api.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/hook.db",
        admin_telegram_ids=str(ADMIN_ID),
        company_name="Acme IT",
        telegram_webhook_url="https://bot.example.com/tg/hook",
        telegram_webhook_secret="s3cret-token",
    )
    transport = TelegramTransport(
        make_bot(settings),
        settings,
        limiter=TelegramLimiter(per_second=10_000, per_chat_per_second=10_000),
    )
    app = await App.create(settings, {Channel.TELEGRAM: transport.messenger}, clock)
    try:
        transport.attach(app)
        await transport.prepare(app)
        await app.delivery.run_once()  # the command menus start-up records
        assert transport.context is not None
        commands = transport.context.commands
        admin = await commands.actor(ADMIN)
        assert admin is not None
        await commands.add_account(admin, "Globex", AccountOptions(tier="gold"))
        token = (await commands.invite(admin, "Globex", "Anna Smith")).link_token
        assert token

        update = api.text_message(ANNA, f"/start {token}")
        update["update_id"] = 1
        async with TestClient(TestServer(transport.webhook_app())) as client:
            app.delivery.wake.clear()
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong-token"}):
                response = await client.post("/tg/hook", json=update, headers=headers)
                assert response.status == 401
            await _settle()
            assert not app.delivery.wake.is_set()
            assert await _outbox_len(app) == 0
            assert (await _anna(app)).status is ContactStatus.INVITED
            assert api.calls_to("sendMessage") == []

            good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            app.delivery.wake.clear()
            response = await client.post("/tg/hook", json=update, headers=good)
            assert response.status == 200
            # 200 means stored in the inbox; an inbox worker then handles it.
            [stored] = await app.inbox.store.list()
            assert stored.update_key.startswith("1:") and stored.status == "pending"
            assert await app.inbox.run_once() == 1
            assert app.delivery.wake.is_set()
            assert await _outbox_len(app) == 1
            anna = await _anna(app)
            assert anna.status is ContactStatus.ACTIVE and anna.address == str(ANNA)
        assert (await app.delivery.run_once()).sent == 2  # the welcome and Anna's menu
        [welcome] = api.sent_to(ANNA)
        assert welcome["text"].startswith("Welcome, Anna Smith!")
        assert api.calls_to("getUpdates") == []  # nothing polled: updates came by webhook
    finally:
        await transport.close()
        await app.close()


async def _settle() -> None:
    # Give any (wrongly) started background handling a chance to run.
    for _ in range(20):
        await asyncio.sleep(0)


async def _outbox_len(app: App) -> int:
    """Messages recorded (command menus, recorded at start-up and on joining, aside)."""
    async with app.uow() as u:
        return len([m for m in await u.outbox.list() if m.kind != MENU_KIND])


async def _anna(app: App) -> Contact:
    async with app.uow() as u:
        anna = await u.contacts.get(1)
    assert anna is not None
    return anna
