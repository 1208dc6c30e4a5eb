"""Buttons: Skip/Later/Decline on questions, Acknowledge/Resolve on alerts."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import alert_blocks, disposition_actions, escape, mrkdwn, slack_commands
from bot.slack.context import SlackContext
from surveys import commands
from surveys.alert_card import Card, card_for
from surveys.conversation import ContactEvent, EventKind
from surveys.model import AlertStatus, Disposition, Staff
from surveys.resolution import disposition_name
from surveys.staff import StaffError
from surveys.texts import t

SURVEY = {
    "survey_skip": EventKind.SKIP,
    "survey_later": EventKind.LATER,
    "survey_decline": EventKind.DECLINE,
}
ALERT = {"alert_ack": AlertStatus.ACKNOWLEDGED}

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.action(re.compile(r"^survey_(skip|later|decline)$"))
    async def on_survey_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:  # fmt: skip
        await ack()
        user = body["user"]["id"]
        try:
            value = json.loads(action.get("value") or "{}")
            conversation, question = int(value["c"]), str(value["q"])
        except (ValueError, KeyError, TypeError):
            conversation, question = -1, ""
        current = await ctx.service.is_current_question(ctx.address(user), conversation, question)
        if not current:
            # An old button, or a value that was never ours: nothing changes. Someone who
            # opted out is reminded of that rather than told the button is old.
            kind = SURVEY[action["action_id"]]
            if opted_out := await ctx.service.opted_out_reply(ctx.address(user), kind):
                await respond(
                    text=escape(slack_commands(opted_out)), response_type="ephemeral",
                    replace_original=False,
                )  # fmt: skip
                return
            staff = await ctx.commands.actor(ctx.address(user))
            # Staff read the language they chose, or the one followed from their Slack's; a
            # contact, their survey's.
            lang = await ctx.presser_language(body["user"], staff)
            text = (
                t("button_not_for_staff", lang)
                if staff
                else await ctx.service.stale_button_reply(ctx.address(user), conversation, lang)
            )
            await respond(
                text=text,
                response_type="ephemeral",
                replace_original=False,
            )
            return
        event = ContactEvent(
            SURVEY[action["action_id"]],
            message_id=f"act:{action.get('action_ts')}",
            pressed_under=(conversation, question),
        )
        # A skipped or declined question loses its buttons through the outbox (chat.update),
        # like an answered or re-asked one.
        await ctx.service.handle_event(ctx.address(user), event)
        ctx.wake_delivery()

    @app.action(re.compile(r"^alert_(followup|resolve|d_[a-z_]+)$"))
    async def on_alert_words(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:  # fmt: skip
        """Ask the client / Resolve / how it ended: answered just to the presser; the words
        themselves come as a reply in the alert's thread (or by command). Resolve also draws
        the card again in the presser's language, as Acknowledge does."""
        await ack()
        actor = await _staff_presser(ctx, body, respond)
        if actor is None:
            return
        name = str(action["action_id"]).removeprefix("alert_")
        card = None
        try:
            alert_id = int(action.get("value") or "")
            followups = commands.follow_ups(ctx.commands)
            contact = await followups.contact_name(actor, alert_id)  # StaffError if not theirs
            if name == "followup":
                text = t("followup_prompt_slack", actor.language, id=alert_id, contact=contact)
                blocks = None
            elif name == "resolve":
                card = await card_for(ctx.service.uow, actor, alert_id)
                text = t("choose_disposition", actor.language)  # the buttons name them
                blocks = [
                    {"type": "section", "text": mrkdwn(escape(text))},
                    disposition_actions(alert_id, actor.language),
                ]
            else:
                disposition = Disposition(name.removeprefix("d_"))
                await commands.resolutions(ctx.commands).choose(actor, alert_id, disposition)
                # On Slack the note is written in the alert's thread: said so, not "reply".
                how = disposition_name(disposition, actor.language)
                text = t("resolve_note_please_slack", actor.language, id=alert_id, how=how)
                blocks = None
        except ValueError:
            text, blocks = t("button_forged", actor.language), None
        except StaffError as exc:
            text, blocks = str(exc), None
        await respond(
            text=escape(slack_commands(text)),
            blocks=blocks,
            response_type="ephemeral",
            replace_original=False,
        )
        if card is not None:
            await _redraw(client, body, card, actor, respond)

    @app.action("alert_ack")
    async def on_alert_button(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:  # fmt: skip
        await ack()
        actor = await _staff_presser(ctx, body, respond)
        if actor is None:
            return
        try:
            alert_id = int(action.get("value") or "")
            alert = await ctx.commands.set_alert(actor, alert_id, ALERT[action["action_id"]])
        except ValueError:
            await respond(
                text=t("button_forged", actor.language),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        except StaffError as exc:
            await respond(text=str(exc), response_type="ephemeral", replace_original=False)
            return
        await _redraw(
            client, body, await card_for(ctx.service.uow, actor, alert.id), actor, respond
        )


async def _redraw(
    client: AsyncWebClient, body: dict[str, Any], card: Card, actor: Staff, respond: AsyncRespond
) -> None:
    """The pressed alert card drawn again whole, in the presser's current language, with the
    buttons its state leaves: never some of it in the language they left."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    if not (channel and message.get("ts")):
        return
    alert = card.alert
    try:
        await client.chat_update(
            channel=channel,
            ts=message["ts"],
            text=message.get("text") or " ",
            blocks=alert_blocks(card.fields, actor.language, alert.status, card.line),
        )
    except SlackClientError as exc:
        # The card was deleted or its channel is gone: the state is already stored, so the
        # presser learns that, and bolt is not handed an error (it would answer Slack 500).
        # Only the error code is logged: the exception's text carries the request.
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
        reason = error or type(exc).__name__
        log.warning("Alert #%s card not updated (chat.update): %s", alert.id, reason)
        await respond(
            text=t("alert_card_not_updated", actor.language, id=alert.id),
            response_type="ephemeral",
            replace_original=False,
        )


async def _staff_presser(
    ctx: SlackContext, body: dict[str, Any], respond: AsyncRespond
) -> Staff | None:
    """Who pressed an alert button, if they are staff; anyone else is told, just to them,
    that alert buttons are for client service."""
    user = body["user"]
    actor = await ctx.commands.actor(ctx.address(user["id"]))
    if actor is None:
        # As for the census buttons: a contact reads their survey's language, anyone else
        # their Slack's (a payload seldom carries the locale, so Slack may be asked).
        lang = await ctx.presser_language(user, None)
        await respond(
            text=t("alert_button_staff_only", lang),
            response_type="ephemeral",
            replace_original=False,
        )
    return actor
