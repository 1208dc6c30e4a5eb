"""Clients on Telegram, end to end: Candor's real aiogram transport against the fake Bot API.

Onboarding by deep link, a full round with buttons, media, edits and late comments, stale and
forged buttons, HTML in clients' words, /stop and /start, /lang, group chats and a restart in
the middle of a round.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.telegram.callbacks import SurveyAction
from surveys.model import (
    Address,
    Answer,
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Language,
)
from surveys.questions import QUESTION_KEYS, question_text
from surveys.texts import t
from tests.conftest import FakeClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram_harness import ADMIN_ID, TelegramHarness

ACCOUNT = "Globex"
OWNER_ID = 7001  # the account's owner, a staff member with a chat of their own
ANNA = 5001
BORIS = 5002
EVE = 5003
GROUP = -4001234567
LINK = re.compile(r"https://t\.me/candor_test_bot\?start=([\w-]+)")
# A question opens its message, or follows the invitation in the round's first message.
QUESTION_HEADER = re.compile(r"(?:^|\n\n)(?:Question|Вопрос) (\d) (?:of|из) 3\n")

STALE_BUTTON = "This button belongs to an earlier question."
TEXT_PLEASE = "Sorry, I can only read text. Please type your answer in words."
Q1_EN = "Question 1 of 3\nAre you satisfied with the result, and was the solution adequate"
Q2_EN = "Question 2 of 3\nHow do you find the speed of our work and of our answers?"
Q3_EN = "Question 3 of 3\nWas our communication polite and correct?"


# --- staff side ------------------------------------------------------------------------------


async def admin_says(tg: TelegramHarness, command: str) -> str:
    """Run a staff command as the bootstrap admin; the bot's (last) reply."""
    await tg.process(tg.api.text_message(ADMIN_ID, command, user_id=ADMIN_ID))
    return tg.texts(ADMIN_ID)[-1]


async def ensure_account(tg: TelegramHarness, account: str = ACCOUNT) -> None:
    """The account, owned by OWNER_ID (a staff member distinct from the admin), once."""
    async with tg.app.uow() as uow:
        if await uow.accounts.by_name(account) is not None:
            return
        has_owner = any(s.telegram_user_id == OWNER_ID for s in await uow.staff.list())
    assert "added" in await admin_says(tg, f"/account_add {account} gold en Europe/Moscow")
    if not has_owner:
        assert "added as owner" in await admin_says(tg, f"/staff_add owner {OWNER_ID} Olga Owner")
    assert "Owner of" in await admin_says(tg, f"/owner {account} {OWNER_ID}")


async def invite_token(
    tg: TelegramHarness, name: str, lang: str = "en", account: str = ACCOUNT
) -> str:
    await ensure_account(tg, account)
    reply = await admin_says(tg, f'/invite {account} "{name}" stakeholder {lang}')
    link = LINK.search(reply)
    assert link, reply
    return link[1]


async def onboard(
    tg: TelegramHarness, chat: int, name: str, lang: str = "en", account: str = ACCOUNT
) -> int:
    """Account, owner, invite, and the contact opening the link: the contact's id."""
    token = await invite_token(tg, name, lang, account)
    await tg.process(tg.api.text_message(chat, f"/start {token}"))
    contact = await contact_at(tg, chat)
    assert contact is not None and contact.name == name, tg.texts(chat)
    return contact.id


async def open_round(tg: TelegramHarness, account: str = ACCOUNT) -> str:
    return await admin_says(tg, f"/round {account}")


# --- storage ---------------------------------------------------------------------------------


def tg_address(chat: int) -> Address:
    return Address(Channel.TELEGRAM, str(chat))


async def contact_at(tg: TelegramHarness, chat: int) -> Contact | None:
    async with tg.app.uow() as uow:
        return await uow.contacts.by_address(tg_address(chat))


async def conversation_of(tg: TelegramHarness, chat: int) -> Conversation | None:
    contact = await contact_at(tg, chat)
    assert contact is not None
    async with tg.app.uow() as uow:
        return await uow.conversations.current_for_contact(contact.id)


async def answers_of(tg: TelegramHarness, chat: int) -> list[Answer]:
    conv = await conversation_of(tg, chat)
    if conv is None:
        return []
    async with tg.app.uow() as uow:
        return await uow.answers.for_conversations([conv.id])


# --- the client's chat -----------------------------------------------------------------------


async def say(tg: TelegramHarness, chat: int, text: str) -> int:
    """The contact writes ``text``; the id of their message."""
    update = tg.api.text_message(chat, text)
    await tg.process(update)
    return int(update["message"]["message_id"])


