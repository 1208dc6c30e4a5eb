"""Delivers outbox messages with slack_sdk's AsyncWebClient, translating its errors."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import escape, render, render_update
from bot.slack.limiter import SlackLimiter
from surveys.model import Address, Channel, Document, OutgoingMessage
from surveys.ports import PermanentDeliveryError, TransientDeliveryError

FILE_LIMIT = 1024 * 1024 * 1024  # Slack takes files up to 1 GB
# The person cannot be reached at this address any more: only a manager can fix that.
RECIPIENT_GONE = frozenset(
    {
        "user_not_found",
        "account_inactive",
        "cannot_dm_bot",
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "user_disabled",
        "users_not_found",
        "user_not_visible",
    }
)
# Worth another try later: Slack's side, or our token being fixed.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
     "invalid_auth", "token_revoked", "not_authed"}
)  # fmt: skip


def classify(exc: SlackApiError) -> Exception:
    """A SlackApiError as the delivery worker's transient or permanent failure."""
    response = exc.response
    error = str(response.get("error") or "") if response is not None else ""
    status = getattr(response, "status_code", 200) if response is not None else 200
    if status == 429:
        headers = getattr(response, "headers", {}) or {}
        retry_after = headers.get("Retry-After") or headers.get("retry-after") or "1"
        return TransientDeliveryError(f"ratelimited (429): {error}", float(retry_after))
    if status >= 500 or error in TRANSIENT:
        return TransientDeliveryError(f"slack: {error or status}")
    return PermanentDeliveryError(
        f"slack: {error or status}", recipient_gone=error in RECIPIENT_GONE, code=error or None
    )


class SlackMessenger:
    channel = Channel.SLACK

    def __init__(self, client: AsyncWebClient, limiter: SlackLimiter | None = None) -> None:
        self.client = client
        self.limiter = limiter or SlackLimiter()
        self._dm_channels: dict[str, str] = {}  # user id -> DM channel id

    async def dm_channel(self, user_id: str) -> str:
        if user_id.startswith(("C", "D", "G")):
            return user_id  # already a conversation id
        if user_id not in self._dm_channels:
            async with self.limiter.slot("conversations.open"):
                response = await self.client.conversations_open(users=user_id)
            self._dm_channels[user_id] = str(response["channel"]["id"])
        return self._dm_channels[user_id]

    async def send(self, message: OutgoingMessage) -> str | None:
        if message.payload.get("target_id"):
            return await self._update(message)
        sent: str | None = None
        try:
            channel = await self.dm_channel(message.recipient.address)
            # In the thread of the alert it is about (a follow-up's reply, an escalation).
            target, _, thread = str(message.payload.get("reply_to") or "").partition(":")
            thread_ts = thread if thread and target == channel else None
            for text, blocks in render(message):
                async with self.limiter.slot("chat.postMessage", channel):
                    response = await self.client.chat_postMessage(
                        channel=channel, text=text, blocks=blocks, unfurl_links=False,
                        thread_ts=thread_ts,
                    )  # fmt: skip
                sent = f"{response['channel']}:{response['ts']}"
        except SlackApiError as exc:
            raise classify(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientDeliveryError(f"network: {exc!r}") from exc
        return sent

    async def send_file(self, recipient: Address, document: Document, caption: str) -> str | None:
        """Slack's upload flow (files.upload is retired): files.getUploadURLExternal, the
        bytes to the returned URL, then files.completeUploadExternal shares it in the DM."""
        size = len(document.data)
        if size > FILE_LIMIT:
            raise PermanentDeliveryError(
                f"{document.filename} is {size} bytes; Slack takes {FILE_LIMIT}",
                recipient_gone=False,
            )
        try:
            channel = await self.dm_channel(recipient.address)
            async with (
                self.limiter.slot("files.getUploadURLExternal"),
                self.limiter.slot("files.completeUploadExternal"),
            ):
                response = await self.client.files_upload_v2(
                    channel=channel,
                    content=document.data,
                    filename=document.filename,
                    title=document.filename,
                    initial_comment=escape(caption),  # names we did not write: no mentions
                )
        except SlackApiError as exc:
            raise classify(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientDeliveryError(f"network: {exc!r}") from exc
        files = response.get("files") or [{}]
        return str(files[0].get("id") or "") or None

    async def _update(self, message: OutgoingMessage) -> str:
        """chat.update on a message already delivered (its id is "channel:ts")."""
        target = str(message.payload["target_id"])
        channel, _, ts = target.partition(":")
        text, blocks = render_update(message)
        try:
            async with self.limiter.slot("chat.update", channel):
                await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            error = classify(exc)
            if isinstance(error, PermanentDeliveryError) and not error.recipient_gone:
                return target  # e.g. message_not_found, cant_update_message: nothing to change
            raise error from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientDeliveryError(f"network: {exc!r}") from exc
        return target
