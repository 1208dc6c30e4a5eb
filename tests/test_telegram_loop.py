"""Closing the loop on Telegram, through the real aiogram stack and the fake Bot API:
negative answer → alert → follow-up → the client's reply back → resolution → timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from surveys.model import AlertStatus, Language
from surveys.texts import t
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_telegram_staff import (
    ANNA,
    MAX,
    NEGATIVE,
    OLGA,
    alerts,
    buttons,
    globex_with_anna,
    press,
    say,
)

QUESTION = "Which part of the result worries you most?"
REPLY = "The login page, it breaks every week"


async def negative_alert(tg: TelegramHarness) -> dict[str, Any]:
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    await globex_with_anna(tg, owner=OLGA)
    await say(tg, "/round Globex")
    await say(tg, NEGATIVE, ANNA)
    [alert] = tg.api.sent_to(OLGA)
    assert [b["text"] for b in buttons(alert)] == ["Acknowledge", "Ask the client", "Resolve"]
    return alert


async def reply_to(
    tg: TelegramHarness, user: int, message: dict[str, Any], text: str
) -> list[dict[str, Any]]:
    """``user`` answers ``message`` with Telegram's reply; what the bot then sent them."""
    before = len(tg.api.sent_to(user))
    update = tg.api.text_message(user, text, user_id=user)
    update["message"]["reply_to_message"] = {
        k: v for k, v in message.items() if k in ("message_id", "chat", "date", "text", "from")
    }
    await tg.process(update)
    return tg.api.sent_to(user)[before:]


def button(message: dict[str, Any], text: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if b["text"] == text)


async def test_full_loop_follow_up_reply_resolution_and_timeline(tg: TelegramHarness) -> None:
    alert = await negative_alert(tg)

    # Ask the client: a prompt under the alert opens the reply field.
    await press(tg, OLGA, alert, button(alert, "Ask the client"), OLGA)
    prompt = tg.api.sent_to(OLGA)[-1]
    assert prompt["text"].startswith("Alert #1: reply to this message with your question")
    assert prompt["reply_markup"] == {"force_reply": True}
    assert prompt["reply_to_message"]["message_id"] == alert["message_id"]

    anna_before = len(tg.api.sent_to(ANNA))
    [sent] = await reply_to(tg, OLGA, prompt, QUESTION)
    assert sent["text"].startswith("Your question is on its way to Anna Smith (alert #1)")
    [asked] = tg.api.sent_to(ANNA)[anna_before:]
    # In the name of client service, never from Olga's account and never naming her.
    assert asked["text"].startswith("The client service team of Acme IT has a question")
    assert QUESTION in asked["text"] and "Olga" not in asked["text"]
    [stored] = await alerts(tg)
    assert stored.status is AlertStatus.ACKNOWLEDGED  # asking the client is acting on it

    # Anna is in the middle of the survey (question 2 is waiting), yet the follow-up was
    # asked last: her next message is the reply, and it goes back to Olga under the alert.
    thanks = await say(tg, REPLY, ANNA)
    assert thanks == [
        "Thank you, your reply is passed to client service. "
        "The survey question above still waits for your answer."
    ]
    back = tg.api.sent_to(OLGA)[-1]
    assert back["text"] == f"Reply from Anna Smith to your question (alert #1):\n{REPLY}"
    assert back["reply_to_message"]["message_id"] == alert["message_id"]
    # The message after that answers the survey question, not the follow-up.
    await say(tg, "Speed is fine", ANNA)
    async with tg.app.uow() as u:
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        answers = await u.answers.for_conversations([conv.id])
    assert [(a.question_key, a.text) for a in answers] == [
        ("outcome", NEGATIVE),
        ("speed", "Speed is fine"),
    ]

    # Resolve: how did it end, then the note as a reply.
    edited = tg.api.sent_to(OLGA)[0]
    await press(tg, OLGA, edited, button(edited, "Resolve"), OLGA)
    choices = tg.api.sent_to(OLGA)[0]
    assert [b["text"] for b in buttons(choices)] == [
        "fixed", "explained to the client", "not about us", "won't fix",
    ]  # fmt: skip
    await press(tg, OLGA, choices, button(choices, "not about us"), OLGA)
    ask_note = tg.api.sent_to(OLGA)[-1]
    assert ask_note["text"] == (
        "Alert #1, not about us: reply to the alert with a short note to resolve it."
    )
    [done] = await reply_to(tg, OLGA, ask_note, "Another contractor built that login page")
    assert done["text"] == "Alert #1 resolved: not about us."
    [stored] = await alerts(tg)
    assert stored.status is AlertStatus.RESOLVED
    final = tg.api.sent_to(OLGA)[0]
    assert final["text"].endswith(
        "Resolved by Olga Owner: not about us — Another contractor built that login page"
    )
    assert "reply_markup" not in final

    # /alert 1: the whole timeline.
    [shown] = await say(tg, "/alert 1", OLGA)
    timeline = shown["text"] if isinstance(shown, dict) else shown
    assert "Timeline (UTC):" in timeline
    # Health: "not about us" keeps the answer but leaves it out of the negative share.
    [health] = await say(tg, "/health Globex", OLGA)
    assert health.split("\n") == [
        "«Globex» (gold)",
        "November 2026: responded 1/1 (100%), 1 of them partly",  # one question of three
        "Negative share: outcome — · speed 0% · politeness —",
        "Alerts: open 0 · escalated 0 · relapses 0 · silence 0 · not about us 1",
    ]
    for line in (
        "2026-11-02 09:00 · alert raised",
        f"Olga Owner asked the client: «{QUESTION}»",
        f"the client replied: «{REPLY}»",
        "resolved by Olga Owner: not about us — Another contractor built that login page",
    ):
        assert line in timeline, timeline


