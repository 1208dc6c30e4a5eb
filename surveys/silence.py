"""Silence: clients who stop answering ("quiet quitting") raise an alert of their own.

- A contact whose last ``rounds`` conversations all expired or were declined;
- an account whose latest closed round's response rate is under ``rate``, or under half the
  average of the rounds before it (from its second closed round on: a fall needs a before).

Contacts who opted out or are unreachable raise no silence of their own: they told us, or
the owner was told already.

One alert per streak (the streak's first round names it, a unique key in storage), with the
same lifecycle as any alert: acknowledge, follow up, resolve, escalation. A contact's reply
clears their silence alert. Only closed rounds count, so a round still running is no streak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from surveys.alert_desk import AlertDesk
from surveys.model import (
    Account,
    Alert,
    AlertStatus,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Language,
    Round,
)
from surveys.periods import distinct_round_title, round_title
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.texts import t

SILENT = (ConversationStatus.EXPIRED, ConversationStatus.DECLINED)


@dataclass(frozen=True, slots=True)
class SilencePolicy:
    rounds: int = 3  # consecutive expired or declined rounds of one contact (0: off)
    rate: float = 0.3  # an account's response rate under this is silence (0: off)
    history: int = 3  # earlier rounds averaged for the "half its average" rule


def describe(alert: Alert, lang: Language, rounds: Sequence[Round] = (), tz: str = "UTC") -> str:
    """What the silence is, in words, from the alert's first note; its round named apart
    from the account's other ``rounds`` (time zone ``tz``), as every staff view names it."""
    facts = next((n for n in alert.notes if n.get("kind") == "silence"), {})
    if facts.get("what") == "contact":
        return t("silence_contact", lang, contact=facts.get("contact", "?"), n=facts.get("n", 0))
    key = str(facts.get("period_key", ""))
    found = next((r for r in rounds if r.period_key == key), None)  # a key is one round's
    name = (
        distinct_round_title(found, rounds, lang, tz)
        if found
        else round_title(key, str(facts.get("round", "?")), lang)  # raised before keys were kept
    )
    return t(
        "silence_account", lang, rate=f"{facts.get('rate', 0):.0%}",
        average=f"{facts.get('average', 0):.0%}", round=name,
    )  # fmt: skip


def _rate(convs: list[Conversation], answered: set[int]) -> float:
    return sum(c.id in answered for c in convs) / len(convs) if convs else 1.0


class Silences:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, policy: SilencePolicy, desk: AlertDesk
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.policy = policy
        self.desk = desk

    async def run_due(self) -> int:
        raised = 0
        async with self.uow() as uow:
            accounts = await uow.accounts.list()
        for account in accounts:
            async with self.uow() as uow:
                raised += await self._account(uow, account)
                await uow.commit()
        return raised

    async def _account(self, uow: UnitOfWork, account: Account) -> int:
        closed: list[tuple[Round, list[Conversation]]] = []
        for round_ in await uow.rounds.for_account(account.id):
            convs = await uow.conversations.for_round(round_.id)
            if convs and not any(c.status.is_open for c in convs):
                closed.append((round_, convs))
        if not closed:
            return 0
        raised = 0
        contacts = {c.id: c for c in await uow.contacts.for_account(account.id)}
        if self.policy.rounds > 0:
            for contact in contacts.values():
                # Opted out or unreachable: they told us, or the owner was told already.
                if contact.status in (ContactStatus.OPTED_OUT, ContactStatus.UNREACHABLE):
                    continue
                raised += await self._contact_streak(uow, account, contact, closed)
        # A rate can only fall once there is a round before it.
        if self.policy.rate > 0 and len(closed) >= 2:
            raised += await self._account_rate(uow, account, closed)
        return raised

    async def _contact_streak(
        self, uow: UnitOfWork, account: Account, contact: Contact,
        closed: list[tuple[Round, list[Conversation]]],
    ) -> int:  # fmt: skip
        mine = [c for _, convs in closed for c in convs if c.contact_id == contact.id]
        streak: list[Conversation] = []
        for conv in reversed(mine):
            if conv.status not in SILENT:
                break
            streak.insert(0, conv)
        if len(streak) < self.policy.rounds:
            return 0
        answered = await uow.answers.for_conversations([c.id for c in streak])
        if answered:  # a late answer in the streak is a reply: no silence
            return 0
        facts = {"kind": "silence", "what": "contact", "contact": contact.name, "n": len(streak)}
        key = f"silence:contact:{contact.id}:{streak[0].id}"
        return await self._raise(uow, account, contact.id, key, facts)

    async def _account_rate(
        self, uow: UnitOfWork, account: Account, closed: list[tuple[Round, list[Conversation]]]
    ) -> int:
        ids = [c.id for _, convs in closed for c in convs]
        answered = {a.conversation_id for a in await uow.answers.for_conversations(ids)}
        rates = [_rate(convs, answered) for _, convs in closed]

        def low(i: int) -> tuple[bool, float]:
            before = rates[max(0, i - self.policy.history) : i]
            average = sum(before) / len(before) if before else rates[i]
            return rates[i] < self.policy.rate or (bool(before) and rates[i] < average / 2), average

        is_low, average = low(len(rates) - 1)
        if not is_low:
            return 0
        first = len(rates) - 1
        while first > 0 and low(first - 1)[0]:
            first -= 1
        facts = {
            "kind": "silence", "what": "account", "rate": rates[-1], "average": average,
            "round": closed[-1][0].title, "period_key": closed[-1][0].period_key,
        }  # fmt: skip
        key = f"silence:account:{account.id}:{closed[first][0].id}"
        return await self._raise(uow, account, None, key, facts)

    async def _raise(
        self, uow: UnitOfWork, account: Account, contact_id: int | None, key: str,
        facts: dict[str, object],
    ) -> int:  # fmt: skip
        now = self.clock.now()
        facts["at"] = now.isoformat()
        alert = await uow.alerts.add_once(
            Alert(0, 0, account.id, account.owner_id, AlertStatus.OPEN, now, [facts],
                  kind="silence", contact_id=contact_id, streak_key=key)
        )  # fmt: skip
        if alert is None:  # this streak already has its alert
            return 0
        await self.desk.send_existing(uow, alert)
        return 1


async def cleared_by_reply(
    uow: UnitOfWork, desk: AlertDesk, contact: Contact, now: datetime
) -> None:
    """The contact wrote: their open silence alerts are resolved, and the messages say so."""
    # Only this contact's: every message a contact writes passes here.
    for alert in await uow.alerts.silences(contact.id):
        if alert.status is AlertStatus.RESOLVED:
            continue
        note = {"status": "resolved", "by": "Candor", "at": now.isoformat(), "cleared": "reply"}
        done = await uow.alerts.set_status(
            alert.id, AlertStatus.RESOLVED, note, now, expect=alert.status
        )
        if done is not None:
            await desk.update_messages(uow, done, "silence_cleared", contact=contact.name)
