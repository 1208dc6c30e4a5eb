"""A client deleted (Slack tells; Telegram does not) a message that was a survey answer, or
part of one. The answer stays: it may already be read, alerted on and counted. The contact
is told so (surveys.service); the staff who have the answer's alert learn it once, each in
their language, under their alert message, and the alert's timeline notes it — as a deleted
reply to a follow-up is told to its asker (surveys.followup_replies)."""

from __future__ import annotations

from datetime import datetime

from surveys.alert_desk import grouped_comment_ids
from surveys.followup_replies import message_about, notes_of, tell_under_alert
from surveys.model import Alert, Answer, Contact
from surveys.ports import UnitOfWork
from surveys.questions import COMMENT_KEY
from surveys.texts import t


async def _alert_showing(uow: UnitOfWork, answer: Answer) -> Alert | None:
    """The alert that shows ``answer``: its own, or the one its comment was grouped into."""
    if (own := await uow.alerts.for_answer(answer.id)) is not None:
        return own
    if answer.question_key != COMMENT_KEY:
        return None
    grouped = await uow.alerts.for_conversation(answer.conversation_id)
    return next((a for a, _ in grouped if answer.id in grouped_comment_ids(a)), None)


async def tell_staff(
    uow: UnitOfWork, contact: Contact, answer: Answer, message_id: str, now: datetime
) -> None:
    """Note the deletion of ``message_id`` on the answer's alert and tell whoever received
    that alert; nothing when the answer has none. Once per message (Slack may deliver the
    event twice; a tombstone may change again)."""
    found = await _alert_showing(uow, answer)
    alert = await uow.alerts.lock(found.id) if found is not None else None
    if alert is None or any(
        n.get("message_id") == message_id for n in notes_of(alert, "answer_deleted")
    ):
        return
    note = {"kind": "answer_deleted", "answer": answer.id, "message_id": message_id,
            "at": now.isoformat()}  # fmt: skip
    await uow.alerts.set_status(alert.id, alert.status, note, now)
    for person in await uow.staff.list():
        if await message_about(uow, alert, person) is None:
            continue  # they never had this alert: the answer is not theirs to follow
        text = t("answer_deleted_staff", person.language, contact=contact.name, id=alert.id)
        key = f"answer-deleted:{alert.id}:{message_id}:{person.id}"
        await tell_under_alert(uow, person, alert, text, key, now)