async def test_follow_up_refusals(tg: TelegramHarness) -> None:
    await negative_alert(tg)
    # Empty, too long, unknown alert, someone else's alert: refused, nothing sent to Anna.
    anna_before = len(tg.api.sent_to(ANNA))
    assert await say(tg, "/followup 1", OLGA) == [
        "The question is empty: write what you want to ask the client."
    ]
    assert await say(tg, '/followup 1 "   "', OLGA) == [
        "The question is empty: write what you want to ask the client."
    ]
    assert await say(tg, f"/followup 1 {'x' * 10_000}", OLGA) == [
        "The question is too long (10000 characters; at most 1000). Please shorten it."
    ]
    assert await say(tg, "/followup 99 Hello?", OLGA) == ["No alert #99."]
    await say(tg, f"/staff_add owner {MAX} Max Other")
    assert await say(tg, "/followup 1 Hello?", MAX) == ["No alert #1."]
    assert await say(tg, "/resolve 1 fixed done", MAX) == ["No alert #1."]
    assert await say(tg, "/followup 1 Hello?", 6666) == [
        "This command is only for client service staff."
    ]
    assert tg.api.sent_to(ANNA)[anna_before:] == []
    [stored] = await alerts(tg)
    assert stored.status is AlertStatus.OPEN and stored.notes == []
    # An opted-out contact gets nothing, and the owner hears why.
    await say(tg, "/stop", ANNA)
    anna_before = len(tg.api.sent_to(ANNA))
    assert await say(tg, "/followup 1 Hello?", OLGA) == [
        "Nothing was sent: Anna Smith opted out of client service messages."
    ]
    assert tg.api.sent_to(ANNA)[anna_before:] == []


async def test_no_reply_within_the_window_and_a_late_reply(tg: TelegramHarness) -> None:
    await negative_alert(tg)
    for _ in range(3):  # the rest of the survey, so no question is waiting
        await say(tg, "/skip", ANNA)
    await say(tg, f"/followup 1 {QUESTION}", OLGA)
    tg.clock.advance(timedelta(days=3, minutes=1))
    await tg.app.tick()
    await tg.app.tick()  # a second tick (or process) tells nobody twice
    await tg.deliver()
    told = [m["text"] for m in tg.api.sent_to(OLGA)]
    assert (
        told.count(
            "Anna Smith has not replied to your question on alert #1. "
            "A later reply will still reach you."
        )
        == 1
    )
    await say(tg, "Sorry, I was away: the login page", ANNA)
    assert tg.api.sent_to(OLGA)[-1]["text"] == (
        "A late reply from Anna Smith, after the follow-up window (alert #1):\n"
        "Sorry, I was away: the login page"
    )


