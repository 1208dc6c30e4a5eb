"""Shared fixtures: a controllable clock, databases on SQLite and PostgreSQL, a wired service."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import DeliveryWorker
from storage import migrate
from storage.db import create_engine, session_factory
from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import (
    Account,
    Address,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Document,
    Language,
    OutgoingMessage,
    Staff,
    StaffRole,
)
from surveys.ports import DeliveryError
from surveys.sentiment import make_analyser
from surveys.service import SurveyPolicy, SurveyService

pytest_plugins = ["tests.telegram_harness", "tests.slack_harness", "tests.staff_chat"]

# The PostgreSQL server this machine kind runs; .ci/run starts it where it is not running.
PG_URL = os.environ.get("CANDOR_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
# When the world's staff joined and its account was added: well before T0, whatever the
# machine's own clock says.
LONG_AGO = T0 - timedelta(days=90)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, now: datetime) -> None:
        self._now = now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    connect_args: dict[str, object] = field(default_factory=dict)

    def new_engine(self) -> AsyncEngine:
        """A second engine on the same database: what another process or a restart sees."""
        return create_engine(self.url, connect_args=dict(self.connect_args))


@pytest.fixture
async def database(backend: str, tmp_path: object) -> AsyncIterator[Database]:
    """A migrated, empty database: a temp SQLite file, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/candor.db"
        engine = create_engine(url)
        await migrate.upgrade(engine)
        yield Database(url, engine)
        await engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    connect_args = {"server_settings": {"search_path": schema}}
    engine = create_engine(PG_URL, connect_args=dict(connect_args))
    try:
        await migrate.upgrade(engine)
        yield Database(PG_URL, engine, connect_args)
    finally:
        await engine.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def uow(database: Database) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(session_factory(database.engine))


POLICY = SurveyPolicy(
    reminder_delay=timedelta(days=2), expiry_delay=timedelta(days=7), company="Acme IT"
)


@pytest.fixture
def service(uow: SqlUnitOfWorkFactory, clock: FakeClock) -> SurveyService:
    return SurveyService(uow, clock, make_analyser("baseline"), POLICY)


class RecordingMessenger:
    """A Messenger that keeps what it was given, and can be told to fail."""

    def __init__(self, channel: Channel = Channel.CONSOLE) -> None:
        self.channel = channel
        self.sent: list[OutgoingMessage] = []
        self.failures: list[DeliveryError] = []  # raised, in order, before succeeding
        self.files: list[tuple[Address, Document, str]] = []  # send_file's arguments

    async def send(self, message: OutgoingMessage) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"m{len(self.sent)}"

    async def send_file(self, recipient: Address, document: Document, caption: str) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.files.append((recipient, document, caption))
        return f"f{len(self.files)}"

    def to(self, address: str) -> list[OutgoingMessage]:
        return [m for m in self.sent if m.recipient.address == address]

    def texts(self, address: str) -> list[str]:
        return [str(m.payload["text"]) for m in self.to(address)]


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
def delivery(
    uow: SqlUnitOfWorkFactory,
    messenger: RecordingMessenger,
    service: SurveyService,
    clock: FakeClock,
) -> DeliveryWorker:
    return DeliveryWorker(uow, {Channel.CONSOLE: messenger}, service, clock)


@dataclass
class World:
    owner: Staff
    manager: Staff
    account: Account
    anna: Contact  # English stakeholder
    boris: Contact  # Russian stakeholder

    @property
    def anna_at(self) -> Address:
        return Address(Channel.CONSOLE, "anna")

    @property
    def boris_at(self) -> Address:
        return Address(Channel.CONSOLE, "boris")


@pytest.fixture
async def world(uow: SqlUnitOfWorkFactory) -> World:
    """An account with an owner, a manager and two active contacts on the console channel."""
    async with uow() as u:
        owner = await u.staff.add(
            Staff(
                0,
                "Olga Owner",
                StaffRole.OWNER,
                Language.EN,
                console_name="olga",
                created_at=LONG_AGO,
            )
        )
        manager = await u.staff.add(
            Staff(
                0,
                "Max Manager",
                StaffRole.MANAGER,
                Language.RU,
                console_name="max",
                created_at=LONG_AGO,
            )
        )
        account = await u.accounts.add(
            Account(
                0, "Globex", owner.id, "gold", Language.EN, "Europe/Moscow", created_at=LONG_AGO
            )
        )
        anna = await u.contacts.add(
            Contact(
                0,
                account.id,
                "Anna",
                ContactLevel.STAKEHOLDER,
                Language.EN,
                ContactStatus.ACTIVE,
                Channel.CONSOLE,
                "anna",
            )
        )
        boris = await u.contacts.add(
            Contact(
                0,
                account.id,
                "Борис",
                ContactLevel.STAKEHOLDER,
                Language.RU,
                ContactStatus.ACTIVE,
                Channel.CONSOLE,
                "boris",
            )
        )
        await u.commit()
    return World(owner, manager, account, anna, boris)
