"""`/candor <subcommand>`: staff commands, answered ephemerally, plus contact self-service."""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import (
    BLOCKS_TEXT_LIMIT,
    MAX_BLOCKS,
    batched,
    escape,
    mrkdwn,
    shortened_sections,
    slack_commands,
    text_sections,
    text_size,
)
from bot.slack.context import SlackContext, unescape, user_id_of
from bot.slack.locale import follow_slack_language
from bot.telegram.links import start_link
from surveys import commands as table
from surveys.census_progress import follow_answer
from surveys.commands import CLIENT_COMMANDS, LEVELS, Invitee, Usage
from surveys.conversation import ContactEvent, EventKind
from surveys.model import Address, Channel, Language, Staff
from surveys.staff import Output, StaffError
from surveys.texts import failure_reason, spoken_language, t

_SYNTAX = {
    "person": ("<@user>", "<@user>"),
    "other": ("telegram:<id>", "telegram:<id>"),
    "invitee": ('<e-mail or @user> ["<name>"]', '<e-mail или @user> ["<имя>"]'),
}
TYPED_BUTTONS = {"skip": EventKind.SKIP, "later": EventKind.LATER, "decline": EventKind.DECLINE}


class SlackPlatform:
    channel = Channel.SLACK
    prefix = "/candor "

    def __init__(
        self, client: AsyncWebClient | None = None, ctx: SlackContext | None = None
    ) -> None:
        self.client = client
        self.ctx = ctx

    def syntax(self, slot: str, lang: Language) -> str:
        return _SYNTAX[slot][1 if lang is Language.RU else 0]

    async def person(self, ref: str) -> Address | None:
        user_id = user_id_of(ref)
        return Address(Channel.SLACK, user_id) if user_id else None

    async def invitee(self, args: list[str], lang: Language) -> tuple[Invitee, list[str]]:
        assert self.client is not None
        user_id, found_name, email, locale = await _slack_user(self.client, args[0], lang)
        rest = args[1:]
        name = rest.pop(0) if rest and rest[0].lower() not in LEVELS else found_name
        spoken = spoken_language(locale)
        if spoken is None and len(rest) < 2 and self.ctx is not None and self.ctx.locales:
            # users.lookupByEmail does not carry the locale; asked only when the command
            # names no language.
            spoken = spoken_language(await self.ctx.locales.locale(user_id))
        return Invitee(name, Address(Channel.SLACK, user_id), email, spoken), rest

    async def staff_added(self, address: Address) -> None:
        """Someone added here speaks their Slack's language from the start, not the adder's:
        an alert may reach them before they ever write to Candor."""
        ctx = self.ctx
        if ctx is None or ctx.locales is None or address.channel is not Channel.SLACK:
            return
        await follow_slack_language(ctx.onboarding, ctx.locales, address.address)


PLATFORM = SlackPlatform()  # for usage and help texts, which need no client
USAGE = {name: command.usage(PLATFORM, Language.EN) for name, command in table.TABLE.items()}


async def _slack_user(
    client: AsyncWebClient, ref: str, lang: Language
) -> tuple[str, str, str | None, str | None]:
    """(user id, display name, e-mail, locale if Slack said) for an e-mail address or a
    mention; Usage if neither."""
    try:
        # A plain address, or the <mailto:a@b|a@b> link Slack makes of one when escaping.
        if "@" in ref and not ref.startswith("<@"):
            found = await client.users_lookupByEmail(
                email=ref.strip("<>").removeprefix("mailto:").split("|")[0]
            )
        elif user_id := user_id_of(ref):
            found = await client.users_info(user=user_id, include_locale=True)
        else:
            raise Usage
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        reason = failure_reason(error, f"Slack: {error}", lang)
        raise StaffError(t("invite_slack_failed", lang, ref=ref, reason=reason)) from None
    user = found["user"]
    if user.get("deleted") or user.get("is_bot"):
        raise StaffError(t("invite_slack_unusable", lang, ref=ref))
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or user["id"]
    locale = user.get("locale")
    return str(user["id"]), str(name), profile.get("email"), locale if locale else None


def census_link(output: Output, telegram_bot: str, lang: Language) -> tuple[Output, str | None]:
    """A census link is a Telegram deep link: shown when the bot's name is known, else the
    reply says so instead of ending in an empty link."""
    if output.link_token is None:
        return output, None
    if not telegram_bot:
        return replace(output, lines=[t("census_link_no_bot", lang)], link_token=None), None
    return output, start_link(telegram_bot, output.link_token)


RESPONSES = 5  # a response_url takes at most five posts
VERBATIM_PIECE = 1000  # characters in one section of a client's words


