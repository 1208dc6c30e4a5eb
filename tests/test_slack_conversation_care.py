"""Issue 10 on Slack, end to end through slack-bolt and the fake Web API: a message answers
the question the client could see, opt-out is respected, alerts stay true and reach someone,
one question has one live keyboard, App Home shows the newest alerts, and the texts say what
they mean.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from surveys.alert_desk import still_negative
from surveys.model import Alert, AlertStatus, Answer, ContactStatus, Language
from surveys.texts import t
from tests.fakes.slack_api import (
    app_home_opened_event,
    message_changed_event,
    message_deleted_event,
    message_event,
    slash_command,
    tombstone_event,
)
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.test_slack_clients import (
    ANNA,
    Ids,
    actions_of,
    answers_of,
    button_value,
    command,
    command_text,
    contact_at,
    conversation_of,
    join,
    open_round,
    press,
    questions,
    write,
)

MAX = "UMAX"  # a manager
NEGATIVE = "The result is bad, nothing works"


async def all_alerts(slack: SlackHarness) -> list[Alert]:
    async with slack.app.uow() as uow:
        return await uow.alerts.list()


def alert_messages(slack: SlackHarness, user: str) -> list[dict[str, Any]]:
    return [m for m in slack.dm(user) if str(m.get("text", "")).startswith("Negative feedback")]


def all_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def updates_in(slack: SlackHarness, user: str) -> list[Any]:
    channel = slack.api.dm_channel_of(user)
    return [c for c in slack.api.calls_to("chat.update") if c.params["channel"] == channel]


def headers(slack: SlackHarness, user: str) -> list[str]:
    # The header of the question each message asks (the first follows the invitation).
    return [str(m["text"]).split("\n\n")[-1].split("\n")[0] for m in questions(slack, user)]


async def answered_all(slack: SlackHarness, user: str) -> None:
    for text in ("Good result", "Fast enough", "Always polite"):
        await write(slack, user, text)


# --- 1, 2: what a message answers ------------------------------------------------------------


async def test_quick_messages_stay_with_the_question_the_client_could_see(
    slack: SlackHarness,
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)

    # Both handled before question 2 went out.
    await slack.post(message_event(ANNA, channel, "The result is good."), deliver=False)
    await slack.post(message_event(ANNA, channel, "Also the docs were great."), deliver=False)
    # Written before question 2 went out (its ts sits between questions 1 and 2), handled
    # after question 2 was delivered.
    [q1] = questions(slack, ANNA)
    written = Decimal(str(q1["ts"])) + Decimal("0.000001")
    late = message_event(ANNA, channel, "And the demo.", ts=f"{written:.6f}")
    await slack.deliver()
    await slack.post(late)

    [outcome] = await answers_of(slack, ANNA)
    assert outcome.question_key == "outcome"
    assert outcome.text == "The result is good.\nAlso the docs were great.\nAnd the demo."
    conv = await conversation_of(slack, ANNA)
    assert conv is not None and conv.current_question == "speed"
    assert headers(slack, ANNA) == ["Question 1 of 3", "Question 2 of 3"]
    assert slack.dm_texts(ANNA)[-1] == "Added to your answer to question 1."

    await write(slack, ANNA, "Fast enough")
    assert (await answers_of(slack, ANNA))[-1].question_key == "speed"


async def test_editing_one_message_of_a_joined_answer_changes_only_its_part(
    slack: SlackHarness,
) -> None:
    # Editing the first of two quick messages replaced the answer with it alone; editing
    # the second answered question 2 with it.
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    [q1] = questions(slack, ANNA)
    first_ts = f"{Decimal(str(q1['ts'])) + Decimal('0.000001'):.6f}"
    second_ts = f"{Decimal(str(q1['ts'])) + Decimal('0.000002'):.6f}"
    await slack.post(message_event(ANNA, channel, "The result is good.", ts=first_ts))
    await slack.post(message_event(ANNA, channel, "The docs were late.", ts=second_ts))

    await slack.post(message_changed_event(ANNA, channel, "The result is fine.", first_ts))
    await slack.post(message_changed_event(ANNA, channel, "The docs came on time.", second_ts))
    [outcome] = await answers_of(slack, ANNA)
    assert outcome.question_key == "outcome"
    assert outcome.text == "The result is fine.\nThe docs came on time."
    conv = await conversation_of(slack, ANNA)
    assert conv is not None and conv.current_question == "speed"


async def test_editing_a_part_of_an_answer_in_an_earlier_conversation_changes_that_answer(
    slack: SlackHarness,
) -> None:
    # The next round closed the conversation the answer belongs to; editing its quick second
    # message was looked up in the current conversation only, and the edit was lost.
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    [q1] = questions(slack, ANNA)
    first_ts = f"{Decimal(str(q1['ts'])) + Decimal('0.000001'):.6f}"
    second_ts = f"{Decimal(str(q1['ts'])) + Decimal('0.000002'):.6f}"
    await slack.post(message_event(ANNA, channel, NEGATIVE, ts=first_ts))
    await slack.post(message_event(ANNA, channel, "The docs were late.", ts=second_ts))
    earlier = await conversation_of(slack, ANNA)
    assert earlier is not None and earlier.current_question == "speed"
    slack.clock.advance(timedelta(days=1))
    assert "1 contact invited" in await open_round(slack)
    now_asking = await conversation_of(slack, ANNA)
    assert now_asking is not None and now_asking.id != earlier.id

    await slack.post(
        message_changed_event(
            ANNA, channel, "The docs came on time.", second_ts, previous_text="The docs were late."
        )
    )

    assert await answers_of(slack, ANNA) == []  # the round being asked got no answer
    async with slack.app.uow() as uow:
        [outcome] = await uow.answers.for_conversations([earlier.id])
    assert outcome.text == f"{NEGATIVE}\nThe docs came on time."
    assert outcome.edited_at is not None
    assert slack.dm_texts(ANNA)[-1] == "Your edited answer is saved."
    [alert] = await all_alerts(slack)
    assert alert.answer_id == outcome.id
    [now] = alert_messages(slack, SLACK_ADMIN)
    assert "The docs came on time." in all_text(now)
    assert "The client edited this answer" in all_text(now)


async def test_a_slack_message_of_40000_characters_and_its_rest_are_kept_whole(
    slack: SlackHarness,
) -> None:
    # Slack delivers a message of up to 40,000 characters; it was cut to 4,000 and the client
    # told «the first 4000 are kept».
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    longest = ("word " * 8000).strip() + "!"
    assert len(longest) == 40_000

    await slack.post(message_event(ANNA, channel, longest), deliver=False)
    await slack.post(message_event(ANNA, channel, "And that is all."), deliver=False)
    await slack.deliver()

    [outcome] = await answers_of(slack, ANNA)
    assert not outcome.truncated
    assert outcome.text == longest + "\nAnd that is all."
    assert headers(slack, ANNA) == ["Question 1 of 3", "Question 2 of 3"]
    assert not any("longer than" in text for text in slack.dm_texts(ANNA))


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
@pytest.mark.parametrize("size", [4064, 4090, 4096])
async def test_a_slack_message_as_long_as_a_telegram_piece_keeps_its_line_break(
    slack: SlackHarness, lang: Language, size: int
) -> None:
    # A Slack message of 4,064-4,096 characters was taken for a piece Telegram had cut off a
    # long paste, by its length alone: the client's next message ran on into it with no line
    # break ("…twice. Also the docs…"), as if they had written one paragraph. Slack splits
    # nothing (it keeps a message up to 40,000): two messages are two, a line break between.
    await join(slack, ANNA, "Anna Smith", "stakeholder", lang.value)
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    words, after = {
        Language.EN: (
            "The result is good, but deadlines slipped twice. ",
            "Also the docs were late.",
        ),
        Language.RU: ("Результат хороший, но сроки сорвались дважды. ", "И документация опоздала."),
    }[lang]
    first = (words * 100)[: size - 1] + "!"
    assert len(first) == size

    posted = message_event(ANNA, channel, first)
    await slack.post(posted, deliver=False)
    await slack.post(message_event(ANNA, channel, after), deliver=False)
    await slack.deliver()

    [outcome] = await answers_of(slack, ANNA)
    assert outcome.text == f"{first}\n{after}"
    assert slack.dm_texts(ANNA).count(t("added_to_answer", lang, n=1)) == 1
    # An edit of the first message rebuilds the answer with the same line break.
    ts = json.loads(posted[0])["event"]["ts"]
    await slack.post(message_changed_event(ANNA, channel, first[:-1] + "?", ts))
    [outcome] = await answers_of(slack, ANNA)
    assert outcome.text == f"{first[:-1]}?\n{after}"


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_text_joined_beyond_80000_characters_is_not_cut_in_silence(
    slack: SlackHarness, lang: Language
) -> None:
    # Quick messages joined into one answer stop at 80,000 characters; what went beyond was
    # dropped and the client still read "Added to your answer", nothing else.
    await join(slack, ANNA, "Anna Smith", "stakeholder", lang.value)
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    sent = len(slack.dm(ANNA))
    messages = [("word " * 8000).strip() + "!", ("more " * 7800).strip(), "tail " * 1000, "end"]
    for text in messages:  # all written before question 2 reached Anna
        await slack.post(message_event(ANNA, channel, text), deliver=False)
    await slack.deliver()

    [outcome] = await answers_of(slack, ANNA)
    assert len(outcome.text) == 80_000 and outcome.truncated
    assert outcome.text.startswith("\n".join(messages[:2]))
    told = [t for t in slack.dm_texts(ANNA)[sent:] if not t.startswith("Question")]
    cut = {
        Language.EN: "Your answer to question 1 has reached 80000 characters, the most one answer "
        "can hold, so the text after that was not added to it. If the rest matters, please send "
        "a shorter version of it as a separate message once you have answered the remaining "
        "questions: it will be kept as a comment.",
        Language.RU: "Ваш ответ на вопрос 1 достиг 80000 символов — это наибольший объём одного "
        "ответа, поэтому текст сверх него не добавлен. Если остальное важно, отправьте его "
        "покороче отдельным сообщением, когда ответите на оставшиеся вопросы: оно сохранится "
        "как комментарий.",
    }[lang]
    added = {
        Language.EN: "Added to your answer to question 1.",
        Language.RU: "Добавлено к вашему ответу на вопрос 1.",
    }[lang]
    assert told[-2:] == [added, cut]  # once for the burst, however many pieces went past
    assert told.count(added) == told.count(cut) == 1


# --- 3: opt-out ------------------------------------------------------------------------------


async def test_after_stop_nothing_is_stored_or_scored(slack: SlackHarness) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    await command_text(slack, "stop", ANNA)
    admin_messages = len(slack.dm(SLACK_ADMIN))

    await write(slack, ANNA, "hello again? " + NEGATIVE)

    assert slack.dm_texts(ANNA)[-1] == (
        "You have opted out of feedback surveys, so this message is not kept. "
        "Send /candor start to take part again."
    )
    assert await answers_of(slack, ANNA) == []
    assert await all_alerts(slack) == []
    assert len(slack.dm(SLACK_ADMIN)) == admin_messages


OPTED_OUT = {
    Language.EN: {
        "text": "You have opted out of feedback surveys, so this message is not kept. "
        "Send /candor start to take part again.",
        "skip": "You have opted out of feedback surveys, so there is no question to skip or "
        "postpone. Send /candor start to take part again.",
        "decline": "You have already opted out of feedback surveys. "
        "Send /candor start to take part again.",
    },
    Language.RU: {
        "text": "Вы отписались от опросов, поэтому это сообщение не сохранено. "
        "Чтобы снова участвовать, отправьте /candor start.",
        "skip": "Вы отписались от опросов, поэтому сейчас нет вопроса, который можно "
        "пропустить или отложить. Чтобы снова участвовать, отправьте /candor start.",
        "decline": "Вы уже отписались от опросов. "
        "Чтобы снова участвовать, отправьте /candor start.",
    },
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_opted_out_contact_is_told_what_each_action_does(
    slack: SlackHarness, lang: Language
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    [q1] = questions(slack, ANNA)
    await command_text(slack, f"lang {lang.value}", ANNA)
    await command_text(slack, "stop", ANNA)
    said = OPTED_OUT[lang]

    await write(slack, ANNA, "hello?")
    assert slack.dm_texts(ANNA)[-1] == said["text"]
    for word, kind in (("skip", "skip"), ("later", "skip"), ("decline", "decline")):
        rid = Ids.next()  # `/candor skip` is answered as a DM, as the button's press is
        status, _ = await slack.post(
            slash_command(
                "/candor", word, ANNA, slack.api.dm_channel_of(ANNA),
                response_url=slack.api.response_url(rid),
            )
        )  # fmt: skip
        assert status == 200 and slack.api.responses_to(rid) == []
        assert slack.dm_texts(ANNA)[-1] == said[kind], word
    sent = len(slack.dm(ANNA))
    for action, kind in (("survey_skip", "skip"), ("survey_later", "skip"),
                         ("survey_decline", "decline")):  # fmt: skip
        responses = await press(slack, ANNA, q1, action, button_value(q1, action))
        assert [r["text"] for r in responses] == [said[kind]], action
        assert responses[0]["response_type"] == "ephemeral"
    assert len(slack.dm(ANNA)) == sent
    assert await answers_of(slack, ANNA) == []
    contact = await contact_at(slack, ANNA)
    assert contact is not None and contact.status is ContactStatus.OPTED_OUT


# --- 6: an owner Slack refuses ---------------------------------------------------------------


async def test_alerts_an_owner_cannot_receive_go_to_managers_and_the_staff_list_says_so(
    slack: SlackHarness,
) -> None:
    await join(slack, ANNA, "Anna Smith")
    slack.api.add_user(MAX, "max@acme.example", "Max Manager")
    assert "added as manager" in await command_text(slack, f"staff_add manager <@{MAX}|max> Max")
    await open_round(slack)
    owner_dm = slack.api.dm_channel_of(SLACK_ADMIN)
    slack.api.fail_next("chat.postMessage", error="account_inactive", channel=owner_dm, times=5)

    await write(slack, ANNA, NEGATIVE)
    await slack.deliver()

    assert alert_messages(slack, SLACK_ADMIN) == []
    assert any("could not reach its owner" in t for t in slack.dm_texts(MAX))
    [forwarded] = alert_messages(slack, MAX)
    assert NEGATIVE in all_text(forwarded)
    staff = await command(slack, "staff", MAX)
    assert "to managers since 2026-11-02" in json.dumps(staff["blocks"])  # the list's block


# --- 7: a flood of comments ------------------------------------------------------------------


async def test_a_conversations_comments_make_one_alert_updated_in_place(
    slack: SlackHarness,
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    await answered_all(slack, ANNA)

    for i in range(13):
        await write(slack, ANNA, f"Terrible, nothing works again ({i})")

    assert len(await all_alerts(slack)) == 1
    [message] = alert_messages(slack, SLACK_ADMIN)  # one message, updated in place
    assert len(updates_in(slack, SLACK_ADMIN)) == 10  # the cap
    text = all_text(message)
    assert "(0)" in text and "(10)" in text and "(11)" not in text
    assert "Updated: 11 negative comments from this client in this round." in text


# --- 8: an edited answer ---------------------------------------------------------------------


async def test_an_answer_edited_to_fine_marks_its_alert_and_updates_the_owners_message(
    slack: SlackHarness,
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    ts = await write(slack, ANNA, NEGATIVE)
    [before] = alert_messages(slack, SLACK_ADMIN)
    assert "Are you satisfied with the result" in all_text(before)
    assert "*Question:*\\noutcome" not in all_text(before)

    await slack.post(
        message_changed_event(
            ANNA, slack.api.dm_channel_of(ANNA), "Actually the outcome was fine", ts,
            previous_text=NEGATIVE,
        )
    )  # fmt: skip

    [alert] = await all_alerts(slack)
    assert alert.status is AlertStatus.OPEN and not still_negative(alert)
    [update] = updates_in(slack, SLACK_ADMIN)
    assert update.params["ts"] == before["ts"]
    [now] = alert_messages(slack, SLACK_ADMIN)
    assert "Actually the outcome was fine" in all_text(now)
    assert "no longer reads as negative" in all_text(now)


# --- 9: evidence -----------------------------------------------------------------------------


async def test_wordless_text_is_no_complaint(slack: SlackHarness) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    await answered_all(slack, ANNA)

    await write(slack, ANNA, "x" * 10_000)
    await write(slack, ANNA, "!!! ??? 12345 ---")

    assert await all_alerts(slack) == []
    assert alert_messages(slack, SLACK_ADMIN) == []


# --- 11: App Home ----------------------------------------------------------------------------


async def test_app_home_shows_the_newest_open_alerts_with_the_count(slack: SlackHarness) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    conv = await conversation_of(slack, ANNA)
    assert conv is not None
    async with slack.app.uow() as uow:
        for i in range(25):
            answer = await uow.answers.add(
                Answer(0, conv.id, "comment", f"complaint number {i}", slack.clock.now())
            )
            await uow.alerts.add_once(
                Alert(0, answer.id, 1, 1, AlertStatus.OPEN, slack.clock.now())
            )
        await uow.commit()

    await slack.post(app_home_opened_event(SLACK_ADMIN))
    view = slack.api.home_view_of(SLACK_ADMIN)
    assert view is not None
    texts = [json.dumps(b, ensure_ascii=False) for b in view["blocks"]]
    body = "\n".join(texts)
    assert "Open alerts: 25" in body
    assert body.index("complaint number 24") < body.index("complaint number 23")
    assert "complaint number 4" not in body  # the oldest five are behind the pointer
    assert "…and 5 more, older: `/candor alerts` lists them all." in body


# --- 12: one live keyboard -------------------------------------------------------------------


async def test_a_reminder_takes_the_buttons_off_the_question_it_asks_again(
    slack: SlackHarness,
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)

    slack.clock.advance(timedelta(days=2, minutes=1))
    await slack.app.service.tick()
    await slack.deliver()

    first, again = questions(slack, ANNA)
    assert first["text"].endswith(f"\n\n{again['text']}")  # the invitation headed the first
    assert actions_of(first) == []
    assert len(actions_of(again)) == 3


# --- texts -----------------------------------------------------------------------------------


async def test_start_from_an_active_contact_is_not_a_welcome_back(slack: SlackHarness) -> None:
    await join(slack, ANNA, "Anna Smith")

    reply = await command_text(slack, "start", ANNA)

    assert reply == (
        "You are connected to client service. We will write here when it is time for a short "
        "feedback survey."
    )


async def test_staff_pressing_a_client_question_button_are_told_what_it_is(
    slack: SlackHarness,
) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    [q1] = questions(slack, ANNA)
    conv = await conversation_of(slack, ANNA)
    assert conv is not None
    value = json.dumps({"c": conv.id, "q": "outcome"})

    responses = await press(slack, SLACK_ADMIN, q1, "survey_skip", value)

    assert [r["text"] for r in responses] == [
        "This button answers a client's survey question; it does nothing for staff."
    ]
    assert await conversation_of(slack, ANNA) == conv


# --- 9: many quick changes, one update of the owner's message -------------------------------


async def test_fifty_quick_messages_update_the_owners_alert_once_with_the_whole_answer(
    slack: SlackHarness,
) -> None:
    # 49 chat.update calls on one message within seconds before; queued updates coalesce.
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    parts = [NEGATIVE] + [f"Part {i:02d}: and one more thing." for i in range(49)]
    for part in parts:  # all before question 2 reached Anna
        await slack.post(message_event(ANNA, channel, part), deliver=False)
    await slack.deliver()

    [answer] = await answers_of(slack, ANNA)
    assert answer.text == "\n".join(parts)
    assert len(updates_in(slack, SLACK_ADMIN)) == 1
    [message] = alert_messages(slack, SLACK_ADMIN)
    text = all_text(message)
    assert parts[1] in text and parts[-1] in text


# --- a deleted message that was an answer ---------------------------------------------------

DELETED_KEPT = {
    Language.EN: (
        "Your answer had already been received before you deleted the message, so it is kept "
        "and client service will read it. To change it, write a correction here, or edit your "
        "message instead of deleting it."
    ),
    Language.RU: (
        "Ваш ответ был получен ещё до того, как вы удалили сообщение, поэтому он сохранён, и "
        "клиентский сервис его прочитает. Чтобы изменить ответ, напишите здесь уточнение или "
        "отредактируйте сообщение вместо удаления."
    ),
}


async def _negative_answer(slack: SlackHarness, lang: Language) -> tuple[str, Answer, Alert]:
    """Anna answers question 1 negatively: her message's ts, the answer, its alert."""
    await join(slack, ANNA, "Anna Smith", "stakeholder", lang.value)
    await open_round(slack)
    ts = await write(slack, ANNA, NEGATIVE)
    [answer] = await answers_of(slack, ANNA)
    [alert] = await all_alerts(slack)
    return ts, answer, alert


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
@pytest.mark.parametrize("how", ["message_deleted", "tombstone"])
async def test_a_deleted_answer_is_kept_and_the_client_is_told_how_to_change_it(
    slack: SlackHarness, lang: Language, how: str
) -> None:
    # QA: a client deleted the message that answered question 1; nothing happened, so they
    # believed their answer was withdrawn while it (and its alert) stayed. A message with
    # thread replies becomes a tombstone instead (message_changed): that was read as an edit
    # by Slackbot, a stranger, who was then sent "I don't know you yet".
    ts, answer, alert = await _negative_answer(slack, lang)
    channel = slack.api.dm_channel_of(ANNA)
    sent_to_anna, sent_to_owner = len(slack.dm(ANNA)), len(slack.dm(SLACK_ADMIN))
    deletion = (
        message_deleted_event(ANNA, channel, ts, previous_text=NEGATIVE)
        if how == "message_deleted"
        else tombstone_event(ANNA, channel, ts, previous_text=NEGATIVE)
    )

    await slack.post(deletion)
    await slack.post(deletion)  # Slack delivers an event again when unsure it arrived

    assert await answers_of(slack, ANNA) == [answer]  # never lost, never changed
    [after] = await all_alerts(slack)  # the same alert, its timeline noting the deletion
    assert after.status is alert.status and [n["kind"] for n in after.notes] == ["answer_deleted"]
    assert slack.dm_texts(ANNA)[sent_to_anna:] == [DELETED_KEPT[lang]]
    # The owner (who reads English) is told once under the alert; the card stays as it was.
    assert slack.dm_texts(SLACK_ADMIN)[sent_to_owner:] == [
        "Anna Smith deleted the Slack message with their answer (alert #1). The answer stays "
        "stored and on the alert as it was; they were told it is kept and how to change it."
    ]
    assert updates_in(slack, SLACK_ADMIN) == []
    conv = await conversation_of(slack, ANNA)
    assert conv is not None and conv.current_question == "speed"  # not asked again
    assert slack.dm("USLACKBOT") == []


