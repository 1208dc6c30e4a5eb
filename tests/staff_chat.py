"""Staff commands typed on Telegram or Slack through the real stacks, one helper for both:
the `chat` fixture runs a test once per platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.slack.context import unescape
from bot.slack.listeners.commands import PLATFORM as SLACK
from bot.telegram.routers.staff import PLATFORM as TELEGRAM
from surveys.commands import Platform
from tests.fakes.slack_api import slash_command
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.telegram_harness import ADMIN_ID, TelegramHarness

__all__ = ["SLACK", "TELEGRAM", "Chat", "chat", "owner_id"]


@dataclass
class Chat:
    """Staff commands typed on one platform, whatever its syntax."""

    platform: Platform
    harness: Any
    admin: str
    stranger: str
    owner: str  # how the owner is named in `staff_add`
    n: int = 0

    async def ask(self, words: str, user: str | None = None) -> str:
        """`words` is the command without its prefix; the text of the whole reply."""
        user = user or self.admin
        if isinstance(self.harness, TelegramHarness):
            tg, chat = self.harness, int(user)
            before = len(tg.api.sent_to(chat))
            await tg.process(tg.api.text_message(chat, f"/{words}", user_id=chat))
            return "\n".join(str(m["text"]) for m in tg.api.sent_to(chat)[before:])
        slack: SlackHarness = self.harness
        self.n += 1
        rid = f"t{self.n}"
        channel = slack.api.dm_channel_of(user)
        url = slack.api.response_url(rid)
        status, _ = await slack.post(
            slash_command("/candor", words, user, channel, response_url=url)
        )
        assert status == 200
        [reply] = slack.api.responses_to(rid)
        if not reply.get("blocks"):
            return unescape(str(reply["text"]))
        return unescape("\n".join(b["text"]["text"] for b in reply["blocks"]))


@pytest.fixture(params=["telegram", "slack"])
def chat(request: pytest.FixtureRequest) -> Chat:
    if request.param == "telegram":
        tg = request.getfixturevalue("tg")
        return Chat(TELEGRAM, tg, str(ADMIN_ID), "6666", "7003")
    slack = request.getfixturevalue("slack")
    return Chat(SLACK, slack, SLACK_ADMIN, "USTRANGER", "<@UOLGA|olga>")


def owner_id(chat: Chat) -> str:
    return "7003" if chat.platform is TELEGRAM else "UOLGA"
