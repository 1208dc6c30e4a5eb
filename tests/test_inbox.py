"""The inbox: updates are stored before they are acknowledged, bad ones are set aside
without blocking the rest, bad requests are refused with one log line, and bad text is
cleaned rather than lost — through the real aiogram and slack-bolt stacks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bench.cluster import database as fresh_database
from bot.app import App
from bot.inbox import Inbox
from bot.leader import Leadership
from bot.ops import ops_app
from bot.settings import load_settings
from bot.telegram.limiter import TelegramLimiter
from bot.telegram.transport import TelegramTransport, make_bot, new_update
from storage.db import create_engine
from storage.inbox import InboxStore, NewUpdate
from surveys.cleaning import clean_text
from surveys.model import Channel
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlackAPI, message_event, sign_request
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.slack_harness import SIGNING_SECRET, SlackHarness
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_telegram_clients import ANNA, BORIS, Q2_EN, answers_of, onboard, open_round

SECRET = "hook-secret"


# --- Telegram: polling ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def tg_any(
    request: pytest.FixtureRequest, api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[TelegramHarness]:
    """Candor on Telegram (long polling) on SQLite and on PostgreSQL."""
    async with fresh_database(request.param, tmp_path) as url:
        harness = await TelegramHarness.start(api, url, clock)
        try:
            yield harness
        finally:
            await harness.stop()


async def test_a_malformed_update_in_a_polling_batch_is_set_aside_and_blocks_nothing(
    tg_any: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    tg = tg_any
    await onboard(tg, ANNA, "Anna Smith")
    await onboard(tg, BORIS, "Boris Ivanov")
    await open_round(tg)
    await tg.deliver()
    # One getUpdates batch: Anna's answer, an update with no chat and no date (the fake's
    # push_update refuses off-spec updates, so it goes straight into its queue), Boris's.
    caplog.set_level(logging.WARNING)
    anna = tg.api.push_update(tg.api.text_message(ANNA, "Great result"))
    tg.api._updates.append({"update_id": anna + 1, "message": {"message_id": 9, "text": "x"}})
    tg.api._next_update_id += 1
    boris = tg.api.push_update(tg.api.text_message(BORIS, "Good outcome"))
    await tg.api.wait_confirmed(boris)  # the offset moved past all three: all are stored
    await tg.app.inbox.run_once()
    await tg.deliver()

    assert [a.text for a in await answers_of(tg, ANNA)] == ["Great result"]
    assert [a.text for a in await answers_of(tg, BORIS)] == ["Good outcome"]
    assert tg.texts(ANNA)[-1].startswith(Q2_EN) and tg.texts(BORIS)[-1].startswith(Q2_EN)
    # Keyed by the update id and a digest of the content.
    rows = {r.update_key.split(":")[0]: r for r in await tg.app.inbox.store.list()}
    poison = rows[str(anna + 1)]
    assert poison.status == "failed" and "not a Bot API update" in str(poison.last_error)
    assert rows[str(anna)].status == rows[str(boris)].status == "done"
    set_aside = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert len(set_aside) == 1 and set_aside[0].exc_info is None


async def test_an_update_id_telegram_gives_again_is_a_new_update(tg_any: TelegramHarness) -> None:
    # Telegram numbers updates in sequence, but after a week without any (or for a new bot
    # token) it starts again from another number: an update id seen long ago can come back
    # on a different update. The inbox took it for a redelivery and dropped it — a client's
    # answer lost without a word.
    tg = tg_any
    await onboard(tg, ANNA, "Anna Smith")
    await onboard(tg, BORIS, "Boris Ivanov")
    await open_round(tg)
    await tg.deliver()
    anna = tg.api.push_update(tg.api.text_message(ANNA, "Great result"))
    await tg.api.wait_confirmed(anna)
    await tg.app.inbox.run_once()
    tg.api._next_update_id = anna  # the numbering starts again where Anna's answer was
    await tg.process(tg.api.text_message(BORIS, "Good outcome"))

    assert [a.text for a in await answers_of(tg, ANNA)] == ["Great result"]
    assert [a.text for a in await answers_of(tg, BORIS)] == ["Good outcome"]
    assert tg.texts(BORIS)[-1].startswith(Q2_EN)


async def test_a_redelivery_of_an_update_stored_under_the_old_key_is_not_handled_again(
    tg_any: TelegramHarness,
) -> None:
    # The inbox keyed Telegram updates by update_id alone before it added a digest of the
    # content. An update stored under the old key, then sent again by Telegram after the
    # upgrade (the process died before confirming it; Telegram keeps it up to 24 hours),
    # got a new key and was stored and handled a second time.
    tg = tg_any
    store, inbox = tg.app.inbox.store, tg.app.inbox
    update = {**tg.api.text_message(ANNA, "hello"), "update_id": 501}
    raw = json.dumps(update)
    old = NewUpdate("telegram", str(update["update_id"]), f"chat:{ANNA}", raw)
    await store.record([old], tg.clock.now())  # as the version before the upgrade did
    assert await inbox.run_once() == 1

    tg.clock.advance(timedelta(hours=23))
    await inbox.record([new_update(json.loads(raw))])
    assert [r.update_key for r in await store.list("telegram")] == [old.update_key]
    assert await inbox.run_once() == 0

    # Another update under the same id (Telegram numbering again) is a new one.
    other = {**tg.api.text_message(BORIS, "another"), "update_id": 501}
    await inbox.record([new_update(other)])
    assert len(await store.list("telegram")) == 2
    assert await inbox.run_once() == 1


async def test_nul_and_lone_surrogates_are_cleaned_and_the_answer_marked(
    tg_any: TelegramHarness,
) -> None:
    tg = tg_any
    await onboard(tg, ANNA, "Anna Smith")
    await onboard(tg, BORIS, "Boris Ivanov")
    await open_round(tg)
    await tg.deliver()
    await tg.process(tg.api.text_message(ANNA, "Good\x00 result"))
    await tg.process(tg.api.text_message(BORIS, "Fine \ud83d work"))
    [anna] = await answers_of(tg, ANNA)
    [boris] = await answers_of(tg, BORIS)
    assert (anna.text, anna.cleaned) == ("Good\ufffd result", True)
    assert (boris.text, boris.cleaned) == ("Fine \ufffd work", True)
    assert tg.texts(ANNA)[-1].startswith(Q2_EN)  # the conversation went on as usual
    assert tg.texts(BORIS)[-1].startswith(Q2_EN)


def test_clean_text_leaves_ordinary_text_alone() -> None:
    assert clean_text("Всё хорошо 👍") == ("Всё хорошо 👍", False)
    assert clean_text("a\x00b\udc80") == ("a\ufffdb\ufffd", True)


# --- Telegram: webhook ------------------------------------------------------------------------


@pytest.fixture
async def hook(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[App, TestClient]]:
    settings = load_settings(
        telegram_bot_token=api.token,
        telegram_api_url=api.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/hook.db",
        admin_telegram_ids=str(ADMIN_ID),
        telegram_webhook_url="https://bot.example.com/tg/hook",
        telegram_webhook_secret=SECRET,
    )
    transport = TelegramTransport(
        make_bot(settings), settings, limiter=TelegramLimiter(10_000, 10_000)
    )
    app = await App.create(settings, {Channel.TELEGRAM: transport.messenger}, clock)
    transport.attach(app)
    client = TestClient(TestServer(transport.webhook_app()))
    await client.start_server()
    try:
        yield app, client
    finally:
        await client.close()
        await transport.close()
        await app.close()


@pytest.mark.parametrize(
    ("body", "secret", "status"),
    [
        (b"{not json", SECRET, 400),
        (b"", SECRET, 400),
        (b"\xff\xfe\xfa", SECRET, 400),
        (b"[1, 2]", SECRET, 400),
        (b'{"message": {}}', SECRET, 400),  # no update_id
        (b"{not json", "wrong", 401),
        (b"{not json", None, 401),
    ],
)
async def test_the_webhook_refuses_bad_requests_with_one_log_line(
    hook: tuple[App, TestClient],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    secret: str | None,
    status: int,
) -> None:
    app, client = hook
    caplog.set_level(logging.INFO)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    response = await client.post("/tg/hook", data=body, headers=headers)
    assert response.status == status
    assert await app.inbox.store.list() == []
    # Every record but the test server's access log (Candor runs without one).
    mine = [r for r in caplog.records if r.name != "aiohttp.access"]
    assert len(mine) == 1 and mine[0].exc_info is None, [r.getMessage() for r in mine]
    assert "Traceback" not in caplog.text


async def test_the_same_update_posted_twice_is_stored_and_handled_once(
    hook: tuple[App, TestClient], api: FakeTelegramAPI
) -> None:
    app, client = hook
    update = api.text_message(ANNA, "hello")
    update["update_id"] = 77
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    statuses = await asyncio.gather(
        *(client.post("/tg/hook", json=update, headers=headers) for _ in range(2))
    )
    assert [r.status for r in statuses] == [200, 200]
    assert [r.update_key.split(":")[0] for r in await app.inbox.store.list()] == ["77"]
    assert await app.inbox.run_once() == 1
    assert await app.inbox.run_once() == 0


# --- Slack ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "signed", "status"),
    [
        (b"{not json", "application/json", False, 401),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded", False, 401),
        (b"{not json", "application/json", True, 400),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded", True, 400),
        (b"\xff\xfe{", "application/json", True, 400),
        (b"[]", "application/json", True, 400),
        (b"", "application/x-www-form-urlencoded", True, 400),
    ],
)
async def test_slack_refuses_unsigned_or_malformed_requests_with_one_log_line(
    slack: SlackHarness,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    signed: bool,
    status: int,
) -> None:
    caplog.set_level(logging.INFO)
    headers = {"Content-Type": content_type}
    if signed:
        headers.update(sign_request(body, SIGNING_SECRET))
    response = await slack.http.post(slack.settings.slack_path, data=body, headers=headers)
    assert response.status == status
    assert await slack.app.inbox.store.list() == []
    mine = [r for r in caplog.records if r.name != "aiohttp.access"]
    assert len(mine) == 1 and mine[0].exc_info is None, [r.getMessage() for r in mine]
    assert "Traceback" not in caplog.text


async def test_a_slack_event_is_answered_once_stored_and_handled_after(
    slack: SlackHarness, slack_api: FakeSlackAPI
) -> None:
    event = message_event("UANNA01", slack_api.dm_channel_of("UANNA01"), "hello")
    body, content_type = event
    headers = {"Content-Type": content_type, **sign_request(body, SIGNING_SECRET)}
    response = await slack.http.post(slack.settings.slack_path, data=body, headers=headers)
    assert response.status == 200
    [row] = await slack.app.inbox.store.list()
    assert row.status == "pending" and row.channel == "slack"
    assert await slack.app.inbox.run_once() == 1
    [row] = await slack.app.inbox.store.list()
    assert row.status == "done"


# --- the inbox itself -------------------------------------------------------------------------


class CountingStore(InboxStore):
    commits = 0

    async def record(self, updates: Any, now: Any) -> None:
        CountingStore.commits += 1
        await super().record(updates, now)


async def test_a_burst_is_stored_in_a_few_group_commits(tmp_path: Path, clock: FakeClock) -> None:
    app = await App.create(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/b.db"), {}, clock
    )
    try:
        store = CountingStore(app.inbox.store.sessions, "sqlite")
        inbox = Inbox(store, clock)
        CountingStore.commits = 0
        updates = [NewUpdate("telegram", str(i), f"chat:{i}", "{}") for i in range(500)]
        await asyncio.gather(*(inbox.record([u]) for u in updates))
        assert len(await store.list()) == 500
        assert CountingStore.commits < 50  # not one transaction per update
        await inbox.close()
    finally:
        await app.close()


async def test_a_failing_update_is_retried_then_set_aside_and_never_blocks_others(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = await App.create(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db"), {}, clock
    )
    try:
        inbox = Inbox(app.inbox.store, clock, workers=2, max_attempts=3)
        handled: list[str] = []

        async def processor(payload: dict[str, Any]) -> None:
            if payload["n"] == 0:
                raise RuntimeError("handler bug")
            handled.append(str(payload["n"]))

        inbox.register("telegram", processor)
        await inbox.record([
            NewUpdate("telegram", str(n), "chat:1" if n < 2 else f"chat:{n}", f'{{"n": {n}}}')
            for n in range(4)
        ])  # fmt: skip
        await inbox.run_once()
        # Others' updates went on; the same chat's next update waits for its turn.
        assert handled == ["2", "3"]
        for _ in range(3):
            clock.advance(timedelta(minutes=10))
            await inbox.run_once()
        assert handled == ["2", "3", "1"]
        statuses = {r.update_key: r.status for r in await inbox.store.list()}
        assert statuses == {"0": "failed", "1": "done", "2": "done", "3": "done"}
        assert sum("set aside after 3 attempts" in r.getMessage() for r in caplog.records) == 1
        await inbox.close()
    finally:
        await app.close()


async def test_an_update_left_processing_by_a_dead_process_is_handled_again(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = await App.create(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/d.db"), {}, clock
    )
    try:
        store = app.inbox.store
        await store.record([NewUpdate("telegram", "1", "chat:1", "{}")], clock.now())
        now = clock.now()
        [claimed] = await store.claim(now, now + timedelta(seconds=60), 5, ["telegram"])
        # The claiming process dies here. Within the lease nobody takes it ...
        assert await store.requeue_stale(clock.now()) == 0
        clock.advance(timedelta(seconds=61))
        assert await store.requeue_stale(clock.now()) == 1
        [again] = await store.claim(clock.now(), clock.now(), 5, ["telegram"])
        assert again.id == claimed.id and again.attempts == 2
    finally:
        await app.close()


async def test_on_sqlite_a_restarted_process_takes_back_at_once_what_it_was_handling(
    tmp_path: Path, clock: FakeClock
) -> None:
    """kill -9 while an answer was in hand: on SQLite (one process) the restarted bot handles
    it at once instead of a lease (60 s) later, which a client waiting for the next question
    would notice."""
    url = f"sqlite+aiosqlite:///{tmp_path}/d.db"
    first = await App.create(load_settings(database_url=url), {}, clock)
    try:
        await first.inbox.store.record([NewUpdate("telegram", "7", "chat:1", "{}")], clock.now())
        now = clock.now()
        assert await first.inbox.store.claim(now, now + timedelta(seconds=60), 5, ["telegram"])
    finally:
        await first.close()  # the process dies holding the claim; the clock does not move
    second = await App.create(load_settings(database_url=url), {}, clock)
    try:
        inbox = second.inbox
        assert inbox.store.single_process
        handled = asyncio.Event()

        async def processor(payload: dict[str, Any]) -> None:
            handled.set()

        inbox.register("telegram", processor)
        stop = asyncio.Event()
        running = asyncio.create_task(inbox.run_forever(stop, poll_seconds=0.01))
        try:
            await asyncio.wait_for(handled.wait(), 5)
        finally:
            stop.set()
            await running
        assert [r.status for r in await inbox.store.list()] == ["done"]
    finally:
        await second.close()


# --- one delivering process -------------------------------------------------------------------


@pytest.mark.postgres
async def test_one_process_leads_delivery_and_another_takes_over_when_it_stops(
    tmp_path: Path,
) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        engines = [create_engine(url), create_engine(url)]
        stops = [asyncio.Event(), asyncio.Event()]
        leading: list[int] = []
        led = [asyncio.Event(), asyncio.Event()]

        def work(n: int) -> Any:
            async def run(end: asyncio.Event) -> None:
                leading.append(n)
                led[n].set()
                await end.wait()

            return run

        first = Leadership(engines[0], retry_seconds=0.05)
        second = Leadership(engines[1], retry_seconds=0.05)
        tasks = [asyncio.create_task(first.run(work(0), stops[0]))]
        async with asyncio.timeout(5):
            await led[0].wait()
        tasks.append(asyncio.create_task(second.run(work(1), stops[1])))
        await asyncio.sleep(0.3)
        assert leading == [0] and not second.leading  # never two at once
        stops[0].set()  # the leader goes away ...
        async with asyncio.timeout(5):
            await led[1].wait()
        assert leading == [0, 1]  # ... and the other one takes over
        stops[1].set()
        await asyncio.gather(*tasks)
        for engine in engines:
            await engine.dispose()


# --- operators --------------------------------------------------------------------------------


async def test_health_readiness_and_metrics(tmp_path: Path, clock: FakeClock) -> None:
    app = await App.create(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/o.db"), {}, clock
    )
    try:
        await app.inbox.record([NewUpdate("telegram", "1", "chat:1", "{}")])
        async with TestClient(TestServer(ops_app(app))) as client:
            assert (await client.get("/healthz")).status == 200
            ready = await client.get("/readyz")
            assert ready.status == 200, await ready.text()
            metrics = await (await client.get("/metrics")).text()
        for name in (
            "candor_updates_received_total", "candor_updates_stored_total",
            "candor_updates_failed_total", "candor_send_seconds", "candor_sends_total",
            "candor_sentiment_seconds", "candor_alerts",
        ):  # fmt: skip
            assert name in metrics, name
        assert 'candor_inbox_depth{status="pending"} 1.0' in metrics
    finally:
        await app.close()


async def test_readiness_fails_when_migrations_are_behind(tmp_path: Path, clock: FakeClock) -> None:
    from storage import migrate

    app = await App.create(
        load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/m.db"), {}, clock
    )
    try:
        await migrate.downgrade(app.engine, "0002")
        async with TestClient(TestServer(ops_app(app))) as client:
            ready = await client.get("/readyz")
            assert ready.status == 503 and "0002" in await ready.text()
    finally:
        await app.close()
