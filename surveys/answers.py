"""Which question a contact's message answers, and the questions' live buttons.

A contact answers what they can see. Two quick messages ("The result is good." and, a moment
later, "Also the docs were great.") both answer question 1 when question 2 had not reached
them yet; so does the rest of an answer that was too long for one message. Whether a question
had reached them is read from the outbox: the question's message is recorded there, with the
platform's id of the delivered message, which orders it among the contact's own messages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

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

# A question's message, and the closing thank-you: each marks the moment the contact moved on.
MARKER_KINDS = ("question", "thanks")
# A continuation may grow an answer past one message's bound, up to this many characters.
MAX_JOINED_CHARS = 16_000
NOT_DELIVERED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED)
# Platforms whose delivered messages can be changed afterwards (the console prints and forgets).
EDITABLE = frozenset({Channel.TELEGRAM, Channel.SLACK})


def chat_position(channel: Channel, platform_id: str | None) -> Decimal | None:
    """Where a delivered message sits in its chat, comparable with ContactEvent.position:
    Telegram numbers a private chat's messages from both sides in one sequence; Slack's ts
    ("channel:1700000000.000200" as we store it) only grows within a conversation."""
    if not platform_id:
        return None
    raw = platform_id.rsplit(":", 1)[-1] if channel is Channel.SLACK else platform_id
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def seen_before(marker: OutgoingMessage, position: Decimal) -> bool:
    """Whether ``marker`` had reached the contact before they wrote the message at
    ``position``. One not delivered yet (or never) had not."""
    if marker.status in NOT_DELIVERED:
        return False
    sent_at = chat_position(marker.recipient.channel, marker.platform_message_id)
    return sent_at is None or position > sent_at


async def messages_of(
    uow: UnitOfWork, contact: Contact, conv: Conversation, kinds: tuple[str, ...]
) -> list[OutgoingMessage]:
    """The conversation's outgoing messages of ``kinds``, oldest first."""
    return [
        m
        for m in await uow.outbox.for_contact(contact.id, *kinds)
        if m.payload.get("conversation_id") == conv.id
    ]


async def earlier_question(
    uow: UnitOfWork, contact: Contact, conv: Conversation, position: Decimal | None
) -> str | None:
    """The question a message at ``position`` in the chat answers, when that is not the one
    the conversation is at now (the next one had not reached the contact yet); else None.
    Events without a position (the console, tests of the domain) answer the current one."""
    if position is None or conv.question_index == 0:
        return None
    if not (conv.status.is_open or conv.status is ConversationStatus.COMPLETED):
        return None
    current = conv.current_question
    markers = [
        m
        for m in await messages_of(uow, contact, conv, MARKER_KINDS)
        if (m.kind == "question" and m.payload.get("question_key") == current)
        or (current is None and m.kind == "thanks")
    ]
    # Any copy counts: a question the reminder re-sends was seen if its first copy was.
    if not markers or any(seen_before(m, position) for m in markers):
        return None
    return conv.question_keys[conv.question_index - 1]


def joined(previous: Answer, addition: str) -> tuple[str, bool]:
    """The previous answer with ``addition`` after it, within MAX_JOINED_CHARS."""
    text = f"{previous.text.rstrip()}\n{addition}"
    if len(text) > MAX_JOINED_CHARS:
        return text[:MAX_JOINED_CHARS], True
    return text, previous.truncated


# An answer joined from several messages keeps which message wrote which part: its latest
# history entry carries "parts", [[message id, text], ...] for the text that replaced it.
# An edit of one message then changes its part only, and the others stay in the answer.
Parts = list[tuple[str | None, str]]


def parts_of(answer: Answer) -> Parts:
    """The messages ``answer`` is made of, oldest first (one, unless text was added)."""
    latest = answer.history[-1] if answer.history else {}
    if isinstance(kept := latest.get("parts"), list) and len(kept) > 1:
        return [(str(m) if m is not None else None, str(t)) for m, t in kept]
    return [(answer.source_message_id, answer.text)]


def from_parts(parts: Parts) -> tuple[str, bool]:
    """The answer's text from its parts, within MAX_JOINED_CHARS; and whether it was cut."""
    text = "\n".join(t.rstrip() for _, t in parts[:-1]) + "\n" + parts[-1][1]
    if len(text) > MAX_JOINED_CHARS:
        return text[:MAX_JOINED_CHARS], True
    return text, False


def with_parts(answer: Answer, parts: Parts) -> Answer:
    """``answer`` (just given its new text) recording the parts that text is made of."""
    if len(parts) > 1 and answer.history:
        answer.history[-1] = {**answer.history[-1], "parts": [list(p) for p in parts]}
    return answer


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
