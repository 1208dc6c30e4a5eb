"""Direct messages from contacts: answers, edits, files. Channels are never surveyed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext, unescape
from surveys.conversation import ContactEvent, EventKind

IGNORED_SUBTYPES = frozenset(
    {"message_deleted", "bot_message", "channel_join", "channel_leave", "message_replied"}
)


def position(ts: object) -> Decimal | None:
    """Where the message sits in the conversation: Slack's ts, exact (never a float)."""
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        return None


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id"):
            return
        subtype = event.get("subtype")
        channel = str(event.get("channel", ""))
        if subtype == "message_changed":
            changed = event.get("message") or {}
            user = changed.get("user")
            if user and not changed.get("bot_id"):
                await ctx.service.handle_edit(
                    ctx.address(user),
                    f"{channel}:{changed.get('ts')}",
                    unescape(str(changed.get("text") or "")),
                )
                ctx.wake_delivery()
            return
        user = event.get("user")
        if not user or subtype in IGNORED_SUBTYPES:
            return
        text = unescape(str(event.get("text") or ""))
        message_id = f"{channel}:{event.get('ts')}"
        if not text.strip() and (event.get("files") or subtype == "file_share"):
            # A file without words carries no answer; words sent with a file are the answer.
            contact_event = ContactEvent(EventKind.NON_TEXT, message_id=message_id, media="file")
        else:
            contact_event = ContactEvent(
                EventKind.TEXT, text, message_id, position=position(event.get("ts"))
            )
        await ctx.service.handle_event(ctx.address(user), contact_event)
        ctx.wake_delivery()
