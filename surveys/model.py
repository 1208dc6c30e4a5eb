"""Plain domain objects: what the survey logic works on, free of any platform or database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Language(StrEnum):
    RU = "ru"
    EN = "en"


class StaffRole(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    OWNER = "owner"


class ContactLevel(StrEnum):
    STAKEHOLDER = "stakeholder"
    USER = "user"


class ContactStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    UNREACHABLE = "unreachable"
    OPTED_OUT = "opted_out"


class Channel(StrEnum):
    CONSOLE = "console"
    TELEGRAM = "telegram"
    SLACK = "slack"


class CadenceKind(StrEnum):
    SPRINT = "sprint"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    CRON = "cron"
    MANUAL = "manual"


class ConversationStatus(StrEnum):
    INVITED = "invited"
    ASKING = "asking"
    COMPLETED = "completed"
    EXPIRED = "expired"
    DECLINED = "declined"

    @property
    def is_open(self) -> bool:
        return self in (ConversationStatus.INVITED, ConversationStatus.ASKING)


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Disposition(StrEnum):
    """How an alert ended. NOT_US keeps the answer but leaves it out of the negative share."""

    FIXED = "fixed"
    EXPLAINED = "explained"
    NOT_US = "not_us"
    WONT_FIX = "wont_fix"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # The process died between handing the message to the platform and recording the
    # outcome: it may or may not have arrived. Never resent automatically (at-most-once).
    UNCERTAIN = "uncertain"
    # Never sent, on purpose: a newer edit of the same message was recorded before this one
    # went out, and carries everything this one would have shown (see supersede_older).
    SUPERSEDED = "superseded"


# Kinds of message that edit an earlier one in place and carry its whole current state, so
# only the newest queued one for a target need go out (first sends never coalesce).
COALESCING_KINDS = frozenset({"alert_update", "census_progress_update"})


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True, slots=True)
class Address:
    """Where a person is reached: a channel and that channel's id (chat id, Slack user id)."""

    channel: Channel
    address: str


@dataclass(slots=True)
class Staff:
    id: int
    name: str
    role: StaffRole
    language: Language = Language.EN
    telegram_user_id: int | None = None
    slack_user_id: str | None = None
    console_name: str | None = None
    timezone: str | None = None  # None: the deployment's default time zone
    digest: bool = True  # the weekly digest; each person may turn it off for themself
    # Set when a platform refused this person's alerts for good (e.g. they blocked the bot):
    # their alerts go to managers and admins until they write to the bot again.
    unreachable_since: datetime | None = None
    # When they joined the staff (the clock of whoever added them); None until stored. Their
    # weekly digest starts with the first one scheduled after this moment.
    created_at: datetime | None = None
    # False while the language is the one whoever added them chose (they have not picked one
    # with /lang yet): it then follows the language their platform says they use.
    language_chosen: bool = True

    def address_on(self, channel: Channel) -> Address | None:
        if channel is Channel.TELEGRAM and self.telegram_user_id is not None:
            return Address(channel, str(self.telegram_user_id))
        if channel is Channel.SLACK and self.slack_user_id:
            return Address(channel, self.slack_user_id)
        if channel is Channel.CONSOLE and self.console_name:
            return Address(channel, self.console_name)
        return None

    def addresses(self) -> list[Address]:
        return [a for c in Channel if (a := self.address_on(c)) is not None]


@dataclass(slots=True)
class Account:
    id: int
    name: str
    owner_id: int | None
    tier: str = "standard"
    language: Language = Language.EN
    timezone: str = "UTC"
    # Per-account question wording: {"outcome": {"ru": "...", "en": "..."}, ...}
    question_overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    # "half_yearly": a census of the users opens by itself for each past half year.
    census_schedule: str | None = None
    # When the owner was given the account (the clock of whoever did it); None when unknown
    # (owned before this was recorded). Their weekly digest starts after their first account.
    owner_since: datetime | None = None
    # When it was added (the clock of whoever added it); None until stored. Staff whose first
    # account to read about came after a week's digest hour do not get that week's digest.
    created_at: datetime | None = None


