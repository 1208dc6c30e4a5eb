"""Report files: XLSX and CSV read back with independent readers, PNG decoded; on SQLite and
PostgreSQL. Also who may ask for what, and hostile answer text."""

from __future__ import annotations

import csv
import io
import textwrap
from dataclasses import dataclass, replace
from datetime import timedelta

import openpyxl
import pytest
from matplotlib.image import imread

from storage.repositories import SqlUnitOfWorkFactory
from surveys.commands import resolutions
from surveys.conversation import ContactEvent, EventKind
from surveys.model import (
    Account,
    Address,
    AlertStatus,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Disposition,
    Language,
    Round,
    Staff,
    StaffRole,
)
from surveys.onboarding import Onboarding
from surveys.reporting.charts import period_labels
from surveys.reporting.data import RoundData, collect
from surveys.reporting.files import ReportFiles, ReportRequest, parse_report_args
from surveys.reporting.labels import L
from surveys.reports import render_table
from surveys.service import SurveyService
from surveys.staff import StaffCommands, StaffError, say
from tests.conftest import T0, FakeClock, World

EN, RU = Language.EN, Language.RU
NEGATIVE = "Terrible result, awful, not happy"
INJECTIONS = ["=cmd|' /C calc'!A1", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1"]


@dataclass
class Seeded:
    world: World
    admin: Staff
    oscar: Staff  # owns Initech, which has no rounds
    initech: Account
    uma: Contact  # a user-level contact at Globex
    commands: StaffCommands

    @property
    def reports(self) -> ReportFiles:
        return self.commands.reports


def say_text(body: str, message_id: str) -> ContactEvent:
    return ContactEvent(EventKind.TEXT, body, message_id)


@pytest.fixture
async def seeded(
    uow: SqlUnitOfWorkFactory, world: World, service: SurveyService, clock: FakeClock
) -> Seeded:
    async with uow() as u:
        admin = await u.staff.add(Staff(0, "Ada Admin", StaffRole.ADMIN, EN, console_name="ada"))
        oscar = await u.staff.add(Staff(0, "Oscar", StaffRole.OWNER, EN, console_name="oscar"))
        initech = await u.accounts.add(Account(0, "Initech", oscar.id, "standard", EN, "UTC"))
        uma = await u.contacts.add(
            Contact(0, world.account.id, "Uma", ContactLevel.USER, EN, ContactStatus.ACTIVE,
                    Channel.CONSOLE, "uma")
        )  # fmt: skip
        await u.commit()
    uma_at = Address(Channel.CONSOLE, "uma")
    # Round 1: Anna happy, Boris unhappy, Uma types a formula.
    await service.open_round(world.account.id, "2026-11", "November", "all")
    await service.handle_event(world.anna_at, say_text("Great result, thanks", "a1"))
    await service.handle_event(world.boris_at, say_text("Ужасно, всё плохо, недоволен", "b1"))
    await service.handle_event(uma_at, say_text(INJECTIONS[0], "u1"))
    for i, words in enumerate(INJECTIONS[1:]):
        await service.handle_event(uma_at, say_text(words, f"u1-{i}"))
    clock.advance(timedelta(days=35))
    await service.tick()  # expires round 1's open conversations
    # Round 2: Anna unhappy (an alert with a note), Boris happy, Uma silent.
    opened = await service.open_round(world.account.id, "2026-12", "December", "all")
    await service.handle_event(world.anna_at, say_text(NEGATIVE, "a2"))
    await service.handle_event(world.boris_at, say_text("Отлично, спасибо, всё хорошо", "b2"))
    [alert] = await service.alerts_for_round(opened.round.id)
    await service.set_alert_status(alert.id, admin, AlertStatus.ACKNOWLEDGED, "Called Anna")
    commands = StaffCommands(
        uow, clock, service, Onboarding(uow, clock, "Acme IT", EN, service=service)
    )
    return Seeded(world, admin, oscar, initech, uma, commands)


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_of(sheet: object) -> list[list[object]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]  # type: ignore[attr-defined]


async def test_xlsx_summary_splits_levels_and_measures_negative_share(seeded: Seeded) -> None:
    doc = await seeded.reports.build(seeded.admin, ReportRequest("Globex", None, "xlsx"), EN)

    assert doc.filename == "candor-Globex-all.xlsx"
    book = workbook(doc.data)
    assert book.sheetnames == ["Summary", "Globex 2026-11", "Globex 2026-12"]
    summary = rows_of(book["Summary"])
    head = summary[0]
    assert head[:8] == [
        "Account", "Period", "Round", "Opened", "Level", "Population", "Responded",
        "Response rate",
    ]  # fmt: skip
    assert head[8:11] == ["Negative: outcome", "Negative: speed", "Negative: politeness"]
    by_key = {(r[1], r[4]): dict(zip(head, r, strict=True)) for r in summary[1:]}
    assert set(by_key) == {
        ("2026-11", "stakeholders"), ("2026-11", "users"),
        ("2026-12", "stakeholders"), ("2026-12", "users"),
    }  # fmt: skip
    nov = by_key["2026-11", "stakeholders"]
    assert nov["Round"] == "November 2026"  # the period in words beside its key
    assert (nov["Population"], nov["Responded"], nov["Response rate"]) == (2, 2, 1.0)
    assert nov["Negative: outcome"] == 0.5  # Boris of Anna and Boris
    assert nov["Δ response rate"] is None  # nothing to compare with
    dec = by_key["2026-12", "stakeholders"]
    assert dec["Negative: outcome"] == 0.5 and dec["Open alerts"] == 1
    assert dec["Δ response rate"] == 0
    users = by_key["2026-12", "users"]
    assert (users["Population"], users["Responded"], users["Response rate"]) == (1, 0, 0)
    assert users["Negative: outcome"] is None  # nobody answered: blank, not 0 %
    assert by_key["2026-11", "users"]["Responded"] == 1
    # Anna and Boris answered one question of three each time; Uma all of them.
    assert head[-1] == "Of them partly"
    assert [by_key[k]["Of them partly"] for k in sorted(by_key)] == [2, 0, 2, 0]
    # The header is frozen and filterable.
    sheet = book["Summary"]
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")


async def test_xlsx_round_sheet_has_answers_labels_and_alert_notes(seeded: Seeded) -> None:
    doc = await seeded.reports.build(seeded.admin, ReportRequest("Globex", "2026-12", "xlsx"), EN)

    book = workbook(doc.data)
    assert book.sheetnames == ["Summary", "Globex 2026-12"]
    sheet = book["Globex 2026-12"]
    rows = rows_of(sheet)
    head = rows[0]
    anna = dict(zip(head, next(r for r in rows if r[0] == "Anna"), strict=True))
    assert anna["outcome: Answer"] == NEGATIVE
    assert anna["outcome: Sentiment"] == "negative"
    assert 0 < anna["outcome: Score"] <= 1
    assert anna["outcome: Alert"] == "acknowledged"
    assert anna["outcome: Alert note"] == "Called Anna"
    assert anna["Level"] == "stakeholders"
    # Answer time in the account's zone (Moscow, UTC+3): the clock was 09:00 UTC + 35 days.
    assert anna["Answered at"].hour == 12
    # Negative cells are red, positive green.
    anna_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "Anna")
    boris_row = next(i for i, r in enumerate(rows, start=1) if r[0] == "Борис")
    col = head.index("outcome: Answer") + 1
    assert sheet.cell(anna_row, col).fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet.cell(boris_row, col).fill.fgColor.rgb.endswith("C6EFCE")
    assert sheet.cell(anna_row, col).alignment.wrap_text


