"""`candor run --console`: the full process loop with the terminal as the only platform."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import TextIO

from bot.app import App
from bot.console.demo import parse_line, switch_language
from bot.console.messenger import ConsoleMessenger
from bot.settings import Settings
from surveys.conversation import ContactEvent
from surveys.model import Address, Channel


def _read_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines from ``stdin`` as a queue; None marks the end.

    A daemon thread does the blocking reads, so Ctrl-C or SIGTERM can end the process
    without waiting for one more line from the terminal.
    """
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue


async def run_console(settings: Settings, stdin: TextIO, stdout: TextIO, as_address: str) -> int:
    app = await App.create(settings, {Channel.CONSOLE: ConsoleMessenger(stdout)})
    loop = asyncio.get_running_loop()
    lines = _read_lines(stdin, loop)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: lines.put_nowait(None))
    runner = asyncio.create_task(app.run())
    me = Address(Channel.CONSOLE, as_address)
    sequence = 0
    last_text_id: str | None = None
    try:
        while (line := await lines.get()) is not None:
            sequence += 1
            parsed = parse_line(line)
            if isinstance(parsed, tuple) and parsed[0] == "lang":
                await switch_language(app, me, parsed[1], stdout)
            elif isinstance(parsed, tuple):
                if last_text_id is not None:
                    await app.service.handle_edit(me, last_text_id, parsed[1])
            else:
                message_id = f"console-{app.clock.now().timestamp()}-{sequence}"
                await app.service.handle_event(
                    me, ContactEvent(parsed.kind, parsed.text, message_id, parsed.media)
                )
                if parsed.text.strip():
                    last_text_id = message_id
            app.delivery.wake.set()
        # Deliver what the last line produced before leaving.
        await app.delivery.run_once()
    finally:
        app.stop()
        await runner
        await app.close()
    return 0