def questions(tg: TelegramHarness, chat: int) -> list[dict[str, Any]]:
    """The bot's question messages in the chat, oldest first."""
    return [m for m in tg.api.sent_to(chat) if QUESTION_HEADER.search(str(m.get("text", "")))]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button_data(message: dict[str, Any], action: str) -> str:
    for button in buttons(message):
        data = str(button.get("callback_data", ""))
        if SurveyAction.unpack(data).action == action:
            return data
    raise AssertionError(f"no {action!r} button on {message}")


async def press(tg: TelegramHarness, chat: int, message: dict[str, Any], data: str) -> None:
    await tg.process(tg.api.callback_query(chat, data, message_id=int(message["message_id"])))


def last_callback_answer(api: FakeTelegramAPI) -> dict[str, Any]:
    calls = api.calls_to("answerCallbackQuery")
    assert calls, "the button press was never answered"
    assert calls[-1].status == 200, calls[-1].body
    return calls[-1].params


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def span_of(text: str, part: str) -> tuple[int, int]:
    """Where ``part`` sits in ``text``, in the UTF-16 units entity offsets use."""
    index = text.index(part)
    start = utf16_len(text[:index])
    return start, start + utf16_len(part)


def styled_over(message: dict[str, Any], span: tuple[int, int]) -> list[dict[str, Any]]:
    """Formatting entities overlapping ``span`` (a blockquote around a quote is layout)."""
    start, end = span
    return [
        e
        for e in message.get("entities", [])
        if e["type"] != "blockquote" and e["offset"] < end and start < e["offset"] + e["length"]
    ]


# --- onboarding by deep link -----------------------------------------------------------------


async def test_invite_link_binds_the_chat_and_greets_in_the_contacts_language(
    tg: TelegramHarness,
) -> None:
    token = await invite_token(tg, "Борис Петров", lang="ru")
    # The Telegram client is set to English, but the manager invited Boris in Russian.
    await tg.process(tg.api.text_message(BORIS, f"/start {token}", language_code="en"))

    assert tg.texts(BORIS) == [
        "Добро пожаловать, Борис Петров! Вы подключены к клиентскому сервису Acme IT. Мы "
        "напишем сюда, когда придёт время короткого опроса. /stop — отписаться, /lang — "
        "сменить язык."
    ]
    contact = await contact_at(tg, BORIS)
    assert contact is not None
    assert (contact.name, contact.status, contact.language) == (
        "Борис Петров",
        ContactStatus.ACTIVE,
        Language.RU,
    )


async def test_the_russian_invitation_names_the_team_once(tg: TelegramHarness) -> None:
    # It read «Это служба клиентского сервиса Acme IT»: "the service of client service".
    await onboard(tg, BORIS, "Борис Петров", lang="ru")
    await open_round(tg)
    [invitation] = questions(tg, BORIS)
    assert str(invitation["text"]).startswith(
        "Здравствуйте, Борис Петров! Это команда клиентского сервиса Acme IT. "
        "Нам важен ваш честный отзыв о нашей работе в ноябре 2026 года."
    )


async def test_a_used_link_opened_from_another_chat_binds_nothing(tg: TelegramHarness) -> None:
    token = await invite_token(tg, "Anna Smith")
    await tg.process(tg.api.text_message(ANNA, f"/start {token}"))
    assert tg.texts(ANNA)[-1].startswith("Welcome, Anna Smith!")

    await tg.process(tg.api.text_message(BORIS, f"/start {token}", first_name="Mallory"))

    assert tg.texts(BORIS) == [
        "This invitation link has already been used. Ask your client service manager for a new one."
    ]
    assert await contact_at(tg, BORIS) is None
    anna = await contact_at(tg, ANNA)
    assert anna is not None and anna.name == "Anna Smith"


async def test_an_expired_link_binds_nothing(tg: TelegramHarness) -> None:
    token = await invite_token(tg, "Anna Smith")
    tg.clock.advance(timedelta(days=14, minutes=1))

    await tg.process(tg.api.text_message(ANNA, f"/start {token}"))

    assert tg.texts(ANNA) == [
        "This invitation link has expired. Ask your client service manager for a new one."
    ]
    assert await contact_at(tg, ANNA) is None
    async with tg.app.uow() as uow:
        account = await uow.accounts.by_name(ACCOUNT)
        assert account is not None
        [contact] = await uow.contacts.for_account(account.id)
    assert contact.status is ContactStatus.INVITED and contact.reachable_at is None


