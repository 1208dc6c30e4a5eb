"""The census's storage: batched contact matching for imports, tickets, census links, runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AnswerRow,
    CensusLinkRow,
    CensusRunRow,
    ContactRow,
    ConversationRow,
    OutboxRow,
    StaffRow,
    TicketRow,
)
from storage.repositories import (
    _OPEN,
    _contact,
    _contact_values,
    _storable_id,
    answered_questions,
)
from surveys.census import CensusLink, CensusProgress, CensusRun, CensusState
from surveys.contact_import import ContactFields, iter_identities
from surveys.model import (
    Address,
    Channel,
    Contact,
    ContactLevel,
    ContactStatus,
    ConversationStatus,
    OutboxStatus,
)
from surveys.questions import QUESTION_KEYS


def _run(row: CensusRunRow) -> CensusRun:
    starter = (
        Address(Channel(row.starter_channel), row.starter_address)
        if row.starter_channel and row.starter_address
        else None
    )
    return CensusRun(
        id=row.id,
        round_id=row.round_id,
        account_id=row.account_id,
        state=CensusState(row.state),
        since=row.since,
        until=row.until,
        starter=starter,
        created_at=row.created_at,
    )


def _link(row: CensusLinkRow) -> CensusLink:
    return CensusLink(
        id=row.id,
        account_id=row.account_id,
        token_hash=row.token_hash,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class SqlCensusRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- import ---------------------------------------------------------------------------

    async def matching(self, account_id: int, rows: list[ContactFields]) -> list[Contact]:
        ids = iter_identities(rows)
        clauses: list[Any] = []
        if ids["external_id"]:
            clauses.append(ContactRow.external_id.in_(ids["external_id"]))
        if ids["email"]:
            clauses.append(ContactRow.email.in_(ids["email"]))
        if ids["telegram_id"]:
            clauses.append(ContactRow.telegram_id.in_(ids["telegram_id"]))
        if ids["telegram_username"]:
            clauses.append(ContactRow.telegram_username.in_(ids["telegram_username"]))
        if ids["slack"]:
            on_slack = ContactRow.channel == Channel.SLACK.value
            clauses.append(and_(on_slack, ContactRow.address.in_(ids["slack"])))
        if not clauses:
            return []
        found = await self.session.scalars(
            select(ContactRow)
            .where(ContactRow.account_id == account_id, or_(*clauses))
            .order_by(ContactRow.id)
        )
        return [_contact(r) for r in found]

    async def slack_holders(self, slack_ids: list[str]) -> dict[str, int]:
        if not slack_ids:
            return {}
        found = await self.session.execute(
            select(ContactRow.address, ContactRow.account_id).where(
                ContactRow.channel == Channel.SLACK.value, ContactRow.address.in_(slack_ids)
            )
        )
        return {address: account for address, account in found.all()}

    async def add_many(self, contacts: list[Contact]) -> None:
        if contacts:
            await self.session.execute(
                insert(ContactRow),
                [{"account_id": c.account_id, **_contact_values(c)} for c in contacts],
            )

    async def update_many(self, contacts: list[Contact]) -> None:
        for c in contacts:
            await self.session.execute(
                update(ContactRow).where(ContactRow.id == c.id).values(**_contact_values(c))
            )

    # --- tickets --------------------------------------------------------------------------

    async def find_user(
        self, account_id: int, email: str | None, external_id: str | None
    ) -> Contact | None:
        for column, value in ((ContactRow.external_id, external_id), (ContactRow.email, email)):
            if value:
                row = await self.session.scalar(
                    select(ContactRow)
                    .where(ContactRow.account_id == account_id, column == value)
                    .order_by(ContactRow.id)
                    .limit(1)
                )
                if row is not None:
                    return _contact(row)
        return None

    async def record_ticket(
        self, account_id: int, ticket_id: str, contact_id: int, raised_at: datetime
    ) -> bool:
        """Record the ticket once; False when this ticket id was already recorded."""
        try:
            async with self.session.begin_nested():
                self.session.add(
                    TicketRow(
                        account_id=account_id,
                        ticket_id=ticket_id,
                        contact_id=contact_id,
                        raised_at=raised_at,
                    )
                )
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def ticket_known(self, account_id: int, ticket_id: str) -> bool:
        found = await self.session.scalar(
            select(TicketRow.id).where(
                TicketRow.account_id == account_id, TicketRow.ticket_id == ticket_id
            )
        )
        return found is not None

    # --- census links ---------------------------------------------------------------------

    async def add_link(self, link: CensusLink) -> None:
        self.session.add(
            CensusLinkRow(
                account_id=link.account_id,
                token_hash=link.token_hash,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
        )
        await self.session.flush()

    async def link_by_hash(self, token_hash: str) -> CensusLink | None:
        row = await self.session.scalar(
            select(CensusLinkRow).where(CensusLinkRow.token_hash == token_hash)
        )
        return _link(row) if row else None

    async def revoke_links(self, account_id: int, now: datetime) -> int:
        result = await self.session.execute(
            update(CensusLinkRow)
            .where(CensusLinkRow.account_id == account_id, CensusLinkRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def match_telegram(
        self, account_id: int, telegram_id: str, username: str | None
    ) -> Contact | None:
        """An imported, not yet bound contact of the account with this Telegram id or name."""
        clauses = [ContactRow.telegram_id == telegram_id]
        if username:
            clauses.append(ContactRow.telegram_username == username.lower())
        row = await self.session.scalar(
            select(ContactRow)
            .where(ContactRow.account_id == account_id, ContactRow.channel.is_(None), or_(*clauses))
            .order_by(ContactRow.id)
            .limit(1)
        )
        return _contact(row) if row else None

    # --- runs -----------------------------------------------------------------------------

    async def add_run(self, run: CensusRun) -> CensusRun:
        row = CensusRunRow(
            round_id=run.round_id,
            account_id=run.account_id,
            state=run.state.value,
            since=run.since,
            until=run.until,
            starter_channel=run.starter.channel.value if run.starter else None,
            starter_address=run.starter.address if run.starter else None,
            created_at=run.created_at,
        )
        self.session.add(row)
        await self.session.flush()
        return _run(row)

    async def run_for_round(self, round_id: int) -> CensusRun | None:
        row = await self.session.scalar(
            select(CensusRunRow).where(CensusRunRow.round_id == round_id)
        )
        return _run(row) if row else None

    async def run(self, run_id: int, *, lock: bool = False) -> CensusRun | None:
        """``lock`` holds the run's row to the end of the transaction (PostgreSQL), so a
        fan-out batch and a pause or cancel of the run never interleave."""
        if not _storable_id(run_id):  # a forged button's id: binding it would raise
            return None
        query = select(CensusRunRow).where(CensusRunRow.id == run_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        row = await self.session.scalar(query)
        return _run(row) if row else None

    async def latest_run(self, account_id: int) -> CensusRun | None:
        row = await self.session.scalar(
            select(CensusRunRow)
            .where(CensusRunRow.account_id == account_id)
            .order_by(CensusRunRow.id.desc())
            .limit(1)
        )
        return _run(row) if row else None

    async def runs(self, *states: CensusState) -> list[CensusRun]:
        rows = await self.session.scalars(
            select(CensusRunRow)
            .where(CensusRunRow.state.in_([s.value for s in states]))
            .order_by(CensusRunRow.id)
        )
        return [_run(r) for r in rows]

    async def set_state(self, run_id: int, state: CensusState) -> None:
        await self.session.execute(
            update(CensusRunRow).where(CensusRunRow.id == run_id).values(state=state.value)
        )

    async def withdraw_unsent(self, run: CensusRun, *, everyone: bool) -> int:
        """Take back the run's first questions still waiting in the outbox; how many.

        Each is marked superseded (the delivery worker sends only pending rows; a worker's
        claim and this are both compare-and-set on "pending", so the one in flight is left
        to finish) and its conversation, never asked and never answered, is removed: the
        person counts as not invited, gets no reminder or closing notice, and a resumed
        fan-out asks them again. Without ``everyone`` only the fan-out's population is
        withdrawn: someone who joined by the census link after the start is not fanned out
        to again."""
        unsent = select(ConversationRow.id, OutboxRow.id).select_from(OutboxRow)
        unsent = unsent.join(
            ConversationRow,
            and_(
                ConversationRow.contact_id == OutboxRow.contact_id,
                ConversationRow.round_id == run.round_id,
            ),
        ).where(
            OutboxRow.status == OutboxStatus.PENDING.value,
            self._first_message(),
            ConversationRow.status == ConversationStatus.INVITED.value,
            ~exists().where(AnswerRow.conversation_id == ConversationRow.id),
        )
        if not everyone:
            unsent = unsent.join(ContactRow, ContactRow.id == ConversationRow.contact_id).where(
                self._population(run)
            )
        pairs = (await self.session.execute(unsent)).all()
        if not pairs:
            return 0
        taken = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_([message for _, message in pairs]),
                OutboxRow.status == OutboxStatus.PENDING.value,
            )
            .values(
                status=OutboxStatus.SUPERSEDED.value,
                last_error=f"withdrawn: census {run.state}",
                # The key names the removed conversation's id, which SQLite may give the
                # next conversation: freed, so that one's first question is not taken for
                # a duplicate of this one.
                idempotency_key=OutboxRow.idempotency_key
                + literal(":withdrawn:")
                + cast(OutboxRow.id, String),
            )
            .returning(OutboxRow.id)
            .execution_options(synchronize_session=False)
        )
        withdrawn = set(taken.scalars())
        conversations = [conv for conv, message in pairs if message in withdrawn]
        if conversations:
            await self.session.execute(
                delete(ConversationRow)
                .where(ConversationRow.id.in_(conversations))
                .execution_options(synchronize_session=False)
            )
        return len(conversations)

    async def stop_reminders(self, run: CensusRun) -> tuple[int, int]:
        """A cancelled run's open conversations are nudged no more: their reminders are
        unscheduled and those still in the outbox dropped; (open conversations, dropped).

        Every open conversation's version moves on, so a step computed before the cancel
        (a reminder due, a "Later" re-arming one) fails its compare-and-set and is redone
        on the cancelled state. The outbox is swept after, so a reminder that committed
        first is found there; one a worker already holds is left to finish."""
        unscheduled = await self.session.execute(
            update(ConversationRow)
            .where(
                ConversationRow.round_id == run.round_id,
                ConversationRow.status.in_(_OPEN),
            )
            .values(reminder_due_at=None, version=ConversationRow.version + 1)
            .returning(ConversationRow.id)
            .execution_options(synchronize_session=False)
        )
        count = len(unscheduled.scalars().all())
        # A reminder step records the reminder (":0") and the question again (":1").
        queued = await self.session.scalars(
            select(OutboxRow.idempotency_key)
            .join(
                ConversationRow,
                and_(
                    ConversationRow.contact_id == OutboxRow.contact_id,
                    ConversationRow.round_id == run.round_id,
                ),
            )
            .where(
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.kind == "reminder",
                OutboxRow.idempotency_key.like(
                    literal("conv:") + cast(ConversationRow.id, String) + literal(":%")
                ),
            )
        )
        keys = [
            key
            for reminder in queued
            for key in (reminder, reminder.removesuffix(":0") + ":1")
            if reminder.endswith(":0")
        ]
        if not keys:
            return count, 0
        await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.idempotency_key.in_(keys),
                OutboxRow.status == OutboxStatus.PENDING.value,
            )
            .values(status=OutboxStatus.SUPERSEDED.value, last_error="withdrawn: census cancelled")
            .execution_options(synchronize_session=False)
        )
        return count, len(keys) // 2

    async def cancelled(self, round_id: int) -> bool:
        found = await self.session.scalar(
            select(CensusRunRow.id).where(
                CensusRunRow.round_id == round_id,
                CensusRunRow.state == CensusState.CANCELLED.value,
            )
        )
        return found is not None

    async def any_open(self, round_id: int) -> bool:
        found = await self.session.scalar(
            select(ConversationRow.id)
            .where(
                ConversationRow.round_id == round_id,
                ConversationRow.status.in_(_OPEN),
            )
            .limit(1)
        )
        return found is not None

    def _population(self, run: CensusRun) -> Any:
        """Who the run's fan-out asks: users with a ticket in its window, and those who
        joined by the census link from the window's start until the run started (the link
        is posted before a census too). Who joins later is asked on joining, not here."""
        started = run.created_at or run.until
        return and_(
            ContactRow.account_id == run.account_id,
            ContactRow.level == ContactLevel.USER.value,
            or_(
                and_(ContactRow.last_ticket_at >= run.since, ContactRow.last_ticket_at < run.until),
                and_(
                    ContactRow.census_joined_at >= run.since,
                    ContactRow.census_joined_at < started,
                ),
            ),
            or_(ContactRow.channel.is_(None), ~_staff_chat()),
        )

    async def uninvited(self, run: CensusRun, limit: int) -> list[Contact]:
        """The run's reachable population not yet invited to its round, by id."""
        return [_contact(r) for r in await self.session.scalars(self.uninvited_query(run, limit))]

    def uninvited_query(self, run: CensusRun, limit: int) -> Select[tuple[ContactRow]]:
        """Asked on every fan-out pass, so its cost must not hinge on table statistics,
        which a freshly imported population and a round growing by thousands lack. As a
        correlated NOT EXISTS, PostgreSQL without them may take the contacts for one row
        and, for each contact, scan all the round's conversations: contacts x invited rows
        a pass (1.1 s with 800 of 10,000 invited), until the pass outlasts the backlog and
        delivery idles. NOT IN over the round's contact ids (never NULL) is hashed once a
        pass instead: contacts + invited rows, whatever the planner believes."""
        invited = select(ConversationRow.contact_id).where(ConversationRow.round_id == run.round_id)
        return (
            select(ContactRow)
            .where(
                self._population(run),
                ContactRow.status == ContactStatus.ACTIVE.value,
                ContactRow.channel.is_not(None),
                ContactRow.id.not_in(invited),
            )
            .order_by(ContactRow.id)
            .limit(limit)
        )

    @staticmethod
    def _first_message() -> Any:
        # The key SurveyService gives a conversation's first message (see _invite).
        return OutboxRow.idempotency_key == (
            literal("conv:") + cast(ConversationRow.id, String) + literal(":start:0")
        )

    def _unbound_with_email(self, account_id: int) -> Any:
        return and_(
            ContactRow.account_id == account_id,
            ContactRow.channel.is_(None),
            ContactRow.email.is_not(None),
            ContactRow.status != ContactStatus.OPTED_OUT.value,
        )

    async def unbound_with_email(self, account_id: int, after_id: int, limit: int) -> list[Contact]:
        rows = await self.session.scalars(
            select(ContactRow)
            .where(self._unbound_with_email(account_id), ContactRow.id > after_id)
            .order_by(ContactRow.id)
            .limit(limit)
        )
        return [_contact(r) for r in rows]

    async def count_unbound_with_email(self, account_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(ContactRow)
                .where(self._unbound_with_email(account_id))
            )
            or 0
        )

    async def backlog(self, round_id: int) -> int:
        """First messages of the round still waiting for delivery.

        Asked several times a second during a fan-out, so it starts from the few unsettled
        outbox rows (status index), not from the round's thousands of conversations."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxRow)
                .join(
                    ConversationRow,
                    and_(
                        ConversationRow.contact_id == OutboxRow.contact_id,
                        ConversationRow.round_id == round_id,
                    ),
                )
                .where(
                    OutboxRow.status.in_(("pending", "sending")),
                    OutboxRow.idempotency_key.like("conv:%:start:0"),
                )
            )
            or 0
        )

    async def progress(self, run: CensusRun) -> CensusProgress:
        # Those with a ticket in the window, and anyone who joined by the census link since.
        asked = exists().where(
            ConversationRow.round_id == run.round_id, ConversationRow.contact_id == ContactRow.id
        )
        population = await self.session.scalar(
            select(func.count()).select_from(ContactRow).where(or_(self._population(run), asked))
        )
        # The population not asked, by why: no chat; a chat they left; still to be asked.
        no_chat = ContactRow.channel.is_(None)
        active = ContactRow.status == ContactStatus.ACTIVE.value
        waiting = await self.session.execute(
            select(no_chat, active, func.count())
            .select_from(ContactRow)
            .where(self._population(run), ~asked)
            .group_by(no_chat, active)
        )
        not_asked = {"no_chat": 0, "opted_out": 0, "not_sent": 0}
        for without_chat, is_active, count in waiting.all():
            why = "no_chat" if without_chat else "not_sent" if is_active else "opted_out"
            not_asked[why] += int(count)
        in_round = ConversationRow.round_id == run.round_id
        invited = await self.session.scalar(
            select(func.count()).select_from(ConversationRow).where(in_round)
        )
        outcomes = await self.session.execute(
            select(OutboxRow.status, func.count())
            .select_from(ConversationRow)
            .join(OutboxRow, self._first_message())
            .where(in_round)
            .group_by(OutboxRow.status)
        )
        by_status = dict(outcomes.all())
        answered = await self.session.scalar(
            select(func.count(func.distinct(AnswerRow.conversation_id)))
            .join(ConversationRow, ConversationRow.id == AnswerRow.conversation_id)
            .where(in_round)
        )
        # Complete: every question answered (a census asks them all); a late comment or a
        # skipped question does not make one.
        per_person = answered_questions(in_round)
        complete = await self.session.scalar(
            select(func.count())
            .select_from(per_person)
            .where(per_person.c.questions >= len(QUESTION_KEYS))
        )
        return CensusProgress(
            state=run.state,
            population=int(population or 0),
            sent=int(invited or 0),
            reached=int(by_status.get("sent", 0)),
            unreachable=int(by_status.get("failed", 0)),
            queued=int(by_status.get("pending", 0)) + int(by_status.get("sending", 0)),
            answered=int(answered or 0),
            partly=int(answered or 0) - int(complete or 0),
            **not_asked,
        )


def _staff_chat() -> Any:
    """A bound contact whose chat is a staff member's: made before the person became staff
    (staff are refused as contacts since). Staff get alerts and are not surveyed. Each list
    is NULL-free, so for a bound contact this is true or false, never NULL (which NOT would
    keep NULL and so drop the contact from every count)."""
    on = [
        (Channel.SLACK, select(StaffRow.slack_user_id).where(StaffRow.slack_user_id.is_not(None))),
        (
            Channel.TELEGRAM,
            select(cast(StaffRow.telegram_user_id, String)).where(
                StaffRow.telegram_user_id.is_not(None)
            ),
        ),
        (Channel.CONSOLE, select(StaffRow.console_name).where(StaffRow.console_name.is_not(None))),
    ]
    return or_(
        *(and_(ContactRow.channel == ch.value, ContactRow.address.in_(ids)) for ch, ids in on)
    )
