"""A round is named by its period, in the reader's language, in every staff view, on Telegram
and Slack through the real stacks: `/round`, `/alert`, `/status`, the `/report` heading,
`/health`, `/census`, the weekly digest and Slack's App Home. No view shows a stored key
("manual-2026-11-02", "Census 2026-H2"), nor a manual round's day as its title."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from surveys.model import Alert, AlertStatus, Language, Round
from surveys.periods import distinct_round_title, round_title
from surveys.silence import describe
from surveys.texts import t
from tests.conftest import T0
from tests.fakes.slack_api import app_home_opened_event
from tests.slack_harness import SLACK_ADMIN, SlackHarness
from tests.staff_chat import TELEGRAM, Chat
from tests.telegram_harness import ADMIN_ID, TelegramHarness
from tests.test_staff_texts import NEGATIVE, contact_writes, with_contact

EN, RU = Language.EN, Language.RU
# The clock stands at Monday 2026-11-02 09:00 UTC: `/round` opens "manual-2026-11-02".
MANUAL = {EN: "November 2026", RU: "ноябрь 2026 г."}
CENSUS = {EN: "H2 2026 user census", RU: "Перепись пользователей за 2-е полугодие 2026 г."}
RESPONDED = {EN: "responded", RU: "ответили"}
PARTLY = {EN: ", 1 of them partly", RU: ", из них частично 1"}
STORED = ("manual-2026-11-02", "census-2026-H2", "Census 2026-H2", "2026-H2")
# The manual round's stored title is its day; the day may show as a moment in a timeline
# ("2026-11-02 09:00 · alert raised"), never on its own as the round's name.
UTC_TZ = "UTC"
STORED_DAY = re.compile(r"2026-11-02(?! \d\d:\d\d)")


async def speak(chat: Chat, lang: Language) -> None:
    async with chat.harness.app.uow() as uow:
        [admin] = await uow.staff.list()
        admin.language = lang
        await uow.staff.update(admin)
        await uow.commit()


async def delivered_digest(chat: Chat) -> str:
    """The admin's weekly digest, as the platform delivered it (T0 is its Monday 09:00)."""
    harness = chat.harness
    assert await harness.app.commands.digest.run_due() == 1
    await harness.deliver()
    if chat.platform is TELEGRAM:
        tg: TelegramHarness = harness
        return tg.texts(ADMIN_ID)[-1]
    slack: SlackHarness = harness
    return slack.dm_texts(SLACK_ADMIN)[-1]


async def app_home(slack: SlackHarness) -> str:
    await slack.post(app_home_opened_event(SLACK_ADMIN))
    blocks = slack.api.calls_to("views.publish")[-1].params["view"]["blocks"]
    return "\n".join(str(b.get("text", {}).get("text", "")) for b in blocks)


async def staff_views(chat: Chat, lang: Language) -> dict[str, str]:
    """Every view that names a round, as a staff member reading ``lang`` sees it: a manual
    stakeholders' round with an alert first, then a census of the second half of 2026."""
    await with_contact(chat)
    await speak(chat, lang)
    views = {"round": await chat.ask("round Globex"), "again": await chat.ask("round Globex")}
    await contact_writes(chat, NEGATIVE)
    views["alert"] = await chat.ask("alert 1")
    views["status"] = await chat.ask("status Globex")
    views["report"] = await chat.ask("report Globex")
    views["health"] = await chat.ask("health Globex")
    views["digest"] = await delivered_digest(chat)
    if chat.platform is not TELEGRAM:
        views["home"] = await app_home(chat.harness)
    views["census"] = await chat.ask("round Globex census 2026-H2")
    views["census_status"] = await chat.ask("status Globex")
    views["census_progress"] = await chat.ask("census Globex")
    views["census_report"] = await chat.ask("report Globex")  # the round, then the census
    views["census_health"] = await chat.ask("health Globex")
    return views


