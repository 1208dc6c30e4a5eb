"""Finding workspace members by e-mail for the census's bulk binding (users.lookupByEmail),
paced within the method's rate tier and retrying Slack's 429s with its Retry-After."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.limiter import SlackLimiter

GONE = {"users_not_found", "user_not_found", "account_inactive"}


class SlackDirectory:
    def __init__(self, client: AsyncWebClient, limiter: SlackLimiter | None = None) -> None:
        self.client = client
        self.limiter = limiter or SlackLimiter()
        if not any(isinstance(h, AsyncRateLimitErrorRetryHandler) for h in client.retry_handlers):
            client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))

    async def user_by_email(self, email: str) -> str | None:
        """The member's user id, or None when no active human member has this e-mail."""
        try:
            async with self.limiter.slot("users.lookupByEmail"):
                found = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") in GONE:
                return None
            raise
        user = found["user"]
        if user.get("deleted") or user.get("is_bot"):
            return None
        return str(user["id"])
