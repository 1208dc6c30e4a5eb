"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url``; SQLite gets the settings that make it safe to share."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = kwargs.pop("connect_args", {})
        # Writers wait for each other instead of failing with "database is locked".
        connect_args.setdefault("timeout", 30)
        if parsed.database in (None, "", ":memory:"):
            # One shared in-memory connection (StaticPool): there is no pool to size.
            kwargs.pop("pool_size", None)
            kwargs.pop("max_overflow", None)
        else:
            # One connection per process. Every transaction takes the write lock at BEGIN
            # (below), so more connections add no concurrency, only contention: their
            # waiters poll SQLite's lock with growing sleeps and no order, and under a burst
            # of Slack commands an event's acknowledgement starved past Slack's 3 seconds.
            # Waiting for the one pooled connection is an asyncio queue: first come, first
            # served, woken the moment it is free.
            kwargs["pool_size"] = 1
            kwargs["max_overflow"] = 0
        engine = create_async_engine(url, connect_args=connect_args, **kwargs)
        _tune_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
        return engine
    # No pre-ping: it is a round trip on every checkout (a fifth of an answer's). A
    # connection PostgreSQL dropped fails its next statement instead, SQLAlchemy then
    # replaces the whole pool, and every caller retries: the inbox handles the update
    # again, a webhook answers 503 so the platform resends, delivery's next pass re-reads.
    kwargs.setdefault("pool_pre_ping", False)
    return create_async_engine(url, **kwargs)


def _tune_sqlite(engine: AsyncEngine, *, in_memory: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin: needed for
        # SAVEPOINTs (duplicate-safe inserts) and for BEGIN IMMEDIATE below.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            # WAL lets the delivery worker read while a handler writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: two deferred transactions that both read and then
        # write would otherwise deadlock with SQLITE_BUSY instead of waiting for each other.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
