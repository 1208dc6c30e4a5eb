"""Report files and charts through the real Telegram and Slack stacks against the fake APIs:
recorded in the outbox, uploaded the platform's way, refused when too big."""

from __future__ import annotations

import io

import openpyxl
import pytest
from matplotlib.image import imread

from surveys.model import Address, Channel, Document
from surveys.ports import PermanentDeliveryError
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_slack_staff import ACCOUNT, ANNA
from tests.test_slack_staff import globex_with_anna as slack_globex
from tests.test_slack_staff import say as slack_say
from tests.test_slack_staff import write as slack_write
from tests.test_telegram_staff import ANNA as TG_ANNA
from tests.test_telegram_staff import NEGATIVE, OLGA, say, say_full
from tests.test_telegram_staff import globex_with_anna as tg_globex

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cells(data: bytes, sheet: int = 1) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]


# --- Telegram -----------------------------------------------------------------------------


async def telegram_round(tg: TelegramHarness) -> None:
    await tg_globex(tg)
    await say(tg, "/round Globex")
    await say(tg, NEGATIVE, TG_ANNA)


async def test_telegram_report_arrives_as_a_document(tg: TelegramHarness) -> None:
    await telegram_round(tg)

    replies = await say_full(tg, "/report Globex xlsx")

    [call] = tg.api.calls_to("sendDocument")
    assert call.params["chat_id"] == ADMIN_ID
    assert call.params["document"].startswith("attach://")
    assert call.params["caption"] == "Candor report: Globex · every round"
    [data] = call.files.values()
    rows = cells(data)
    anna = next(r for r in rows if r[0] == "Anna Smith")
    assert NEGATIVE in anna and "negative" in anna and "open" in anna
    # The file first (recorded first), then the short note about it, which must not read
    # as if the file were still to come ("Sending …" under the file already there).
    assert replies[0]["caption"] == "Candor report: Globex · every round"
    assert replies[1]["text"].startswith("candor-Globex-all.xlsx (")
    assert replies[1]["text"].endswith("in your direct messages with the bot.")
    async with tg.app.uow() as u:
        files = [m for m in await u.outbox.list() if m.kind == "file"]
    assert len(files) == 1 and files[0].status.value == "sent"


async def test_telegram_csv_with_semicolons_and_trend_as_a_photo(tg: TelegramHarness) -> None:
    await telegram_round(tg)

    await say_full(tg, "/report Globex 2026 csv;")
    await say_full(tg, "/trend Globex")

    [csv_call] = tg.api.calls_to("sendDocument")
    [csv_bytes] = csv_call.files.values()
    assert csv_bytes.startswith(b"\xef\xbb\xbf") and b";" in csv_bytes.split(b"\r\n")[0]
    [photo] = tg.api.calls_to("sendPhoto")
    [png] = photo.files.values()
    assert imread(io.BytesIO(png)).shape[:2] == (1125, 900)


async def test_telegram_bad_input_is_answered_and_sends_no_file(tg: TelegramHarness) -> None:
    await telegram_round(tg)
    await say(tg, f"/staff_add owner {OLGA} Olga")

    assert await say(tg, "/report Nowhere xlsx") == ["No account «Nowhere». See /accounts."]
    assert await say(tg, "/report Globex 2026-13 xlsx") == [
        "Period must look like 2026, 2026-11, 2026-Q3 or 2026-H1."
    ]
    # Olga owns nothing: Globex is as unknown to her as a missing account.
    assert await say(tg, "/report Globex xlsx", OLGA) == ["No account «Globex». See /accounts."]
    assert await say(tg, "/trend Globex", OLGA) == ["No account «Globex». See /accounts."]
    assert tg.api.calls_to("sendDocument") == tg.api.calls_to("sendPhoto") == []


async def test_telegram_file_over_the_limit_is_refused_with_a_clear_message(
    tg: TelegramHarness,
) -> None:
    await telegram_round(tg)
    tg.app.commands.reports.max_file_bytes = 2000  # CANDOR_REPORT_MAX_FILE_MB, made tiny

    [refusal] = await say(tg, "/report Globex xlsx")

    assert refusal.startswith("The file is 0.0 MB, over the 0.0019") and "candor report" in refusal
    assert tg.api.calls_to("sendDocument") == []
    # And the messenger itself never uploads more than the Bot API's 50 MB.
    too_big = Document("big.csv", "text/csv", b"x" * (50 * 1024 * 1024 + 1))
    with pytest.raises(PermanentDeliveryError, match="Telegram bots may send"):
        await tg.transport.messenger.send_file(
            Address(Channel.TELEGRAM, str(ADMIN_ID)), too_big, ""
        )
    assert tg.api.calls_to("sendDocument") == []


