"""A contact's reply to a follow-up, routed back to whoever asked, under the alert.

The precedence rule with an open survey is described in `surveys.followups`.

A reply may come in more than one message, each a "reply" note of the same question, and
each is passed on: the rest of a long paste Telegram split into pieces (a piece at its limit,
the next within a minute); the rest of a reply cut at MAX_REPLY_CHARS; and a correction
after the contact deleted their reply (Slack tells). Each of the last two is what the
contact was told to send as their next message, so that message is taken as the reply's —
whatever the survey sent meanwhile (a reminder, a new round): it is the reply's own state,
a reply awaiting its rest, that decides, and the contact hears the survey question waits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from surveys.alert_desk import alert_details, forward_key
from surveys.alerts import owner_address
from surveys.answers import telegram_piece
from surveys.conversation import MAX_ANSWER_CHARS, bound_text
from surveys.model import Alert, AlertStatus, Channel, Contact, OutgoingMessage, Staff
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.texts import t

MAX_REPLY_CHARS = MAX_ANSWER_CHARS  # what is kept of a contact's reply: a survey answer's bound
# The pieces of one paste Telegram split come within seconds; a message later is not one.
PIECE_WINDOW = timedelta(minutes=1)
# What the asker reads above a further message of a reply, by why it goes on (_continued);
# the reply's note keeps the why ("more"), so the alert's timeline says the same.
_ASKER_KEY = {
    "piece": "followup_reply_more",
    "cut": "followup_reply_more",
    "deleted": "followup_reply_corrected",
}


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


def _continued(
    alert: Alert, now: datetime, channel: Channel | None
) -> tuple[dict[str, Any], str] | None:
    """The alert's latest follow-up, when the contact's next message goes on with their reply
    to it, and why: "cut", "deleted" or "piece" (see the module's docstring; only Telegram
    splits a paste into pieces: ``channel`` is the contact's). Else None."""
    asked = notes_of(alert, "followup")
    if not asked:
        return None
    last = asked[-1]
    mine = [n for n in alert.notes if n.get("n") == last["n"]
            and n.get("kind") in ("reply", "reply_deleted")]  # fmt: skip
    if not mine:
        return None
    latest = mine[-1]
    if latest["kind"] == "reply_deleted":
        return last, "deleted"
    if latest.get("cut"):
        return last, "cut"
    recent = now - datetime.fromisoformat(latest["at"]) <= PIECE_WINDOW
    if recent and channel is not None and telegram_piece(str(latest.get("text", "")), channel):
        return last, "piece"
    return None


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
    survey_asked_at: datetime | None, message_id: str | None = None,
) -> bool:  # fmt: skip
    """If the contact's message is the reply to a waiting follow-up (or goes on with one,
    see the module's docstring), route it to the asker and return True (inside the caller's
    transaction). ``survey_asked_at``: when the open survey conversation last asked them
    something, None if none is open."""
    asked = await uow.outbox.for_contact(contact.id, "followup")
    if not asked or not text.strip():
        return False
    alert = await uow.alerts.lock(int(asked[-1].payload.get("alert_id", 0)))
    if alert is None:
        return False
    # Resolved, it waits for no reply; but what the contact was told to send next (the rest
    # of a cut reply, a correction) or the rest of a paste still reaches the asker.
    resolved = alert.status is AlertStatus.RESOLVED
    question, why = None if resolved else waiting(alert), None
    if question is None and (found := _continued(alert, now, contact.channel)) is not None:
        question, why = found
    if question is None or question.get("contact_id") != contact.id:
        return False
    asked_at = datetime.fromisoformat(question["at"])
    late = now > datetime.fromisoformat(question["until"])
    # A first reply: the survey takes the message if it asked last or the window passed. A
    # reply going on (``why``) takes it whatever the survey sent since: the contact was told
    # to send the rest next (or is mid-paste), and is told the survey question still waits.
    if why is None and survey_asked_at is not None and (late or survey_asked_at > asked_at):
        return False
    kept, cut = bound_text(text)
    n = question["n"]
    count = sum(1 for r in notes_of(alert, "reply") if r.get("n") == n)  # replies before
    note = {"kind": "reply", "n": n, "text": kept, "at": now.isoformat(), "late": late,
            "message_id": message_id, **({"more": why} if why else {}),
            **({"cut": True} if cut else {})}  # fmt: skip
    await uow.alerts.set_status(alert.id, alert.status, note, now)
    base = f"followup:{alert.id}:{n}"
    more = f":{count}" if count else ""  # the first reply keeps the keys it always had
    asker = await uow.staff.get(int(question["by_id"]))
    if asker is not None:
        key = _ASKER_KEY.get(why or "", "followup_reply_late" if late else "followup_reply")
        words = t(key, asker.language, contact=contact.name, id=alert.id)
        await tell_under_alert(
            uow, asker, alert, f"{words}\n{kept}", f"{base}:reply{more}", now,
            verbatim_from=len(words) + 1,
        )  # fmt: skip
    thanks = "followup_thanks_survey" if survey_asked_at is not None else "followup_thanks"
    tell = [] if why == "piece" else [(thanks, f"{base}:thanks{more}")]  # one paste, one thanks
    if cut:
        tell.append(("followup_reply_cut", f"{base}:cut{more}"))
    await _tell_contact(uow, contact, tell, now)
    return True