async def test_xlsx_headers_follow_the_requesters_language(seeded: Seeded) -> None:
    doc = await seeded.reports.build(
        seeded.world.manager, ReportRequest("Globex", None, "xlsx"), RU
    )

    book = workbook(doc.data)
    assert book.sheetnames[0] == "Сводка"
    head = rows_of(book["Сводка"])[0]
    assert head[:3] == ["Аккаунт", "Период", "Опрос"] and "Негатив: результат" in head
    rounds = {(r[1], r[2]) for r in rows_of(book["Сводка"])[1:]}
    assert rounds == {("2026-11", "ноябрь 2026 г."), ("2026-12", "декабрь 2026 г.")}
    levels = {r[4] for r in rows_of(book["Сводка"])[1:]}
    assert levels == {"стейкхолдеры", "пользователи"}
    assert rows_of(book["Globex 2026-12"])[0][0] == "Контакт"


async def test_formula_like_answers_are_text_never_formulas(seeded: Seeded) -> None:
    doc = await seeded.reports.build(seeded.admin, ReportRequest("Globex", "2026-11", "xlsx"), EN)

    sheet = workbook(doc.data)["Globex 2026-11"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    uma = next(r for r in sheet.iter_rows() if r[0].value == "Uma")
    texts = [c.value for c in uma if c.data_type == "s"]
    assert INJECTIONS[0] in texts
    assert any(t.startswith("+1+1") for t in texts if isinstance(t, str))

    csv_doc = await seeded.reports.build(
        seeded.admin, ReportRequest("Globex", "2026-11", "csv"), EN
    )
    answers = [r[7] for r in csv.reader(io.StringIO(csv_doc.data.decode("utf-8-sig")))][1:]
    risky = [a for a in answers if a.lstrip("'") in INJECTIONS or "=" in a]
    assert risky and all(a.startswith("'") for a in risky)
    assert "'" + INJECTIONS[0] in answers


@pytest.mark.parametrize("lang", [EN, RU])
async def test_a_40000_character_answer_is_whole_in_csv_and_marked_where_excel_cuts_it(
    seeded: Seeded, service: SurveyService, lang: Language
) -> None:
    # An Excel cell holds 32,767 characters; the library cut a longer answer there without
    # a word. The cell now says it was cut and where the whole answer is.
    body = ("Сроки сорваны, результат плохой. " * 1300)[:40_000].strip()
    await service.handle_event(Address(Channel.CONSOLE, "uma"), say_text(body, "u2"))

    doc = await seeded.reports.build(seeded.admin, ReportRequest("Globex", "2026-12", "xlsx"), lang)
    sheet = workbook(doc.data)["Globex 2026-12"]
    uma = next(r for r in sheet.iter_rows() if r[0].value == "Uma")
    cell = str(uma[4].value)  # question 1's answer
    note = {
        EN: "… (cut: an Excel cell holds 32,767 characters; the CSV report has it all)",
        RU: "… (обрезано: в ячейку Excel помещается 32 767 символов; весь текст — в отчёте CSV)",
    }
    assert cell.endswith(note[lang]) and len(cell) <= 32_767
    assert body.startswith(cell.removesuffix(note[lang]))

    csv_doc = await seeded.reports.build(
        seeded.admin, ReportRequest("Globex", "2026-12", "csv"), lang
    )
    rows = list(csv.reader(io.StringIO(csv_doc.data.decode("utf-8-sig"))))
    assert body in [r[7] for r in rows]


@pytest.mark.parametrize(("word", "delimiter"), [("csv", ","), ("csv;", ";")])
async def test_csv_has_a_bom_the_delimiter_and_cyrillic_round_trips(
    seeded: Seeded, word: str, delimiter: str
) -> None:
    request = parse_report_args(["Globex", "2026-12", word])
    assert request is not None
    doc = await seeded.reports.build(seeded.world.manager, request, RU)

    assert doc.filename == "candor-Globex-2026-12.csv" and doc.mime == "text/csv"
    assert doc.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(doc.data.decode("utf-8-sig")), delimiter=delimiter))
    assert rows[0][:4] == ["Аккаунт", "Период", "Опрос", "Контакт"]
    assert all(len(r) == len(rows[0]) for r in rows)
    boris = next(r for r in rows if r[3] == "Борис")
    assert boris[1:3] == ["2026-12", "декабрь 2026 г."]  # the key, then the period in words
    assert boris[7] == "Отлично, спасибо, всё хорошо" and boris[8] == "позитив"
    anna = next(r for r in rows if r[3] == "Anna")
    assert anna[13:] == ["принят", "Called Anna"]


