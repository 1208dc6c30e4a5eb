"""The interfaces the domain needs from the outside: clock, messengers and storage.

Adapters (bot/) implement Messenger; storage/ implements the unit of work and repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from surveys.model import (
    Account,
    Address,
    Alert,
    AlertStatus,
    Answer,
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Document,
    Invite,
    OutgoingMessage,
    Round,
    Schedule,
    SentimentLabel,
    Staff,
)

if TYPE_CHECKING:
    from surveys.census import CensusStore


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


# --- messengers ---------------------------------------------------------------------------


class DeliveryError(Exception):
    """A platform refused or failed to take a message."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying: network trouble, 5xx, rate limit (with the platform's retry_after)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: bot blocked, user deactivated, chat not found."""

    def __init__(
        self, reason: str, *, recipient_gone: bool = True, code: str | None = None
    ) -> None:
        super().__init__(reason)
        # True when the person can no longer be reached at this address at all.
        self.recipient_gone = recipient_gone
        # The platform's own error name ("user_not_found", "blocked"), put into words for staff.
        self.code = code


class Messenger(Protocol):
    """One platform's way to deliver a stored outgoing message."""

    channel: Channel

    async def send(self, message: OutgoingMessage) -> str | None:
        """Deliver ``message``; return the platform's message id, raise DeliveryError."""
        ...

    async def send_file(self, recipient: Address, document: Document, caption: str) -> str | None:
        """Deliver a file with a short caption; PermanentDeliveryError when it is too big."""
        ...


# --- repositories -------------------------------------------------------------------------


class ConcurrentUpdateError(Exception):
    """Someone else changed the row since it was read; redo the work on fresh state."""


class StaffRepository(Protocol):
    async def get(self, staff_id: int) -> Staff | None: ...
    async def by_address(self, address: Address) -> Staff | None: ...
    async def add(self, staff: Staff) -> Staff: ...
    async def list(self) -> list[Staff]: ...
    async def update(self, staff: Staff) -> None: ...


class AccountRepository(Protocol):
    async def get(self, account_id: int) -> Account | None: ...
    async def by_name(self, name: str) -> Account | None: ...
    async def add(self, account: Account) -> Account: ...
    async def list(self) -> list[Account]: ...
    async def update(self, account: Account) -> None: ...


class ContactRepository(Protocol):
    async def get(self, contact_id: int) -> Contact | None: ...
    async def by_address(self, address: Address) -> Contact | None: ...
    async def add(self, contact: Contact) -> Contact: ...
    async def for_account(self, account_id: int) -> list[Contact]: ...
    async def set_status(self, contact_id: int, status: ContactStatus) -> None: ...
    async def update(self, contact: Contact) -> None: ...


class ScheduleRepository(Protocol):
    async def set(self, schedule: Schedule) -> Schedule: ...
    async def for_account(self, account_id: int) -> Schedule | None: ...
    async def list(self) -> list[Schedule]: ...
    async def mark_period(self, schedule_id: int, period_key: str) -> None: ...
    async def clear(self, account_id: int) -> bool: ...


class RoundRepository(Protocol):
    async def get(self, round_id: int) -> Round | None: ...
    async def get_or_create(self, round_: Round) -> tuple[Round, bool]:
        """The round for (account, period): created now (True) or found (False)."""
        ...

    async def for_account(self, account_id: int) -> list[Round]: ...
    async def with_open_conversations(self, account_ids: Sequence[int]) -> set[int]:
        """Ids of the rounds of these accounts where someone is invited or being asked."""
        ...


class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> Conversation: ...
    async def get(self, conversation_id: int) -> Conversation | None: ...
    async def save(self, conversation: Conversation) -> Conversation:
        """Store new state if the row still has ``conversation.version``; bump the version.

        Raises ConcurrentUpdateError when another writer got there first.
        """
        ...

    async def current_for_contact(self, contact_id: int) -> Conversation | None:
        """The open conversation, else the most recent one."""
        ...

    async def open_for_contact(self, contact_id: int) -> list[Conversation]: ...
    async def for_round(self, round_id: int) -> list[Conversation]: ...
    async def in_round(self, round_id: int, contact_id: int) -> Conversation | None:
        """The contact's conversation in the round, whatever its state (at most one)."""
        ...

    async def due_reminders(self, now: datetime, limit: int) -> list[Conversation]: ...
    async def due_expiries(self, now: datetime, limit: int) -> list[Conversation]: ...