async def test_two_people_resolving_at_once_one_wins(tg: TelegramHarness) -> None:
    await negative_alert(tg)
    assert await say(tg, "/resolve 1 fixed Patched the login page", OLGA) == [
        "Alert #1 resolved: fixed."
    ]
    assert await say(tg, "/resolve 1 wont_fix Not worth it") == [
        "Alert #1 was already resolved by Olga Owner (fixed)."
    ]
    assert await say(tg, "/resolve 1 maybe whatever", OLGA) == [
        "How did it end: fixed, explained, not_us or wont_fix."
    ]
    assert await say(tg, "/resolve 1 fixed", ADMIN_ID) == [
        "A resolution needs a short note: what was done or found."
    ]


async def test_a_relapse_says_so_links_the_earlier_alert_and_reaches_managers(
    tg: TelegramHarness,
) -> None:
    await negative_alert(tg)
    await say(tg, f"/staff_add manager {MAX} Max Manager")
    assert await say(tg, "/resolve 1 fixed Patched the login page", OLGA) == [
        "Alert #1 resolved: fixed."
    ]
    max_before = len(tg.api.sent_to(MAX))
    tg.clock.advance(timedelta(days=14))
    await say(tg, "/round Globex")  # the next round: the same question goes badly again
    await say(tg, "Terrible result again, the same login bug", ANNA)
    relapse = tg.api.sent_to(OLGA)[-1]
    assert relapse["text"].split("\n")[1] == (
        "Relapse: alert #1 on this question was resolved (fixed: Patched the login page)"
    )
    [to_max] = tg.api.sent_to(MAX)[max_before:]
    assert "Relapse: alert #1" in to_max["text"] and "Anna Smith" in to_max["text"]
    [_, second] = await alerts(tg)
    assert [n["of"] for n in second.notes if n.get("kind") == "relapse"] == [1]
    [health] = await say(tg, "/health Globex", OLGA)
    assert "relapses 1" in health
    [shown] = await say(tg, "/alert 2", OLGA)
    assert "relapse of alert #1 (fixed: Patched the login page)" in shown


async def test_not_about_us_is_no_relapse(tg: TelegramHarness) -> None:
    await negative_alert(tg)
    await say(tg, "/resolve 1 not_us Another vendor's system", OLGA)
    tg.clock.advance(timedelta(days=14))
    await say(tg, "/round Globex")
    await say(tg, "Terrible result again", ANNA)
    assert "Relapse" not in tg.api.sent_to(OLGA)[-1]["text"]


async def test_silence_alerts_once_per_streak_and_a_reply_clears_the_contacts(
    tg: TelegramHarness,
) -> None:
    await say(tg, f"/staff_add owner {OLGA} Olga Owner")
    await say(tg, "/digest off", OLGA)  # only silence alerts in her chat, no Monday digest
    before = len(tg.api.sent_to(OLGA))
    await globex_with_anna(tg, owner=OLGA)
    for day in range(3):  # three rounds, each declined without a word
        await say(tg, "/round Globex")
        await say(tg, "/decline", ANNA)
        await tg.app.tick()
        await tg.app.tick()  # a second tick (or process) raises nothing twice
        await tg.deliver()
        if day == 0:  # the first round alone is no fall in the response rate
            assert tg.api.sent_to(OLGA)[before:] == []
        if day == 1:  # one contact, no answer in the second round either: 0%
            [account_silence] = tg.api.sent_to(OLGA)[before:]
            assert account_silence["text"].startswith("⚠️ Silence")
            assert "The response rate fell to 0% in " in account_silence["text"]
        tg.clock.advance(timedelta(days=1))
    silences = [m for m in tg.api.sent_to(OLGA) if m["text"].startswith("⚠️ Silence")]
    assert len(silences) == 2  # the account's streak once, then Anna's once
    assert (
        "Anna Smith let the last 3 rounds expire or declined them, without a word."
        in (silences[1]["text"])
    )
    assert [b["text"] for b in buttons(silences[1])] == [
        "Acknowledge", "Ask the client", "Resolve",
    ]  # fmt: skip
    [health] = await say(tg, "/health Globex", OLGA)
    assert "silence 2" in health

    # Anna writes again: her silence is over, and the alert message says so.
    await say(tg, "Sorry, we were busy; all good", ANNA)
    stored = {a.id: a for a in await alerts(tg)}
    assert stored[2].status is AlertStatus.RESOLVED
    assert stored[1].status is AlertStatus.OPEN  # the account's rate needs a round to recover
    cleared = next(m for m in tg.api.sent_to(OLGA) if m["message_id"] == silences[1]["message_id"])
    assert cleared["text"].endswith("Anna Smith replied; the silence is over.")
    [shown] = await say(tg, "/alert 2", OLGA)
    assert "Anna Smith let the last 3 rounds expire" in shown


