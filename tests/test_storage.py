"""The storage layer on SQLite and PostgreSQL: migrations, types, unique guarantees, locks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.db import session_factory
from storage.models import Base
from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import (
    Account,
    Address,
    Alert,
    AlertStatus,
    Answer,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Language,
    OutgoingMessage,
    Round,
    Sentiment,
    SentimentLabel,
    Staff,
    StaffRole,
)
from surveys.ports import ConcurrentUpdateError
from tests.conftest import T0, Database, World

MSK = timezone(timedelta(hours=3))
TABLES = {
    "staff",
    "accounts",
    "contacts",
    "schedules",
    "rounds",
    "conversations",
    "answers",
    "alerts",
    "outbox",
    "inbound_events",
    "invites",
    "inbox",
    "tickets",
    "census_links",
    "census_runs",
}


# --- helpers ------------------------------------------------------------------------------


def head_revision() -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    return head


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())
    return set(names) - {"alembic_version"}


async def schema_diff(engine: AsyncEngine) -> list[Any]:
    """What alembic autogenerate would put into a new migration (empty: models == schema)."""

    def compare(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


def message(key: str, to: str = "anna", **payload: Any) -> OutgoingMessage:
    return OutgoingMessage(
        recipient=Address(Channel.CONSOLE, to),
        kind="notice",
        payload={"text": key, **payload},
        idempotency_key=key,
        next_attempt_at=T0,
    )


def new_conversation(round_id: int, contact_id: int) -> Conversation:
    return Conversation(
        id=0,
        round_id=round_id,
        contact_id=contact_id,
        status=ConversationStatus.INVITED,
        question_index=0,
        question_keys=["outcome", "speed", "politeness"],
        language=Language.EN,
        invited_at=T0,
        last_activity_at=T0,
        reminder_due_at=T0 + timedelta(days=2),
        expires_at=T0 + timedelta(days=7),
    )


async def make_conversation(uow: SqlUnitOfWorkFactory, world: World) -> Conversation:
    async with uow() as u:
        round_, _ = await u.rounds.get_or_create(
            Round(0, world.account.id, "sprint-1", "Sprint 1", T0)
        )
        conv = await u.conversations.add(new_conversation(round_.id, world.anna.id))
        await u.commit()
    return conv


async def make_answer(uow: SqlUnitOfWorkFactory, world: World, **fields: Any) -> Answer:
    conv = await make_conversation(uow, world)
    async with uow() as u:
        answer = await u.answers.add(
            Answer(
                **{
                    "id": 0,
                    "conversation_id": conv.id,
                    "question_key": "outcome",
                    "text": "Not happy",
                    "received_at": T0,
                    "source_message_id": "m1",
                    **fields,
                }
            )
        )
        await u.commit()
    return answer


# --- migrations ---------------------------------------------------------------------------


async def test_migrations_go_up_down_and_up_again(database: Database) -> None:
    engine = database.engine
    head = head_revision()
    # The fixture gave a fresh database upgraded to head.
    assert await migrate.current_revision(engine) == head
    assert await table_names(engine) == TABLES

    await migrate.downgrade(engine, "base")
    assert await migrate.current_revision(engine) is None
    assert await table_names(engine) == set()

    await migrate.upgrade(engine, "head")
    assert await migrate.current_revision(engine) == head
    assert await table_names(engine) == TABLES
    assert await schema_diff(engine) == []

    # The re-created schema is usable.
    uow = SqlUnitOfWorkFactory(session_factory(engine))
    async with uow() as u:
        await u.staff.add(Staff(0, "Olga", StaffRole.OWNER, console_name="olga"))
        await u.commit()
    async with uow() as u:
        assert [s.name for s in await u.staff.list()] == ["Olga"]


async def test_every_migration_downgrades_and_reapplies_stairway(database: Database) -> None:
    engine = database.engine
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    revisions = list(reversed(list(script.walk_revisions())))  # oldest first
    assert revisions, "no migrations found"
    await migrate.downgrade(engine, "base")
    assert await table_names(engine) == set()

    for revision in revisions:
        below = revision.down_revision or "base"
        assert isinstance(below, str), "branched history: extend this test"
        await migrate.upgrade(engine, revision.revision)
        assert await migrate.current_revision(engine) == revision.revision
        after_up = await table_names(engine)
        await migrate.downgrade(engine, below)
        assert await migrate.current_revision(engine) == (revision.down_revision or None)
        await migrate.upgrade(engine, revision.revision)
        assert await migrate.current_revision(engine) == revision.revision
        assert await table_names(engine) == after_up

    assert revisions[-1].revision == head_revision()
    assert await table_names(engine) == TABLES
    assert await schema_diff(engine) == []


async def test_staff_stored_before_0009_keep_their_language_fixed(database: Database) -> None:
    """Migration 0009 makes no one's language provisional: only people added from then on
    follow their platform's language until they choose."""
    engine = database.engine
    await migrate.downgrade(engine, "0008")
    async with engine.begin() as conn:
        await conn.execute(
            sql("INSERT INTO staff (name, role, language, digest, created_at) "
                 "VALUES ('Olga', 'owner', 'ru', true, :at)"),
            {"at": T0},
        )  # fmt: skip
    await migrate.upgrade(engine, "head")
    async with SqlUnitOfWorkFactory(session_factory(engine))() as u:
        [olga] = await u.staff.list()
    assert (olga.language, olga.language_chosen) == (Language.RU, True)


