"""SQLAlchemy 2.0 typed models: every piece of Candor's state lives in these tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type and hands back naive values; normalising here means the
    domain never compares a naive with an aware datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class StaffRow(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="en")
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    slack_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    console_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    unreachable_since: Mapped[datetime | None] = mapped_column()
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    tier: Mapped[str] = mapped_column(String(40), default="standard")
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    question_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    census_schedule: Mapped[str | None] = mapped_column(String(20))
    owner_since: Mapped[datetime | None] = mapped_column()


class ContactRow(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        # An import matches rows to contacts by external id, e-mail or Telegram name.
        Index("ix_contacts_account_external", "account_id", "external_id"),
        Index("ix_contacts_account_email", "account_id", "email"),
        Index("ix_contacts_account_tg_username", "account_id", "telegram_username"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), default="stakeholder")
    language: Mapped[str] = mapped_column(String(5), default="en")
    status: Mapped[str] = mapped_column(String(20), default="invited")
    channel: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(128))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Census (issue 13): the client's own id for the person, how to recognise them when they
    # open a census link, and when they last raised a ticket (who a census asks).
    external_id: Mapped[str | None] = mapped_column(String(128))
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    telegram_id: Mapped[str | None] = mapped_column(String(32))
    tickets: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_ticket_at: Mapped[datetime | None] = mapped_column()
    # When they last joined by a census link (a census starting after that asks them too).
    census_joined_at: Mapped[datetime | None] = mapped_column()


class TicketRow(Base):
    """A ticket a user raised, as a helpdesk reported it: once per (account, ticket id)."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("account_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    raised_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CensusLinkRow(Base):
    """An account-wide link that binds whoever opens it as a user; only a hash is stored."""

    __tablename__ = "census_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class CensusRunRow(Base):
    """A census round's fan-out: its state, who started it and the ticket window it asks."""

    __tablename__ = "census_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(20), default="running")
    since: Mapped[datetime] = mapped_column()
    until: Mapped[datetime] = mapped_column()
    starter_channel: Mapped[str | None] = mapped_column(String(20))
    starter_address: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduleRow(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    every_weeks: Mapped[int | None] = mapped_column(Integer)
    anchor: Mapped[date | None] = mapped_column(Date)
    cron: Mapped[str | None] = mapped_column(String(120))
    last_period_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoundRow(Base):
    __tablename__ = "rounds"
    # The database, not the caller, guarantees one round per account and period.
    __table_args__ = (UniqueConstraint("account_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(20), default="stakeholder")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConversationRow(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("round_id", "contact_id"),
        Index("ix_conversations_status_reminder", "status", "reminder_due_at"),
        Index("ix_conversations_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20))
    question_index: Mapped[int] = mapped_column(Integer, default=0)
    question_keys: Mapped[list[Any]] = mapped_column()
    language: Mapped[str] = mapped_column(String(5))
    invited_at: Mapped[datetime] = mapped_column()
    last_activity_at: Mapped[datetime] = mapped_column()
    reminder_due_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    finished_at: Mapped[datetime | None] = mapped_column()
    # Optimistic lock: two processes handling the same contact cannot both advance it.
    version: Mapped[int] = mapped_column(Integer, default=1)


class AnswerRow(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("conversation_id", "source_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    question_key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column()
    source_message_id: Mapped[str | None] = mapped_column(String(128))
    edited_at: Mapped[datetime | None] = mapped_column()
    history: Mapped[list[Any]] = mapped_column(default=list)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Characters the database cannot store (NUL, lone surrogates) were replaced.
    cleaned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sentiment_label: Mapped[str | None] = mapped_column(String(20))
    sentiment_score: Mapped[float | None] = mapped_column(Float)
    sentiment_evidence: Mapped[list[Any] | None] = mapped_column()
    analyser: Mapped[str | None] = mapped_column(String(80))


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: exactly one alert per answer, however often the answer is edited or re-scored.
    # None for a silence alert, which stands for answers that did not come.
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="answer", server_default="answer")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    # Unique: one silence alert per streak of silence, however many ticks or processes see it.
    streak_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    notes: Mapped[list[Any]] = mapped_column(default=list)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        # Finding each recipient's head message groups by recipient within a status.
        Index("ix_outbox_recipient", "channel", "address", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    # Unique: recording the same logical message twice (a retried handler) stores it once.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    # A file's bytes (reports, charts); deferred so listing due messages never loads them.
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class InboundEventRow(Base):
    """Platform events already handled, so a redelivered update is handled once."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("channel", "address", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(index=True)


class InboxRow(Base):
    """An inbound platform update, recorded before the platform is told it arrived.

    The mirror of the outbox: workers claim pending rows, hand them to the platform's
    dispatcher and settle them; a row that keeps failing is set aside as ``failed``.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        # Unique: a redelivered update (webhook retry, two processes) is recorded once.
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_status_next", "status", "next_attempt_at"),
        # Each sender's updates are handled in order: the head per sender is claimable.
        Index("ix_inbox_sender", "channel", "sender", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    update_key: Mapped[str] = mapped_column(String(128))
    sender: Mapped[str] = mapped_column(String(128))
    # The update as the platform sent it, JSON with non-ASCII escaped: any text survives.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    processed_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class InviteRow(Base):
    """A one-time onboarding link for a contact; only a hash of the token is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