class AnswerRepository(Protocol):
    async def add(self, answer: Answer) -> Answer: ...
    async def update(self, answer: Answer) -> None: ...
    async def get(self, answer_id: int) -> Answer | None: ...
    async def by_source(self, contact_id: int, source_message_id: str) -> Answer | None: ...
    async def for_contact(self, contact_id: int) -> list[Answer]:
        """Every answer of the contact's, in all their conversations, newest first."""
        ...

    async def for_conversations(self, conversation_ids: Sequence[int]) -> list[Answer]: ...


class AlertRepository(Protocol):
    async def add_once(self, alert: Alert) -> Alert | None:
        """Create the alert unless its answer already has one (then None)."""
        ...

    async def get(self, alert_id: int) -> Alert | None: ...
    async def for_answer(self, answer_id: int) -> Alert | None: ...
    async def silences(self, contact_id: int | None = None) -> list[Alert]:
        """Silence alerts, oldest first; only ``contact_id``'s when given."""
        ...

    async def for_conversation(self, conversation_id: int) -> list[tuple[Alert, str]]:
        """The conversation's answer alerts, oldest first, each with its question key."""
        ...

    async def for_round(self, round_id: int) -> list[Alert]: ...
    async def set_status(
        self,
        alert_id: int,
        status: AlertStatus,
        note: dict[str, object] | None,
        now: datetime,
        *,
        expect: AlertStatus | None = None,
    ) -> Alert | None:
        """Set the status and append ``note``; None if there is no such alert, or when
        ``expect`` is given and the alert is no longer in it (someone got there first).
        Serialised per alert across processes."""
        ...

    async def lock(self, alert_id: int) -> Alert | None:
        """The alert, re-read and locked until the transaction ends (once-only work)."""
        ...

    async def list(self, status: AlertStatus | None = None) -> list[Alert]: ...


class OutboxRepository(Protocol):
    async def enqueue(self, message: OutgoingMessage) -> OutgoingMessage | None:
        """Store the message unless its idempotency key is already stored (then None)."""
        ...

    async def due_heads(
        self, now: datetime, limit: int, channels: Sequence[Channel]
    ) -> list[OutgoingMessage]:
        """Due pending messages on ``channels`` that may go now: edits that carry a
        message's whole state (``COALESCING_KINDS``) first, then oldest first.

        Only the oldest unsettled message of each recipient qualifies, so a recipient's
        messages arrive in the order they were recorded (an edit never overtakes its own
        message or an earlier one to its chat).
        """
        ...

    async def due_edits(
        self, now: datetime, limit: int, channels: Sequence[Channel]
    ) -> list[OutgoingMessage]:
        """The due pending edits of ``COALESCING_KINDS`` on ``channels`` that head their
        recipient's queue (no earlier message to that chat is unsettled), oldest first: the
        ones ``due_heads`` would put first, found without listing every recipient's head."""
        ...

    async def claim(
        self, message_id: int, now: datetime, lease_until: datetime
    ) -> OutgoingMessage | None:
        """Mark one pending, due message as sending until ``lease_until``.

        None if another worker claimed or deferred it first (compare-and-set, safe across
        processes)."""
        ...

    async def mark_sent(self, message_id: int, platform_id: str | None, now: datetime) -> None: ...
    async def mark_retry(self, message_id: int, error: str, at: datetime) -> None: ...
    async def mark_failed(self, message_id: int, error: str) -> None: ...
    async def mark_uncertain(self, message_id: int, error: str) -> None: ...
    async def fail_pending_for(self, address: Address, error: str) -> int: ...
    async def supersede_older(self, message: OutgoingMessage) -> int:
        """Settle as superseded the recipient's still-pending messages of ``message``'s kind
        that edit the same target (payload "target") and were recorded before it; how many.

        Only for edits that carry the whole current state: the newest one shows everything
        the older ones would have. A message already claimed (sending) is left alone — the
        compare-and-set on "pending" loses to a claim, so an edit in flight is never dropped
        and ``message`` still follows it."""
        ...

    async def supersede_if_overtaken(self, message: OutgoingMessage) -> int | None:
        """``message`` is claimed (sending) but a newer pending edit of the same target is
        queued behind it (it went back to pending after a failed try while that one was
        recorded): settle it as superseded, unsent. The newer one's id, or None."""
        ...

    async def mark_stale_uncertain(self, now: datetime) -> list[OutgoingMessage]:
        """Messages still 'sending' past their lease (their process died): mark uncertain."""
        ...

    async def list(self, status: str | None = None) -> list[OutgoingMessage]: ...
    async def attachment(self, message_id: int) -> bytes | None:
        """The file stored with a message (kind "file"), or None."""
        ...

    async def has_key(self, idempotency_key: str) -> bool: ...
    async def by_key(self, idempotency_key: str) -> OutgoingMessage | None: ...
    async def latest(self, recipient: Address, kind: str) -> OutgoingMessage | None:
        """The message of ``kind`` last recorded for ``recipient``, whatever its status."""
        ...

    async def for_contact(self, contact_id: int, *kinds: str) -> list[OutgoingMessage]:
        """The contact's messages of these kinds, oldest first (one query for all)."""
        ...

    async def by_platform_id(
        self, recipient: Address, platform_message_id: str
    ) -> OutgoingMessage | None:
        """The message delivered to ``recipient`` as this platform message (a reply target)."""
        ...


