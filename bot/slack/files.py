"""Files a person shares in the bot's DM, fetched with the bot token (scope files:read).

Slack serves a file's bytes at its ``url_private_download`` only with the bot token in the
Authorization header; without it the answer is a sign-in page, not the file. The token is
sent only to Slack's own file host (or the Web API's host, which is where a local test
server lives), never to a URL that merely arrived in an event.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.limiter import SlackLimiter
from surveys.census_staff import FetchFailed, Upload
from surveys.contact_import import ImportError_

FILE_HOST = "files.slack.com"
CHUNK = 64 * 1024


class SlackFiles:
    def __init__(self, client: AsyncWebClient, limiter: SlackLimiter) -> None:
        self.client = client
        self.limiter = limiter

    def upload(self, file: dict[str, Any], limit: int) -> Upload:
        """A shared file (an event's ``files[]`` item or files.info's ``file``) as an
        Upload the import use case fetches only if it wants it."""
        url = str(file.get("url_private_download") or file.get("url_private") or "")
        size = file.get("size")

        async def fetch(path: Path) -> None:
            await self.download(url, path, limit)

        return Upload(size if isinstance(size, int) else None, fetch, limit, str(file["id"]))

    async def info(self, file_id: str) -> dict[str, Any]:
        """files.info's description of a file (a button carries only its id)."""
        try:
            async with self.limiter.slot("files.info"):
                response = await self.client.files_info(file=file_id)
        except SlackApiError as exc:
            raise FetchFailed(str(exc.response.get("error") or exc)) from exc
        file: dict[str, Any] = response["file"]
        return file

    def _trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        api_host = urlsplit(self.client.base_url).netloc
        if parts.scheme == "https" and parts.hostname == FILE_HOST:
            return True
        return bool(parts.netloc) and parts.netloc == api_host

    async def download(self, url: str, path: Path, limit: int) -> None:
        """The file's bytes into ``path``; at most ``limit`` of them, whatever was declared."""
        if not self._trusted(url):
            raise FetchFailed(f"not a Slack file URL: {url!r}")
        headers = {"Authorization": f"Bearer {self.client.token}"}
        timeout = aiohttp.ClientTimeout(total=120)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, headers=headers, allow_redirects=False) as response,
            ):
                # A redirect or an HTML page is Slack's sign-in page: the token was refused.
                if response.status != 200 or response.content_type == "text/html":
                    raise FetchFailed(f"Slack answered {response.status} {response.content_type}")
                written = 0
                with path.open("wb") as out:
                    async for chunk in response.content.iter_chunked(CHUNK):
                        written += len(chunk)
                        if written > limit:
                            raise ImportError_(
                                "import_too_big", size=f"> {limit / 1e6:.0f}",
                                limit=f"{limit / 1e6:.0f}",
                            )  # fmt: skip
                        out.write(chunk)
        except aiohttp.ClientError as exc:
            raise FetchFailed(repr(exc)) from exc
