"""`candor demo`: one whole round in the terminal, no tokens needed.

It seeds a demo account (an owner, a manager, you as the client contact), opens a round,
and lets you answer — typed or piped on standard input. Every message goes the real way:
recorded in the outbox, then delivered by the delivery worker to the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.app import App
from bot.console.messenger import ConsoleMessenger
from bot.settings import Settings
from surveys import commands
from surveys.alert_view import show_alert
from surveys.census import Census
from surveys.contact_import import ContactImport
from surveys.conversation import ContactEvent, EventKind
from surveys.model import (
    Account,
    Address,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Disposition,
    Language,
    Staff,
    StaffRole,
)
from surveys.onboarding import typed_language
from surveys.ports import Clock
from surveys.reports import render_table
from surveys.round_names import round_name
from surveys.texts import t

CLIENT = "client"
OWNER = "owner"
MANAGER = "manager"
NON_TEXT = {"/sticker": "sticker", "/photo": "photo", "/voice": "voice", "/file": "file"}
BUTTONS = {"/skip": EventKind.SKIP, "/later": EventKind.LATER, "/decline": EventKind.DECLINE}

_NAMES = {
    Language.EN: ("Olga Petrova", "Max Orlov", "Northwind Logistics (demo)", "Anna Smith"),
    Language.RU: ("Ольга Петрова", "Максим Орлов", "Северный ветер (демо)", "Анна Смирнова"),
}
_ROLES = {Language.EN: ("you", "account owner"), Language.RU: ("вы", "владелец аккаунта")}
_MANAGER = {Language.EN: "client service manager", Language.RU: "менеджер клиентского сервиса"}
_NOTHING_TO_EDIT = {Language.EN: "(nothing to edit yet)", Language.RU: "(пока нечего исправлять)"}
_HELP = {
    Language.EN: (
        "Candor demo: you are {contact}, a client of {account}. Answer in your own words.\n"
        "Also try /skip, /later, /decline, /edit <new text> (edits your last answer), "
        "/sticker, /photo, /voice, /file. End with Ctrl-D.\n"
    ),
    Language.RU: (
        "Демо Candor: вы — {contact}, клиент компании «{account}». Отвечайте своими словами.\n"
        "Попробуйте также /skip, /later, /decline, /edit <новый текст> (исправить последний "
        "ответ), /sticker, /photo, /voice, /file. Завершить — Ctrl-D.\n"
    ),
}


@dataclass(slots=True)
class Typist:
    """The contact at the terminal. The terminal's own words to them (the prompt, who a
    message is for, hints) speak ``lang``, which follows their /lang as the survey does."""

    console: ConsoleMessenger
    address: str  # their console id
    name: str | None  # shown beside "you" (the round's demo); None: "you" alone
    lang: Language

    def __post_init__(self) -> None:
        self.speak(self.lang)

    def speak(self, lang: Language) -> None:
        self.lang = lang
        you = _ROLES[lang][0]
        self.console.names[self.address] = f"{you} ({self.name})" if self.name else you


@dataclass(frozen=True, slots=True)
class DemoCast:
    owner: Staff
    account: Account
    contact: Contact
    client: str  # the contact's console id


def _console_id(role: str, lang: Language) -> str:
    """One cast per language, so `candor demo` then `candor demo --lang ru` on one database
    each find their own client in their own account (one shared client stayed in the first
    account, and the second language's round had nobody to ask)."""
    return role if lang is Language.EN else f"{role}-{lang.value}"


async def seed(app: App, lang: Language) -> DemoCast:
    """The demo's people and account; idempotent, so the demo can run again on one database."""
    owner_name, manager_name, account_name, contact_name = _NAMES[lang]
    owner_id, manager_id, client_id = (_console_id(r, lang) for r in (OWNER, MANAGER, CLIENT))
    now = app.clock.now()
    async with app.uow() as uow:
        owner = await uow.staff.by_address(Address(Channel.CONSOLE, owner_id))
        if owner is None:
            owner = await uow.staff.add(
                Staff(0, owner_name, StaffRole.OWNER, lang, console_name=owner_id, created_at=now)
            )
        if await uow.staff.by_address(Address(Channel.CONSOLE, manager_id)) is None:
            await uow.staff.add(
                Staff(0, manager_name, StaffRole.MANAGER, lang, console_name=manager_id,
                      created_at=now)
            )  # fmt: skip
        account = await uow.accounts.by_name(account_name)
        if account is None:
            account = await uow.accounts.add(
                Account(0, account_name, owner.id, "gold", lang, app.settings.timezone)
            )
        contact = await uow.contacts.by_address(Address(Channel.CONSOLE, client_id))
        if contact is None:
            contact = await uow.contacts.add(
                Contact(
                    0,
                    account.id,
                    contact_name,
                    ContactLevel.STAKEHOLDER,
                    lang,
                    ContactStatus.ACTIVE,
                    Channel.CONSOLE,
                    client_id,
                )
            )
        await uow.commit()
    return DemoCast(owner, account, contact, client_id)


def parse_line(line: str) -> ContactEvent | tuple[str, str]:
    """A typed line as a contact event, ("edit", text) for /edit, or ("lang", code) for
    /lang and the same typed without the slash, as on Telegram and Slack (not an answer)."""
    text = line.rstrip("\n")
    if (wanted := typed_language(text)) is not None:
        return ("lang", wanted.value)
    command, _, rest = text.strip().partition(" ")
    if command == "/lang":
        return ("lang", rest.strip().lower())
    if command in NON_TEXT:
        return ContactEvent(EventKind.NON_TEXT, media=NON_TEXT[command])
    if command in BUTTONS and not rest:
        return ContactEvent(BUTTONS[command])
    if command == "/edit":
        return ("edit", rest)
    return ContactEvent(EventKind.TEXT, text)


async def run_demo(
    settings: Settings,
    stdin: TextIO,
    stdout: TextIO,
    *,
    lang: Language,
    interactive: bool,
    clock: Clock | None = None,
    census: bool = False,
) -> int:
    console = ConsoleMessenger(stdout)
    app = await App.create(settings, {Channel.CONSOLE: console}, clock)
    try:
        cast = await seed(app, lang)
        if census:
            return await _census_demo(app, cast, console, stdin, stdout, lang, interactive)
        typist = Typist(console, cast.client, cast.contact.name, lang)
        console.names[cast.owner.console_name or OWNER] = f"{cast.owner.name}, {_ROLES[lang][1]}"
        async with app.uow() as uow:  # alert copies to managers show who gets them
            for other in Language:
                found = await uow.staff.by_address(
                    Address(Channel.CONSOLE, _console_id(MANAGER, other))
                )
                if found is not None and found.console_name:
                    console.names[found.console_name] = f"{found.name}, {_MANAGER[other]}"
        stdout.write(_HELP[lang].format(contact=cast.contact.name, account=cast.account.name))
        stdout.write("\n")
        now = app.clock.now()
        title = "Sprint 14 (demo)" if lang is Language.EN else "Спринт 14 (демо)"
        # A fresh period per run, so the demo can be replayed on the same database.
        opened = await app.service.open_round(
            cast.account.id, f"demo-{now:%Y%m%dT%H%M%S.%f}", title
        )
        await app.delivery.run_once()
        me = Address(Channel.CONSOLE, cast.client)
        await _converse(app, me, cast.contact.id, str(opened.round.id), stdin, stdout, typist,
                        interactive)  # fmt: skip
        await _print_outcome(app, opened.round.id, stdout, lang)
        await _close_the_loop(app, cast, opened.round.id, stdin, stdout, lang, typist,
                              interactive)  # fmt: skip
        return 0
    finally:
        await app.close()


CENSUS_USER = "census-user"
SAMPLE = Path(__file__).with_name("sample_census.csv")


async def _census_demo(
    app: App, cast: DemoCast, console: ConsoleMessenger, stdin: TextIO, stdout: TextIO,
    lang: Language, interactive: bool,
) -> int:  # fmt: skip
    """A small census: the shipped sample CSV imported (preview, then written), you open the
    account's census link as the sample's Анна (matched by her Telegram name) and answer."""
    importer = ContactImport(app.uow, app.clock)
    name, preview = await importer.run(cast.account.name, SAMPLE, write=False)
    stdout.write(f"$ candor import contacts {SAMPLE.name} --dry-run\n")
    stdout.write(preview.render(lang, name) + "\n")
    _, done = await importer.run(cast.account.name, SAMPLE, write=True)
    stdout.write(done.render(lang, name) + "\n\n")
    census = Census(app.service)
    round_, _, _ = await census.start(cast.account.id, None, None)
    token = await census.create_link(cast.account.id)
    user = _console_id(CENSUS_USER, lang)
    me = Address(Channel.CONSOLE, user)
    typist = Typist(console, user, None, lang)
    stdout.write(_CENSUS_LINK[lang].format(token=token[:16]) + "\n")
    await census.open_link(token, me, telegram_id="1001", username="anna_smirnova",
                           name="Anna", hint=lang, reply_key=f"demo:{token}")  # fmt: skip
    await census.fan_out()
    await app.delivery.run_once()
    await census.fan_out()  # the loop's next pass: every first question delivered, done
    async with app.uow() as uow:
        contact = await uow.contacts.by_address(me)
    assert contact is not None
    # The same typing as the round's demo: the buttons, /edit and non-text input work here
    # too (they were stored as answers, and «/sticker» paged the owner).
    await _converse(app, me, contact.id, f"census-{round_.id}", stdin, stdout, typist, interactive)
    found = await census.progress(cast.account.id)
    if found is not None:
        async with app.uow() as uow:
            title = await round_name(uow, round_, lang)
        stdout.write("=" * 60 + "\n" + found[1].render(lang, cast.account.name, title))
        stdout.write("\n")
    await _print_outcome(app, round_.id, stdout, lang)
    return 0


async def _converse(
    app: App, me: Address, contact_id: int, prefix: str, stdin: TextIO, stdout: TextIO,
    typist: Typist, interactive: bool,
) -> None:  # fmt: skip
    """The client's lines, read until their conversation ends (or the input does): answers,
    the buttons (/skip, /later, /decline), /edit of the last answer, /lang and simulated
    non-text input. ``prefix`` keeps message ids apart between rounds."""
    sequence = 0
    last_answer_id: str | None = None
    while await _still_open(app, contact_id):
        line = _read(stdin, stdout, typist.lang, interactive)
        if not line:
            break
        parsed = parse_line(line)
        sequence += 1
        if isinstance(parsed, tuple) and parsed[0] == "lang":
            if (switched := await switch_language(app, me, parsed[1], stdout)) is not None:
                typist.speak(switched)
            await app.delivery.run_once()
            continue
        if isinstance(parsed, tuple):
            if last_answer_id is None:
                stdout.write(f"{_NOTHING_TO_EDIT[typist.lang]}\n\n")
                continue
            await app.service.handle_edit(me, last_answer_id, parsed[1])
        else:
            message_id = f"{prefix}-{sequence}"
            event = ContactEvent(parsed.kind, parsed.text, message_id, parsed.media)
            await app.service.handle_event(me, event)
            if parsed.kind is EventKind.TEXT and parsed.text.strip():
                last_answer_id = message_id
        await app.delivery.run_once()


async def switch_language(app: App, me: Address, wanted: str, stdout: TextIO) -> Language | None:
    """/lang typed in the terminal: the contact's reply, in the language they now read,
    then (through the outbox) the question they are on in it, as on Telegram and Slack.
    The language set, if one was."""
    if wanted not in (Language.RU.value, Language.EN.value):
        lang = await app.service.contact_language(me) or app.settings.default_language
        stdout.write(t("language_choose", lang) + "\n\n")
        return None
    done = await app.onboarding.set_language(me, Language(wanted))
    stdout.write((done or t("unknown_user", app.settings.default_language)) + "\n\n")
    if done is None:
        return None
    await app.service.ask_again(me)
    return Language(wanted)


def _read(stdin: TextIO, stdout: TextIO, lang: Language, interactive: bool) -> str:
    """One line the client types. Piped, it is echoed after the prompt, so the transcript
    shows the answers beside the questions they answer."""
    prompt = f"{_ROLES[lang][0]}> "
    if interactive:
        stdout.write(prompt)
        stdout.flush()
    line = stdin.readline()
    if line.strip() and not interactive:
        stdout.write(f"{prompt}{line.rstrip()}\n")
    return line


async def _still_open(app: App, contact_id: int) -> bool:
    async with app.uow() as uow:
        conv = await uow.conversations.current_for_contact(contact_id)
    return conv is not None and conv.status.is_open


async def _print_outcome(app: App, round_id: int, stdout: TextIO, lang: Language) -> None:
    summary = await app.service.round_summary(round_id)
    alerts = await app.service.alerts_for_round(round_id)
    heading = {
        Language.EN: ("Alerts sent to the account owner in this round: {n}", "Round summary"),
        Language.RU: ("Алертов владельцу аккаунта в этом опросе: {n}", "Сводка опроса"),
    }[lang]
    stdout.write("=" * 60 + "\n")
    stdout.write(heading[0].format(n=len(alerts)) + "\n\n")
    stdout.write(f"{heading[1]}\n{render_table(summary, lang)}\n")


_CENSUS_LINK = {
    Language.EN: "/start {token}… (census link, opened as @anna_smirnova)",
    Language.RU: "/start {token}… (ссылка переписи, открыта как @anna_smirnova)",
}
_LOOP = {
    Language.EN: (
        "Closing the loop: {owner} asks you a follow-up question through Candor.",
        "Could you tell us more about what did not go well, so we can put it right?",
        "Two deliveries slipped by a week; the rest is fine.",
        "Agreed a weekly delivery check on a call; the client is happy with it.",
        "{owner} resolves the alert (/resolve {id} explained …):",
    ),
    Language.RU: (
        "Закрываем цикл: {owner} задаёт вам уточняющий вопрос через Candor.",
        "Расскажите, пожалуйста, подробнее, что пошло не так, — мы хотим это исправить.",
        "Две поставки сдвинулись на неделю; остальное в порядке.",
        "Договорились по звонку о еженедельной сверке поставок; клиента это устраивает.",
        "{owner} закрывает алерт (/resolve {id} explained …):",
    ),
}


async def _close_the_loop(
    app: App, cast: DemoCast, round_id: int, stdin: TextIO, stdout: TextIO, lang: Language,
    typist: Typist, interactive: bool,
) -> None:  # fmt: skip
    """One follow-up exchange and a resolution on the round's first alert, as the owner
    would do them from the alert (see surveys.followups and surveys.resolution). The
    owner's words are in ``lang``, the demo's; the client's, in the one they now read."""
    alerts = await app.service.alerts_for_round(round_id)
    if not alerts:
        return
    intro, question, _, note, outro = _LOOP[lang]
    scripted_reply = _LOOP[typist.lang][2]
    alert_id = alerts[0].id
    stdout.write("\n" + intro.format(owner=cast.owner.name) + "\n\n")
    async with app.uow() as uow:
        owner = await uow.staff.get(cast.owner.id)
    assert owner is not None
    output = await commands.follow_ups(app.commands).ask(owner, alert_id, question)
    await app.delivery.run_once()
    stdout.write("\n".join(output.lines) + "\n\n")
    reply = _read(stdin, stdout, typist.lang, interactive).strip()
    if not reply:  # input ended: the client's scripted reply, shown as typed
        reply = scripted_reply
        stdout.write(f"{_ROLES[typist.lang][0]}> {reply}\n")
    await app.service.handle_event(
        Address(Channel.CONSOLE, cast.client),
        ContactEvent(EventKind.TEXT, reply, f"loop-{alert_id}"),
    )
    await app.delivery.run_once()
    done = await commands.resolutions(app.commands).resolve(
        owner, alert_id, Disposition.EXPLAINED, note
    )
    # Who acts, then what came of it (it read as the result before the action).
    stdout.write(outro.format(owner=owner.name, id=alert_id) + "\n" + "\n".join(done.lines) + "\n")
    shown = await show_alert(app.commands, owner, alert_id)
    start = shown.lines.index("") + 1  # the timeline sits between two blank lines
    timeline = shown.lines[start : shown.lines.index("", start)]
    stdout.write(f"\n/alert {alert_id}\n" + "\n".join(timeline) + "\n")
