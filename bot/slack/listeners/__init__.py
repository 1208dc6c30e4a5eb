"""Bolt listeners by kind — messages, actions, the slash command, App Home — each with
``register(app, ctx)``, as in Slack's bolt-python starter template."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.listeners import actions, census, commands, home, messages


def register(app: AsyncApp, ctx: SlackContext) -> None:
    for module in (messages, actions, census, commands, home):
        module.register(app, ctx)
