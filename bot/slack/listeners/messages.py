"""Direct messages from contacts: answers, edits, files. Channels are never surveyed."""

from __future__ import annotations

import re
import shlex
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.listeners.commands import PLATFORM as _PLATFORM
from bot.slack.listeners.commands import ask_again, change_language
from bot.slack.markup import as_written, mentioned
from surveys import commands
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Address, Language
from surveys.onboarding import typed_language
from surveys.staff import Output
from surveys.texts import t

# A file sent with "import Globex" (or "/candor import Globex confirm", typed as a message).
IMPORT_TEXT = re.compile(r"(?i)^\s*(?:/?candor\s+)?/?import(?:\s|$)")
# "help" written as a message, the word alone: Slack lets no one type a slash command there.
TYPED_HELP = re.compile(r"(?i)^\s*/?(?:candor\s+)?(?:help|помощь|справка)\s*[?!.]*\s*$")
MAX_NAMED_MENTIONS = 10  # looked up by name in one message; any more read "@U123"
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
        if (deleted := _deleted(event)) is not None:
            writer, ts = deleted
            await ctx.service.handle_deletion(ctx.address(writer), f"{channel}:{ts}")
            ctx.wake_delivery()
            return
        if subtype == "message_changed":
            changed = event.get("message") or {}
            user = changed.get("user")
            # A tombstone (Slackbot's "This message was deleted.") is never an edit, also when
            # it changes again as its thread does.
            if user and not changed.get("bot_id") and changed.get("subtype") != "tombstone":
                await ctx.service.handle_edit(
                    ctx.address(user),
                    f"{channel}:{changed.get('ts')}",
                    await _as_written(ctx, str(changed.get("text") or "")),
                )
                ctx.wake_delivery()
            return
        user = event.get("user")
        if not user or subtype in IGNORED_SUBTYPES:
            return
        text = await _as_written(ctx, str(event.get("text") or ""))
        message_id = f"{channel}:{event.get('ts')}"
        thread = event.get("thread_ts")
        files = event.get("files") or []
        if (
            files
            and IMPORT_TEXT.match(text)
            and await _staff_import(ctx, user, text, files[0], message_id)
        ):
            return
        if (
            thread
            and thread != event.get("ts")
            and await _staff_reply(ctx, user, channel, thread, text, message_id)
        ):
            return
        if not files and (wanted := typed_language(text)) is not None:
            await _typed_language(ctx, user, wanted, message_id)  # not an answer
            return
        if not files and TYPED_HELP.match(text) and await _contact_help(ctx, user, message_id):
            return  # not an answer
        stranger = await ctx.stranger_language(user)  # whom Candor does not know: in theirs
        if not text.strip() and (event.get("files") or subtype == "file_share"):
            # A file without words carries no answer; words sent with a file are the answer.
            contact_event = ContactEvent(
                EventKind.NON_TEXT, message_id=message_id, media="file", language=stranger
            )
        else:
            contact_event = ContactEvent(
                EventKind.TEXT, text, message_id, position=position(event.get("ts")),
                language=stranger,
            )  # fmt: skip
        await ctx.service.handle_event(ctx.address(user), contact_event)
        ctx.wake_delivery()


def _deleted(event: dict[str, Any]) -> tuple[str, str] | None:
    """(who wrote it, its ts) when the event says a person's message was deleted: subtype
    message_deleted, or message_changed into a tombstone (a message with thread replies,
    now Slackbot's "This message was deleted.", never an edit). None for anything else, and
    for a bot's message or a tombstone deleted in turn (its writer was told already)."""
    subtype = event.get("subtype")
    changed = event.get("message") if isinstance(event.get("message"), dict) else {}
    if subtype == "message_deleted":
        ts = event.get("deleted_ts")
    elif subtype == "message_changed" and changed.get("subtype") == "tombstone":
        ts = changed.get("ts")
    else:
        return None
    previous = event.get("previous_message")
    if not isinstance(previous, dict) or previous.get("bot_id"):
        return None
    if previous.get("subtype") == "tombstone":
        return None
    user, ts = previous.get("user"), ts or previous.get("ts")
    return (str(user), str(ts)) if user and ts else None


async def _typed_language(ctx: SlackContext, user: str, wanted: Language, message_id: str) -> None:
    """`lang ru` written as a message: what `/candor lang ru` does and says, as a DM."""
    me = ctx.address(user)
    lang = await ctx.language_for(user, await ctx.commands.actor(me))
    text, replied_in, switched = await change_language(ctx, me, [wanted.value], lang)
    await ctx.service.notify(me, text, replied_in, f"slack-lang:{message_id}")
    if switched:  # under the reply: the question they are on, in the new language
        await ask_again(ctx, me)
    ctx.wake_delivery()


async def _contact_help(ctx: SlackContext, user: str, message_id: str) -> bool:
    """The word "help" written by a contact: what `/candor help` tells them, as a DM.
    False for anyone else (staff and strangers are answered as for any message)."""
    me = ctx.address(user)
    if (lang := await ctx.service.contact_language(me)) is None:
        return False
    await ctx.service.notify(me, t("client_help", lang), lang, f"slack-help:{message_id}")
    ctx.wake_delivery()
    return True


async def _as_written(ctx: SlackContext, raw: str) -> str:
    """The message as its writer saw it (bot/slack/markup.py): a mention of someone Candor
    knows, staff or contact, by the name it keeps for them; no Slack call for it."""
    names: dict[str, str] = {}
    if ids := mentioned(raw)[:MAX_NAMED_MENTIONS]:
        async with ctx.service.uow() as uow:
            for user_id in ids:
                address = ctx.address(user_id)
                known = await uow.staff.by_address(address) or await uow.contacts.by_address(
                    address
                )
                if known is not None:
                    names[user_id] = known.name
    return as_written(raw, names)


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


async def _staff_import(
    ctx: SlackContext, user: str, text: str, file: dict[str, Any], message_id: str
) -> bool:
    """A staff member's file with `import <account> [confirm]`: the preview (with a button to
    confirm) or the import. False for anyone else, whose file and words go on as a contact's."""
    me = ctx.address(user)
    actor = await ctx.commands.actor(me)
    if actor is None:
        return False
    try:
        words: list[str] | None = shlex.split(IMPORT_TEXT.sub("", text, count=1))
    except ValueError:
        words = None
    output = await commands.run(
        ctx.commands, actor, actor.language, "import", words, _PLATFORM,
        upload=ctx.files.upload(file, ctx.import_max_bytes),
    )  # fmt: skip
    await reply(ctx, me, output, actor.language, f"slack-import:{message_id}")
    return True


async def reply(ctx: SlackContext, to: Address, output: Output, lang: Language, key: str) -> None:
    """A command's answer as a DM through the outbox; an import preview carries its button."""
    extra = None
    if output.confirm_import is not None:
        account, file_id = output.confirm_import
        extra = {"import_confirm": {"account": account, "file": file_id}}
    await ctx.service.notify(to, "\n".join(output.lines), lang, key, extra=extra)
    ctx.wake_delivery()