@pytest.mark.parametrize(
    ("lang", "mixed", "whole"),
    [
        (EN, "Responded: 3/3 (100%), 2 of them partly", "Responded: 1/1 (100%)"),
        (RU, "Ответили: 3/3 (100%), из них частично 2", "Ответили: 1/1 (100%)"),
    ],
)
async def test_the_report_table_tells_partial_answers_apart(
    seeded: Seeded,
    service: SurveyService,
    uow: SqlUnitOfWorkFactory,
    lang: Language,
    mixed: str,
    whole: str,
) -> None:
    # November: Anna and Boris answered one question of three, Uma all of them.
    async with uow() as u:
        [nov, _] = await u.rounds.for_account(seeded.world.account.id)
    summary = await service.round_summary(nov.id)
    assert render_table(summary, lang).split("\n")[1] == mixed
    summary.rows = [r for r in summary.rows if r.contact == "Uma"]  # nobody part-way
    assert render_table(summary, lang).split("\n")[1] == whole


async def test_a_contact_made_staff_is_marked_only_where_they_gave_no_answers(
    seeded: Seeded,
) -> None:
    # Boris and Uma, Globex's contacts, joined our staff: rounds leave them out from now on,
    # as /contacts says. QA: the files marked them "staff — not surveyed" beside answers they
    # gave as contacts too. Only Uma's December (invited, silent) is true of the mark.
    await seeded.commands.add_staff(
        seeded.admin, "manager", "Boris", Address(Channel.CONSOLE, "boris"), RU
    )
    await seeded.commands.add_staff(
        seeded.admin, "owner", "Uma", Address(Channel.CONSOLE, "uma"), EN
    )
    for lang, mark in ((EN, "staff — not surveyed"), (RU, "сотрудник — не опрашивается")):
        status = L("status", lang)
        book = workbook(
            (await seeded.reports.build(seeded.admin, ReportRequest("Globex", None, "xlsx"), lang))
            .data
        )  # fmt: skip
        marks = {}
        for period in ("2026-11", "2026-12"):
            rows = rows_of(book[f"Globex {period}"])
            # The mark is the row's status, in the column every row fills; no column of its
            # own that is blank on every other row.
            assert rows[0][2] == status and not {"Staff", "Сотрудник"} & set(rows[0])
            marks[period] = {r[0]: r[2] for r in rows[1:] if r[2] == mark}
        assert marks == {"2026-11": {}, "2026-12": {"Uma": mark}}  # answers stay answers

        doc = await seeded.reports.build(seeded.admin, ReportRequest("Globex", None, "csv"), lang)
        rows = list(csv.reader(io.StringIO(doc.data.decode("utf-8-sig"))))
        assert rows[0][5] == status and rows[0][-1] == L("alert_note", lang)
        assert all(len(r) == len(rows[0]) for r in rows)
        # Every row with a question is an answer, its status the conversation's; Uma's
        # silent December is one row of its own, the mark as its status, no question.
        answered = [r for r in rows[1:] if r[6]]
        assert answered and all(r[5] != mark and r[7] for r in answered)
        assert {(r[1], r[3]) for r in answered} >= {("2026-11", "Uma"), ("2026-12", "Борис")}
        marked = [r for r in rows[1:] if not r[6]]
        assert [(r[1], r[3], r[5], r[7]) for r in marked] == [("2026-12", "Uma", mark, "")]