def output_messages(
    output: Output, link: str | None = None, lang: Language = Language.EN
) -> list[tuple[str, list[dict[str, Any]]]]:
    """A command's answer as the ephemeral messages that carry it, (fallback, blocks) each.
    A client's long answer (/candor alert) spans several; only past what the five posts of a
    response_url hold is it shortened, for display, saying where the whole of it is. Anything
    else past the five posts is left out, and the fifth ends saying so."""
    blocks: list[dict[str, Any]] = []
    if output.lines:
        blocks += text_sections(slack_commands("\n".join(output.lines)))
    if link is not None:  # a section of its own: mrkdwn would read a token's _ as italics
        blocks.append({"type": "section", "text": mrkdwn(f"<{link}>")})
    table_blocks = text_sections(output.table, code=True) if output.table else []
    if output.verbatim is not None:  # a client's words: escaped, but never reworded
        # A message is filled to within a section of its limit before the next one starts:
        # short sections waste little of the five posts.
        room = RESPONSES * (BLOCKS_TEXT_LIMIT - VERBATIM_PIECE)
        room -= text_size(blocks) + text_size(table_blocks)
        note = slack_commands(t("verbatim_shortened", lang))
        blocks += shortened_sections(output.verbatim, room, note, VERBATIM_PIECE)
    blocks += table_blocks
    fallback = slack_commands("\n".join([*output.lines, *filter(None, [link])]))
    fallback = escape(fallback or (output.table or ""))[:3000] or " "
    batches = batched(blocks)
    if len(batches) > RESPONSES:  # e.g. a long table beside a long answer: say so at the end
        batches = batches[:RESPONSES]
        note = {"type": "context", "elements": [mrkdwn(escape(t("slack_replies_cut", lang)))]}
        last = batches[-1]
        while last and (
            len(last) >= MAX_BLOCKS or text_size(last) + text_size(note) > BLOCKS_TEXT_LIMIT
        ):
            last.pop()
        last.append(note)
    # Later parts get a short fallback of their own, as in delivered messages (blocks.render).
    return [(fallback if i == 0 else "…", batch) for i, batch in enumerate(batches)]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.command("/candor")
    async def on_candor(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        user = str(command.get("user_id"))
        me = ctx.address(user)
        actor = await ctx.commands.actor(me)
        lang = await ctx.language_for(user, actor)
        try:
            # Slack escapes the person's &, < and > (should_escape); names are stored as typed.
            words = [unescape(w) for w in shlex.split(str(command.get("text") or ""))]
        except ValueError:
            words = []
        name = words[0].lower() if words else ""  # `/candor` alone: the help
        args = words[1:]
        if name == "lang":
            text, _, switched = await change_language(ctx, me, args, lang)
            await respond(text=escape(slack_commands(text)), response_type="ephemeral")
            if switched:  # under the reply: the question they are on, in the new language
                await ask_again(ctx, me)
            return
        if name in CLIENT_COMMANDS or name not in table.TABLE:
            trigger = str(command.get("trigger_id") or "")
            text = await _self_service(ctx, me, name, args, actor, lang, trigger)
            if text is not None:
                await respond(text=escape(slack_commands(text)), response_type="ephemeral")
            return
        platform = SlackPlatform(client, ctx)
        output = await table.run(ctx.commands, actor, lang, name, args, platform)
        output, link = census_link(output, ctx.telegram_bot_username, lang)
        for text, blocks in output_messages(output, link, lang):
            await respond(text=text, blocks=blocks, response_type="ephemeral")
        # A census's progress message in the starter's DM, after "started" has been shown.
        await follow_answer(ctx.service, output.census_progress)
        ctx.wake_delivery()


async def _self_service(
    ctx: SlackContext,
    me: Address,
    name: str,
    args: list[str],
    actor: Staff | None,
    lang: Language,
    trigger: str,
) -> str | None:
    """A contact's own commands, help, and the answer to a command we do not know."""
    if name == "stop":
        return await ctx.onboarding.opt_out(me) or t("unknown_user", lang)
    if name == "start":
        back = await ctx.onboarding.come_back(me)
        ctx.wake_delivery()  # back during an open round: its invitation is in the outbox
        return back or t("unknown_user", lang)
    if name in TYPED_BUTTONS:
        # Exactly what the button under the current question does; the answer comes as a DM.
        event = ContactEvent(TYPED_BUTTONS[name], message_id=f"cmd:{trigger}", language=lang)
        await ctx.service.handle_event(me, event)
        ctx.wake_delivery()
        return None
    unknown = (
        [] if name in ("", "help") else [t("unknown_command", lang, command=f"/candor {name}")]
    )
    stranger = actor is None and await ctx.is_stranger(me.address)
    return "\n".join([*unknown, *help_lines(actor, lang, stranger=stranger)])


async def change_language(
    ctx: SlackContext, me: Address, args: list[str], lang: Language
) -> tuple[str, Language, bool]:
    """`/candor lang <ru|en>`, or the same typed as a message (typed_language): the reply,
    the language it is in (the one chosen, once it is set) and whether it was set."""
    wanted = args[0].lower() if args else ""
    if wanted not in ("ru", "en"):
        return t("language_choose", lang), lang, False
    if (done := await ctx.onboarding.set_language(me, Language(wanted))) is None:
        return t("unknown_user", lang), lang, False
    return done, Language(wanted), True


async def ask_again(ctx: SlackContext, me: Address) -> None:
    """After the reply to a language switch: the question the contact is on, in the new
    language (SurveyService.ask_again), as a DM."""
    await ctx.service.ask_again(me)
    ctx.wake_delivery()


def help_lines(actor: Staff | None, lang: Language, *, stranger: bool = False) -> list[str]:
    """Staff get their commands; a contact, the contact's help; a ``stranger`` (neither),
    as their messages are told: Candor does not know them, ask for an invite (none of a
    contact's commands is theirs). As Telegram's /help."""
    if actor is not None:
        return table.staff_help(actor, PLATFORM)
    return [t("unknown_user" if stranger else "client_help", lang)]
