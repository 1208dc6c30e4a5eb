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
from itertools import pairwise
from typing import Any

from surveys.conversation import MAX_ANSWER_CHARS
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
# A continuation may grow an answer past one message's bound, up to this many characters:
# a 40,000-character text Telegram split into ten messages, and more, is kept whole.
MAX_JOINED_CHARS = 2 * MAX_ANSWER_CHARS
# Telegram splits a pasted text longer than this (UTF-16 units) into messages of at most it.
TELEGRAM_PIECE = 4096
# A piece this close under TELEGRAM_PIECE was split at a space (Telegram trims it), not typed.
PIECE_SLACK = 32
_LOW = TELEGRAM_PIECE - PIECE_SLACK
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


async def earlier_conversation(
    uow: UnitOfWork, contact: Contact, conv: Conversation, position: Decimal | None
) -> int | None:
    """The id of the contact's conversation a message at ``position`` belongs to, when that
    is not ``conv``: a new round's invitation (which closed the conversation under way) had
    not reached them when they wrote, so they were answering the round before. Else None."""
    if position is None or conv.question_index != 0 or not conv.status.is_open:
        return None
    questions = await uow.outbox.for_contact(contact.id, "question")
    invitation = [m for m in questions if m.payload.get("conversation_id") == conv.id]
    if not invitation or any(seen_before(m, position) for m in invitation):
        return None
    ids = (m.payload.get("conversation_id") for m in questions)
    return max((c for c in ids if isinstance(c, int) and c < conv.id), default=None)