async def test_each_deleted_part_of_an_answer_is_answered_once(slack: SlackHarness) -> None:
    await join(slack, ANNA, "Anna Smith")
    await open_round(slack)
    channel = slack.api.dm_channel_of(ANNA)
    [q1] = questions(slack, ANNA)
    first_ts = f"{Decimal(str(q1['ts'])) + Decimal('0.000001'):.6f}"
    second_ts = f"{Decimal(str(q1['ts'])) + Decimal('0.000002'):.6f}"
    await slack.post(message_event(ANNA, channel, "The result is good.", ts=first_ts))
    await slack.post(message_event(ANNA, channel, "The docs were late.", ts=second_ts))
    [before] = await answers_of(slack, ANNA)
    sent = len(slack.dm(ANNA))

    staff_sent = len(slack.dm(SLACK_ADMIN))

    await slack.post(message_deleted_event(ANNA, channel, second_ts))
    await slack.post(message_deleted_event(ANNA, channel, first_ts))

    assert await answers_of(slack, ANNA) == [before]
    assert slack.dm_texts(ANNA)[sent:] == [DELETED_KEPT[Language.EN]] * 2
    assert await all_alerts(slack) == [] and len(slack.dm(SLACK_ADMIN)) == staff_sent


async def test_deleting_what_was_no_answer_says_nothing(slack: SlackHarness) -> None:
    await join(slack, ANNA, "Anna Smith")
    channel = slack.api.dm_channel_of(ANNA)
    before_round = await write(slack, ANNA, "Hello, is anyone there?")  # no round: no answer
    await open_round(slack)
    switch = await write(slack, ANNA, "lang ru")  # a command, not an answer
    sent = len(slack.dm(ANNA))
    bot_message = str(slack.dm(ANNA)[-1]["ts"])

    for ts in (before_round, switch):
        await slack.post(message_deleted_event(ANNA, channel, ts))
    await slack.post(message_deleted_event(ANNA, channel, bot_message, bot_id="BCANDOR"))
    await slack.post(message_deleted_event("USTRANGER", slack.api.dm_channel_of("USTRANGER"),
                                           "1.000001"))  # fmt: skip
    assert len(slack.dm(ANNA)) == sent and slack.dm("USTRANGER") == []
    assert await answers_of(slack, ANNA) == []


