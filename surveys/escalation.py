"""Escalation: an alert nobody acted on in time goes up.

Levels, each at most once per alert:
- ``reminder``: not acknowledged within ``ack_after`` → the owner is reminded;
- ``managers``: still not acknowledged after twice that → managers (and admins) are told;
- ``unresolved``: acknowledged but not resolved within ``resolve_after`` → managers too.

Accounts of a priority tier get shorter times. Run from the scheduler tick; the level is a
note on the alert, written under the alert's row lock together with the messages (whose
idempotency keys are the second guard), so restarts and several processes on one database
never double a level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from surveys.alert_desk import alert_details
from surveys.followup_replies import notes_of, tell_under_alert
from surveys.model import Account, Alert, AlertStatus, Staff, StaffRole
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.texts import hours_minutes, t

LEVELS = ("reminder", "managers", "unresolved")


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    ack_after: timedelta = timedelta(hours=24)
    resolve_after: timedelta = timedelta(days=7)
    priority_tiers: frozenset[str] = field(default_factory=lambda: frozenset({"gold", "platinum"}))
    priority_factor: float = 0.25  # a priority account's times, as a share of the usual

    def scale(self, account: Account) -> float:
        return self.priority_factor if account.tier.lower() in self.priority_tiers else 1.0

    def due_level(self, alert: Alert, account: Account, now: datetime) -> str | None:
        """The highest level due now that this alert has not reached yet."""
        done = {n.get("level") for n in notes_of(alert, "escalation")}
        k = self.scale(account)
        if alert.status is AlertStatus.OPEN:
            waited = now - alert.created_at
            if waited >= 2 * self.ack_after * k and "managers" not in done:
                return "managers"
            if waited >= self.ack_after * k and not done & {"reminder", "managers"}:
                return "reminder"
        if alert.status is AlertStatus.ACKNOWLEDGED and "unresolved" not in done:
            acked = acknowledged_at(alert) or alert.created_at
            if now - acked >= self.resolve_after * k:
                return "unresolved"
        return None


def acknowledged_at(alert: Alert) -> datetime | None:
    for note in alert.notes:
        if note.get("status") == AlertStatus.ACKNOWLEDGED.value and note.get("at"):
            return datetime.fromisoformat(str(note["at"]))
    return None


def escalated_levels(alert: Alert) -> list[str]:
    return [str(n.get("level")) for n in notes_of(alert, "escalation")]


class Escalations:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, policy: EscalationPolicy) -> None:
        self.uow = uow
        self.clock = clock
        self.policy = policy

    async def run_due(self) -> int:
        """Every level due now, each once; the number of levels reached."""
        now = self.clock.now()
        async with self.uow() as uow:
            accounts = {a.id: a for a in await uow.accounts.list()}
            due = [
                a.id for a in await uow.alerts.list()
                if a.status is not AlertStatus.RESOLVED and a.account_id in accounts
                and self.policy.due_level(a, accounts[a.account_id], now)
            ]  # fmt: skip
        reached = 0
        for alert_id in due:
            async with self.uow() as uow:
                # Locked and re-read: another process may have escalated it meanwhile.
                alert = await uow.alerts.lock(alert_id)
                account = await uow.accounts.get(alert.account_id) if alert else None
                level = self.policy.due_level(alert, account, now) if alert and account else None
                if alert is None or account is None or level is None:
                    continue
                await self._escalate(uow, alert, account, level, now)
                await uow.commit()
                reached += 1
        return reached

    async def _escalate(
        self, uow: UnitOfWork, alert: Alert, account: Account, level: str, now: datetime
    ) -> None:
        note = {"kind": "escalation", "level": level, "at": now.isoformat()}
        await uow.alerts.set_status(alert.id, alert.status, note, now)
        details = await alert_details(uow, alert)
        owner = await uow.staff.get(account.owner_id) if account.owner_id else None
        if level == "reminder":
            people = [owner] if owner is not None and owner.unreachable_since is None else []
        else:
            people = await _managers(uow, skip=owner)
        wait = (
            (self.policy.ack_after if level != "unresolved" else self.policy.resolve_after)
            * self.policy.scale(account)
            * (2 if level == "managers" else 1)
        )
        for person in people:
            text = t(
                f"escalation_{level}",
                person.language,
                id=alert.id,
                account=account.name,
                contact=details.contact.name,
                owner=owner.name if owner else "—",
                waited=hours_minutes(wait, person.language),
            )
            await tell_under_alert(
                uow, person, alert, text, f"escalation:{alert.id}:{level}:{person.id}", now
            )


async def _managers(uow: UnitOfWork, skip: Staff | None) -> list[Staff]:
    people = await uow.staff.list()
    managers = [
        s for s in people
        if s.role is StaffRole.MANAGER and s.unreachable_since is None
        and (skip is None or s.id != skip.id)
    ]  # fmt: skip
    if managers:
        return managers
    return [
        s for s in people
        if s.role is StaffRole.ADMIN and s.unreachable_since is None
        and (skip is None or s.id != skip.id)
    ]  # fmt: skip
