"""Census: a round of an account's user level — everyone who raised a ticket in the period.

A census may ask thousands of people, so it is not invited in one transaction like a
stakeholders' round. Its *run* records the ticket window and a state (running, paused,
cancelled, done); a tick queues first messages in small batches while the delivery backlog
is short, so the platform's rate limit sets the pace and a pause takes effect at once.
Each batch creates conversations and their first messages in one transaction, and the
(round, contact) uniqueness of conversations means a restart never asks anyone twice and
the next tick picks up exactly where the last commit ended. It is done once every first
question has left the outbox (not when the last is queued), so a pause or cancel always
acts on what has not been sent. A cancel also stops reminding those already asked; what
they answer afterwards is kept, and they are told no more questions follow
(surveys.conversation: a stopped round).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from surveys.contact_import import ImportStore
from surveys.joining import join_open_round
from surveys.model import (
    Account,
    Address,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    Language,
    OutgoingMessage,
    Round,
)
from surveys.onboarding import RedeemResult, RedeemStatus, new_token, token_hash
from surveys.texts import argument, noun, partly_note, t

if TYPE_CHECKING:
    from surveys.ports import UnitOfWork
    from surveys.service import SurveyService

log = logging.getLogger(__name__)

LINK_PREFIX = "census_"  # a census link's /start parameter; personal invites have none
LINK_TTL = timedelta(days=190)
CENSUS_LOOKBACK = timedelta(days=183)
MAX_BACKLOG = 100  # first messages waiting for delivery before the fan-out queues more


class CensusState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


@dataclass(slots=True)
class CensusRun:
    id: int
    round_id: int
    account_id: int
    state: CensusState
    since: datetime
    until: datetime
    starter: Address | None = None
    created_at: datetime | None = None

    def counts(self, contact: Contact) -> bool:
        """Whether ``contact`` is one of this census's users: a ticket in its window, or
        joined by the census link since the window opened (storage's population, plus
        those who joined after the start, whom the link asks itself)."""
        ticket, joined = contact.last_ticket_at, contact.census_joined_at
        return (
            contact.account_id == self.account_id
            and contact.level is ContactLevel.USER
            and (
                (ticket is not None and self.since <= ticket < self.until)
                or (joined is not None and joined >= self.since)
            )
        )


@dataclass(slots=True)
class CensusLink:
    id: int
    account_id: int
    token_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CensusProgress:
    """The run's numbers. The population is split without overlap: sent + no_chat +
    opted_out + not_sent; reached and unreachable are parts of sent, answered of reached."""

    state: CensusState
    population: int  # users with a ticket in the window (or who joined), reachable or not
    sent: int  # first messages queued
    reached: int  # first messages delivered
    unreachable: int  # first messages the platform refused for good
    answered: int  # conversations with at least one answer
    partly: int = 0  # part of answered: not every question answered (yet)
    # Not asked: no chat to ask them in (no Telegram chat yet, not bound on Slack); a chat,
    # but they stopped or blocked the bot; asked by the fan-out still to come (or, once
    # cancelled, never).
    no_chat: int = 0
    opted_out: int = 0
    not_sent: int = 0
    queued: int = 0  # part of sent: first messages still waiting in the outbox or in flight

    def state_text(self, lang: Language) -> str:
        """The state in words. Everyone queued is not everyone asked: until the outbox has
        sent them, the last first questions can still be held (pause) or dropped (cancel)."""
        if self.state is CensusState.RUNNING and self.not_sent == 0 and self.queued:
            return t("census_state.queued", lang, n=self.queued)
        if self.state is CensusState.DONE and not self.sent:
            return t("census_state.done_none", lang)  # nobody reachable: none was asked
        if self.state is CensusState.DONE and self.not_sent:
            # Not "everyone reachable was asked": they became reachable after it was sent.
            return t("census_state.done_late", lang, n=self.not_sent)
        return t(f"census_state.{self.state.value}", lang)

    def render(self, lang: Language, account: str, title: str, links: bool = True) -> str:
        """``links``: whether a census link works where this is read (not on Slack without
        a Telegram bot), so whether to suggest one."""
        if self.population == 0:  # not "everyone was asked": say why, and how to add users
            state = "" if self.state is CensusState.DONE else self.state_text(lang)
            key = "census_no_one" if links else "census_no_one.no_link"
            return t(key, lang, account=account, title=title, ref=argument(account),
                     state=f" ({state})" if state else "")  # fmt: skip
        rate = round(100 * self.answered / self.reached) if self.reached else 0
        # Over without asking anyone: why, not "answered 0 (0% of reached)". While it moves
        # the message keeps its shape (it is edited in place as the counts grow).
        over = self.state in (CensusState.DONE, CensusState.CANCELLED)
        key = "census_progress.none" if over and not self.sent else "census_progress"
        return t(key, lang, account=account, title=title,
                 state=self.state_text(lang),
                 population=self.population, users=noun(self.population, "user", lang),
                 sent=self.sent, reached=self.reached,
                 unreachable=self.unreachable, answered=self.answered, rate=rate,
                 partly=self.partly_text(lang), no_chat=self.no_chat,
                 opted_out=self.opted_out, not_sent=self.not_sent)  # fmt: skip

    def partly_text(self, lang: Language) -> str:
        """ ", 2 of them partly" after the answered count: someone who answered one question of
        three is not someone who answered the census. Nothing when nobody stopped part-way."""
        return partly_note(self.partly, lang)


class Directory(Protocol):
    """A platform's member directory (Slack: users.lookupByEmail), paced by its adapter."""

    async def user_by_email(self, email: str) -> str | None: ...


