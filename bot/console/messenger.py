"""Messenger that prints messages to a text stream instead of a chat platform."""

from __future__ import annotations

import itertools
from typing import TextIO

from surveys.model import Address, Channel, Document, Language, OutgoingMessage
from surveys.texts import t


class ConsoleMessenger:
    channel = Channel.CONSOLE

    def __init__(self, out: TextIO, names: dict[str, str] | None = None) -> None:
        self.out = out
        # address -> how to introduce the recipient ("owner" -> "Olga, account owner")
        self.names = names or {}
        self._ids = itertools.count(1)
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> str | None:
        address = message.recipient.address
        lang = Language(message.payload.get("lang", "en"))
        who = self.names.get(address, address)
        lines = [f"── → {who} ──", *str(message.payload.get("text", "")).splitlines()]
        buttons = message.payload.get("buttons") or []
        if buttons:
            lines.append("   ".join(f"[/{b} {t(f'button.{b}', lang)}]" for b in buttons))
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()
        self.sent.append(message)
        return f"console-{next(self._ids)}"

    async def send_file(self, recipient: Address, document: Document, caption: str) -> str | None:
        who = self.names.get(recipient.address, recipient.address)
        size = f"{len(document.data) / 1024:.0f} KB"
        self.out.write(f"── → {who} ──\n{caption}\n[{document.filename}, {size}]\n\n")
        self.out.flush()
        return f"console-{next(self._ids)}"