async def test_an_account_without_rounds_gives_an_empty_but_valid_file(seeded: Seeded) -> None:
    xlsx = await seeded.reports.build(seeded.oscar, ReportRequest("Initech", None, "xlsx"), EN)
    book = workbook(xlsx.data)
    assert book.sheetnames == ["Summary"]
    assert rows_of(book["Summary"])[1][0] == "No rounds in this selection yet."

    plain = await seeded.reports.build(seeded.oscar, ReportRequest("Initech", None, "csv"), EN)
    assert len(list(csv.reader(io.StringIO(plain.data.decode("utf-8-sig"))))) == 1

    chart = await seeded.reports.chart(seeded.oscar, "Initech", None, EN)
    assert imread(io.BytesIO(chart.data)).shape[:2] == (1125, 900)


async def test_unknown_account_or_period_gets_a_clear_answer(seeded: Seeded) -> None:
    with pytest.raises(StaffError) as caught:
        await seeded.reports.build(seeded.admin, ReportRequest("Nope", None, "xlsx"), EN)
    assert str(caught.value) == say("no_account", EN, ref="Nope")
    with pytest.raises(StaffError) as caught:
        await seeded.reports.build(seeded.admin, ReportRequest("Globex", "2026-13", "csv"), EN)
    assert str(caught.value) == say("bad_period", EN)
    with pytest.raises(StaffError) as caught:
        await seeded.reports.report_command(seeded.admin, None, ["Globex", "pdf"])
    assert "xlsx" in str(caught.value)


