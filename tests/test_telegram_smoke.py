"""A first pass through the Telegram transport: admin invites, contact joins and answers."""

from __future__ import annotations

import re

from tests.telegram_harness import ADMIN_ID, TelegramHarness

ANNA = 5001


async def test_invite_join_answer_alert(tg: TelegramHarness) -> None:
    api = tg.api
    await tg.process(
        api.text_message(ADMIN_ID, "/account_add Globex gold en Europe/Moscow", user_id=ADMIN_ID)
    )
    assert "Account «Globex» added" in tg.texts(ADMIN_ID)[-1]
    await tg.process(api.text_message(ADMIN_ID, f"/owner Globex {ADMIN_ID}", user_id=ADMIN_ID))
    await tg.process(api.text_message(ADMIN_ID, '/invite Globex "Anna Smith"', user_id=ADMIN_ID))
    link = re.search(r"https://t\.me/candor_test_bot\?start=([\w-]+)", tg.texts(ADMIN_ID)[-1])
    assert link, tg.texts(ADMIN_ID)
    await tg.process(api.text_message(ANNA, f"/start {link[1]}"))
    assert "Welcome, Anna Smith" in tg.texts(ANNA)[-1]
    await tg.process(api.text_message(ADMIN_ID, "/round Globex", user_id=ADMIN_ID))
    assert "Question 1 of 3" in tg.texts(ANNA)[-1]
    await tg.process(api.text_message(ANNA, "Terrible <b>result</b>, not happy"))
    alert = tg.last(ADMIN_ID)
    assert "Terrible <b>result</b>, not happy" in alert["text"]
    assert alert["reply_markup"]["inline_keyboard"][0][0]["text"] == "Acknowledge"
