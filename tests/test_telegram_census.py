"""The census on the real aiogram stack against the fake Bot API: a census link opened
with /start, /round <account> census, /census progress and control, /status apart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from surveys.census import Census
from tests.telegram_harness import ADMIN_ID, TelegramHarness

USER = 7001
STRANGER = 7002
EARLY = 7003


async def test_census_link_round_progress_and_control(tg: TelegramHarness) -> None:
    api = tg.api
    admin = {"user_id": ADMIN_ID}
    await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
    await tg.process(api.text_message(ADMIN_ID, "/census Globex", **admin))
    assert "has no census yet" in tg.texts(ADMIN_ID)[-1]
    # Opened before any census: welcomed, told they will hear when it is time.
    await tg.process(api.text_message(ADMIN_ID, "/census Globex link", **admin))
    early = re.search(r"start=(census_[\w-]+)", tg.texts(ADMIN_ID)[-1])
    assert early, tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(EARLY, f"/start {early[1]}", first_name="Eve"))
    [welcome] = tg.texts(EARLY)
    assert "We will write here when it is time for a short feedback survey." in welcome

    tg.clock.advance(timedelta(minutes=5))
    await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
    # "Started" first, then the progress message under it.
    started, progress = tg.texts(ADMIN_ID)[-2:]
    assert "H2 2026 user census of Globex started" in started
    assert "H2 2026 user census of Globex (sending): 1 user, sent 0" in progress
    # Who opened the link before the start is asked with the rest (`candor run`'s census
    # loop); before, a census asked only people with a ticket, and never them.
    assert await Census(tg.app.service).fan_out() == 1
    await tg.deliver()
    assert "Question 1 of 3" in tg.texts(EARLY)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/round Globex census 2026-Q9", **admin))
    assert "half year, like 2026-H1" in tg.texts(ADMIN_ID)[-1]

    await tg.process(api.text_message(ADMIN_ID, "/census Globex link", **admin))
    link = re.search(
        r"https://t\.me/candor_test_bot\?start=(census_[\w-]+)", tg.texts(ADMIN_ID)[-1]
    )
    assert link, tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(USER, f"/start {link[1]}", first_name="Uma"))
    texts = tg.texts(USER)
    # The open census starts at once, and the welcome says so (not "we will write").
    [welcome] = [x for x in texts if "Welcome, Uma" in x]
    assert "A short feedback survey is open now; its questions follow." in welcome
    assert "Question 1 of 3" in texts[-1]

    await tg.process(api.text_message(ADMIN_ID, "/census Globex pause", **admin))
    assert "(paused)" in tg.texts(ADMIN_ID)[-1] and "sent 2" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/census Globex resume", **admin))
    assert "(sending)" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/status Globex", **admin))
    assert "Users: H2 2026 user census — 2 users" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(USER, "Terrible, nothing works and nobody answers"))
    await tg.process(api.text_message(ADMIN_ID, "/census Globex", **admin))
    progress = tg.texts(ADMIN_ID)[-1]
    assert "answered 1" in progress and "Negative share per question: outcome 100%" in progress
    await tg.process(api.text_message(ADMIN_ID, "/status Globex", **admin))
    # One question of three answered: counted, and said to be partial.
    assert (
        "answered 1 (50%), 1 of them partly. Negative share per question: outcome 100%"
        in tg.texts(ADMIN_ID)[-1]
    )
    assert await Census(tg.app.service).fan_out() == 0  # everyone asked: done
    await tg.process(api.text_message(ADMIN_ID, "/census Globex pause", **admin))
    assert tg.texts(ADMIN_ID)[-1].startswith(  # too late to pause, and said so
        "The H2 2026 user census of Globex has already sent all its first questions, so "
        "there is nothing left to pause."
    )

    await tg.process(api.text_message(ADMIN_ID, "/census Globex schedule", **admin))
    assert "opens by itself each half year" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/census Globex schedule quarterly", **admin))
    assert "opens by itself each quarter" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/census Globex schedule weekly", **admin))
    assert "schedule [half-yearly|quarterly|yearly]" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/census Globex revoke", **admin))
    assert "revoked: 2" in tg.texts(ADMIN_ID)[-1]  # the early link and this one
    await tg.process(api.text_message(STRANGER, f"/start {link[1]}", first_name="Sam"))
    assert "withdrawn" in tg.texts(STRANGER)[-1]
    await tg.process(api.text_message(STRANGER, "/start census_unknown", first_name="Sam"))
    assert "not valid" in tg.texts(STRANGER)[-1].lower()


CSV = (
    "Имя;E-mail;Telegram;Уровень;Обращений\n"
    "Анна;anna@example.ru;@anna_s;пользователь;2\n"
    "Борис;not-an-email;;пользователь;1\n"
).encode("cp1251")


async def test_a_staff_member_imports_a_file_from_chat_preview_then_confirm(
    tg: TelegramHarness,
) -> None:
    api = tg.api
    admin = {"user_id": ADMIN_ID}
    await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
    upload = {"file_name": "people.csv", "mime_type": "text/csv", "content": CSV}
    await tg.process(api.document_message(ADMIN_ID, caption="import Globex", **upload, **admin))
    preview = tg.last(ADMIN_ID)
    text = preview["text"]
    assert "nothing written yet" in text and "new 1" in text and "invalid 1" in text
    assert "row 3: invalid e-mail" in text and "press “Import” below" in text
    [[button]] = preview["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Import" and len(api.calls_to("getFile")) == 1

    # Someone not staff pressing it gets nothing; the admin's press writes the same file.
    data, at = button["callback_data"], preview["message_id"]
    await tg.process(api.callback_query(ADMIN_ID, data, message_id=at, user_id=STRANGER))
    refusal = api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert (
        refusal == "This button is only for client service staff."
        and len(api.calls_to("getFile")) == 1
    )
    await tg.process(api.callback_query(ADMIN_ID, data, message_id=at, user_id=ADMIN_ID))
    assert "Imported into Globex: new 1" in tg.texts(ADMIN_ID)[-1]
    assert len(api.calls_to("getFile")) == 2
    assert not [m for m in api.sent_to(ADMIN_ID) if m.get("reply_markup")]  # the button went
    await tg.process(
        api.document_message(ADMIN_ID, caption="import Globex confirm", **upload, **admin)
    )
    assert "new 0, updated 0, unchanged 1" in tg.texts(ADMIN_ID)[-1]

    await tg.process(api.document_message(ADMIN_ID, caption="import", **upload, **admin))
    assert "/import <account> [confirm] (as a CSV/XLSX file's caption)" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/import Globex", **admin))  # no file
    assert "Send a CSV or XLSX file" in tg.texts(ADMIN_ID)[-1]
    # An unknown account, or not staff: the file is not even downloaded.
    downloads = len(api.calls_to("getFile"))
    await tg.process(api.document_message(ADMIN_ID, caption="/import Nowhere", **upload, **admin))
    assert "no account" in tg.texts(ADMIN_ID)[-1].lower()
    await tg.process(api.document_message(STRANGER, caption="import Globex", **upload))
    assert "staff" in tg.texts(STRANGER)[-1].lower()
    assert len(api.calls_to("getFile")) == downloads


CENSUS_LINK_STAFF = {
    "en": "You are client service staff here, so this census link does not make you one of"
    " the account's users: staff get alerts, they are not surveyed.",
    "ru": "Вы сотрудник клиентского сервиса, поэтому эта ссылка переписи не делает вас"
    " пользователем аккаунта: сотрудники получают алерты, опросы им не приходят.",
}


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_staff_opening_a_census_link_are_told_and_not_surveyed(
    tg: TelegramHarness, lang: str
) -> None:
    api = tg.api
    admin = {"user_id": ADMIN_ID}
    await tg.process(api.text_message(ADMIN_ID, "/account_add Globex gold en", **admin))
    await tg.process(api.text_message(ADMIN_ID, f"/staff_add manager {STRANGER} Max", **admin))
    await tg.process(api.text_message(ADMIN_ID, "/round Globex census", **admin))
    await tg.process(api.text_message(ADMIN_ID, "/census Globex link", **admin))
    link = re.search(r"start=(census_[\w-]+)", tg.texts(ADMIN_ID)[-1])
    assert link, tg.texts(ADMIN_ID)[-1]
    # Max (staff) tries the link to see what the client's users will see.
    await tg.process(api.text_message(STRANGER, f"/start {link[1]}", language_code=lang))
    await tg.deliver()
    assert tg.texts(STRANGER) == [CENSUS_LINK_STAFF[lang]]
    assert await Census(tg.app.service).fan_out() == 0
    async with tg.app.uow() as u:
        assert await u.contacts.for_account(1) == []


async def test_census_replies_name_an_account_with_spaces_as_it_must_be_typed(
    tg: TelegramHarness,
) -> None:
    # «/round Acme Ltd census», as the reply suggested, answered «No account «Acme»»: a
    # name with a space is one argument only in quotes.
    api = tg.api
    admin = {"user_id": ADMIN_ID}
    await tg.process(api.text_message(ADMIN_ID, '/account_add "Acme Ltd" gold en', **admin))
    await tg.process(api.text_message(ADMIN_ID, '/census "Acme Ltd"', **admin))
    assert tg.texts(ADMIN_ID)[-1] == '«Acme Ltd» has no census yet: /round "Acme Ltd" census'
    await tg.process(api.text_message(ADMIN_ID, '/round "Acme Ltd" census', **admin))
    started = tg.texts(ADMIN_ID)[-1]  # no one to ask there yet: how to add users
    assert '/import "Acme Ltd"' in started and '/census "Acme Ltd" link' in started
    await tg.process(api.text_message(ADMIN_ID, '/round "Acme Ltd" census', **admin))
    assert tg.texts(ADMIN_ID)[-1].endswith('already exists; /census "Acme Ltd" shows its progress.')

    await tg.process(api.text_message(ADMIN_ID, "/lang ru", **admin))
    await tg.process(api.text_message(ADMIN_ID, '/account_add "Ромашка Плюс" gold ru', **admin))
    await tg.process(api.text_message(ADMIN_ID, '/census "Ромашка Плюс"', **admin))
    assert tg.texts(ADMIN_ID)[-1] == (
        '«Ромашка Плюс»: переписи ещё не было. Начать: /round "Ромашка Плюс" census'
    )
