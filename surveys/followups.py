"""Follow-up: staff ask the client a clarifying question through Candor, under an alert.

The question goes to the contact on the contact's platform in the name of client service
(never from a staff member's account, never naming the project team); the contact's reply
comes back to whoever asked, under the alert. Every exchange is a note in the alert's timeline.

What the contact's next message is (the precedence rule, one sentence): **the latest thing
the contact was asked gets their next message** — a follow-up asked after the survey's
current question takes the next message as its reply; a survey question sent after the
follow-up (a new round, a reminder) takes it as an answer, and the follow-up keeps waiting.
A reply that goes on (the rest of a cut reply or of a paste, a correction after a deleted
one: `surveys.followup_replies`) takes the next message whatever the survey sent meanwhile.
After the follow-up window the asker is told there was no reply; a reply that comes later
still reaches them, marked late, unless a survey is open or the alert was resolved.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from surveys.alert_desk import alert_details
from surveys.followup_replies import notes_of, tell_under_alert
from surveys.model import (
    Address,
    Alert,
    AlertStatus,
    Contact,
    ContactStatus,
    OutgoingMessage,
    Staff,
)
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.staff import READERS, Output, StaffCommands, StaffError, may_see, say
from surveys.texts import t, within

log = logging.getLogger(__name__)

MAX_FOLLOWUP_CHARS = 1000  # one clarifying question, not a letter


@dataclass(frozen=True, slots=True)
class FollowUpPolicy:
    window: timedelta = timedelta(days=3)
    company: str = "Candor"


async def visible_alert(uow: UnitOfWork, actor: Staff, alert_id: int) -> Alert:
    """The alert if ``actor`` may act on it; an unknown id and another owner's alert read
    the same, so nothing about other accounts leaks."""
    alert = await uow.alerts.get(alert_id)
    account = await uow.accounts.get(alert.account_id) if alert else None
    if alert is None or account is None or not may_see(actor, account):
        raise StaffError(say("no_alert", actor.language, id=alert_id))
    return alert


def why_unreachable(contact: Contact, lang: Any) -> str | None:
    if contact.status is ContactStatus.OPTED_OUT:
        return t("followup_opted_out", lang, contact=contact.name)
    if contact.status is ContactStatus.UNREACHABLE:
        return t("followup_unreachable", lang, contact=contact.name)
    if contact.reachable_at is None:
        return t("followup_no_address", lang, contact=contact.name)
    return None


class FollowUps:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, policy: FollowUpPolicy | None = None
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.policy = policy or FollowUpPolicy()

    # --- staff ask ----------------------------------------------------------------------

    async def ask(self, actor: Staff, alert_id: int, text: str) -> Output:
        StaffCommands.require(actor, READERS, actor.language)
        lang = actor.language
        text = text.strip()
        if not text:
            raise StaffError(t("followup_empty", lang))
        if len(text) > MAX_FOLLOWUP_CHARS:
            raise StaffError(t("followup_too_long", lang, n=MAX_FOLLOWUP_CHARS, got=len(text)))
        now = self.clock.now()
        async with self.uow() as uow:
            alert = await visible_alert(uow, actor, alert_id)
            if alert.status is AlertStatus.RESOLVED:
                raise StaffError(t("followup_resolved", lang, id=alert.id))
            details = await alert_details(uow, alert)
            contact = details.contact
            if (why := why_unreachable(contact, lang)) is not None:
                raise StaffError(why)  # nothing is sent; the asker hears why
            assert contact.reachable_at is not None
            locked = await uow.alerts.lock(alert.id)
            assert locked is not None
            n = len(notes_of(locked, "followup")) + 1
            until = now + self.policy.window
            message = OutgoingMessage(
                recipient=contact.reachable_at,
                kind="followup",
                payload={
                    "text": t("followup_to_contact", contact.language,
                              company=self.policy.company, text=text),
                    "lang": contact.language.value,
                    "alert_id": alert.id,
                    "n": n,
                },
                idempotency_key=f"followup:{alert.id}:{n}",
                contact_id=contact.id,
                next_attempt_at=now,
            )  # fmt: skip
            await uow.outbox.enqueue(message)
            note = {
                "kind": "followup", "n": n, "by": actor.name, "by_id": actor.id,
                "contact_id": contact.id, "text": text, "at": now.isoformat(),
                "until": until.isoformat(),
            }  # fmt: skip
            # Asking the client is acting on the alert: an open one counts as acknowledged.
            status = AlertStatus.ACKNOWLEDGED if alert.status is AlertStatus.OPEN else None
            if status is not None:
                await uow.alerts.set_status(
                    alert.id, status,
                    {"by": actor.name, "status": status.value, "at": now.isoformat()}, now,
                )  # fmt: skip
            await uow.alerts.set_status(alert.id, status or locked.status, note, now)
            await uow.commit()
        days = within(self.policy.window, lang)
        return Output([t("followup_sent", lang, contact=contact.name, id=alert.id, days=days)])

    async def prompt(self, actor: Staff, alert_id: int, text: str, key: str, **extra: Any) -> bool:
        """A line for ``actor`` under their alert message (e.g. "reply with your question"),
        once per ``key``; False if they may not see the alert."""
        async with self.uow() as uow:
            try:
                alert = await visible_alert(uow, actor, alert_id)
            except StaffError:
                return False
            await tell_under_alert(uow, actor, alert, text, key, self.clock.now(), **extra)
            await uow.commit()
        return True

    async def contact_name(self, actor: Staff, alert_id: int) -> str:
        async with self.uow() as uow:
            alert = await visible_alert(uow, actor, alert_id)
            return (await alert_details(uow, alert)).contact.name

    # --- staff reply to an alert message -------------------------------------------------

    async def alert_of_reply(self, staff_at: Address, platform_message_id: str) -> int | None:
        """The alert a staff member's reply (Telegram reply, Slack thread) is about, if the
        message they replied to was one of ours about an alert."""
        async with self.uow() as uow:
            replied = await uow.outbox.by_platform_id(staff_at, platform_message_id)
        if replied is None:
            return None
        payload = replied.payload
        found = payload.get("alert_id") or (payload.get("alert") or {}).get("alert_id")
        return int(found) if found else None