class InviteRepository(Protocol):
    async def add(self, invite: Invite) -> Invite: ...
    async def by_hash(self, token_hash: str) -> Invite | None: ...
    async def use(self, invite_id: int, now: datetime) -> bool:
        """Mark the invite used; False if it already was (compare-and-set)."""
        ...


class InboundRepository(Protocol):
    async def first_time(self, sender: Address, event_id: str, now: datetime) -> bool:
        """Record that ``sender``'s event ``event_id`` is being handled; False if it was
        already (a platform redelivery). Part of the handling transaction."""
        ...

    async def forget_before(self, moment: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class ReportConversation:
    id: int
    round_id: int
    contact_id: int
    status: ConversationStatus


@dataclass(frozen=True, slots=True)
class ReportAnswer:
    """An answer with its sentiment and alert, as reports read it (no history, no ORM)."""

    conversation_id: int
    question_key: str
    text: str
    received_at: datetime
    edited: bool
    label: SentimentLabel | None
    score: float | None
    evidence: list[str]
    alert_status: AlertStatus | None
    alert_notes: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RoundAlert:
    """An answer's alert and where the answer sits, as account health reads it."""

    alert: Alert
    account_id: int  # the round's account
    round_id: int
    question_key: str
    negative: bool  # the answer's sentiment is negative


@dataclass(slots=True)
class RoundTally:
    """A round's figures over every answer, before "not about us" ones are taken out."""

    invited: int = 0  # conversations
    responded: int = 0  # conversations with an answer to anything
    partly: int = 0  # of responded: not every question answered (a comment alone included)
    answers: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (neg, all)


class ReportRepository(Protocol):
    """Read-only, whole-account reads for reports: one query each, not one per round.

    The health reads take many accounts at once: App Home and `/health` weigh every
    account a person may see, and a query per account or round made each open cost
    hundreds of queries."""

    async def conversations(self, account_id: int) -> list[ReportConversation]: ...
    async def answers(self, account_id: int) -> list[ReportAnswer]: ...
    async def rounds(self, account_ids: Sequence[int]) -> list[Round]:
        """The accounts' rounds, by id."""
        ...

    async def round_alerts(self, account_ids: Sequence[int]) -> list[RoundAlert]:
        """Alerts on answers in the accounts' rounds, by round id, then alert id."""
        ...

    async def open_silences(self, account_ids: Sequence[int]) -> list[Alert]:
        """The accounts' silence alerts not resolved, by id."""
        ...

    async def round_tallies(self, round_ids: Sequence[int]) -> dict[int, RoundTally]:
        """Invited, responded and per-question answers of each round that has anyone."""
        ...


class UnitOfWork(Protocol):
    """One transaction over all repositories; nothing is written until commit()."""

    staff: StaffRepository
    accounts: AccountRepository
    contacts: ContactRepository
    schedules: ScheduleRepository
    rounds: RoundRepository
    conversations: ConversationRepository
    answers: AnswerRepository
    alerts: AlertRepository
    outbox: OutboxRepository
    inbound: InboundRepository
    invites: InviteRepository
    reports: ReportRepository
    census: CensusStore

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> AbstractAsyncContextManager[UnitOfWork]: ...
