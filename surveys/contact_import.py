"""Importing an account's population from a CSV or XLSX file: preview first, then write.

The file is read twice as a stream (once for the preview, once to write), never held whole:
CSV through an incremental decoder, XLSX through openpyxl's read-only mode. Rows are
matched to existing contacts of the account in batches, so 100,000 rows cost one batch of
contacts in memory plus one small key per row (to find duplicates in the file).

Writing happens in one transaction: a bad row is reported and skipped, never written, and
a failure half-way leaves nothing written. Import never deletes and never clears a field
with an empty cell, so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from surveys.model import (
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Language,
    Staff,
)
from surveys.ports import Clock, UnitOfWorkFactory
from surveys.texts import t

BATCH = 1000
MAX_BYTES = 16_000_000  # default; bot.settings passes CANDOR_IMPORT_MAX_BYTES
MAX_LISTED = 30  # invalid rows named one by one in a preview; the rest are counted


class Column(StrEnum):
    NAME = "name"
    EMAIL = "email"
    TELEGRAM = "telegram"
    SLACK = "slack"
    LEVEL = "level"
    LANGUAGE = "language"
    EXTERNAL_ID = "external_id"
    TICKETS = "tickets"
    LAST_TICKET = "last_ticket"


def _norm(header: object) -> str:
    text = str(header or "").replace("\ufeff", "").strip().lower().replace("ё", "е")
    return re.sub(r"[\s_\-.:]+", " ", text).strip()


# Header spellings in English and Russian, compared after _norm.
_ALIASES: dict[Column, tuple[str, ...]] = {
    Column.NAME: ("name", "full name", "contact", "имя", "фио", "имя фамилия", "контакт"),
    Column.EMAIL: ("email", "e mail", "mail", "почта", "эл почта", "электронная почта", "емейл"),
    Column.TELEGRAM: ("telegram", "telegram username", "telegram id", "tg", "телеграм",
                      "телеграмм", "ник в телеграм", "telegram username or id"),
    Column.SLACK: ("slack", "slack id", "slack user id", "слак", "slack пользователь"),
    Column.LEVEL: ("level", "уровень", "роль"),
    Column.LANGUAGE: ("language", "lang", "язык"),
    Column.EXTERNAL_ID: ("external id", "id", "внешний id", "идентификатор", "код",
                         "табельный номер"),
    Column.TICKETS: ("tickets", "tickets in period", "ticket count", "requests", "заявки",
                     "заявок", "обращения", "обращений", "количество обращений",
                     "количество заявок"),
    Column.LAST_TICKET: ("last ticket", "last ticket date", "last request", "последняя заявка",
                         "последнее обращение", "дата последнего обращения",
                         "дата последней заявки"),
}  # fmt: skip
_HEADER_OF = {_norm(alias): col for col, aliases in _ALIASES.items() for alias in aliases}
_IDENTITIES = (Column.EXTERNAL_ID, Column.EMAIL, Column.TELEGRAM, Column.SLACK)

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]{2,}$")
_TG_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_LEVELS = {
    "user": ContactLevel.USER, "пользователь": ContactLevel.USER, "юзер": ContactLevel.USER,
    "stakeholder": ContactLevel.STAKEHOLDER, "стейкхолдер": ContactLevel.STAKEHOLDER,
    "заказчик": ContactLevel.STAKEHOLDER, "ключевое лицо": ContactLevel.STAKEHOLDER,
}  # fmt: skip
_LANGS = {"ru": Language.RU, "рус": Language.RU, "русский": Language.RU, "russian": Language.RU,
          "en": Language.EN, "англ": Language.EN, "английский": Language.EN,
          "english": Language.EN}  # fmt: skip


class ImportError_(Exception):
    """The file as a whole cannot be imported; the message says why, in the staff's words."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def text(self, lang: Language) -> str:
        return t(self.key, lang, **self.params)


# --- reading a file into rows --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawRow:
    number: int  # as the person sees it in Excel: the header is row 1 (or later)
    cells: dict[Column, object]