@pytest.mark.parametrize("lang", [EN, RU])
async def test_staff_views_name_a_round_by_its_period_in_the_readers_language(
    chat: Chat, lang: Language
) -> None:
    views = await staff_views(chat, lang)
    manual, census = MANUAL[lang], CENSUS[lang]

    opened = {EN: f"Round «{manual}» opened", RU: f"Опрос «{manual}» открыт"}
    assert views["round"].startswith(opened[lang])
    assert f"«{manual}»" in views["again"]
    assert {EN: f"Round: {manual}", RU: f"Опрос: {manual}"}[lang] in views["alert"].split("\n")
    assert views["status"].startswith(f"«Globex» — {manual}: ")
    assert views["report"].split("\n")[0].strip("`") == f"Globex — {manual}"
    assert f"{manual}: " in views["health"]
    # The contact answered one question of three: every count of responses says so.
    partly = PARTLY[lang]
    assert f"  Globex — {manual}: 1/1 (100%){partly}" in views["digest"].split("\n")
    assert views["census"].startswith(census)
    assert f": {census} — " in views["census_status"]  # the users' line under the round
    assert views["census_progress"].startswith(census)
    report = [line.strip("`") for line in views["census_report"].split("\n")]
    assert report[0] == f"Globex — {manual}" and f"Globex — {census}" in report
    # The census is a line of its own, not a drop against the stakeholders' round, which
    # keeps its place and its figures.
    health = views["census_health"].split("\n")
    assert f"{manual}: {RESPONDED[lang]} 1/1 (100%){partly}" in health
    [census_line] = [line for line in health if census in line]
    # It asked no one (nobody has a chat here): said so, not "0/0 (0%)".
    assert census_line == f"{census}: {t('no_one_asked', lang)}", census_line
    if "home" in views:
        assert f"Globex — {manual}: 1/1 (100%){partly}" in views["home"].split("\n")


@pytest.mark.parametrize("lang", [EN, RU])
async def test_no_staff_view_shows_a_stored_key(chat: Chat, lang: Language) -> None:
    views = await staff_views(chat, lang)

    for name, text in views.items():
        assert not [key for key in STORED if key in text], (name, text)
        assert not STORED_DAY.search(text), (name, text)


@pytest.mark.parametrize(
    ("key", "title", "en", "ru"),
    [
        ("manual-2026-11-29", "2026-11-29", "November 2026", "ноябрь 2026 г."),
        ("cron-2026-03-09T10:00", "2026-03-09 10:00", "March 2026", "март 2026 г."),
        ("2026-11", "November", "November 2026", "ноябрь 2026 г."),
        ("2026-Q3", "2026-Q3", "Q3 2026", "3-й квартал 2026 г."),
        ("2026-H1", "2026-H1", "H1 2026", "1-е полугодие 2026 г."),
        ("2026", "2026", "2026", "2026 год"),
        ("sprint-14", "Sprint 14", "Sprint 14", "Спринт 14"),
        ("census-2026-H2", "Census 2026-H2", "H2 2026 user census",
         "Перепись пользователей за 2-е полугодие 2026 г."),
        ("release-7", "Release 7", "Release 7", "Release 7"),  # a key we cannot read: as stored
    ],
)  # fmt: skip
def test_a_round_title_is_its_period_in_words(key: str, title: str, en: str, ru: str) -> None:
    assert round_title(key, title, EN) == en
    assert round_title(key, title, RU) == ru


def test_a_silence_alert_names_its_round_by_the_period() -> None:
    facts = {"kind": "silence", "what": "account", "rate": 0.1, "average": 0.6}
    alert = Alert(0, 0, 1, None, AlertStatus.OPEN, T0, [
        facts | {"round": "2026-Q3", "period_key": "2026-Q3"}
    ], kind="silence")  # fmt: skip
    assert "«3-й квартал 2026 г.»" in describe(alert, RU)
    assert "the round «Q3 2026»" in describe(alert, EN)
    # Raised before the period key was kept: the stored title, not a guess.
    legacy = Alert(0, 0, 1, None, AlertStatus.OPEN, T0, [facts | {"round": "Sprint 3"}])
    assert "the round «Sprint 3»" in describe(legacy, EN)


# --- two rounds in one period ---------------------------------------------------------------


