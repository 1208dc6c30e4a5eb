"""The inbox table: inbound platform updates, recorded before they are acknowledged.

Not a domain repository: only the platform edge (bot/inbox.py) records and replays raw
updates; the domain sees them as the events the platform's dispatcher turns them into.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.models import InboxRow


class InboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    # Set aside: malformed, or kept failing; one log line says why, the rest go on.
    FAILED = "failed"


UNSETTLED = (InboxStatus.PENDING.value, InboxStatus.PROCESSING.value)


# How long a platform may send an update again: Telegram keeps one it was not told about
# for 24 hours. A row under a legacy key older than this cannot be redelivered.
REDELIVERY_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class NewUpdate:
    channel: str
    update_key: str
    sender: str
    payload: str  # JSON text
    # The key an earlier version stored this update under (Telegram: the update id alone).
    # A row under it with the same content, received within REDELIVERY_WINDOW, is this
    # update already: its redelivery is not stored again.
    legacy_key: str | None = None


@dataclass(frozen=True, slots=True)
class StoredUpdate:
    id: int
    channel: str
    update_key: str
    payload: str
    attempts: int


class InboxStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        self.sessions = sessions
        self._insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # SQLite serves one process (bot/leader.py): whatever is 'processing' when a process
        # starts was left by one that died, so it need not wait out its lease.
        self.single_process = dialect != "postgresql"

    async def record(self, updates: Sequence[NewUpdate], now: datetime) -> None:
        """Store every update in one transaction; one seen before is kept as it was."""
        if not updates:
            return
        async with self.sessions() as session:
            seen = await self._stored_under_legacy_keys(session, updates, now)
            rows = self._rows([u for u in updates if u not in seen], now)
            if rows:
                statement = self._insert(InboxRow).values(rows)
                statement = statement.on_conflict_do_nothing(
                    index_elements=["channel", "update_key"]
                )
                await session.execute(statement)
            await session.commit()

    @staticmethod
    async def _stored_under_legacy_keys(
        session: AsyncSession, updates: Sequence[NewUpdate], now: datetime
    ) -> list[NewUpdate]:
        """The updates already stored under their legacy key, as the same content (a key
        alone is not enough: the update id it was is given again to other updates)."""
        legacy = [u for u in updates if u.legacy_key]
        if not legacy:
            return []
        found = await session.execute(
            select(InboxRow.channel, InboxRow.update_key, InboxRow.payload).where(
                InboxRow.channel.in_({u.channel for u in legacy}),
                InboxRow.update_key.in_({u.legacy_key for u in legacy}),
                InboxRow.received_at >= now - REDELIVERY_WINDOW,
            )
        )
        stored = {(channel, key): payload for channel, key, payload in found.all()}
        return [
            u for u in legacy
            if (payload := stored.get((u.channel, u.legacy_key))) is not None
            and _same_json(payload, u.payload)
        ]  # fmt: skip

    @staticmethod
    def _rows(updates: Sequence[NewUpdate], now: datetime) -> list[dict[str, object]]:
        return [
            {
                "channel": u.channel,
                "update_key": u.update_key[:128],
                "sender": u.sender[:128],
                "payload": u.payload,
                "status": InboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "received_at": now,
            }
            for u in updates
        ]

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int, channels: Sequence[str]
    ) -> list[StoredUpdate]:
        """Claim up to ``limit`` due updates, at most one per sender (a sender's updates are
        handled in the order they arrived: one qualifies only when no earlier one of the
        same sender is unsettled).

        One statement: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)
        RETURNING``. Several processes claim at once without waiting on each other (on
        PostgreSQL each skips the rows another is claiming; SQLite has one writer), and the
        status re-check gives each update to one of them. Due rows are found through the
        (status, next_attempt_at) index, earlier ones of a sender through (channel, sender,
        status), so a claim costs the same whatever the backlog."""
        earlier = aliased(InboxRow)
        earlier_unsettled = (
            select(earlier.id)
            .where(
                earlier.channel == InboxRow.channel,
                earlier.sender == InboxRow.sender,
                earlier.status.in_(UNSETTLED),
                earlier.id < InboxRow.id,
            )
            .exists()
        )
        due = (
            select(InboxRow.id)
            .where(
                InboxRow.status == InboxStatus.PENDING.value,
                InboxRow.next_attempt_at <= now,
                InboxRow.channel.in_(channels),
                ~earlier_unsettled,
            )
            .order_by(InboxRow.next_attempt_at, InboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self.sessions() as session:
            result = await session.execute(
                update(InboxRow)
                .where(
                    InboxRow.id.in_(due.scalar_subquery()),
                    InboxRow.status == InboxStatus.PENDING.value,
                )
                .values(
                    status=InboxStatus.PROCESSING.value,
                    attempts=InboxRow.attempts + 1,
                    next_attempt_at=lease_until,
                )
                .returning(
                    InboxRow.id,
                    InboxRow.channel,
                    InboxRow.update_key,
                    InboxRow.payload,
                    InboxRow.attempts,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = [StoredUpdate(*row) for row in result.all()]
            await session.commit()
        return sorted(claimed, key=lambda u: u.id)

    async def _set(self, update_id: int, **values: object) -> None:
        async with self.sessions() as session:
            await session.execute(
                update(InboxRow)
                .where(InboxRow.id == update_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def mark_done(self, update_id: int, now: datetime) -> None:
        await self._set(update_id, status=InboxStatus.DONE.value, processed_at=now, last_error=None)

    async def mark_done_many(self, update_ids: Sequence[int], now: datetime) -> None:
        async with self.sessions() as session:
            await session.execute(
                update(InboxRow)
                .where(InboxRow.id.in_(update_ids))
                .values(status=InboxStatus.DONE.value, processed_at=now, last_error=None)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def mark_retry(self, update_id: int, error: str, at: datetime) -> None:
        await self._set(
            update_id,
            status=InboxStatus.PENDING.value,
            last_error=error[:2000],
            next_attempt_at=at,
        )

    async def release(self, update_id: int, now: datetime) -> None:
        """Give an update back unprocessed (shutdown): handled again, later or elsewhere."""
        await self._set(update_id, status=InboxStatus.PENDING.value, next_attempt_at=now)

    async def mark_failed(self, update_id: int, error: str, now: datetime) -> None:
        await self._set(
            update_id, status=InboxStatus.FAILED.value, last_error=error[:2000], processed_at=now
        )

    async def requeue_stale(self, now: datetime, *, any_lease: bool = False) -> int:
        """Updates a dead process left 'processing' past their lease go back to pending
        (with ``any_lease``, whatever their lease: for a process starting on SQLite).

        Safe because handling is idempotent: the domain de-duplicates inbound events by
        their platform id in the transaction that stores their effect."""
        stale = InboxRow.status == InboxStatus.PROCESSING.value
        if not any_lease:
            stale = stale & (InboxRow.next_attempt_at < now)
        async with self.sessions() as session:
            result = await session.execute(
                update(InboxRow)
                .where(stale)
                .values(status=InboxStatus.PENDING.value, next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def depth(self) -> dict[str, int]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(InboxRow.status, func.count()).group_by(InboxRow.status)
            )
            return {str(status): int(count) for status, count in rows.all()}

    async def list(self, channel: str | None = None) -> list[InboxRow]:
        async with self.sessions() as session:
            query = select(InboxRow).order_by(InboxRow.id)
            if channel:
                query = query.where(InboxRow.channel == channel)
            return list(await session.scalars(query))


def _same_json(a: str, b: str) -> bool:
    """Whether two JSON texts say the same (key order and spacing aside)."""
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b
