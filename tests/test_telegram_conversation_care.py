"""Issue 10 on Telegram, end to end through aiogram and the fake Bot API: a message answers
the question the client could see, opt-out is respected, alerts stay true and reach someone,
one question has one live keyboard, and the texts say what they mean.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from bot.telegram.callbacks import SurveyAction
from surveys.alert_desk import still_negative
from surveys.conversation import MAX_ANSWER_CHARS
from surveys.model import Alert, ContactStatus, Language
from surveys.texts import t
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_telegram_clients import (
    ANNA,
    BORIS,
    OWNER_ID,
    admin_says,
    answers_of,
    buttons,
    contact_at,
    conversation_of,
    last_callback_answer,
    onboard,
    open_round,
    press,
    questions,
    say,
    utf16_len,
)

NEGATIVE = "The result is bad, nothing works"
ADDED = "Added to your answer to question 1."


async def all_alerts(tg: TelegramHarness) -> list[Alert]:
    async with tg.app.uow() as uow:
        return await uow.alerts.list()


def alert_texts(tg: TelegramHarness, chat: int) -> list[str]:
    return [t for t in tg.texts(chat) if t.startswith("⚠️ Negative feedback")]


def headers(tg: TelegramHarness, chat: int) -> list[str]:
    # The header of the question each message asks (the first follows the invitation).
    return [str(m["text"]).split("\n\n")[-1].split("\n")[0] for m in questions(tg, chat)]


async def answered_all(tg: TelegramHarness, chat: int) -> None:
    for text in ("Good result", "Fast enough", "Always polite"):
        await say(tg, chat, text)


# --- 1, 2: what a message answers ------------------------------------------------------------


async def test_a_quick_second_message_stays_with_the_question_the_client_could_see(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)

    await tg.process(tg.api.text_message(ANNA, "The result is good."), deliver=False)
    # Written before question 2 reached Anna, handled after it went out.
    second = tg.api.text_message(ANNA, "Also the docs you wrote were great.")
    await tg.deliver()
    await tg.process(second)

    [outcome] = await answers_of(tg, ANNA)
    assert outcome.question_key == "outcome"
    assert outcome.text == "The result is good.\nAlso the docs you wrote were great."
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.current_question == "speed"
    assert headers(tg, ANNA) == ["Question 1 of 3", "Question 2 of 3"]
    assert tg.texts(ANNA)[-1] == ADDED

    # Written after question 2 arrived: the answer to question 2.
    await say(tg, ANNA, "Fast enough")
    assert [(a.question_key, a.text) for a in await answers_of(tg, ANNA)][-1] == (
        "speed",
        "Fast enough",
    )


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_10000_character_answer_telegram_splits_is_kept_whole(
    tg: TelegramHarness, lang: Language
) -> None:
    # A 10,000-character answer was cut to 4,000 and the client told «the first 4000 are
    # kept». Telegram sends it as three messages of at most 4,096: one answer, kept whole.
    await onboard(tg, ANNA, "Anna Smith", lang=lang.value)
    await open_round(tg)
    line = ("Результат хороший, но сроки сорвались дважды.\n" if lang is Language.RU
            else "The result is good, but deadlines slipped twice.\n")  # fmt: skip
    body = (line * 250)[:10_000].strip()
    pieces = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    assert len(pieces) == 3
    for piece in pieces:  # as Telegram delivers them: all before question 2 reached her
        await tg.process(tg.api.text_message(ANNA, piece), deliver=False)
    await tg.deliver()

    [outcome] = await answers_of(tg, ANNA)
    assert outcome.question_key == "outcome" and not outcome.truncated
    # Every piece, in order, as pasted: no line break where Telegram cut it (mid-word: the
    # pieces are exactly 4,096 and the cuts fall inside a line, as asserted here).
    assert all(len(p) == 4096 and not p[-1].isspace() for p in pieces[:-1])
    assert outcome.text == body
    assert len(headers(tg, ANNA)) == 2  # question 2 asked once, not once per piece
    assert not any("4000" in text for text in tg.texts(ANNA))
    # One paste, one acknowledgement: it said "Added to your answer" once per extra piece.
    assert tg.texts(ANNA).count(t("added_to_answer", lang, n=1)) == 1


def desktop_pieces(body: str) -> list[str]:
    """A long paste as Telegram Desktop sends it: cut at the last space within 4,096, the
    space at each cut trimmed away."""
    pieces = []
    while len(body) > 4096:
        cut = body.rindex(" ", 0, 4096)
        pieces.append(body[:cut])
        body = body[cut + 1 :]
    return [*pieces, body]


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_a_paste_split_at_spaces_reads_as_one_paragraph_and_its_edit_keeps_it(
    tg: TelegramHarness, lang: Language
) -> None:
    # Joined with a line break, a paragraph Telegram split at a space read "… сроки\nсорвались
    # …": a break mid-sentence that the client never wrote. Their own line breaks stay.
    await onboard(tg, ANNA, "Anna Smith", lang=lang.value)
    await open_round(tg)
    words = {
        Language.RU: "Результат хороший, но сроки сорвались дважды, и никто не предупредил. ",
        Language.EN: "The result is good, but deadlines slipped twice and nobody warned us. ",
    }[lang]
    body = (words * 130).strip()
    pieces = desktop_pieces(body)
    assert len(pieces) == 3 and all(4096 - 32 < len(p) < 4096 for p in pieces[:-1])
    updates = [tg.api.text_message(ANNA, piece) for piece in pieces]
    for update in updates:
        await tg.process(update, deliver=False)
    await tg.deliver()
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == body

    # Editing the middle piece changes that piece only; the joins stay as they were, also
    # when the edit makes the piece shorter than a split's.
    was, now = (
        ("сроки сорвались дважды", "сроки") if lang is Language.RU else ("slipped twice", "slipped")
    )
    edited = pieces[1].replace(was, now, 8)
    assert len(edited) < 4096 - 32
    message_id = updates[1]["message"]["message_id"]
    await tg.process(tg.api.edited_message(ANNA, edited, message_id=message_id))
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == " ".join([pieces[0], edited, pieces[2]])


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_addition_minutes_later_is_acknowledged_again(
    tg: TelegramHarness, lang: Language
) -> None:
    # Pieces of one burst get one "added" notice, even when the first notice went out between
    # them; text added minutes later is news to the client and is acknowledged again.
    await onboard(tg, ANNA, "Anna Smith", lang=lang.value)
    await open_round(tg)
    texts = ["The result is good.", "Also the docs.", "And the demo.", "One more thing, later."]
    # All written before question 2 reached Anna (its notice and question 2 go out between).
    updates = [tg.api.text_message(ANNA, text) for text in texts]
    for update in updates[:2]:
        await tg.process(update, deliver=False)
    await tg.deliver()
    tg.clock.advance(timedelta(seconds=5))
    await tg.process(updates[2])
    added = t("added_to_answer", lang, n=1)
    assert tg.texts(ANNA).count(added) == 1
    tg.clock.advance(timedelta(minutes=5))
    await tg.process(updates[3])
    assert tg.texts(ANNA).count(added) == 2
    [outcome] = await answers_of(tg, ANNA)  # nothing lost
    assert outcome.text == "\n".join(texts)


async def test_an_alert_on_a_40000_character_answer_reaches_the_owner_and_alert_shows_it_all(
    tg: TelegramHarness,
) -> None:
    # Kept whole now, a long negative answer must still reach the owner within Telegram's
    # 4,096 (the card is shortened, for display, and says /alert shows it all), and /alert
    # must show every word without "message is too long".
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    body = ("The result is bad, nothing works & <the team> ignores us.\n" * 700)[:40_000]
    pieces = [body[i : i + 4000].strip() for i in range(0, len(body), 4000)]
    for piece in pieces:  # as Telegram delivers a long text: in pieces, joined
        await tg.process(tg.api.text_message(ANNA, piece), deliver=False)
    await tg.deliver()
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == "\n".join(pieces) and not outcome.truncated
    [alert] = await all_alerts(tg)

    assert not [c for c in tg.api.calls if c.status != 200]
    card = alert_texts(tg, OWNER_ID)[-1]
    assert utf16_len(card) <= 4096
    assert f"… (shortened; /alert {alert.id} shows the whole answer)" in card

    seen = len(tg.texts(ADMIN_ID))
    await admin_says(tg, f"/alert {alert.id}")
    parts = tg.texts(ADMIN_ID)[seen:]
    assert len(parts) >= 10 and all(utf16_len(p) <= 4096 for p in parts)
    assert outcome.text.replace("\n", "") in "".join(parts).replace("\n", "")
    assert not [c for c in tg.api.calls if c.status != 200]


# --- 3: opt-out ------------------------------------------------------------------------------


async def test_after_stop_nothing_is_stored_or_scored(tg: TelegramHarness) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await say(tg, ANNA, "/stop")
    owner_messages = len(tg.api.sent_to(OWNER_ID))

    await say(tg, ANNA, "hello again? " + NEGATIVE)

    assert tg.texts(ANNA)[-1] == (
        "You have opted out of feedback surveys, so this message is not kept. "
        "Send /start to take part again."
    )
    assert await answers_of(tg, ANNA) == []
    assert await all_alerts(tg) == []
    assert len(tg.api.sent_to(OWNER_ID)) == owner_messages


OPTED_OUT = {
    Language.EN: {
        "skip": "You have opted out of feedback surveys, so there is no question to skip or "
        "postpone. Send /start to take part again.",
        "decline": "You have already opted out of feedback surveys. "
        "Send /start to take part again.",
    },
    Language.RU: {
        "skip": "Вы отписались от опросов, поэтому сейчас нет вопроса, который можно "
        "пропустить или отложить. Чтобы снова участвовать, отправьте /start.",
        "decline": "Вы уже отписались от опросов. Чтобы снова участвовать, отправьте /start.",
    },
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_opted_out_contact_pressing_an_old_button_is_told_they_opted_out(
    tg: TelegramHarness, lang: Language
) -> None:
    # Found by hand: after /stop, Skip under the question still on screen answered «This
    # button belongs to an earlier question.» The question was not the trouble: she had
    # opted out, and is told so (as on Slack), in her language, within Telegram's 200
    # characters for a button's answer.
    await onboard(tg, ANNA, "Anna Smith", lang=lang.value)
    await open_round(tg)
    [q1] = questions(tg, ANNA)
    conv = await conversation_of(tg, ANNA)
    assert conv is not None
    await say(tg, ANNA, "/stop")
    sent = len(tg.api.sent_to(ANNA))

    for action, kind in (("skip", "skip"), ("later", "skip"), ("decline", "decline")):
        # The keyboard went with the opt-out; a client that still shows it can press it.
        data = SurveyAction(action=action, conversation=conv.id, question="outcome").pack()
        await press(tg, ANNA, q1, data)
        said = last_callback_answer(tg.api)["text"]
        assert said == OPTED_OUT[lang][kind], action
        assert len(said) <= 200
    assert len(tg.api.sent_to(ANNA)) == sent
    assert await answers_of(tg, ANNA) == []
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.status is ContactStatus.OPTED_OUT


OPTED_OUT_EDIT = {
    Language.EN: "You have opted out of feedback surveys, so you will not be asked anything "
    "more. Your edit of an earlier answer is saved all the same, and client service will read "
    "that answer as it now reads. Send /start to take part in surveys again.",
    Language.RU: "Вы отписались от опросов, поэтому новых вопросов не будет. Исправление "
    "вашего прежнего ответа всё равно сохранено, и клиентский сервис прочитает этот ответ в "
    "новом виде. Чтобы снова участвовать в опросах, отправьте /start.",
}
FINE_AFTER_ALL = {
    Language.EN: "The result is fine after all, it works now",
    Language.RU: "Результат всё-таки хороший, теперь всё работает",
}


@pytest.mark.parametrize("lang", [Language.EN, Language.RU])
async def test_an_opted_out_contact_editing_an_earlier_answer_has_it_kept_and_is_told(
    tg: TelegramHarness, lang: Language
) -> None:
    # After /stop, editing a message that had answered a question did nothing and said
    # nothing: the correction was lost and the client believed it made. They asked for no
    # more surveys, not to take back what they said: the edit is kept as any edit is (the
    # answer re-read, its alert updated), and they hear once, in their language, what
    # happened and how to come back.
    await onboard(tg, ANNA, "Anna Smith", lang=lang.value)
    await open_round(tg)
    message_id = await say(tg, ANNA, NEGATIVE)
    [alert] = await all_alerts(tg)
    await say(tg, ANNA, "/stop")
    sent, owner_sent = len(tg.texts(ANNA)), len(tg.api.sent_to(OWNER_ID))
    asked = len(questions(tg, ANNA))

    edit = tg.api.edited_message(ANNA, FINE_AFTER_ALL[lang], message_id=message_id)
    await tg.process(edit)
    await tg.process(edit)  # delivered again: nothing changes, nothing is said twice

    [answer] = await answers_of(tg, ANNA)
    assert answer.text == FINE_AFTER_ALL[lang] and answer.edited_at is not None
    assert [h["text"] for h in answer.history] == [NEGATIVE]
    assert tg.texts(ANNA)[sent:] == [OPTED_OUT_EDIT[lang]]
    [after] = await all_alerts(tg)
    assert after.id == alert.id and not still_negative(after)
    assert len(tg.api.sent_to(OWNER_ID)) == owner_sent  # the card is edited in place
    assert [c for c in tg.api.calls_to("editMessageText") if c.params["chat_id"] == OWNER_ID]
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.status is ContactStatus.OPTED_OUT
    assert len(questions(tg, ANNA)) == asked  # nothing asked


# --- 6: an owner who blocked the bot ---------------------------------------------------------


async def test_alerts_an_owner_cannot_receive_go_to_admins_and_the_staff_list_says_so(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    tg.api.fail_next(
        "sendMessage",
        error_code=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=OWNER_ID,
        times=100,
    )

    await say(tg, ANNA, NEGATIVE)
    await tg.deliver()  # the forwarded copies were recorded when the owner's copy failed

    assert tg.texts(OWNER_ID) == []
    assert "An alert for Globex could not reach its owner Olga Owner, so it comes to you." in (
        tg.texts(ADMIN_ID)
    )
    [forwarded] = alert_texts(tg, ADMIN_ID)
    assert NEGATIVE in forwarded
    staff = await admin_says(tg, "/staff")
    olga = next(line for line in staff.splitlines() if "Olga" in line)
    # The "alerts" column: not to her, to the managers and admins.
    assert olga.split()[-4:] == ["to", "managers", "since", "2026-11-02"]

    # The next alert goes to the admin straight away; nothing more is tried on the owner.
    tries = len(tg.api.calls_to("sendMessage"))
    await say(tg, ANNA, "Slow, you missed every deadline, terrible")
    assert len(alert_texts(tg, ADMIN_ID)) == 2
    to_owner = [
        c for c in tg.api.calls_to("sendMessage")[tries:] if c.params["chat_id"] == OWNER_ID
    ]
    assert to_owner == []


async def test_an_owner_who_uses_the_bot_again_gets_alerts_again(tg: TelegramHarness) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    tg.api.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user",
        chat_id=OWNER_ID,
    )  # fmt: skip
    await say(tg, ANNA, NEGATIVE)
    await tg.deliver()
    assert len(alert_texts(tg, ADMIN_ID)) == 1

    await tg.process(tg.api.text_message(OWNER_ID, "/alerts", user_id=OWNER_ID))
    staff = await admin_says(tg, "/staff")
    assert "managers since" not in staff
    await say(tg, ANNA, "Slow, you missed every deadline, terrible")
    assert len(alert_texts(tg, OWNER_ID)) == 1


# --- 7: a flood of comments ------------------------------------------------------------------


async def test_a_conversations_comments_make_one_alert_updated_in_place(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await answered_all(tg, ANNA)

    for i in range(15):
        await say(tg, ANNA, f"Terrible, nothing works again ({i})")

    [alert] = await all_alerts(tg)
    [message] = alert_texts(tg, OWNER_ID)  # one message, edited in place
    edits = [c for c in tg.api.calls_to("editMessageText") if c.params["chat_id"] == OWNER_ID]
    assert len(edits) == 10  # the cap: later comments are stored, not paged
    assert all(c.status == 200 for c in edits)
    assert "(0)" in message and "(10)" in message and "(11)" not in message
    assert "Updated: 11 negative comments from this client in this round." in message
    comments = [a for a in await answers_of(tg, ANNA) if a.question_key == "comment"]
    assert len(comments) == 15
    assert len(alert.notes) == 10


# --- 8: an edited answer ---------------------------------------------------------------------


async def test_an_answer_edited_to_fine_marks_its_alert_and_updates_the_owners_message(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    answer_id = await say(tg, ANNA, NEGATIVE)
    [alert_text] = alert_texts(tg, OWNER_ID)
    # The question as Anna saw it, not the internal key.
    assert "Question: Are you satisfied with the result, and was the solution adequate" in (
        alert_text
    )

    await tg.process(
        tg.api.edited_message(ANNA, "Actually the outcome was fine", message_id=answer_id)
    )

    [alert] = await all_alerts(tg)  # kept, not deleted
    assert not still_negative(alert)
    [edit] = tg.api.calls_to("editMessageText")
    assert edit.status == 200 and edit.params["chat_id"] == OWNER_ID
    [now] = alert_texts(tg, OWNER_ID)
    assert "Actually the outcome was fine" in now
    assert "The client edited this answer; it no longer reads as negative." in now


async def test_a_quick_second_message_on_an_alerted_answer_is_added_not_edited(
    tg: TelegramHarness,
) -> None:
    # The owner's alert said "The client edited this answer" when the client had only
    # written a second message before question 2 reached them: joining it went through
    # the edit path, whose status line and timeline say "edited".
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await tg.process(tg.api.text_message(ANNA, NEGATIVE), deliver=False)
    second = tg.api.text_message(ANNA, "And support takes days to answer.")
    await tg.deliver()
    await tg.process(second)

    assert tg.texts(ANNA)[-1] == ADDED
    [now] = alert_texts(tg, OWNER_ID)
    assert f"{NEGATIVE}\nAnd support takes days to answer." in now
    assert "The client added to this answer; it still reads as negative." in now
    assert "edited" not in now
    [alert] = await all_alerts(tg)
    timeline = await admin_says(tg, f"/alert {alert.id}")
    # What was added, not the whole answer before it (the answer follows in full).
    assert "the client added to the answer: «And support takes days to answer.»" in timeline
    assert "edited" not in timeline


async def test_editing_one_message_of_a_joined_answer_changes_only_its_part(
    tg: TelegramHarness,
) -> None:
    # An answer made of two quick messages: editing the first replaced the whole answer
    # with it (the second message's words left the answer), and editing the second was
    # taken as a new message answering question 2.
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    first = tg.api.text_message(ANNA, "The result is good.")
    first_id = first["message"]["message_id"]
    await tg.process(first, deliver=False)
    second = tg.api.text_message(ANNA, "The docs were late.")
    second_id = second["message"]["message_id"]
    await tg.deliver()
    await tg.process(second)

    await tg.process(tg.api.edited_message(ANNA, "The result is fine.", message_id=first_id))
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == "The result is fine.\nThe docs were late."

    await tg.process(tg.api.edited_message(ANNA, "The docs came on time.", message_id=second_id))
    [outcome] = await answers_of(tg, ANNA)  # still one answer: question 2 is unanswered
    assert outcome.question_key == "outcome"
    assert outcome.text == "The result is fine.\nThe docs came on time."
    assert [h["text"] for h in outcome.history] == [
        "The result is good.",
        "The result is good.\nThe docs were late.",
        "The result is fine.\nThe docs were late.",
    ]
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.current_question == "speed"
    assert tg.texts(ANNA)[-1] == "Your edited answer is saved."


async def test_editing_a_part_of_an_answer_in_an_earlier_conversation_changes_that_answer(
    tg: TelegramHarness,
) -> None:
    # The next round's invitation closes the one before (a contact answers one round at a
    # time). Editing the quick second message of an answer in that earlier conversation was
    # looked up in the current conversation only, and the edit was lost (editing the first
    # message of the same answer did update it).
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await tg.process(tg.api.text_message(ANNA, NEGATIVE), deliver=False)
    second = tg.api.text_message(ANNA, "The docs were late.")
    second_id = second["message"]["message_id"]
    await tg.deliver()
    await tg.process(second)
    earlier = await conversation_of(tg, ANNA)
    assert earlier is not None and earlier.current_question == "speed"
    tg.clock.advance(timedelta(days=1))
    assert "1 contact invited" in await open_round(tg)
    now_asking = await conversation_of(tg, ANNA)
    assert now_asking is not None and now_asking.id != earlier.id
    assert now_asking.current_question == "outcome"

    await tg.process(tg.api.edited_message(ANNA, "The docs came on time.", message_id=second_id))

    assert await answers_of(tg, ANNA) == []  # the round being asked got no answer
    async with tg.app.uow() as uow:
        [outcome] = await uow.answers.for_conversations([earlier.id])
    assert outcome.text == f"{NEGATIVE}\nThe docs came on time."
    assert outcome.edited_at is not None
    assert tg.texts(ANNA)[-1] == "Your edited answer is saved."
    # Stored, re-scored and its alert updated, as an edit in the current conversation is.
    [alert] = await all_alerts(tg)
    assert alert.answer_id == outcome.id
    [now] = alert_texts(tg, OWNER_ID)
    assert f"{NEGATIVE}\nThe docs came on time." in now
    assert "The client edited this answer" in now


async def test_an_answer_typed_as_fifty_quick_messages_stores_each_message_once(
    tg: TelegramHarness,
) -> None:
    # Every history entry of a joined answer listed all its parts so far (and the whole text
    # before): 50 quick messages stored ~60 times the answer. Now each entry holds what
    # changed; what the client and the owner see is the same.
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    parts = [NEGATIVE] + [
        f"Part {i:02d}: and one more thing about the delivery." for i in range(49)
    ]
    ids = []
    for text in parts:  # all written before question 2 reached Anna
        update = tg.api.text_message(ANNA, text)
        ids.append(update["message"]["message_id"])
        await tg.process(update, deliver=False)
    await tg.deliver()

    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == "\n".join(parts)
    assert len(outcome.history) == 49
    stored = len(json.dumps(outcome.history, ensure_ascii=False))
    assert stored <= 3 * len(outcome.text), (stored, len(outcome.text))
    assert tg.texts(ANNA)[-1] == ADDED
    [alert] = await all_alerts(tg)
    [now] = alert_texts(tg, OWNER_ID)
    assert parts[-1] in now and "The client added to this answer" in now

    # Editing one message changes its part only, wherever it sits.
    await tg.process(tg.api.edited_message(ANNA, "Part 25: fine, no notes.", message_id=ids[26]))
    [outcome] = await answers_of(tg, ANNA)
    edited = [*parts[:26], "Part 25: fine, no notes.", *parts[27:]]
    assert outcome.text == "\n".join(edited)
    assert tg.texts(ANNA)[-1] == "Your edited answer is saved."
    stored = len(json.dumps(outcome.history, ensure_ascii=False))
    assert stored <= 4 * len(outcome.text), (stored, len(outcome.text))
    [now] = alert_texts(tg, OWNER_ID)
    assert "Part 25: fine, no notes." in now and "The client edited this answer" in now
    await tg.process(tg.api.edited_message(ANNA, "The result is bad.", message_id=ids[0]))
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == "\n".join(["The result is bad.", *edited[1:]])
    seen = len(tg.texts(ADMIN_ID))
    await admin_says(tg, f"/alert {alert.id}")
    timeline = "\n".join(tg.texts(ADMIN_ID)[seen:])
    assert "the client edited the answer; before: «The result is bad, nothing works" in timeline
    # Its alert notes each change by reference, and /alert shows the last 3 changes with the
    # earlier 48 counted in one line (it printed 51 clipped copies of the earlier answer).
    [alert] = await all_alerts(tg)
    assert len(json.dumps(alert.notes, ensure_ascii=False)) <= 3 * len(outcome.text)
    assert "48 earlier changes by the client (additions: 48, edits: 0)" in timeline
    shown = re.findall(r"the client (added to|edited) the answer", timeline)
    assert shown == ["added to", "edited", "edited"]


async def test_editing_a_short_part_keeps_a_long_part_marked_shortened(
    tg: TelegramHarness,
) -> None:
    # A first message cut to MAX_ANSWER_CHARS, then a quick second one: editing the second
    # left the stored answer still cut, but no longer marked so (/alert dropped its note).
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    first = tg.api.text_message(ANNA, "y" * (MAX_ANSWER_CHARS + 50))  # a platform gone wrong
    await tg.process(first, deliver=False)
    second = tg.api.text_message(ANNA, "The docs were late.")
    second_id = second["message"]["message_id"]
    await tg.deliver()
    await tg.process(second)
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.truncated

    await tg.process(tg.api.edited_message(ANNA, "The docs came on time.", message_id=second_id))
    [outcome] = await answers_of(tg, ANNA)
    assert outcome.text == "y" * MAX_ANSWER_CHARS + "\nThe docs came on time."
    assert outcome.truncated
    # The client is told their edit was kept, not that it was shortened: it was not.
    assert tg.texts(ANNA)[-1] == "Your edited answer is saved."


# --- 9: evidence -----------------------------------------------------------------------------


async def test_wordless_text_is_no_complaint_and_markup_is_never_evidence(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await answered_all(tg, ANNA)

    await say(tg, ANNA, "x" * 4000)
    assert await all_alerts(tg) == []

    await say(tg, ANNA, "<b>html</b> and <script>alert(1)</script>")
    for text in alert_texts(tg, OWNER_ID):
        why = text.split("Why flagged:")[1]
        assert "<" not in why and "xxx" not in why


async def test_evidence_quotes_a_phrase_once(tg: TelegramHarness) -> None:
    await onboard(tg, ANNA, "Анна", lang="ru")
    await open_round(tg)

    await say(tg, ANNA, "Ничего не работает. ничего не работает!")

    [text] = alert_texts(tg, OWNER_ID)
    assert text.split("Why flagged:")[1].strip() == "«Ничего не работает»"


# --- 12: one live keyboard -------------------------------------------------------------------


async def test_a_reminder_takes_the_buttons_off_the_question_it_asks_again(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)

    tg.clock.advance(timedelta(days=2, minutes=1))
    await tg.app.service.tick()
    await tg.deliver()

    first, again = questions(tg, ANNA)
    assert first["text"].endswith(f"\n\n{again['text']}")  # the invitation headed the first
    assert buttons(first) == []
    assert [b["text"] for b in buttons(again)] == ["Skip", "Later", "Decline"]


# --- texts -----------------------------------------------------------------------------------


async def test_a_manual_round_is_named_as_a_period(tg: TelegramHarness) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await onboard(tg, BORIS, "Борис", lang="ru")
    await open_round(tg)

    invite_en = next(t for t in tg.texts(ANNA) if t.startswith("Hello, Anna"))
    assert "your honest feedback on the work in November 2026." in invite_en
    invite_ru = next(t for t in tg.texts(BORIS) if t.startswith("Здравствуйте, Борис"))
    assert "честный отзыв о нашей работе в ноябре 2026 года." in invite_ru


async def test_start_from_an_active_contact_is_not_a_welcome_back(tg: TelegramHarness) -> None:
    await onboard(tg, ANNA, "Anna Smith")

    await say(tg, ANNA, "/start")

    assert tg.texts(ANNA)[-1] == (
        "You are connected to client service. We will write here when it is time for a short "
        "feedback survey."
    )


async def test_staff_pressing_a_client_question_button_are_told_what_it_is(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    conv = await conversation_of(tg, ANNA)
    assert conv is not None
    await admin_says(tg, "/alerts")  # a bot message in the admin's chat to press on
    data = SurveyAction(action="skip", conversation=conv.id, question="outcome").pack()

    await press(tg, ADMIN_ID, tg.api.sent_to(ADMIN_ID)[-1], data)

    assert last_callback_answer(tg.api)["text"] == (
        "This button answers a client's survey question; it does nothing for staff."
    )
    after = await conversation_of(tg, ANNA)
    assert after == conv


async def test_an_answer_to_a_question_the_reminder_is_re_sending_still_answers_it(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    await say(tg, ANNA, "Good result")
    tg.clock.advance(timedelta(days=2, minutes=1))
    await tg.app.service.tick()  # question 2 again, not delivered yet

    await tg.process(tg.api.text_message(ANNA, "Fast enough"), deliver=False)

    assert [(a.question_key, a.text) for a in await answers_of(tg, ANNA)] == [
        ("outcome", "Good result"),
        ("speed", "Fast enough"),
    ]


async def test_an_answer_edited_to_praise_still_shows_why_it_was_flagged(
    tg: TelegramHarness,
) -> None:
    # After Anna edited her complaint into thanks, "Why flagged" quoted «thanks», the words
    # of the verdict that cleared it: the owner read praise as the reason for an alert.
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    answer_id = await say(tg, ANNA, NEGATIVE)
    [before] = alert_texts(tg, OWNER_ID)
    [why] = [line for line in before.splitlines() if line.startswith("Why flagged:")]

    edited = "Great work, thank you, everything is fine"
    await tg.process(tg.api.edited_message(ANNA, edited, message_id=answer_id))

    [alert] = await all_alerts(tg)
    assert not still_negative(alert)
    [now] = alert_texts(tg, OWNER_ID)
    assert edited in now and "it no longer reads as negative" in now
    assert [line for line in now.splitlines() if line.startswith("Why flagged:")] == [why]


# --- 9: many quick changes, one edit of the owner's message ---------------------------------


async def test_fifty_quick_messages_edit_the_owners_alert_once_with_the_whole_answer(
    tg: TelegramHarness,
) -> None:
    # Each message joined to the alerted answer queued an edit of the owner's alert with the
    # whole answer so far: 49 edits of one message within seconds (Telegram rate-limits
    # them; the owner's screen flickered). Queued edits of one message now coalesce.
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    parts = [NEGATIVE] + [f"Part {i:02d}: and one more thing." for i in range(49)]
    for part in parts:  # all before question 2 reached Anna
        await tg.process(tg.api.text_message(ANNA, part), deliver=False)
    await tg.deliver()

    [answer] = await answers_of(tg, ANNA)
    assert answer.text == "\n".join(parts)
    edits = [c for c in tg.api.calls_to("editMessageText") if c.params["chat_id"] == OWNER_ID]
    assert len(edits) == 1
    assert all(c.status == 200 for c in edits)
    [now] = alert_texts(tg, OWNER_ID)  # one message, showing the answer as it ends
    assert parts[1] in now and parts[-1] in now
    assert "The client added to this answer; it still reads as negative." in now
    tg.api.assert_no_violations()


async def test_many_quick_edits_after_the_alert_arrived_end_in_the_last_text(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    answer_id = await say(tg, ANNA, NEGATIVE)  # the alert is on the owner's screen
    assert len(alert_texts(tg, OWNER_ID)) == 1
    for i in range(20):
        update = tg.api.edited_message(
            ANNA, f"Terrible, still broken, edit {i}", message_id=answer_id
        )
        await tg.process(update, deliver=False)
    await tg.deliver()

    edits = [c for c in tg.api.calls_to("editMessageText") if c.params["chat_id"] == OWNER_ID]
    assert len(edits) == 1
    [now] = alert_texts(tg, OWNER_ID)
    assert "Terrible, still broken, edit 19" in now and "edit 18" not in now