async def test_a_timeline_reads_in_the_readers_own_time_zone(tg: TelegramHarness) -> None:
    await negative_alert(tg)
    raised = tg.clock.now()
    [utc] = await say(tg, "/alert 1", OLGA)
    assert "Timeline (UTC):" in utc and f"{raised:%Y-%m-%d %H:%M} · alert raised" in utc
    assert await say(tg, "/timezone Mars/Olympus", OLGA) == [
        "Unknown time zone «Mars/Olympus»; use e.g. Europe/Moscow."
    ]
    [ok] = await say(tg, "/timezone Asia/Tokyo", OLGA)
    assert ok.startswith("Your time zone is now Asia/Tokyo")
    [tokyo] = await say(tg, "/alert 1", OLGA)
    local = raised + timedelta(hours=9)  # Tokyo keeps no daylight saving
    assert "Timeline (Asia/Tokyo):" in tokyo
    assert f"{local:%Y-%m-%d %H:%M} · alert raised" in tokyo


async def test_the_follow_up_window_is_said_in_words_in_both_languages(tg: TelegramHarness) -> None:
    # Russian staff read "если его не будет 3 дн." (an abbreviation), and a one-day window
    # would have read "within 1 days" in English.
    await negative_alert(tg)
    [sent] = await say(tg, f"/followup 1 {QUESTION}", OLGA)
    assert sent.endswith("if there is none within 3 days, you will be told.")
    await say(tg, "/lang ru", OLGA)
    [sent] = await say(tg, "/followup 1 И ещё вопрос", OLGA)
    assert sent.endswith("если его не будет в течение 3 дней, вам сообщат."), sent
    service = tg.app.commands.service
    service.policy = replace(service.policy, followup_window=timedelta(days=1))
    [sent] = await say(tg, "/followup 1 Третий вопрос", OLGA)
    assert "в течение 1 дня," in sent


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_survey_reminder_sent_after_the_follow_up_takes_the_next_message(
    tg: TelegramHarness, lang: Language
) -> None:
    # The reminder re-asked the survey's question after Olga's follow-up, yet Anna's answer
    # to it went to Olga as the reply: the reminder did not count as the survey asking.
    await negative_alert(tg)
    await say(tg, f"/lang {lang.value}", ANNA)
    await say(tg, f"/followup 1 {QUESTION}", OLGA)
    tg.clock.advance(timedelta(days=2, minutes=1))
    assert (await tg.app.service.tick()).reminders == 1
    await tg.deliver()
    assert t("reminder", lang) in "\n".join(m["text"] for m in tg.api.sent_to(ANNA)[-2:])
    olga_before = len(tg.api.sent_to(OLGA))

    await say(tg, "Speed is fine", ANNA)
    assert tg.api.sent_to(OLGA)[olga_before:] == []
    async with tg.app.uow() as u:
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        answers = await u.answers.for_conversations([conv.id])
    assert [(a.question_key, a.text) for a in answers][1:] == [("speed", "Speed is fine")]
    # The follow-up keeps waiting: once the survey asks nothing more, the reply reaches Olga.
    await say(tg, "Polite, thanks", ANNA)
    await say(tg, REPLY, ANNA)
    assert tg.api.sent_to(OLGA)[-1]["text"] == (
        f"Reply from Anna Smith to your question (alert #1):\n{REPLY}"
    )
