"""When an answer becomes an alert, and the message its account owner receives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from surveys.evidence import clean_evidence
from surveys.model import (
    Account,
    Address,
    Alert,
    AlertStatus,
    Answer,
    Contact,
    Language,
    OutgoingMessage,
    Round,
    Sentiment,
    SentimentLabel,
    Staff,
)
from surveys.periods import distinct_round_title
from surveys.questions import QUESTION_KEYS, SILENCE_KEY, question_text
from surveys.texts import t

# How an alert introduces itself and its fields, on every platform.
ALERT_LABELS = {
    Language.EN: (
        "Negative feedback",
        "Account",
        "Contact",
        "Round",
        "Question",
        "Answer",
        "Why flagged",
    ),
    Language.RU: ("Негативный отзыв", "Аккаунт", "Контакт", "Опрос", "Вопрос", "Ответ", "Почему"),
}

_STATUS_LINE = {
    Language.EN: {
        AlertStatus.ACKNOWLEDGED: "Acknowledged by {by}",
        AlertStatus.RESOLVED: "Resolved by {by}",
    },
    Language.RU: {AlertStatus.ACKNOWLEDGED: "Принято: {by}", AlertStatus.RESOLVED: "Решено: {by}"},
}


def status_line(status: AlertStatus, by: str, lang: Language) -> str | None:
    """The line an alert message gains once someone acknowledged or resolved it."""
    template = _STATUS_LINE[lang].get(status)
    return template.format(by=by) if template else None


def state_line(alert: Alert, by: str, lang: Language) -> str | None:
    """The line for an alert as it stands: a resolution with how it ended and its note,
    else who acknowledged or resolved it."""
    done = [n for n in alert.notes if n.get("status") == "resolved" and n.get("disposition")]
    if alert.status is AlertStatus.RESOLVED and done:
        how = t(f"disposition.{done[-1]['disposition']}", lang)
        return t("alert_resolved_line", lang, by=done[-1].get("by", by), how=how,
                 note=done[-1].get("note", ""))  # fmt: skip
    return status_line(alert.status, by, lang)


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    # A negative verdict below this confidence is recorded but does not page the owner.
    threshold: float = 0.3
    # A conversation whose answers are each mildly negative (negative, below the threshold)
    # raises one alert when it ends: three lukewarm complaints are a pattern.
    mild_conversation: bool = True
    # What one contact can raise in one round: separate alerts, and further negative
    # comments folded into their conversation's comment alert (each edits the owner's message).
    max_per_conversation: int = 5
    max_grouped_comments: int = 10
    # A negative answer on a question whose alert was resolved within this many earlier
    # rounds of the account is a relapse (0: never).
    relapse_rounds: int = 3

    def raises_alert(self, sentiment: Sentiment | None) -> bool:
        return (
            sentiment is not None
            and sentiment.label is SentimentLabel.NEGATIVE
            and sentiment.score >= self.threshold
        )

    def mildly_negative_throughout(self, sentiments: list[Sentiment | None]) -> bool:
        """Every answer negative, none strong enough to alert on its own (at least two)."""
        return (
            self.mild_conversation
            and len(sentiments) >= 2
            and all(
                s is not None and s.label is SentimentLabel.NEGATIVE and s.score < self.threshold
                for s in sentiments
            )
        )


def owner_address(owner: Staff, prefer: Address | None) -> Address | None:
    """Where the owner gets the alert: the contact's platform if the owner is on it."""
    if prefer is not None and (same := owner.address_on(prefer.channel)) is not None:
        return same
    addresses = owner.addresses()
    return addresses[0] if addresses else None


def staff_notice(person: Staff, text: str, key: str, now: datetime) -> OutgoingMessage | None:
    """A one-off notice for a staff member at their first address; None if they have none."""
    to = owner_address(person, None)
    if to is None:
        return None
    return OutgoingMessage(
        recipient=to,
        kind="staff_notice",
        payload={"text": text, "lang": person.language.value},
        idempotency_key=key,
        next_attempt_at=now,
    )


QUESTION_SHOWN_CHARS = 90


