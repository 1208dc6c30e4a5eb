"""`candor run` as an operator starts it: a real process talking to the fake Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegramAPI

ROOT = Path(__file__).resolve().parents[1]


async def test_candor_run_polls_telegram_answers_staff_and_stops_on_sigterm(
    api: FakeTelegramAPI, tmp_path: Path
) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "TELEGRAM_", "SLACK_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_URL=api.base_url,
        CANDOR_ADMIN_TELEGRAM_IDS="4242",
        CANDOR_DELIVERY_POLL_SECONDS="0.2",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await api.wait_until_polling(seconds=30)
        # The bootstrap admin exists and gets an answer, delivered through the outbox.
        api.push_update(api.text_message(4242, "/account_add Initech", user_id=4242))
        async with asyncio.timeout(30):
            while not any("Initech" in str(m.get("text")) for m in api.sent_to(4242)):
                await api.wait_for_call("sendMessage", count=len(api.calls_to("sendMessage")) + 1)
        scopes = [c.params.get("scope", {}).get("type") for c in api.calls_to("setMyCommands")]
        assert "all_private_chats" in scopes and "chat" in scopes
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert api.token not in stderr.decode()  # the token never reaches the log
    assert (tmp_path / "candor.db").exists()


async def test_candor_run_with_a_revoked_token_says_so(
    api: FakeTelegramAPI, tmp_path: Path
) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "TELEGRAM_", "SLACK_"))
    }
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN="999:WRONG", TELEGRAM_API_URL=api.base_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "refused TELEGRAM_BOT_TOKEN" in stderr.decode()
    assert "WRONG" not in stderr.decode()
    api.violations.clear()  # the fake counts a wrong token as a violation; here it is the point
