"""`/alert <id>`: one alert read in full — the answer exactly as the client wrote it, the
question as they saw it, and its whole timeline — edits, who acknowledged, every follow-up
both ways, escalations, relapse, the resolution — in the reader's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from surveys.alert_changes import Change, changes_of, is_change
from surveys.model import Alert, AlertStatus, Answer, Language, Staff
from surveys.periods import distinct_round_title, local_time
from surveys.questions import COMMENT_KEY, SILENCE_KEY, question_text
from surveys.reporting.labels import L
from surveys.service import AlertDetails
from surveys.staff import READERS, Output, StaffCommands, StaffError, may_see, say
from surveys.texts import t

# (English, Russian)
_LABELS: dict[str, tuple[str, str]] = {
    "head": ("Alert #{id} · {status}", "Алерт #{id} · {status}"),
    "account": ("Account: {v}", "Аккаунт: {v}"),
    "contact": ("Contact: {v}", "Контакт: {v}"),
    "round": ("Round: {v}", "Опрос: {v}"),
    "question": ("Question: {v}", "Вопрос: {v}"),
    "comment": (
        "A comment after the last question",
        "Комментарий после последнего вопроса",
    ),
    "answer": ("Answer, in full:", "Ответ полностью:"),
    "edited": ("Answer (edited {at}), in full:", "Ответ (исправлен {at}) полностью:"),
    "truncated": (
        "The client's message was longer; this is what was kept.",
        "Сообщение клиента было длиннее; сохранено это.",
    ),
    "by": ("{status}: {by}, {at}", "{status}: {by}, {at}"),
    "timeline": ("Timeline ({tz}):", "Хронология ({tz}):"),
    "t_raised": ("{at} · alert raised", "{at} · алерт создан"),
    "t_status": ("{at} · {status} by {by}", "{at} · {status}: {by}"),
    "t_resolved": (
        "{at} · resolved by {by}: {how} — {note}",
        "{at} · закрыт ({by}): {how} — {note}",
    ),
    "t_added": (
        "{at} · the client added to the answer; before: «{before}»",
        "{at} · клиент дополнил ответ; было: «{before}»",
    ),
    "t_edited": (
        "{at} · the client edited the answer; before: «{before}»",
        "{at} · клиент исправил ответ; было: «{before}»",
    ),
    "t_added_text": (
        "{at} · the client added to the answer: «{text}»",
        "{at} · клиент дополнил ответ: «{text}»",
    ),
    "t_changes": (
        "{first} – {last} · {n} earlier changes by the client (additions: {added}, edits: "
        "{edited}); only the last {shown} are shown",
        "{first} – {last} · более ранних изменений ответа клиентом: {n} (дополнений: {added}, "
        "исправлений: {edited}); показаны только последние {shown}",
    ),
    "t_cleared": ("{at} · it no longer reads as negative", "{at} · больше не звучит негативно"),
    "t_again": ("{at} · it reads as negative again", "{at} · снова звучит негативно"),
    "t_reread": (
        "{at} · re-read by the updated sentiment analysis: it reads as negative again",
        "{at} · ответ перечитан обновлённым анализом тональности: снова звучит негативно",
    ),
    "t_comment": (
        "{at} · another negative comment added",
        "{at} · добавлен ещё один негативный комментарий",
    ),
    "t_followup": (
        "{at} · {by} asked the client: «{text}»",
        "{at} · {by} спросил(а) клиента: «{text}»",
    ),
    "t_reply": ("{at} · the client replied: «{text}»", "{at} · клиент ответил: «{text}»"),
    "t_reply_late": (
        "{at} · the client replied after the window: «{text}»",
        "{at} · клиент ответил после окна ожидания: «{text}»",
    ),
    "t_reply_more": (
        "{at} · the client's reply continues: «{text}»",
        "{at} · продолжение ответа клиента: «{text}»",
    ),
    "t_reply_corrected": (
        "{at} · a correction from the client to their deleted reply: «{text}»",
        "{at} · уточнение клиента к удалённому ответу: «{text}»",
    ),
    "t_reply_edited": (
        "{at} · the client edited their reply: «{text}»",
        "{at} · клиент исправил ответ: «{text}»",
    ),
    "t_reply_deleted": (
        "{at} · the client deleted the message with their reply (the reply is kept)",
        "{at} · клиент удалил сообщение с ответом (ответ сохранён)",
    ),
    "t_answer_deleted": (
        "{at} · the client deleted the Slack message with their answer (the answer is kept)",
        "{at} · клиент удалил в Slack сообщение с ответом (ответ сохранён)",
    ),
    "t_no_reply": ("{at} · no reply within the window", "{at} · ответа в срок нет"),
    "t_escalation.reminder": ("{at} · owner reminded", "{at} · напоминание владельцу"),
    "t_escalation.managers": (
        "{at} · escalated to managers: not acknowledged",
        "{at} · эскалация менеджерам: не принят",
    ),
    "t_escalation.unresolved": (
        "{at} · escalated to managers: acknowledged, not resolved",
        "{at} · эскалация менеджерам: принят, но не закрыт",
    ),
    "t_relapse": (
        "{at} · relapse of alert #{of} ({how}: {note})",
        "{at} · рецидив алерта #{of} ({how}: {note})",
    ),
}
_STATES = frozenset(s.value for s in AlertStatus)


def _l(key: str, lang: Language, **params: object) -> str:
    template = _LABELS[key][1 if lang is Language.RU else 0]
    return template.format(**params)


def _status(value: str, lang: Language) -> str:
    """A state named as in lists, App Home and reports (one word per state)."""
    return L(f"alert.{value}", lang) if value in _STATES else value


def parse_alert_id(ref: str) -> int:
    """`12` or `#12`; ValueError otherwise."""
    ref = ref.strip().removeprefix("#")
    if not ref.isdigit():
        raise ValueError(ref)
    return int(ref)


async def show_alert(commands: StaffCommands, actor: Staff, alert_id: int) -> Output:
    """The account's owner, managers and admins may read an alert; anyone else hears the
    same as for one that does not exist."""
    commands.require(actor, READERS, actor.language)
    lang = actor.language
    async with commands.uow() as uow:
        alert = await uow.alerts.get(alert_id)
        account = await uow.accounts.get(alert.account_id) if alert else None
        if alert is None or account is None or not may_see(actor, account):
            raise StaffError(say("no_alert", lang, id=alert_id))
        detail = await commands.service.alert_details(uow, alert)
        conv = await uow.conversations.get(detail.answer.conversation_id)
    seen_in = conv.language if conv else detail.contact.language
    lines = _lines(alert, detail, seen_in, lang)
    # The reader's own time zone (/timezone), else the deployment's.
    tz = actor.timezone or commands.service.policy.default_timezone
    timeline = timeline_lines(alert, lang, tz, detail.answer)
    return Output(
        [*lines, "", *timeline, "", _answer_head(detail, lang, tz)], verbatim=detail.answer.text
    )


# The client's changes to the answer shown one by one; earlier ones are counted in one line.
SHOWN_CHANGES = 3


def timeline_lines(
    alert: Alert, lang: Language, tz: str, answer: Answer | None = None
) -> list[str]:
    """Every step of the alert, oldest first, with times in ``tz``. The client's changes to
    ``answer`` (the alert's) are read from its history; all but the last few are summed up."""
    zone = ZoneInfo(tz)

    def at(value: object) -> str:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return "?"
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    out = [_l("timeline", lang, tz=tz), _l("t_raised", lang, at=at(alert.created_at.isoformat()))]
    changes = changes_of(alert.notes, answer)  # one per change note, in the notes' order
    # Summed up only when that hides at least two: one line in place of one is no shorter.
    hidden = len(changes) - SHOWN_CHANGES if len(changes) - SHOWN_CHANGES >= 2 else 0
    seen = 0
    cleared = False  # whether the last verdict noted so far was "no longer negative"
    deleted: dict[object, bool] = {}  # follow-up number: its reply's latest note a deletion
    for note in alert.notes:
        kind, when = note.get("kind"), at(note.get("at") or note.get("edited_at"))
        status = note.get("status")
        if status == "resolved" and note.get("disposition"):
            how = t(f"disposition.{note['disposition']}", lang)
            out.append(_l("t_resolved", lang, at=when, by=note.get("by", "?"), how=how,
                          note=note.get("note", "")))  # fmt: skip
        elif status:
            out.append(_l("t_status", lang, at=when, status=_status(status, lang),
                          by=note.get("by", "?")))  # fmt: skip
        elif is_change(note):
            change, seen = changes[seen], seen + 1
            again, cleared = cleared and change.negative is True, _cleared(change, cleared)
            if seen <= hidden:
                if seen == 1:
                    out.append(_summary(changes[:hidden], lang, at))
                continue
            out += _change_lines(change, lang, when, again=again)
        elif kind == "reread":
            out.append(_l("t_reread", lang, at=when))
            cleared = False
        elif "comment" in note:
            out.append(_l("t_comment", lang, at=when))
        elif kind == "followup":
            out.append(_l("t_followup", lang, at=when, by=note.get("by", "?"),
                          text=_clip(note.get("text", ""))))  # fmt: skip
        elif kind == "reply":
            key = _reply_key(note, deleted.get(note.get("n")) is True)
            out.append(_l(key, lang, at=when, text=_clip(note.get("text", ""))))
            deleted[note.get("n")] = False
        elif kind == "reply_deleted":
            out.append(_l("t_reply_deleted", lang, at=when))
            deleted[note.get("n")] = True
        elif kind == "answer_deleted":
            out.append(_l("t_answer_deleted", lang, at=when))
        elif kind == "followup_expired":
            out.append(_l("t_no_reply", lang, at=when))
        elif kind == "escalation":
            out.append(_l(f"t_escalation.{note.get('level')}", lang, at=when))
        elif kind == "relapse":
            how = t(f"disposition.{note['disposition']}", lang) if note.get("disposition") else "—"
            out.append(_l("t_relapse", lang, at=when, of=note.get("of"), how=how,
                          note=note.get("note") or "—"))  # fmt: skip
    return out


def _reply_key(note: dict[str, Any], after_deletion: bool) -> str:
    """The line of a reply note, worded as its asker was told (followup_replies._ASKER_KEY):
    a further message after a deleted reply is a correction, any other one goes on."""
    more = note.get("more")
    if more is True:  # notes from before "more" said why: right after a deletion, a correction
        more = "deleted" if after_deletion else "cut"
    if note.get("edited"):
        return "t_reply_edited"
    if more:
        return "t_reply_corrected" if more == "deleted" else "t_reply_more"
    return "t_reply_late" if note.get("late") else "t_reply"


def _change_lines(change: Change, lang: Language, when: str, *, again: bool) -> list[str]:
    """The change, and how the answer read after it where that changed: no longer negative,
    or (``again``) negative again after that."""
    if change.text is not None:  # what was added, rather than all that came before it
        line = _l("t_added_text", lang, at=when, text=_clip(change.text))
    else:
        key = "t_added" if change.added else "t_edited"
        line = _l(key, lang, at=when, before=_clip(change.before))
    if change.negative is False:
        return [line, _l("t_cleared", lang, at=when)]
    return [line, *([_l("t_again", lang, at=when)] if again else [])]


def _cleared(change: Change, before: bool) -> bool:
    """Whether the alert is marked no longer negative after ``change`` (one whose note says
    nothing of how the answer read leaves the mark as it was)."""
    return before if change.negative is None else not change.negative


def _summary(hidden: list[Change], lang: Language, at: Callable[[object], str]) -> str:
    """One line for the changes not shown one by one: how many, of which kind, when."""
    added = sum(c.added for c in hidden)
    return _l("t_changes", lang, first=at(hidden[0].at), last=at(hidden[-1].at), n=len(hidden),
              added=added, edited=len(hidden) - added, shown=SHOWN_CHANGES)  # fmt: skip


def _clip(text: object, width: int = 500) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _answer_head(d: AlertDetails, lang: Language, tz: str) -> str:
    """The answer's heading; when it was edited, in the timeline's zone (named: MSK, UTC)."""
    edited = d.answer.edited_at
    if edited:
        at = local_time(edited if edited.tzinfo else edited.replace(tzinfo=UTC), tz)
        return _l("edited", lang, at=at)
    return _l("answer", lang)


def _lines(alert: Alert, d: AlertDetails, seen_in: Language, lang: Language) -> list[str]:
    answer = d.answer
    key = answer.question_key
    if key == SILENCE_KEY:
        question = t("label.silence", lang)
    elif key == COMMENT_KEY:
        question = _l("comment", lang)
    else:
        question = question_text(key, seen_in, d.account.question_overrides)
    lines = [
        _l("head", lang, id=alert.id, status=_status(alert.status.value, lang)),
        _l("account", lang, v=d.account.name),
        _l("contact", lang, v=d.contact.name),
        _l("round", lang, v=distinct_round_title(d.round, d.rounds, lang, d.account.timezone)),
        _l("question", lang, v=question),
    ]
    if answer.truncated:
        lines.append(_l("truncated", lang))
    return lines  # the answer itself follows as the output's verbatim text
