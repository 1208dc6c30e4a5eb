"""Census buttons: Import under a contact-file preview; pause / resume / cancel under the
starter's census progress message (acting on the census run it shows)."""

from __future__ import annotations

import json
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.context import SlackContext
from bot.slack.listeners.commands import PLATFORM
from bot.slack.listeners.messages import reply
from surveys import commands
from surveys.census_staff import FetchFailed, Upload, census_button, census_run_button
from surveys.staff import WRITERS, Output, StaffError
from surveys.texts import t


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.action(re.compile(r"^census_(pause|resume|cancel)$"))
    async def on_census_control(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        await ack()
        me = ctx.address(body["user"]["id"])
        actor = await ctx.commands.actor(me)
        wanted = str(action["action_id"]).removeprefix("census_")
        value = str(action.get("value") or "")
        # Staff read their own language; anyone else pressing (a button forwarded to them)
        # is refused in theirs (SlackContext.presser_language).
        lang = await ctx.presser_language(body["user"], actor)
        try:
            if value.isdigit():  # a button sent before they named their run: the latest census
                await census_button(ctx.commands, actor, int(value), wanted, lang)
            else:
                await census_run_button(ctx.commands, actor, _run_id(value), wanted, lang)
        except (StaffError, ValueError) as exc:
            text = str(exc) if isinstance(exc, StaffError) else t("button_forged", lang)
            await reply(ctx, me, Output([text]), lang, f"census-button:{action.get('action_ts')}")
            return
        ctx.wake_delivery()  # the progress message is edited through the outbox

    @app.action("import_confirm")
    async def on_import_confirm(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        me = ctx.address(body["user"]["id"])
        actor = await ctx.commands.actor(me)
        lang = await ctx.presser_language(body["user"], actor)
        key = f"slack-import:act:{action.get('action_ts')}"
        try:
            value = json.loads(action.get("value") or "")
            account, file_id = str(value["a"]), str(value["f"])
        except (ValueError, KeyError, TypeError):
            await reply(ctx, me, Output([t("button_forged", lang)]), lang, key)
            return
        upload: Upload | None = None
        may_import = actor is not None and actor.role in WRITERS
        if may_import:  # files.info only for someone who may import
            try:
                upload = ctx.files.upload(await ctx.files.info(file_id), ctx.import_max_bytes)
            except FetchFailed:
                await reply(ctx, me, Output([t("import_fetch_failed", lang)]), lang, key)
                return
        output = await commands.run(
            ctx.commands,
            actor,
            lang,
            "import",
            [account, "confirm"],
            PLATFORM,
            upload=upload,
            button=True,
        )
        if may_import:
            await _drop_buttons(client, body)  # pressed once: the outcome follows in the DM
        await reply(ctx, me, output, lang, key)


def _run_id(value: str) -> int:
    """The census run a progress message's button names ({"r": id}); ValueError if none.

    Only a JSON integer: int() would also take true (1), 1.5 or "1" as some census's id,
    and raise OverflowError, not ValueError, on 1e999."""
    try:
        run = json.loads(value)["r"]
    except (KeyError, TypeError) as exc:
        raise ValueError(value) from exc
    if type(run) is not int:  # bool is an int subclass
        raise ValueError(value)
    return run


async def _drop_buttons(client: AsyncWebClient, body: dict[str, Any]) -> None:
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    if not channel or not message.get("ts"):
        return
    blocks = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
    await client.chat_update(
        channel=channel, ts=message["ts"], text=message.get("text") or " ", blocks=blocks
    )
