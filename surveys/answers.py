"""Which question a contact's message answers, and the questions' live buttons.

A contact answers what they can see. Two quick messages ("The result is good." and, a moment
later, "Also the docs were great.") both answer question 1 when question 2 had not reached
them yet; so does the rest of an answer that was too long for one message. Whether a question
had reached them is read from the outbox: the question's message is recorded there, with the
time the platform took it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from surveys.model import (
    Answer,
    Channel,
    Contact,
    Conversation,
    ConversationStatus,
    OutboxStatus,
    OutgoingMessage,
)
from surveys.ports import UnitOfWork

# Telegram dates a message in whole seconds: a message dated one second or more before the
# question went out was certainly written before the contact could see it.
DATE_GRAIN = timedelta(seconds=1)
# A question's message, and the closing thank-you: each marks the moment the contact moved on.
MARKER_KINDS = ("question", "thanks")
# A continuation may grow an answer past one message's bound, up to this many characters.
MAX_JOINED_CHARS = 16_000
NOT_DELIVERED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED)
# Platforms whose delivered messages can be changed afterwards (the console prints and forgets).
EDITABLE = frozenset({Channel.TELEGRAM, Channel.SLACK})


def delivered_before(marker: OutgoingMessage, written_at: datetime) -> bool:
    """Whether ``marker`` had reached the contact when they wrote at ``written_at``."""
    if marker.status in NOT_DELIVERED:
        return False
    if marker.sent_at is None:
        return True  # delivered at an unknown time (uncertain): assume they saw it
    return written_at + DATE_GRAIN > marker.sent_at


async def messages_of(
    uow: UnitOfWork, contact: Contact, conv: Conversation, kinds: tuple[str, ...]
) -> list[OutgoingMessage]:
    """The conversation's outgoing messages of ``kinds``, oldest first."""
    found = [
        m
        for kind in kinds
        for m in await uow.outbox.for_contact(contact.id, kind)
        if m.payload.get("conversation_id") == conv.id
    ]
    return sorted(found, key=lambda m: m.id or 0)


async def earlier_question(
    uow: UnitOfWork, contact: Contact, conv: Conversation, written_at: datetime | None
) -> str | None:
    """The question a message written at ``written_at`` answers, when that is not the one the
    conversation is at now (the next one had not reached the contact yet); else None."""
    if written_at is None or conv.question_index == 0:
        return None
    if not (conv.status.is_open or conv.status is ConversationStatus.COMPLETED):
        return None
    markers = await messages_of(uow, contact, conv, MARKER_KINDS)
    if not markers or delivered_before(markers[-1], written_at):
        return None
    return conv.question_keys[conv.question_index - 1]


def joined(previous: Answer, addition: str) -> tuple[str, bool]:
    """The previous answer with ``addition`` after it, within MAX_JOINED_CHARS."""
    text = f"{previous.text}\n{addition}"
    if len(text) > MAX_JOINED_CHARS:
        return text[:MAX_JOINED_CHARS], True
    return text, previous.truncated


def with_new_text(answer: Answer, text: str, now: datetime, **changes: object) -> Answer:
    """``answer`` reading ``text`` now; what it said before goes into its history."""
    return replace(
        answer,
        text=text,
        history=[*answer.history, {"text": answer.text, "replaced_at": now.isoformat()}],
        **changes,  # type: ignore[arg-type]
    )


def retire_key(question_message: OutgoingMessage) -> str:
    return f"retire:{question_message.idempotency_key}"


def retire_buttons(question_message: OutgoingMessage, now: datetime) -> OutgoingMessage:
    """Take the Skip / Later / Decline buttons off a question that has been dealt with or
    asked again, so one question never has two live keyboards. The delivery worker finds
    the delivered message by ``target``; one never delivered is left alone."""
    payload = {
        "text": question_message.payload.get("text", ""),
        "lang": question_message.payload.get("lang", "en"),
        "target": question_message.idempotency_key,
        "conversation_id": question_message.payload.get("conversation_id"),
    }
    return OutgoingMessage(
        recipient=question_message.recipient,
        kind="retire_buttons",
        payload=payload,
        idempotency_key=retire_key(question_message),
        contact_id=question_message.contact_id,
        next_attempt_at=now,
    )
