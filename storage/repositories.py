"""The domain's repository interfaces (surveys.ports), implemented on SQLAlchemy."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, delete, exists, func, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.models import (
    AccountRow,
    AlertRow,
    AnswerRow,
    ContactRow,
    ConversationRow,
    InboundEventRow,
    InviteRow,
    OutboxRow,
    RoundRow,
    ScheduleRow,
    StaffRow,
)
from surveys.model import (
    COALESCING_KINDS,
    Account,
    Address,
    Alert,
    AlertStatus,
    Answer,
    CadenceKind,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Invite,
    Language,
    OutboxStatus,
    OutgoingMessage,
    Round,
    Schedule,
    Sentiment,
    SentimentLabel,
    Staff,
    StaffRole,
)
from surveys.ports import (
    ConcurrentUpdateError,
    ReportAnswer,
    ReportConversation,
    RoundAlert,
    RoundTally,
    UnitOfWork,
)
from surveys.questions import QUESTION_KEYS

# --- mappers: rows <-> domain objects -----------------------------------------------------


def _staff(row: StaffRow) -> Staff:
    return Staff(
        id=row.id,
        name=row.name,
        role=StaffRole(row.role),
        language=Language(row.language),
        telegram_user_id=row.telegram_user_id,
        slack_user_id=row.slack_user_id,
        console_name=row.console_name,
        timezone=row.timezone,
        digest=row.digest,
        unreachable_since=row.unreachable_since,
        created_at=row.created_at,
        language_chosen=row.language_chosen,
    )


def _staff_values(staff: Staff) -> dict[str, Any]:
    return {
        "name": staff.name,
        "role": staff.role.value,
        "language": staff.language.value,
        "telegram_user_id": staff.telegram_user_id,
        "slack_user_id": staff.slack_user_id,
        "console_name": staff.console_name,
        "timezone": staff.timezone,
        "digest": staff.digest,
        "unreachable_since": staff.unreachable_since,
        "language_chosen": staff.language_chosen,
    }


def _account(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        tier=row.tier,
        language=Language(row.language),
        timezone=row.timezone,
        question_overrides=dict(row.question_overrides or {}),
        census_schedule=row.census_schedule,
        owner_since=row.owner_since,
        created_at=row.created_at,
    )


def _account_values(account: Account) -> dict[str, Any]:
    return {
        "name": account.name,
        "owner_id": account.owner_id,
        "tier": account.tier,
        "language": account.language.value,
        "timezone": account.timezone,
        "question_overrides": account.question_overrides,
        "census_schedule": account.census_schedule,
        "owner_since": account.owner_since,
    }


def _contact(row: ContactRow) -> Contact:
    return Contact(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        level=ContactLevel(row.level),
        language=Language(row.language),
        status=ContactStatus(row.status),
        channel=Channel(row.channel) if row.channel else None,
        address=row.address,
        email=row.email,
        external_id=row.external_id,
        telegram_username=row.telegram_username,
        telegram_id=row.telegram_id,
        tickets=row.tickets or 0,
        last_ticket_at=row.last_ticket_at,
        census_joined_at=row.census_joined_at,
    )


def _contact_values(contact: Contact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "level": contact.level.value,
        "language": contact.language.value,
        "status": contact.status.value,
        "channel": contact.channel.value if contact.channel else None,
        "address": contact.address,
        "email": contact.email,
        "external_id": contact.external_id,
        "telegram_username": contact.telegram_username,
        "telegram_id": contact.telegram_id,
        "tickets": contact.tickets,
        "last_ticket_at": contact.last_ticket_at,
        "census_joined_at": contact.census_joined_at,
    }


def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(
        id=row.id,
        account_id=row.account_id,
        kind=CadenceKind(row.kind),
        every_weeks=row.every_weeks,
        anchor=row.anchor,
        cron=row.cron,
        last_period_key=row.last_period_key,
        created_at=row.created_at,
    )


def _round(row: RoundRow) -> Round:
    return Round(
        id=row.id,
        account_id=row.account_id,
        period_key=row.period_key,
        title=row.title,
        opened_at=row.opened_at,
        audience=row.audience,
    )


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        round_id=row.round_id,
        contact_id=row.contact_id,
        status=ConversationStatus(row.status),
        question_index=row.question_index,
        question_keys=list(row.question_keys),
        language=Language(row.language),
        invited_at=row.invited_at,
        last_activity_at=row.last_activity_at,
        reminder_due_at=row.reminder_due_at,
        expires_at=row.expires_at,
        reminded=row.reminded,
        finished_at=row.finished_at,
        version=row.version,
    )


def _conversation_values(conv: Conversation) -> dict[str, Any]:
    return {
        "status": conv.status.value,
        "question_index": conv.question_index,
        "question_keys": list(conv.question_keys),
        "language": conv.language.value,
        "last_activity_at": conv.last_activity_at,
        "reminder_due_at": conv.reminder_due_at,
        "expires_at": conv.expires_at,
        "reminded": conv.reminded,
        "finished_at": conv.finished_at,
    }


def _answer(row: AnswerRow) -> Answer:
    sentiment = None
    if row.sentiment_label:
        sentiment = Sentiment(
            label=SentimentLabel(row.sentiment_label),
            score=row.sentiment_score or 0.0,
            evidence=list(row.sentiment_evidence or []),
            analyser=row.analyser or "",
        )
    return Answer(
        id=row.id,
        conversation_id=row.conversation_id,
        question_key=row.question_key,
        text=row.text,
        received_at=row.received_at,
        source_message_id=row.source_message_id,
        edited_at=row.edited_at,
        history=list(row.history or []),
        late=row.late,
        truncated=row.truncated,
        sentiment=sentiment,
        cleaned=row.cleaned,
    )


def _answer_values(answer: Answer) -> dict[str, Any]:
    s = answer.sentiment
    return {
        "question_key": answer.question_key,
        "text": answer.text,
        "received_at": answer.received_at,
        "source_message_id": answer.source_message_id,
        "edited_at": answer.edited_at,
        "history": list(answer.history),
        "late": answer.late,
        "truncated": answer.truncated,
        "cleaned": answer.cleaned,
        "sentiment_label": s.label.value if s else None,
        "sentiment_score": s.score if s else None,
        "sentiment_evidence": list(s.evidence) if s else None,
        "analyser": s.analyser if s else None,
    }


def _alert(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        answer_id=row.answer_id or 0,
        account_id=row.account_id,
        owner_id=row.owner_id,
        status=AlertStatus(row.status),
        created_at=row.created_at,
        notes=list(row.notes or []),
        kind=row.kind,
        contact_id=row.contact_id,
        streak_key=row.streak_key,
    )


def _outgoing(row: OutboxRow) -> OutgoingMessage:
    return OutgoingMessage(
        id=row.id,
        recipient=Address(Channel(row.channel), row.address),
        kind=row.kind,
        payload=dict(row.payload),
        idempotency_key=row.idempotency_key,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        contact_id=row.contact_id,
        platform_message_id=row.platform_message_id,
        sent_at=row.sent_at,
    )


# --- repositories -------------------------------------------------------------------------


def _is_unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    # asyncpg reports SQLSTATE 23505; sqlite3 has only the message to go by.
    if getattr(orig, "sqlstate", None) == "23505" or getattr(orig, "pgcode", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(orig)


class _Repo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _insert(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def _inserted_unless_duplicate(self, row: Any) -> Any | None:
        """Insert ``row``; None when a unique constraint already holds it.

        One ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` round trip (both backends):
        a duplicate neither aborts the outer transaction nor costs a savepoint and its
        release, two extra round trips on every answer. Foreign key and NOT NULL
        violations still raise: they are bugs, not duplicates.
        """
        model = type(row)
        values = {
            attr.key: value
            for attr in inspect(model).column_attrs
            if (value := getattr(row, attr.key)) is not None
        }
        dialect = self.session.bind.dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        query = insert(model).values(**values).on_conflict_do_nothing().returning(model)
        return (await self.session.scalars(query)).one_or_none()


_TELEGRAM_ID = re.compile(r"-?[0-9]+")  # ASCII digits only: int() accepts more


def _storable_id(row_id: int) -> bool:
    # Primary keys are INTEGER (32-bit on PostgreSQL): a larger id, e.g. typed by a person,
    # cannot exist, and binding it would raise instead of finding nothing.
    return -(2**31) <= row_id < 2**31


class SqlStaffRepository(_Repo):
    async def get(self, staff_id: int) -> Staff | None:
        row = await self.session.get(StaffRow, staff_id)
        return _staff(row) if row else None

    async def by_address(self, address: Address) -> Staff | None:
        column = {
            Channel.TELEGRAM: StaffRow.telegram_user_id,
            Channel.SLACK: StaffRow.slack_user_id,
            Channel.CONSOLE: StaffRow.console_name,
        }[address.channel]
        value: Any = address.address
        if address.channel is Channel.TELEGRAM:
            # Telegram ids are integers (BIGINT); anything else cannot match, so no query.
            if not _TELEGRAM_ID.fullmatch(address.address):
                return None
            value = int(address.address)
            if not -(2**63) <= value < 2**63:
                return None
        row = await self.session.scalar(select(StaffRow).where(column == value))
        return _staff(row) if row else None

    async def add(self, staff: Staff) -> Staff:
        row = StaffRow(**_staff_values(staff))
        if staff.created_at is not None:  # else the row's default: the machine's clock
            row.created_at = staff.created_at
        return _staff(await self._insert(row))

    async def list(self) -> list[Staff]:
        rows = await self.session.scalars(select(StaffRow).order_by(StaffRow.id))
        return [_staff(r) for r in rows]

    async def update(self, staff: Staff) -> None:
        await self.session.execute(
            update(StaffRow).where(StaffRow.id == staff.id).values(**_staff_values(staff))
        )


class SqlAccountRepository(_Repo):
    async def get(self, account_id: int) -> Account | None:
        if not _storable_id(account_id):
            return None
        row = await self.session.get(AccountRow, account_id)
        return _account(row) if row else None

    async def by_name(self, name: str) -> Account | None:
        """Exact name, else a case-insensitive match (done here: SQLite's lower() is ASCII-only)."""
        row = await self.session.scalar(select(AccountRow).where(AccountRow.name == name))
        if row is None:
            wanted = name.casefold()
            rows = await self.session.scalars(select(AccountRow))
            row = next((r for r in rows if r.name.casefold() == wanted), None)
        return _account(row) if row else None

    async def add(self, account: Account) -> Account:
        row = AccountRow(**_account_values(account))
        if account.created_at is not None:  # else the row's default: the machine's clock
            row.created_at = account.created_at
        return _account(await self._insert(row))

    async def list(self) -> list[Account]:
        rows = await self.session.scalars(select(AccountRow).order_by(AccountRow.name))
        return [_account(r) for r in rows]

    async def update(self, account: Account) -> None:
        await self.session.execute(
            update(AccountRow).where(AccountRow.id == account.id).values(**_account_values(account))
        )


class SqlContactRepository(_Repo):
    async def get(self, contact_id: int) -> Contact | None:
        row = await self.session.get(ContactRow, contact_id)
        return _contact(row) if row else None

    async def by_address(self, address: Address) -> Contact | None:
        row = await self.session.scalar(
            select(ContactRow).where(
                ContactRow.channel == address.channel.value,
                ContactRow.address == address.address,
            )
        )
        return _contact(row) if row else None

    async def add(self, contact: Contact) -> Contact:
        row = await self._insert(
            ContactRow(account_id=contact.account_id, **_contact_values(contact))
        )
        return _contact(row)

    async def for_account(self, account_id: int) -> list[Contact]:
        rows = await self.session.scalars(
            select(ContactRow).where(ContactRow.account_id == account_id).order_by(ContactRow.id)
        )
        return [_contact(r) for r in rows]

    async def set_status(self, contact_id: int, status: ContactStatus) -> None:
        await self.session.execute(
            update(ContactRow).where(ContactRow.id == contact_id).values(status=status.value)
        )

    async def update(self, contact: Contact) -> None:
        await self.session.execute(
            update(ContactRow).where(ContactRow.id == contact.id).values(**_contact_values(contact))
        )


class SqlScheduleRepository(_Repo):
    async def set(self, schedule: Schedule) -> Schedule:
        row = await self.session.scalar(
            select(ScheduleRow).where(ScheduleRow.account_id == schedule.account_id)
        )
        if row is None:
            row = ScheduleRow(account_id=schedule.account_id)
            self.session.add(row)
        row.kind = schedule.kind.value
        row.every_weeks = schedule.every_weeks
        row.anchor = schedule.anchor
        row.cron = schedule.cron
        row.last_period_key = schedule.last_period_key
        if schedule.created_at is not None:
            row.created_at = schedule.created_at
        await self.session.flush()
        return _schedule(row)

    async def for_account(self, account_id: int) -> Schedule | None:
        row = await self.session.scalar(
            select(ScheduleRow).where(ScheduleRow.account_id == account_id)
        )
        return _schedule(row) if row else None

    async def list(self) -> list[Schedule]:
        rows = await self.session.scalars(select(ScheduleRow).order_by(ScheduleRow.id))
        return [_schedule(r) for r in rows]

    async def clear(self, account_id: int) -> bool:
        result = await self.session.execute(
            delete(ScheduleRow).where(ScheduleRow.account_id == account_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_period(self, schedule_id: int, period_key: str) -> None:
        await self.session.execute(
            update(ScheduleRow)
            .where(ScheduleRow.id == schedule_id)
            .values(last_period_key=period_key)
        )


class SqlRoundRepository(_Repo):
    async def get(self, round_id: int) -> Round | None:
        row = await self.session.get(RoundRow, round_id)
        return _round(row) if row else None

    async def get_or_create(self, round_: Round) -> tuple[Round, bool]:
        row = RoundRow(
            account_id=round_.account_id,
            period_key=round_.period_key,
            title=round_.title,
            audience=round_.audience,
            opened_at=round_.opened_at,
        )
        inserted = await self._inserted_unless_duplicate(row)
        if inserted is not None:
            return _round(inserted), True
        existing = await self.session.scalar(
            select(RoundRow).where(
                RoundRow.account_id == round_.account_id,
                RoundRow.period_key == round_.period_key,
            )
        )
        assert existing is not None, "unique violation without a row"
        return _round(existing), False

    async def for_account(self, account_id: int) -> list[Round]:
        rows = await self.session.scalars(
            select(RoundRow).where(RoundRow.account_id == account_id).order_by(RoundRow.id)
        )
        return [_round(r) for r in rows]

    async def with_open_conversations(self, account_ids: Sequence[int]) -> set[int]:
        rows = await self.session.scalars(
            select(ConversationRow.round_id)
            .distinct()
            .join(RoundRow, RoundRow.id == ConversationRow.round_id)
            .where(RoundRow.account_id.in_(account_ids), ConversationRow.status.in_(_OPEN))
        )
        return set(rows)


_OPEN = (ConversationStatus.INVITED.value, ConversationStatus.ASKING.value)


class SqlConversationRepository(_Repo):
    async def add(self, conversation: Conversation) -> Conversation:
        row = await self._insert(
            ConversationRow(
                round_id=conversation.round_id,
                contact_id=conversation.contact_id,
                invited_at=conversation.invited_at,
                version=1,
                **_conversation_values(conversation),
            )
        )
        return _conversation(row)

    async def get(self, conversation_id: int) -> Conversation | None:
        row = await self.session.get(ConversationRow, conversation_id)
        return _conversation(row) if row else None

    async def save(self, conversation: Conversation) -> Conversation:
        # UPDATE ... RETURNING: the saved row comes back in the same round trip.
        row = (
            await self.session.scalars(
                update(ConversationRow)
                .where(
                    ConversationRow.id == conversation.id,
                    ConversationRow.version == conversation.version,
                )
                .values(version=conversation.version + 1, **_conversation_values(conversation))
                .returning(ConversationRow)
                .execution_options(synchronize_session=False, populate_existing=True)
            )
        ).one_or_none()
        if row is None:
            raise ConcurrentUpdateError(f"conversation {conversation.id} changed meanwhile")
        return _conversation(row)

    async def current_for_contact(self, contact_id: int) -> Conversation | None:
        is_open = ConversationRow.status.in_(_OPEN)
        row = await self.session.scalar(
            select(ConversationRow)
            .where(ConversationRow.contact_id == contact_id)
            .order_by(is_open.desc(), ConversationRow.id.desc())
            .limit(1)
        )
        return _conversation(row) if row else None

    async def open_for_contact(self, contact_id: int) -> list[Conversation]:
        return await self._many(
            select(ConversationRow).where(
                ConversationRow.contact_id == contact_id, ConversationRow.status.in_(_OPEN)
            )
        )

    async def for_round(self, round_id: int) -> list[Conversation]:
        return await self._many(select(ConversationRow).where(ConversationRow.round_id == round_id))

    async def in_round(self, round_id: int, contact_id: int) -> Conversation | None:
        row = await self.session.scalar(
            select(ConversationRow).where(
                ConversationRow.round_id == round_id, ConversationRow.contact_id == contact_id
            )
        )
        return _conversation(row) if row else None

    async def due_reminders(self, now: datetime, limit: int) -> list[Conversation]:
        return await self._many(
            select(ConversationRow)
            .where(
                ConversationRow.status.in_(_OPEN),
                ConversationRow.reminded.is_(False),
                ConversationRow.reminder_due_at <= now,
            )
            .limit(limit)
        )

    async def due_expiries(self, now: datetime, limit: int) -> list[Conversation]:
        return await self._many(
            select(ConversationRow)
            .where(ConversationRow.status.in_(_OPEN), ConversationRow.expires_at <= now)
            .limit(limit)
        )

    async def _many(self, query: Select[tuple[ConversationRow]]) -> list[Conversation]:
        rows = await self.session.scalars(query.order_by(ConversationRow.id))
        return [_conversation(r) for r in rows]


class SqlAnswerRepository(_Repo):
    async def add(self, answer: Answer) -> Answer:
        row = await self._insert(
            AnswerRow(conversation_id=answer.conversation_id, **_answer_values(answer))
        )
        return _answer(row)

    async def update(self, answer: Answer) -> None:
        await self.session.execute(
            update(AnswerRow).where(AnswerRow.id == answer.id).values(**_answer_values(answer))
        )

    async def by_source(self, contact_id: int, source_message_id: str) -> Answer | None:
        row = await self.session.scalar(
            select(AnswerRow)
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .where(
                ConversationRow.contact_id == contact_id,
                AnswerRow.source_message_id == source_message_id,
            )
            .order_by(AnswerRow.id.desc())
            .limit(1)
        )
        return _answer(row) if row else None

    async def for_contact(self, contact_id: int) -> list[Answer]:
        rows = await self.session.scalars(
            select(AnswerRow)
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .where(ConversationRow.contact_id == contact_id)
            .order_by(AnswerRow.id.desc())
        )
        return [_answer(r) for r in rows]

    async def for_conversations(self, conversation_ids: Sequence[int]) -> list[Answer]:
        if not conversation_ids:
            return []
        rows = await self.session.scalars(
            select(AnswerRow)
            .where(AnswerRow.conversation_id.in_(list(conversation_ids)))
            .order_by(AnswerRow.id)
        )
        return [_answer(r) for r in rows]

    async def get(self, answer_id: int) -> Answer | None:
        row = await self.session.get(AnswerRow, answer_id)
        return _answer(row) if row else None


class SqlAlertRepository(_Repo):
    async def add_once(self, alert: Alert) -> Alert | None:
        row = AlertRow(
            answer_id=alert.answer_id or None,
            account_id=alert.account_id,
            owner_id=alert.owner_id,
            status=alert.status.value,
            created_at=alert.created_at,
            updated_at=alert.created_at,
            notes=list(alert.notes),
            kind=alert.kind,
            contact_id=alert.contact_id,
            streak_key=alert.streak_key,
        )
        inserted = await self._inserted_unless_duplicate(row)
        return _alert(inserted) if inserted is not None else None

    async def get(self, alert_id: int) -> Alert | None:
        if not _storable_id(alert_id):
            return None
        row = await self.session.get(AlertRow, alert_id)
        return _alert(row) if row else None

    async def lock(self, alert_id: int) -> Alert | None:
        row = await self._locked(alert_id)
        return _alert(row) if row else None

    async def _locked(self, alert_id: int) -> AlertRow | None:
        if not _storable_id(alert_id):
            return None
        return await self.session.scalar(
            select(AlertRow)
            .where(AlertRow.id == alert_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def silences(self, contact_id: int | None = None) -> list[Alert]:
        query = select(AlertRow).where(AlertRow.kind == "silence")
        if contact_id is not None:
            query = query.where(AlertRow.contact_id == contact_id)
        rows = await self.session.scalars(query.order_by(AlertRow.id))
        return [_alert(r) for r in rows]

    async def for_answer(self, answer_id: int) -> Alert | None:
        row = await self.session.scalar(select(AlertRow).where(AlertRow.answer_id == answer_id))
        return _alert(row) if row else None

    async def for_conversation(self, conversation_id: int) -> list[tuple[Alert, str]]:
        rows = await self.session.execute(
            select(AlertRow, AnswerRow.question_key)
            .join(AnswerRow, AnswerRow.id == AlertRow.answer_id)
            .where(AnswerRow.conversation_id == conversation_id)
            .order_by(AlertRow.id)
        )
        return [(_alert(row), key) for row, key in rows.all()]

    async def for_round(self, round_id: int) -> list[Alert]:
        rows = await self.session.scalars(
            select(AlertRow)
            .join(AnswerRow, AnswerRow.id == AlertRow.answer_id)
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .where(ConversationRow.round_id == round_id)
            .order_by(AlertRow.id)
        )
        return [_alert(r) for r in rows]

    async def set_status(
        self,
        alert_id: int,
        status: AlertStatus,
        note: dict[str, object] | None,
        now: datetime,
        *,
        expect: AlertStatus | None = None,
    ) -> Alert | None:
        # The row is locked (PostgreSQL) and re-read, so two processes appending notes or
        # resolving at once go one after the other and the second sees the first's change.
        row = await self._locked(alert_id)
        if row is None or (expect is not None and row.status != expect.value):
            return None
        row.status = status.value
        row.updated_at = now
        if note is not None:
            row.notes = [*(row.notes or []), note]
        await self.session.flush()
        return _alert(row)

    async def list(self, status: AlertStatus | None = None) -> list[Alert]:
        query = select(AlertRow).order_by(AlertRow.id)
        if status is not None:
            query = query.where(AlertRow.status == status.value)
        return [_alert(r) for r in await self.session.scalars(query)]


def _pending_edits_of(message: OutgoingMessage, target: str) -> tuple[Any, ...]:
    """Still-pending messages of ``message``'s kind to its recipient that edit ``target``."""
    return (
        OutboxRow.channel == message.recipient.channel.value,
        OutboxRow.address == message.recipient.address,
        OutboxRow.kind == message.kind,
        OutboxRow.status == OutboxStatus.PENDING,
        OutboxRow.payload["target"].as_string() == target,
    )


def _superseded(target: str, by: int) -> dict[str, Any]:
    # The whole text it carried is in the newer row: do not keep it twice.
    return {
        "status": OutboxStatus.SUPERSEDED,
        "last_error": f"superseded by {by}",
        "payload": {"target": target, "superseded_by": by},
    }


class SqlOutboxRepository(_Repo):
    async def enqueue(self, message: OutgoingMessage) -> OutgoingMessage | None:
        # The caller's clock decides when it is due, never the database server's.
        if message.next_attempt_at is None:
            raise ValueError("an outgoing message needs next_attempt_at")
        row = OutboxRow(
            channel=message.recipient.channel.value,
            address=message.recipient.address,
            kind=message.kind,
            payload=message.payload,
            idempotency_key=message.idempotency_key,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=message.next_attempt_at,
            contact_id=message.contact_id,
            attachment=message.attachment,
        )
        inserted = await self._inserted_unless_duplicate(row)
        return _outgoing(inserted) if inserted is not None else None

    async def due_heads(
        self, now: datetime, limit: int, channels: Sequence[Channel]
    ) -> list[OutgoingMessage]:
        # Each recipient's oldest unsettled message; it qualifies only when pending and due,
        # so one recipient's backlog never hides the others'. Among those heads, an edit that
        # carries a message's whole state goes first: it is one chat's live view (a census's
        # progress, an alert), and must not wait behind other chats' first messages.
        unsettled = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
        heads = (
            select(func.min(OutboxRow.id).label("head_id"))
            .where(
                OutboxRow.status.in_(unsettled),
                OutboxRow.channel.in_([c.value for c in channels]),
            )
            .group_by(OutboxRow.channel, OutboxRow.address)
            .subquery()
        )
        rows = await self.session.scalars(
            select(OutboxRow)
            .join(heads, heads.c.head_id == OutboxRow.id)
            .where(OutboxRow.status == OutboxStatus.PENDING, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.kind.not_in(sorted(COALESCING_KINDS)), OutboxRow.id)
            .limit(limit)
        )
        return [_outgoing(r) for r in rows]

    async def due_edits(
        self, now: datetime, limit: int, channels: Sequence[Channel]
    ) -> list[OutgoingMessage]:
        # Asked between sends of a pass, so it must stay cheap: only the due pending rows
        # (ix_outbox_status_next) of the coalescing kinds, each checked for an earlier
        # unsettled message to its chat by an index probe (ix_outbox_recipient).
        earlier = aliased(OutboxRow)
        ahead = exists().where(
            earlier.channel == OutboxRow.channel,
            earlier.address == OutboxRow.address,
            earlier.status.in_((OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)),
            earlier.id < OutboxRow.id,
        )
        rows = await self.session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.status == OutboxStatus.PENDING,
                OutboxRow.next_attempt_at <= now,
                OutboxRow.kind.in_(sorted(COALESCING_KINDS)),
                OutboxRow.channel.in_([c.value for c in channels]),
                ~ahead,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return [_outgoing(r) for r in rows]

    async def claim(
        self, message_id: int, now: datetime, lease_until: datetime
    ) -> OutgoingMessage | None:
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == message_id,
                OutboxRow.status == OutboxStatus.PENDING,
                # Re-checked here: another worker may have deferred it since it was listed.
                OutboxRow.next_attempt_at <= now,
            )
            .values(
                status=OutboxStatus.SENDING,
                attempts=OutboxRow.attempts + 1,
                next_attempt_at=lease_until,
            )
            # The claimed row comes back with the update: one round trip, not two.
            .returning(OutboxRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        row = result.scalar_one_or_none()
        return _outgoing(row) if row else None

    async def _set(self, message_id: int, **values: Any) -> None:
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def mark_sent(self, message_id: int, platform_id: str | None, now: datetime) -> None:
        await self._set(
            message_id,
            status=OutboxStatus.SENT,
            platform_message_id=platform_id,
            sent_at=now,
            last_error=None,
            attachment=None,  # a delivered file's bytes are not kept in the outbox
        )

    async def mark_retry(self, message_id: int, error: str, at: datetime) -> None:
        await self._set(
            message_id, status=OutboxStatus.PENDING, last_error=error[:2000], next_attempt_at=at
        )

    async def mark_failed(self, message_id: int, error: str) -> None:
        await self._set(
            message_id, status=OutboxStatus.FAILED, last_error=error[:2000], attachment=None
        )

    async def mark_uncertain(self, message_id: int, error: str) -> None:
        await self._set(message_id, status=OutboxStatus.UNCERTAIN, last_error=error[:2000])

    async def fail_pending_for(self, address: Address, error: str) -> int:
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.channel == address.channel.value,
                OutboxRow.address == address.address,
                OutboxRow.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.FAILED, last_error=error[:2000])
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def supersede_older(self, message: OutgoingMessage) -> int:
        target = message.payload.get("target")
        if message.id is None or not target:
            return 0
        # Compare-and-set on "pending": a row a worker has claimed ("sending") stays as it is.
        result = await self.session.execute(
            update(OutboxRow)
            .where(*_pending_edits_of(message, str(target)), OutboxRow.id < message.id)
            .values(_superseded(str(target), message.id))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def supersede_if_overtaken(self, message: OutgoingMessage) -> int | None:
        target = message.payload.get("target")
        if message.id is None or not target:
            return None
        newer = await self.session.scalar(
            select(func.max(OutboxRow.id)).where(
                *_pending_edits_of(message, str(target)), OutboxRow.id > message.id
            )
        )
        if newer is None:
            return None
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message.id, OutboxRow.status == OutboxStatus.SENDING)
            .values(_superseded(str(target), newer))
            .execution_options(synchronize_session=False)
        )
        return int(newer)

    async def mark_stale_uncertain(self, now: datetime) -> list[OutgoingMessage]:
        stale = list(
            await self.session.scalars(
                select(OutboxRow).where(
                    OutboxRow.status == OutboxStatus.SENDING, OutboxRow.next_attempt_at < now
                )
            )
        )
        marked: list[OutgoingMessage] = []
        for row in stale:
            result = await self.session.execute(
                update(OutboxRow)
                .where(
                    and_(OutboxRow.id == row.id, OutboxRow.status == OutboxStatus.SENDING),
                    OutboxRow.next_attempt_at < now,
                )
                .values(
                    status=OutboxStatus.UNCERTAIN,
                    last_error="process stopped while sending; not resent (at-most-once)",
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                marked.append(_outgoing(row))
        return marked

    async def list(self, status: str | None = None) -> list[OutgoingMessage]:
        query = select(OutboxRow).order_by(OutboxRow.id)
        if status is not None:
            query = query.where(OutboxRow.status == status)
        return [_outgoing(r) for r in await self.session.scalars(query)]

    async def attachment(self, message_id: int) -> bytes | None:
        data = await self.session.scalar(
            select(OutboxRow.attachment).where(OutboxRow.id == message_id)
        )
        return bytes(data) if data is not None else None

    async def has_key(self, idempotency_key: str) -> bool:
        found = await self.session.scalar(
            select(OutboxRow.id).where(OutboxRow.idempotency_key == idempotency_key)
        )
        return found is not None

    async def latest(self, recipient: Address, kind: str) -> OutgoingMessage | None:
        row = await self.session.scalar(
            select(OutboxRow)
            .where(
                OutboxRow.channel == recipient.channel.value,
                OutboxRow.address == recipient.address,
                OutboxRow.kind == kind,
            )
            .order_by(OutboxRow.id.desc())
            .limit(1)
        )
        return _outgoing(row) if row is not None else None

    async def by_key(self, idempotency_key: str) -> OutgoingMessage | None:
        row = await self.session.scalar(
            select(OutboxRow).where(OutboxRow.idempotency_key == idempotency_key)
        )
        return _outgoing(row) if row is not None else None

    async def by_platform_id(
        self, recipient: Address, platform_message_id: str
    ) -> OutgoingMessage | None:
        row = await self.session.scalar(
            select(OutboxRow)
            .where(
                OutboxRow.channel == recipient.channel.value,
                OutboxRow.address == recipient.address,
                OutboxRow.platform_message_id == platform_message_id,
            )
            .order_by(OutboxRow.id.desc())
            .limit(1)
        )
        return _outgoing(row) if row is not None else None

    async def for_contact(self, contact_id: int, *kinds: str) -> list[OutgoingMessage]:
        rows = await self.session.scalars(
            select(OutboxRow)
            .where(OutboxRow.contact_id == contact_id, OutboxRow.kind.in_(kinds))
            .order_by(OutboxRow.id)
        )
        return [_outgoing(r) for r in rows]


def _invite(row: InviteRow) -> Invite:
    return Invite(
        id=row.id,
        token_hash=row.token_hash,
        contact_id=row.contact_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        created_by=row.created_by,
    )


class SqlInviteRepository(_Repo):
    async def add(self, invite: Invite) -> Invite:
        row = await self._insert(
            InviteRow(
                token_hash=invite.token_hash,
                contact_id=invite.contact_id,
                created_by=invite.created_by,
                created_at=invite.created_at,
                expires_at=invite.expires_at,
            )
        )
        return _invite(row)

    async def by_hash(self, token_hash: str) -> Invite | None:
        row = await self.session.scalar(select(InviteRow).where(InviteRow.token_hash == token_hash))
        return _invite(row) if row else None

    async def use(self, invite_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]


class SqlInboundRepository(_Repo):
    async def first_time(self, sender: Address, event_id: str, now: datetime) -> bool:
        row = InboundEventRow(
            channel=sender.channel.value,
            address=sender.address,
            event_id=event_id[:128],
            received_at=now,
        )
        return await self._inserted_unless_duplicate(row) is not None

    async def forget_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(InboundEventRow).where(InboundEventRow.received_at < moment)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SqlReportRepository(_Repo):
    async def conversations(self, account_id: int) -> list[ReportConversation]:
        rows = await self.session.execute(
            select(
                ConversationRow.id,
                ConversationRow.round_id,
                ConversationRow.contact_id,
                ConversationRow.status,
            )
            .join(RoundRow, RoundRow.id == ConversationRow.round_id)
            .where(RoundRow.account_id == account_id)
            .order_by(ConversationRow.id)
        )
        return [
            ReportConversation(r.id, r.round_id, r.contact_id, ConversationStatus(r.status))
            for r in rows
        ]

    async def answers(self, account_id: int) -> list[ReportAnswer]:
        # Columns, not entities: a 50-round account has ~150 000 answers, and reports need
        # neither the identity map nor an answer's edit history.
        rows = await self.session.execute(
            select(
                AnswerRow.conversation_id,
                AnswerRow.question_key,
                AnswerRow.text,
                AnswerRow.received_at,
                AnswerRow.edited_at,
                AnswerRow.sentiment_label,
                AnswerRow.sentiment_score,
                AnswerRow.sentiment_evidence,
                AlertRow.status,
                AlertRow.notes,
            )
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .join(RoundRow, RoundRow.id == ConversationRow.round_id)
            .outerjoin(AlertRow, AlertRow.answer_id == AnswerRow.id)
            .where(RoundRow.account_id == account_id)
            .order_by(AnswerRow.id)
        )
        return [
            ReportAnswer(
                conversation_id=r[0],
                question_key=r[1],
                text=r[2],
                received_at=r[3],
                edited=r[4] is not None,
                label=SentimentLabel(r[5]) if r[5] else None,
                score=r[6],
                evidence=[str(e) for e in (r[7] or [])],
                alert_status=AlertStatus(r[8]) if r[8] else None,
                alert_notes=list(r[9] or []),
            )
            for r in rows
        ]

    async def rounds(self, account_ids: Sequence[int]) -> list[Round]:
        if not account_ids:
            return []
        rows = await self.session.scalars(
            select(RoundRow).where(RoundRow.account_id.in_(list(account_ids))).order_by(RoundRow.id)
        )
        return [_round(r) for r in rows]

    async def round_alerts(self, account_ids: Sequence[int]) -> list[RoundAlert]:
        if not account_ids:
            return []
        rows = await self.session.execute(
            select(
                AlertRow, RoundRow.account_id, RoundRow.id, AnswerRow.question_key,
                AnswerRow.sentiment_label,
            )
            .join(AnswerRow, AnswerRow.id == AlertRow.answer_id)
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .join(RoundRow, RoundRow.id == ConversationRow.round_id)
            .where(RoundRow.account_id.in_(list(account_ids)))
            .order_by(RoundRow.id, AlertRow.id)
        )  # fmt: skip
        return [
            RoundAlert(_alert(row), account_id, round_id, key, label == _NEGATIVE)
            for row, account_id, round_id, key, label in rows.all()
        ]

    async def open_silences(self, account_ids: Sequence[int]) -> list[Alert]:
        if not account_ids:
            return []
        rows = await self.session.scalars(
            select(AlertRow)
            .where(
                AlertRow.kind == "silence",
                AlertRow.account_id.in_(list(account_ids)),
                AlertRow.status != AlertStatus.RESOLVED.value,
            )
            .order_by(AlertRow.id)
        )
        return [_alert(r) for r in rows]

    async def round_tallies(self, round_ids: Sequence[int]) -> dict[int, RoundTally]:
        if not round_ids:
            return {}
        ids = list(round_ids)
        # Grouped in SQL: a round's answers never leave the database, only their counts.
        people = await self.session.execute(
            select(
                ConversationRow.round_id,
                func.count(func.distinct(ConversationRow.id)),
                func.count(func.distinct(AnswerRow.conversation_id)),
            )
            .outerjoin(AnswerRow, AnswerRow.conversation_id == ConversationRow.id)
            .where(ConversationRow.round_id.in_(ids))
            .group_by(ConversationRow.round_id)
        )
        tallies = {
            round_id: RoundTally(int(invited), int(responded))
            for round_id, invited, responded in people.all()
        }
        # Of those who responded, the ones who answered every question; the rest, partly.
        per_person = answered_questions(ConversationRow.round_id.in_(ids))
        complete = await self.session.execute(
            select(per_person.c.round_id, func.count())
            .where(per_person.c.questions >= len(QUESTION_KEYS))
            .group_by(per_person.c.round_id)
        )
        whole = {round_id: int(count) for round_id, count in complete.all()}
        for round_id, tally in tallies.items():
            tally.partly = tally.responded - whole.get(round_id, 0)
        negative = case((AnswerRow.sentiment_label == _NEGATIVE, 1), else_=0)
        answers = await self.session.execute(
            select(
                ConversationRow.round_id, AnswerRow.question_key, func.sum(negative), func.count()
            )
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .where(ConversationRow.round_id.in_(ids))
            .group_by(ConversationRow.round_id, AnswerRow.question_key)
        )
        for round_id, key, bad, total in answers.all():
            tallies[round_id].answers[key] = (int(bad or 0), int(total))
        return tallies


_NEGATIVE = SentimentLabel.NEGATIVE.value


def answered_questions(*where: Any) -> Any:
    """Per conversation (with its round) that has answers: how many of the survey's questions
    it answered. Fewer than all is a partial reply (surveys.questions.answered_partly); a
    comment or an answer to another key does not complete one. Census progress and the
    round tallies both count from this."""
    return (
        select(
            AnswerRow.conversation_id,
            ConversationRow.round_id,
            func.count(func.distinct(AnswerRow.question_key)).label("questions"),
        )
        .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
        .where(AnswerRow.question_key.in_(QUESTION_KEYS), *where)
        .group_by(AnswerRow.conversation_id, ConversationRow.round_id)
        .subquery()
    )


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staff = SqlStaffRepository(session)
        self.accounts = SqlAccountRepository(session)
        self.contacts = SqlContactRepository(session)
        self.schedules = SqlScheduleRepository(session)
        self.rounds = SqlRoundRepository(session)
        self.conversations = SqlConversationRepository(session)
        self.answers = SqlAnswerRepository(session)
        self.alerts = SqlAlertRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.inbound = SqlInboundRepository(session)
        self.invites = SqlInviteRepository(session)
        self.reports = SqlReportRepository(session)
        from storage.census import SqlCensusRepository  # it builds on this module's mappers

        self.census = SqlCensusRepository(session)

    async def commit(self) -> None:
        await self.session.commit()


class SqlUnitOfWorkFactory:
    """Opens one session and transaction per unit of work; rolls back unless committed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[SqlUnitOfWork]:
        # Closing the session rolls back whatever was not committed.
        async with self.sessions() as session:
            yield SqlUnitOfWork(session)