@dataclass(slots=True)
class BindReport:
    tried: int = 0
    bound: int = 0
    not_found: int = 0
    total: int = 0
    staff: int = 0  # found, but our staff: not bound, so never surveyed
    asked: int = 0  # of bound: asked at once by the census still open (surveys.joining)


class CensusStore(ImportStore, Protocol):
    async def find_user(
        self, account_id: int, email: str | None, external_id: str | None
    ) -> Contact | None: ...
    async def record_ticket(
        self, account_id: int, ticket_id: str, contact_id: int, raised_at: datetime
    ) -> bool: ...
    async def ticket_known(self, account_id: int, ticket_id: str) -> bool: ...
    async def add_link(self, link: CensusLink) -> None: ...
    async def link_by_hash(self, token_hash: str) -> CensusLink | None: ...
    async def revoke_links(self, account_id: int, now: datetime) -> int: ...
    async def match_telegram(
        self, account_id: int, telegram_id: str, username: str | None
    ) -> Contact | None: ...
    async def add_run(self, run: CensusRun) -> CensusRun: ...
    async def run_for_round(self, round_id: int) -> CensusRun | None: ...
    async def run(self, run_id: int, *, lock: bool = False) -> CensusRun | None: ...
    async def latest_run(self, account_id: int) -> CensusRun | None: ...
    async def runs(self, *states: CensusState) -> list[CensusRun]: ...
    async def set_state(self, run_id: int, state: CensusState) -> None: ...
    async def withdraw_unsent(self, run: CensusRun, *, everyone: bool) -> int: ...
    async def stop_reminders(self, run: CensusRun) -> tuple[int, int]: ...
    async def cancelled(self, round_id: int) -> bool: ...
    async def any_open(self, round_id: int) -> bool: ...
    async def uninvited(self, run: CensusRun, limit: int) -> list[Contact]: ...
    async def unbound_with_email(
        self, account_id: int, after_id: int, limit: int
    ) -> list[Contact]: ...
    async def count_unbound_with_email(self, account_id: int) -> int: ...
    async def backlog(self, round_id: int) -> int: ...
    async def progress(self, run: CensusRun) -> CensusProgress: ...


_PERIOD = re.compile(r"^(\d{4})(?:-([HQ])([1-4]))?$")
# How often a scheduled census opens, and the months one period spans.
CADENCES = {"half_yearly": 6, "quarterly": 3, "yearly": 12}