async def test_a_tombstone_changed_later_or_removed_says_nothing_more(
    slack: SlackHarness,
) -> None:
    ts, answer, alert = await _negative_answer(slack, Language.EN)
    channel = slack.api.dm_channel_of(ANNA)
    await slack.post(tombstone_event(ANNA, channel, ts, previous_text=NEGATIVE))
    sent, staff_sent = len(slack.dm(ANNA)), len(slack.dm(SLACK_ADMIN))
    [alert] = await all_alerts(slack)  # the deletion noted on its timeline

    await slack.post(tombstone_event(ANNA, channel, ts, again=True))  # e.g. a reply removed
    await slack.post(message_deleted_event("USLACKBOT", channel, ts))  # the last reply gone

    assert len(slack.dm(ANNA)) == sent and slack.dm("USLACKBOT") == []
    assert len(slack.dm(SLACK_ADMIN)) == staff_sent
    assert await answers_of(slack, ANNA) == [answer] and await all_alerts(slack) == [alert]


async def test_an_opted_out_contact_deleting_an_earlier_answer_is_told_it_is_kept(
    slack: SlackHarness,
) -> None:
    # They asked for no more surveys, not to take back what they said; whoever deletes an
    # answer believes it withdrawn unless told (a reply to their own action, not a survey).
    ts, answer, _ = await _negative_answer(slack, Language.RU)
    await command_text(slack, "stop", ANNA)
    contact = await contact_at(slack, ANNA)
    assert contact is not None and contact.status is ContactStatus.OPTED_OUT
    await slack.post(message_deleted_event(ANNA, slack.api.dm_channel_of(ANNA), ts))
    assert slack.dm_texts(ANNA)[-1] == DELETED_KEPT[Language.RU]
    async with slack.app.uow() as uow:
        assert await uow.answers.get(answer.id) == answer