def test_rounds_that_read_alike_are_told_apart_by_their_day() -> None:
    first = Round(1, 1, "manual-2026-11-02", "2026-11-02", opened_at=T0)
    second = Round(2, 1, "manual-2026-11-30", "2026-11-30", opened_at=T0 + timedelta(days=28))
    sprint = Round(3, 1, "sprint-4", "Sprint 4", opened_at=T0 + timedelta(days=29))
    census = Round(4, 1, "census-2026-H2", "Census 2026-H2", opened_at=T0, audience="user")
    both = [first, second, sprint, census]
    assert distinct_round_title(second, both, EN, UTC_TZ) == "November 2026 (30 Nov)"
    assert distinct_round_title(second, both, RU, UTC_TZ) == "ноябрь 2026 г. (30 нояб.)"
    assert distinct_round_title(first, both, EN, UTC_TZ) == "November 2026 (2 Nov)"
    assert distinct_round_title(first, both, RU, UTC_TZ) == "ноябрь 2026 г. (2 нояб.)"
    # Alone in its period, a round keeps its title; other periods never get a day.
    assert distinct_round_title(first, [first, sprint, census], EN, UTC_TZ) == "November 2026"
    assert distinct_round_title(sprint, both, RU, UTC_TZ) == "Спринт 4"
    assert distinct_round_title(census, both, EN, UTC_TZ) == CENSUS[EN]
    # A round whose key has no day (a month key) is told apart by the day it opened.
    month = Round(5, 1, "2026-11", "November", opened_at=T0 + timedelta(days=3))
    assert distinct_round_title(month, [first, month], EN, UTC_TZ) == "November 2026 (5 Nov)"


def at(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=UTC)  # type: ignore[misc]


def test_rounds_opened_the_same_day_are_told_apart_by_their_time() -> None:
    # Globex (Moscow): the monthly round at 10:00, then a manual one the same afternoon.
    monthly = Round(1, 1, "2026-11", "November", at(2026, 11, 30, 7))
    manual = Round(2, 1, "manual-2026-11-30", "2026-11-30", at(2026, 11, 30, 11, 5, 30))
    early = Round(3, 1, "manual-2026-11-02", "2026-11-02", T0)
    rounds = [early, monthly, manual]
    msk = "Europe/Moscow"
    assert distinct_round_title(manual, rounds, EN, msk) == "November 2026 (30 Nov, 14:05)"
    assert distinct_round_title(manual, rounds, RU, msk) == "ноябрь 2026 г. (30 нояб., 14:05)"
    assert distinct_round_title(monthly, rounds, EN, msk) == "November 2026 (30 Nov, 10:00)"
    assert distinct_round_title(early, rounds, RU, msk) == "ноябрь 2026 г. (2 нояб.)"  # its day
    # A cron rule firing twice a day: each round by the wall time it fired at (its key).
    ten = Round(4, 1, "cron-2026-03-09T10:00", "2026-03-09 10:00", at(2026, 3, 9, 7, 0, 40))
    three = Round(5, 1, "cron-2026-03-09T15:00", "2026-03-09 15:00", at(2026, 3, 9, 12, 1))
    assert distinct_round_title(three, [ten, three], EN, msk) == "March 2026 (9 Mar, 15:00)"
    assert distinct_round_title(ten, [ten, three], RU, msk) == "март 2026 г. (9 мар., 10:00)"
    # Opened within one minute of each other (a manual round right after the scheduled one):
    # the seconds tell them apart.
    again = Round(6, 1, "manual-2026-11-30", "2026-11-30", at(2026, 11, 30, 7, 0, 42))
    pair = [monthly, again]
    assert distinct_round_title(again, pair, EN, msk) == "November 2026 (30 Nov, 10:00:42)"
    assert distinct_round_title(monthly, pair, EN, msk) == "November 2026 (30 Nov, 10:00:00)"


