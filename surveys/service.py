"""The survey service: the domain's use cases, each one transaction over the unit of work.

Every use case records its outgoing messages in the outbox inside the same transaction as
the state change, so a crash either keeps both or neither.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from surveys import answers as answering
from surveys import conversation as machine
from surveys import deleted_answers, evidence
from surveys.alert_desk import AlertDesk, AlertDetails, alert_details
from surveys.alerts import AlertPolicy, staff_notice
from surveys.answer_sentiment import answer_sentiment, remembering
from surveys.answers import MAX_JOINED_CHARS
from surveys.cleaning import clean_text
from surveys.conversation import ContactEvent, ConversationContext, EventKind, Reply, Step
from surveys.escalation import EscalationPolicy, Escalations
from surveys.followup_replies import expire_due, reply_deleted, reply_edited, take_reply
from surveys.model import (
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
    Language,
    OutboxStatus,
    OutgoingMessage,
    Round,
    Sentiment,
    Staff,
    StaffRole,
)
from surveys.open_rounds import blocking_round, skip_notices
from surveys.periods import distinct_round_title, period_phrase, tellings
from surveys.ports import (
    Clock,
    ConcurrentUpdateError,
    PermanentDeliveryError,
    UnitOfWork,
    UnitOfWorkFactory,
)
from surveys.questions import QUESTION_KEYS, question_text
from surveys.reports import RoundSummary, summary_row
from surveys.schedules import latest_due_period
from surveys.sentiment import SentimentAnalyser
from surveys.silence import SilencePolicy, Silences, cleared_by_reply
from surveys.texts import channel_name, failure_reason, t

log = logging.getLogger(__name__)
_RANK = {AlertStatus.OPEN: 0, AlertStatus.ACKNOWLEDGED: 1, AlertStatus.RESOLVED: 2}
INBOUND_MEMORY = timedelta(days=30)
# Pieces of one pasted text come within seconds; text added later than this is acknowledged anew.
ADDED_NOTICE_WINDOW = timedelta(minutes=1)
# An analyser that says it is cheap (inline) is cheap per character: the baseline reads 2,000
# in ~1 ms, a 40,000-character answer in 20-90 ms. Longer text goes to a worker thread
# whatever the analyser, so no answer holds the event loop.
INLINE_MAX_CHARS = 2_000
T = TypeVar("T")
# Answers scored before the transaction that stores them, by (text, question).
Scores = dict[tuple[str, str], Sentiment]


@dataclass(frozen=True, slots=True)
class SurveyPolicy:
    reminder_delay: timedelta = timedelta(days=2)
    expiry_delay: timedelta = timedelta(days=7)
    send_hour: int = 10  # local hour at which scheduled rounds open
    company: str = "Candor"
    default_language: Language = Language.EN
    default_timezone: str = "UTC"
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    followup_window: timedelta = timedelta(days=3)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    silence: SilencePolicy = field(default_factory=SilencePolicy)


@dataclass(frozen=True, slots=True)
class RoundOpened:
    round: Round
    created: bool
    invited: int


__all__ = ["AlertDetails", "RoundOpened", "SurveyPolicy", "SurveyService", "TickReport"]


@dataclass(slots=True)
class TickReport:
    reminders: int = 0
    expired: int = 0
    rounds_opened: list[str] = field(default_factory=list)
    escalations: int = 0
    silences: int = 0
    followups_unanswered: int = 0


async def staff_chats(uow: UnitOfWork) -> set[Address]:
    """Every staff member's chats. A contact bound to one is staff (made a contact before
    becoming staff): never surveyed, and listed and counted as such."""
    return {a for s in await uow.staff.list() for a in s.addresses()}


class SurveyService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        analyser: SentimentAnalyser,
        policy: SurveyPolicy | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.analyser = analyser
        # Each message added to an answer reads the earlier ones again (answer_sentiment).
        self._read_part = remembering(self._score_now)
        self.policy = policy or SurveyPolicy()
        self.alert_desk = AlertDesk(clock, self.policy.alerts)
        # Whether a census link can be shown on a channel (Slack: only with a Telegram bot
        # to open it), as its adapter says; a channel that says nothing can. Asked when it
        # is shown: the Telegram bot's name may be learnt after start (bot/run.py).
        self.census_links: dict[Channel, Callable[[], bool]] = {}

    def census_links_work(self, channel: Channel) -> bool:
        """Whether a census link shown on ``channel`` can be opened (census_links): the one
        answer for commands and census progress messages alike."""
        return self.census_links.get(channel, lambda: True)()

    # --- rounds ---------------------------------------------------------------------------

    async def open_round(
        self, account_id: int, period_key: str, title: str, audience: str = "stakeholder"
    ) -> RoundOpened:
        """Open the round for (account, period) once; invite its active contacts."""
        async with self.uow() as uow:
            opened = await self._open_round(uow, account_id, period_key, title, audience)
            await uow.commit()
        return opened

    async def open_round_now(self, account_id: int) -> RoundOpened:
        """A manual round: at most one per account per day, however often it is asked for."""
        # Staff know it by its day; clients read it as a period (surveys.periods).
        today = self.clock.now().strftime("%Y-%m-%d")
        return await self.open_round(account_id, f"manual-{today}", today)

    async def _open_round(
        self, uow: UnitOfWork, account_id: int, period_key: str, title: str, audience: str
    ) -> RoundOpened:
        account = await uow.accounts.get(account_id)
        if account is None:
            raise LookupError(f"no account {account_id}")
        now = self.clock.now()
        round_, created = await uow.rounds.get_or_create(
            Round(0, account.id, period_key, title, opened_at=now, audience=audience)
        )
        if not created:
            return RoundOpened(round_, False, 0)
        invited = 0
        # A chat that is staff's (a contact made before the person became staff): staff
        # get the alerts, not the questions (the census's population leaves them out too).
        staff = await staff_chats(uow)
        for contact in await uow.contacts.for_account(account.id):
            if not self.invitable(contact, audience) or contact.reachable_at in staff:
                continue
            await self._invite(uow, account, round_, contact, now)
            invited += 1
        log.info("opened round %s for account %s: %d invited", period_key, account.id, invited)
        return RoundOpened(round_, True, invited)

    @staticmethod
    def asks(audience: str, level: ContactLevel) -> bool:
        """Whether a round for ``audience`` asks contacts of this level ("all" asks anyone)."""
        return audience == "all" or level == ContactLevel(audience)

    @staticmethod
    def invitable(contact: Contact, audience: str) -> bool:
        return (
            SurveyService.asks(audience, contact.level)
            and contact.status is ContactStatus.ACTIVE
            and contact.reachable_at is not None
        )

    async def invite(
        self,
        uow: UnitOfWork,
        account: Account,
        round_: Round,
        contact: Contact,
        *,
        closes_at: datetime | None = None,
    ) -> None:
        """Invite one contact to ``round_`` inside the caller's transaction (the census, a
        contact joining an open round); ``closes_at`` ends their conversation with the round."""
        await self._invite(uow, account, round_, contact, self.clock.now(), closes_at)

    async def _invite(
        self,
        uow: UnitOfWork,
        account: Account,
        round_: Round,
        contact: Contact,
        now: datetime,
        closes_at: datetime | None = None,
    ) -> None:
        # A contact answers one round at a time: an older open conversation closes quietly.
        for old in await uow.conversations.open_for_contact(contact.id):
            await uow.conversations.save(
                replace(old, status=ConversationStatus.EXPIRED, finished_at=now)
            )
        reminder_at = now + self.policy.reminder_delay
        expires_at = now + self.policy.expiry_delay
        if closes_at is not None:
            expires_at = min(expires_at, closes_at)
        conv = await uow.conversations.add(
            Conversation(
                id=0,
                round_id=round_.id,
                contact_id=contact.id,
                status=ConversationStatus.INVITED,
                question_index=0,
                question_keys=list(QUESTION_KEYS),
                language=contact.language,
                invited_at=now,
                last_activity_at=now,
                reminder_due_at=reminder_at if reminder_at < expires_at else None,
                expires_at=expires_at,
            )
        )
        step = machine.start(conv, self._context(account, contact, round_, conv))
        await self._enqueue_replies(uow, contact, conv, step.replies, f"conv:{conv.id}:start")

    # --- contact events -------------------------------------------------------------------

    async def handle_event(self, sender: Address, event: ContactEvent) -> None:
        """A contact wrote, pressed a button or sent something else."""
        text, cleaned = clean_text(event.text)
        if cleaned:
            log.info("text from %s:%s had unstorable characters; cleaned",
                     sender.channel.value, sender.address)  # fmt: skip
            event = replace(event, text=text)
        scores = await self._prescore(sender, event)
        await self._retrying(lambda: self._handle_event(sender, event, scores, cleaned))

    async def _prescore(self, sender: Address, event: ContactEvent) -> Scores:
        """Score a text answer before the transaction that stores it.

        An analyser may take a while (an embedding, or a remote endpoint up to its timeout):
        it runs in a worker thread, so neither the event loop nor a database transaction
        waits for it. Should the conversation move on meanwhile, the answer is scored
        again inside the transaction (see _persist).
        """
        if event.kind is not EventKind.TEXT:
            return {}
        text, _ = machine.bound_text(event.text)
        if not text or self._cheap(len(text)):
            # An analyser that says it is cheap (microseconds) scores a short answer inside
            # the transaction: a read transaction and a thread hop would cost more.
            return {}
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
            if contact is None or contact.status is ContactStatus.OPTED_OUT:
                return {}  # an opted-out contact's words are neither kept nor read
            conv = await uow.conversations.current_for_contact(contact.id)
        if conv is None:
            return {}
        key = machine.answer_key(conv)
        return {(text, key): await self._score(text, key)}

    async def _score(self, text: str, question: str) -> Sentiment:
        return await self._off_loop(partial(self._score_now, text, question), len(text))

    def _cheap(self, chars: int) -> bool:
        """Whether reading ``chars`` characters may run on the event loop: only for an
        analyser that says it is cheap (inline), and only for a short text."""
        return getattr(self.analyser, "inline", False) and chars <= INLINE_MAX_CHARS

    async def _off_loop(self, read: Callable[[], Sentiment], chars: int) -> Sentiment:
        """``read()`` (of ``chars`` characters in all) in a worker thread, unless cheap."""
        if self._cheap(chars):
            return read()
        return await asyncio.to_thread(read)

    def _score_now(self, text: str, question: str | None) -> Sentiment:
        return evidence.checked(text, self.analyser.analyse(text, question))

    async def _score_answer(self, whole: str, parts: list[str], question: str) -> Sentiment:
        """An answer joined from the quick messages ``parts``: read joined and one by one."""
        if len(parts) < 2:
            return await self._score(whole, question)
        return await self._off_loop(
            partial(answer_sentiment, whole, parts, question, self._score_now, self._read_part),
            len(whole) + sum(map(len, parts)),  # read joined, and message by message
        )

    async def _handle_event(
        self, sender: Address, event: ContactEvent, scores: Scores, cleaned: bool = False
    ) -> None:
        async with self.uow() as uow:
            # A platform may deliver the same update twice (webhook retries, reconnects):
            # the second time, nothing happens — not an answer, not a skip, not a reply.
            if event.message_id and not await uow.inbound.first_time(
                sender, event.message_id, self.clock.now()
            ):
                return
            contact = await uow.contacts.by_address(sender)
            if contact is None:
                await self._notice_stranger(uow, sender, event)
                await uow.commit()
                return
            if contact.status is ContactStatus.OPTED_OUT:
                await self._notice(
                    uow, contact, _OPTED_OUT_KEY[event.kind],
                    self._event_key("in", sender, event.message_id), start=_start_command(contact),
                )  # fmt: skip
                await uow.commit()
                return
            await self._mark_reachable(uow, contact)
            conv = await uow.conversations.current_for_contact(contact.id)
            if event.pressed_under is not None and not _still_asks(conv, event.pressed_under):
                return  # the other press of a double click, already acted on: nothing changes
            if event.kind is EventKind.TEXT:
                # The latest thing the contact was asked takes the message (surveys.followups);
                # the survey's last activity moves with each question it asks, a reminder too.
                survey_at = conv.last_activity_at if conv and conv.status.is_open else None
                taken = await take_reply(
                    uow, contact, event.text, self.clock.now(), survey_at, event.message_id
                )
                # After the reply is routed: a follow-up on a silence alert gets its answer.
                await cleared_by_reply(uow, self.alert_desk, contact, self.clock.now())
                if taken:
                    await uow.commit()
                    return
            if conv is None:
                key = "no_conversation" if event.kind is not EventKind.NON_TEXT else "text_please"
                in_key = self._event_key("in", sender, event.message_id)
                await self._notice(uow, contact, key, in_key)
                await uow.commit()
                return
            if event.kind is EventKind.TEXT and (
                earlier := await answering.earlier_conversation(uow, contact, conv, event.position)
            ):
                # Written to the round before, which the new one closed: kept there, as late.
                before = await uow.conversations.get(earlier)
                conv = before if before is not None and not before.status.is_open else conv
            account, round_ = await self._round_of(uow, conv)
            now = self.clock.now()
            if event.kind is EventKind.TEXT and (
                key := await answering.earlier_question(uow, contact, conv, event.position)
            ):
                await self._add_to_answer(uow, sender, conv, key, event, account, contact, round_)
                await uow.commit()
                return
            ctx = self._context(account, contact, round_, conv, await self._stopped(uow, round_))
            step = machine.receive(conv, event, ctx, now)
            await self._persist(
                uow, conv, step, account, contact, round_, event.message_id, now, scores,
                cleaned=cleaned,
            )  # fmt: skip
            await uow.commit()

    async def handle_edit(self, sender: Address, message_id: str, text: str) -> None:
        """A contact edited an earlier message: replace the stored answer, keep history."""
        text, cleaned = clean_text(text)
        await self._retrying(lambda: self._handle_edit(sender, message_id, text, cleaned))

    async def _handle_edit(
        self, sender: Address, message_id: str, text: str, cleaned: bool = False
    ) -> None:
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
            answer = await uow.answers.by_source(contact.id, message_id) if contact else None
            if contact is not None and answer is None:
                answer = await self._answer_with_part(uow, contact, message_id)
        # An edit of an answer given before opting out is kept like any edit (they asked for
        # no more surveys, not to take back what they said); other words after it are not.
        opted_out = contact is not None and contact.status is ContactStatus.OPTED_OUT
        if contact is not None and answer is None and not opted_out:
            async with self.uow() as uow:  # an edited reply to a follow-up: to the asker
                if await reply_edited(uow, contact, message_id, text, self.clock.now()):
                    await uow.commit()
                    return
        if contact is None or answer is None:
            # Not an answer we know (e.g. an edit of a message sent before the round):
            # treat the new text as a fresh message rather than lose it.
            await self.handle_event(sender, ContactEvent(EventKind.TEXT, text, message_id))
            return
        new_text, truncated = machine.bound_text(text)
        if not new_text:
            return
        parts = answering.parts_of(answer)
        whole, stored_cut, limit = new_text, truncated, machine.MAX_ANSWER_CHARS
        if len(parts) > 1:  # the edited message is one part of the answer: only it changes
            parts = [(m, new_text if m == message_id else part) for m, part in parts]
            whole, cut = answering.from_parts(parts, answering.glues_of(answer))
            if cut and not truncated:  # the joined answer's bound, not one message's
                limit = MAX_JOINED_CHARS
            truncated = truncated or cut  # what this edit lost: the client is told
            # A part cut when it came (bound_text leaves it MAX_ANSWER_CHARS long) still is.
            kept_cut = answer.truncated and any(
                len(part) >= machine.MAX_ANSWER_CHARS for m, part in parts if m != message_id
            )
            stored_cut = truncated or kept_cut
        if whole == answer.text:
            return
        texts = [part for _, part in parts] if len(parts) > 1 else [whole]
        sentiment = await self._score_answer(whole, texts, answer.question_key)
        now = self.clock.now()
        async with self.uow() as uow:
            conv = await uow.conversations.get(answer.conversation_id)
            assert conv is not None
            account, round_ = await self._round_of(uow, conv)
            updated = answering.with_new_text(
                answer,
                whole,
                now,
                (message_id, new_text),
                truncated=stored_cut,
                cleaned=cleaned,
                edited_at=now,
                sentiment=sentiment,
            )
            await self._store_changed_answer(uow, answer, updated, account, contact, round_)
            kept = "opted_out_edit_kept" if opted_out else "edit_kept"  # and how to come back
            for key in [kept, *(["truncated"] if truncated else [])]:
                await self._notice(
                    uow, contact, key, f"edit:{answer.id}:{len(updated.history)}:{key}",
                    limit=limit, start=_start_command(contact),
                )  # fmt: skip
            await uow.commit()

    async def handle_deletion(self, sender: Address, message_id: str) -> None:
        """A contact deleted a message that is (part of) a stored answer. The answer stays:
        it may already be read, alerted on and counted, and an answer is never lost. The
        contact is told so and how to change it, lest they think it withdrawn. Deleting any
        other message needs no word."""
        await self._retrying(lambda: self._handle_deletion(sender, message_id))

    async def _handle_deletion(self, sender: Address, message_id: str) -> None:
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
            if contact is None:
                return
            answer = await uow.answers.by_source(contact.id, message_id)
            answer = answer or await self._answer_with_part(uow, contact, message_id)
            if answer is not None:
                # Keyed by the message: Slack's second delivery of the event says nothing twice.
                key = f"deleted:{answer.id}:{message_id}"
                await self._notice(uow, contact, "deleted_kept", key)
                await deleted_answers.tell_staff(uow, contact, answer, message_id, self.clock.now())
            elif alert := await reply_deleted(uow, contact, message_id, self.clock.now()):
                # A reply to a follow-up: kept as well (the asker has it), said the same way.
                key = f"deleted-reply:{alert.id}:{message_id}"
                await self._notice(uow, contact, "deleted_reply_kept", key)
            else:
                return
            await uow.commit()

    async def _answer_with_part(
        self, uow: UnitOfWork, contact: Contact, message_id: str
    ) -> Answer | None:
        """The answer that ``message_id`` was added to (a quick second message), in any of the
        contact's conversations, as ``by_source`` finds an answer's first message: its edit
        changes that answer, not the question open now (another round may be asked by then)."""
        for answer in await uow.answers.for_contact(contact.id):
            if any(m == message_id for m, _ in answering.parts_of(answer)[1:]):
                return answer
        return None

    async def _store_changed_answer(
        self, uow: UnitOfWork, before: Answer, after: Answer, account: Account, contact: Contact,
        round_: Round, *, added: bool = False,
    ) -> None:  # fmt: skip
        """Store an answer's new text (``added``: more text joined to it rather than an edit);
        its alert is re-read and its messages updated."""
        await uow.answers.update(after)
        existing = await uow.alerts.for_answer(before.id)
        if existing is not None:
            await self.alert_desk.answer_changed(uow, existing, before, after, added=added)
        else:
            await self._maybe_alert(uow, after, account, contact, round_)

    async def _add_to_answer(
        self, uow: UnitOfWork, sender: Address, conv: Conversation, key: str,
        event: ContactEvent, account: Account, contact: Contact, round_: Round,
    ) -> None:  # fmt: skip
        """A message written before the contact could see the question the conversation is at
        now: it belongs with their answer to the question they could see."""
        now = self.clock.now()
        text, cut = machine.bound_text(event.text)
        if not text:
            return
        # Saved though unchanged: the version check makes two quick messages handled at once
        # retry one after the other instead of both rewriting the same answer.
        await uow.conversations.save(replace(conv, last_activity_at=now))
        mine = [a for a in await uow.answers.for_conversations([conv.id]) if a.question_key == key]
        lost = False  # whether some of ``text`` did not fit in the answer
        if mine:
            before = mine[-1]
            joined, truncated = answering.joined(before, text, sender.channel)
            lost = answering.join_loses(before, text, sender.channel)
            parts = [part for _, part in answering.parts_of(before)] + [text]
            after = answering.with_added(
                before, joined, now, (event.message_id, text), sender.channel, truncated=truncated,
                sentiment=await self._score_answer(joined, parts, key),
            )  # fmt: skip
            await self._store_changed_answer(
                uow, before, after, account, contact, round_, added=True
            )
        else:  # they had skipped it, then wrote after all
            added = await uow.answers.add(
                Answer(0, conv.id, key, text, now, source_message_id=event.message_id,
                       truncated=cut, sentiment=await self._score(text, key))
            )  # fmt: skip
            await self._maybe_alert(uow, added, account, contact, round_)
        # One notice per burst: a pasted text Telegram split into pieces was acknowledged once
        # per extra piece. Text added minutes later is acknowledged again. What did not fit
        # is never passed over in silence, nor called added when none of it was.
        answer_ref = f"{conv.id}:{key}"
        n = conv.question_keys.index(key) + 1
        full = bool(mine) and lost and len(joined) <= len(mine[-1].text)  # nothing went in
        told = [] if full else [("added", "added_to_answer", MAX_JOINED_CHARS)]
        if cut:
            told.append(("cut", "truncated", machine.MAX_ANSWER_CHARS))
        elif lost:
            told.append(("cut", "joined_cut", MAX_JOINED_CHARS))
        for prefix, text_key, limit in told:
            if await self._told_lately(uow, contact, prefix, answer_ref, now):
                continue
            in_key = self._event_key(prefix, sender, event.message_id)
            await self._notice(
                uow, contact, text_key, in_key, extra={"told": [prefix, answer_ref]}, n=n,
                limit=limit,
            )  # fmt: skip

    @staticmethod
    async def _told_lately(
        uow: UnitOfWork, contact: Contact, prefix: str, answer_ref: str, now: datetime
    ) -> bool:
        """Whether the contact was told this (``prefix``: "added", "cut") of this answer
        moments ago, or that notice is still on its way: another piece of the same burst
        needs no second one."""
        for notice in await uow.outbox.for_contact(contact.id, "notice"):
            told = notice.payload.get("told") or ["added", notice.payload.get("added_to")]
            if told != [prefix, answer_ref]:
                continue
            if notice.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                return True
            sent_at = notice.sent_at
            if sent_at is not None and now - sent_at < ADDED_NOTICE_WINDOW:
                return True
        return False

    async def _notice_stranger(self, uow: UnitOfWork, sender: Address, event: ContactEvent) -> None:
        staff = await uow.staff.by_address(sender)
        lang = staff.language if staff else event.language or self.policy.default_language
        # Staff writing to the bot are pointed at their commands, not told they are unknown.
        text = t("staff_hello", lang, name=staff.name) if staff else t("unknown_user", lang)
        await uow.outbox.enqueue(
            OutgoingMessage(
                recipient=sender,
                kind="notice",
                payload={"text": text, "lang": lang.value},
                idempotency_key=self._event_key("stranger", sender, event.message_id),
                next_attempt_at=self.clock.now(),
            )
        )

    def _event_key(self, prefix: str, sender: Address, message_id: str | None) -> str:
        if message_id:
            return f"{prefix}:{sender.channel.value}:{sender.address}:{message_id}"
        # No platform id to deduplicate on: every event is its own message.
        return f"{prefix}:{sender.channel.value}:{sender.address}:{self.clock.now().isoformat()}"

    async def _mark_reachable(self, uow: UnitOfWork, contact: Contact) -> None:
        # Someone who just wrote to us is reachable again.
        if contact.status is ContactStatus.UNREACHABLE:
            await uow.contacts.set_status(contact.id, ContactStatus.ACTIVE)

    async def notify(
        self,
        to: Address,
        text: str,
        lang: Language,
        key: str,
        *,
        kind: str = "notice",
        pre: bool = False,
        table: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record a one-off message for ``to`` (a reply to a command, a welcome, ...);
        ``table``, if any, follows the text as a monospace block in the same message;
        ``extra`` goes into the payload as well (e.g. what a button under it needs)."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(to)
            await self.record_notice(
                uow, to, text, lang, key, contact_id=contact.id if contact else None,
                kind=kind, pre=pre, table=table, extra=extra,
            )  # fmt: skip
            await uow.commit()

    async def record_notice(
        self,
        uow: UnitOfWork,
        to: Address,
        text: str,
        lang: Language,
        key: str,
        *,
        contact_id: int | None = None,
        kind: str = "notice",
        pre: bool = False,
        table: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """``notify`` inside the caller's transaction (e.g. a welcome that must precede the
        invitation recorded with it)."""
        await uow.outbox.enqueue(
            OutgoingMessage(
                recipient=to,
                kind=kind,
                payload={"text": text, "lang": lang.value, "pre": pre}
                | ({"table": table} if table else {})
                | (extra or {}),
                idempotency_key=key,
                contact_id=contact_id,
                next_attempt_at=self.clock.now(),
            )
        )

    async def ask_again(self, to: Address) -> None:
        """After /lang: the question the contact is on, once more, in the language they now
        read (the copy they were shown is in the old one), with its buttons. Only while
        their conversation waits for an answer; once per conversation, question and
        language, however often the same /lang comes. Nothing stored changes."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(to)
            conv = await uow.conversations.current_for_contact(contact.id) if contact else None
            if contact is None or conv is None or not conv.status.is_open:
                return
            if (key := conv.current_question) is None:
                return
            account, round_ = await self._round_of(uow, conv)
            if await self._stopped(uow, round_):
                return  # a cancelled census asks nothing more
            reply = machine.question_reply(conv, self._context(account, contact, round_, conv))
            once = replace(reply, once=f"lang:{key}:{conv.language.value}")
            await self._enqueue_replies(uow, contact, conv, [once], f"conv:{conv.id}:lang")
            await uow.commit()

    async def is_current_question(self, sender: Address, conversation_id: int, key: str) -> bool:
        """Whether a button pressed on an earlier message still speaks for the open question."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
            conv = await uow.conversations.current_for_contact(contact.id) if contact else None
        return _still_asks(conv, (conversation_id, key))

    async def stale_button_reply(
        self, sender: Address, conversation_id: int, fallback: Language
    ) -> str:
        """What a press that changes nothing is told: that its survey has ended when the
        conversation the button belongs to is over, else that it belongs to an earlier
        question. In the contact's language (``fallback`` for anyone else)."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
            conv = await uow.conversations.get(conversation_id) if contact else None
        if contact is None:
            return t("button_stale", fallback)
        over = conv is not None and conv.contact_id == contact.id and not conv.status.is_open
        return t("button_survey_over" if over else "button_stale", contact.language)

    async def opted_out_reply(self, sender: Address, kind: EventKind) -> str | None:
        """What a contact who opted out is told when they press a survey button (``kind``):
        not that the button is old, but that they opted out. None for anyone else."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
        if contact is None or contact.status is not ContactStatus.OPTED_OUT:
            return None
        return t(_OPTED_OUT_KEY[kind], contact.language, start=_start_command(contact))

    async def contact_language(self, sender: Address) -> Language | None:
        """The language a contact reads Candor in (None for someone who is not a contact):
        what we say to them follows it, not the language their platform is set to."""
        async with self.uow() as uow:
            contact = await uow.contacts.by_address(sender)
        return contact.language if contact is not None else None

    # --- time-driven work -----------------------------------------------------------------

    async def tick(self, batch: int = 100) -> TickReport:
        """Reminders, expiries and scheduled rounds that are due now. Safe to run anywhere."""
        report = TickReport()
        report.expired = await self._drain(
            lambda uow, now: uow.conversations.due_expiries(now, batch), self._expire_one
        )
        report.reminders = await self._drain(
            lambda uow, now: uow.conversations.due_reminders(now, batch), self._remind_one
        )
        report.rounds_opened = await self.open_due_rounds()
        report.escalations = await Escalations(
            self.uow, self.clock, self.policy.escalation
        ).run_due()
        report.followups_unanswered = await expire_due(self.uow, self.clock)
        report.silences = await Silences(
            self.uow, self.clock, self.policy.silence, self.alert_desk
        ).run_due()
        async with self.uow() as uow:
            # Redeliveries come within minutes; a month of event ids is plenty.
            await uow.inbound.forget_before(self.clock.now() - INBOUND_MEMORY)
            await uow.commit()
        return report

    async def _drain(
        self,
        due: Callable[[UnitOfWork, datetime], Awaitable[list[Conversation]]],
        work: Callable[[int], Awaitable[bool]],
    ) -> int:
        done = 0
        while True:
            async with self.uow() as uow:
                batch = await due(uow, self.clock.now())
            progressed = False
            for conv in batch:
                if await self._retrying(lambda c=conv: work(c.id)):
                    done += 1
                    progressed = True
            if not batch or not progressed:
                return done

    async def _remind_one(self, conversation_id: int) -> bool:
        async with self.uow() as uow:
            conv = await uow.conversations.get(conversation_id)
            if conv is None:
                return False
            account, round_ = await self._round_of(uow, conv)
            contact = await uow.contacts.get(conv.contact_id)
            assert contact is not None
            # Cancelling a census clears its reminders (storage: stop_reminders); this
            # only makes sure, for one due at that very moment.
            ctx = self._context(account, contact, round_, conv, await self._stopped(uow, round_))
            step = machine.remind(conv, ctx, self.clock.now())
            if step is None:
                return False
            self._hold_replies_if_unreachable(step, contact)
            await self._persist(uow, conv, step, account, contact, round_, None, self.clock.now())
            await uow.commit()
            return True

    async def _expire_one(self, conversation_id: int) -> bool:
        async with self.uow() as uow:
            conv = await uow.conversations.get(conversation_id)
            if conv is None:
                return False
            step = machine.expire(conv, self.clock.now())
            if step is None:
                return False
            account, round_ = await self._round_of(uow, conv)
            contact = await uow.contacts.get(conv.contact_id)
            assert contact is not None
            self._hold_replies_if_unreachable(step, contact)
            if await self._stopped(uow, round_):
                step.replies = []  # a cancelled census writes to no one again, not even this
            await self._persist(uow, conv, step, account, contact, round_, None, self.clock.now())
            await uow.commit()
            return True

    @staticmethod
    def _hold_replies_if_unreachable(step: Step, contact: Contact) -> None:
        # The platform refused this contact for good (e.g. they blocked the bot): a reminder
        # or closing notice would only fail again and page their owner once more. The step's
        # state still changes; writing to us again makes them reachable (_mark_reachable).
        if contact.status is ContactStatus.UNREACHABLE:
            step.replies = []

    async def open_due_rounds(self, lang: Language = Language.EN) -> list[str]:
        """Open each schedule's latest due period that has no round yet (once after downtime);
        "account: title" of each, the title in ``lang``."""
        opened: list[str] = []
        async with self.uow() as uow:
            schedules = [s for s in await uow.schedules.list() if s.kind is not CadenceKind.MANUAL]
        for schedule in schedules:
            async with self.uow() as uow:
                account = await uow.accounts.get(schedule.account_id)
                if account is None:
                    continue
                try:
                    period = latest_due_period(
                        schedule, self.clock.now(), account.timezone, self.policy.send_hour
                    )
                except ValueError as exc:
                    log.warning("schedule of account %s is invalid: %s", account.id, exc)
                    continue
                if period is None or period.key == schedule.last_period_key:
                    continue
                rounds = await uow.rounds.for_account(account.id)
                open_now = blocking_round(
                    schedule, period.key, rounds, self.clock.now(), self.policy.expiry_delay
                )
                if open_now is not None:
                    # Marked as done, so neither a later tick nor a restart opens it after all.
                    log.info(
                        "schedule of account %s skipped %s: round %s is still open",
                        account.id, period.key, open_now.round.period_key,
                    )  # fmt: skip
                    people = await self._people_to_tell(uow, account)
                    for notice in skip_notices(
                        people, account, schedule.id, period, open_now, rounds, self.clock.now()
                    ):
                        await uow.outbox.enqueue(notice)
                    await uow.schedules.mark_period(schedule.id, period.key)
                    await uow.commit()
                    continue
                result = await self._open_round(
                    uow, account.id, period.key, period.title, "stakeholder"
                )
                await uow.schedules.mark_period(schedule.id, period.key)
                await uow.commit()
                if result.created:
                    title = distinct_round_title(result.round, rounds, lang, account.timezone)
                    opened.append(f"{account.name}: {title}")
        return opened

    # --- delivery outcomes ----------------------------------------------------------------

    async def record_permanent_failure(
        self, message: OutgoingMessage, error: PermanentDeliveryError
    ) -> None:
        """A platform refused a message for good: stop trying, tell the people who care."""
        assert message.id is not None
        async with self.uow() as uow:
            await uow.outbox.mark_failed(message.id, str(error))
            if message.contact_id is None and error.recipient_gone:
                # A staff member's message (an alert, a notice): they are the one gone.
                await self.alert_desk.recipient_gone(uow, message, error)
            contact = await uow.contacts.get(message.contact_id) if message.contact_id else None
            if contact is not None and error.recipient_gone:
                await uow.contacts.set_status(contact.id, ContactStatus.UNREACHABLE)
                await uow.outbox.fail_pending_for(
                    message.recipient, f"recipient unreachable: {error}"
                )
                account = await uow.accounts.get(contact.account_id)
                assert account is not None
                for staff in await self._people_to_tell(uow, account):
                    text = t(
                        "delivery_failed",
                        staff.language,
                        contact=contact.name,
                        account=account.name,
                        channel=channel_name(message.recipient.channel.value, staff.language),
                        reason=failure_reason(error.code, str(error), staff.language),
                    )
                    key = f"unreachable:{message.id}:{staff.id}"
                    if notice := staff_notice(staff, text, key, self.clock.now()):
                        await uow.outbox.enqueue(notice)
            await uow.commit()

    @staticmethod
    async def _people_to_tell(uow: UnitOfWork, account: Account) -> list[Staff]:
        people = [s for s in await uow.staff.list() if s.role is StaffRole.MANAGER]
        if account.owner_id is not None and (owner := await uow.staff.get(account.owner_id)):
            people.insert(0, owner)
        if not people:
            people = [s for s in await uow.staff.list() if s.role is StaffRole.ADMIN]
        return people

    # --- alerts ---------------------------------------------------------------------------

    async def set_alert_status(
        self, alert_id: int, actor: Staff, status: AlertStatus, note: str | None = None
    ) -> Alert | None:
        now = self.clock.now()
        entry: dict[str, object] = {"by": actor.name, "status": status.value, "at": now.isoformat()}
        if note:
            entry["note"] = note[:2000]
        async with self.uow() as uow:
            current = await uow.alerts.get(alert_id)
            # Alerts only move forward (open → acknowledged → resolved): a second press or a
            # stale button on another device changes nothing and adds no duplicate note.
            if current is None or _RANK[status] <= _RANK[current.status]:
                return current
            alert = await uow.alerts.set_status(alert_id, status, entry, now)
            await uow.commit()
        return alert

    async def _maybe_alert_conversation(
        self, uow: UnitOfWork, conversation_id: int, account: Account, contact: Contact,
        round_: Round,
    ) -> None:  # fmt: skip
        """At a conversation's end: one alert when every answer was mildly negative."""
        answers = await uow.answers.for_conversations([conversation_id])
        policy = self.policy.alerts
        if not answers or not policy.mildly_negative_throughout([a.sentiment for a in answers]):
            return
        last = answers[-1]
        found = [e for a in answers for e in (a.sentiment.evidence if a.sentiment else [])]
        assert last.sentiment is not None
        # The alert hangs on the last answer; its message carries every answer's evidence.
        found = evidence.clean_evidence(" ".join(a.text for a in answers), found)
        summary = replace(last, sentiment=replace(last.sentiment, evidence=found))
        await self._maybe_alert(uow, summary, account, contact, round_, force=True)

    async def _maybe_alert(
        self,
        uow: UnitOfWork,
        answer: Answer,
        account: Account,
        contact: Contact,
        round_: Round,
        *,
        force: bool = False,
    ) -> Alert | None:
        return await self.alert_desk.raise_for(uow, answer, account, contact, round_, force=force)

    async def alert_rescored(self, answer_ids: list[int]) -> int:
        """Alerts for answers a re-scoring found negative; still one per answer at most. One
        already raised and marked no longer negative is marked negative again (its messages
        are updated; nothing is sent anew). The number of alerts raised."""
        created = 0
        async with self.uow() as uow:
            for answer_id in answer_ids:
                answer = await uow.answers.get(answer_id)
                conv = await uow.conversations.get(answer.conversation_id) if answer else None
                contact = await uow.contacts.get(conv.contact_id) if conv else None
                if answer is None or conv is None or contact is None:
                    continue
                if (alert := await uow.alerts.for_answer(answer.id)) is not None:
                    await self.alert_desk.reread(uow, alert, answer)
                    continue
                account, round_ = await self._round_of(uow, conv)
                if await self._maybe_alert(uow, answer, account, contact, round_) is not None:
                    created += 1
            await uow.commit()
        return created

    @staticmethod
    async def alert_details(uow: UnitOfWork, alert: Alert) -> AlertDetails:
        return await alert_details(uow, alert)

    async def alerts_for_round(self, round_id: int) -> list[Alert]:
        async with self.uow() as uow:
            return await uow.alerts.for_round(round_id)

    # --- reports --------------------------------------------------------------------------

    async def round_summary(self, round_id: int) -> RoundSummary:
        async with self.uow() as uow:
            round_ = await uow.rounds.get(round_id)
            if round_ is None:
                raise LookupError(f"no round {round_id}")
            account = await uow.accounts.get(round_.account_id)
            assert account is not None
            convs = await uow.conversations.for_round(round_id)
            answers = await uow.answers.for_conversations([c.id for c in convs])
            rows = []
            for conv in convs:
                contact = await uow.contacts.get(conv.contact_id)
                mine = [a for a in answers if a.conversation_id == conv.id]
                rows.append(summary_row(contact.name if contact else "?", conv.status, mine))
            apart = tellings(await uow.rounds.for_account(account.id), account.timezone)
        return RoundSummary(
            account.name, round_.period_key, round_.title, rows, apart.get(round_.id)
        )

    # --- shared pieces --------------------------------------------------------------------

    async def _persist(
        self,
        uow: UnitOfWork,
        before: Conversation,
        step: Step,
        account: Account,
        contact: Contact,
        round_: Round,
        source_message_id: str | None,
        now: datetime,
        scores: Scores | None = None,
        *,
        cleaned: bool = False,
    ) -> None:
        # Saving always bumps the version, which makes the reply keys below unique per step
        # yet identical when the same step is retried after a conflict.
        await uow.conversations.save(step.conversation)
        for new in step.answers:
            answer = await uow.answers.add(
                Answer(
                    id=0,
                    conversation_id=before.id,
                    question_key=new.question_key,
                    text=new.text,
                    received_at=now,
                    source_message_id=source_message_id,
                    late=new.late,
                    truncated=new.truncated,
                    cleaned=cleaned,
                    # Not scored before (a cheap analyser, or the conversation moved on
                    # meanwhile): now, off the loop unless cheap.
                    sentiment=(scores or {}).get((new.text, new.question_key))
                    or await self._score(new.text, new.question_key),
                )
            )
            await self._maybe_alert(uow, answer, account, contact, round_)
        if before.status.is_open and not step.conversation.status.is_open:
            await self._maybe_alert_conversation(uow, before.id, account, contact, round_)
        if _moves_on(before, step):
            await self.retire_buttons(uow, contact, before)
        await self._enqueue_replies(
            uow, contact, before, step.replies, f"conv:{before.id}:v{before.version}"
        )

    async def retire_buttons(self, uow: UnitOfWork, contact: Contact, conv: Conversation) -> None:
        """The conversation's questions sent so far lose their buttons (their answer, skip,
        a re-asked copy, the end of the conversation or the contact's opt-out came)."""
        # One query for both kinds. Looked up rather than left to the unique key: most
        # questions here lost their buttons steps ago, and an insert costs a round trip.
        found = await answering.messages_of(uow, contact, conv, ("question", "retire_buttons"))
        sent = [m for m in found if m.kind == "question"]
        retired = {m.idempotency_key for m in found if m.kind == "retire_buttons"}
        for question in sent:
            if question.recipient.channel not in answering.EDITABLE:
                continue
            if answering.retire_key(question) not in retired:
                await uow.outbox.enqueue(answering.retire_buttons(question, self.clock.now()))

    async def _enqueue_replies(
        self, uow: UnitOfWork, contact: Contact, conv: Conversation, replies: list[Reply], key: str
    ) -> None:
        to = contact.reachable_at
        if to is None:
            return
        for i, reply in enumerate(replies):
            await uow.outbox.enqueue(
                OutgoingMessage(
                    recipient=to,
                    kind=reply.kind,
                    payload={
                        "text": reply.text,
                        "lang": conv.language.value,
                        "buttons": list(reply.buttons),
                        "question_key": reply.question_key,
                        "conversation_id": conv.id,
                    },
                    idempotency_key=f"conv:{conv.id}:{reply.once}" if reply.once else f"{key}:{i}",
                    contact_id=contact.id,
                    next_attempt_at=self.clock.now(),
                )
            )

    async def _notice(
        self, uow: UnitOfWork, contact: Contact, text_key: str, key: str,
        extra: dict[str, object] | None = None, **params: object,
    ) -> None:  # fmt: skip
        """``extra``: payload fields the domain reads back later (not shown to anyone)."""
        to = contact.reachable_at
        if to is None:
            return
        await uow.outbox.enqueue(
            OutgoingMessage(
                recipient=to,
                kind="notice",
                payload={
                    "text": t(text_key, contact.language, **params),
                    "lang": contact.language.value,
                    **(extra or {}),
                },
                idempotency_key=key,
                contact_id=contact.id,
                next_attempt_at=self.clock.now(),
            )
        )

    async def _round_of(self, uow: UnitOfWork, conv: Conversation) -> tuple[Account, Round]:
        round_ = await uow.rounds.get(conv.round_id)
        assert round_ is not None
        account = await uow.accounts.get(round_.account_id)
        assert account is not None
        return account, round_

    @staticmethod
    async def _stopped(uow: UnitOfWork, round_: Round) -> bool:
        """Whether the round was called off: a census cancelled (only users' rounds are)."""
        return round_.is_census and await uow.census.cancelled(round_.id)

    def _context(
        self, account: Account, contact: Contact, round_: Round, conv: Conversation,
        stopped: bool = False,
    ) -> ConversationContext:  # fmt: skip
        return ConversationContext(
            stopped=stopped,
            question_texts={
                k: question_text(k, conv.language, account.question_overrides)
                for k in conv.question_keys
            },
            contact_name=contact.name,
            company=self.policy.company,
            round_title=period_phrase(round_.period_key, round_.title, conv.language),
            reminder_delay=self.policy.reminder_delay,
            language=contact.language,
        )

    @staticmethod
    async def _retrying(work: Callable[[], Awaitable[T]], attempts: int = 3) -> T:
        """Redo a use case on fresh state when another process changed it first."""
        for attempt in range(1, attempts + 1):
            try:
                return await work()
            except ConcurrentUpdateError:
                if attempt == attempts:
                    raise
                log.info("concurrent update, retrying (%d/%d)", attempt, attempts)
        raise AssertionError("unreachable")


def _still_asks(conv: Conversation | None, pressed_under: tuple[int, str]) -> bool:
    """Whether a button pressed under (conversation id, question) speaks for the open one."""
    conversation_id, key = pressed_under
    return (
        conv is not None
        and conv.id == conversation_id
        and conv.status.is_open
        and conv.current_question == key
    )


def _moves_on(before: Conversation, step: Step) -> bool:
    """Whether a step answers, skips, re-asks or ends the question the contact was shown."""
    after = step.conversation
    return (
        after.question_index != before.question_index
        or after.status != before.status
        or any(reply.kind == "question" for reply in step.replies)
    )


# What an opted-out contact hears for each thing they do: nothing of it is kept.
_OPTED_OUT_KEY = {
    EventKind.TEXT: "opted_out_ignored",
    EventKind.NON_TEXT: "opted_out_ignored",
    EventKind.SKIP: "opted_out_no_question",
    EventKind.LATER: "opted_out_no_question",
    EventKind.DECLINE: "opted_out_already",
}


def _start_command(contact: Contact) -> str:
    # Slack has one slash command; its subcommands stand for Telegram's commands.
    return "/candor start" if contact.channel is Channel.SLACK else "/start"
