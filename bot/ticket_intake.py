"""POST /tickets/<account> on the ops server: a helpdesk reports that a requester raised a
ticket, so the census population stays current without files.

The token is checked (in constant time) before the body is read; the body is bounded and
read only up to its limit; the ticket id makes a helpdesk's retries harmless.
"""

from __future__ import annotations

import hmac
import json
import logging
from datetime import UTC, datetime

from aiohttp import web

from bot.app import App
from surveys.census import Census, TicketReport

log = logging.getLogger(__name__)


def _tokens_for(app: App, account: str) -> list[str]:
    settings = app.settings
    tokens = []
    if settings.ticket_token and settings.ticket_token.get_secret_value():
        tokens.append(settings.ticket_token.get_secret_value())
    if (own := settings.ticket_tokens.get(account)) and own.get_secret_value():
        tokens.append(own.get_secret_value())
    return tokens


def _presented(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("X-Candor-Token", "").strip()


def _authorised(presented: str, tokens: list[str]) -> bool:
    # Compare against every configured token, always, so timing says nothing about which.
    ok = False
    for token in tokens:
        ok |= hmac.compare_digest(presented.encode(), token.encode())
    return ok and bool(presented)


def _moment(value: object) -> datetime:
    if value in (None, ""):
        return datetime.now(UTC)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_routes(web_app: web.Application, app: App) -> None:
    census = Census(app.service)
    limit = app.settings.ticket_max_body

    async def ticket(request: web.Request) -> web.Response:
        account = request.match_info["account"]
        tokens = _tokens_for(app, account)
        if not tokens:
            return web.json_response({"error": "ticket intake is not configured"}, status=404)
        if not _authorised(_presented(request), tokens):
            log.info("ticket intake: refused a request for %r (bad or missing token)", account)
            return web.json_response({"error": "unauthorised"}, status=401)
        if (request.content_length or 0) > limit:
            return web.json_response({"error": f"body over {limit} bytes"}, status=413)
        body = await request.content.read(limit + 1)
        if len(body) > limit:
            return web.json_response({"error": f"body over {limit} bytes"}, status=413)
        try:
            data = json.loads(body)
            requester = data.get("requester") or {}
            report = TicketReport(
                account=account,
                ticket_id=str(data["ticket_id"])[:200],
                raised_at=_moment(data.get("created_at")),
                email=(str(requester.get("email") or "").strip().lower() or None),
                external_id=(str(requester.get("id") or "").strip()[:128] or None),
                name=(str(requester.get("name") or "").strip()[:200] or None),
            )
            created = await census.record_ticket(report)
        except LookupError:
            return web.json_response({"error": f"no account {account!r}"}, status=404)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return web.json_response(
                {"error": "expected JSON: ticket_id, created_at (ISO 8601), "
                          "requester.email or requester.id", "detail": type(exc).__name__},
                status=400,
            )  # fmt: skip
        return web.json_response(
            {"recorded": created, "ticket_id": report.ticket_id}, status=201 if created else 200
        )

    web_app.router.add_post("/tickets/{account}", ticket)
