"""An alert's card as it stands, for the staff member pressing one of its buttons.

A button re-renders the whole card in the presser's current language (their `/lang`), so
a card never shows the new language's buttons under the old language's text: Acknowledge
and Resolve alike, on Telegram and Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveys.alert_desk import alert_details, taken_by
from surveys.alerts import alert_fields
from surveys.followups import visible_alert
from surveys.model import Alert, Staff
from surveys.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Card:
    alert: Alert
    fields: dict[str, Any]  # alert_fields, in the reader's language
    line: str | None  # who acknowledged or resolved it (and how), None while it is open


async def card_for(uow_factory: UnitOfWorkFactory, reader: Staff, alert_id: int) -> Card:
    """The card of alert ``alert_id`` in ``reader``'s language; StaffError when it is not
    theirs to see (read the same as an unknown alert)."""
    async with uow_factory() as uow:
        alert = await visible_alert(uow, reader, alert_id)
        details = await alert_details(uow, alert)
    fields = alert_fields(
        alert, account=details.account, contact=details.contact, round_=details.round,
        rounds=details.rounds, answer=details.answer, lang=reader.language,
    )  # fmt: skip
    return Card(alert, dict(fields), taken_by(alert, reader.language))
