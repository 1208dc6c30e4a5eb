"""What a Slack button or slash command changes is stored before Slack hears back.

Events go through the inbox; buttons and commands go to bolt, which (with
``process_before_response``) runs the listener to the end — its transaction committed —
before it answers the HTTP request. Each test slows the use case down (so an early answer
would arrive before the change), posts straight to the endpoint and reads the database the
moment the answer arrives, with no inbox pass or delivery in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from surveys.model import Language
from tests.fakes.slack_api import block_action, sign_request, slash_command
from tests.slack_harness import SIGNING_SECRET, SlackHarness
from tests.test_slack_clients import (
    ANNA,
    button_value,
    contact_at,
    conversation_of,
    join,
    open_round,
    questions,
)


def _slowed(work: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.3)
        return await work(*args, **kwargs)

    return slow


async def _post_only(slack: SlackHarness, payload: tuple[bytes, str]) -> int:
    body, content_type = payload
    response = await slack.http.post(
        slack.settings.slack_path,
        data=body,
        headers={"Content-Type": content_type, **sign_request(body, SIGNING_SECRET)},
    )
    await response.read()
    return response.status


async def test_a_skip_button_is_stored_when_slack_gets_its_ack(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    service = slack.app.service
    monkeypatch.setattr(service, "handle_event", _slowed(service.handle_event))
    [q1] = questions(slack, ANNA)
    button = block_action(
        ANNA, slack.api.dm_channel_of(ANNA), "survey_skip", button_value(q1, "survey_skip"),
        message_ts=str(q1["ts"]), message=q1, response_url=slack.api.response_url("r1"),
    )  # fmt: skip

    assert await _post_only(slack, button) == 200

    conv = await conversation_of(slack, ANNA)
    assert conv is not None and conv.current_question == "speed"


async def test_a_slash_command_is_stored_when_slack_gets_its_ack(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await join(slack, ANNA, "Anna Smith")
    onboarding = slack.app.onboarding
    monkeypatch.setattr(onboarding, "set_language", _slowed(onboarding.set_language))
    command = slash_command(
        "/candor", "lang ru", ANNA, slack.api.dm_channel_of(ANNA),
        response_url=slack.api.response_url("r2"),
    )  # fmt: skip

    assert await _post_only(slack, command) == 200

    contact = await contact_at(slack, ANNA)
    assert contact is not None and contact.language is Language.RU
