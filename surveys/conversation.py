"""The conversation state machine: pure functions of (conversation, event) -> Step.

Nothing here touches a database or a platform; the service persists the Step's new state,
answers and replies in one transaction, which is what makes a restart lose nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from surveys.model import Conversation, ConversationStatus, Language
from surveys.questions import COMMENT_KEY
from surveys.texts import t

# No message a platform delivers is cut: Slack's longest is 40,000 characters, Telegram
# splits a longer text into messages of 4,096 (joined again: surveys.answers). Longer than
# this (only from a platform that broke its own limit) is kept up to it, and the contact told.
# Whoever shows an answer in a message of its own size cuts it there, for display only.
MAX_ANSWER_CHARS = 40_000
QUESTION_BUTTONS: tuple[str, ...] = ("skip", "later", "decline")


class EventKind(StrEnum):
    TEXT = "text"
    NON_TEXT = "non_text"  # sticker, photo, voice, file, location, ...
    SKIP = "skip"
    LATER = "later"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """Something a contact did, already translated from the platform's own update."""

    kind: EventKind
    text: str = ""
    message_id: str | None = None
    # For NON_TEXT: what it was ("sticker", "voice", ...), for logs only.
    media: str | None = None
    # Where the message sits in the chat (Telegram's message_id, Slack's ts): later messages,
    # the bot's and the contact's alike, sit further on. Tells which question they had seen.
    position: Decimal | None = None
    # The language the platform says the sender uses (Telegram's language_code), if any:
    # someone Candor does not know yet is answered in it.
    language: Language | None = None
    # A button pressed under a question: (conversation id, question key). It acts only while
    # that question is still the one asked, checked in the transaction that acts on it, so a
    # double click skips one question, not two.
    pressed_under: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """A message for the contact, rendered in their language."""

    kind: str
    text: str
    buttons: tuple[str, ...] = ()
    question_key: str | None = None
    # Set: the reply goes at most once per conversation under this name, however often
    # the event that causes it arrives (a button tapped twice).
    once: str | None = None


@dataclass(frozen=True, slots=True)
class NewAnswer:
    question_key: str
    text: str
    late: bool = False
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class ConversationContext:
    """What the machine needs to word its messages; resolved by the service."""

    question_texts: dict[str, str]  # key -> wording in the contact's language
    contact_name: str
    company: str
    round_title: str
    reminder_delay: timedelta
    # The round was called off (a cancelled census): no further question goes out, but what
    # the contact answers to one already asked is kept (see _stop).
    stopped: bool = False
    # The language the contact reads Candor in now. A finished conversation stays on record
    # in the language it was held in, but what the contact is told after a /lang follows
    # their choice (None: the conversation's).
    language: Language | None = None


@dataclass(slots=True)
class Step:
    conversation: Conversation
    answers: list[NewAnswer] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)


def bound_text(text: str) -> tuple[str, bool]:
    """The answer as stored: stripped, and cut to MAX_ANSWER_CHARS (True when cut)."""
    text = text.strip()
    if len(text) > MAX_ANSWER_CHARS:
        return text[:MAX_ANSWER_CHARS], True
    return text, False


def question_reply(conv: Conversation, ctx: ConversationContext) -> Reply:
    key = conv.current_question
    assert key is not None, "no current question"
    header = t(
        "question_header", conv.language, n=conv.question_index + 1, count=len(conv.question_keys)
    )
    return Reply(
        kind="question",
        text=f"{header}\n{ctx.question_texts[key]}",
        buttons=QUESTION_BUTTONS,
        question_key=key,
    )


def start(conv: Conversation, ctx: ConversationContext) -> Step:
    """The invitation and the first question, as one message: the contact gets one
    notification, and a round's fan-out takes one send per contact instead of two. The
    message is the first question's (its kind, key and buttons), so retiring its buttons and
    telling which question a reply answers work as for any other question."""
    invite = t(
        "invite",
        conv.language,
        name=ctx.contact_name,
        company=ctx.company,
        round=ctx.round_title,
        count=len(conv.question_keys),
    )
    first = question_reply(conv, ctx)
    return Step(conv, replies=[replace(first, text=f"{invite}\n\n{first.text}")])


def _advance(
    conv: Conversation, ctx: ConversationContext, now: datetime
) -> tuple[Conversation, Reply]:
    """Move past the current question: the next question, or the end of the conversation."""
    nxt = replace(
        conv,
        question_index=conv.question_index + 1,
        status=ConversationStatus.ASKING,
        last_activity_at=now,
    )
    if nxt.current_question is None:
        done = replace(nxt, status=ConversationStatus.COMPLETED, finished_at=now)
        return done, Reply(kind="thanks", text=t("thanks", conv.language))
    return nxt, question_reply(nxt, ctx)


def _notice(conv: Conversation, ctx: ConversationContext, key: str, **params: object) -> Reply:
    return Reply(kind="notice", text=t(key, ctx.language or conv.language, **params))


