"""What staff read, on Telegram and Slack through the real stacks (issue 10): staff help and
unknown commands, `/alert <id>` with the full answer, which level a round asks, plural forms,
Slack naming its own commands, and the bootstrap admin's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.slack.blocks import escape, slack_commands
from bot.slack.listeners.commands import USAGE as SLACK_USAGE
from surveys import alert_view, staff
from surveys.commands import CLIENT_COMMANDS, TABLE, staff_help
from surveys.model import Address, Channel, Language, Staff, StaffRole
from surveys.texts import CATALOG, count, plural_index, t
from tests.conftest import FakeClock
from tests.fakes.slack_api import FakeSlackAPI, message_event
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.staff_chat import SLACK, TELEGRAM, Chat, owner_id
from tests.telegram_harness import ADMIN_ID, TelegramHarness

EN, RU = Language.EN, Language.RU
ANNA_TG, ANNA_SLACK = 5001, "UANNA"
INVITE_LINK = re.compile(r"https://t\.me/candor_test_bot\?start=([\w-]+)")
NEGATIVE = "Terrible result <b>not</b> & happy at all"
# A bare Telegram-style command: `/name` not written as `/candor name`.
BARE = re.compile(
    r"(?<![\w/.])/(" + "|".join(sorted([*TABLE, *CLIENT_COMMANDS], key=len, reverse=True)) + r")\b"
)


async def with_contact(chat: Chat, level: str = "stakeholder") -> None:
    """Globex, owned by the admin, with Anna as a reachable contact at ``level``."""
    assert "added" in await chat.ask("account_add Globex gold en Europe/Moscow")
    if chat.platform is TELEGRAM:
        tg: TelegramHarness = chat.harness
        assert "is now" in await chat.ask(f"owner Globex {ADMIN_ID}")
        link = INVITE_LINK.search(await chat.ask(f'invite Globex "Anna Smith" {level}'))
        assert link
        await tg.process(tg.api.text_message(ANNA_TG, f"/start {link[1]}", user_id=ANNA_TG))
    else:
        assert "is now" in await chat.ask(f"owner Globex <@{SLACK_ADMIN}|admin>")
        chat.harness.api.add_user(ANNA_SLACK, "anna@client.example", "Anna Smith")
        assert "added to" in await chat.ask(f"invite Globex anna@client.example {level}")


async def contact_writes(chat: Chat, text: str) -> None:
    if chat.platform is TELEGRAM:
        tg: TelegramHarness = chat.harness
        await tg.process(tg.api.text_message(ANNA_TG, text, user_id=ANNA_TG))
    else:
        slack: SlackHarness = chat.harness
        dm = slack.api.dm_channel_of(ANNA_SLACK)
        status, _ = await slack.post(message_event(ANNA_SLACK, dm, escape(text)))
        assert status == 200


# --- help and unknown commands -------------------------------------------------------------


async def test_staff_help_is_staff_help_and_an_unknown_command_is_named(chat: Chat) -> None:
    help_text = await chat.ask("help")
    assert help_text.startswith("Staff commands:")
    assert "Just answer the questions" not in help_text  # the client's help is not for staff
    assert "Rounds ask stakeholders" in help_text
    for command in TABLE.values():
        assert command.usage(chat.platform, EN) in help_text

    unknown = await chat.ask("frobnicate now")
    assert unknown == f"Unknown command {chat.platform.prefix}frobnicate.\n{help_text}"

    # Someone Candor does not know is told the same, then that it does not know them (a
    # contact's commands are not theirs either), on both platforms.
    theirs = await chat.ask("frobnicate", chat.stranger)
    assert theirs == (f"Unknown command {chat.platform.prefix}frobnicate.\n{t('unknown_user', EN)}")
    assert "Staff commands" not in theirs and "account_add" not in theirs


async def test_telegram_help_speaks_the_staff_members_language(tg: TelegramHarness) -> None:
    async with tg.app.uow() as uow:
        [admin] = await uow.staff.list()
        admin.language = RU
        await uow.staff.update(admin)
        await uow.commit()
    before = len(tg.api.sent_to(ADMIN_ID))
    await tg.process(tg.api.text_message(ADMIN_ID, "/nope", user_id=ADMIN_ID))
    [reply] = tg.api.sent_to(ADMIN_ID)[before:]
    assert reply["text"].startswith("Неизвестная команда /nope.\nКоманды сотрудника:")
    assert "/round <аккаунт> [census [2026-H1|2026-Q3|2026]] | due" in reply["text"]


# --- /alert <id> ---------------------------------------------------------------------------


async def test_alert_shows_the_question_as_seen_and_the_whole_answer(chat: Chat) -> None:
    await with_contact(chat)
    assert "1 contact invited" in await chat.ask("round Globex")
    # Just under the 4,000 characters an answer keeps: with its heading, over one Telegram message.
    long_answer = (NEGATIVE + ". " + "The docs were late again and nobody answered. " * 90)[:3990]
    await contact_writes(chat, long_answer)
    assert "#1 [open]" in await chat.ask("alerts")

    if chat.platform is TELEGRAM:
        tg: TelegramHarness = chat.harness
        before = len(tg.api.sent_to(ADMIN_ID))
        reply = await chat.ask("alert 1")
        sent = tg.api.sent_to(ADMIN_ID)[before:]
        assert len(sent) == 2  # too long for one Telegram message: split, nothing lost
        assert all(len(m["text"]) <= 4096 for m in sent)
    else:
        reply = await chat.ask("alert #1")
    head = reply.split("\n")[:9]
    assert head == [
        "Alert #1 · open",
        "Account: Globex",
        "Contact: Anna Smith",
        "Round: November 2026",
        "Question: Are you satisfied with the result, and was the solution adequate to your needs?",
        "",
        "Timeline (UTC):",
        "2026-11-02 09:00 · alert raised",
        "",
    ]
    assert "Answer, in full:" in reply
    # Every character the client wrote, markup shown literally (escaped, not interpreted).
    assert long_answer.strip() in reply.replace("\n", "")


async def test_alert_is_refused_to_whoever_may_not_read_it(chat: Chat) -> None:
    await with_contact(chat)
    await chat.ask("round Globex")
    await contact_writes(chat, NEGATIVE)
    assert "#1 [open]" in await chat.ask("alerts")

    assert await chat.ask("alert 1", chat.stranger) == staff.say("staff_only", EN)
    # An owner of other accounts hears what they would for an alert that does not exist.
    await chat.ask(f"staff_add owner {chat.owner} Olga Owner")
    assert await chat.ask("alert 1", owner_id(chat)) == "No alert #1."
    assert await chat.ask("alert 99") == "No alert #99."
    assert await chat.ask("alert one") == TABLE["alert"].usage(chat.platform, EN)
    assert await chat.ask("alert") == TABLE["alert"].usage(chat.platform, EN)
    assert "Terrible" in await chat.ask("alert 1")  # the account's owner may


# --- which level a round asks --------------------------------------------------------------


async def test_round_and_contacts_say_that_users_are_not_asked(chat: Chat) -> None:
    await with_contact(chat, level="user")
    reply = await chat.ask("round Globex")
    assert reply == (
        "Round «November 2026» opened for «Globex»: 0 contacts invited.\n"
        "Rounds ask stakeholders only.\n"
        "Not asked, at the user level: 1 contact (users are asked in a census of their own)."
    )
    contacts = await chat.ask("contacts Globex")
    assert contacts.startswith(
        "Contacts of «Globex». Rounds ask stakeholders only; the user level is not asked."
    )
    assert "user" in contacts.split("\n")[-1]  # Anna's row, in the same reply


async def test_round_does_not_count_a_user_made_staff_among_users_not_asked(chat: Chat) -> None:
    # Anna, at the user level, was made staff: a census leaves her out, so "users are
    # asked in a census of their own" does not hold for her.
    await with_contact(chat, level="user")
    anna = str(ANNA_TG) if chat.platform is TELEGRAM else f"<@{ANNA_SLACK}|anna>"
    assert "Anna Smith" in await chat.ask(f"staff_add manager {anna} Anna Smith")
    assert await chat.ask("round Globex") == (
        "Round «November 2026» opened for «Globex»: 0 contacts invited.\n"
        "Rounds ask stakeholders only."
    )


# --- plural forms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "en", "ru"),
    [
        (0, "0 contacts", "0 контактов"),
        (1, "1 contact", "1 контакт"),
        (2, "2 contacts", "2 контакта"),
        (4, "4 contacts", "4 контакта"),
        (5, "5 contacts", "5 контактов"),
        (11, "11 contacts", "11 контактов"),
        (12, "12 contacts", "12 контактов"),
        (21, "21 contacts", "21 контакт"),
        (22, "22 contacts", "22 контакта"),
        (25, "25 contacts", "25 контактов"),
        (111, "111 contacts", "111 контактов"),
        (101, "101 contacts", "101 контакт"),
    ],
)
def test_counts_take_the_right_plural_form(n: int, en: str, ru: str) -> None:
    assert count(n, "contact", EN) == en
    assert count(n, "contact", RU) == ru
    assert plural_index(n, EN) in (0, 1) and plural_index(n, RU) in (0, 1, 2)


# --- Slack names its own commands ----------------------------------------------------------


def _our_texts() -> list[str]:
    texts = [text for by_lang in CATALOG.values() for text in by_lang.values()]
    texts += [text for pair in staff._T.values() for text in pair]
    texts += [text for pair in alert_view._LABELS.values() for text in pair]
    for lang in (EN, RU):
        admin = Staff(1, "Ada", StaffRole.ADMIN, lang)
        texts += staff_help(admin, SLACK)
    return texts


def test_no_slack_rendered_text_names_a_bare_telegram_command() -> None:
    texts = _our_texts()
    assert any(BARE.search(text) for text in texts)  # the texts do name commands...
    for text in texts:
        assert not BARE.search(slack_commands(text)), text  # ...and Slack says /candor <name>
    for usage in SLACK_USAGE.values():
        assert not BARE.search(usage), usage
    assert slack_commands("See /accounts. /start, /lang en") == (
        "See /candor accounts. /candor start, /candor lang en"
    )
    # Not commands: links, paths, words that merely start like one.
    for text in ("https://t.me/bot?start=x", "a/b/start", "/startle", "/candor start"):
        assert slack_commands(text) == text


async def test_no_slack_reply_names_a_bare_telegram_command(slack: SlackHarness) -> None:
    chat = Chat(SLACK, slack, SLACK_ADMIN, "USTRANGER", "<@UOLGA|olga>")
    for words in ("accounts", "help", "tier Nowhere gold", "owner Nowhere nobody", "", "x"):
        await chat.ask(words)
    await with_contact(chat)
    for words in ("contacts Globex", "round Globex", "schedule Globex weekly", "alert 5"):
        await chat.ask(words)
    await contact_writes(chat, "")  # an empty answer: "…or /skip"
    for words in ("help", "lang", "stop", "start", "nope"):
        await chat.ask(words, ANNA_SLACK)
        await chat.ask(words, chat.stranger)
    sent = [str(r.get("text", "")) for r in slack.api.responses]
    sent += [b["text"]["text"] for r in slack.api.responses for b in r.get("blocks", [])]
    for call in slack.api.calls_to("chat.postMessage"):
        sent.append(str(call.params.get("text", "")))
        sent += [str(b.get("text", {}).get("text", "")) for b in call.params.get("blocks", [])]
    assert len(sent) > 30
    for text in sent:
        assert not BARE.search(text), text


# --- the bootstrap admin's name ------------------------------------------------------------


async def staff_names(app_uow: object) -> list[str]:
    async with app_uow() as uow:  # type: ignore[operator]
        return [s.name for s in await uow.staff.list()]


async def test_telegram_admin_is_named_from_their_first_and_last_name(
    tg: TelegramHarness,
) -> None:
    assert await staff_names(tg.app.uow) == [f"Admin {ADMIN_ID}"]  # nothing known yet
    update = tg.api.text_message(ADMIN_ID, "/staff", user_id=ADMIN_ID, first_name="Ada")
    update["message"]["from"]["last_name"] = "Lovelace"
    await tg.process(update)
    assert await staff_names(tg.app.uow) == ["Ada Lovelace"]
    assert "Ada Lovelace" in tg.api.sent_to(ADMIN_ID)[-1]["text"]
    # A name staff gave is never overwritten by what Telegram says later.
    await tg.process(tg.api.text_message(ADMIN_ID, "/staff", user_id=ADMIN_ID, first_name="X"))
    assert await staff_names(tg.app.uow) == ["Ada Lovelace"]


async def test_slack_admin_is_named_from_users_info(
    slack_api: FakeSlackAPI, tmp_path: Path, clock: FakeClock
) -> None:
    slack_api.add_user(SLACK_ADMIN, "ada@acme.example", "Ada Lovelace")
    harness = await SlackHarness.start(slack_api, f"sqlite+aiosqlite:///{tmp_path}/s.db", clock)
    try:
        assert await staff_names(harness.app.uow) == ["Ada Lovelace"]
        assert [c.params["user"] for c in slack_api.calls_to("users.info")] == [SLACK_ADMIN]
    finally:
        await harness.stop()


async def test_slack_admin_without_a_profile_keeps_the_placeholder(slack: SlackHarness) -> None:
    # users.info said user_not_found: the admin is still created, and can work.
    assert await staff_names(slack.app.uow) == [f"Admin {SLACK_ADMIN}"]
    assert slack.app.commands is not None
    assert await slack.app.commands.actor(Address(Channel.SLACK, SLACK_ADMIN)) is not None


def test_every_new_text_exists_in_both_languages() -> None:
    for key in ("unknown_command", "staff_help_head", "round_levels"):
        assert set(CATALOG[key]) == {EN, RU}
        assert t(key, RU, command="/x") != t(key, EN, command="/x")
    for key in ("round_level", "round_users_left", "contacts_head"):
        en, ru = staff._T[key]
        assert en and ru and en != ru
