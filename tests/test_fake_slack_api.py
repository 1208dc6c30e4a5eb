"""The fake Slack Web API, driven by the real slack_sdk AsyncWebClient (nothing mocked)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import (
    FakeSlackAPI,
    app_home_opened_event,
    block_action,
    event_callback,
    file_share_event,
    message_changed_event,
    message_event,
    sign_request,
    slash_command,
    url_verification,
    validate_event_payload,
    web_spec_path,
)

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "How did we do this month?"}}
BUTTON = {
    "type": "button",
    "action_id": "rate",
    "text": {"type": "plain_text", "text": "Rate us"},
    "value": "open-survey",
}
ACTIONS = {"type": "actions", "block_id": "survey", "elements": [BUTTON]}


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def client(api: FakeSlackAPI) -> AsyncWebClient:
    # No retry handlers: a 429 must surface instead of being retried behind the test's back.
    return AsyncWebClient(token=api.bot_token, base_url=api.api_url, retry_handlers=[])


async def test_auth_test(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert response["user_id"] == "UBOT"
    assert response["team_id"] == "T0TEST"
    assert response["bot_id"] and response["is_enterprise_install"] is False
    api.assert_no_violations()


async def test_post_message_with_blocks_is_recorded(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel="C1", text="Survey", blocks=[SECTION, ACTIONS])
    second = await client.chat_postMessage(channel="C1", text="Thanks")
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == [SECTION, ACTIONS]
    call = api.calls_to("chat.postMessage")[0]
    assert call.params == {"channel": "C1", "text": "Survey", "blocks": [SECTION, ACTIONS]}
    assert call.response["ts"] == first["ts"]
    assert [m["text"] for m in api.messages_in("C1")] == ["Survey", "Thanks"]

    await client.chat_update(channel="C1", ts=first["ts"], text="Survey closed")
    edited = api.messages_in("C1")[0]
    assert edited["text"] == "Survey closed"
    assert edited["blocks"] == []  # new text without blocks drops the old blocks, as documented
    api.assert_no_violations()
    assert api.warnings == []


async def test_form_encoded_json_strings_and_booleans_are_decoded(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    form = {"channel": "C1", "text": "hi", "blocks": json.dumps([SECTION]), "unfurl_links": "1"}
    await client.api_call("chat.postMessage", data=form)
    assert api.calls_to("chat.postMessage")[0].params["blocks"] == [SECTION]
    assert api.calls_to("chat.postMessage")[0].params["unfurl_links"] is True
    api.assert_no_violations()


def _blocks_call(blocks: list[dict[str, Any]]) -> Callable[[AsyncWebClient], Awaitable[Any]]:
    return lambda c: c.chat_postMessage(channel="C1", text="fallback", blocks=blocks)


def _button(label: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [{**BUTTON, "text": {"type": "plain_text", "text": label}}],
    }


INVALID_CALLS: dict[str, tuple[Callable[[AsyncWebClient], Awaitable[Any]], str]] = {
    "unknown method": (lambda c: c.api_call("nope.nope"), "unknown_method"),
    "missing channel": (
        lambda c: c.api_call("chat.postMessage", json={"text": "hi"}),
        "invalid_arguments",
    ),
    "unknown argument": (
        lambda c: c.chat_postMessage(channel="C1", text="hi", colour="red"),
        "invalid_arguments",
    ),
    "type mismatch": (
        lambda c: c.api_call(
            "users.info", http_verb="GET", params={"user": "U1", "include_locale": "yes"}
        ),
        "invalid_arguments",
    ),
    "51 blocks": (_blocks_call([SECTION] * 51), "invalid_blocks"),
    "3001-char section": (
        _blocks_call([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]),
        "invalid_blocks",
    ),
    "76-char button label": (_blocks_call([_button("b" * 76)]), "invalid_blocks"),
    "empty text object": (
        _blocks_call([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]),
        "invalid_blocks",
    ),
    "unknown block type": (_blocks_call([{"type": "carousel"}]), "invalid_blocks"),
    "40,001-char text": (
        lambda c: c.chat_postMessage(channel="C1", text="t" * 40_001),
        "msg_too_long",
    ),
    "no content": (lambda c: c.api_call("chat.postMessage", json={"channel": "C1"}), "no_text"),
    "update by user ID": (
        lambda c: c.chat_update(channel="U1", ts="1700000000.000100", text="x"),
        "channel_not_found",
    ),
    "modal as home view": (
        lambda c: c.views_publish(user_id="U1", view={"type": "modal", "blocks": [SECTION]}),
        "invalid_arguments",
    ),
}


@pytest.mark.parametrize("case", list(INVALID_CALLS))
async def test_invalid_requests_are_violations_and_sdk_errors(
    api: FakeSlackAPI, client: AsyncWebClient, case: str
) -> None:
    make_call, error = INVALID_CALLS[case]
    with pytest.raises(SlackApiError) as raised:
        await make_call(client)
    assert raised.value.response.status_code == 200  # Slack reports these in the body
    assert raised.value.response["error"] == error
    assert api.violations, case
    with pytest.raises(AssertionError, match="violation"):
        api.assert_no_violations()


async def test_wrong_token_is_invalid_auth(api: FakeSlackAPI) -> None:
    stranger = AsyncWebClient(token="xoxb-wrong", base_url=api.api_url, retry_handlers=[])
    with pytest.raises(SlackApiError) as raised:
        await stranger.auth_test()
    assert raised.value.response["error"] == "invalid_auth"
    assert api.violations == ["auth.test: the token is not the bot token"]


async def test_blocks_without_text_warn_but_pass(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    with pytest.warns(UserWarning, match="text"):  # the SDK nags too
        await client.chat_postMessage(channel="C1", blocks=[SECTION])
    api.assert_no_violations()
    assert api.warnings == ["chat.postMessage: blocks without a top-level text fallback"]


async def test_injected_429_carries_retry_after(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    api.fail_next("chat.postMessage", status=429, retry_after=3)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="hi")
    response = raised.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert response["error"] == "ratelimited"
    await client.chat_postMessage(channel="C1", text="hi")  # only the next call fails
    assert len(api.messages_in("C1")) == 1
    api.assert_no_violations()


async def test_injected_errors(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    api.fail_next("chat.postMessage", error="account_inactive")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "account_inactive"

    api.fail_next("chat.postMessage", error="not_in_channel", channel="C2", times=2)
    await client.chat_postMessage(channel="C1", text="elsewhere")  # another channel: no failure
    for _ in range(2):
        with pytest.raises(SlackApiError, match="not_in_channel"):
            await client.chat_postMessage(channel="C2", text="hi")
    await client.chat_postMessage(channel="C2", text="hi")

    api.fail_next("auth.test", status=500)
    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()
    assert raised.value.response.status_code == 500
    api.assert_no_violations()


async def test_users_lookup_and_info(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    api.add_user("U1", "anna@client.example", "Anna", tz="Europe/Berlin", locale="de-DE")
    api.add_user("U2", "gone@client.example", "Gone", deleted=True)
    found = await client.users_lookupByEmail(email="Anna@Client.example")
    assert found["user"]["id"] == "U1"
    assert found["user"]["profile"]["email"] == "anna@client.example"
    assert found["user"]["tz"] == "Europe/Berlin"
    for email in ("nobody@client.example", "gone@client.example"):  # deactivated: not found
        with pytest.raises(SlackApiError) as raised:
            await client.users_lookupByEmail(email=email)
        assert raised.value.response["error"] == "users_not_found"

    info = await client.users_info(user="U2", include_locale=True)
    assert info["user"]["deleted"] is True and info["user"]["locale"] == "en-US"
    with pytest.raises(SlackApiError) as raised:
        await client.users_info(user="U404")
    assert raised.value.response["error"] == "user_not_found"
    api.assert_no_violations()


async def test_conversations_open_gives_the_dm(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U1")
    assert opened["channel"]["id"] == api.dm_channel_of("U1") == "DU1"
    posted = await client.chat_postMessage(channel="U1", text="hello")  # a user ID means the DM
    assert posted["channel"] == "DU1"
    assert [m["text"] for m in api.messages_in("DU1")] == ["hello"]

    api.add_user("UB", "bot@example", "Some bot", is_bot=True)
    with pytest.raises(SlackApiError, match="cannot_dm_bot"):
        await client.conversations_open(users="UB")
    api.assert_no_violations()


async def test_views_publish_home(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    response = await client.views_publish(
        user_id="U1", view={"type": "home", "blocks": [SECTION, ACTIONS]}
    )
    assert response["view"]["type"] == "home"
    assert response["view"]["blocks"] == [SECTION, ACTIONS]
    assert response["view"]["id"].startswith("V")
    assert api.home_view_of("U1") == response["view"]
    api.assert_no_violations()


async def test_files_upload_v2_uses_the_listed_later_methods(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    await client.files_upload_v2(channel="C1", content="a,b\n1,2\n", filename="report.csv")
    assert [c.method for c in api.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert list(api.uploads.values()) == [b"a,b\n1,2\n"]
    assert api.messages_in("C1")[0]["files"][0]["id"] in api.uploads
    api.assert_no_violations()


def test_sign_request_matches_the_sdk_verifier() -> None:
    body, _ = message_event("U1", "DU1", "hello")
    headers = sign_request(body, "s3cret")
    verifier = SignatureVerifier("s3cret")
    assert verifier.is_valid_request(body, headers)
    tampered = body.replace(b"hello", b"hellp")
    assert not verifier.is_valid_request(tampered, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = sign_request(body, "s3cret", timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_event_builders_match_the_wrapper_schema() -> None:
    events = [
        message_event("U1", "DU1", "hi", ts="1700000000.000100"),
        message_changed_event("U1", "DU1", "hi!", "1700000000.000100", previous_text="hi"),
        file_share_event("U1", "DU1"),
        app_home_opened_event("U1"),
        event_callback({"type": "reaction_added", "event_ts": "1700000000.000200"}),
    ]
    for body, content_type in events:
        assert content_type == "application/json"
        payload = json.loads(body)
        validate_event_payload(payload)
        assert payload["type"] == "event_callback"
        assert payload["event_id"].startswith("Ev")
        assert payload["authorizations"][0]["user_id"] == "UBOT"
    assert json.loads(events[0][0])["event"]["channel_type"] == "im"
    assert json.loads(events[1][0])["event"]["message"]["text"] == "hi!"
    assert json.loads(events[3][0])["event"]["channel"] == "DU1"

    broken = json.loads(events[0][0])
    del broken["authed_users"]
    broken["event_time"] = "soon"
    with pytest.raises(ValueError, match=r"authed_users: required.*event_time: expected integer"):
        validate_event_payload(broken)


def test_command_action_and_handshake_payloads() -> None:
    body, content_type = slash_command(
        "/feedback", "start", "U1", "DU1", team_id="T0TEST", response_url="http://x/response/1"
    )
    assert content_type == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert form["command"] == "/feedback" and form["response_url"] == "http://x/response/1"
    assert form["trigger_id"]

    body, content_type = block_action(
        "U1", "DU1", "rate", "5", message_ts="1700000000.000100", response_url="http://x/r/2"
    )
    assert content_type == "application/x-www-form-urlencoded"
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["action_id"] == "rate" and payload["actions"][0]["value"] == "5"
    assert payload["container"]["message_ts"] == "1700000000.000100"

    body, content_type = url_verification("abc123")
    assert json.loads(body) == {
        "token": "verification-token",
        "challenge": "abc123",
        "type": "url_verification",
    }


async def test_response_url_sink(api: FakeSlackAPI) -> None:
    webhook = AsyncWebhookClient(api.response_url("cmd-1"))
    sent = await webhook.send_dict({"text": "Thanks!", "response_type": "ephemeral"})
    assert sent.status_code == 200 and sent.body == "ok"
    assert api.responses == [{"text": "Thanks!", "response_type": "ephemeral"}]
    assert api.responses_to("cmd-1") == api.responses
    api.assert_no_violations()

    rejected = await webhook.send_dict({"response_type": "ephemeral"})  # no text, no blocks
    assert rejected.status_code == 400
    assert api.violations == ["response_url cmd-1: needs text, blocks or attachments"]


def test_specs_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    default = web_spec_path()
    assert default.is_file()
    monkeypatch.setenv("CANDOR_SPECS_DIR", str(tmp_path))
    assert web_spec_path() == tmp_path / "slack" / "web_openapi_v2.json"


async def test_bolt_app_round_trip(api: FakeSlackAPI) -> None:
    client = AsyncWebClient(token=api.bot_token, base_url=api.api_url, retry_handlers=[])
    app = AsyncApp(client=client, signing_secret="s3cret")

    @app.message("hello")
    async def greet(message: dict[str, Any], say: AsyncSay) -> None:
        await say(f"Hi <@{message['user']}>")

    @app.command("/feedback")
    async def feedback(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond("Survey started")

    @app.action("rate")
    async def rate(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await respond(f"Rated {body['actions'][0]['value']}")

    async def deliver(payload: tuple[bytes, str]) -> int:
        body, content_type = payload
        headers = {**sign_request(body, "s3cret"), "Content-Type": content_type}
        request = AsyncBoltRequest(body=body.decode(), headers=headers)
        return (await app.async_dispatch(request)).status

    assert await deliver(message_event("U1", "DU1", "hello")) == 200
    posted = await api.wait_for_call("chat.postMessage")
    assert posted.params["channel"] == "DU1" and posted.params["text"] == "Hi <@U1>"

    command = slash_command("/feedback", "", "U1", "DU1", response_url=api.response_url("c1"))
    assert await deliver(command) == 200
    assert (await api.wait_for_response())["text"] == "Survey started"

    click = block_action(
        "U1",
        "DU1",
        "rate",
        "5",
        message_ts=posted.response["ts"],
        response_url=api.response_url("a1"),
    )
    assert await deliver(click) == 200
    assert (await api.wait_for_response(count=2))["text"] == "Rated 5"
    assert api.responses_to("a1") == [api.responses[1]]
    api.assert_no_violations()
