"""A first pass through the Slack transport: admin adds a contact by e-mail, a round runs."""

from __future__ import annotations

from tests.fakes.slack_api import message_event, slash_command
from tests.slack_harness import SLACK_ADMIN, SlackHarness


async def command(slack: SlackHarness, text: str, user: str = SLACK_ADMIN) -> str:
    rid = f"r{len(slack.api.responses)}"
    status, _ = await slack.post(
        slash_command("/candor", text, user, "D0ADMIN", response_url=slack.api.response_url(rid))
    )
    assert status == 200
    replies = slack.api.responses_to(rid)
    assert replies, f"no response to {text!r}"
    return str(replies[-1].get("text", ""))


async def test_contact_by_email_round_and_alert(slack: SlackHarness) -> None:
    api = slack.api
    api.add_user("UANNA", "anna@client.example", "Anna Smith")
    assert "added" in await command(slack, 'account_add "Globex Corp" gold en Europe/Moscow')
    assert "Owner" in await command(slack, f'owner "Globex Corp" <@{SLACK_ADMIN}|admin>')
    assert "Anna Smith" in await command(slack, 'invite "Globex Corp" anna@client.example')
    assert "opened" in await command(slack, 'round "Globex Corp"')
    assert any("Question 1 of 3" in t for t in slack.dm_texts("UANNA"))
    status, _ = await slack.post(
        message_event(
            "UANNA", api.dm_channel_of("UANNA"), "Terrible result &lt;!channel&gt;, not happy"
        )
    )
    assert status == 200
    alert = slack.dm(SLACK_ADMIN)[-1]
    flat = str(alert["blocks"])
    assert "&lt;!channel&gt;" in flat and "<!channel>" not in flat