async def test_an_owner_cannot_get_someone_elses_account_and_learns_nothing(
    seeded: Seeded, uow: SqlUnitOfWorkFactory
) -> None:
    to = Address(Channel.CONSOLE, "oscar")
    for call in (
        seeded.reports.report_command(seeded.oscar, to, ["Globex", "xlsx"], "k1"),
        seeded.reports.trend_command(seeded.oscar, to, ["Globex"], "k2"),
    ):
        with pytest.raises(StaffError) as caught:
            await call
        assert str(caught.value) == say("no_account", EN, ref="Globex")  # as if it did not exist
    async with uow() as u:
        assert [m for m in await u.outbox.list() if m.kind == "file"] == []
    # "all" for an owner is only their own accounts.
    doc = await seeded.reports.build(seeded.oscar, ReportRequest("all", None, "csv"), EN)
    assert b"Globex" not in doc.data and b"Anna" not in doc.data
    stranger = Staff(999, "Nobody", StaffRole.OWNER, EN)
    nothing = await seeded.reports.build(stranger, ReportRequest("all", None, "xlsx"), EN)
    assert rows_of(workbook(nothing.data)["Summary"])[1][0] == "No rounds in this selection yet."


async def test_the_file_is_recorded_in_the_outbox_then_delivered(
    seeded: Seeded, uow: SqlUnitOfWorkFactory, delivery: object, messenger: object
) -> None:
    to = Address(Channel.CONSOLE, "ada")
    out = await seeded.reports.report_command(seeded.admin, to, ["Globex", "xlsx"], "tg:1")
    again = await seeded.reports.report_command(seeded.admin, to, ["Globex", "xlsx"], "tg:1")

    assert out.lines[0].startswith("candor-Globex-all.xlsx (")
    assert again.lines == out.lines
    async with uow() as u:
        [stored] = [m for m in await u.outbox.list() if m.kind == "file"]  # recorded once
        assert stored.payload["filename"] == "candor-Globex-all.xlsx"
    await delivery.run_once()  # type: ignore[attr-defined]
    [(recipient, document, caption)] = messenger.files  # type: ignore[attr-defined]
    assert recipient == to and caption == "Candor report: Globex · every round"
    ru = await seeded.reports.report_command(
        replace(seeded.admin, language=Language.RU), to, ["Globex", "xlsx"], "tg:2"
    )
    assert ru.lines[0].startswith("candor-Globex-all.xlsx (")
    assert ru.lines[0].endswith("КБ) — в личных сообщениях с ботом.")
    await delivery.run_once()  # type: ignore[attr-defined]
    assert messenger.files[-1][2] == "Отчёт Candor: Globex · все опросы"  # type: ignore[attr-defined]
    assert workbook(document.data).sheetnames[0] == "Summary"
    async with uow() as u:  # delivered: the bytes are not kept
        assert await u.outbox.attachment(stored.id) is None  # type: ignore[arg-type]


async def test_a_file_over_the_limit_is_refused_with_a_clear_message(
    seeded: Seeded, uow: SqlUnitOfWorkFactory
) -> None:
    seeded.reports.max_file_bytes = 1000
    out = await seeded.reports.report_command(
        seeded.admin, Address(Channel.TELEGRAM, "1"), ["Globex", "xlsx"], "k"
    )
    assert out.lines[0].startswith("The file is 0.0 MB, over the 0.000953674 MB")
    async with uow() as u:
        assert await u.outbox.list() == [m for m in await u.outbox.list() if m.kind != "file"]


async def test_trend_charts_decode_and_are_not_blank(seeded: Seeded) -> None:
    one = await seeded.reports.chart(seeded.admin, "Globex", None, RU)
    portfolio = await seeded.reports.chart(seeded.admin, "all", None, EN)

    assert one.mime == portfolio.mime == "image/png"
    assert one.filename == "candor-trend-Globex.png"
    for doc in (one, portfolio):
        pixels = imread(io.BytesIO(doc.data))
        height, width = pixels.shape[:2]
        assert width == 900 and height >= 600  # 6 in at 150 dpi: readable on a phone
        assert pixels[..., :3].std() > 0.05  # drawn on, not a blank canvas
        assert len({tuple(p) for p in pixels[::20, ::20, :3].reshape(-1, 3).tolist()}) > 10


