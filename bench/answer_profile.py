"""Where one process's answer handling spends its time: SQL statements per answer and a
cProfile of ``SurveyService.handle_event`` for answers to question 1, in-process on a
fresh PostgreSQL database (no aiogram, no inbox; the ``baseline`` analyser).

    PYTHONPATH=. .venv/bin/python -m bench.answer_profile --answers 300
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.cluster import database, seed
from bot.app import App
from bot.settings import load_settings
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Address, Channel


async def profile(answers: int, top: int) -> None:
    async with database("postgresql", Path(tempfile.mkdtemp())) as url:
        chats = await seed(url, answers, invitations_sent=True)
        app = await App.create(load_settings(database_url=url, sentiment_engine="baseline"), {})
        statements: collections.Counter[str] = collections.Counter()

        @event.listens_for(app.engine.sync_engine, "before_cursor_execute")
        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements[" ".join(statement.split()[:3])] += 1

        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for i, chat in enumerate(chats):
            await app.service.handle_event(
                Address(Channel.TELEGRAM, str(chat)),
                ContactEvent(EventKind.TEXT, "The result was fine, thanks", str(10 + i)),
            )
        profiler.disable()
        seconds = time.perf_counter() - started
        await app.close()
    print(f"{answers / seconds:.1f} answers/s (under the profiler), "
          f"{sum(statements.values()) / answers:.1f} SQL statements per answer")  # fmt: skip
    for statement, n in statements.most_common():
        print(f"{n / answers:5.2f}  {statement}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(profile(args.answers, args.top))


if __name__ == "__main__":
    main()
