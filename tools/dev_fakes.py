"""The tests' fake Telegram Bot API and Slack Web API, standalone, for trying `candor run` by hand.

    .venv/bin/python -m tools.dev_fakes            # prints the environment for `candor run`

starts both fakes on fixed local ports and a small control server through which a person
(or a script, with curl) plays the clients and the staff:

    POST /telegram/<builder>   {"args": [...], "kwargs": {...}}
         builder: text_message, edited_message, sticker_message, photo_message, voice_message,
         document_message, location_message, callback_query — the fake's update builders;
         the update is queued for getUpdates and the call returns once the bot confirmed it
         ("kwargs.reply_to": the id of the bot's message this one replies to).
    GET  /telegram/sent/<chat id>                    the bot's messages in that chat (after edits)
    GET  /telegram/menu/<chat id>?lang=ru            the command menu that person sees there
         (scopes resolved as Telegram does, for a user whose app speaks ``lang``)
    GET  /telegram/calls/<method>                    the bot's calls of that method, e.g. what
         answerCallbackQuery showed on a button press (params, status, response)
    POST /slack/<builder>      {"args": [...], "kwargs": {...}}
         builder: message_event, message_changed_event, message_deleted_event,
         tombstone_event (a deleted message that had thread replies), file_share_event,
         slash_command, block_action, app_home_opened_event — signed and posted to Candor's
         Slack endpoint
         (slash_command and block_action get a response_url on the fake, id = "kwargs.rid").
    POST /slack/add_user       {"args": [user id, e-mail, name], "kwargs": {...}}
    GET  /slack/dm/<user id>   the bot's messages in that user's DM
    GET  /slack/responses/<id> what the app posted to response_url <id>
    GET  /slack/home/<user id> the App Home view last published for that user (null if none)
    GET  /violations           requests that broke the official API descriptions

Local only (127.0.0.1); nothing here talks to the real platforms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import slack_api
from tests.fakes.slack_api import FakeSlackAPI, sign_request
from tests.fakes.telegram_api import FakeTelegramAPI

SIGNING_SECRET = "dev-signing-secret"
_TELEGRAM_BUILDERS = {
    "text_message",
    "edited_message",
    "sticker_message",
    "photo_message",
    "voice_message",
    "document_message",
    "location_message",
    "callback_query",
}
_SLACK_BUILDERS = {
    "message_event",
    "message_changed_event",
    "message_deleted_event",
    "tombstone_event",
    "file_share_event",
    "slash_command",
    "block_action",
    "app_home_opened_event",
}


class Control:
    def __init__(self, tg: FakeTelegramAPI, slack: FakeSlackAPI, slack_app_url: str) -> None:
        self.tg = tg
        self.slack = slack
        self.slack_app_url = slack_app_url

    async def telegram(self, request: web.Request) -> web.Response:
        builder = request.match_info["builder"]
        if builder not in _TELEGRAM_BUILDERS:
            raise web.HTTPNotFound(text=f"unknown builder {builder}")
        body = await request.json()
        kwargs = dict(body.get("kwargs", {}))
        reply_to = kwargs.pop("reply_to", None)  # the bot's message id this one replies to
        update = getattr(self.tg, builder)(*body.get("args", []), **kwargs)
        if reply_to is not None and "message" in update:
            chat = update["message"]["chat"]["id"]
            [original] = [m for m in self.tg.sent_to(chat) if m["message_id"] == reply_to]
            keep = ("message_id", "chat", "date", "text", "from")
            update["message"]["reply_to_message"] = {k: v for k, v in original.items() if k in keep}
        update_id = self.tg.push_update(update)
        try:
            await self.tg.wait_confirmed(update_id, seconds=float(body.get("wait", 10)))
            confirmed = True
        except TimeoutError:  # Candor not running: the update waits for its next poll
            confirmed = False
        return web.json_response({"update_id": update_id, "confirmed": confirmed})

    async def telegram_sent(self, request: web.Request) -> web.Response:
        return web.json_response(self.tg.sent_to(int(request.match_info["chat"])))

    async def telegram_menu(self, request: web.Request) -> web.Response:
        chat = int(request.match_info["chat"])
        return web.json_response(self.tg.menu_seen(chat, request.query.get("lang")))

    async def telegram_calls(self, request: web.Request) -> web.Response:
        calls = self.tg.calls_to(request.match_info["method"])
        return web.json_response(
            [{"params": c.params, "status": c.status, "response": c.response} for c in calls]
        )

    async def slack_event(self, request: web.Request) -> web.Response:
        builder = request.match_info["builder"]
        body = await request.json()
        kwargs: dict[str, Any] = dict(body.get("kwargs", {}))
        if builder == "add_user":
            self.slack.add_user(*body.get("args", []), **kwargs)
            return web.json_response({"ok": True})
        if builder not in _SLACK_BUILDERS:
            raise web.HTTPNotFound(text=f"unknown builder {builder}")
        if builder in {"slash_command", "block_action"}:
            kwargs["response_url"] = self.slack.response_url(str(kwargs.pop("rid", "r")))
        if builder == "block_action" and "message" not in kwargs:
            # Slack puts the whole message pressed in the payload (its text, its blocks).
            args = body.get("args", [])
            pressed = [
                m for m in self.slack.messages_in(args[1]) if m["ts"] == kwargs.get("message_ts")
            ]
            if pressed:
                kwargs["message"] = pressed[0]
        data, content_type = getattr(slack_api, builder)(*body.get("args", []), **kwargs)
        headers = {"Content-Type": content_type, **sign_request(data, SIGNING_SECRET)}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.slack_app_url, data=data, headers=headers) as response,
        ):
            return web.json_response({"status": response.status, "body": await response.text()})

    async def slack_dm(self, request: web.Request) -> web.Response:
        user = request.match_info["user"]
        return web.json_response(self.slack.messages_in(self.slack.dm_channel_of(user)))

    async def slack_responses(self, request: web.Request) -> web.Response:
        return web.json_response(self.slack.responses_to(request.match_info["rid"]))

    async def slack_home(self, request: web.Request) -> web.Response:
        return web.json_response(self.slack.home_view_of(request.match_info["user"]))

    async def violations(self, request: web.Request) -> web.Response:
        return web.json_response({"telegram": self.tg.violations, "slack": self.slack.violations})


async def serve(args: argparse.Namespace) -> None:
    tg, slack = FakeTelegramAPI(), FakeSlackAPI()
    await tg.start(args.telegram_port)
    await slack.start(args.slack_port)
    try:
        tg.max_poll_wait = 25.0  # a real long poll, not a test's
        control = Control(tg, slack, args.slack_app_url)
        app = web.Application()
        app.router.add_post("/telegram/{builder}", control.telegram)
        app.router.add_get("/telegram/sent/{chat}", control.telegram_sent)
        app.router.add_get("/telegram/calls/{method}", control.telegram_calls)
        app.router.add_get("/telegram/menu/{chat}", control.telegram_menu)
        app.router.add_post("/slack/{builder}", control.slack_event)
        app.router.add_get("/slack/dm/{user}", control.slack_dm)
        app.router.add_get("/slack/responses/{rid}", control.slack_responses)
        app.router.add_get("/slack/home/{user}", control.slack_home)
        app.router.add_get("/violations", control.violations)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.control_port).start()
        env = {
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.base_url,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_API_URL": slack.api_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "CANDOR_SLACK_MODE": "http",
        }
        print("\n".join(f"{k}={v}" for k, v in env.items()), flush=True)
        print(f"# control: http://127.0.0.1:{args.control_port}", flush=True)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):  # `kill <pid>` ends it cleanly too
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            print(json.dumps({"violations": tg.violations + slack.violations}))
    finally:
        await slack.stop()
        await tg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--telegram-port", type=int, default=18081)
    parser.add_argument("--slack-port", type=int, default=18082)
    parser.add_argument("--control-port", type=int, default=18090)
    parser.add_argument("--slack-app-url", default="http://127.0.0.1:3000/slack/events")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
