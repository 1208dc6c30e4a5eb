"""Slack's three seconds under load: a burst of signed requests to `candor run`'s Slack
HTTP endpoint (against the fake Web API) — Events API messages (answers), slash commands
and button presses mixed — and how long each waited for its acknowledgement.

    PYTHONPATH=. .venv/bin/python -m bench.slack_ack --db postgresql --events 2000 \
        --commands 300 --buttons 300

Events are acknowledged once stored in the inbox; slash commands and buttons are answered
by bolt with ``process_before_response``, i.e. after their listener has run and committed
(so what a command or button changes is stored before Slack hears back). The report gives
p50 / p99 / max time to acknowledgement per kind, how many took over 3 s, and checks that
every acknowledged request's effect is in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bench.cluster import ROOT, Candor, database, free_port, wait_inbox_settled
from bot.app import App
from bot.settings import load_settings
from storage.db import create_engine
from storage.models import AnswerRow, ContactRow, ConversationRow, OutboxRow
from surveys.model import (
    Account,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Language,
    Staff,
    StaffRole,
)
from tests.fakes.slack_api import (
    FakeSlackAPI,
    block_action,
    dm_channel_id,
    message_event,
    sign_request,
    slash_command,
)

SECRET = "bench-signing-secret"
ADMIN = "UADMIN1"
ACK_LIMIT = 3.0  # seconds Slack waits before it shows the user an error (or retries)


async def seed(url: str, contacts: int) -> dict[str, tuple[int, str]]:
    """Slack contacts in an open round: user id -> (conversation id, first question key)."""
    app = await App.create(load_settings(database_url=url), {})
    try:
        async with app.uow() as uow:
            owner = await uow.staff.add(
                Staff(0, "Olga Owner", StaffRole.OWNER, Language.EN,
                      slack_user_id=ADMIN, digest=False)
            )  # fmt: skip
            account = await uow.accounts.add(Account(0, "Globex", owner.id))
            for i in range(contacts):
                await uow.contacts.add(
                    Contact(0, account.id, f"Client {i}", ContactLevel.STAKEHOLDER,
                            Language.EN, ContactStatus.ACTIVE, Channel.SLACK, f"U{i:07d}")
                )  # fmt: skip
            await uow.commit()
        await app.service.open_round(account.id, "sprint-1", "Sprint 1")
        async with app.engine.begin() as conn:
            # The invitations count as delivered: the burst is about what comes back.
            await conn.execute(OutboxRow.__table__.update().values(status="sent"))
            rows = await conn.execute(
                select(ContactRow.address, ConversationRow.id, ConversationRow.question_keys).join(
                    ConversationRow, ConversationRow.contact_id == ContactRow.id
                )
            )
            return {str(user): (conv, str(keys[0])) for user, conv, keys in rows.all()}
    finally:
        await app.close()


def slack_candor(api: FakeSlackAPI, url: str, workdir: Path) -> tuple[Candor, int]:
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "TELEGRAM_", "SLACK_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        SLACK_BOT_TOKEN=api.bot_token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api.api_url,
        CANDOR_SLACK_MODE="http",
        CANDOR_SLACK_PORT=str(port),
        CANDOR_ADMIN_SLACK_IDS=ADMIN,
        CANDOR_DATABASE_URL=url,
        CANDOR_OPS_PORT=str(free_port()),
        CANDOR_LOG_LEVEL="WARNING",
        CANDOR_SENTIMENT_ANALYSER="baseline",
        CANDOR_INBOX_LEASE="60s",
        CANDOR_DELIVERY_LEASE="60s",
    )
    return Candor(0, env, workdir, int(env["CANDOR_OPS_PORT"])), port


def requests(
    api: FakeSlackAPI, users: list[str], events: int, commands: int, buttons: int,
    convs: dict[str, tuple[int, str]],
) -> list[tuple[str, str, bytes, str]]:  # fmt: skip
    """(kind, user, body, content type), shuffled: answers from the first ``events``
    contacts, `/candor lang ru` from the next ``commands`` (a write) plus the owner's
    `/candor alerts` (a read), Skip pressed by the next ``buttons``."""
    out: list[tuple[str, str, bytes, str]] = []
    for user in users[:events]:
        out.append(("event", user, *message_event(user, dm_channel_id(user), "Great result")))
    for i, user in enumerate(users[events : events + commands]):
        who, text = (ADMIN, "alerts") if i % 2 else (user, "lang ru")
        body = slash_command("/candor", text, who, dm_channel_id(who),
                             response_url=api.response_url(f"cmd{i}"))  # fmt: skip
        out.append(("command", who if who == ADMIN else user, *body))
    for i, user in enumerate(users[events + commands : events + commands + buttons]):
        conv, key = convs[user]
        body = block_action(user, dm_channel_id(user), "survey_skip",
                            json.dumps({"c": conv, "q": key}), message_ts=f"{i + 1}.000100",
                            response_url=api.response_url(f"btn{i}"))  # fmt: skip
        out.append(("button", user, *body))
    random.Random(9).shuffle(out)
    return out


async def post_all(
    port: int, batch: list[tuple[str, str, bytes, str]], in_flight: int
) -> tuple[dict[str, list[float]], dict[str, set[str]], int]:
    """Each request's seconds to its acknowledgement, by kind; who got a 200, by kind."""
    waits: dict[str, list[float]] = defaultdict(list)
    acked: dict[str, set[str]] = defaultdict(set)
    failed = 0
    slots = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:

        async def one(kind: str, user: str, body: bytes, content_type: str) -> None:
            nonlocal failed
            async with slots:
                headers = {"Content-Type": content_type, **sign_request(body, SECRET)}
                started = time.monotonic()
                async with session.post(
                    f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
                ) as response:
                    await response.read()
                waits[kind].append(time.monotonic() - started)
                if response.status == 200:
                    acked[kind].add(user)
                else:
                    failed += 1

        await asyncio.gather(*(one(*request) for request in batch))
    return waits, acked, failed