def read_rows(path: Path, max_bytes: int = MAX_BYTES) -> Iterator[RawRow]:
    """The file's data rows with recognised columns. Raises ImportError_ on a bad file."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportError_(
            "import_too_big", size=f"{size / 1e6:.1f}", limit=f"{max_bytes / 1e6:.0f}"
        )
    if size == 0:
        raise ImportError_("import_not_table")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        yield from _xlsx_rows(path)
    else:
        yield from _csv_rows(path, head)


def _header(values: list[object]) -> dict[int, Column] | None:
    found: dict[int, Column] = {}
    for i, value in enumerate(values):
        col = _HEADER_OF.get(_norm(value))
        if col is not None and col not in found.values():
            found[i] = col
    return found if found else None


def _check_header(found: dict[int, Column]) -> None:
    cols = set(found.values())
    if Column.NAME not in cols:
        raise ImportError_("import_no_column", column="name / имя")
    if not cols & set(_IDENTITIES):
        raise ImportError_("import_no_column", column="email / telegram / slack / external id")


def _encoding(path: Path, head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16, as "Unicode text" saves
        raise ImportError_("import_encoding")
    if b"\x00" in head:  # no text table has NUL bytes: an image, a PDF, a binary
        raise ImportError_("import_not_table")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # One streaming pass: valid UTF-8 throughout, or else Windows-1251 (Russian Excel).
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1 << 16):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1251"
    return "utf-8"


def _csv_rows(path: Path, head: bytes) -> Iterator[RawRow]:
    encoding = _encoding(path, head)
    with path.open("r", encoding=encoding, errors="strict", newline="") as fh:
        first = fh.readline()
        # Russian Excel writes semicolons; whichever separator the header uses wins.
        delimiter = max((";", ",", "\t"), key=first.count)
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = next(reader, None)
            found = _header(header or [])
            if found is None:
                raise ImportError_("import_not_table" if encoding == "utf-8" else "import_encoding")
            _check_header(found)
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                yield RawRow(number, {c: values[i] for i, c in found.items() if i < len(values)})
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportError_("import_not_table") from exc


def _xlsx_rows(path: Path) -> Iterator[RawRow]:
    from openpyxl import load_workbook  # only XLSX imports pay for it

    fh = path.open("rb")  # a file object: the name's extension (a chat upload's) is no guide
    try:
        # read_only streams the sheet; data_only takes a formula's value as Excel saved it.
        book = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        fh.close()
        raise ImportError_("import_not_table") from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise ImportError_("import_not_table")
        found: dict[int, Column] | None = None
        # The header may sit under a title (often a merged cell): look at the first rows.
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if found is None:
                found = _header(list(values))
                if found is not None and Column.NAME in found.values():
                    _check_header(found)
                else:
                    found = None
                    if number >= 10:
                        break
                continue
            if not any(v not in (None, "") for v in values):
                continue
            yield RawRow(number, {c: values[i] for i, c in found.items() if i < len(values)})
        if found is None:
            raise ImportError_("import_not_table")
    finally:
        book.close()
        fh.close()


# --- one row checked --------------------------------------------------------------------


@dataclass(slots=True)
class ContactFields:
    """What a valid row says about a person; None means the cell was empty (left alone)."""

    name: str
    email: str | None = None
    telegram_username: str | None = None
    telegram_id: str | None = None
    slack_id: str | None = None
    level: ContactLevel | None = None
    language: Language | None = None
    external_id: str | None = None
    tickets: int | None = None
    last_ticket_at: datetime | None = None

    def key(self) -> str:
        """The person's identity in this file: the first identifying value present."""
        if self.external_id:
            return f"x:{self.external_id}"
        if self.email:
            return f"e:{self.email}"
        if self.telegram_id:
            return f"t:{self.telegram_id}"
        if self.telegram_username:
            return f"u:{self.telegram_username}"
        return f"s:{self.slack_id}"


