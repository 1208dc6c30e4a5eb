"""`candor run` processes against the fake Telegram Bot API, with the faults an operator
meets: bursts, kill -9, SIGTERM, an unreachable platform. Used by the fault suite
(tests/test_faults.py, small sizes) and by the benchmarks (bench/inbound.py, big sizes).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, text, update

from bot.app import App
from bot.settings import load_settings
from bot.telegram.menus import MENU_KIND
from storage.db import create_engine
from storage.models import AnswerRow, InboxRow, OutboxRow
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
from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get(
    "CANDOR_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
SECRET = "fault-suite-secret"
OWNER = 5_000_001
FIRST_CHAT = 10_000_000
POSITIVE = "Great result, we are satisfied with the outcome"
NEGATIVE = "Terrible, nothing works and nobody answers"


@contextlib.asynccontextmanager
async def database(kind: str, tmp: Path) -> AsyncIterator[str]:
    """A fresh database URL: a SQLite file, or a new PostgreSQL database (dropped after)."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp}/candor.db"
        return
    name = f"candor_fault_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_SERVER.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def seed(url: str, contacts: int, *, invitations_sent: bool) -> list[int]:
    """An owner, an account, ``contacts`` Telegram contacts and an open round. With
    ``invitations_sent`` the round's invitations count as delivered (inbound tests)."""
    settings = load_settings(database_url=url)
    app = await App.create(settings, {})
    try:
        async with app.uow() as uow:
            # The weekly digest is due any time after Monday 09:00 of the real week: off for
            # this owner, so the outbox holds only the round's messages the cases count.
            owner = await uow.staff.add(
                Staff(
                    0,
                    "Olga Owner",
                    StaffRole.OWNER,
                    Language.EN,
                    telegram_user_id=OWNER,
                    digest=False,
                )
            )
            account = await uow.accounts.add(Account(0, "Globex", owner.id))
            chats = [FIRST_CHAT + i for i in range(contacts)]
            for chat in chats:
                await uow.contacts.add(
                    Contact(0, account.id, f"Client {chat}", ContactLevel.STAKEHOLDER,
                            Language.EN, ContactStatus.ACTIVE, Channel.TELEGRAM, str(chat))
                )  # fmt: skip
            await uow.commit()
        await app.service.open_round(account.id, "sprint-1", "Sprint 1")
        if invitations_sent:
            async with app.engine.begin() as conn:
                await conn.execute(update(OutboxRow).values(status="sent"))
        return chats
    finally:
        await app.close()


@dataclass
class Candor:
    """One `candor run` process."""

    index: int
    env: dict[str, str]
    workdir: Path
    port: int | None
    process: asyncio.subprocess.Process | None = None
    module: str = "bot"  # what `python -m` runs: the product, or a bench wrapper around it
    peak_rss_kb: int = 0
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / f"candor-{self.index}.log"

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.module, "run", cwd=self.workdir, env=self.env,
                stdout=log, stderr=log,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def sample_rss(self) -> None:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))

    def cpu_seconds(self) -> float:
        return _cpu_seconds(self.pid)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def terminate(self, seconds: float = 30) -> float:
        """SIGTERM; returns how long the process took to exit."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), seconds)
        return time.monotonic() - started

    async def wait_listening(self, seconds: float = 60) -> None:
        assert self.port is not None
        async with asyncio.timeout(seconds), aiohttp.ClientSession() as session:
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"candor {self.index} exited: {self.log.read_text()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz"):
                        return
                await asyncio.sleep(0.1)

    async def leads(self) -> bool:
        """Whether this process delivers the outbox (its /metrics says so)."""
        with contextlib.suppress(aiohttp.ClientError, OSError):
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.port}/metrics") as response,
            ):
                return "candor_delivery_leader 1.0" in await response.text()
        return False

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _cpu_seconds(pid: int | str) -> float:
    """User + system CPU time process ``pid`` has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime: fields 14 and 15 of proc(5), counted after "pid (comm)".
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def candor_env(api: FakeTelegramAPI, url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "TELEGRAM_", "SLACK_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_URL=api.base_url,
        CANDOR_DATABASE_URL=url,
        CANDOR_DELIVERY_POLL_SECONDS="0.2",
        CANDOR_INBOX_LEASE="4s",
        CANDOR_DELIVERY_LEASE="6s",
        CANDOR_LOG_LEVEL="WARNING",
        # Cheap and deterministic: the figures are about moving answers, not reading them.
        CANDOR_SENTIMENT_ANALYSER="baseline",
    )
    env.update(extra)
    return env


def webhook_candor(
    index: int, api: FakeTelegramAPI, url: str, workdir: Path, **extra: str
) -> Candor:
    port = free_port()
    env = candor_env(
        api, url,
        TELEGRAM_WEBHOOK_URL="https://bot.example.com/tg",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        CANDOR_WEBHOOK_PORT=str(port),
        CANDOR_OPS_PORT=str(free_port()),
        **extra,
    )  # fmt: skip
    candor = Candor(index, env, workdir, port)
    # /healthz lives on the ops port; readiness of the webhook is what the burst needs.
    candor.port = int(env["CANDOR_OPS_PORT"])
    candor.env["WEBHOOK_PORT"] = str(port)
    return candor


