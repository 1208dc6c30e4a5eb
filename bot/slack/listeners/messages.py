"""Direct messages from contacts: answers, edits, files. Channels are never surveyed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext, unescape
from surveys import commands
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
        thread = event.get("thread_ts")
        if (
            thread
            and thread != event.get("ts")
            and await _staff_reply(ctx, user, channel, thread, text, message_id)
        ):
            return
        if not text.strip() and (event.get("files") or subtype == "file_share"):
            # A file without words carries no answer; words sent with a file are the answer.
            contact_event = ContactEvent(EventKind.NON_TEXT, message_id=message_id, media="file")
        else:
            contact_event = ContactEvent(
                EventKind.TEXT, text, message_id, position=position(event.get("ts"))
            )
        await ctx.service.handle_event(ctx.address(user), contact_event)
        ctx.wake_delivery()


async def _staff_reply(
    ctx: SlackContext, user: str, channel: str, thread: str, text: str, message_id: str
) -> bool:
    """Staff writing in the thread of one of our alert messages: a follow-up question to the
    client, or the note of a resolution. False when it is not that."""
    me = ctx.address(user)
    actor = await ctx.commands.actor(me)
    if actor is None:
        return False
    followups = commands.follow_ups(ctx.commands)
    alert_id = await followups.alert_of_reply(me, f"{channel}:{thread}")
    if alert_id is None:
        return False
    output = await commands.reply_to_alert(ctx.commands, actor, alert_id, text)
    await followups.prompt(actor, alert_id, "\n".join(output.lines), f"slack-reply:{message_id}")
    ctx.wake_delivery()
    return True
