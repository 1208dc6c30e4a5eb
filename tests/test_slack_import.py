"""Importing contacts from a file a staff member sends in the bot's Slack DM: the real
slack-bolt app against the fake Web API, whose bot token has only the manifest's scopes and
which serves a shared file's bytes only to that token (files:read)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bench.cluster import database as fresh_database
from bot.slack.context import unescape
from bot.slack.files import SlackFiles
from bot.slack.limiter import SlackLimiter
from surveys.census_staff import FetchFailed
from surveys.model import ContactLevel
from tests.conftest import FakeClock
from tests.fakes.slack_api import (
    FakeSlackAPI,
    block_action,
    file_share_event,
    manifest_bot_scopes,
)
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.test_slack_staff import say

MANIFEST = Path(__file__).parents[1] / "deploy" / "slack-app-manifest.yml"
STRANGER = "USTRANGER"
OLGA = "UOLGA"  # an owner: may read reports, may not import

CSV = (
    "Имя;E-mail;Slack;Уровень;Обращений\n"
    "Анна;anna@example.ru;UANNA;пользователь;2\n"
    "Борис;not-an-email;;пользователь;1\n"
).encode("cp1251")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def slack(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[SlackHarness]:
    """Candor on Slack on SQLite and on a fresh PostgreSQL database."""
    async with (
        fresh_database(request.param, tmp_path) as url,
        FakeSlackAPI(scopes=manifest_bot_scopes(MANIFEST)) as api,
    ):
        harness = await SlackHarness.start(api, url, clock)
        try:
            yield harness
        finally:
            await harness.stop()
        api.assert_no_violations()


async def share(
    slack: SlackHarness, user: str, text: str, data: bytes = CSV, name: str = "people.csv",
    **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    """``user`` sends a file with ``text`` in the bot's DM; the bot's last DM to them."""
    api = slack.api
    file = api.host_file(user, name, data, **extra)
    await slack.post(file_share_event(user, api.dm_channel_of(user), text=text, file=file))
    return slack.dm(user)[-1]


def words(message: dict[str, Any]) -> str:
    """The message's sections as the person reads them (mrkdwn unescaped)."""
    sections = [b for b in message.get("blocks", []) if b.get("type") == "section"]
    return unescape(" ".join(str(b["text"]["text"]) for b in sections))


def import_button(message: dict[str, Any]) -> dict[str, Any] | None:
    for block in message.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == "import_confirm":
                return dict(element)
    return None


def test_the_manifest_asks_for_the_scopes_the_import_needs() -> None:
    scopes = manifest_bot_scopes(MANIFEST)
    assert {"files:read", "files:write", "im:history", "chat:write"} <= scopes


async def test_preview_then_the_import_button_writes_and_a_repeat_changes_nothing(
    slack: SlackHarness,
) -> None:
    api = slack.api
    await say(slack, "account_add Globex gold en")
    preview = await share(slack, SLACK_ADMIN, "import Globex")
    text = words(preview)
    assert "nothing written yet" in text and "new 1" in text and "invalid 1" in text
    assert "row 3: invalid e-mail" in text and "press “Import” below" in text
    assert len(api.downloads) == 1
    button = import_button(preview)
    assert button is not None and json.loads(button["value"])["a"] == "Globex"
    async with slack.app.uow() as uow:  # a preview writes nothing
        account = await uow.accounts.by_name("Globex")
        assert account is not None
        assert await uow.contacts.for_account(account.id) == []

    channel = api.dm_channel_of(SLACK_ADMIN)
    press = block_action(
        SLACK_ADMIN, channel, "import_confirm", button["value"],
        message_ts=preview["ts"], message=preview,
    )  # fmt: skip
    await slack.post(press)
    assert "Imported into Globex: new 1" in words(slack.dm(SLACK_ADMIN)[-1])
    assert len(api.calls_to("files.info")) == 1 and len(api.downloads) == 2
    [update] = api.calls_to("chat.update")  # the button is gone from the preview
    assert update.params["ts"] == preview["ts"]
    assert not any(b.get("type") == "actions" for b in update.params["blocks"])
    async with slack.app.uow() as uow:
        [anna] = await uow.contacts.for_account(account.id)
    assert (anna.name, anna.level, anna.address) == ("Анна", ContactLevel.USER, "UANNA")

    # The same file again, confirmed in its message: everything unchanged.
    again = await share(slack, SLACK_ADMIN, "/candor import Globex confirm")
    assert "new 0, updated 0, unchanged 1" in words(again) and import_button(again) is None


async def test_refusals_come_before_any_download(slack: SlackHarness) -> None:
    api = slack.api
    await say(slack, "account_add Globex gold en")
    await say(slack, f"staff_add owner <@{OLGA}> Olga")

    too_big = await share(slack, SLACK_ADMIN, "import Globex", size=20_000_000)
    assert "The file is 20.0 MB; imports take up to 16 MB" in words(too_big)
    assert "no account" in words(await share(slack, SLACK_ADMIN, "import Nowhere")).lower()
    assert "/candor import <account> [confirm]" in words(await share(slack, SLACK_ADMIN, "import"))
    assert "cannot do this" in words(await share(slack, OLGA, "import Globex"))
    assert api.downloads == []

    not_a_table = await share(
        slack, SLACK_ADMIN, "import Globex", b"\x89PNG\r\n\x1a\n" + bytes(300), "logo.png",
        mimetype="image/png",
    )  # fmt: skip
    assert "not a table" in words(not_a_table) and import_button(not_a_table) is None


async def test_a_file_from_someone_not_staff_gets_the_usual_answer_and_is_not_fetched(
    slack: SlackHarness,
) -> None:
    api = slack.api
    await say(slack, "account_add Globex gold en")
    plain = await share(slack, STRANGER, "")
    with_words = await share(slack, STRANGER, "import Globex")
    assert words(with_words) == words(plain) and "don't know you" in words(plain)
    assert api.downloads == [] and api.calls_to("files.info") == []


async def test_the_bot_token_goes_only_to_slacks_file_host(tmp_path: Path) -> None:
    async with FakeSlackAPI() as api:
        client = AsyncWebClient(token=api.bot_token, base_url=api.api_url)
        files = SlackFiles(client, SlackLimiter())
        file = api.host_file(SLACK_ADMIN, "people.csv", CSV)
        await files.download(file["url_private_download"], tmp_path / "ok.csv", 1_000_000)
        assert (tmp_path / "ok.csv").read_bytes() == CSV
        for url in ("https://evil.example/files-pri/x", "http://files.slack.com/x", "/relative"):
            with pytest.raises(FetchFailed):
                await files.download(url, tmp_path / "no.csv", 1_000_000)
        assert api.downloads == [file["id"]]