def _summary(waits: list[float]) -> dict[str, float | int]:
    ordered = sorted(waits)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "n": len(ordered),
        "p50_ms": round(1000 * statistics.median(ordered)),
        "p99_ms": round(1000 * p99),
        "max_ms": round(1000 * ordered[-1]),
        "over_3s": sum(1 for w in ordered if w > ACK_LIMIT),
    }


async def stored_effects(url: str) -> tuple[set[str], set[str], set[str]]:
    """Users with a stored answer, users now speaking Russian, users whose question moved
    on (a skip)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            answered = {
                str(u)
                for u in await conn.scalars(
                    select(ContactRow.address)
                    .join(ConversationRow, ConversationRow.contact_id == ContactRow.id)
                    .join(AnswerRow, AnswerRow.conversation_id == ConversationRow.id)
                )
            }
            russian = {
                str(u)
                for u in await conn.scalars(
                    select(ContactRow.address).where(ContactRow.language == "ru")
                )
            }
            moved = {
                str(u)
                for u in await conn.scalars(
                    select(ContactRow.address)
                    .join(ConversationRow, ConversationRow.contact_id == ContactRow.id)
                    .where(ConversationRow.question_index > 0)
                )
            }
    finally:
        await engine.dispose()
    return answered, russian, moved


async def run(db: str, events: int, commands: int, buttons: int, in_flight: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="candor-slack-bench-"))
    async with FakeSlackAPI() as api, database(db, tmp) as url:
        convs = await seed(url, events + commands + buttons)
        users = sorted(convs)
        candor, port = slack_candor(api, url, tmp)
        await candor.start()
        try:
            await candor.wait_listening()
            batch = requests(api, users, events, commands, buttons, convs)
            started = time.monotonic()
            waits, acked, failed = await post_all(port, batch, in_flight)
            seconds = time.monotonic() - started
            await wait_inbox_settled(url, 3600)
            answered, russian, moved = await stored_effects(url)
        finally:
            if candor.process is not None and candor.process.returncode is None:
                await candor.terminate()
    lang_users = {u for u in acked["command"] if u != ADMIN}
    return {
        "db": db,
        "in_flight": in_flight,
        "requests_per_s": round(len(batch) / seconds),
        **{kind: _summary(w) for kind, w in sorted(waits.items())},
        "refused": failed,
        # Acknowledged but not in the database: must all be 0.
        "events_not_stored": len(acked["event"] - answered),
        "lang_commands_not_stored": len(lang_users - russian),
        "skips_not_stored": len(acked["button"] - moved),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--buttons", type=int, default=300)
    parser.add_argument("--in-flight", type=int, default=100)
    args = parser.parse_args()
    report = asyncio.run(run(args.db, args.events, args.commands, args.buttons, args.in_flight))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