def resolving_note(notes: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The note that last resolved an alert (with its disposition), if it is resolved."""
    done = [n for n in notes if n.get("status") == AlertStatus.RESOLVED.value]
    return done[-1] if done else None


def question_as_asked(
    key: str, lang: Language, account: Account, limit: int = QUESTION_SHOWN_CHARS
) -> str:
    """The question as the client saw it (the account's wording), shortened for an alert."""
    if key == SILENCE_KEY:
        return t("label.silence", lang)
    if key not in QUESTION_KEYS:
        return t("label.comment_shown", lang)
    text = " ".join(question_text(key, lang, account.question_overrides).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def alert_fields(
    alert: Alert,
    *,
    account: Account,
    contact: Contact,
    round_: Round,
    rounds: Sequence[Round],
    answer: Answer,
    lang: Language,
) -> dict[str, object]:
    """What an alert shows, as separate fields so each platform can escape the client's text.
    ``rounds``: the account's, so ``round_`` is named apart from one reading the same."""
    evidence = why_flagged(alert, answer)
    tz = account.timezone
    if alert.kind == "silence":
        from surveys.silence import describe

        answer = Answer(answer.id, answer.conversation_id, SILENCE_KEY,
                        describe(alert, lang, rounds, tz), answer.received_at)  # fmt: skip
    return {
        "alert_id": alert.id,
        "account": account.name,
        "contact": contact.name,
        "round": distinct_round_title(round_, rounds, lang, tz),
        "question_key": answer.question_key,
        "question": question_as_asked(answer.question_key, lang, account),
        "answer": answer.text,
        "evidence": clean_evidence(answer.text, list(evidence)),
        "score": answer.sentiment.score if answer.sentiment else None,
        "lang": lang.value,
        "status": alert.status.value,
        "kind": alert.kind,
    } | ({"relapse": relapse_line(alert, lang)} if relapse_line(alert, lang) else {})


def why_flagged(alert: Alert, answer: Answer) -> list[str]:
    """The words that flagged the answer. Once an edit or an addition made it read as not
    negative, the analyser's evidence is what cleared it («thank you»): "Why flagged" then
    keeps the words it was flagged on, noted at the change (AlertDesk.answer_changed)."""
    sentiment = answer.sentiment
    if sentiment is None or sentiment.label is SentimentLabel.NEGATIVE:
        return list(sentiment.evidence) if sentiment else []
    flagged = [n["flagged_on"] for n in alert.notes if isinstance(n.get("flagged_on"), list)]
    return [str(e) for e in flagged[-1]] if flagged else []


def relapse_line(alert: Alert, lang: Language) -> str | None:
    """ "Relapse: alert #3 on this question was resolved (fixed: …)" — or None."""
    marks = [n for n in alert.notes if n.get("kind") == "relapse"]
    if not marks:
        return None
    mark = marks[-1]
    how = t(f"disposition.{mark['disposition']}", lang) if mark.get("disposition") else "—"
    return t("alert_relapse", lang, id=mark["of"], how=how, note=mark.get("note") or "—")


def alert_message(
    alert: Alert,
    *,
    account: Account,
    contact: Contact,
    round_: Round,
    rounds: Sequence[Round],
    answer: Answer,
    owner: Staff,
    to: Address,
) -> OutgoingMessage:
    """The owner's alert, in the owner's language."""
    lang = owner.language
    fields = alert_fields(
        alert, account=account, contact=contact, round_=round_, rounds=rounds, answer=answer,
        lang=lang,
    )  # fmt: skip
    text = t(
        "alert",
        lang,
        account=account.name,
        contact=contact.name,
        round=fields["round"],
        question=fields["question"],
        answer=fields["answer"],
        evidence=", ".join(f"«{e}»" for e in fields["evidence"]) or t("no_evidence", lang),
    )
    if fields.get("relapse"):
        text = f"{fields['relapse']}\n{text}"
    return OutgoingMessage(
        recipient=to,
        kind="alert",
        payload={
            "text": text,
            "lang": lang.value,
            "alert": fields,
            "buttons": ["ack", "followup", "resolve"],
        },
        idempotency_key=f"alert:{alert.id}:{to.channel.value}",
    )
