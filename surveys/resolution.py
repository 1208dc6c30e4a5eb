"""Resolving an alert: a disposition (fixed, explained, not about us, won't fix) and a note.

From a button the disposition comes first and the note follows as the person's next reply
to the alert; `/resolve <alert> <disposition> <note>` does both at once. Two people resolving
one alert at once: the first wins, the second is told who did and how.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surveys.alert_desk import AlertDesk
from surveys.alerts import resolving_note
from surveys.followup_replies import notes_of
from surveys.followups import visible_alert
from surveys.model import Alert, AlertStatus, Disposition, Language, Staff
from surveys.ports import Clock, UnitOfWorkFactory
from surveys.staff import READERS, Output, StaffCommands, StaffError
from surveys.texts import t

MAX_NOTE_CHARS = 1000
# What people type for each disposition (either language), besides its value.
_WORDS: dict[str, Disposition] = {
    "fixed": Disposition.FIXED,
    "исправлено": Disposition.FIXED,
    "explained": Disposition.EXPLAINED,
    "объяснили": Disposition.EXPLAINED,
    "not_us": Disposition.NOT_US,
    "not-us": Disposition.NOT_US,
    "notus": Disposition.NOT_US,
    "не_мы": Disposition.NOT_US,
    "wont_fix": Disposition.WONT_FIX,
    "wont-fix": Disposition.WONT_FIX,
    "не_будем": Disposition.WONT_FIX,
}


def parse_disposition(word: str) -> Disposition:
    found = _WORDS.get(word.strip().lower())
    if found is None:
        raise ValueError(word)
    return found


def disposition_name(disposition: Disposition | str, lang: Language) -> str:
    return t(f"disposition.{Disposition(disposition).value}", lang)


def resolution_of(alert: Alert) -> Mapping[str, Any] | None:
    """The note that resolved the alert, if it is resolved."""
    return resolving_note(alert.notes)


def not_about_us(alert: Alert) -> bool:
    found = resolution_of(alert)
    return found is not None and found.get("disposition") == Disposition.NOT_US.value


def awaiting_note(alert: Alert, actor: Staff) -> Disposition | None:
    """The disposition this person chose with a button, while the note is still to come."""
    if alert.status is AlertStatus.RESOLVED:
        return None
    chosen = [n for n in notes_of(alert, "awaiting_note") if n.get("by_id") == actor.id]
    return Disposition(chosen[-1]["disposition"]) if chosen else None


class Resolutions:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, desk: AlertDesk) -> None:
        self.uow = uow
        self.clock = clock
        self.desk = desk

    async def choose(self, actor: Staff, alert_id: int, disposition: Disposition) -> Output:
        """A disposition button: remember the choice and ask for the note."""
        StaffCommands.require(actor, READERS, actor.language)
        lang = actor.language
        now = self.clock.now()
        async with self.uow() as uow:
            alert = await visible_alert(uow, actor, alert_id)
            if alert.status is AlertStatus.RESOLVED:
                raise StaffError(_already(alert, lang))
            note = {
                "kind": "awaiting_note", "by_id": actor.id, "disposition": disposition.value,
                "at": now.isoformat(),
            }  # fmt: skip
            await uow.alerts.set_status(alert.id, alert.status, note, now)
            await uow.commit()
        return Output(
            [t("resolve_note_please", lang, id=alert_id, how=disposition_name(disposition, lang))]
        )

    async def resolve(
        self, actor: Staff, alert_id: int, disposition: Disposition, note: str
    ) -> Output:
        StaffCommands.require(actor, READERS, actor.language)
        lang = actor.language
        note = " ".join(note.split())
        if not note:
            raise StaffError(t("resolve_note_empty", lang))
        if len(note) > MAX_NOTE_CHARS:
            raise StaffError(t("resolve_note_too_long", lang, n=MAX_NOTE_CHARS))
        now = self.clock.now()
        async with self.uow() as uow:
            alert = await visible_alert(uow, actor, alert_id)
            entry = {
                "by": actor.name, "by_id": actor.id, "status": AlertStatus.RESOLVED.value,
                "at": now.isoformat(), "disposition": disposition.value, "note": note,
            }  # fmt: skip
            done = None
            for before in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
                # Compare-and-set on the status: of two people resolving at once, one wins.
                done = await uow.alerts.set_status(
                    alert.id, AlertStatus.RESOLVED, entry, now, expect=before
                )
                if done is not None:
                    break
            if done is None:
                fresh = await uow.alerts.get(alert.id)
                raise StaffError(_already(fresh or alert, lang))
            await self.desk.update_messages(
                uow, done, "alert_resolved_line", by=actor.name,
                how=disposition, note=note,
            )  # fmt: skip
            await uow.commit()
        return Output(
            [t("resolved_done", lang, id=alert_id, how=disposition_name(disposition, lang))]
        )


def _already(alert: Alert, lang: Language) -> str:
    found = resolution_of(alert) or {}
    how = found.get("disposition")
    return t(
        "already_resolved",
        lang,
        id=alert.id,
        by=found.get("by", "?"),
        how=disposition_name(how, lang) if how else "—",
    )