class RowError(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps ids and counts as floats
    return str(value).strip()


def parse_row(cells: dict[Column, object]) -> ContactFields:
    name = _text(cells.get(Column.NAME))
    if not name:
        raise RowError("row_no_name")
    if len(name) > 200:
        raise RowError("row_too_long", column="name")
    fields = ContactFields(name=name)
    if email := _text(cells.get(Column.EMAIL)).lower():
        if not _EMAIL.match(email) or len(email) > 320:
            raise RowError("row_bad_email", value=email[:80])
        fields.email = email
    if tg := _text(cells.get(Column.TELEGRAM)):
        tg = re.sub(r"^(https?://)?(t\.me/|telegram\.me/)", "", tg).lstrip("@")
        if tg.isdigit() and len(tg) <= 20:
            fields.telegram_id = tg
        elif _TG_USERNAME.match(tg):
            fields.telegram_username = tg.lower()
        else:
            raise RowError("row_bad_telegram", value=tg[:80])
    if slack := _text(cells.get(Column.SLACK)).upper():
        if not _SLACK_ID.match(slack):
            raise RowError("row_bad_slack", value=slack[:80])
        fields.slack_id = slack
    if level := _text(cells.get(Column.LEVEL)).lower():
        if level not in _LEVELS:
            raise RowError("row_bad_level", value=level[:40])
        fields.level = _LEVELS[level]
    if lang := _text(cells.get(Column.LANGUAGE)).lower():
        if lang not in _LANGS:
            raise RowError("row_bad_language", value=lang[:40])
        fields.language = _LANGS[lang]
    if ext := _text(cells.get(Column.EXTERNAL_ID)):
        if len(ext) > 128:
            raise RowError("row_too_long", column="external id")
        fields.external_id = ext
    if tickets := _text(cells.get(Column.TICKETS)):
        if not tickets.isdigit():
            raise RowError("row_bad_tickets", value=tickets[:40])
        fields.tickets = int(tickets)
    last = cells.get(Column.LAST_TICKET)
    if last not in (None, ""):
        fields.last_ticket_at = _moment(last)
    if not (fields.email or fields.telegram_id or fields.telegram_username or fields.slack_id
            or fields.external_id):  # fmt: skip
        raise RowError("row_no_identity")
    return fields


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise RowError("row_bad_date", value=text[:40])


# --- matching rows to contacts ----------------------------------------------------------


class ImportStore(Protocol):
    """What an import needs from storage, inside one transaction."""

    async def matching(self, account_id: int, rows: list[ContactFields]) -> list[Contact]:
        """Contacts of the account sharing an identity with any of ``rows``."""
        ...

    async def slack_holders(self, slack_ids: list[str]) -> dict[str, int]:
        """Slack user id -> account id, for ids already bound to any contact."""
        ...

    async def add_many(self, contacts: list[Contact]) -> None: ...
    async def update_many(self, contacts: list[Contact]) -> None: ...


@dataclass(slots=True)
class Preview:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    written: bool = False

    def note(self, row: int, key: str, params: dict[str, Any]) -> None:
        self.invalid += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append((row, key, params))

    def render(self, lang: Language, account: str) -> str:
        head = "import_done" if self.written else "import_preview"
        lines = [t(head, lang, account=account, new=self.new, updated=self.updated,
                   unchanged=self.unchanged, invalid=self.invalid)]  # fmt: skip
        for row, key, params in self.problems:
            lines.append(t("import_row", lang, row=row, reason=t(key, lang, **params)))
        if self.invalid > len(self.problems):
            lines.append(t("import_more", lang, count=self.invalid - len(self.problems)))
        return "\n".join(lines)


def _find(existing: list[Contact], row: ContactFields) -> Contact | None:
    for attr, value in (
        ("external_id", row.external_id),
        ("email", row.email),
        ("telegram_id", row.telegram_id),
        ("telegram_username", row.telegram_username),
    ):
        if value:
            for contact in existing:
                if getattr(contact, attr) == value:
                    return contact
    if row.slack_id:
        for contact in existing:
            if contact.channel is Channel.SLACK and contact.address == row.slack_id:
                return contact
    return None


def merged(contact: Contact, row: ContactFields, now: datetime) -> Contact:
    """The contact with the row's non-empty cells applied; the same object if nothing differs."""
    changes: dict[str, Any] = {}
    for attr in ("name", "email", "telegram_username", "telegram_id", "level", "language",
                 "external_id", "tickets"):  # fmt: skip
        value = getattr(row, attr)
        if value is not None and getattr(contact, attr) != value:
            changes[attr] = value
    if row.last_ticket_at is not None:
        if contact.last_ticket_at != row.last_ticket_at:
            changes["last_ticket_at"] = row.last_ticket_at
    elif row.tickets and contact.last_ticket_at is None:
        # A count without a date: the tickets were in the period this file describes.
        changes["last_ticket_at"] = now
    if row.slack_id and contact.reachable_at is None:
        changes.update(channel=Channel.SLACK, address=row.slack_id, status=ContactStatus.ACTIVE)
    return replace(contact, **changes) if changes else contact


def staff_identities(people: list[Staff]) -> dict[str, str]:
    """Staff by the identity a row would name them with (``ContactFields.key`` prefixes):
    a client's export may list our people (the agents on its tickets), who are not surveyed."""
    found: dict[str, str] = {}
    for person in people:
        if person.slack_user_id:
            found[f"s:{person.slack_user_id}"] = person.name
        if person.telegram_user_id is not None:
            found[f"t:{person.telegram_user_id}"] = person.name
    return found


def _staff_named(row: ContactFields, staff: dict[str, str]) -> str | None:
    for key in (f"s:{row.slack_id}" if row.slack_id else None,
                f"t:{row.telegram_id}" if row.telegram_id else None):  # fmt: skip
        if key is not None and key in staff:
            return staff[key]
    return None


def new_contact(account_id: int, row: ContactFields, default: Language, now: datetime) -> Contact:
    base = Contact(
        id=0,
        account_id=account_id,
        name=row.name,
        level=row.level or ContactLevel.USER,
        language=row.language or default,
        status=ContactStatus.INVITED,
    )
    return merged(base, replace(row, level=None, language=None), now)


class ContactImport:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, max_bytes: int = MAX_BYTES) -> None:
        self.uow = uow
        self.clock = clock
        self.max_bytes = max_bytes

    async def run(self, account_name: str, path: Path, *, write: bool) -> tuple[str, Preview]:
        """Preview (write=False) or import the file; the account's name and the outcome.

        Raises LookupError for an unknown account, ImportError_ for a bad file."""
        now = self.clock.now()
        async with self.uow() as uow:
            account = await uow.accounts.by_name(account_name)
            if account is None:
                raise LookupError(account_name)
            store: ImportStore = uow.census
            staff = staff_identities(await uow.staff.list())
            preview = Preview()
            seen: dict[str, int] = {}
            batch: list[tuple[int, ContactFields]] = []
            for raw in read_rows(path, self.max_bytes):
                try:
                    fields = parse_row(raw.cells)
                except RowError as exc:
                    preview.note(raw.number, exc.key, exc.params)
                    continue
                key = fields.key()
                if key in seen:
                    preview.note(raw.number, "row_duplicate", {"first": seen[key]})
                    continue
                seen[key] = raw.number
                batch.append((raw.number, fields))
                if len(batch) >= BATCH:
                    await self._batch(store, account.id, account.language, batch, preview, now,
                                      write, staff)  # fmt: skip
                    batch = []
            if batch:
                await self._batch(store, account.id, account.language, batch, preview, now,
                                  write, staff)  # fmt: skip
            if write:
                await uow.commit()
                preview.written = True
        return account.name, preview

    async def _batch(
        self,
        store: ImportStore,
        account_id: int,
        default: Language,
        batch: list[tuple[int, ContactFields]],
        preview: Preview,
        now: datetime,
        write: bool,
        staff: dict[str, str],
    ) -> None:
        existing = await store.matching(account_id, [f for _, f in batch])
        holders = await store.slack_holders([f.slack_id for _, f in batch if f.slack_id])
        added: list[Contact] = []
        changed: list[Contact] = []
        for number, fields in batch:
            found = _find(existing, fields)
            if (name := _staff_named(fields, staff)) is not None:
                preview.note(number, "row_staff", {"name": name})
                continue
            if fields.slack_id and holders.get(fields.slack_id, account_id) != account_id:
                preview.note(number, "row_slack_taken", {"value": fields.slack_id})
                continue
            if found is None:
                added.append(new_contact(account_id, fields, default, now))
                preview.new += 1
                continue
            after = merged(found, fields, now)
            if after is found:
                preview.unchanged += 1
            else:
                changed.append(after)
                preview.updated += 1
        if write:
            await store.add_many(added)
            await store.update_many(changed)


def iter_identities(rows: Iterable[ContactFields]) -> dict[str, list[str]]:
    """The identity values of ``rows`` by kind, for one storage query per batch."""
    out: dict[str, list[str]] = {"external_id": [], "email": [], "telegram_id": [],
                                 "telegram_username": [], "slack": []}  # fmt: skip
    for row in rows:
        for attr in ("external_id", "email", "telegram_id", "telegram_username"):
            if value := getattr(row, attr):
                out[attr].append(value)
        if row.slack_id:
            out["slack"].append(row.slack_id)
    return out
