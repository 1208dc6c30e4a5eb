import re
from tests.telegram_harness import ADMIN_ID, TelegramHarness

ANNA = 5001


async def cmd(tg, text, user=ADMIN_ID):
    before = len(tg.api.sent_to(user))
    await tg.process(tg.api.text_message(user, text, user_id=user))
    return tg.api.sent_to(user)[before:]


async def test_explore(tg: TelegramHarness) -> None:
    for c in ["/account_add Globex gold en Europe/Moscow", "/accounts", f"/owner Globex {ADMIN_ID}", "/tier Globex platinum", '/invite Globex "Anna Smith"']:
        for m in await cmd(tg, c):
            print(c, "=>", repr(m["text"]), m.get("entities"))
    link = re.search(r"start=([\w-]+)", tg.texts(ADMIN_ID)[-1])
    await tg.process(tg.api.text_message(ANNA, f"/start {link[1]}"))
    for c in ["/contacts Globex", "/schedule Globex sprint 2 2026-11-02", "/schedule Globex quarterly", "/schedule Globex half-yearly", "/schedule Globex cron 0 10 * * 1", "/schedule Globex manual", "/schedule Globex off", "/schedule Globex weekly", "/schedule Globex", "/round Globex", "/round due", "/status Globex"]:
        for m in await cmd(tg, c):
            print(c, "=>", repr(m["text"]), m.get("entities"))
    print(tg.texts(ANNA))
    await tg.process(tg.api.text_message(ANNA, "Terrible result, not happy"))
    print(tg.texts(ANNA))
    for c in ["/status Globex", "/alerts", "/report Globex", "/report all 2026-11", "/staff", "/staff_add manager 7002 Max Manager", "/owner", '/invite "Globex']:
        for m in await cmd(tg, c):
            print(c, "=>", repr(m["text"]), m.get("entities"), m.get("reply_markup"))
    for call in tg.api.calls_to("setMyCommands"):
        print(call.params)
