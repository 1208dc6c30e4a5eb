"""`/alert <id>`: one alert read in full — the answer exactly as the client wrote it, the
question as they saw it, and where the alert stands. (A whole timeline grows from here.)"""

from __future__ import annotations

from surveys.model import Alert, Language, Staff
from surveys.questions import COMMENT_KEY, question_text
from surveys.service import AlertDetails
from surveys.staff import READERS, Output, StaffCommands, StaffError, may_see, say

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
}
_STATUS = {
    "open": ("open", "открыт"),
    "acknowledged": ("acknowledged", "принят"),
    "resolved": ("resolved", "решён"),
}


def _l(key: str, lang: Language, **params: object) -> str:
    template = _LABELS[key][1 if lang is Language.RU else 0]
    return template.format(**params)


def _status(value: str, lang: Language) -> str:
    return _STATUS.get(value, (value, value))[1 if lang is Language.RU else 0]


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
    return Output(_lines(alert, detail, seen_in, lang), verbatim=detail.answer.text)


def _lines(alert: Alert, d: AlertDetails, seen_in: Language, lang: Language) -> list[str]:
    answer = d.answer
    key = answer.question_key
    question = (
        _l("comment", lang)
        if key == COMMENT_KEY
        else question_text(key, seen_in, d.account.question_overrides)
    )
    lines = [
        _l("head", lang, id=alert.id, status=_status(alert.status.value, lang)),
        _l("account", lang, v=d.account.name),
        _l("contact", lang, v=d.contact.name),
        _l("round", lang, v=d.round.title),
        _l("question", lang, v=question),
    ]
    for note in alert.notes:
        at = str(note.get("at", ""))[:16].replace("T", " ")
        by = _status(str(note.get("status", "")), lang)
        lines.append(_l("by", lang, status=by, by=note.get("by", "?"), at=at))
    if answer.truncated:
        lines.append(_l("truncated", lang))
    if answer.edited_at:
        lines.append(_l("edited", lang, at=answer.edited_at.strftime("%Y-%m-%d %H:%M UTC")))
    else:
        lines.append(_l("answer", lang))
    return lines  # the answer itself follows as the output's verbatim text