def receive(
    conv: Conversation, event: ContactEvent, ctx: ConversationContext, now: datetime
) -> Step:
    """Apply one contact event to the conversation."""
    if event.kind is EventKind.NON_TEXT:
        return Step(conv, replies=[_notice(conv, ctx, "text_please")])
    if event.kind is EventKind.TEXT:
        return _receive_text(conv, event, ctx, now)
    if not conv.status.is_open:
        return Step(conv, replies=[_notice(conv, ctx, "no_conversation")])
    if ctx.stopped and event.kind in (EventKind.SKIP, EventKind.LATER):
        return Step(_stop(conv, now), replies=[_notice(conv, ctx, "stopped")])
    if event.kind is EventKind.SKIP:
        nxt, reply = _advance(conv, ctx, now)
        return Step(nxt, replies=[_notice(conv, ctx, "skipped"), reply])
    if event.kind is EventKind.LATER:
        # "Come back later" re-arms the single reminder unless it was already used or
        # would only come after the conversation closes.
        due = now + ctx.reminder_delay
        if conv.reminded or due >= conv.expires_at:
            due = None
        nxt = replace(conv, last_activity_at=now, reminder_due_at=due)
        # "Later" tapped twice says "I will remind you" once per question and reminder; a
        # typed "later" (no button) is asked on purpose and always answered.
        pressed = event.pressed_under is not None
        once = f"later:{conv.question_index}:{int(conv.reminded)}" if pressed else None
        return Step(nxt, replies=[replace(_notice(conv, ctx, "later"), once=once)])
    # DECLINE
    nxt = replace(conv, status=ConversationStatus.DECLINED, finished_at=now, last_activity_at=now)
    return Step(nxt, replies=[_notice(conv, ctx, "declined")])


def answer_key(conv: Conversation) -> str:
    """The question a text from the contact now answers (COMMENT_KEY once past them all)."""
    if conv.status.is_open or conv.status is ConversationStatus.EXPIRED:
        return conv.current_question or COMMENT_KEY
    return COMMENT_KEY


def _receive_text(
    conv: Conversation, event: ContactEvent, ctx: ConversationContext, now: datetime
) -> Step:
    text, truncated = bound_text(event.text)
    if not text:
        return Step(conv, replies=[_notice(conv, ctx, "empty_answer")])
    notices = [_notice(conv, ctx, "truncated", limit=MAX_ANSWER_CHARS)] if truncated else []

    if conv.status.is_open and ctx.stopped:
        # The answer to a question already asked is kept; rather than the next question,
        # the contact is thanked and told there are no more.
        answer = NewAnswer(answer_key(conv), text, truncated=truncated)
        return Step(_stop(conv, now), answers=[answer],
                    replies=[*notices, _notice(conv, ctx, "stopped_kept")])  # fmt: skip

    if conv.status.is_open:
        answer = NewAnswer(answer_key(conv), text, truncated=truncated)
        nxt, reply = _advance(conv, ctx, now)
        return Step(nxt, answers=[answer], replies=[*notices, reply])

    if conv.status is ConversationStatus.EXPIRED:
        # A late answer is still the contact's word on the question they were at: keep it.
        # Then past every question, as a called-off round goes (_stop): whatever they write
        # next is a late comment, never an answer to a question the conversation never sent.
        nxt = replace(conv, question_index=len(conv.question_keys))
        answer = NewAnswer(answer_key(conv), text, late=True, truncated=truncated)
        return Step(nxt, answers=[answer], replies=[*notices, _notice(conv, ctx, "late_kept")])

    # Completed or declined: whatever else they write is a comment worth keeping.
    answer = NewAnswer(answer_key(conv), text, truncated=truncated)
    return Step(conv, answers=[answer], replies=[*notices, _notice(conv, ctx, "comment_kept")])


def _stop(conv: Conversation, now: datetime) -> Conversation:
    """Close the conversation of a round called off. Past its last question, so whatever
    the contact writes next is kept as a comment (a late one, as after an expiry)."""
    return replace(
        conv, status=ConversationStatus.EXPIRED, question_index=len(conv.question_keys),
        finished_at=now, last_activity_at=now, reminder_due_at=None,
    )  # fmt: skip


def remind(conv: Conversation, ctx: ConversationContext, now: datetime) -> Step | None:
    """The one reminder, when it is due; None when there is nothing to do."""
    if not conv.status.is_open or conv.reminded or ctx.stopped:
        return None
    if conv.reminder_due_at is None or conv.reminder_due_at > now:
        return None
    # The question asked again is the latest thing the contact was asked: their next message
    # answers it rather than a follow-up asked before (surveys.followups).
    nxt = replace(conv, reminded=True, reminder_due_at=None, last_activity_at=now)
    reminder = Reply(kind="reminder", text=t("reminder", conv.language))
    return Step(nxt, replies=[reminder, question_reply(conv, ctx)])


def expire(conv: Conversation, now: datetime) -> Step | None:
    """Close a conversation whose time ran out; None when it is not due."""
    if not conv.status.is_open or conv.expires_at > now:
        return None
    nxt = replace(conv, status=ConversationStatus.EXPIRED, finished_at=now, reminder_due_at=None)
    return Step(nxt, replies=[Reply(kind="notice", text=t("expired", conv.language))])