# --- Slack --------------------------------------------------------------------------------


async def slack_round(slack: SlackHarness) -> None:
    await slack_globex(slack)
    await slack_say(slack, f"round {ACCOUNT}")
    await slack.deliver()
    await slack_write(slack, ANNA, NEGATIVE)
    await slack.deliver()


async def test_slack_report_uses_the_external_upload_flow(slack: SlackHarness) -> None:
    await slack_round(slack)

    reply = await slack_say(slack, f"report {ACCOUNT} xlsx")
    await slack.deliver()

    assert reply.startswith("candor-Globex-Corp-all.xlsx (")
    [get_url] = slack.api.calls_to("files.getUploadURLExternal")
    [complete] = slack.api.calls_to("files.completeUploadExternal")
    assert get_url.params["filename"] == "candor-Globex-Corp-all.xlsx"
    file_id = complete.params["files"][0]["id"]
    data = slack.api.uploads[file_id]
    assert get_url.params["length"] == len(data)
    assert complete.params["channel_id"] == slack.api.dm_channel_of(SLACK_ADMIN)
    assert complete.params["initial_comment"] == f"Candor report: {ACCOUNT} · every round"
    anna = next(r for r in cells(data) if r[0] == "Anna Smith")
    assert NEGATIVE in anna
    shared = [
        m for m in slack.api.messages_in(slack.api.dm_channel_of(SLACK_ADMIN)) if m.get("files")
    ]
    assert shared[0]["files"][0]["id"] == file_id
    assert slack.api.calls_to("files.upload") == []  # retired: never used


async def test_slack_trend_chart_and_refusals(slack: SlackHarness) -> None:
    await slack_round(slack)

    await slack_say(slack, f"trend {ACCOUNT}")
    await slack.deliver()
    [complete] = slack.api.calls_to("files.completeUploadExternal")
    png = slack.api.uploads[complete.params["files"][0]["id"]]
    assert imread(io.BytesIO(png)).shape[:2] == (1125, 900)

    assert (
        await slack_say(slack, "report Nowhere csv")
        == "No account «Nowhere». See /candor accounts."
    )
    slack.app.commands.reports.max_file_bytes = 1000
    refusal = await slack_say(slack, f"report {ACCOUNT} xlsx")
    await slack.deliver()
    assert refusal.startswith("The file is 0.0 MB, over the")
    assert len(slack.api.calls_to("files.getUploadURLExternal")) == 1  # only the chart's


async def test_telegram_weekly_digest_comes_with_the_tick_once(tg: TelegramHarness) -> None:
    await tg_globex(tg)  # the clock stands at Monday 09:00 UTC, the default digest hour

    for _ in range(2):  # a second tick the same week sends nothing more
        await tg.app.tick()
        await tg.deliver()

    digests = [t for t in tg.texts(ADMIN_ID) if t.startswith("Candor weekly digest")]
    assert len(digests) == 1 and "Accounts in the portfolio: 1." in digests[0]
    assert await say(tg, "/digest off") == ["The weekly digest is off."]
    async with tg.app.uow() as u:
        admin = await u.staff.by_address(Address(Channel.TELEGRAM, str(ADMIN_ID)))
    assert admin is not None and admin.digest is False


async def test_the_digest_never_calls_a_new_account_quiet(tg: TelegramHarness) -> None:
    # An account added this week, never surveyed, was listed "Quiet for 4+ weeks" in the
    # Monday digest; so was one whose first round had just opened.
    await tg_globex(tg)
    assert (await say(tg, "/account_add Initech"))[0].startswith("Account «Initech» added")
    await say(tg, "/round Globex")  # opened now; nobody has answered yet
    await tg.app.tick()
    await tg.deliver()

    [digest] = [t for t in tg.texts(ADMIN_ID) if t.startswith("Candor weekly digest")]
    assert "Quiet" not in digest
    assert "Not surveyed yet: Initech." in digest


async def test_no_digest_about_an_empty_portfolio(tg: TelegramHarness) -> None:
    # On a fresh install the bootstrap admin's first message from Candor was a digest of
    # nothing: "Portfolio: 0 accounts … 0 answers".
    await tg.app.tick()
    await tg.deliver()
    assert not [t for t in tg.texts(ADMIN_ID) if t.startswith("Candor weekly digest")]

    await tg_globex(tg)  # the same week, once there is an account: the digest comes
    await tg.app.tick()
    await tg.deliver()
    [digest] = [t for t in tg.texts(ADMIN_ID) if t.startswith("Candor weekly digest")]
    assert "Accounts in the portfolio: 1." in digest