def _period(year: int, months: int, index: int) -> tuple[str, datetime, datetime]:
    """The ``index``-th (1-based) period of ``months`` months in ``year``: its name
    (2026-H1, 2026-Q3, 2026) and bounds."""
    first = (index - 1) * months + 1
    since = datetime(year, first, 1, tzinfo=UTC)
    end = first + months
    until = datetime(year + (end > 12), (end - 1) % 12 + 1, 1, tzinfo=UTC)
    name = {6: f"{year}-H{index}", 3: f"{year}-Q{index}", 12: f"{year}"}[months]
    return name, since, until


def census_window(period: str | None, now: datetime) -> tuple[str, str, datetime, datetime]:
    """(period key, title, since, until) of a census: a half year (2026-H1), a quarter
    (2026-Q3) or a year (2026), or else the half year up to ``now``. Raises ValueError for
    another spelling."""
    if period:
        match = _PERIOD.match(period.strip().upper())
        if not match or (match[2] == "H" and match[3] not in ("1", "2")):
            raise ValueError(period)
        months = {"H": 6, "Q": 3, None: 12}[match[2]]
        name, since, until = _period(int(match[1]), months, int(match[3] or 1))
        return f"census-{name}", f"Census {name}", since, until
    half = 1 if now.month <= 6 else 2
    # Up to the end of today: a ticket recorded this very morning counts.
    until = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return f"census-{now.year}-H{half}", f"Census {now.year}-H{half}", now - CENSUS_LOOKBACK, until


def period_just_ended(cadence: str, now: datetime) -> str:
    """The period a scheduled census of ``cadence`` asks about now: the last one ended."""
    months = CADENCES[cadence]
    index = (now.month - 1) // months  # the current period's index, 0-based
    year = now.year
    if index == 0:
        year, index = year - 1, 12 // months
    return _period(year, months, index)[0]


@dataclass(frozen=True, slots=True)
class TicketReport:
    account: str
    ticket_id: str
    raised_at: datetime
    email: str | None = None
    external_id: str | None = None
    name: str | None = None