async def test_an_alert_resolved_as_not_about_us_keeps_its_answer_out_of_the_share(
    seeded: Seeded,
) -> None:
    [alert] = await seeded.commands.service.alerts_for_round(2)
    await resolutions(seeded.commands).resolve(
        seeded.admin, alert.id, Disposition.NOT_US, "Anna meant another vendor"
    )
    doc = await seeded.reports.build(seeded.admin, ReportRequest("Globex", "2026-12", "xlsx"), EN)

    book = workbook(doc.data)
    summary = rows_of(book["Summary"])
    dec = dict(zip(summary[0], next(r for r in summary[1:] if r[4] == "stakeholders"), strict=True))
    assert dec["Negative: outcome"] == 0  # Anna's answer stays, out of the negative share
    assert dec["Resolved alerts"] == 1
    rows = rows_of(book["Globex 2026-12"])
    anna = dict(zip(rows[0], next(r for r in rows if r[0] == "Anna"), strict=True))
    assert anna["outcome: Answer"] == NEGATIVE and anna["outcome: Sentiment"] == "negative"
    assert anna["outcome: How it ended"] == "not about us"
    assert "Anna meant another vendor" in anna["outcome: Alert note"]


def test_a_trend_chart_names_its_periods_in_words() -> None:
    globex = Account(1, "Globex", None)
    rounds = [
        RoundData(globex, Round(1, 1, "manual-2026-11-02", "2026-11-02", T0), []),
        RoundData(globex, Round(2, 1, "census-2026-H2", "Census 2026-H2", T0, "user"), []),
    ]
    assert period_labels(rounds, EN) == ["November 2026", "H2 2026 user\ncensus"]
    # A Russian census's title is long: it wraps under its point instead of overlapping.
    ru = period_labels(rounds, RU)
    assert ru[0] == "ноябрь 2026 г."
    assert ru[1].replace("\n", " ") == "Перепись пользователей за 2-е полугодие 2026 г."
    assert all(len(line) <= 16 for line in ru[1].split("\n"))


@pytest.mark.parametrize(
    ("lang", "noon", "evening"),
    [
        (EN, "December 2026 (7 Dec, 12:00)", "December 2026 (7 Dec, 17:00)"),
        (RU, "декабрь 2026 г. (7 дек., 12:00)", "декабрь 2026 г. (7 дек., 17:00)"),
    ],
)
async def test_two_rounds_of_one_day_read_apart_in_every_report(
    seeded: Seeded, service: SurveyService, uow: SqlUnitOfWorkFactory, clock: FakeClock,
    lang: Language, noon: str, evening: str,
) -> None:  # fmt: skip
    # December's round opened at noon, Moscow time; a manager opens one by hand at 17:00.
    clock.advance(timedelta(hours=5))
    await service.open_round_now(seeded.world.account.id)
    globex = "Globex"

    book = workbook(
        (await seeded.reports.build(seeded.admin, ReportRequest(globex, "2026-12", "xlsx"), lang))
        .data
    )  # fmt: skip
    # The sheets keep the key (rows sort and filter by it); the Round column reads apart.
    assert book.sheetnames[1:] == ["Globex 2026-12", "Globex manual-2026-12-07"]
    summary = rows_of(book[book.sheetnames[0]])
    assert [(r[1], r[2]) for r in summary[1:]] == [
        ("2026-12", noon), ("2026-12", noon), ("manual-2026-12-07", evening)
    ]  # fmt: skip
    doc = await seeded.reports.build(seeded.admin, ReportRequest(globex, "2026-12", "csv"), lang)
    rows = list(csv.reader(io.StringIO(doc.data.decode("utf-8-sig"))))
    assert {(r[1], r[2]) for r in rows[1:]} == {("2026-12", noon)}  # nobody answered at 17:00
    # The text report's headings and the trend chart's periods.
    admin = replace(seeded.admin, language=lang)
    table = (await seeded.commands.report(admin, globex, "2026-12")).table or ""
    assert [line for line in table.split("\n") if line.startswith("Globex — ")] == [
        f"Globex — {noon}",
        f"Globex — {evening}",
    ]
    async with uow() as u:
        rounds = await collect(u, [seeded.world.account])
    assert period_labels(rounds, lang)[-2:] == [
        "\n".join(textwrap.wrap(title, 16)) for title in (noon, evening)
    ]