OPTED_OUT_EDIT = {
    Language.EN: "You have opted out of feedback surveys, so you will not be asked anything "
    "more. Your edit of an earlier answer is saved all the same, and client service will read "
    "that answer as it now reads. Send /candor start to take part in surveys again.",
    Language.RU: "Вы отписались от опросов, поэтому новых вопросов не будет. Исправление "
    "вашего прежнего ответа всё равно сохранено, и клиентский сервис прочитает этот ответ в "
    "новом виде. Чтобы снова участвовать в опросах, отправьте /candor start.",
}
FINE_AFTER_ALL = {
    Language.EN: "The result is fine after all, it works now",
    Language.RU: "Результат всё-таки хороший, теперь всё работает",
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_opted_out_contact_editing_an_earlier_answer_has_it_kept_and_is_told(
    slack: SlackHarness, lang: Language
) -> None:
    # After /candor stop, editing a message that had answered a question (message_changed)
    # did nothing and said nothing: the correction was lost and the client believed it made.
    # It is kept as any edit is, and they hear once, in their language, how to come back.
    ts, answer, alert = await _negative_answer(slack, lang)
    await command_text(slack, "stop", ANNA)
    channel = slack.api.dm_channel_of(ANNA)
    sent, owner_sent = len(slack.dm(ANNA)), len(slack.dm(SLACK_ADMIN))

    edit = message_changed_event(ANNA, channel, FINE_AFTER_ALL[lang], ts)
    await slack.post(edit)
    await slack.post(edit)  # Slack delivers an event again when unsure it arrived

    [kept] = await answers_of(slack, ANNA)
    assert kept.id == answer.id and kept.text == FINE_AFTER_ALL[lang]
    assert [h["text"] for h in kept.history] == [NEGATIVE]
    assert slack.dm_texts(ANNA)[sent:] == [OPTED_OUT_EDIT[lang]]
    [after] = await all_alerts(slack)
    assert after.id == alert.id and not still_negative(after)
    assert len(slack.dm(SLACK_ADMIN)) == owner_sent and len(updates_in(slack, SLACK_ADMIN)) == 1
    contact = await contact_at(slack, ANNA)
    assert contact is not None and contact.status is ContactStatus.OPTED_OUT