async def _tell_contact(
    uow: UnitOfWork, contact: Contact, tell: list[tuple[str, str]], now: datetime
) -> None:
    """Queue each (text key, idempotency key) notice for the contact, where they are reachable."""
    to = contact.reachable_at
    for words_key, key in tell if to is not None else []:
        await uow.outbox.enqueue(
            OutgoingMessage(
                recipient=to, kind="notice", idempotency_key=key, contact_id=contact.id,
                payload={"text": t(words_key, contact.language, limit=MAX_REPLY_CHARS),
                         "lang": contact.language.value},
                next_attempt_at=now,
            )
        )  # fmt: skip


async def _reply_by_message(
    uow: UnitOfWork, contact: Contact, message_id: str
) -> tuple[Alert, int, Staff | None] | None:
    """The alert (locked) whose follow-up the contact's message ``message_id`` replied to,
    the follow-up's number and who asked it; None when it was no reply of theirs."""
    asked = await uow.outbox.for_contact(contact.id, "followup")
    for alert_id in sorted({int(m.payload.get("alert_id", 0)) for m in asked}, reverse=True):
        found = await uow.alerts.get(alert_id)
        if found is None or not any(
            r.get("message_id") == message_id for r in notes_of(found, "reply")
        ):
            continue
        alert = await uow.alerts.lock(alert_id)  # one row locked, and read again under it
        assert alert is not None
        n = [r for r in notes_of(alert, "reply") if r.get("message_id") == message_id][-1]["n"]
        question = next((q for q in notes_of(alert, "followup") if q.get("n") == n), None)
        asker = await uow.staff.get(int(question["by_id"])) if question else None
        return alert, n, asker
    return None


async def reply_deleted(
    uow: UnitOfWork, contact: Contact, message_id: str, now: datetime
) -> Alert | None:
    """The alert whose follow-up the deleted message ``message_id`` replied to, after noting
    the deletion and telling the asker (the reply is kept: they have read it; a correction
    is welcome as the contact's next message); None when it was no reply of theirs."""
    found = await _reply_by_message(uow, contact, message_id)
    if found is None:
        return None
    alert, n, asker = found
    if any(d.get("message_id") == message_id for d in notes_of(alert, "reply_deleted")):
        return alert  # told already (Slack may deliver the event twice)
    gone = {"kind": "reply_deleted", "n": n, "message_id": message_id, "at": now.isoformat()}
    await uow.alerts.set_status(alert.id, alert.status, gone, now)
    if asker is not None:
        text = t("followup_reply_deleted", asker.language, contact=contact.name, id=alert.id)
        key = f"followup:{alert.id}:{n}:deleted:{message_id}"
        await tell_under_alert(uow, asker, alert, text, key, now)
    return alert


async def reply_edited(
    uow: UnitOfWork, contact: Contact, message_id: str, text: str, now: datetime
) -> bool:
    """An edit of the contact's reply to a follow-up: its new wording goes to the asker under
    the alert (a further reply note, the first kept as read) and the contact is told. False
    when ``message_id`` was no reply of theirs. It was dropped: the edit reached nobody."""
    found = await _reply_by_message(uow, contact, message_id)
    if found is None:
        return False
    alert, n, asker = found
    kept, cut = bound_text(text)
    mine = [r for r in notes_of(alert, "reply") if r.get("message_id") == message_id]
    if not kept or mine[-1].get("text") == kept:
        return True  # no words, or the same again (Slack may deliver the event twice)
    count = sum(1 for r in notes_of(alert, "reply") if r.get("n") == n)
    note = {"kind": "reply", "n": n, "text": kept, "at": now.isoformat(), "late": False,
            "message_id": message_id, "more": "edited", "edited": True,
            **({"cut": True} if cut else {})}  # fmt: skip
    await uow.alerts.set_status(alert.id, alert.status, note, now)
    base = f"followup:{alert.id}:{n}"
    if asker is not None:
        words = t("followup_reply_edited", asker.language, contact=contact.name, id=alert.id)
        await tell_under_alert(
            uow, asker, alert, f"{words}\n{kept}", f"{base}:reply:{count}", now,
            verbatim_from=len(words) + 1,
        )  # fmt: skip
    tell = [("followup_edit_kept", f"{base}:edited:{count}")]
    if cut:
        tell.append(("followup_reply_cut", f"{base}:cut:{count}"))
    await _tell_contact(uow, contact, tell, now)
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