@dataclass(slots=True)
class Contact:
    id: int
    account_id: int
    name: str
    level: ContactLevel
    language: Language
    status: ContactStatus
    channel: Channel | None = None
    address: str | None = None
    email: str | None = None
    # Census: the client's id for the person, Telegram hints matched when they open a census
    # link, and tickets raised (the last one decides whether a census asks them).
    external_id: str | None = None
    telegram_username: str | None = None
    telegram_id: str | None = None
    tickets: int = 0
    last_ticket_at: datetime | None = None
    # When they last joined by the account's census link: a census starting after that
    # asks them too, ticket or not (surveys.census).
    census_joined_at: datetime | None = None

    @property
    def reachable_at(self) -> Address | None:
        if self.channel is None or self.address is None:
            return None
        return Address(self.channel, self.address)


@dataclass(slots=True)
class Schedule:
    id: int
    account_id: int
    kind: CadenceKind
    every_weeks: int | None = None
    anchor: date | None = None
    cron: str | None = None
    # The latest period a round was opened for by this schedule; due-checks only look forward.
    last_period_key: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Round:
    id: int
    account_id: int
    period_key: str
    title: str
    opened_at: datetime
    audience: str = "stakeholder"

    @property
    def is_census(self) -> bool:
        """A users' census (surveys.census), as opposed to a round asking stakeholders."""
        return self.audience == ContactLevel.USER.value


@dataclass(slots=True)
class Conversation:
    id: int
    round_id: int
    contact_id: int
    status: ConversationStatus
    question_index: int
    question_keys: list[str]
    language: Language
    invited_at: datetime
    last_activity_at: datetime
    reminder_due_at: datetime | None
    expires_at: datetime
    reminded: bool = False
    finished_at: datetime | None = None
    version: int = 1

    @property
    def current_question(self) -> str | None:
        if self.question_index < len(self.question_keys):
            return self.question_keys[self.question_index]
        return None


@dataclass(slots=True)
class Sentiment:
    label: SentimentLabel
    score: float  # confidence in the label, 0..1
    evidence: list[str]
    analyser: str  # "name/version"


@dataclass(slots=True)
class Answer:
    id: int
    conversation_id: int
    question_key: str
    text: str
    received_at: datetime
    source_message_id: str | None = None
    edited_at: datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    late: bool = False
    truncated: bool = False
    sentiment: Sentiment | None = None
    # Characters no database can store (NUL, lone surrogates) were replaced on arrival.
    cleaned: bool = False


@dataclass(slots=True)
class Alert:
    id: int
    answer_id: int  # 0 for a silence alert: it stands for answers that did not come
    account_id: int
    owner_id: int | None
    status: AlertStatus
    created_at: datetime
    notes: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "answer"  # or "silence"
    contact_id: int | None = None  # a silent contact (None: the account's response rate)
    streak_key: str | None = None  # the streak of silence a silence alert stands for


@dataclass(frozen=True, slots=True)
class Document:
    """A file to hand to a person: a report, a chart."""

    filename: str
    mime: str
    data: bytes


@dataclass(slots=True)
class OutgoingMessage:
    """A message to send, as stored in the outbox: recorded first, delivered later."""

    recipient: Address
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    id: int | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    contact_id: int | None = None
    # A file's bytes (kind "file"): stored beside the message, loaded only to deliver it.
    attachment: bytes | None = None
    # Filled in once delivered: the platform's id of the (last) message, and when.
    platform_message_id: str | None = None
    sent_at: datetime | None = None


@dataclass(slots=True)
class Invite:
    """A one-time link that binds a chat to a contact. Only the token's hash is stored."""

    id: int
    token_hash: str
    contact_id: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    created_by: int | None = None