class Census:
    """The census use cases; built on the survey service (its unit of work, clock, invites)."""

    def __init__(self, service: SurveyService, link_ttl: timedelta = LINK_TTL) -> None:
        self.service = service
        self.uow = service.uow
        self.clock = service.clock
        self.link_ttl = link_ttl

    # --- rounds ---------------------------------------------------------------------------

    async def start(
        self, account_id: int, period: str | None, starter: Address | None
    ) -> tuple[Round, CensusRun, bool]:
        """Open the census round of the period once; (round, run, created now)."""
        now = self.clock.now()
        key, title, since, until = census_window(period, now)
        async with self.uow() as uow:
            round_, created = await uow.rounds.get_or_create(
                Round(0, account_id, key, title, opened_at=now, audience=ContactLevel.USER.value)
            )
            run = await uow.census.run_for_round(round_.id)
            if run is None:
                run = await uow.census.add_run(
                    CensusRun(
                        0, round_.id, account_id, CensusState.RUNNING, since, until, starter, now
                    )
                )
            await uow.commit()
        return round_, run, created

    async def set_schedule(self, account_id: int, cadence: str | None) -> None:
        """Schedule the account's census (a key of CADENCES), or stop scheduling it (None)."""
        if cadence is not None and cadence not in CADENCES:
            raise ValueError(cadence)
        async with self.uow() as uow:
            account = await uow.accounts.get(account_id)
            if account is None:
                raise LookupError(account_id)
            account.census_schedule = cadence
            await uow.accounts.update(account)
            await uow.commit()

    async def open_due(self) -> list[str]:
        """Start each scheduled census of the period just ended (half year, quarter or
        year, as scheduled), once (after downtime too)."""
        now = self.clock.now()
        started = []
        async with self.uow() as uow:
            accounts = [a for a in await uow.accounts.list() if a.census_schedule in CADENCES]
        for account in accounts:
            assert account.census_schedule is not None
            period = period_just_ended(account.census_schedule, now)
            if await self._asked_since(account.id, period):
                continue
            round_, _, created = await self.start(account.id, period, None)
            if created:
                started.append(f"{account.name}: {round_.title}")
        return started

    async def _asked_since(self, account_id: int, period: str) -> bool:
        """Whether a census started after ``period`` ended (a manager's, before the
        schedule was set): its users were just asked, so the older period is not reopened."""
        _, _, _, ended = census_window(period, self.clock.now())
        async with self.uow() as uow:
            latest = await uow.census.latest_run(account_id)
        return latest is not None and latest.created_at is not None and latest.created_at >= ended

    async def set_state(self, account_id: int, wanted: CensusState) -> CensusRun | None:
        """Pause, resume (RUNNING) or cancel the account's latest census; None if none.

        Pause holds the first questions not yet sent (resume sends them), cancel drops them
        and stops reminding those already asked (a finished census too, while any of its
        conversations is open); what they answer is kept all the same."""
        async with self.uow() as uow:
            return await self._move(uow, await uow.census.latest_run(account_id), wanted)

    async def set_run_state(self, run_id: int, wanted: CensusState) -> CensusRun | None:
        """The same for one census run (its progress message's buttons); None if none."""
        async with self.uow() as uow:
            return await self._move(uow, await uow.census.run(run_id), wanted)

    @staticmethod
    async def _move(
        uow: UnitOfWork, run: CensusRun | None, wanted: CensusState
    ) -> CensusRun | None:
        # Only these moves: a cancelled census stays so; a finished one can only be
        # cancelled, and only while someone it asked may still be reminded.
        allowed = {
            CensusState.PAUSED: (CensusState.RUNNING,),
            CensusState.RUNNING: (CensusState.PAUSED,),
            CensusState.CANCELLED: (CensusState.RUNNING, CensusState.PAUSED, CensusState.DONE),
        }[wanted]
        if run is not None:
            # Re-read under the row lock a fan-out batch also takes: a batch being queued
            # now commits first, and its questions are withdrawn below with the rest.
            run = await uow.census.run(run.id, lock=True)
        over = (
            wanted is CensusState.CANCELLED
            and run is not None
            and run.state is CensusState.DONE
            and not await uow.census.any_open(run.round_id)
        )
        if over:
            return run  # every conversation has closed: nothing left to stop
        if run is not None and run.state in allowed:
            await uow.census.set_state(run.id, wanted)
            run.state = wanted
            if wanted is not CensusState.RUNNING:
                # First questions still queued would go on asking people after the pause or
                # cancel: take them back (a resumed fan-out queues them again).
                withdrawn = await uow.census.withdraw_unsent(
                    run, everyone=wanted is CensusState.CANCELLED
                )
                log.info("census run %s %s: %s first questions withdrawn",
                         run.id, wanted.value, withdrawn)  # fmt: skip
            if wanted is CensusState.CANCELLED:
                # Those already asked are not nudged again: no reminder, scheduled or
                # queued. Their answers are still kept (SurveyService: a stopped round).
                open_, queued = await uow.census.stop_reminders(run)
                log.info("census run %s cancelled: %s open conversations left unreminded, "
                         "%s queued reminders dropped", run.id, open_, queued)  # fmt: skip
            await uow.commit()
        return run

    async def fan_out(self, max_backlog: int = MAX_BACKLOG) -> int:
        """Queue first messages of running censuses while the backlog is short; how many."""
        queued = 0
        async with self.uow() as uow:
            runs = await uow.census.runs(CensusState.RUNNING)
        for listed in runs:
            async with self.uow() as uow:
                # Paused or cancelled since it was listed: queue nothing (see _move).
                run = await uow.census.run(listed.id, lock=True)
                if run is None or run.state is not CensusState.RUNNING:
                    continue
                backlog = await uow.census.backlog(run.round_id)
                room = max_backlog - backlog
                if room <= 0:
                    continue
                account = await uow.accounts.get(run.account_id)
                round_ = await uow.rounds.get(run.round_id)
                if account is None or round_ is None:
                    continue
                batch = await uow.census.uninvited(run, room)
                for contact in batch:
                    await self.service.invite(uow, account, round_, contact)
                if not batch and backlog == 0:
                    # Done once every first question has left the outbox, not when the
                    # last is queued: until then a pause or cancel can still hold them.
                    await uow.census.set_state(run.id, CensusState.DONE)
                await uow.commit()
                queued += len(batch)
        return queued

    async def progress(self, account_id: int) -> tuple[Round, CensusProgress] | None:
        async with self.uow() as uow:
            run = await uow.census.latest_run(account_id)
            if run is None:
                return None
            round_ = await uow.rounds.get(run.round_id)
            assert round_ is not None
            return round_, await uow.census.progress(run)

    # --- census links ---------------------------------------------------------------------

    async def create_link(self, account_id: int) -> str:
        token = new_token()
        now = self.clock.now()
        async with self.uow() as uow:
            await uow.census.add_link(
                CensusLink(0, account_id, token_hash(token), now, now + self.link_ttl)
            )
            await uow.commit()
        return LINK_PREFIX + token

    async def revoke_links(self, account_id: int) -> int:
        async with self.uow() as uow:
            revoked = await uow.census.revoke_links(account_id, self.clock.now())
            await uow.commit()
        return revoked

    async def open_link(
        self,
        payload: str,
        chat: Address,
        *,
        telegram_id: str,
        username: str | None,
        name: str,
        hint: Language,
        reply_key: str | None = None,
    ) -> RedeemResult:
        """Bind whoever opened the account's census link as a user-level contact.

        An imported row with their Telegram id or username becomes theirs; otherwise they
        are added unlisted. A census open right now starts their conversation at once; one
        started later asks them with those who raised a ticket (see the run's population).
        With ``reply_key`` the answer is recorded in the outbox here, in the same
        transaction and so before the census's first question; else the caller sends it."""
        result = await self._open_link(payload, chat, telegram_id, username, name, hint, reply_key)
        if reply_key and result.status is not RedeemStatus.BOUND:
            await self.service.notify(chat, result.text, result.language, reply_key)
        return result

    async def _open_link(
        self,
        payload: str,
        chat: Address,
        telegram_id: str,
        username: str | None,
        name: str,
        hint: Language,
        reply_key: str | None,
    ) -> RedeemResult:
        now = self.clock.now()
        lang = hint
        token = payload.removeprefix(LINK_PREFIX)
        async with self.uow() as uow:
            link = await uow.census.link_by_hash(token_hash(token)) if token else None
            if link is None:
                return RedeemResult(RedeemStatus.UNKNOWN, lang, t("invite_unknown", lang))
            if link.revoked_at is not None:
                return RedeemResult(RedeemStatus.EXPIRED, lang, t("census_link_revoked", lang))
            if link.expires_at <= now:
                return RedeemResult(RedeemStatus.EXPIRED, lang, t("invite_expired", lang))
            if (staff := await uow.staff.by_address(chat)) is not None:
                # Staff are not surveyed: trying the link adds them to no account.
                text = t("census_link_staff", staff.language)
                return RedeemResult(RedeemStatus.STAFF, staff.language, text)
            account = await uow.accounts.get(link.account_id)
            assert account is not None
            holder = await uow.contacts.by_address(chat)
            if holder is not None:
                if holder.account_id != account.id:
                    return RedeemResult(RedeemStatus.CHAT_TAKEN, lang, t("chat_taken", lang))
                return RedeemResult(
                    RedeemStatus.ALREADY_BOUND, holder.language, t("welcome_back", holder.language)
                )
            contact = await uow.census.match_telegram(account.id, telegram_id, username)
            if contact is not None:
                contact.channel, contact.address = chat.channel, chat.address
                contact.status = ContactStatus.ACTIVE
                contact.telegram_id = telegram_id
                contact.census_joined_at = now
                await uow.contacts.update(contact)
                lang = contact.language
            else:
                contact = await uow.contacts.add(
                    Contact(
                        0,
                        account.id,
                        name[:200] or "?",
                        ContactLevel.USER,
                        hint,
                        ContactStatus.ACTIVE,
                        chat.channel,
                        chat.address,
                        telegram_username=username.lower() if username else None,
                        telegram_id=telegram_id,
                        census_joined_at=now,
                    )
                )
            census = await self._open_census(uow, account, contact, now)
            # Recorded first, so it arrives first, and says whether questions follow.
            welcome = "welcome" if census is None else "welcome_in_round"
            text = t(welcome, lang, name=contact.name, company=self.service.policy.company)
            if reply_key:
                await uow.outbox.enqueue(
                    OutgoingMessage(chat, "notice", {"text": text, "lang": lang.value},
                                    reply_key, contact_id=contact.id, next_attempt_at=now)
                )  # fmt: skip
            started = census is not None
            if census is not None:
                await self.service.invite(uow, account, census, contact)
            await uow.commit()
        log.info("census link bound contact %s of account %s (census started: %s)",
                 contact.id, account.id, started)  # fmt: skip
        return RedeemResult(RedeemStatus.BOUND, lang, text)

    async def _open_census(
        self, uow: UnitOfWork, account: Account, contact: Contact, now: datetime
    ) -> Round | None:
        """The account's census round the contact joins now: open, and not theirs yet."""
        run = await uow.census.latest_run(account.id)
        if run is None or run.state is CensusState.CANCELLED:
            return None
        if run.created_at and now - run.created_at > self.service.policy.expiry_delay:
            return None
        round_ = await uow.rounds.get(run.round_id)
        if round_ is None:
            return None
        for conv in await uow.conversations.open_for_contact(contact.id):
            if conv.round_id == run.round_id:
                return None
        return round_

    # --- Slack: binding by e-mail ----------------------------------------------------------

    async def bind_by_email(
        self,
        account_id: int,
        directory: Directory,
        channel: Channel,
        progress: Callable[[BindReport], Awaitable[None]] | None = None,
        page: int = 50,
    ) -> BindReport:
        """Bind the account's contacts that have an e-mail but no chat, one lookup each.

        Every binding is committed as it is found, so after a restart a new run asks only
        for those still unbound (members not found are asked again: they may have joined)."""
        report = BindReport()
        after = 0
        async with self.uow() as uow:
            report.total = await uow.census.count_unbound_with_email(account_id)
        while True:
            async with self.uow() as uow:
                batch = await uow.census.unbound_with_email(account_id, after, page)
            if not batch:
                break
            for contact in batch:
                after = contact.id
                report.tried += 1
                assert contact.email is not None
                user_id = await directory.user_by_email(contact.email)
                if user_id is None:
                    report.not_found += 1
                    continue
                async with self.uow() as uow:
                    if await uow.staff.by_address(Address(channel, user_id)) is not None:
                        report.staff += 1  # an agent on the client's tickets, say
                        continue
                    holder = await uow.contacts.by_address(Address(channel, user_id))
                    if holder is not None:  # already someone's contact: leave both alone
                        report.not_found += 1
                        continue
                    contact.channel, contact.address = channel, user_id
                    contact.status = ContactStatus.ACTIVE
                    await uow.contacts.update(contact)
                    # Reachable now: the census still open asks them, in this transaction,
                    # so a stopped run started again never asks anyone twice.
                    asked = await join_open_round(self.service, uow, contact) is not None
                    await uow.commit()
                report.bound += 1
                report.asked += asked
            if progress is not None:
                await progress(report)
        return report

    # --- tickets --------------------------------------------------------------------------

    async def record_ticket(self, report: TicketReport) -> bool:
        """Note that a requester raised a ticket; creates the user on first sight.

        False when the ticket id was already recorded (a helpdesk retry): nothing changes.
        Raises LookupError for an unknown account, ValueError without a requester."""
        if not (report.email or report.external_id):
            raise ValueError("requester email or external id required")
        async with self.uow() as uow:
            account = await uow.accounts.by_name(report.account)
            if account is None:
                raise LookupError(report.account)
            if await uow.census.ticket_known(account.id, report.ticket_id):
                return False
            contact = await uow.census.find_user(account.id, report.email, report.external_id)
            if contact is None:
                name = report.name or report.email or report.external_id or "?"
                contact = await uow.contacts.add(
                    Contact(
                        0,
                        account.id,
                        name[:200],
                        ContactLevel.USER,
                        account.language,
                        ContactStatus.INVITED,
                        email=report.email,
                        external_id=report.external_id,
                    )
                )
            if not await uow.census.record_ticket(
                account.id, report.ticket_id, contact.id, report.raised_at
            ):
                return False
            contact.tickets += 1
            if contact.last_ticket_at is None or contact.last_ticket_at < report.raised_at:
                contact.last_ticket_at = report.raised_at
            await uow.contacts.update(contact)
            await uow.commit()
        return True