async def test_an_unknown_token_is_not_valid(tg: TelegramHarness) -> None:
    await invite_token(tg, "Anna Smith")

    await tg.process(tg.api.text_message(ANNA, "/start NoSuchToken-123"))

    assert tg.texts(ANNA) == [
        "This invitation link is not valid. Please check it, or ask your client service "
        "manager for a new one."
    ]
    assert await contact_at(tg, ANNA) is None


async def test_plain_start_from_a_stranger(tg: TelegramHarness) -> None:
    await tg.process(tg.api.text_message(ANNA, "/start"))

    assert tg.texts(ANNA) == [
        "Hello! I don't know you yet. Please ask your client service manager for an invite."
    ]
    assert await contact_at(tg, ANNA) is None


async def test_a_stranger_writing_in_russian_is_answered_in_russian(tg: TelegramHarness) -> None:
    # /start from a stranger followed their Telegram language, but a plain message (or a
    # sticker) got the English default: the domain never heard the sender's language.
    await tg.process(tg.api.text_message(ANNA, "Здравствуйте, кто вы?", language_code="ru"))
    await tg.process(tg.api.sticker_message(ANNA, language_code="ru"))

    unknown = t("unknown_user", Language.RU)
    assert tg.texts(ANNA) == [unknown, unknown]
    assert await contact_at(tg, ANNA) is None


# --- a round ---------------------------------------------------------------------------------


async def test_a_full_round_with_buttons_media_edits_and_a_late_comment(
    tg: TelegramHarness,
) -> None:
    api = tg.api
    await onboard(tg, ANNA, "Anna Smith")
    assert "1 contact invited" in await open_round(tg)

    # One message: the invitation, then question 1, with its three buttons.
    *welcome, q1 = api.sent_to(ANNA)
    assert q1["text"].startswith("Hello, Anna Smith! This is the client service team of")
    assert f"\n\n{Q1_EN}" in q1["text"]
    assert [b["text"] for b in buttons(q1)] == ["Skip", "Later", "Decline"]
    assert not any("client service team of" in m["text"] for m in welcome)

    # Question 1, answered in words.
    q1_answer_id = await say(tg, ANNA, "Great result, we are satisfied")
    q2 = tg.last(ANNA)
    assert q2["text"] == Q2_EN
    [outcome] = await answers_of(tg, ANNA)
    assert (outcome.question_key, outcome.text) == ("outcome", "Great result, we are satisfied")

    # Question 2, skipped with its button: the press is answered and the buttons go
    # (question 1's went when it was answered in words).
    await press(tg, ANNA, q2, button_data(q2, "skip"))
    assert "text" not in last_callback_answer(api)
    edits = api.calls_to("editMessageReplyMarkup")
    assert [(e.status, e.params["message_id"]) for e in edits] == [
        (200, q1["message_id"]),
        (200, q2["message_id"]),
    ]
    q2_now = next(m for m in api.sent_to(ANNA) if m["message_id"] == q2["message_id"])
    assert "reply_markup" not in q2_now
    assert tg.texts(ANNA)[-2:] == ["Skipped.", Q3_EN]
    assert [a.question_key for a in await answers_of(tg, ANNA)] == ["outcome"]

    # A sticker, a voice note and a file: a polite request for words, nothing stored.
    for update in (
        api.sticker_message(ANNA),
        api.voice_message(ANNA),
        api.document_message(ANNA),
    ):
        await tg.process(update)
        assert tg.texts(ANNA)[-1] == TEXT_PLEASE
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.current_question == "politeness"
    assert conv.status.is_open
    assert len(await answers_of(tg, ANNA)) == 1

    # Question 3, answered: the conversation is complete.
    await say(tg, ANNA, "Always polite and helpful")
    assert tg.texts(ANNA)[-1] == (
        "Thank you! Your answers are recorded. Client service will read every word."
    )
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.status is ConversationStatus.COMPLETED

    # Editing the first answer replaces the stored text and keeps what it was.
    await tg.process(
        api.edited_message(ANNA, "Great result, very satisfied indeed", message_id=q1_answer_id)
    )
    assert tg.texts(ANNA)[-1] == "Your edited answer is saved."
    outcome, politeness = await answers_of(tg, ANNA)
    assert outcome.text == "Great result, very satisfied indeed"
    assert [h["text"] for h in outcome.history] == ["Great result, we are satisfied"]
    assert outcome.edited_at is not None
    assert (politeness.question_key, politeness.text) == ("politeness", "Always polite and helpful")

    # A photo with a caption after the round: the caption is kept as a comment.
    await tg.process(api.photo_message(ANNA, caption="Here is the dashboard we love"))
    assert tg.texts(ANNA)[-1] == "Thank you, your comment is added to your answers."
    *_, comment = await answers_of(tg, ANNA)
    assert (comment.question_key, comment.text) == ("comment", "Here is the dashboard we love")

    # Every question was sent exactly once, and none keeps a live keyboard.
    assert [m["text"].split("\n\n")[-1].split("\n")[0] for m in questions(tg, ANNA)] == [
        "Question 1 of 3",
        "Question 2 of 3",
        "Question 3 of 3",
    ]
    assert [buttons(m) for m in questions(tg, ANNA)] == [[], [], []]


