"""Operator endpoints: GET /healthz (alive), /readyz (database reachable, migrations
current), /metrics (Prometheus text format, prometheus_client) and POST /tickets/<account>
(helpdesk ticket intake, bot/ticket_intake.py)."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from bot import metrics, ticket_intake
from bot.app import App
from storage import migrate
from storage.models import AlertRow, OutboxRow

log = logging.getLogger(__name__)


def ops_app(app: App) -> web.Application:
    head = migrate.head_revision()

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_: web.Request) -> web.Response:
        try:
            async with app.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            current = await migrate.current_revision(app.engine)
        except Exception as exc:
            return web.Response(status=503, text=f"database unreachable: {type(exc).__name__}\n")
        if current != head:
            return web.Response(status=503, text=f"migrations at {current}, code needs {head}\n")
        return web.Response(text="ready\n")

    async def scrape(_: web.Request) -> web.Response:
        # Depths are the database's, so every process reports the same backlog.
        try:
            for status, count in (await app.inbox.store.depth()).items():
                metrics.INBOX_DEPTH.labels(status).set(count)
            async with app.uow() as uow:
                session = uow.session
                for table, gauge in ((OutboxRow, metrics.OUTBOX_DEPTH),
                                     (AlertRow, metrics.ALERTS)):  # fmt: skip
                    rows = await session.execute(
                        select(table.status, func.count()).group_by(table.status)
                    )
                    for status, count in rows.all():
                        gauge.labels(status).set(count)
        except Exception as exc:  # the counters still tell something
            log.warning("metrics: database figures unavailable: %s", exc)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # Bodies are bounded per route (ticket intake reads at most its own limit).
    web_app = web.Application(client_max_size=max(app.settings.ticket_max_body, 1024) + 1)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", scrape)
    ticket_intake.add_routes(web_app, app)
    return web_app