async def test_models_match_the_migrations(database: Database) -> None:
    assert await schema_diff(database.engine) == []


# --- datetimes ----------------------------------------------------------------------------


async def test_aware_datetimes_come_back_as_the_same_instant_in_utc(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    opened = datetime(2026, 11, 2, 12, 30, 15, 123456, tzinfo=MSK)
    async with uow() as u:
        round_, _ = await u.rounds.get_or_create(
            Round(0, world.account.id, "2026-Q4", "Q4", opened)
        )
        await u.commit()

    async with uow() as u:
        stored = await u.rounds.get(round_.id)
    assert stored is not None
    assert stored.opened_at == datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
    assert stored.opened_at.tzinfo is not None
    assert stored.opened_at.utcoffset() == timedelta(0)

    # Queries compare instants, whatever zone the bound value is in.
    async with uow() as u:
        await u.outbox.enqueue(
            OutgoingMessage(
                recipient=Address(Channel.CONSOLE, "anna"),
                kind="notice",
                payload={"text": "hi"},
                idempotency_key="tz",
                next_attempt_at=datetime(2026, 11, 2, 12, 0, tzinfo=MSK),  # 09:00 UTC
            )
        )
        await u.commit()
    async with uow() as u:
        before = await u.outbox.due_heads(
            datetime(2026, 11, 2, 8, 59, 59, tzinfo=UTC), 10, [Channel.CONSOLE]
        )
        at = await u.outbox.due_heads(
            datetime(2026, 11, 2, 4, 0, tzinfo=timezone(timedelta(hours=-5))), 10, [Channel.CONSOLE]
        )
    assert before == []
    assert [m.idempotency_key for m in at] == ["tz"]
    assert at[0].next_attempt_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_naive_datetime_is_rejected(uow: SqlUnitOfWorkFactory, world: World) -> None:
    async with uow() as u:
        with pytest.raises(StatementError) as error:
            await u.rounds.get_or_create(
                Round(0, world.account.id, "naive", "Naive", datetime(2026, 11, 2, 9, 0))
            )
        assert isinstance(error.value.orig, ValueError)
        assert "naive datetime" in str(error.value.orig)

    async with uow() as u:
        with pytest.raises(StatementError, match="naive datetime"):
            await u.outbox.enqueue(
                OutgoingMessage(
                    recipient=Address(Channel.CONSOLE, "anna"),
                    kind="notice",
                    payload={"text": "hi"},
                    idempotency_key="naive",
                    next_attempt_at=datetime(2026, 11, 2, 9, 0),
                )
            )

    async with uow() as u:
        assert await u.rounds.for_account(world.account.id) == []
        assert await u.outbox.list() == []


# --- unique guarantees --------------------------------------------------------------------


async def test_one_round_per_account_and_period(uow: SqlUnitOfWorkFactory, world: World) -> None:
    async with uow() as u:
        first, created = await u.rounds.get_or_create(
            Round(0, world.account.id, "2026-Q1", "Q1", T0)
        )
        again, created_again = await u.rounds.get_or_create(
            Round(0, world.account.id, "2026-Q1", "Another title", T0 + timedelta(hours=1))
        )
        assert created and not created_again
        assert again.id == first.id and again.title == "Q1"
        # The transaction is still usable after the swallowed violation.
        other, other_created = await u.rounds.get_or_create(
            Round(0, world.account.id, "2026-Q2", "Q2", T0)
        )
        assert other_created and other.id != first.id
        await u.commit()

    async with uow() as u:
        later, later_created = await u.rounds.get_or_create(
            Round(0, world.account.id, "2026-Q1", "Third try", T0)
        )
        assert not later_created and later.id == first.id
        await u.staff.add(Staff(0, "Ada Admin", StaffRole.ADMIN, console_name="ada"))
        await u.commit()

    async with uow() as u:
        rounds = await u.rounds.for_account(world.account.id)
        staff = await u.staff.by_address(Address(Channel.CONSOLE, "ada"))
    assert [(r.period_key, r.title) for r in rounds] == [("2026-Q1", "Q1"), ("2026-Q2", "Q2")]
    assert staff is not None and staff.name == "Ada Admin"


async def test_one_alert_per_answer(uow: SqlUnitOfWorkFactory, world: World) -> None:
    answer = await make_answer(uow, world)
    alert = Alert(0, answer.id, world.account.id, world.owner.id, AlertStatus.OPEN, T0)
    async with uow() as u:
        first = await u.alerts.add_once(alert)
        second = await u.alerts.add_once(alert)
        assert first is not None and first.answer_id == answer.id
        assert second is None
        await u.commit()

    async with uow() as u:
        assert await u.alerts.add_once(alert) is None
        # Still usable: another write in the same unit of work commits.
        acked = await u.alerts.set_status(
            first.id, AlertStatus.ACKNOWLEDGED, {"by": "Olga"}, T0 + timedelta(minutes=1)
        )
        assert acked is not None
        await u.commit()

    async with uow() as u:
        alerts = await u.alerts.list()
    assert len(alerts) == 1
    assert alerts[0].id == first.id
    assert alerts[0].status is AlertStatus.ACKNOWLEDGED
    assert alerts[0].notes == [{"by": "Olga"}]


async def test_outbox_stores_an_idempotency_key_once(uow: SqlUnitOfWorkFactory) -> None:
    async with uow() as u:
        stored = await u.outbox.enqueue(message("invite:1", text_extra="first"))
        duplicate = await u.outbox.enqueue(message("invite:1", text_extra="second"))
        assert stored is not None and stored.id is not None
        assert duplicate is None
        await u.commit()

    async with uow() as u:
        assert await u.outbox.enqueue(message("invite:1")) is None
        other = await u.outbox.enqueue(message("invite:2"))
        assert other is not None
        await u.commit()

    async with uow() as u:
        messages = await u.outbox.list()
    assert [m.idempotency_key for m in messages] == ["invite:1", "invite:2"]
    assert messages[0].payload["text_extra"] == "first"


async def test_outbox_needs_a_due_time_from_the_callers_clock(uow: SqlUnitOfWorkFactory) -> None:
    undated = message("k")
    undated.next_attempt_at = None
    async with uow() as u:
        with pytest.raises(ValueError, match="next_attempt_at"):
            await u.outbox.enqueue(undated)


async def test_a_foreign_key_violation_is_an_error_not_a_duplicate(
    uow: SqlUnitOfWorkFactory,
) -> None:
    # Only a unique violation means "already stored"; anything else must surface.
    async with uow() as u:
        with pytest.raises(IntegrityError):
            await u.alerts.add_once(
                Alert(
                    0,
                    answer_id=999_999,
                    account_id=999_999,
                    owner_id=None,
                    status=AlertStatus.OPEN,
                    created_at=T0,
                )
            )


# --- optimistic lock ----------------------------------------------------------------------


async def test_conversation_save_with_a_stale_version_is_refused(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    conv = await make_conversation(uow, world)
    async with uow() as u:
        mine = await u.conversations.get(conv.id)
    async with uow() as u:
        theirs = await u.conversations.get(conv.id)
    assert mine is not None and theirs is not None
    assert mine.version == theirs.version == 1

    mine.question_index = 1
    mine.status = ConversationStatus.ASKING
    async with uow() as u:
        saved = await u.conversations.save(mine)
        await u.commit()
    assert saved.version == 2

    theirs.status = ConversationStatus.DECLINED
    async with uow() as u:
        with pytest.raises(ConcurrentUpdateError):
            await u.conversations.save(theirs)

    async with uow() as u:
        stored = await u.conversations.get(conv.id)
    assert stored is not None
    assert stored.version == 2
    assert stored.status is ConversationStatus.ASKING
    assert stored.question_index == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
async def test_overlapping_transactions_first_save_wins(
    database: Database, uow: SqlUnitOfWorkFactory, world: World
) -> None:
    # Only PostgreSQL lets two writing transactions overlap; SQLite serialises them with
    # BEGIN IMMEDIATE (storage.db), so there the second simply reads the newer version.
    conv = await make_conversation(uow, world)
    other_engine = database.new_engine()
    other = SqlUnitOfWorkFactory(session_factory(other_engine))
    try:
        async with uow() as first, other() as second:
            a = await first.conversations.get(conv.id)
            b = await second.conversations.get(conv.id)
            assert a is not None and b is not None
            a.question_index = 1
            b.question_index = 2
            saved = await first.conversations.save(a)
            # The second UPDATE waits for the first transaction's row lock, then sees
            # the bumped version and matches nothing.
            pending = asyncio.ensure_future(second.conversations.save(b))
            await asyncio.sleep(0)
            await first.commit()
            with pytest.raises(ConcurrentUpdateError):
                await pending
        assert saved.version == 2
    finally:
        await other_engine.dispose()

    async with uow() as u:
        stored = await u.conversations.get(conv.id)
    assert stored is not None and stored.version == 2 and stored.question_index == 1


# --- lookups by address -------------------------------------------------------------------


async def test_contacts_by_address(uow: SqlUnitOfWorkFactory, world: World) -> None:
    async with uow() as u:
        tg = await u.contacts.add(
            Contact(
                0,
                world.account.id,
                "Timur",
                ContactLevel.USER,
                Language.RU,
                ContactStatus.ACTIVE,
                Channel.TELEGRAM,
                "5123456789",
            )
        )
        await u.commit()

    async with uow() as u:
        anna = await u.contacts.by_address(Address(Channel.CONSOLE, "anna"))
        timur = await u.contacts.by_address(Address(Channel.TELEGRAM, "5123456789"))
        wrong_channel = await u.contacts.by_address(Address(Channel.SLACK, "anna"))
        unknown = await u.contacts.by_address(Address(Channel.CONSOLE, "nobody"))
        not_a_number = await u.contacts.by_address(Address(Channel.TELEGRAM, "@timur"))
    assert anna is not None and anna.id == world.anna.id and anna.name == "Anna"
    assert timur is not None and timur.id == tg.id
    assert timur.reachable_at == Address(Channel.TELEGRAM, "5123456789")
    assert wrong_channel is None
    assert unknown is None
    assert not_a_number is None


async def test_staff_by_address(uow: SqlUnitOfWorkFactory, world: World) -> None:
    async with uow() as u:
        tina = await u.staff.add(
            Staff(
                0,
                "Tina",
                StaffRole.MANAGER,
                telegram_user_id=7_000_000_001,  # beyond 32 bits: a BIGINT column
                slack_user_id="U02ABCDEF",
            )
        )
        await u.commit()

    async with uow() as u:
        by_telegram = await u.staff.by_address(Address(Channel.TELEGRAM, "7000000001"))
        by_slack = await u.staff.by_address(Address(Channel.SLACK, "U02ABCDEF"))
        by_console = await u.staff.by_address(Address(Channel.CONSOLE, "olga"))
        unknown_id = await u.staff.by_address(Address(Channel.TELEGRAM, "42"))
        not_numeric = [
            await u.staff.by_address(Address(Channel.TELEGRAM, text))
            for text in ("@tina", "tina", "", "-", "12a", "--5", "1.5", "²", "9" * 20)
        ]
        # The transaction is still fine after all of those.
        await u.staff.add(Staff(0, "Ada", StaffRole.ADMIN, console_name="ada"))
        await u.commit()

    assert by_telegram is not None and by_telegram.id == tina.id
    assert by_telegram.telegram_user_id == 7_000_000_001
    assert by_slack is not None and by_slack.id == tina.id
    assert by_console is not None and by_console.id == world.owner.id
    assert unknown_id is None
    assert not_numeric == [None] * 9
    async with uow() as u:
        assert await u.staff.by_address(Address(Channel.CONSOLE, "ada")) is not None


# --- JSON ---------------------------------------------------------------------------------


async def test_json_fields_keep_cyrillic_and_emoji(uow: SqlUnitOfWorkFactory, world: World) -> None:
    overrides = {"outcome": {"ru": "Довольны ли вы результатом? 🙂", "en": "Happy? 👍"}}
    async with uow() as u:
        account = await u.accounts.add(
            Account(0, "Рога и копыта", world.owner.id, question_overrides=overrides)
        )
        await u.commit()

    history = [{"text": "Всё плохо 😡", "replaced_at": "2026-11-02T09:00:00+00:00"}]
    evidence = ["ужасно", "😡", "не доволен"]
    answer = await make_answer(
        uow,
        world,
        text="Всё отлично 🎉",
        history=history,
        sentiment=Sentiment(SentimentLabel.NEGATIVE, 0.9, evidence, "baseline/1"),
    )

    async with uow() as u:
        stored_account = await u.accounts.by_name("рога и копыта")
        [stored_answer] = await u.answers.for_conversations([answer.conversation_id])
    assert stored_account is not None and stored_account.id == account.id
    assert stored_account.name == "Рога и копыта"
    assert stored_account.question_overrides == overrides
    assert stored_answer.text == "Всё отлично 🎉"
    assert stored_answer.history == history
    assert stored_answer.sentiment is not None
    assert stored_answer.sentiment.evidence == evidence
    assert stored_answer.sentiment.label is SentimentLabel.NEGATIVE


# --- unit of work -------------------------------------------------------------------------


async def test_unit_of_work_rolls_back_unless_committed(uow: SqlUnitOfWorkFactory) -> None:
    async with uow() as u:
        await u.staff.add(Staff(0, "Ghost", StaffRole.ADMIN, console_name="ghost"))
        await u.outbox.enqueue(message("ghost:1"))
        assert await u.staff.by_address(Address(Channel.CONSOLE, "ghost")) is not None
        # no commit

    with pytest.raises(RuntimeError, match="boom"):
        async with uow() as u:
            await u.staff.add(Staff(0, "Ghost 2", StaffRole.ADMIN, console_name="ghost2"))
            raise RuntimeError("boom")

    async with uow() as u:
        assert await u.staff.list() == []
        assert await u.outbox.list() == []
        # The key was never stored, so it can be used now.
        assert await u.outbox.enqueue(message("ghost:1")) is not None
        await u.commit()
    async with uow() as u:
        assert [m.idempotency_key for m in await u.outbox.list()] == ["ghost:1"]