@pytest.mark.parametrize("lang", [EN, RU])
async def test_a_second_round_in_the_month_is_named_with_its_day_in_every_staff_view(
    chat: Chat, lang: Language
) -> None:
    await with_contact(chat)
    await speak(chat, lang)
    await chat.ask("round Globex")  # Monday 2 November
    await contact_writes(chat, NEGATIVE)
    chat.harness.clock.advance(timedelta(days=8))  # Tuesday 10 November, the first is closed
    second = {EN: "November 2026 (10 Nov)", RU: "ноябрь 2026 г. (10 нояб.)"}[lang]
    first = {EN: "November 2026 (2 Nov)", RU: "ноябрь 2026 г. (2 нояб.)"}[lang]

    opened = await chat.ask("round Globex")
    assert opened.startswith({EN: f"Round «{second}» opened", RU: f"Опрос «{second}» открыт"}[lang])
    assert (await chat.ask("status Globex")).startswith(f"«Globex» — {second}: ")
    health = await chat.ask("health Globex")
    assert f"{second}: " in health and first not in health  # the latest, against the one before
    trend = {EN: "from 100% the round before", RU: "по сравнению с 100% в прошлом опросе"}
    assert trend[lang] in health
    if chat.platform is not TELEGRAM:
        assert f"Globex — {second}: " in await app_home(chat.harness)
    chat.harness.clock.advance(timedelta(days=6))  # Monday 16 November: the weekly digest
    assert f"  Globex — {second}: " in await delivered_digest(chat)


async def alert_card_round(chat: Chat, lang: Language) -> str:
    """The round its latest alert card names, as the admin (Globex's owner) was sent it."""
    await chat.harness.deliver()
    label = {EN: "Round", RU: "Опрос"}[lang]
    if chat.platform is TELEGRAM:
        tg: TelegramHarness = chat.harness
        lines = [x for text in tg.texts(ADMIN_ID) for x in text.split("\n")]
        return [x for x in lines if x.startswith(f"{label}: ")][-1].removeprefix(f"{label}: ")
    slack: SlackHarness = chat.harness
    fields = [
        str(f["text"]) for m in slack.dm(SLACK_ADMIN) for b in m.get("blocks") or []
        for f in b.get("fields") or []
    ]  # fmt: skip
    return [f for f in fields if f.startswith(f"*{label}:*")][-1].split("\n", 1)[1]


@pytest.mark.parametrize("lang", [EN, RU])
async def test_reports_and_alerts_name_a_second_round_in_the_month_by_its_day(
    chat: Chat, lang: Language
) -> None:
    await with_contact(chat)
    await speak(chat, lang)
    await chat.ask("round Globex")  # Monday 2 November: Anna's answer raises alert 1
    await contact_writes(chat, NEGATIVE)
    chat.harness.clock.advance(timedelta(days=8))  # Tuesday 10 November
    await chat.ask("round Globex")
    await contact_writes(chat, NEGATIVE)  # alert 2, in the second round
    first = {EN: "November 2026 (2 Nov)", RU: "ноябрь 2026 г. (2 нояб.)"}[lang]
    second = {EN: "November 2026 (10 Nov)", RU: "ноябрь 2026 г. (10 нояб.)"}[lang]
    round_line = {EN: "Round: {}", RU: "Опрос: {}"}[lang]

    # The alert card of the second round, then /alert of each.
    assert await alert_card_round(chat, lang) == second
    assert round_line.format(first) in (await chat.ask("alert 1")).split("\n")
    assert round_line.format(second) in (await chat.ask("alert 2")).split("\n")
    # A contact invited now is told which round they join.
    if chat.platform is TELEGRAM:
        invited = await chat.ask('invite Globex "Bob Stone" stakeholder')
    else:
        chat.harness.api.add_user("UBOB", "bob@client.example", "Bob Stone")
        invited = await chat.ask("invite Globex bob@client.example stakeholder")
    assert f"«{second}»" in invited, invited
    # /report: the latest round, then both of the month, each under its own heading.
    report = [line.strip("`") for line in (await chat.ask("report Globex")).split("\n")]
    assert report[0] == f"Globex — {second}"
    month = [line.strip("`") for line in (await chat.ask("report Globex 2026-11")).split("\n")]
    assert [line for line in month if line.startswith("Globex — ")] == [
        f"Globex — {first}",
        f"Globex — {second}",
    ]
