"""A contact's reply to a follow-up, routed back to whoever asked, under the alert.

The precedence rule with an open survey is described in `surveys.followups`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from surveys.alert_desk import alert_details, forward_key
from surveys.alerts import owner_address
from surveys.conversation import MAX_ANSWER_CHARS
from surveys.model import Alert, AlertStatus, Contact, OutgoingMessage, Staff
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.texts import t

MAX_REPLY_CHARS = MAX_ANSWER_CHARS  # what is kept of a contact's reply: a survey answer's bound


def notes_of(alert: Alert, kind: str) -> list[dict[str, Any]]:
    return [n for n in alert.notes if n.get("kind") == kind]


def waiting(alert: Alert) -> dict[str, Any] | None:
    """The alert's latest follow-up if it has no reply yet."""
    asked = notes_of(alert, "followup")
    if not asked:
        return None
    last = asked[-1]
    replied = any(n.get("n") == last["n"] for n in notes_of(alert, "reply"))
    return None if replied else last


async def message_about(uow: UnitOfWork, alert: Alert, person: Staff) -> OutgoingMessage | None:
    """The alert message this person received (theirs as owner, or forwarded to them)."""
    keys = [f"alert:{alert.id}:{a.channel.value}" for a in person.addresses()]
    for key in [*keys, forward_key(alert.id, person.id)]:
        found = await uow.outbox.by_key(key)
        if found is not None and found.recipient in person.addresses():
            return found
    return None


async def tell_under_alert(
    uow: UnitOfWork, person: Staff, alert: Alert, text: str, key: str, now: datetime,
    **extra: Any,
) -> bool:  # fmt: skip
    """A message for a staff member, threaded under their alert message where there is one.
    False when the key was used before (the message already exists) or they have no address."""
    about = await message_about(uow, alert, person)
    to = about.recipient if about else owner_address(person, None)
    if to is None:
        return False
    payload: dict[str, Any] = {"text": text, "lang": person.language.value, "alert_id": alert.id}
    if about is not None and about.platform_message_id:
        payload["reply_to"] = about.platform_message_id
    payload |= extra
    message = OutgoingMessage(
        recipient=to, kind="staff_notice", payload=payload, idempotency_key=key,
        next_attempt_at=now,
    )  # fmt: skip
    return await uow.outbox.enqueue(message) is not None


async def take_reply(
    uow: UnitOfWork, contact: Contact, text: str, now: datetime,
    survey_asked_at: datetime | None,
) -> bool:  # fmt: skip
    """If the contact's message is the reply to a waiting follow-up, route it to the
    asker and return True (inside the caller's transaction). ``survey_asked_at``: when
    the open survey conversation last asked them something, None if none is open."""
    asked = await uow.outbox.for_contact(contact.id, "followup")
    if not asked or not text.strip():
        return False
    alert = await uow.alerts.lock(int(asked[-1].payload.get("alert_id", 0)))
    if alert is None or alert.status is AlertStatus.RESOLVED:
        return False
    question = waiting(alert)
    if question is None or question.get("contact_id") != contact.id:
        return False
    asked_at = datetime.fromisoformat(question["at"])
    late = now > datetime.fromisoformat(question["until"])
    if survey_asked_at is not None and (late or survey_asked_at > asked_at):
        return False  # the survey asked last (or the window passed): it takes the message
    kept = text.strip()[:MAX_REPLY_CHARS]
    note = {"kind": "reply", "n": question["n"], "text": kept, "at": now.isoformat(),
            "late": late}  # fmt: skip
    await uow.alerts.set_status(alert.id, alert.status, note, now)
    asker = await uow.staff.get(int(question["by_id"]))
    if asker is not None:
        key = "followup_reply_late" if late else "followup_reply"
        words = t(key, asker.language, contact=contact.name, id=alert.id)
        await tell_under_alert(
            uow, asker, alert, f"{words}\n{kept}", f"followup:{alert.id}:{question['n']}:reply",
            now, verbatim_from=len(words) + 1,
        )  # fmt: skip
    thanks = "followup_thanks_survey" if survey_asked_at is not None else "followup_thanks"
    to = contact.reachable_at
    if to is not None:
        await uow.outbox.enqueue(
            OutgoingMessage(
                recipient=to, kind="notice",
                payload={"text": t(thanks, contact.language), "lang": contact.language.value},
                idempotency_key=f"followup:{alert.id}:{question['n']}:thanks",
                contact_id=contact.id, next_attempt_at=now,
            )
        )  # fmt: skip
    return True


async def expire_due(uow_factory: UnitOfWorkFactory, clock: Clock) -> int:
    """Tell each asker whose follow-up window passed without a reply; once per question."""
    now = clock.now()
    told = 0
    async with uow_factory() as uow:
        candidates = [
            a.id for a in await uow.alerts.list()
            if a.status is not AlertStatus.RESOLVED and (w := waiting(a)) is not None
            and datetime.fromisoformat(w["until"]) <= now
            and not any(e.get("n") == w["n"] for e in notes_of(a, "followup_expired"))
        ]  # fmt: skip
    for alert_id in candidates:
        async with uow_factory() as uow:
            alert = await uow.alerts.lock(alert_id)  # re-read: another process may be done
            question = waiting(alert) if alert else None
            if (
                alert is None
                or question is None
                or any(e.get("n") == question["n"] for e in notes_of(alert, "followup_expired"))
            ):
                continue
            await uow.alerts.set_status(
                alert.id, alert.status,
                {"kind": "followup_expired", "n": question["n"], "at": now.isoformat()}, now,
            )  # fmt: skip
            asker = await uow.staff.get(int(question["by_id"]))
            details = await alert_details(uow, alert)
            if asker is not None:
                text = t("followup_no_reply", asker.language, contact=details.contact.name,
                         id=alert.id)  # fmt: skip
                await tell_under_alert(
                    uow, asker, alert, text, f"followup:{alert.id}:{question['n']}:expired",
                    now,
                )  # fmt: skip
            await uow.commit()
            told += 1
    return told
