"""Telegram deep links: the one form every adapter and the CLI print for a start token."""

from __future__ import annotations


def start_link(bot_username: str, token: str) -> str:
    """``t.me`` link that opens the bot and sends ``/start <token>`` (census and invite links)."""
    return f"https://t.me/{bot_username}?start={token}"
