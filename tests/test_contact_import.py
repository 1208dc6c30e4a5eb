"""Importing a population from CSV/XLSX: preview, idempotent re-import, every bad-file case,
on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook

from storage.census import SqlCensusRepository
from storage.repositories import SqlUnitOfWorkFactory
from surveys.contact_import import MAX_LISTED, ContactImport, ImportError_, Preview
from surveys.model import Channel, ContactLevel, Language
from tests.conftest import FakeClock, World

SAMPLE = Path(__file__).resolve().parents[1] / "bot" / "console" / "sample_census.csv"

GOOD = (
    "name,email,telegram,slack,level,language,external id,tickets\n"
    "Ivan Petrov,ivan@example.com,@ivan_p,,user,ru,E-1,3\n"
    "Jane Doe,jane@example.com,,U0JANE,user,en,E-2,1\n"
    "Pat Lee,pat@example.com,,,stakeholder,en,E-3,\n"
)


def write(tmp_path: Path, body: str | bytes, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode("utf-8") if isinstance(body, str) else body)
    return path


async def contacts_of(uow: SqlUnitOfWorkFactory, account_id: int) -> list:
    async with uow() as u:
        return await u.contacts.for_account(account_id)


async def test_preview_writes_nothing_then_import_then_reimport_changes_nothing(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    importer = ContactImport(uow, clock)
    path = write(tmp_path, GOOD)
    before = await contacts_of(uow, world.account.id)

    _, preview = await importer.run("Globex", path, write=False)
    assert (preview.new, preview.updated, preview.unchanged, preview.invalid) == (3, 0, 0, 0)
    assert "nothing written yet" in preview.render(Language.EN, "Globex")
    assert await contacts_of(uow, world.account.id) == before

    _, done = await importer.run("Globex", path, write=True)
    assert done.written and done.new == 3
    people = {c.name: c for c in await contacts_of(uow, world.account.id)}
    ivan = people["Ivan Petrov"]
    assert (ivan.level, ivan.language, ivan.telegram_username, ivan.tickets) == (
        ContactLevel.USER, Language.RU, "ivan_p", 3)  # fmt: skip
    assert ivan.last_ticket_at == clock.now()  # a count without a date: this period
    assert people["Jane Doe"].reachable_at is not None  # a Slack id binds at once
    assert people["Jane Doe"].channel is Channel.SLACK
    assert people["Pat Lee"].level is ContactLevel.STAKEHOLDER

    clock.advance(clock.now() - clock.now())  # same file again, later
    _, again = await importer.run("Globex", path, write=True)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert {c.name: c for c in await contacts_of(uow, world.account.id)} == people


async def test_update_changes_only_filled_cells_and_never_deletes(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    importer = ContactImport(uow, clock)
    await importer.run("Globex", write(tmp_path, GOOD), write=True)
    smaller = "external id;имя;язык\nE-1;Иван Петров;\n"  # RU headers, semicolons, one row
    _, preview = await importer.run("Globex", write(tmp_path, smaller, "b.csv"), write=True)
    assert (preview.new, preview.updated, preview.unchanged) == (0, 1, 0)
    people = {c.external_id: c for c in await contacts_of(uow, world.account.id)}
    assert len([c for c in people if c]) == 3  # nobody deleted
    assert people["E-1"].name == "Иван Петров"
    assert people["E-1"].language is Language.RU and people["E-1"].email == "ivan@example.com"


@pytest.mark.parametrize(
    "encoding,bom", [("utf-8", False), ("utf-8", True), ("cp1251", False)], ids=str
)
async def test_russian_headers_semicolons_bom_and_windows_1251(
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
    world: World,
    tmp_path: Path,
    encoding: str,
    bom: bool,
) -> None:
    body = "Уровень;ФИО;Почта;Обращений\nпользователь;Ёлкина Анна;anna.e@example.ru;2\n"
    raw = (b"\xef\xbb\xbf" if bom else b"") + body.encode(encoding)
    _, preview = await ContactImport(uow, clock).run("Globex", write(tmp_path, raw), write=True)
    assert preview.new == 1 and preview.invalid == 0
    names = [c.name for c in await contacts_of(uow, world.account.id)]
    assert "Ёлкина Анна" in names


async def test_bad_rows_are_listed_with_reasons_and_good_rows_still_import(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    body = (
        "name,email,telegram,level\n"
        "Good One,good@example.com,,user\n"  # row 2
        "Bad Mail,not-an-email,,user\n"  # row 3
        "Again,GOOD@example.com,,user\n"  # row 4: duplicate of row 2 (case-insensitive)
        ",nameless@example.com,,user\n"  # row 5
        "Nobody,,,user\n"  # row 6
        "Odd Level,odd@example.com,,boss\n"  # row 7
        "Bad Tg,,@x!,user\n"  # row 8
    )
    importer = ContactImport(uow, clock)
    _, preview = await importer.run("Globex", write(tmp_path, body), write=True)
    assert preview.new == 1 and preview.invalid == 6
    reasons = {row: key for row, key, _ in preview.problems}
    assert reasons == {
        3: "row_bad_email", 4: "row_duplicate", 5: "row_no_name", 6: "row_no_identity",
        7: "row_bad_level", 8: "row_bad_telegram",
    }  # fmt: skip
    text = preview.render(Language.EN, "Globex")
    assert "row 3: invalid e-mail “not-an-email”" in text
    assert "row 4: the same person as row 2" in text
    assert len(await contacts_of(uow, world.account.id)) == 3  # anna, boris, good one


async def test_rows_naming_staff_are_skipped_with_the_reason(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    # Olga (owner) is on Slack, Max (manager) on Telegram: a client's export may list
    # them, e.g. as the agents who handled its tickets.
    async with uow() as u:
        await u.staff.update(replace(world.owner, slack_user_id="U0OLGA"))
        await u.staff.update(replace(world.manager, telegram_user_id=777))
        await u.commit()
    body = (
        "name,telegram,slack,level\n"
        "Olga,,U0OLGA,user\n"  # row 2
        "Max,777,,user\n"  # row 3
        "Jane Doe,,U0JANE,user\n"  # row 4
    )
    importer = ContactImport(uow, clock)
    _, preview = await importer.run("Globex", write(tmp_path, body), write=True)
    assert (preview.new, preview.invalid) == (1, 2)
    assert preview.render(Language.EN, "Globex").split("\n")[1:] == [
        "row 2: Olga Owner is client service staff: staff get alerts, they are not surveyed",
        "row 3: Max Manager is client service staff: staff get alerts, they are not surveyed",
    ]
    assert preview.render(Language.RU, "Globex").split("\n")[1] == (
        "строка 2: Olga Owner — сотрудник клиентского сервиса: сотрудники получают алерты,"
        " опросы им не приходят"
    )
    names = {c.name for c in await contacts_of(uow, world.account.id)}
    assert names == {"Anna", "Борис", "Jane Doe"}


@pytest.mark.parametrize(
    "body,key",
    [
        pytest.param(b"email,level\na@example.com,user\n", "import_no_column", id="no-name-column"),
        pytest.param(b"name,level\nA,user\n", "import_no_column", id="no-identity-column"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "import_not_table", id="binary"),
        pytest.param("name,email\nИван,i@x.ru\n".encode("utf-16"), "import_encoding", id="utf16"),
        pytest.param(b"hello world\nthis is prose, not a table\n", "import_not_table", id="prose"),
        pytest.param(b"", "import_not_table", id="empty"),
        pytest.param(b"PK\x03\x04garbage-zip", "import_not_table", id="fake-xlsx"),
        pytest.param(
            "Имя;Почта\n".encode("koi8_r") + b"\xff\xfe;\n", "import_encoding", id="koi8-r"
        ),
    ],
)
async def test_bad_files_are_refused_with_a_reason_and_nothing_written(
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
    world: World,
    tmp_path: Path,
    body: bytes,
    key: str,
) -> None:
    before = await contacts_of(uow, world.account.id)
    with pytest.raises(ImportError_) as caught:
        await ContactImport(uow, clock).run("Globex", write(tmp_path, body), write=True)
    assert caught.value.key == key
    assert caught.value.text(Language.RU) and caught.value.text(Language.EN)
    assert await contacts_of(uow, world.account.id) == before


async def test_a_20_mb_file_is_refused_before_reading(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    with path.open("w") as fh:
        fh.write("name,email\n")
        row = "Someone Long Name,someone@example.com\n"
        fh.write(row * (20_000_000 // len(row) + 1))
    with pytest.raises(ImportError_) as caught:
        await ContactImport(uow, clock).run("Globex", path, write=True)
    assert caught.value.key == "import_too_big"
    assert "20.0 MB" in caught.value.text(Language.EN)
    assert len(await contacts_of(uow, world.account.id)) == 2


async def test_a_failure_half_way_leaves_nothing_written(
    uow: SqlUnitOfWorkFactory,
    clock: FakeClock,
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = "name,email\n" + "".join(f"P{i},p{i}@example.com\n" for i in range(2500))
    real_add = SqlCensusRepository.add_many
    calls = 0

    async def add_then_crash(self: SqlCensusRepository, contacts: list) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # two batches of 1,000 are already in the transaction
            raise ConnectionError("database went away")
        await real_add(self, contacts)

    monkeypatch.setattr(SqlCensusRepository, "add_many", add_then_crash)
    with pytest.raises(ConnectionError):
        await ContactImport(uow, clock).run("Globex", write(tmp_path, body), write=True)
    assert calls == 3
    assert len(await contacts_of(uow, world.account.id)) == 2


async def test_xlsx_with_title_merged_cells_formulas_and_dates(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Users of Globex, 2026-H1"])  # a title row over the header
    sheet.merge_cells("A1:D1")
    sheet.append(["Name", "E-mail", "Last ticket", "Level"])
    sheet.append(["Olga", "olga@example.com", clock.now().replace(tzinfo=None), "user"])
    sheet.append(["Formula Man", '=LOWER("FM@EXAMPLE.COM")', None, "user"])  # no saved value
    sheet.append(["Merged", "merged@example.com", None, "user"])
    sheet.append([None, None, None, None])
    sheet.merge_cells("A5:A6")
    path = tmp_path / "people.xlsx"
    book.save(path)

    _, preview = await ContactImport(uow, clock).run("Globex", path, write=True)
    assert preview.new == 2 and preview.invalid == 1
    assert preview.problems[0][:2] == (4, "row_no_identity")  # formula without a value
    people = {c.name: c for c in await contacts_of(uow, world.account.id)}
    assert people["Olga"].last_ticket_at == clock.now()


async def test_unknown_account_is_a_lookup_error(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World, tmp_path: Path
) -> None:
    with pytest.raises(LookupError):
        await ContactImport(uow, clock).run("Nope", write(tmp_path, GOOD), write=False)


async def test_the_shipped_sample_imports_cleanly(
    uow: SqlUnitOfWorkFactory, clock: FakeClock, world: World
) -> None:
    _, preview = await ContactImport(uow, clock).run("Globex", SAMPLE, write=False)
    assert preview.invalid == 0 and preview.new >= 5


@pytest.mark.parametrize("invalid", [1, 2, MAX_LISTED + 1])
def test_import_outcome_counts_skipped_rows_without_a_wrong_plural(invalid: int) -> None:
    # "1 invalid rows skipped" / "… and 1 more invalid rows": the count now follows the
    # words, as in Russian («пропущено строк с ошибками: 1»), so any number reads right.
    done = Preview(new=2, written=True)
    for row in range(invalid):
        done.note(row + 2, "row_no_identity", {})
    text = done.render(Language.EN, "Globex")
    head, *rest = text.splitlines()
    assert (
        head
        == f"Imported into Globex: new 2, updated 0, unchanged 0; invalid rows skipped: {invalid}."
    )
    assert len(rest) == min(invalid, MAX_LISTED) + (invalid > MAX_LISTED)
    if invalid > MAX_LISTED:
        assert rest[-1] == "… invalid rows not listed: 1."
    ru = done.render(Language.RU, "Globex").splitlines()
    assert ru[0].endswith(f"пропущено строк с ошибками: {invalid}.")
