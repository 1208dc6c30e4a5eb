"""Outgoing messages as Telegram HTML: every piece of text we did not write is escaped."""

from __future__ import annotations

import html
import re
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.callbacks import (
    CensusControl,
    CensusRunControl,
    ImportConfirm,
    Signer,
    SurveyAction,
)
from surveys.alerts import ALERT_LABELS
from surveys.model import AlertStatus, Disposition, Language, OutgoingMessage
from surveys.texts import t

TELEGRAM_TEXT_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji may count as two)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Plain text in pieces of at most ``limit``, cut at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while tg_len(line) > limit:  # a single over-long line is cut hard
            head = _cut(line, limit)
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            line = line[len(head) :]
        if tg_len(current) + tg_len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current.strip() or not parts:
        parts.append(current)
    return [p.rstrip("\n") or "…" for p in parts]


def _cut(text: str, limit: int) -> str:
    out = ""
    for ch in text:
        if tg_len(out + ch) > limit:
            break
        out += ch
    return out


def survey_keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    buttons = message.payload.get("buttons") or []
    conv = message.payload.get("conversation_id")
    question = message.payload.get("question_key")
    if not buttons or conv is None or not question:
        return None
    lang = Language(message.payload.get("lang", "en"))
    row = [
        InlineKeyboardButton(
            text=t(f"button.{b}", lang),
            callback_data=SurveyAction(action=b, conversation=int(conv), question=question).pack(),
        )
        for b in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def census_keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """Pause / resume / cancel under the starter's census progress message."""
    controls = message.payload.get("census_controls") or {}
    lang = Language(message.payload.get("lang", "en"))
    run = controls.get("run_id")

    def data(action: str) -> str:
        if run is None:  # recorded before buttons named their run
            return CensusControl(action=action, account=int(controls["account_id"])).pack()
        return CensusRunControl(action=action, run=int(run)).pack()

    row = [
        InlineKeyboardButton(text=t(f"button.census_{a}", lang), callback_data=data(a))
        for a in controls.get("actions") or []
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


def import_keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """Import under an import preview; the button names the message the file came in."""
    confirm = message.payload.get("import_confirm")
    if not confirm:
        return None
    lang = Language(message.payload.get("lang", "en"))
    button = InlineKeyboardButton(
        text=t("button.import", lang),
        callback_data=ImportConfirm(message=int(confirm["message"])).pack(),
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def alert_keyboard(
    alert_id: int, lang: Language, signer: Signer, status: AlertStatus = AlertStatus.OPEN
) -> InlineKeyboardMarkup | None:
    actions = {
        AlertStatus.OPEN: ["ack", "followup", "resolve"],
        AlertStatus.ACKNOWLEDGED: ["followup", "resolve"],
    }
    row = [
        InlineKeyboardButton(
            text=t(f"button.{a}", lang), callback_data=signer.alert_button(a, alert_id)
        )
        for a in actions.get(status, [])
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


def disposition_keyboard(alert_id: int, lang: Language, signer: Signer) -> InlineKeyboardMarkup:
    """Resolve pressed: how did it end? (The note is asked for next.)"""
    rows = [
        [
            InlineKeyboardButton(
                text=t(f"disposition.{d.value}", lang),
                callback_data=signer.alert_button(f"d_{d.value}", alert_id),
            )
        ]
        for d in Disposition
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def alert_html(fields: dict[str, Any], lang: Language, status_line: str | None = None) -> str:
    """The owner's alert. The client's answer is escaped and shortened to fit one message."""
    head, account, contact, round_, question, answer, why = ALERT_LABELS[lang]
    evidence = ", ".join(f"«{e}»" for e in fields.get("evidence") or []) or t("no_evidence", lang)

    if fields.get("kind") == "silence":
        head = t("silence_head", lang)

    def build(answer_text: str) -> str:
        lines = [
            f"<b>⚠️ {head}</b>",
            f"<b>{account}:</b> {escape(str(fields['account']))}",
            f"<b>{contact}:</b> {escape(str(fields['contact']))}",
            f"<b>{round_}:</b> {escape(str(fields['round']))}",
            f"<b>{question}:</b> {escape(str(fields['question']))}",
            f"<b>{answer}:</b>",
            f"<blockquote>{escape(answer_text)}</blockquote>",
            f"<b>{why}:</b> {escape(evidence)}",
        ]
        if fields.get("relapse"):
            lines.insert(1, f"<b>{escape(str(fields['relapse']))}</b>")
        if status_line:
            lines.append(f"\n<i>{escape(status_line)}</i>")
        return "\n".join(lines)

    text = str(fields["answer"])
    full = build(text)
    if tg_len(_visible(full)) <= TELEGRAM_TEXT_LIMIT:
        return full
    # Points at where the whole answer is: /alert shows it in full, split over messages.
    shortened = t("alert_shortened", lang, id=fields.get("alert_id", "?"))
    room = TELEGRAM_TEXT_LIMIT - tg_len(_visible(build(""))) - tg_len(shortened)
    return build(_cut(text, max(room, 0)) + shortened)


def _visible(html_text: str) -> str:
    """What Telegram counts: the text with tags removed and entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


def render_alert_update(
    message: OutgoingMessage, signer: Signer
) -> tuple[str, InlineKeyboardMarkup | None]:
    """An alert as it is now (its answer edited, more comments, no longer negative)."""
    lang = Language(message.payload.get("lang", "en"))
    fields = message.payload["alert"]
    status = AlertStatus(str(fields.get("status", AlertStatus.OPEN.value)))
    text = alert_html(fields, lang, message.payload.get("status_line"))
    return text, alert_keyboard(int(fields["alert_id"]), lang, signer, status)


def render(
    message: OutgoingMessage, signer: Signer
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """One outgoing message as Telegram messages (HTML text, keyboard on the last one)."""
    lang = Language(message.payload.get("lang", "en"))
    if message.kind == "alert":
        fields = message.payload["alert"]
        return [(alert_html(fields, lang), alert_keyboard(int(fields["alert_id"]), lang, signer))]
    text = str(message.payload.get("text", "")) or "…"
    if table := message.payload.get("table"):
        return _text_and_table(text, str(table))
    pre = bool(message.payload.get("pre"))
    parts = split_text(text)  # tags and escapes do not count towards Telegram's limit
    wrapped = [f"<pre>{escape(p)}</pre>" if pre else escape(p) for p in parts]
    keyboard = survey_keyboard(message) or census_keyboard(message) or import_keyboard(message)
    return [(w, keyboard if i == len(wrapped) - 1 else None) for i, w in enumerate(wrapped)]


def _text_and_table(text: str, table: str) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Words with a monospace table under them: one message when it fits, else in pieces."""
    if tg_len(f"{text}\n{table}") <= TELEGRAM_TEXT_LIMIT:
        return [(f"{escape(text)}\n<pre>{escape(table)}</pre>", None)]
    return [(escape(p), None) for p in split_text(text)] + [
        (f"<pre>{escape(p)}</pre>", None) for p in split_text(table)
    ]