def _units(text: str) -> int:
    """The length Telegram counts: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def telegram_piece(before: str, channel: Channel) -> bool:
    """Whether ``before`` may be a piece Telegram split off a long paste: on Telegram and at
    its limit, counted as Telegram does (UTF-16) or by characters should a client count
    those. Only Telegram splits a paste: a Slack message of the same length (Slack keeps up
    to 40,000) and a console line are whole messages."""
    if channel is not Channel.TELEGRAM:
        return False
    before = before.rstrip()
    return any(_LOW <= size <= TELEGRAM_PIECE for size in (len(before), _units(before)))


def glue(before: str, after: str, channel: Channel) -> str:
    """What joins two messages of one answer: a line break, as the contact sent them apart;
    but ``after`` continuing a ``telegram_piece`` goes on the same line: within the word at
    a hard cut, else after a space."""
    if not after or not telegram_piece(before, channel):
        return "\n"  # a piece is never longer (a Slack message may be: no paste was split)
    before = before.rstrip()
    # At the limit: cut where the limit fell, mid-word as like as not. A piece ending in
    # punctuation before a word had its space trimmed ("… twice." + "The next …").
    at_limit = TELEGRAM_PIECE in (len(before), _units(before))
    if at_limit and not (before[-1] in '.,;:!?…)»"' and after[0].isalnum()):
        return ""
    return " "


def join_loses(previous: Answer, addition: str, channel: Channel) -> bool:
    """Whether joining ``addition`` to ``previous`` leaves some of it out (MAX_JOINED_CHARS)."""
    last = parts_of(previous)[-1][1]
    size = len(previous.text.rstrip()) + len(glue(last, addition, channel)) + len(addition)
    return size > MAX_JOINED_CHARS


def joined(previous: Answer, addition: str, channel: Channel) -> tuple[str, bool]:
    """The previous answer with ``addition`` (written on ``channel``) after it, within
    MAX_JOINED_CHARS."""
    last = parts_of(previous)[-1][1]
    text = f"{previous.text.rstrip()}{glue(last, addition, channel)}{addition}"
    if len(text) > MAX_JOINED_CHARS:
        return text[:MAX_JOINED_CHARS], True
    return text, previous.truncated


# An answer's history is one entry per change, oldest first, each holding only what changed,
# so an answer typed as many quick messages stores each message once (not every part so far
# in every entry: 50 messages of 50 characters stored ~60 times the answer):
#   an edit      {"text": the whole answer before, "replaced_at": …}, and when the answer is
#                joined from several messages, "part": [message id, its new text];
#   text added   {"added": [message id, text], "glue": what joined it, "replaced_at": …},
#                and "text" (the answer before) the first time only, when the answer was one
#                message: its first part. Entries without "glue" (written before the platform
#                decided it) were joined by the Telegram rule, whatever the platform.
# Rows written before this format carry "parts", [[message id, text], ...], on every entry of
# a joined answer: all the parts of the text that replaced it. Both are read below.
Parts = list[tuple[str | None, str]]


def _part(raw: object) -> tuple[str | None, str] | None:
    if isinstance(raw, list | tuple) and len(raw) == 2:
        m, t = raw
        return (str(m) if m is not None else None, str(t))
    return None


def _after(entry: dict[str, Any], parts: Parts | None, source: str | None) -> Parts | None:
    """The parts after the change ``entry`` records (None: one message, whatever it read)."""
    if (added := _part(entry.get("added"))) is not None:
        parts = parts or [(source, str(entry.get("text", "")))]
        parts.append(added)  # the list is the replay's own: one append, not a copy per entry
        return parts
    if (edited := _part(entry.get("part"))) is not None and parts:
        return [(m, edited[1] if m == edited[0] else t) for m, t in parts]
    kept = entry.get("parts")  # the earlier format: every part, on every entry
    if isinstance(kept, list) and len(kept) > 1:
        found = [p for p in map(_part, kept) if p is not None]
        return found if len(found) > 1 else None
    return None


def parts_of(answer: Answer) -> Parts:
    """The messages ``answer`` is made of, oldest first (one, unless text was added)."""
    parts: Parts | None = None
    for entry in answer.history:
        parts = _after(entry, parts, answer.source_message_id)
    return parts if parts and len(parts) > 1 else [(answer.source_message_id, answer.text)]


def _glue_added(entry: dict[str, Any], parts: Parts | None) -> str | None:
    """The glue ``entry`` put before the message it added (joined's, then), else None."""
    if (added := _part(entry.get("added"))) is None:
        return None
    if isinstance(between := entry.get("glue"), str):
        return between
    last = parts[-1][1] if parts else str(entry.get("text", ""))
    return glue(last, added[1], Channel.TELEGRAM)  # how such an entry was joined


def glues_of(answer: Answer) -> list[str] | None:
    """What joins each of ``answer``'s messages to the one before, as decided when it came:
    an edit that makes a piece of a Telegram split shorter leaves it joined as it was. None
    for rows in the earlier format (from_parts then reads the messages as they are)."""
    out: list[str] = []
    parts: Parts | None = None
    for entry in answer.history:
        if (between := _glue_added(entry, parts)) is not None:
            out.append(between)
        parts = _after(entry, parts, answer.source_message_id)
    return out if parts and len(out) == len(parts) - 1 else None


def earlier_texts(answer: Answer) -> list[str]:
    """What ``answer`` read before each change in its history, oldest first: the entry's
    "text" where it keeps one, else (text added to a joined answer) the parts before it."""
    out: list[str] = []
    parts: Parts | None = None
    glues: list[str] = []
    for entry in answer.history:
        if "text" in entry:
            out.append(str(entry["text"]))
        else:
            out.append(from_parts(parts, glues)[0] if parts else "")
        if (between := _glue_added(entry, parts)) is not None:
            glues.append(between)
        parts = _after(entry, parts, answer.source_message_id)
    return out


def from_parts(parts: Parts, glues: list[str] | None = None) -> tuple[str, bool]:
    """The answer's text from its parts, within MAX_JOINED_CHARS; and whether it was cut.
    ``glues``: what joins each part to the one before (glues_of), else read from the parts."""
    texts = [t for _, t in parts]
    if glues is None or len(glues) != len(texts) - 1:
        # Rows of the earliest format were joined by the Telegram rule, whatever the platform.
        glues = [glue(before, after, Channel.TELEGRAM) for before, after in pairwise(texts)]
    chunks = [texts[0]]
    for between, after in zip(glues, texts[1:], strict=True):
        chunks[-1] = chunks[-1].rstrip()
        chunks += [between, after]
    text = "".join(chunks)
    if len(text) > MAX_JOINED_CHARS:
        return text[:MAX_JOINED_CHARS], True
    return text, False


def with_new_text(
    answer: Answer, text: str, now: datetime, part: tuple[str | None, str] | None = None,
    **changes: object,
) -> Answer:  # fmt: skip
    """``answer`` reading ``text`` now (an edit); what it said before goes into its history,
    with ``part``, the edited message and its new text, when the answer is joined."""
    entry: dict[str, Any] = {"text": answer.text, "replaced_at": now.isoformat()}
    if part is not None and len(parts_of(answer)) > 1:
        entry["part"] = list(part)
    return replace(answer, text=text, history=[*answer.history, entry], **changes)  # type: ignore[arg-type]


def with_added(
    answer: Answer, text: str, now: datetime, part: tuple[str | None, str], channel: Channel,
    **changes: object,
) -> Answer:  # fmt: skip
    """``answer`` reading ``text`` now that the message ``part`` (written on ``channel``) was
    added to it: its history records that message alone, with what joined it (and, the first
    time, the message the answer was until now)."""
    between = glue(parts_of(answer)[-1][1], part[1], channel)
    entry: dict[str, Any] = {"added": list(part), "glue": between, "replaced_at": now.isoformat()}
    if len(parts_of(answer)) == 1:
        entry["text"] = answer.text
    return replace(answer, text=text, history=[*answer.history, entry], **changes)  # type: ignore[arg-type]


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
