"""The weekly digest: each owner hears about their accounts, managers and admins the portfolio.

Exactly one per person per ISO week, across restarts and processes: the outbox's unique
idempotency key ``digest:<staff id>:<ISO year>-W<week>`` (in the person's time zone) is the
record that it went. It goes out at the first tick on or after the configured weekday and
hour in the person's time zone, so a process that was down at that hour catches up later
the same week. A person's first digest is the first one scheduled after they joined the staff
(``Staff.created_at``) and after the first account they read about was there for them: added
(``Account.created_at``) and, for an owner, given to them (``Account.owner_since``). Someone
added or given an account on Tuesday, or an admin whose first account came on Tuesday, does
not get Monday's on the spot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from surveys.in_progress import round_ids_in_progress
from surveys.model import (
    Account,
    AlertStatus,
    Channel,
    Language,
    OutgoingMessage,
    Staff,
    StaffRole,
)
from surveys.periods import distinct_round_title
from surveys.ports import Clock, UnitOfWork, UnitOfWorkFactory
from surveys.reporting.data import RoundData, collect, measure
from surveys.reporting.labels import L
from surveys.staff import READERS, Output, StaffCommands, StaffError, may_see
from surveys.texts import partly_note, responded_figure

# A person reachable on several platforms gets the digest on the first of these.
_PREFERRED = (Channel.TELEGRAM, Channel.SLACK, Channel.CONSOLE)
QUIET_AFTER = timedelta(days=28)  # no answer for this long: the account is "quiet"
MAX_LINES = 10  # per section; the rest are counted

# key -> (English, Russian)
_T: dict[str, tuple[str, str]] = {
    "title": ("Candor weekly digest, week {week}", "Candor: сводка за неделю {week}"),
    "scope_owner": ("Your accounts: {n}.", "Ваши аккаунты: {n}."),
    # Counts after their label, as in Russian: no "1 accounts", "1 answers".
    "scope_all": ("Accounts in the portfolio: {n}.", "Портфель: аккаунтов {n}."),
    "alerts": (
        "Alerts: {open} open, {ack} acknowledged.",
        "Алерты: открыто {open}, принято {ack}.",
    ),
    "alert_line": ("  #{id} [{status}] {account}", "  #{id} [{status}] {account}"),
    "rounds": ("Rounds in progress:", "Идут опросы:"),
    "round_line": (
        "  {account} — {title}: {figure}{partly}",
        "  {account} — {title}: {figure}{partly}",
    ),
    "no_rounds": ("No rounds in progress.", "Опросов сейчас нет."),
    "quiet": ("Quiet for 4+ weeks: {names}.", "Без ответов 4+ недели: {names}."),
    "unasked": ("Not surveyed yet: {names}.", "Ещё не опрашивались: {names}."),
    "week": (
        "Since last week: answers {answers}, negative {negative}, new alerts {new},"
        " resolved {resolved}.",
        "За неделю: ответов {answers}, негативных {negative}, новых алертов {new},"
        " закрыто {resolved}.",
    ),
    "more": ("  … and {n} more", "  … и ещё {n}"),
    "off_hint": ("Turn this off: /digest off", "Отключить: /digest off"),
    "set_on": (
        "The weekly digest is on ({tz}).",
        "Еженедельная сводка включена ({tz}).",
    ),
    "set_off": ("The weekly digest is off.", "Еженедельная сводка выключена."),
    "usage": ("digest on [time zone] | off", "digest on [часовой пояс] | off"),
    "bad_tz": ("Unknown time zone «{tz}».", "Неизвестный часовой пояс «{tz}»."),
}


def _say(key: str, lang: Language, /, **params: object) -> str:
    en, ru = _T[key]
    text = ru if lang is Language.RU else en
    return text.format(**params) if params else text


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    weekday: int = 1  # ISO: Monday 1 … Sunday 7
    hour: int = 9  # local hour in the person's time zone


def _reading_since(person: Staff, visible: Sequence[Account]) -> datetime | None:
    """When the first of the accounts ``person`` reads about was there for them: added and,
    for an owner, given to them (an account's own owner_since is None when it was owned before
    that was recorded, so from when it was added). None when any one's time is unknown: it
    may have been there all along."""
    owner = person.role is StaffRole.OWNER
    since = [
        max(filter(None, (a.created_at, a.owner_since if owner else None)), default=None)
        for a in visible
    ]
    return None if None in since else min(filter(None, since))


def week_key(local: datetime) -> str:
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


class WeeklyDigest:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        policy: DigestPolicy | None = None,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.default_timezone = default_timezone
        self.policy = policy or DigestPolicy()

    def _zone(self, person: Staff) -> ZoneInfo:
        try:
            return ZoneInfo(person.timezone or self.default_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def due_week(
        self, person: Staff, now: datetime, *, reading_since: datetime | None = None
    ) -> str | None:
        """The ISO week whose digest ``person`` is due now, or None before the day and hour,
        and None for a week whose digest was scheduled before they joined the staff or before
        ``reading_since`` (when the first account they read about was there for them)."""
        zone = self._zone(person)
        local = now.astimezone(zone)
        due = (local.isoweekday(), local.hour) >= (self.policy.weekday, self.policy.hour)
        if not due:
            return None
        # The catch-up is for a tick that came late, not for a person who came late: someone
        # added after this week's hour starts with next week's (no copy of what others got).
        day = local.date() - timedelta(days=local.isoweekday() - self.policy.weekday)
        scheduled = datetime.combine(day, time(self.policy.hour), tzinfo=zone)
        joined = max(filter(None, (person.created_at, reading_since)), default=None)
        if joined is not None and joined > scheduled:
            return None
        return week_key(local)

    async def run_due(self) -> int:
        """Record every digest due now; returns how many were recorded."""
        now = self.clock.now()
        recorded = 0
        async with self.uow() as uow:
            people = await uow.staff.list()
            accounts: list[Account] | None = None
            rounds: list[RoundData] | None = None
        for person in people:
            if not person.digest or person.role not in READERS:
                continue
            week = self.due_week(person, now)
            to = next(filter(None, map(person.address_on, _PREFERRED)), None)
            if week is None or to is None:
                continue
            key = f"digest:{person.id}:{week}"
            async with self.uow() as uow:
                if await uow.outbox.has_key(key):
                    continue
                # Nothing to tell someone with no accounts (a fresh install's admin, an owner
                # before their first account): no "Portfolio: 0 accounts" message. Their
                # digest starts the week they have one.
                if accounts is None:  # read once per tick, only when someone is due
                    accounts = await uow.accounts.list()
                visible = [a for a in accounts if may_see(person, a)]
                if not visible:
                    continue
                # Nor this week's when their first account came after its hour: an admin's
                # first account added, an owner's first given, on Tuesday.
                since = _reading_since(person, visible)
                if self.due_week(person, now, reading_since=since) is None:
                    continue
                if rounds is None:  # gathered once per tick, only when someone is due
                    rounds = await collect(uow, accounts)
                text = await self.compose(uow, person, rounds, now, week)
                # Unique key: a second process racing here stores nothing.
                stored = await uow.outbox.enqueue(
                    OutgoingMessage(
                        recipient=to,
                        kind="notice",
                        payload={"text": text, "lang": person.language.value, "pre": False},
                        idempotency_key=key,
                        next_attempt_at=now,
                    )
                )
                await uow.commit()
            recorded += stored is not None
        return recorded

    async def compose(
        self,
        uow: UnitOfWork,
        person: Staff,
        rounds: Sequence[RoundData],
        now: datetime,
        week: str,
    ) -> str:
        lang = person.language
        accounts = [a for a in await uow.accounts.list() if may_see(person, a)]
        ids = {a.id for a in accounts}
        mine = [d for d in rounds if d.account.id in ids]
        names = {a.id: a.name for a in accounts}
        scope = "scope_owner" if person.role is StaffRole.OWNER else "scope_all"
        lines = [_say("title", lang, week=week), _say(scope, lang, n=len(accounts)), ""]

        alerts = [a for a in await uow.alerts.list() if a.account_id in ids]
        unresolved = [a for a in alerts if a.status is not AlertStatus.RESOLVED]
        lines.append(
            _say(
                "alerts",
                lang,
                open=sum(a.status is AlertStatus.OPEN for a in unresolved),
                ack=sum(a.status is AlertStatus.ACKNOWLEDGED for a in unresolved),
            )
        )
        for alert in unresolved[:MAX_LINES]:
            lines.append(
                _say("alert_line", lang, id=alert.id, status=L(f"alert.{alert.status.value}", lang),
                     account=names[alert.account_id])
            )  # fmt: skip
        if len(unresolved) > MAX_LINES:
            lines.append(_say("more", lang, n=len(unresolved) - MAX_LINES))

        # The rounds App Home lists too (surveys/in_progress.py): a paused census counts.
        active = await round_ids_in_progress(uow, accounts)
        running = [d for d in mine if d.round.id in active]
        lines.append("")
        lines.append(_say("rounds", lang) if running else _say("no_rounds", lang))
        for data in running[:MAX_LINES]:
            m = measure(data.rows)
            # Two rounds of one month are told apart by their day (/status, /health alike).
            siblings = [d.round for d in mine if d.account.id == data.account.id]
            lines.append(
                _say("round_line", lang, account=data.account.name,
                     title=distinct_round_title(data.round, siblings, lang, data.account.timezone),
                     figure=responded_figure(m.responded, m.population, lang),
                     partly=partly_note(m.partly, lang))
            )  # fmt: skip
        if len(running) > MAX_LINES:
            lines.append(_say("more", lang, n=len(running) - MAX_LINES))

        quiet, unasked = self._quiet(accounts, mine, now)
        for key, names in (("quiet", quiet), ("unasked", unasked)):
            if names:
                shown = ", ".join(names[:MAX_LINES])
                extra = f" (+{len(names) - MAX_LINES})" if len(names) > MAX_LINES else ""
                lines += ["", _say(key, lang, names=shown + extra)]

        since = now - timedelta(days=7)
        cells = [c for d in mine for r in d.rows for c in r.answers.values()]
        fresh = [c for c in cells if c.answered_at >= since]
        resolved = sum(
            1
            for a in alerts
            for note in a.notes
            if note.get("status") == AlertStatus.RESOLVED.value
            and str(note.get("at", "")) >= since.isoformat()
        )
        lines += [
            "",
            _say(
                "week",
                lang,
                answers=len(fresh),
                negative=sum(c.label is not None and c.label.value == "negative" for c in fresh),
                new=sum(a.created_at >= since for a in alerts),
                resolved=resolved,
            ),
            "",
            _say("off_hint", lang),
        ]
        return "\n".join(lines)

    @staticmethod
    def _quiet(
        accounts: Sequence[Account], rounds: Sequence[RoundData], now: datetime
    ) -> tuple[list[str], list[str]]:
        """Accounts asked for 4+ weeks without an answer in that time, and accounts never
        asked at all. Apart: an account added this week was listed as "quiet for 4+ weeks"."""
        last: dict[int, datetime] = {}
        first_asked: dict[int, datetime] = {}
        for data in rounds:
            account, opened = data.account.id, data.round.opened_at
            first_asked[account] = min(opened, first_asked.get(account, opened))
            times = [c.answered_at for r in data.rows for c in r.answers.values()]
            if times:
                latest = max(times)
                last[account] = max(latest, last.get(account, latest))
        quiet = [
            a.name
            for a in accounts
            if a.id in first_asked and now - last.get(a.id, first_asked[a.id]) > QUIET_AFTER
        ]
        return quiet, [a.name for a in accounts if a.id not in first_asked]

    # --- the person's own switch ----------------------------------------------------------

    async def command(self, actor: Staff, args: Sequence[str]) -> Output:
        """`digest on [time zone]` / `digest off`: for the person asking, nobody else."""
        lang = actor.language
        StaffCommands.require(actor, READERS, lang)
        word = args[0].lower() if args else ""
        if word not in ("on", "off"):
            raise StaffError(_say("usage", lang))
        async with self.uow() as uow:
            person = await uow.staff.get(actor.id)
            assert person is not None
            person.digest = word == "on"
            if word == "on" and len(args) > 1:
                try:
                    ZoneInfo(args[1])
                except (ZoneInfoNotFoundError, ValueError):
                    raise StaffError(_say("bad_tz", lang, tz=args[1][:60])) from None
                person.timezone = args[1]
            await uow.staff.update(person)
            await uow.commit()
        if not person.digest:
            return Output([_say("set_off", lang)])
        return Output([_say("set_on", lang, tz=person.timezone or self.default_timezone)])
