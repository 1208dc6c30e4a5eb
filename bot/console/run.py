"""`candor run --console`: the full process loop with the terminal as the only platform."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TextIO

from bot.app import App
from bot.console.demo import parse_line
from bot.console.messenger import ConsoleMessenger
from bot.settings import Settings
from surveys.conversation import ContactEvent
from surveys.model import Address, Channel


async def run_console(settings: Settings, stdin: TextIO, stdout: TextIO, as_address: str) -> int:
    app = await App.create(settings, {Channel.CONSOLE: ConsoleMessenger(stdout)})
    runner = asyncio.create_task(app.run())
    me = Address(Channel.CONSOLE, as_address)
    sequence = 0
    last_text_id: str | None = None
    try:
        while True:
            # Reading a terminal blocks, so it runs in a thread while the loop keeps working.
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            sequence += 1
            parsed = parse_line(line)
            message_id = f"console-{app.clock.now().timestamp()}-{sequence}"
            if isinstance(parsed, tuple):
                if last_text_id is not None:
                    await app.service.handle_edit(me, last_text_id, parsed[1])
            else:
                await app.service.handle_event(
                    me, ContactEvent(parsed.kind, parsed.text, message_id, parsed.media)
                )
                last_text_id = message_id if parsed.text.strip() else last_text_id
            app.delivery.wake.set()
        # Let delivery flush what the last line produced before leaving.
        await app.delivery.run_once()
    finally:
        app.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        await app.close()
    return 0
