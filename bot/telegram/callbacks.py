"""Inline-button payloads, within Telegram's 64-byte callback_data limit.

Survey buttons carry the conversation id; the service acts on the presser's *current*
conversation only, so a forged id changes nothing. Alert buttons carry an HMAC over the
action and alert id keyed by the bot token, and the presser's role is checked on use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from aiogram.filters.callback_data import CallbackData


class SurveyAction(CallbackData, prefix="s"):
    action: str  # skip | later | decline
    conversation: int
    question: str  # the question the button was shown with


class AlertAction(CallbackData, prefix="a"):
    action: str  # ack | resolve
    alert: int
    sig: str


class CensusControl(CallbackData, prefix="cen"):
    """Pause / resume / cancel under a census progress message; the presser's role is
    checked on use, and the command is one they could type anyway."""

    action: str  # pause | resume | cancel
    account: int


class CensusRunControl(CallbackData, prefix="cenr"):
    """The same, naming the census run the message shows (CensusControl, kept for buttons
    already sent, acts on the account's latest census)."""

    action: str  # pause | resume | cancel
    run: int


class ImportConfirm(CallbackData, prefix="imp"):
    """Import under a contact-file preview: the file's message in the presser's own chat
    (the account and the file id are in the preview, in the outbox)."""

    message: int


class Signer:
    def __init__(self, secret: str) -> None:
        # Derived, so no extra setting: whoever knows the bot token controls the bot anyway.
        self._key = hashlib.sha256(b"candor-callback:" + secret.encode()).digest()

    def sign(self, action: str, alert_id: int) -> str:
        mac = hmac.new(self._key, f"{action}:{alert_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:9]).decode()  # 12 characters

    def verify(self, action: str, alert_id: int, sig: str) -> bool:
        return hmac.compare_digest(self.sign(action, alert_id), sig)

    def alert_button(self, action: str, alert_id: int) -> str:
        return AlertAction(action=action, alert=alert_id, sig=self.sign(action, alert_id)).pack()
