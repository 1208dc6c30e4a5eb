"""`/candor <subcommand>`: staff commands, answered ephemerally, plus contact self-service."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import MAX_BLOCKS, escape, text_sections
from bot.slack.context import SlackContext, language_of, unescape, user_id_of
from surveys.model import Address, Channel, Language, Staff, StaffRole
from surveys.staff import (
    ADMINS,
    READERS,
    WRITERS,
    AccountOptions,
    Output,
    StaffCommands,
    StaffError,
    say,
    split_period,
)
from surveys.texts import failure_reason, t

USAGE = {
    "accounts": "/candor accounts",
    "account_add": '/candor account_add "<name>" [tier] [en|ru] [time zone]',
    "owner": "/candor owner <account> <staff id, name or @user>",
    "tier": "/candor tier <account> <tier>",
    "invite": '/candor invite <account> <e-mail or @user> ["<name>"] [stakeholder|user] [en|ru]',
    "contacts": "/candor contacts <account>",
    "schedule": (
        "/candor schedule <account> sprint <weeks> <YYYY-MM-DD> | quarterly | half-yearly"
        " | cron <m h dom mon dow> | manual | off"
    ),
    "round": "/candor round <account> | due",
    "status": "/candor status <account>",
    "alerts": "/candor alerts",
    "report": "/candor report <account>|all [2026 | 2026-11 | 2026-Q3 | 2026-H1]",
    "staff": "/candor staff",
    "staff_add": "/candor staff_add <admin|manager|owner> <@user> <name>",
    "staff_link": "/candor staff_link <staff id or name> <@user | telegram:<id>>",
}
SELF_SERVICE = {"stop", "start", "lang", "help"}


class Usage(Exception):
    pass


def _need(args: list[str], n: int) -> None:
    if len(args) < n:
        raise Usage


async def _slack_user(
    client: AsyncWebClient, ref: str, lang: Language
) -> tuple[str, str, str | None]:
    """(user id, display name, e-mail) for an e-mail address or a mention; Usage if neither."""
    try:
        # A plain address, or the <mailto:a@b|a@b> link Slack makes of one when escaping.
        if "@" in ref and not ref.startswith("<@"):
            found = await client.users_lookupByEmail(
                email=ref.strip("<>").removeprefix("mailto:").split("|")[0]
            )
        elif user_id := user_id_of(ref):
            found = await client.users_info(user=user_id)
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
    return str(user["id"]), str(name), profile.get("email")


async def run_staff(
    commands: StaffCommands, actor: Staff, name: str, args: list[str], client: AsyncWebClient
) -> Output:
    if name == "accounts":
        return await commands.list_accounts(actor)
    if name == "account_add":
        _need(args, 1)
        lang = (
            Language(args[2].lower()) if len(args) > 2 and args[2].lower() in ("en", "ru") else None
        )
        if len(args) > 2 and lang is None:
            raise StaffError(say("bad_lang", actor.language))
        return await commands.add_account(
            actor, args[0], AccountOptions(args[1] if len(args) > 1 else "standard", lang,
                                           args[3] if len(args) > 3 else None),
        )  # fmt: skip
    if name == "owner":
        _need(args, 2)
        ref = user_id_of(args[1]) or " ".join(args[1:])
        return await commands.set_owner(actor, args[0], ref)
    if name == "tier":
        _need(args, 2)
        return await commands.set_tier(actor, args[0], " ".join(args[1:]))
    if name == "invite":
        _need(args, 2)
        commands.require(actor, WRITERS, actor.language)
        user_id, found_name, email = await _slack_user(client, args[1], actor.language)
        rest = args[2:]
        contact_name = (
            rest.pop(0) if rest and rest[0].lower() not in ("stakeholder", "user") else found_name
        )
        level = rest[0] if rest else "stakeholder"
        language = rest[1] if len(rest) > 1 else None
        return await commands.add_contact(
            actor, args[0], contact_name, Address(Channel.SLACK, user_id), level, language, email
        )
    if name == "contacts":
        _need(args, 1)
        return await commands.list_contacts(actor, " ".join(args))
    if name == "schedule":
        _need(args, 2)
        return await commands.set_schedule(actor, args[0], args[1:])
    if name == "round":
        _need(args, 1)
        return await commands.start_round(actor, " ".join(args))
    if name == "status":
        _need(args, 1)
        return await commands.status(actor, " ".join(args))
    if name == "alerts":
        return await commands.open_alerts(actor)
    if name == "report":
        _need(args, 1)
        return await commands.report(actor, *split_period(args))
    if name == "staff":
        return await commands.list_staff(actor)
    if name == "staff_add":
        _need(args, 3)
        user_id = user_id_of(args[1])
        if user_id is None:
            raise Usage
        return await commands.add_staff(
            actor, args[0], " ".join(args[2:]), Address(Channel.SLACK, user_id), None
        )
    if name == "staff_link":
        _need(args, 2)
        target = args[1]
        if target.lower().startswith("telegram:") and target[9:].isdigit():
            address = Address(Channel.TELEGRAM, target[9:])
        elif user_id := user_id_of(target):
            address = Address(Channel.SLACK, user_id)
        else:
            raise Usage
        return await commands.link_staff(actor, args[0], address)
    raise Usage


ROLES: dict[str, frozenset[StaffRole]] = {
    "accounts": READERS, "account_add": WRITERS, "owner": WRITERS, "tier": WRITERS,
    "invite": WRITERS, "contacts": READERS, "schedule": WRITERS, "round": WRITERS,
    "status": READERS, "alerts": READERS, "report": READERS, "staff": WRITERS,
    "staff_add": ADMINS, "staff_link": ADMINS,
}  # fmt: skip
assert set(ROLES) == set(USAGE)


def output_blocks(output: Output) -> tuple[str, list[dict[str, Any]]]:
    blocks: list[dict[str, Any]] = []
    if output.lines:
        blocks += text_sections("\n".join(output.lines))
    if output.table:
        blocks += text_sections(output.table, code=True)
    fallback = "\n".join(output.lines) or (output.table or "")
    return escape(fallback)[:3000] or " ", blocks[:MAX_BLOCKS]


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.command("/candor")
    async def on_candor(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        user = str(command.get("user_id"))
        me = ctx.address(user)
        actor = await ctx.commands.actor(me)
        default = language_of(None, ctx.default_language)
        lang = actor.language if actor else default
        try:
            # Slack escapes the person's &, < and > (should_escape); names are stored as typed.
            words = [unescape(w) for w in shlex.split(str(command.get("text") or ""))]
        except ValueError:
            words = []
        name = words[0].lower() if words else "help"
        args = words[1:]
        if name in SELF_SERVICE:
            text = await _self_service(ctx, me, name, args, actor, lang)
            await respond(text=text, response_type="ephemeral")
            return
        if name not in ROLES:
            name = "help"
            text = await _self_service(ctx, me, name, args, actor, lang)
            await respond(text=text, response_type="ephemeral")
            return
        try:
            actor = StaffCommands.require(actor, ROLES[name], lang)
            output = await run_staff(ctx.commands, actor, name, args, client)
        except StaffError as exc:
            output = Output([str(exc)])
        except (Usage, ValueError):
            output = Output([USAGE[name]])
        text, blocks = output_blocks(output)
        await respond(text=text, blocks=blocks, response_type="ephemeral")
        ctx.wake_delivery()


async def _self_service(
    ctx: SlackContext, me: Address, name: str, args: list[str], actor: Staff | None, lang: Language
) -> str:
    if name == "stop":
        return await ctx.onboarding.opt_out(me) or t("unknown_user", lang)
    if name == "start":
        return await ctx.onboarding.come_back(me) or t("unknown_user", lang)
    if name == "lang":
        wanted = args[0].lower() if args else ""
        if wanted not in ("ru", "en"):
            return t("language_choose", lang).replace("/lang", "/candor lang")
        return await ctx.onboarding.set_language(me, Language(wanted)) or t("unknown_user", lang)
    help_text = t("client_help", lang).replace("/", "/candor ")
    if actor is not None:
        help_text += "\n\n" + "\n".join(USAGE.values())
    return help_text