def answer_updates(
    api: FakeTelegramAPI, chats: Iterable[int], first_id: int = 1
) -> list[dict[str, Any]]:
    """One text answer per chat, as Telegram would send them, with ids from ``first_id``."""
    updates = []
    for i, chat in enumerate(chats):
        update = api.text_message(chat, NEGATIVE if i % 4 == 0 else POSITIVE, user_id=chat)
        update["update_id"] = first_id + i
        updates.append(update)
    return updates


@dataclass
class Burst:
    acknowledged: set[int] = field(default_factory=set)
    refused: int = 0
    first_sent: float = 0.0
    last_ack: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.acknowledged) / max(1e-9, self.last_ack - self.first_sent)


async def post_burst(
    targets: list[Candor],
    updates: list[dict[str, Any]],
    *,
    in_flight: int = 100,
    on_ack: Any = None,
) -> Burst:
    """POST every update to the webhooks (round robin), ``in_flight`` at a time; a request
    that fails is sent again to the next process, as Telegram resends an unanswered one."""
    burst = Burst(first_sent=time.monotonic())
    slots = asyncio.Semaphore(in_flight)
    connector = aiohttp.TCPConnector(limit=in_flight)
    # Telegram gives a webhook about a minute; an unanswered request is sent again.
    timeout = aiohttp.ClientTimeout(total=60)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int, update: dict[str, Any]) -> None:
            async with slots:
                for attempt in range(200):
                    target = targets[(i + attempt) % len(targets)]
                    port = target.env["WEBHOOK_PORT"]
                    try:
                        async with session.post(
                            f"http://127.0.0.1:{port}/tg", json=update, headers=headers
                        ) as response:
                            if response.status == 200:
                                burst.acknowledged.add(update["update_id"])
                                burst.last_ack = time.monotonic()
                                if on_ack is not None:
                                    on_ack(len(burst.acknowledged))
                                return
                            burst.refused += 1
                    except (aiohttp.ClientError, OSError, TimeoutError):
                        burst.refused += 1
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(one(i, u) for i, u in enumerate(updates)))
    return burst


async def wait_inbox_settled(url: str, seconds: float = 300) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with asyncio.timeout(seconds):
            while True:
                async with engine.connect() as conn:
                    rows = await conn.execute(
                        select(InboxRow.status, func.count()).group_by(InboxRow.status)
                    )
                    depth = {str(s): int(n) for s, n in rows.all()}
                if not depth.get("pending") and not depth.get("processing"):
                    return depth
                await asyncio.sleep(1.0)  # a reader takes SQLite's write lock too
    finally:
        await engine.dispose()


@dataclass
class Outcome:
    answers_by_chat: dict[int, int]
    inbox: dict[str, int]
    outbox: dict[str, int]
    duplicates_sent: int
    sent_but_not_recorded: int


async def outcome(url: str, api: FakeTelegramAPI) -> Outcome:
    """What the database and the fake platform say happened."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            answers: dict[int, int] = defaultdict(int)
            for source in await conn.scalars(select(AnswerRow.source_message_id)):
                answers[int(str(source).split(":")[0])] += 1
            inbox = await _by_status(conn, InboxRow)
            # Messages only: command menus (setMyCommands) queue in the outbox too.
            messages = OutboxRow.kind != MENU_KIND
            outbox = await _by_status(conn, OutboxRow, messages)
            sent_rows = (await conn.execute(
                select(OutboxRow.address, OutboxRow.status).where(messages))).all()  # fmt: skip
    finally:
        await engine.dispose()
    seen = Counter(
        (str(c.params.get("chat_id")), str(c.params.get("text")))
        for c in api.calls_to("sendMessage")
        if c.status == 200
    )
    duplicates = sum(n - 1 for n in seen.values() if n > 1)
    delivered = Counter(str(c.params.get("chat_id")) for c in api.calls_to("sendMessage")
                        if c.status == 200)  # fmt: skip
    recorded = Counter(a for a, s in sent_rows if s in ("sent", "uncertain"))
    unrecorded = sum(max(0, n - recorded[chat]) for chat, n in delivered.items())
    return Outcome(dict(answers), inbox, outbox, duplicates, unrecorded)


async def _by_status(conn: Any, table: Any, *where: Any) -> dict[str, int]:
    query = select(table.status, func.count()).where(*where).group_by(table.status)
    rows = await conn.execute(query)
    return {str(s): int(n) for s, n in rows.all()}


def send_pacing(api: FakeTelegramAPI) -> tuple[int, float, float, float]:
    """(most sends in any one-second window, shortest gap between two sends to one chat,
    first send time, last send time) over every successful sendMessage."""
    calls = sorted((c for c in api.calls_to("sendMessage") if c.status == 200), key=lambda c: c.at)
    times = [c.at for c in calls]
    most, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        most = max(most, i - j + 1)
    by_chat: dict[str, list[float]] = defaultdict(list)
    for c in calls:
        by_chat[str(c.params.get("chat_id"))].append(c.at)
    gap = min(
        (b - a for ts in by_chat.values() for a, b in itertools.pairwise(ts)),
        default=float("inf"),
    )
    return most, gap, (times[0] if times else 0.0), (times[-1] if times else 0.0)
