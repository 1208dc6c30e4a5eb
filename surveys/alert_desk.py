"""Raising alerts and keeping the messages about them true, inside the caller's transaction.

- One conversation's negative comments make one alert; each further comment is added to it
  and the owner's message is updated in place, up to a cap, so a client cannot flood anyone.
- An alert whose answer is edited is re-read: one no longer negative is marked so (never
  deleted) and the owner's message says it; one that reads negative again, after an edit or
  after a re-scoring by an updated analyser, loses that mark and the message says so.
- An owner the platform refuses for good (they blocked the bot) is marked unreachable and
  their alerts go to managers and admins until they use the bot again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from surveys.alert_changes import change_note
from surveys.alerts import (
    AlertPolicy,
    alert_fields,
    alert_message,
    owner_address,
    staff_notice,
    state_line,
    why_flagged,
)
from surveys.answers import EDITABLE
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
    Disposition,
    Language,
    OutgoingMessage,
    Round,
    SentimentLabel,
    Staff,
    StaffRole,
)
from surveys.ports import Clock, PermanentDeliveryError, UnitOfWork
from surveys.questions import COMMENT_KEY, SILENCE_KEY
from surveys.texts import failure_reason, t

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertDetails:
    alert: Alert
    answer: Answer  # for a comment alert: every grouped comment, one after another
    contact: Contact
    account: Account
    round: Round
    rounds: list[Round]  # the account's: what names ``round`` apart from an alike one


def grouped_comment_ids(alert: Alert) -> list[int]:
    return [int(n["comment"]) for n in alert.notes if "comment" in n]


def still_negative(alert: Alert) -> bool:
    """False once an edit made the alert's answer read as not negative any more (until an edit
    or a re-scoring reads it negative again: the last verdict noted counts)."""
    verdicts = [n["negative"] for n in alert.notes if "negative" in n]
    return bool(verdicts[-1]) if verdicts else True


async def _silence_details(uow: UnitOfWork, alert: Alert) -> AlertDetails:
    """A silence alert has no answer: it shows what the silence is, in the account's
    language, for the account's latest round (and the silent contact, if one)."""
    from surveys.silence import describe

    account = await uow.accounts.get(alert.account_id)
    assert account is not None
    rounds = await uow.rounds.for_account(account.id)
    contact = await uow.contacts.get(alert.contact_id) if alert.contact_id else None
    if contact is None:  # the account as a whole went quiet: nobody to name
        contact = Contact(0, account.id, "—", ContactLevel.STAKEHOLDER, account.language,
                          ContactStatus.ACTIVE)  # fmt: skip
    text = describe(alert, account.language, rounds, account.timezone)
    answer = Answer(0, 0, SILENCE_KEY, text, alert.created_at)
    return AlertDetails(alert, answer, contact, account, rounds[-1], rounds)


async def alert_details(uow: UnitOfWork, alert: Alert) -> AlertDetails:
    if alert.kind == "silence":
        return await _silence_details(uow, alert)
    answer = await uow.answers.get(alert.answer_id)
    assert answer is not None
    conv = await uow.conversations.get(answer.conversation_id)
    assert conv is not None
    contact = await uow.contacts.get(conv.contact_id)
    round_ = await uow.rounds.get(conv.round_id)
    account = await uow.accounts.get(alert.account_id)
    assert contact is not None and round_ is not None and account is not None
    grouped = grouped_comment_ids(alert)
    if grouped:
        more = [a for a in await uow.answers.for_conversations([conv.id]) if a.id in grouped]
        texts = [answer.text, *(a.text for a in more)]
        evidence = [
            e for a in [answer, *more] for e in (a.sentiment.evidence if a.sentiment else [])
        ]
        sentiment = replace(answer.sentiment, evidence=evidence) if answer.sentiment else None
        answer = replace(answer, text="\n\n".join(texts), sentiment=sentiment)
    rounds = await uow.rounds.for_account(account.id)
    return AlertDetails(alert, answer, contact, account, round_, rounds)


