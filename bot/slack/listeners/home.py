"""The App Home tab: staff see open alerts and current rounds; everyone else, a welcome."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import escape, mrkdwn, slack_commands
from bot.slack.context import SlackContext
from surveys.alert_desk import still_negative
from surveys.alerts import question_as_asked
from surveys.health import accounts_health, health_lines
from surveys.in_progress import rounds_in_progress
from surveys.model import AlertStatus, Language, Round, Staff
from surveys.periods import distinct_round_title
from surveys.ports import RoundTally
from surveys.reporting.labels import L
from surveys.staff import may_see
from surveys.texts import partly_note, responded_figure, t

MAX_ITEMS = 20  # per section; the view holds at most 100 blocks
_HEAD = {
    Language.EN: (
        "Candor",
        "Open alerts: {n}",
        "No open alerts.",
        "Rounds in progress",
        "No rounds in progress.",
    ),
    Language.RU: (
        "Candor",
        "Открытые алерты: {n}",
        "Открытых алертов нет.",
        "Идут опросы",
        "Опросов сейчас нет.",
    ),
}
_MORE = {
    Language.EN: "…and {n} more, older: `/candor alerts` lists them all.",
    Language.RU: "…и ещё {n}, более старые: `/candor alerts` покажет все.",
}
_MORE_ROUNDS = {Language.EN: "…and {n} more.", Language.RU: "…и ещё {n}."}
_MORE_HEALTH = {
    Language.EN: "…and {n} more: `/candor health` lists them all.",
    Language.RU: "…и ещё {n}: `/candor health` покажет все.",
}
_HEALTH = {Language.EN: "Account health, riskiest first", Language.RU: "Здоровье аккаунтов"}
_CLEARED = {Language.EN: "no longer negative", Language.RU: "больше не негативный"}


async def home_blocks(
    ctx: SlackContext, actor: Staff | None, lang: Language, *, stranger: bool = False
) -> list[dict[str, Any]]:
    """``stranger``: neither staff nor a contact, so told (as their messages are) to ask for
    an invite rather than shown a contact's commands."""
    title, alerts_head, no_alerts, rounds_head, no_rounds = _HEAD[lang]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}}
    ]
    if actor is None:
        text = t("unknown_user", lang) if stranger else slack_commands(t("client_help", lang))
        return [*blocks, {"type": "section", "text": mrkdwn(escape(text))}]
    service = ctx.service
    async with service.uow() as uow:
        visible = {a.id: a for a in await uow.accounts.list() if may_see(actor, a)}
        # Newest first: the alert that came in a minute ago matters most.
        open_alerts = [
            a for a in reversed(await uow.alerts.list())
            if a.status is not AlertStatus.RESOLVED and a.account_id in visible
        ]  # fmt: skip
        alert_lines = []
        for alert in open_alerts[:MAX_ITEMS]:
            d = await service.alert_details(uow, alert)
            answer = " ".join(d.answer.text.split())
            answer = answer if len(answer) <= 150 else answer[:149] + "…"
            question = question_as_asked(d.answer.question_key, lang, d.account, 50)
            # In the reader's language, as `/candor alerts` names it.
            state = (
                L(f"alert.{alert.status.value}", lang) if still_negative(alert) else _CLEARED[lang]
            )
            alert_lines.append(
                f"*#{alert.id}* [{state}] {escape(d.account.name)} · "
                f"{escape(d.contact.name)} · {escape(question)}: {escape(answer)}"
            )
        if len(open_alerts) > MAX_ITEMS:
            alert_lines.append(_MORE[lang].format(n=len(open_alerts) - MAX_ITEMS))
        # The same rounds as the weekly digest's "Rounds in progress", every account's.
        running = await rounds_in_progress(uow, list(visible.values()))
        # Who was invited and who answered, counted in SQL: a round's summary would read
        # every conversation, answer and contact of each round shown (a census: thousands).
        tallies = await uow.reports.round_tallies([r.id for _, r in running[:MAX_ITEMS]])
        # Their accounts' other rounds: two of one month are told apart by their day.
        siblings: defaultdict[int, list[Round]] = defaultdict(list)
        for r in await uow.reports.rounds(list({a.id for a, _ in running[:MAX_ITEMS]})):
            siblings[r.account_id].append(r)
    head = alerts_head.format(n=len(open_alerts)) if open_alerts else alerts_head.split(":")[0]
    blocks.append({"type": "section", "text": mrkdwn(f"*{head}*")})
    blocks += [{"type": "section", "text": mrkdwn(line)} for line in alert_lines] or [
        {"type": "context", "elements": [mrkdwn(no_alerts)]}
    ]
    blocks.append({"type": "divider"})
    blocks.append({"type": "section", "text": mrkdwn(f"*{rounds_head}*")})
    round_lines = []
    for account, round_ in running[:MAX_ITEMS]:
        tally = tallies.get(round_.id) or RoundTally()
        title = distinct_round_title(round_, siblings[account.id], lang, account.timezone)
        round_lines.append(
            f"{escape(account.name)} — {escape(title)}: "
            f"{responded_figure(tally.responded, tally.invited, lang)}"
            f"{partly_note(tally.partly, lang)}"
        )
    if len(running) > MAX_ITEMS:
        round_lines.append(_MORE_ROUNDS[lang].format(n=len(running) - MAX_ITEMS))
    blocks += [{"type": "section", "text": mrkdwn(line)} for line in round_lines] or [
        {"type": "context", "elements": [mrkdwn(no_rounds)]}
    ]
    # The same as `/candor health`: every visible account, riskiest first. All are weighed
    # (a few grouped queries, not several per account), so the riskiest are shown wherever
    # they sit in the list; the rest are counted.
    async with service.uow() as uow:
        healths = await accounts_health(uow, list(visible.values()))
    if healths:
        healths.sort(key=lambda h: h.risk, reverse=True)
        blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": mrkdwn(f"*{_HEALTH[lang]}*")})
        blocks += [
            {"type": "section", "text": mrkdwn(escape("\n".join(health_lines(h, actor))))}
            for h in healths[:MAX_ITEMS]
        ]
        if len(healths) > MAX_ITEMS:
            more = _MORE_HEALTH[lang].format(n=len(healths) - MAX_ITEMS)
            blocks.append({"type": "section", "text": mrkdwn(more)})
    return blocks


def register(app: AsyncApp, ctx: SlackContext) -> None:
    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event["user"])
        actor = await ctx.commands.actor(ctx.address(user))
        lang = await ctx.language_for(user, actor)
        stranger = actor is None and await ctx.is_stranger(user)
        blocks = await home_blocks(ctx, actor, lang, stranger=stranger)
        async with ctx.messenger.limiter.slot("views.publish"):
            await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})