async def test_question_buttons_are_labelled_in_the_contacts_language(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith", lang="en")
    await onboard(tg, BORIS, "Борис", lang="ru")
    assert "2 contacts invited" in await open_round(tg)

    [anna_q1] = questions(tg, ANNA)
    [boris_q1] = questions(tg, BORIS)
    assert [b["text"] for b in buttons(anna_q1)] == ["Skip", "Later", "Decline"]
    assert [b["text"] for b in buttons(boris_q1)] == ["Пропустить", "Позже", "Не участвовать"]
    assert "\n\nВопрос 1 из 3\nДовольны ли вы результатом" in boris_q1["text"]


async def test_an_old_button_changes_nothing(tg: TelegramHarness) -> None:
    api = tg.api
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    [q1] = questions(tg, ANNA)
    await say(tg, ANNA, "Good result")
    before = await conversation_of(tg, ANNA)
    assert before is not None and before.current_question == "speed"
    sent_before = len(api.sent_to(ANNA))
    edits_before = len(api.calls_to("editMessageReplyMarkup"))

    # Question 1 was answered in words and lost its buttons; a client that still shows the
    # old keyboard can press Skip: it is stale now.
    await press(tg, ANNA, q1, button_data(q1, "skip"))

    assert last_callback_answer(api)["text"] == STALE_BUTTON
    after = await conversation_of(tg, ANNA)
    assert after == before  # same question, same version: nothing was saved
    assert len(api.sent_to(ANNA)) == sent_before
    assert len(api.calls_to("editMessageReplyMarkup")) == edits_before
    assert [a.question_key for a in await answers_of(tg, ANNA)] == ["outcome"]


@pytest.mark.parametrize(
    ("lang", "over"),
    [
        ("en", "This survey has ended; its buttons no longer do anything."),
        ("ru", "Этот опрос уже завершён; его кнопки больше не действуют."),
    ],
)
async def test_a_button_of_a_finished_survey_says_the_survey_is_over(
    tg: TelegramHarness, lang: str, over: str
) -> None:
    # QA: Skip pressed twice under question 3: the first press ended the survey, the second
    # was told «This button belongs to an earlier question.», though there is none after it.
    await onboard(tg, ANNA, "Anna", lang=lang)
    await open_round(tg)
    for text in ("Good result", "Fast"):
        await say(tg, ANNA, text)
    q3 = questions(tg, ANNA)[-1]
    data = button_data(q3, "skip")
    await press(tg, ANNA, q3, data)
    finished = await conversation_of(tg, ANNA)
    assert finished is not None and finished.status is ConversationStatus.COMPLETED

    await press(tg, ANNA, q3, data)

    assert last_callback_answer(tg.api)["text"] == over


async def test_an_old_button_answers_in_the_contacts_language(tg: TelegramHarness) -> None:
    # A contact invited in Russian whose Telegram is set to English read every question in
    # Russian, then «This button belongs to an earlier question.» in English: the stale
    # press was answered in the platform's language instead of the contact's.
    await onboard(tg, BORIS, "Борис", lang="ru")
    await open_round(tg)
    [q1] = questions(tg, BORIS)
    await say(tg, BORIS, "Результат хороший")
    await tg.process(
        tg.api.callback_query(
            BORIS, button_data(q1, "skip"), message_id=int(q1["message_id"]), language_code="en"
        )
    )

    assert last_callback_answer(tg.api)["text"] == t("button_stale", Language.RU)


@pytest.mark.parametrize(
    ("invited", "app", "help_text", "choose"),
    [
        ("ru", "en", "client_help", "Выберите язык: /lang ru или /lang en"),
        ("en", "ru", "client_help", "Choose your language: /lang en or /lang ru"),
    ],
)
async def test_help_and_lang_answer_a_contact_in_their_language_not_their_apps(
    tg: TelegramHarness, invited: str, app: str, help_text: str, choose: str
) -> None:
    # QA: a contact invited in Russian whose Telegram is in English read the survey in
    # Russian, then /help, /lang and a mistyped /command in English (the app's language).
    lang = Language(invited)
    await onboard(tg, BORIS, "Борис", lang=invited)
    for typed in ("/help", "/lnag", "/lang", "/lang xx"):
        await tg.process(tg.api.text_message(BORIS, typed, language_code=app))
    helped, unknown, chosen, chosen_wrong = tg.texts(BORIS)[-4:]
    assert helped == t(help_text, lang)
    assert unknown == t("unknown_command", lang, command="/lnag") + "\n" + t(help_text, lang)
    assert chosen == chosen_wrong == choose


@pytest.mark.parametrize("app", ["ru", "en"])
async def test_help_from_a_stranger_says_candor_does_not_know_them_in_their_apps_language(
    tg: TelegramHarness, app: str
) -> None:
    # QA: someone Candor does not know typed /help and read a contact's commands (/skip,
    # /later, /decline, /stop: none works for them), while /start and a message say
    # "I don't know you yet"; Slack's `/candor help` said the same contact's help.
    lang = Language(app)
    for typed in ("/help", "/lnag"):
        await tg.process(tg.api.text_message(ANNA, typed, language_code=app))
    helped, unknown = tg.texts(ANNA)
    assert helped == t("unknown_user", lang)
    assert unknown == t("unknown_command", lang, command="/lnag") + "\n" + t("unknown_user", lang)
    assert await contact_at(tg, ANNA) is None


async def test_later_tapped_twice_says_so_once(tg: TelegramHarness) -> None:
    # A double tap on Later sent "No problem, I will remind you later" twice: each press
    # is a new callback, and the notice was keyed by the conversation's version.
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    [q1] = questions(tg, ANNA)
    sent_before = len(tg.api.sent_to(ANNA))
    await press(tg, ANNA, q1, button_data(q1, "later"))
    await press(tg, ANNA, q1, button_data(q1, "later"))

    later = [t for t in tg.texts(ANNA)[sent_before:] if t.startswith("No problem")]
    assert later == ["No problem, I will remind you later. You can also just answer any time."]
    assert len(tg.api.calls_to("answerCallbackQuery")) == 2  # both taps answered
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.current_question == "outcome"
    assert conv.reminder_due_at is not None


async def test_a_crafted_button_for_another_conversation_changes_nothing(
    tg: TelegramHarness,
) -> None:
    api = tg.api
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    [q1] = questions(tg, ANNA)
    before = await conversation_of(tg, ANNA)
    assert before is not None
    sent_before = len(api.sent_to(ANNA))

    for action in ("skip", "decline"):
        forged = SurveyAction(
            action=action, conversation=before.id + 1000, question="outcome"
        ).pack()
        await press(tg, ANNA, q1, forged)
        assert last_callback_answer(api)["text"] == STALE_BUTTON

    assert await conversation_of(tg, ANNA) == before
    assert len(api.sent_to(ANNA)) == sent_before
    assert buttons(api.sent_to(ANNA)[-1]) == buttons(q1)  # q1 keeps its buttons
    assert api.calls_to("editMessageReplyMarkup") == []


# --- HTML in clients' words ------------------------------------------------------------------


async def test_html_in_an_answer_and_a_name_reaches_the_owner_as_literal_text(
    tg: TelegramHarness,
) -> None:
    name = "<i>Eve</i>"
    answer = "Terrible, <b>not happy</b> <a href='http://x'>link</a> & <script>"
    await onboard(tg, EVE, name)
    assert tg.texts(EVE)[-1].startswith(f"Welcome, {name}!")
    await open_round(tg)

    await say(tg, EVE, answer)

    [stored] = await answers_of(tg, EVE)
    assert stored.text == answer
    async with tg.app.uow() as uow:
        [alert] = await uow.alerts.list()
    assert alert.answer_id == stored.id

    # The fake parses HTML like Telegram: the client's markup must arrive as plain characters.
    alert_dm = tg.last(OWNER_ID)
    text = alert_dm["text"]
    assert text.startswith("⚠️ Negative feedback")
    assert f"Contact: {name}\n" in text
    assert f"\n{answer}\n" in text
    assert styled_over(alert_dm, span_of(text, answer)) == []
    assert styled_over(alert_dm, span_of(text, name)) == []
    assert not [e for e in alert_dm.get("entities", []) if e["type"] == "text_link"]
    # Candor's own formatting is still there: the answer is quoted, the labels are bold.
    quote = span_of(text, answer)
    assert any(
        e["type"] == "blockquote"
        and e["offset"] <= quote[0] < quote[1] <= e["offset"] + e["length"]
        for e in alert_dm["entities"]
    )
    assert any(e["type"] == "bold" for e in alert_dm["entities"])
    assert [b["text"] for b in buttons(alert_dm)] == ["Acknowledge", "Ask the client", "Resolve"]


# --- /stop, /start, /lang --------------------------------------------------------------------


async def test_stop_opts_out_tells_the_owner_and_start_brings_the_contact_back(
    tg: TelegramHarness,
) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    first = await conversation_of(tg, ANNA)
    assert first is not None and first.status.is_open

    await say(tg, ANNA, "/stop")

    assert tg.texts(ANNA)[-1] == (
        "You will not receive feedback surveys any more. Send /start to come back at any time."
    )
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.status is ContactStatus.OPTED_OUT
    assert tg.texts(OWNER_ID)[-1] == "Anna Smith (Globex) opted out of feedback surveys."
    stopped = await conversation_of(tg, ANNA)
    assert stopped is not None and stopped.id == first.id
    assert stopped.status is ConversationStatus.DECLINED

    # The next day's round leaves her out.
    tg.clock.advance(timedelta(days=1))
    sent_before = len(tg.api.sent_to(ANNA))
    assert "0 contacts invited" in await open_round(tg)
    assert len(tg.api.sent_to(ANNA)) == sent_before
    still = await conversation_of(tg, ANNA)
    assert still is not None and still.id == first.id

    # /start without a token: back in, and asked in the round that opened while she was out
    # (welcome first, then the invitation).
    await say(tg, ANNA, "/start")
    assert tg.texts(ANNA)[-2] == "Welcome back! You will receive our feedback surveys again."
    assert Q1_EN in tg.texts(ANNA)[-1]
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.status is ContactStatus.ACTIVE

    tg.clock.advance(timedelta(days=1))
    assert "1 contact invited" in await open_round(tg)
    assert Q1_EN in tg.texts(ANNA)[-1]
    latest = await conversation_of(tg, ANNA)
    assert latest is not None and latest.id != first.id and latest.status.is_open


async def test_lang_switches_the_next_question_to_russian(tg: TelegramHarness) -> None:
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    assert Q1_EN in tg.texts(ANNA)[-1]

    await say(tg, ANNA, "/lang xx")
    assert tg.texts(ANNA)[-1] == "Choose your language: /lang en or /lang ru"
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.language is Language.EN

    await say(tg, ANNA, "/lang ru")
    assert tg.texts(ANNA)[-2:] == ["Язык изменён на русский.", asked(1, Language.RU)]
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.language is Language.RU

    await say(tg, ANNA, "Good result")
    q2 = tg.last(ANNA)
    assert q2["text"] == "Вопрос 2 из 3\nКак вы оцениваете скорость нашей работы и ответов?"
    assert [b["text"] for b in buttons(q2)] == ["Пропустить", "Позже", "Не участвовать"]
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.language is Language.RU


LANGUAGE_SET = {Language.EN: "Language set to English.", Language.RU: "Язык изменён на русский."}


@pytest.mark.parametrize(
    ("typed_text", "wanted"),
    [("lang ru", Language.RU), ("Lang RU", Language.RU), ("  язык   ru ", Language.RU),
     ("LANG EN", Language.EN), ("Язык en", Language.EN)],
)  # fmt: skip
async def test_a_language_switch_typed_without_the_slash_is_the_command(
    tg: TelegramHarness, typed_text: str, wanted: Language
) -> None:
    # QA: "lang ru" written without the slash was stored as the answer to question 1.
    other = Language.EN if wanted is Language.RU else Language.RU
    await onboard(tg, ANNA, "Anna", lang=other.value)
    await open_round(tg)
    sent = len(tg.texts(ANNA))

    await say(tg, ANNA, typed_text)

    assert await answers_of(tg, ANNA) == []
    contact = await contact_at(tg, ANNA)
    conv = await conversation_of(tg, ANNA)
    assert contact is not None and contact.language is wanted
    assert conv is not None and conv.language is wanted and conv.current_question == "outcome"
    # As /lang answers; then the question they are on, in the language now chosen.
    assert tg.texts(ANNA)[sent:] == [LANGUAGE_SET[wanted], asked(1, wanted)]
    await say(tg, ANNA, "Good result")
    assert [a.question_key for a in await answers_of(tg, ANNA)] == ["outcome"]
    assert tg.texts(ANNA)[-1].startswith(
        "Question 2 of 3" if wanted is Language.EN else "Вопрос 2 из 3"
    )


def asked(n: int, lang: Language) -> str:
    """Question ``n`` (from 1) as the survey words it in ``lang``."""
    header = t("question_header", lang, n=n, count=len(QUESTION_KEYS))
    return f"{header}\n{question_text(QUESTION_KEYS[n - 1], lang)}"


@pytest.mark.parametrize("wanted", [Language.RU, Language.EN])
@pytest.mark.parametrize("typed", ["/lang {}", "lang {}"])
async def test_lang_mid_survey_asks_the_current_question_again_in_the_new_language(
    tg: TelegramHarness, wanted: Language, typed: str
) -> None:
    # QA: /lang at question 2 answered only "Language set…": question 2 stayed on screen in
    # the old language, and only question 3 came in the new one.
    other = Language.EN if wanted is Language.RU else Language.RU
    await onboard(tg, ANNA, "Anna", lang=other.value)
    await open_round(tg)
    await say(tg, ANNA, "Good result")
    sent = len(tg.api.sent_to(ANNA))

    await say(tg, ANNA, typed.format(wanted.value))
    await say(tg, ANNA, typed.format(wanted.value))  # once is enough, however often typed

    new = tg.api.sent_to(ANNA)[sent:]
    said = [LANGUAGE_SET[wanted], asked(2, wanted), LANGUAGE_SET[wanted]]
    assert [m["text"] for m in new] == said
    labels = [t(f"button.{b}", wanted) for b in ("skip", "later", "decline")]
    assert [b["text"] for b in buttons(new[1])] == labels
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.current_question == QUESTION_KEYS[1]
    assert [a.question_key for a in await answers_of(tg, ANNA)] == [QUESTION_KEYS[0]]
    await press(tg, ANNA, new[1], button_data(new[1], "skip"))  # its buttons work
    assert tg.texts(ANNA)[-1] == asked(3, wanted)


@pytest.mark.parametrize("wanted", [Language.RU, Language.EN])
async def test_lang_after_the_last_answer_asks_nothing_again(
    tg: TelegramHarness, wanted: Language
) -> None:
    other = Language.EN if wanted is Language.RU else Language.RU
    await onboard(tg, ANNA, "Anna", lang=other.value)
    await open_round(tg)
    for words in ("Good result", "Fast", "Polite"):
        await say(tg, ANNA, words)
    sent = len(tg.api.sent_to(ANNA))
    await say(tg, ANNA, f"/lang {wanted.value}")
    assert [m["text"] for m in tg.api.sent_to(ANNA)[sent:]] == [LANGUAGE_SET[wanted]]


@pytest.mark.parametrize("text", ["lang ru please", "my lang is ru", "lang de", "язык русский"])
async def test_an_answer_that_only_mentions_a_language_is_an_answer(
    tg: TelegramHarness, text: str
) -> None:
    await onboard(tg, ANNA, "Anna")
    await open_round(tg)
    await say(tg, ANNA, text)
    assert [a.text for a in await answers_of(tg, ANNA)] == [text]
    contact = await contact_at(tg, ANNA)
    assert contact is not None and contact.language is Language.EN


@pytest.mark.parametrize(("invited", "switched"), [(Language.RU, Language.EN),
                                                   (Language.EN, Language.RU)])  # fmt: skip
async def test_after_lang_on_a_finished_conversation_every_reply_is_in_the_new_language(
    tg: TelegramHarness, invited: Language, switched: Language
) -> None:
    # Found by hand: Boris answered every question in Russian, sent /lang en, then a sticker:
    # «Извините, я понимаю только текст…» in Russian. The finished conversation kept the
    # language it was held in, and the reply to the sticker was worded in it.
    await onboard(tg, BORIS, "Boris Ivanov", lang=invited.value)
    await open_round(tg)
    for words in ("Good result", "Fast enough", "Polite"):
        await say(tg, BORIS, words)
    assert tg.texts(BORIS)[-1] == t("thanks", invited)

    await say(tg, BORIS, f"/lang {switched.value}")
    assert tg.texts(BORIS)[-1] == t("language_set", switched)

    await tg.process(tg.api.sticker_message(BORIS, language_code=invited.value))
    assert tg.texts(BORIS)[-1] == t("text_please", switched)
    await say(tg, BORIS, "One more thing: thanks")
    assert tg.texts(BORIS)[-1] == t("comment_kept", switched)
    await say(tg, BORIS, "/skip")
    assert tg.texts(BORIS)[-1] == t("no_conversation", switched)
    # An old button (a client that still shows it) is answered in the new language too.
    conv = await conversation_of(tg, BORIS)
    assert conv is not None
    [q1, *_] = questions(tg, BORIS)
    old = SurveyAction(action="decline", conversation=conv.id, question="outcome").pack()
    await press(tg, BORIS, q1, old)
    # (Its survey has ended, and it says so rather than "an earlier question".)
    assert last_callback_answer(tg.api)["text"] == t("button_survey_over", switched)
    # The conversation is still on record in the language it was held in.
    assert conv.language is invited
    assert conv.status is ConversationStatus.COMPLETED


# --- group chats -----------------------------------------------------------------------------


async def test_group_chats_are_not_surveys(tg: TelegramHarness) -> None:
    api = tg.api
    await onboard(tg, ANNA, "Anna Smith")
    await open_round(tg)
    sent_to_anna = len(api.sent_to(ANNA))

    # Anna, a bound contact, chats in a group the bot is in: not an answer.
    await tg.process(
        api.text_message(GROUP, "Great result, very satisfied", user_id=ANNA, chat_type="group")
    )
    assert api.sent_to(GROUP) == []
    assert len(api.sent_to(ANNA)) == sent_to_anna
    assert await answers_of(tg, ANNA) == []
    conv = await conversation_of(tg, ANNA)
    assert conv is not None and conv.current_question == "outcome"

    await tg.process(api.text_message(GROUP, "/start", user_id=ANNA, chat_type="group"))
    assert tg.texts(GROUP) == [
        "I only run feedback surveys in private chats. Please write to me directly."
    ]
    assert len(api.sent_to(ANNA)) == sent_to_anna
    assert await answers_of(tg, ANNA) == []


# --- a restart in the middle of a round ------------------------------------------------------


async def test_a_restart_mid_round_loses_nothing_and_repeats_nothing(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/restart.db"
    first = await TelegramHarness.start(api, url, clock)
    try:
        await onboard(first, ANNA, "Anna Smith")
        await open_round(first)
        await say(first, ANNA, "Great result, satisfied")
        assert first.texts(ANNA)[-1] == Q2_EN
    finally:
        await first.stop()

    second = await TelegramHarness.start(api, first.settings.database_url, clock)
    try:
        await say(second, ANNA, "Fast and timely")
        assert second.texts(ANNA)[-1] == Q3_EN
        outcome, speed = await answers_of(second, ANNA)
        assert (outcome.question_key, outcome.text) == ("outcome", "Great result, satisfied")
        assert (speed.question_key, speed.text) == ("speed", "Fast and timely")
        sent = [m["text"] for m in questions(second, ANNA)]
        assert len(sent) == 3 and Q1_EN in sent[0] and sent[1:] == [Q2_EN, Q3_EN]
        async with second.app.uow() as uow:
            assert await uow.outbox.list("pending") == []
    finally:
        await second.stop()


async def test_a_reply_recorded_before_a_restart_is_delivered_once_after_it(
    api: FakeTelegramAPI, tmp_path: Path, clock: FakeClock
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/restart.db"
    first = await TelegramHarness.start(api, url, clock)
    try:
        await onboard(first, ANNA, "Anna Smith")
        await open_round(first)
        # Handled and committed, but the process stops before the outbox is delivered.
        await first.process(api.text_message(ANNA, "Great result, satisfied"), deliver=False)
        assert len(questions(first, ANNA)) == 1
    finally:
        await first.stop()

    second = await TelegramHarness.start(api, url, clock)
    try:
        await second.deliver()
        assert second.texts(ANNA)[-1] == Q2_EN
        await second.deliver()
        _, q2 = questions(second, ANNA)
        assert q2["text"] == Q2_EN

        # The question 2 button still works after the restart.
        await press(second, ANNA, q2, button_data(q2, "skip"))
        assert second.texts(ANNA)[-2:] == ["Skipped.", Q3_EN]
        assert len(questions(second, ANNA)) == 3
        [outcome] = await answers_of(second, ANNA)
        assert outcome.text == "Great result, satisfied"
    finally:
        await second.stop()
