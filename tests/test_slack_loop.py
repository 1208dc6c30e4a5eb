"""Closing the loop on Slack, through the real slack-bolt stack and the fake Web API:
negative answer → alert → follow-up in the alert's thread → the client's reply back in that
thread → resolution with a disposition and a note → timeline."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from surveys.model import Address, AlertStatus, Channel, Language
from surveys.texts import t
from tests.fakes.slack_api import (
    app_home_opened_event,
    message_changed_event,
    message_deleted_event,
    message_event,
    tombstone_event,
)
from tests.slack_harness import SlackHarness
from tests.test_slack_staff import (
    ANNA,
    MAX,
    OLGA,
    STRANGER,
    alerts,
    context_lines,
    negative_alert,
    press,
    say,
    write,
)

QUESTION = "Which part of the result worries you most?"
REPLY = "The login page, it breaks every week"


async def in_thread(slack: SlackHarness, user: str, thread: dict[str, Any], text: str) -> None:
    channel = slack.api.dm_channel_of(user)
    status, _ = await slack.post(message_event(user, channel, text, thread_ts=str(thread["ts"])))
    assert status == 200


def thread_of(slack: SlackHarness, user: str, ts: str) -> list[str]:
    return [str(m["text"]) for m in slack.dm(user) if m.get("thread_ts") == ts]


async def test_full_loop_in_the_alert_thread(slack: SlackHarness) -> None:
    alert = await negative_alert(slack)
    ts = str(alert["ts"])

    [prompt] = await press(slack, OLGA, alert, "alert_followup", "1")
    assert prompt["response_type"] == "ephemeral"
    assert prompt["text"].startswith("Alert #1: write your question for the client (Anna Smith) in")

    anna_before = len(slack.dm(ANNA))
    await in_thread(slack, OLGA, alert, QUESTION)
    [asked] = slack.dm(ANNA)[anna_before:]
    assert asked["text"].startswith("The client service team of Acme IT has a question")
    assert QUESTION in asked["text"] and "Olga" not in asked["text"]
    assert thread_of(slack, OLGA, ts)[-1].startswith("Your question is on its way to Anna Smith")

    # Anna is mid-survey, but the follow-up was asked last: her next message is the reply.
    await write(slack, ANNA, REPLY)
    assert thread_of(slack, OLGA, ts)[-1] == (
        f"Reply from Anna Smith to your question (alert #1):\n{REPLY}"
    )
    await write(slack, ANNA, "Speed is fine")  # ...and this one answers the survey
    async with slack.app.uow() as u:
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        answers = await u.answers.for_conversations([conv.id])
    assert [a.text for a in answers][1:] == ["Speed is fine"]

    [choices] = await press(slack, OLGA, alert, "alert_resolve", "1")
    assert choices["text"] == "How did it end? Choose below."
    [ask_note] = await press(slack, OLGA, alert, "alert_d_explained", "1")
    assert ask_note["text"] == (
        "Alert #1, explained to the client: write a short note in this alert's thread"
        " to resolve it."
    )
    await in_thread(slack, OLGA, alert, "Walked them through the release plan")
    assert thread_of(slack, OLGA, ts)[-1] == "Alert #1 resolved: explained to the client."
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.RESOLVED
    resolved = next(m for m in slack.dm(OLGA) if m["ts"] == ts)
    assert context_lines(resolved)[-1] == (
        "_Resolved by Olga Owner: explained to the client — Walked them through the release plan_"
    )

    health = await say(slack, "health", OLGA)
    assert "Alerts: open 0 · escalated 0 · relapses 0 · silence 0 · not about us 0" in health
    assert "Negative share: outcome 100% · speed 0% · politeness —" in health
    # App Home shows the same.
    await slack.post(app_home_opened_event(OLGA))
    home = slack.api.calls_to("views.publish")[-1].params["view"]["blocks"]
    assert any("Account health" in str(b) for b in home)
    assert any("relapses 0" in str(b) for b in home)

    shown = await say(slack, "alert 1", OLGA)
    assert f"Olga Owner asked the client: «{QUESTION}»" in shown
    assert f"the client replied: «{REPLY}»" in shown
    assert "resolved by Olga Owner: explained to the client" in shown


async def test_who_may_not_follow_up_or_resolve(slack: SlackHarness) -> None:
    alert = await negative_alert(slack)
    anna_before = len(slack.dm(ANNA))
    await say(slack, f"staff_add owner <@{MAX}|max> Max Other")
    assert await say(slack, "followup 1 Hello?", MAX) == "No alert #1."
    assert await say(slack, "resolve 1 fixed Done", MAX) == "No alert #1."
    assert await say(slack, "followup 1 Hello?", STRANGER) == (
        "This command is only for client service staff."
    )
    [refused] = await press(slack, MAX, alert, "alert_d_fixed", "1")
    assert refused["text"] == "No alert #1."
    # A stranger writing in a thread is just a stranger writing: nothing reaches Anna.
    await in_thread(slack, STRANGER, alert, "Hello Anna")
    assert slack.dm(ANNA)[anna_before:] == []
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.OPEN and stored.notes == []


async def test_the_clients_reply_reaches_the_thread_in_their_own_words(
    slack: SlackHarness,
) -> None:
    # Our words name commands the Slack way ("/candor alert"), but the client's were rewritten
    # too: "the /status page and /report export" reached the thread as "/candor status",
    # "/candor report". The reply's own words are never reworded.
    alert = await negative_alert(slack)
    await press(slack, OLGA, alert, "alert_followup", "1")
    await in_thread(slack, OLGA, alert, QUESTION)
    words = "The /status page and the /report export, every /help link"
    await write(slack, ANNA, words)
    assert thread_of(slack, OLGA, str(alert["ts"]))[-1] == (
        f"Reply from Anna Smith to your question (alert #1):\n{words}"
    )


DELETED_REPLY_KEPT = {
    Language.EN: (
        "Your reply had already reached client service before you deleted the message, so it "
        "is kept and they will read it. To correct it, send the correction as your next "
        "message here: it will be passed on too."
    ),
    Language.RU: (
        "Ваш ответ дошёл до клиентского сервиса ещё до того, как вы удалили сообщение, поэтому "
        "он сохранён, и его прочитают. Чтобы исправить ответ, отправьте уточнение следующим "
        "сообщением здесь: оно тоже будет передано."
    ),
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
@pytest.mark.parametrize("how", ["message_deleted", "tombstone"])
async def test_a_deleted_reply_is_kept_and_the_client_is_told_how_to_correct_it(
    slack: SlackHarness, lang: Language, how: str
) -> None:
    # A client who deleted their reply to a follow-up heard nothing (a deleted answer gets a
    # word): they believed it withdrawn while Olga had read it.
    alert = await negative_alert(slack)
    ts = str(alert["ts"])
    await say(slack, f"lang {lang.value}", ANNA)
    await press(slack, OLGA, alert, "alert_followup", "1")
    await in_thread(slack, OLGA, alert, QUESTION)
    channel = slack.api.dm_channel_of(ANNA)
    sent = message_event(ANNA, channel, REPLY)
    await slack.post(sent)
    reply_ts = str(json.loads(sent[0])["event"]["ts"])
    anna_before, olga_before = len(slack.dm(ANNA)), len(thread_of(slack, OLGA, ts))
    deletion = (
        message_deleted_event(ANNA, channel, reply_ts, previous_text=REPLY)
        if how == "message_deleted"
        else tombstone_event(ANNA, channel, reply_ts, previous_text=REPLY)
    )

    await slack.post(deletion)
    await slack.post(deletion)  # Slack delivers an event again when unsure it arrived

    assert slack.dm_texts(ANNA)[anna_before:] == [DELETED_REPLY_KEPT[lang]]
    assert thread_of(slack, OLGA, ts)[olga_before:] == [
        "Anna Smith deleted the message with their reply (alert #1). The reply stays on the "
        "alert; they were told a correction reaches you."
    ]
    [stored] = await alerts(slack)
    assert [n["text"] for n in stored.notes if n.get("kind") == "reply"] == [REPLY]

    # As told: the next message is the correction, passed on under the alert.
    await write(slack, ANNA, "Sorry: the login page, every Monday")
    assert thread_of(slack, OLGA, ts)[-1] == (
        "A correction from Anna Smith to their deleted reply (alert #1):\n"
        "Sorry: the login page, every Monday"
    )
    assert slack.dm_texts(ANNA)[-1] == t("followup_thanks_survey", lang)
    shown = await say(slack, "alert 1", OLGA)
    assert "the client deleted the message with their reply (the reply is kept)" in shown
    # As Olga was told: a correction, not the reply going on (RU and EN alike).
    corrected = "«Sorry: the login page, every Monday»"
    assert f"a correction from the client to their deleted reply: {corrected}" in shown
    assert "continues" not in shown
    await say(slack, "lang ru", OLGA)
    shown = await say(slack, "alert 1", OLGA)
    assert "клиент удалил сообщение с ответом (ответ сохранён)" in shown
    assert f"уточнение клиента к удалённому ответу: {corrected}" in shown
    assert "продолжение ответа" not in shown


ANSWER_DELETED = {
    Language.EN: (
        "Anna Smith deleted the Slack message with their answer (alert #1). The answer stays "
        "stored and on the alert as it was; they were told it is kept and how to change it."
    ),
    Language.RU: (
        "Anna Smith удалил(а) в Slack сообщение с ответом (алерт #1). Ответ остаётся "
        "сохранённым и в алерте, как был; клиенту сказано, что он сохранён и как его изменить."
    ),
}
ANSWER_DELETED_SHOWN = {
    Language.EN: "the client deleted the Slack message with their answer (the answer is kept)",
    Language.RU: "клиент удалил в Slack сообщение с ответом (ответ сохранён)",
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
@pytest.mark.parametrize("how", ["message_deleted", "tombstone"])
async def test_a_deleted_answer_is_told_under_its_alert_to_whoever_has_it(
    slack: SlackHarness, lang: Language, how: str
) -> None:
    # A client who deleted the message with an alerted answer was told the answer is kept;
    # the owner reading the alert heard nothing, though the client may have meant to take it
    # back (a deleted reply to a follow-up was already told to its asker). Now the owner
    # learns it once, in their language, in the alert's thread, and the timeline keeps it.
    alert = await negative_alert(slack)
    ts = str(alert["ts"])
    await say(slack, f"lang {lang.value}", OLGA)
    async with slack.app.uow() as u:
        anna = await u.contacts.by_address(Address(Channel.SLACK, ANNA))
        assert anna is not None
        [answer] = await u.answers.for_contact(anna.id)
    channel, answer_ts = str(answer.source_message_id).split(":")
    olga_before, anna_before = len(slack.dm(OLGA)), len(slack.dm(ANNA))
    deletion = (
        message_deleted_event(ANNA, channel, answer_ts, previous_text="Terrible result")
        if how == "message_deleted"
        else tombstone_event(ANNA, channel, answer_ts, previous_text="Terrible result")
    )

    await slack.post(deletion)
    await slack.post(deletion)  # Slack delivers an event again when unsure it arrived

    [told] = slack.dm(OLGA)[olga_before:]  # once, in the alert's thread
    assert told.get("thread_ts") == ts and told["text"] == ANSWER_DELETED[lang]
    assert len(slack.dm(ANNA)) == anna_before + 1  # the client's own word, once, as before
    async with slack.app.uow() as u:
        assert await u.answers.for_contact(anna.id) == [answer]  # the answer stays as it was
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.OPEN  # nothing about the alert changes but its timeline
    shown = await say(slack, "alert 1", OLGA)
    assert ANSWER_DELETED_SHOWN[lang] in shown


async def test_a_correction_after_a_deleted_reply_reaches_the_asker_once_resolved(
    slack: SlackHarness,
) -> None:
    # Told "send the correction as your next message: it will be passed on too", a client
    # whose alert was resolved meanwhile had the correction dropped: Olga was told it comes.
    alert = await negative_alert(slack)
    ts = str(alert["ts"])
    await press(slack, OLGA, alert, "alert_followup", "1")
    await in_thread(slack, OLGA, alert, QUESTION)
    channel = slack.api.dm_channel_of(ANNA)
    sent = message_event(ANNA, channel, REPLY)
    await slack.post(sent)
    reply_ts = str(json.loads(sent[0])["event"]["ts"])
    await say(slack, "resolve 1 fixed Done", OLGA)
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.RESOLVED

    await slack.post(message_deleted_event(ANNA, channel, reply_ts, previous_text=REPLY))
    assert slack.dm_texts(ANNA)[-1] == DELETED_REPLY_KEPT[Language.EN]
    await write(slack, ANNA, "Sorry: the login page, every Monday")

    assert thread_of(slack, OLGA, ts)[-1] == (
        "A correction from Anna Smith to their deleted reply (alert #1):\n"
        "Sorry: the login page, every Monday"
    )
    [stored] = await alerts(slack)
    assert stored.status is AlertStatus.RESOLVED  # passed on, not reopened


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_correction_after_a_deleted_reply_reaches_the_asker_past_a_reminder(
    slack: SlackHarness, lang: Language
) -> None:
    # Told "send the correction as your next message", a client whose survey reminder came
    # in between had the correction stored as a survey answer: the survey had written since
    # the follow-up was asked. What the reply awaits decides, not what the survey sent.
    alert = await negative_alert(slack)
    ts = str(alert["ts"])
    await say(slack, f"lang {lang.value}", ANNA)
    await press(slack, OLGA, alert, "alert_followup", "1")
    await in_thread(slack, OLGA, alert, QUESTION)
    channel = slack.api.dm_channel_of(ANNA)
    sent = message_event(ANNA, channel, REPLY)
    await slack.post(sent)
    reply_ts = str(json.loads(sent[0])["event"]["ts"])
    await slack.post(message_deleted_event(ANNA, channel, reply_ts, previous_text=REPLY))
    assert slack.dm_texts(ANNA)[-1] == DELETED_REPLY_KEPT[lang]

    slack.clock.advance(timedelta(days=2, minutes=1))
    assert (await slack.app.service.tick()).reminders == 1
    await slack.deliver()
    assert t("reminder", lang) in "\n".join(slack.dm_texts(ANNA)[-2:])

    await write(slack, ANNA, "Sorry: the login page, every Monday")
    assert thread_of(slack, OLGA, ts)[-1] == (
        "A correction from Anna Smith to their deleted reply (alert #1):\n"
        "Sorry: the login page, every Monday"
    )
    assert slack.dm_texts(ANNA)[-1] == t("followup_thanks_survey", lang)
    async with slack.app.uow() as u:
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        assert [a.text for a in await u.answers.for_conversations([conv.id])][1:] == []
    # The correction came: the next message answers the question the reminder re-asked.
    await write(slack, ANNA, "Speed is fine")
    async with slack.app.uow() as u:
        assert [a.text for a in await u.answers.for_conversations([conv.id])][1:] == [
            "Speed is fine"
        ]


EDIT_KEPT = {
    Language.EN: "Your edited reply is passed to client service.",
    Language.RU: "Исправленный ответ передан клиентскому сервису.",
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_edited_reply_reaches_the_asker_and_the_client_is_told(
    slack: SlackHarness, lang: Language
) -> None:
    # An edit of a reply was read as a new message with the id already seen: dropped, with no
    # word to the client or to Olga, who kept the words the client had taken back.
    alert = await negative_alert(slack)
    ts = str(alert["ts"])
    await say(slack, f"lang {lang.value}", ANNA)
    await press(slack, OLGA, alert, "alert_followup", "1")
    await in_thread(slack, OLGA, alert, QUESTION)
    channel = slack.api.dm_channel_of(ANNA)
    sent = message_event(ANNA, channel, REPLY)
    await slack.post(sent)
    reply_ts = str(json.loads(sent[0])["event"]["ts"])
    anna_before = len(slack.dm(ANNA))
    new = "The login page, but only on Mondays"
    edit = message_changed_event(ANNA, channel, new, reply_ts, previous_text=REPLY)

    await slack.post(edit)
    await slack.post(edit)  # Slack delivers an event again when unsure it arrived

    assert slack.dm_texts(ANNA)[anna_before:] == [EDIT_KEPT[lang]]
    assert thread_of(slack, OLGA, ts)[-2:] == [
        f"Reply from Anna Smith to your question (alert #1):\n{REPLY}",
        f"Anna Smith edited their reply (alert #1); it now reads:\n{new}",
    ]
    [stored] = await alerts(slack)
    assert [n["text"] for n in stored.notes if n.get("kind") == "reply"] == [REPLY, new]
    async with slack.app.uow() as u:  # and the survey did not take it as an answer
        conv = await u.conversations.current_for_contact(1)
        assert conv is not None
        assert [a.text for a in await u.answers.for_conversations([conv.id])][1:] == []
    shown = await say(slack, "alert 1", OLGA)
    assert f"the client edited their reply: «{new}»" in shown
