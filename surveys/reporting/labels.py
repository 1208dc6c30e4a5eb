"""Headers and sentences of reports and charts, in the requester's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from surveys.model import ContactLevel, Language, SentimentLabel
from surveys.questions import question_label

if TYPE_CHECKING:  # data.py needs the service, which needs these labels
    from surveys.reporting.data import ContactRow

# key -> (English, Russian)
_T: dict[str, tuple[str, str]] = {
    # summary sheet
    "sheet.summary": ("Summary", "Сводка"),
    "account": ("Account", "Аккаунт"),
    "period": ("Period", "Период"),
    "round": ("Round", "Опрос"),
    "opened": ("Opened", "Открыт"),
    "level": ("Level", "Уровень"),
    "population": ("Population", "Охват"),
    "responded": ("Responded", "Ответили"),
    "response_rate": ("Response rate", "Доля ответивших"),
    "partly": ("Of them partly", "Из них частично"),
    "negative_share": ("Negative: {question}", "Негатив: {question}"),
    "alerts_open": ("Open alerts", "Открытые алерты"),
    "alerts_resolved": ("Resolved alerts", "Закрытые алерты"),
    "delta_rate": ("Δ response rate", "Δ доли ответивших"),
    "delta_negative": ("Δ negative share", "Δ доли негатива"),
    # round sheets and CSV
    "contact": ("Contact", "Контакт"),
    "status": ("Status", "Статус"),
    "question": ("Question", "Вопрос"),
    "answer": ("Answer", "Ответ"),
    "sentiment": ("Sentiment", "Тональность"),
    "score": ("Score", "Уверенность"),
    "evidence": ("Evidence", "Основание"),
    "edited": ("Edited", "Изменён"),
    "answered_at": ("Answered at", "Время ответа"),
    "alert_status": ("Alert", "Алерт"),
    "alert_note": ("Alert note", "Заметка к алерту"),
    "alert_disposition": ("How it ended", "Чем закончилось"),
    "yes": ("yes", "да"),
    # an answer longer than a cell holds
    "cell_cut": (
        "… (cut: an Excel cell holds 32,767 characters; the CSV report has it all)",
        "… (обрезано: в ячейку Excel помещается 32 767 символов; весь текст — в отчёте CSV)",
    ),
    # a contact made staff, with no answer in the round: their row's status (as /contacts)
    "staff.mark": ("staff — not surveyed", "сотрудник — не опрашивается"),
    # levels, labels, statuses
    "level.stakeholder": ("stakeholders", "стейкхолдеры"),
    "level.user": ("users", "пользователи"),
    "level.all": ("all", "все"),
    "label.negative": ("negative", "негатив"),
    "label.neutral": ("neutral", "нейтрально"),
    "label.positive": ("positive", "позитив"),
    "alert.open": ("open", "открыт"),
    # As the alert's card names them («Принято: …», «Решено: …»), and /alert with it.
    "alert.acknowledged": ("acknowledged", "принят"),
    "alert.resolved": ("resolved", "решён"),
    "conv.invited": ("invited", "приглашён"),
    "conv.asking": ("answering", "отвечает"),
    "conv.completed": ("completed", "завершил"),
    "conv.expired": ("expired", "истёк"),
    "conv.declined": ("declined", "отказался"),
    "empty": ("No rounds in this selection yet.", "В этой выборке пока нет опросов."),
    # charts
    "chart.account": ("{account}: trend by period", "{account}: динамика по периодам"),
    "chart.portfolio": (
        "Portfolio, latest period: negative share, riskiest first",
        "Портфель, последний период: доля негатива, самые рискованные сверху",
    ),
    "chart.negative": ("Negative share", "Доля негатива"),
    "chart.more": ("+{n} more accounts", "ещё аккаунтов: {n}"),
    "chart.no_data": ("No rounds yet", "Опросов пока нет"),
    # use case answers
    "bad_format": (
        "Format must be xlsx, csv or csv; (semicolons).",
        "Формат: xlsx, csv или csv; (с точкой с запятой).",
    ),
    "too_big": (
        "The file is {size} MB, over the {limit} MB this chat accepts. Ask for a shorter "
        "period or one account, or use `candor report` on the server.",
        "Файл занимает {size} МБ, а этот чат принимает не больше {limit} МБ. Запросите "
        "период короче или один аккаунт, или используйте `candor report` на сервере.",
    ),
    # True whichever comes first: on Telegram the file (queued first) is already above this
    # note; on Slack the note is ephemeral where the command was typed, the file in the DM.
    "file_queued": (
        "{filename} ({size} KB) — in your direct messages with the bot.",
        "{filename} ({size} КБ) — в личных сообщениях с ботом.",
    ),
    "no_address": (
        "I cannot reach you on this platform to send the file.",
        "Не могу отправить вам файл на этой платформе.",
    ),
    "caption.report": ("Candor report: {what}", "Отчёт Candor: {what}"),
    "caption.trend": ("Candor trend: {what}", "Динамика Candor: {what}"),
    "portfolio": ("portfolio", "портфель"),
    "every_round": ("every round", "все опросы"),  # a report without a period
}


def L(key: str, lang: Language, /, **params: object) -> str:
    en, ru = _T[key]
    text = ru if lang is Language.RU else en
    return text.format(**params) if params else text


def level_name(level: ContactLevel | None, lang: Language) -> str:
    return L(f"level.{level.value}" if level else "level.all", lang)


def label_name(label: SentimentLabel | None, lang: Language) -> str:
    return L(f"label.{label.value}", lang) if label else ""


def question_name(key: str, lang: Language) -> str:
    return question_label(key, lang)


def row_status(row: ContactRow, lang: Language) -> str:
    """A report row's *Status*: the conversation's, or why a contact now on staff has no
    answers in the round (the same words in the XLSX and the CSV)."""
    return L("staff.mark", lang) if row.staff else L(f"conv.{row.status.value}", lang)