class AlertDesk:
    def __init__(self, clock: Clock, policy: AlertPolicy) -> None:
        self.clock = clock
        self.policy = policy

    # --- raising --------------------------------------------------------------------------

    async def raise_for(
        self, uow: UnitOfWork, answer: Answer, account: Account, contact: Contact, round_: Round,
        *, force: bool = False,
    ) -> Alert | None:  # fmt: skip
        """An alert for ``answer`` when it reads negative; None when none was raised."""
        if not force and not self.policy.raises_alert(answer.sentiment):
            return None
        # Only this conversation's alerts (the round's grew with every negative answer).
        mine = await uow.alerts.for_conversation(answer.conversation_id)
        if answer.question_key == COMMENT_KEY:
            group = next(
                (
                    a
                    for a, key in mine
                    if key == COMMENT_KEY and a.status is not AlertStatus.RESOLVED
                ),
                None,
            )
            if group is not None:
                await self._add_comment(uow, group, answer)
                return None
        if len(mine) >= self.policy.max_per_conversation:
            log.info("conversation %s reached its cap of alerts", answer.conversation_id)
            return None
        alert = await uow.alerts.add_once(
            Alert(0, answer.id, account.id, account.owner_id, AlertStatus.OPEN, self.clock.now())
        )
        if alert is None:  # this answer already has its one alert
            return None
        earlier = await self._relapse_of(uow, alert, answer, account, round_)
        if earlier is not None:
            alert = await self._mark_relapse(uow, alert, earlier)
        await self._send(uow, alert, account, contact, round_, answer)
        if earlier is not None:
            await self._to_managers(uow, alert, account)
        return alert

    # --- relapse --------------------------------------------------------------------------

    async def _relapse_of(
        self, uow: UnitOfWork, alert: Alert, answer: Answer, account: Account, round_: Round
    ) -> Alert | None:
        """The latest alert on the same question of this account, resolved in one of the
        last ``relapse_rounds`` rounds of the same audience (a "temporary improvement" sliding
        back). A census asks other people than a stakeholders' round: a user's complaint is
        not a stakeholder's fixed problem come back, nor the other way round."""
        if self.policy.relapse_rounds <= 0 or answer.question_key == COMMENT_KEY:
            return None
        rounds = [
            r
            for r in await uow.rounds.for_account(account.id)
            if r.id != round_.id and r.is_census == round_.is_census
        ]
        found: Alert | None = None
        for earlier_round in rounds[-self.policy.relapse_rounds :]:
            for other in await uow.alerts.for_round(earlier_round.id):
                if other.id == alert.id or other.status is not AlertStatus.RESOLVED:
                    continue
                done = [n for n in other.notes if n.get("status") == "resolved"]
                if done and done[-1].get("disposition") == Disposition.NOT_US.value:
                    continue  # not our problem then, so not ours sliding back now
                earlier_answer = await uow.answers.get(other.answer_id)
                if earlier_answer and earlier_answer.question_key == answer.question_key:
                    found = other
        return found

    async def _mark_relapse(self, uow: UnitOfWork, alert: Alert, earlier: Alert) -> Alert:
        done = [n for n in earlier.notes if n.get("status") == "resolved"][-1]
        note = {
            "kind": "relapse", "of": earlier.id, "note": done.get("note", ""),
            "disposition": done.get("disposition"), "at": self.clock.now().isoformat(),
        }  # fmt: skip
        marked = await uow.alerts.set_status(alert.id, alert.status, note, self.clock.now())
        return marked or alert

    async def _to_managers(self, uow: UnitOfWork, alert: Alert, account: Account) -> None:
        """A relapse goes to the managers as well as the owner."""
        details = await alert_details(uow, alert)
        now = self.clock.now()
        for person in await uow.staff.list():
            if person.role is not StaffRole.MANAGER or person.id == account.owner_id:
                continue
            to = owner_address(person, details.contact.reachable_at)
            if to is None or person.unreachable_since is not None:
                continue
            await self._enqueue_copy(uow, alert, details, person, to, now)

    async def _enqueue_copy(
        self, uow: UnitOfWork, alert: Alert, details: AlertDetails, person: Staff, to: Address,
        now: datetime,
    ) -> None:  # fmt: skip
        """The alert as sent to someone other than its owner: once per person (forward_key)."""
        message = alert_message(
            alert, account=details.account, contact=details.contact, round_=details.round,
            rounds=details.rounds, answer=details.answer, owner=person, to=to,
        )  # fmt: skip
        message.idempotency_key = forward_key(alert.id, person.id)
        message.next_attempt_at = now
        await uow.outbox.enqueue(message)

    async def _add_comment(self, uow: UnitOfWork, alert: Alert, answer: Answer) -> None:
        grouped = grouped_comment_ids(alert)
        if answer.id in grouped or len(grouped) >= self.policy.max_grouped_comments:
            return  # the comment is stored with the conversation all the same
        now = self.clock.now()
        note = {"comment": answer.id, "at": now.isoformat()}
        updated = await uow.alerts.set_status(alert.id, alert.status, note, now)
        if updated is not None:
            await self.update_messages(uow, updated, "alert_more_comments", n=len(grouped) + 2)

    async def _send(
        self, uow: UnitOfWork, alert: Alert, account: Account, contact: Contact, round_: Round,
        answer: Answer,
    ) -> None:  # fmt: skip
        owner = await uow.staff.get(account.owner_id) if account.owner_id else None
        to = owner_address(owner, contact.reachable_at) if owner else None
        if owner is None or to is None or owner.unreachable_since is not None:
            await self._forward(uow, alert, owner)
            return
        message = alert_message(
            alert, account=account, contact=contact, round_=round_,
            rounds=await uow.rounds.for_account(account.id), answer=answer, owner=owner, to=to,
        )  # fmt: skip
        message.next_attempt_at = self.clock.now()
        await uow.outbox.enqueue(message)

    async def _forward(self, uow: UnitOfWork, alert: Alert, owner: Staff | None) -> None:
        """The alert for the managers and admins, with a line on why it came to them."""
        details = await alert_details(uow, alert)
        now = self.clock.now()
        skip = owner.id if owner is not None else None
        people = [
            s
            for s in await uow.staff.list()
            if s.role in (StaffRole.MANAGER, StaffRole.ADMIN)
            and s.id != skip
            and s.unreachable_since is None
        ]
        if not people:
            log.warning("alert %s reaches nobody: no owner, manager or admin to tell", alert.id)
        for person in people:
            to = owner_address(person, details.contact.reachable_at)
            if to is None:
                continue
            why = (
                t(
                    "alert_forwarded",
                    person.language,
                    owner=owner.name,
                    account=details.account.name,
                )
                if owner is not None
                else t("alert_no_owner", person.language, account=details.account.name)
            )
            if notice := staff_notice(person, why, f"alert:{alert.id}:why:{person.id}", now):
                notice.recipient = to
                await uow.outbox.enqueue(notice)
            await self._enqueue_copy(uow, alert, details, person, to, now)

    async def send_existing(self, uow: UnitOfWork, alert: Alert) -> None:
        """Send an alert raised without an answer (silence) the way any alert goes."""
        d = await alert_details(uow, alert)
        await self._send(uow, alert, d.account, d.contact, d.round, d.answer)

    # --- keeping messages true ------------------------------------------------------------

    async def answer_changed(
        self, uow: UnitOfWork, alert: Alert, before: Answer, after: Answer, *, added: bool = False
    ) -> None:
        """The client edited an alerted answer, or (``added``) wrote more to it before seeing
        the next question: note it, re-read it, update the messages."""
        now = self.clock.now()
        negative = self.policy.raises_alert(after.sentiment)
        # A reference into the answer's history, not the text before: linear, not quadratic.
        note = change_note(after, now, negative=negative, added=added)
        if before.sentiment is not None and before.sentiment.label is SentimentLabel.NEGATIVE:
            # What it was flagged on: "Why flagged" keeps it if the answer now reads fine.
            note["flagged_on"] = why_flagged(alert, before)
        updated = await uow.alerts.set_status(alert.id, alert.status, note, now)
        if updated is not None:
            # Told apart: an owner reading "edited" would think the client took words back.
            kind = "added" if added else "edited"
            if not negative:
                line = "alert_added_cleared" if added else "alert_cleared"
            else:  # "still" only where the owner was never told it had stopped
                line = f"alert_{kind}" if still_negative(alert) else f"alert_{kind}_again"
            await self.update_messages(uow, updated, line, keep_state=True)

    async def reread(self, uow: UnitOfWork, alert: Alert, answer: Answer) -> Alert | None:
        """``answer`` (the alert's, re-scored by an updated analyser) reads negative while its
        alert is marked no longer negative: the mark was the older code's reading, so it goes,
        and the owner's messages say so. The alert stays the one for its answer: nothing is
        sent anew. None when there was nothing to change."""
        if still_negative(alert) or not self.policy.raises_alert(answer.sentiment):
            return None
        # Re-read, locked: a client's edit noting its own verdict meanwhile goes first.
        locked = await uow.alerts.lock(alert.id)
        if locked is None or still_negative(locked):
            return None
        assert answer.sentiment is not None
        now = self.clock.now()
        note = {
            "kind": "reread", "at": now.isoformat(), "negative": True,
            "analyser": answer.sentiment.analyser,
        }  # fmt: skip
        updated = await uow.alerts.set_status(alert.id, locked.status, note, now)
        if updated is not None:
            await self.update_messages(uow, updated, "alert_reread_negative")
        return updated

    async def update_messages(
        self, uow: UnitOfWork, alert: Alert, line_key: str, *, keep_state: bool = False,
        **params: object,
    ) -> None:  # fmt: skip
        """Edit every delivered message about ``alert`` to show it as it is now.

        ``keep_state``: the line tells what the client did, and the card keeps saying who
        acknowledged the alert before it (its Acknowledge button is gone by then)."""
        details = await alert_details(uow, alert)
        now = self.clock.now()
        for original, reader in await self._messages_about(uow, alert):
            if original.recipient.channel not in EDITABLE:
                continue
            fields = alert_fields(
                alert, account=details.account, contact=details.contact, round_=details.round,
                rounds=details.rounds, answer=details.answer, lang=reader.language,
            )  # fmt: skip
            payload: dict[str, Any] = {
                "lang": reader.language.value,
                "alert": fields,
                "target": original.idempotency_key,
                "status_line": t(line_key, reader.language, **_in(reader.language, params)),
            }
            if keep_state and (state := taken_by(alert, reader.language)):
                payload["status_line"] = f"{state} · {payload['status_line']}"
            stored = await uow.outbox.enqueue(
                OutgoingMessage(
                    recipient=original.recipient,
                    kind="alert_update",
                    payload=payload,
                    idempotency_key=f"update:{original.idempotency_key}:{len(alert.notes)}",
                    next_attempt_at=now,
                )
            )
            if stored is not None:
                # It shows the alert as it is now, so edits of the same message still queued
                # would only flicker past on the way to it (and spend the platform's edit
                # limit): they are settled unsent, in this transaction. One already in
                # flight is left to finish; this one follows it.
                await uow.outbox.supersede_older(stored)

    async def _messages_about(
        self, uow: UnitOfWork, alert: Alert
    ) -> list[tuple[OutgoingMessage, Staff]]:
        found: list[tuple[OutgoingMessage, Staff]] = []
        people = {s.id: s for s in await uow.staff.list()}
        owner = people.get(alert.owner_id) if alert.owner_id else None
        if owner is not None:
            for channel in Channel:
                if message := await uow.outbox.by_key(f"alert:{alert.id}:{channel.value}"):
                    found.append((message, owner))
        for person in people.values():
            if message := await uow.outbox.by_key(forward_key(alert.id, person.id)):
                found.append((message, person))
        return found

    # --- unreachable owners ---------------------------------------------------------------

    async def recipient_gone(
        self, uow: UnitOfWork, message: OutgoingMessage, error: PermanentDeliveryError
    ) -> None:
        """A staff member's alert was refused for good: mark them, pass the alert on."""
        person = await uow.staff.by_address(message.recipient)
        if person is None:
            return
        if person.unreachable_since is None:
            await uow.staff.update(replace(person, unreachable_since=self.clock.now()))
            reason = failure_reason(error.code, str(error), person.language)
            log.warning(
                "staff %s cannot be reached on %s (%s); alerts go to managers and admins",
                person.id, message.recipient.channel.value, reason,
            )  # fmt: skip
        alert = await uow.alerts.get(int(message.payload.get("alert", {}).get("alert_id", 0)))
        if alert is not None and message.kind == "alert":
            await self._forward(uow, alert, replace(person, unreachable_since=self.clock.now()))


def _in(lang: Language, params: dict[str, object]) -> dict[str, object]:
    """Parameters in the reader's words (a disposition is named in their language)."""
    return {
        k: t(f"disposition.{v.value}", lang) if isinstance(v, Disposition) else v
        for k, v in params.items()
    }


def forward_key(alert_id: int, staff_id: int) -> str:
    return f"alert:{alert_id}:fwd:{staff_id}"


async def staff_came_back(uow: UnitOfWork, person: Staff, at: Address) -> Staff:
    """Someone marked unreachable used the bot again: their alerts come to them again."""
    if person.unreachable_since is None or at not in person.addresses():
        return person
    back = replace(person, unreachable_since=None)
    await uow.staff.update(back)
    return back


def taken_by(alert: Alert, lang: Language) -> str | None:
    """Who took the alert ("Acknowledged by …", or resolved: how and why); None while it
    is open."""
    if alert.status is AlertStatus.OPEN:
        return None
    by = next((n.get("by") for n in reversed(alert.notes) if n.get("status") == alert.status), "")
    return state_line(alert, str(by), lang) if by else None
