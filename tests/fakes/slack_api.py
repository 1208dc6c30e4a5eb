"""A local fake of the Slack Web API for hermetic end-to-end tests of the slack-bolt bot.

The real ``AsyncWebClient(token=..., base_url=fake.api_url)`` is pointed at it, so the whole
client stack runs unmocked. Every request is checked against Slack's OpenAPI description in
``shared/specs/slack/web_openapi_v2.json`` and against Block Kit's documented limits: a test
fails on a request real Slack would reject (or silently truncate), not merely on one a
hand-written mock dislikes.

Problems go to ``violations`` and are answered the way Slack answers them: HTTP 200 with
``{"ok": false, "error": ...}``. Errors that depend on server state rather than on the
request's shape (an unknown email, a message that is gone, a hash conflict) are answered like
Slack too but are not violations: a well-behaved bot meets them and must cope.

The module also speaks the other direction, Slack calling our app: signed Events API,
slash-command and interactivity payloads, the events checked against
``event_wrapper_schema.json`` so the builders cannot drift from what Slack sends. The same
payloads travel over Socket Mode too: ``apps.connections.open`` (app-level token only) hands
out a ``ws://`` URL on this server, and ``socket_send`` pushes envelopes down that websocket
and waits for the app's acknowledgement.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from aiohttp import WSCloseCode, WSMsgType, web

JsonDict = dict[str, Any]
Payload = tuple[bytes, str]  # (body, Content-Type) of a request Slack sends to our app

DEFAULT_BOT_TOKEN = "xoxb-test-token"
DEFAULT_APP_TOKEN = "xapp-test-token"  # app-level token, for Socket Mode
DEFAULT_TEAM_ID = "T0TEST"
DEFAULT_BOT_USER_ID = "UBOT"
DEFAULT_APP_ID = "A0TEST"
# The legacy verification token Slack still puts in every payload; Bolt ignores it.
DEFAULT_VERIFICATION_TOKEN = "verification-token"

MAX_TEXT = 40_000  # chat.* text: Slack truncates anything longer
MAX_MESSAGE_BLOCKS = 50
# Not documented, but reported (slackapi/bolt-js#2509): a message whose blocks carry more than
# about 13,200 characters of text in all is refused with msg_blocks_too_long, whatever each
# block holds. The fake refuses a little below what was observed.
MAX_BLOCKS_TEXT = 13_000
MAX_VIEW_BLOCKS = 100
_RESPONSE_URL_USES = 5  # a response_url takes at most five posts (within 30 minutes)


# --------------------------------------------------------------------------------------------
# The specs
# --------------------------------------------------------------------------------------------


def specs_dir() -> Path:
    """shared/specs beside the repo, or $CANDOR_SPECS_DIR."""
    specs = os.environ.get("CANDOR_SPECS_DIR")
    return Path(specs) if specs else Path(__file__).resolve().parents[2].parent / "shared" / "specs"


def web_spec_path() -> Path:
    return specs_dir() / "slack" / "web_openapi_v2.json"


def event_schema_path() -> Path:
    return specs_dir() / "slack" / "event_wrapper_schema.json"


@cache
def _read_json(path: Path) -> JsonDict:
    data: JsonDict = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Param:
    type: str  # the spec's: string, integer, number, boolean ("array" only in _LATER_METHODS)
    required: bool = False


# Methods Slack added after the 2021 spec snapshot, accepted only because they are listed
# here, with their arguments as documented at docs.slack.dev/reference/methods/<name>.
_LATER_METHODS: dict[str, dict[str, Param]] = {
    # files.upload's replacement, step 1 of files_upload_v2.
    "files.getUploadURLExternal": {
        "token": Param("string", required=True),
        "filename": Param("string", required=True),
        "length": Param("integer", required=True),
        "alt_txt": Param("string"),
        "snippet_type": Param("string"),
    },
    # Step 3 of files_upload_v2 (step 2 posts the bytes to the returned upload_url).
    "files.completeUploadExternal": {
        "token": Param("string", required=True),
        "files": Param("array", required=True),
        "channel_id": Param("string"),
        "channels": Param("string"),
        "thread_ts": Param("string"),
        "initial_comment": Param("string"),
        "blocks": Param("string"),
    },
    # Socket Mode: a WebSocket URL for the app. Takes only the app-level token (xapp-…,
    # connections:write), sent as Authorization: Bearer.
    "apps.connections.open": {
        "token": Param("string", required=True),
    },
}
# Methods that take the app-level token, and only it; every other method takes the bot token.
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
# Arguments documented today for methods the snapshot already has; same source. The SDK sends
# these whenever the caller sets them, so without them valid calls would look like violations.
_LATER_PARAMS: dict[str, dict[str, Param]] = {
    "chat.postMessage": {"metadata": Param("string"), "markdown_text": Param("string")},
    "chat.postEphemeral": {"markdown_text": Param("string")},
    "chat.update": {
        "metadata": Param("string"),
        "markdown_text": Param("string"),
        "file_ids": Param("string"),
        "reply_broadcast": Param("boolean"),
    },
}


@cache
def _methods_from(path: Path) -> dict[str, dict[str, Param]]:
    methods: dict[str, dict[str, Param]] = {}
    for route, operations in _read_json(path)["paths"].items():
        params: dict[str, Param] = {}
        # Slack takes every method by GET or POST with arguments in the query or the body,
        # whatever single verb and location the spec happens to list.
        for verb in ("get", "post"):
            for spec in operations.get(verb, {}).get("parameters", []):
                required = bool(spec.get("required", False))
                params[spec["name"]] = Param(spec.get("type", "string"), required)
        methods[route.removeprefix("/")] = params
    # The snapshot types a flag as boolean in one method and string in another (as_user,
    # link_names), and the SDK sends them as JSON booleans: read such flags as booleans.
    flags = {n for ps in methods.values() for n, p in ps.items() if p.type == "boolean"}
    for params in methods.values():
        for name, param in params.items():
            if name in flags and param.type == "string":
                params[name] = Param("boolean", param.required)
    for name, extra in _LATER_PARAMS.items():
        methods[name] = {**methods[name], **extra}
    for name, params in _LATER_METHODS.items():
        if name in methods:
            raise RuntimeError(f"{name} is in the spec now; drop it from _LATER_METHODS")
        methods[name] = dict(params)
    return methods


def web_methods() -> dict[str, dict[str, Param]]:
    """Every method the fake accepts, with its arguments."""
    return _methods_from(web_spec_path())


# --------------------------------------------------------------------------------------------
# Request checks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    error: str  # the Slack error code the request is answered with
    message: str


# Arguments carrying JSON: a string in forms and queries, a real array/object in JSON bodies.
_JSON_ARGUMENTS = frozenset({"blocks", "attachments", "view", "metadata", "files"})
_INTEGER = re.compile(r"-?\d+")
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _decode(name: str, param: Param, value: Any) -> tuple[Any, str | None]:
    """The argument as a Python value, and why Slack would refuse it (None if it would not)."""
    if name in _JSON_ARGUMENTS or param.type == "array":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value, "is not valid JSON"
        if param.type == "array" and not isinstance(value, list):
            return value, "must be a JSON array"
        if not isinstance(value, list | dict):
            return value, "must be a JSON array or object"
        return value, None
    if param.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value), None
    elif param.type == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str) and _is_number(value):
            return value, None  # kept verbatim: ts-like numbers lose digits as floats
    elif param.type == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str | int) and str(value).lower() in _BOOLEANS:
            return _BOOLEANS[str(value).lower()], None
    elif isinstance(value, str):
        return value, None
    return value, f"must be of type {param.type}, got {value!r}"


# Arguments every method takes. Bolt builds each request's client with team_id=<the payload's
# team>, and the SDK then adds team_id to every call; Slack accepts it anywhere (org-wide apps
# need it). The token is taken out before this check.
_ANY_METHOD: dict[str, Param] = {"team_id": Param("string")}


def _check_arguments(
    method: str, spec: Mapping[str, Param], raw: Mapping[str, Any]
) -> tuple[JsonDict, list[_Problem]]:
    decoded: JsonDict = {}
    problems: list[_Problem] = []
    for name, value in raw.items():
        param = spec.get(name) or _ANY_METHOD.get(name)
        if param is None:
            decoded[name] = value
            problems.append(_Problem("invalid_arguments", f"unknown argument {name!r}"))
            continue
        decoded[name], why = _decode(name, param, value)
        if why:
            problems.append(_Problem("invalid_arguments", f"argument {name!r} {why}"))
    for name, param in spec.items():
        # The token was checked (and removed) before: from the header, the query or the form.
        if param.required and name != "token" and decoded.get(name) in (None, ""):
            message = f"missing required argument {name!r}"
            problems.append(_Problem("invalid_arguments", message))
    return decoded, problems


# Block Kit, as far as Candor uses it: https://docs.slack.dev/reference/block-kit/blocks
BLOCK_TYPES = frozenset(
    {"section", "actions", "context", "header", "divider", "image", "input", "rich_text"}
)


def _at(path: str, message: str) -> str:
    return f"{message} [json-pointer:{path}]"  # the way Slack words invalid_blocks errors


def _too_long(obj: Mapping[str, Any], key: str, limit: int, path: str) -> list[str]:
    value = obj.get(key)
    if isinstance(value, str) and len(value) > limit:
        return [_at(f"{path}/{key}", f"must be less than {limit + 1} characters")]
    return []


def _text_object(obj: Any, path: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [_at(path, "must be a text object")]
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        return [_at(f"{path}/type", f"must be {' or '.join(allowed)}")]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [_at(f"{path}/text", "must be more than 0 characters")]
    return _too_long(obj, "text", limit, path)


def _element(element: Any, path: str) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [_at(path, "must be an element object with a type")]
    problems = _too_long(element, "action_id", 255, path)
    if element["type"] == "button":
        problems += _text_object(element.get("text"), f"{path}/text", 75, plain_only=True)
        problems += _too_long(element, "value", 2000, path)
        problems += _too_long(element, "url", 3000, path)
        if element.get("style", "primary") not in ("primary", "danger"):
            problems.append(_at(f"{path}/style", "must be primary or danger"))
    elif element["type"] == "image":
        if not element.get("image_url") and not element.get("slack_file"):
            problems.append(_at(path, "an image needs image_url or slack_file"))
        if not element.get("alt_text"):
            problems.append(_at(f"{path}/alt_text", "must be more than 0 characters"))
    return problems


def _elements(block: Mapping[str, Any], path: str, limit: int) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [_at(f"{path}/elements", "must be a non-empty array")]
    if len(elements) > limit:
        return [_at(f"{path}/elements", f"must contain at most {limit} items")]
    return []


def _block(block: Any, path: str) -> list[str]:
    if not isinstance(block, dict):
        return [_at(path, "a block must be an object")]
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        return [_at(f"{path}/type", f"unsupported block type {kind!r}")]
    problems = _too_long(block, "block_id", 255, path)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(_at(path, "a section needs text or fields"))
        if "text" in block:
            problems += _text_object(block["text"], f"{path}/text", 3000)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                problems.append(_at(f"{path}/fields", "must be an array of at most 10 items"))
            else:
                for i, item in enumerate(fields):
                    problems += _text_object(item, f"{path}/fields/{i}", 2000)
        if "accessory" in block:
            problems += _element(block["accessory"], f"{path}/accessory")
    elif kind == "actions":
        problems += _elements(block, path, 25)
        for i, item in enumerate(block.get("elements") or []):
            problems += _element(item, f"{path}/elements/{i}")
    elif kind == "context":
        problems += _elements(block, path, 10)
        for i, item in enumerate(block.get("elements") or []):
            where = f"{path}/elements/{i}"
            is_image = isinstance(item, dict) and item.get("type") == "image"
            problems += _element(item, where) if is_image else _text_object(item, where, 3000)
    elif kind == "header":
        problems += _text_object(block.get("text"), f"{path}/text", 150, plain_only=True)
    elif kind == "image":
        problems += _element(block, path)
        problems += _too_long(block, "alt_text", 2000, path)
    elif kind == "input":
        problems += _text_object(block.get("label"), f"{path}/label", 2000, plain_only=True)
        problems += _element(block.get("element"), f"{path}/element")
        if "hint" in block:
            problems += _text_object(block["hint"], f"{path}/hint", 2000, plain_only=True)
    elif kind == "rich_text" and not isinstance(block.get("elements"), list):
        problems.append(_at(f"{path}/elements", "must be an array"))
    return problems


def block_problems(blocks: Any, *, limit: int = MAX_MESSAGE_BLOCKS) -> list[str]:
    """Why Slack would answer invalid_blocks to these blocks (empty if it would not)."""
    if not isinstance(blocks, list):
        return [_at("/blocks", "must be an array")]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(_at("/blocks", f"no more than {limit} items allowed"))
    for i, block in enumerate(blocks):
        problems += _block(block, f"/blocks/{i}")
    return problems


def blocks_text(blocks: Any) -> int:
    """How many characters of text ``blocks`` carry in all (every "text" string in them)."""
    if isinstance(blocks, dict):
        own = blocks.get("text")
        return (len(own) if isinstance(own, str) else 0) + sum(
            blocks_text(v) for k, v in blocks.items() if k != "text" or isinstance(v, dict)
        )
    if isinstance(blocks, list):
        return sum(blocks_text(b) for b in blocks)
    return 0


_MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage"}
)
_VIEW_METHODS = frozenset({"views.publish", "views.open", "views.update", "views.push"})


def _message_problems(method: str, params: Mapping[str, Any]) -> list[_Problem]:
    problems: list[_Problem] = []
    text = params.get("text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        message = f"text has {len(text)} characters; Slack truncates after {MAX_TEXT}"
        problems.append(_Problem("msg_too_long", message))
    if "blocks" in params:
        found = block_problems(params["blocks"], limit=MAX_MESSAGE_BLOCKS)
        problems += [_Problem("invalid_blocks", p) for p in found]
        if (size := blocks_text(params["blocks"])) > MAX_BLOCKS_TEXT:
            message = f"blocks carry {size} characters of text; Slack refuses about 13,200"
            problems.append(_Problem("msg_blocks_too_long", message))
    if not any(params.get(k) for k in ("text", "blocks", "attachments", "markdown_text")):
        problems.append(_Problem("no_text", "needs text, blocks or attachments"))
    return problems


def _view_problems(method: str, params: Mapping[str, Any]) -> list[_Problem]:
    view = params.get("view")
    if not isinstance(view, dict):
        return [_Problem("invalid_arguments", "view must be a JSON object")]
    found: list[str] = []
    wanted = "home" if method == "views.publish" else "modal"
    if view.get("type") != wanted:
        found.append(_at("/view/type", f"needs a {wanted!r} view"))
    if "blocks" not in view:
        found.append(_at("/view/blocks", "is required"))
    else:
        found += block_problems(view["blocks"], limit=MAX_VIEW_BLOCKS)
    found += _too_long(view, "private_metadata", 3000, "/view")
    found += _too_long(view, "callback_id", 255, "/view")
    if wanted == "modal":
        found += _text_object(view.get("title"), "/view/title", 24, plain_only=True)
    return [_Problem("invalid_arguments", p) for p in found]


def _semantic_problems(method: str, params: Mapping[str, Any]) -> list[_Problem]:
    """Documented rules the parameter table cannot express."""
    if method in ("chat.update", "chat.delete") and _USER_ID.fullmatch(params.get("channel", "")):
        # The docs insist on the DM's D… ID here; a user ID only works for posting.
        message = f"needs the conversation ID, not the user ID {params['channel']!r}"
        return [_Problem("channel_not_found", message)]
    if method in _MESSAGE_METHODS:
        return _message_problems(method, params)
    if method in _VIEW_METHODS:
        return _view_problems(method, params)
    if method == "conversations.open" and not params.get("users") and not params.get("channel"):
        return [_Problem("users_list_not_supplied", "needs users or channel")]
    return []


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


@dataclass
class SlackCall:
    method: str
    params: JsonDict  # decoded, without the token: blocks/view as lists/dicts, ints, bools
    response: JsonDict
    status: int = 200
    http_verb: str = "POST"
    files: dict[str, bytes] = field(default_factory=dict)  # multipart file parts


@dataclass
class _Failure:
    method: str
    error: str
    status: int
    retry_after: int | None
    remaining: int
    channel: str | None


@dataclass
class _Incoming:
    params: JsonDict
    files: dict[str, bytes]
    token: str | None


class _BadRequest(Exception):
    def __init__(self, error: str, message: str) -> None:
        super().__init__(message)
        self.error = error


@dataclass
class _Envelope:
    """A Socket Mode envelope sent to the app, waiting for its acknowledgement."""

    accepts_response_payload: bool
    ack: asyncio.Future[JsonDict]


SOCKET_ENVELOPE_TYPES = frozenset({"events_api", "slash_commands", "interactive"})


class _SlackError(Exception):
    """An error that depends on server state: answered like Slack, but not a violation."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def manifest_bot_scopes(path: Path) -> frozenset[str]:
    """The bot scopes an app manifest (YAML) asks for: the items under oauth_config.scopes.bot."""
    scopes: set[str] = set()
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.split("#", 1)[0].strip()
        if stripped == "bot:":
            inside = True
        elif inside and stripped.startswith("- "):
            scopes.add(stripped[2:].strip())
        elif inside and stripped:
            break
    return frozenset(scopes)


def dm_channel_id(user_id: str) -> str:
    """The fake's ID of the bot's DM with a user."""
    return f"D{user_id}"


def _resolve(channel: str) -> str:
    # Posting to a user ID posts to the app's DM with that user, and Slack answers with the D….
    return dm_channel_id(channel) if _USER_ID.fullmatch(channel) else channel


async def _read_request(request: web.Request) -> _Incoming:
    # Slack merges query arguments with a form, multipart or JSON body.
    params: JsonDict = dict(request.query)
    files: dict[str, bytes] = {}
    content_type = request.content_type
    if content_type.startswith("multipart/"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
            else:
                params[key] = value
    elif body := await request.read():
        if content_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError as error:
                raise _BadRequest("invalid_json", f"body is not JSON: {error}") from error
            if not isinstance(data, dict):
                raise _BadRequest("invalid_json", "a JSON body must be an object")
            # Slack reads a JSON caller's token only from the Authorization header.
            data.pop("token", None)
            params.update(data)
        elif content_type == "application/x-www-form-urlencoded":
            try:
                form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError) as error:
                raise _BadRequest("invalid_form_data", f"unparsable form: {error}") from error
            params.update(form)
        else:
            raise _BadRequest("invalid_post_type", f"unsupported Content-Type {content_type!r}")
    header = request.headers.get("Authorization", "")
    bearer = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    form_token = params.pop("token", None)
    return _Incoming(params, files, bearer or form_token)


class FakeSlackAPI:
    """An aiohttp server speaking the Slack Web API to one bot, validating every request."""

    def __init__(
        self,
        bot_token: str = DEFAULT_BOT_TOKEN,
        team_id: str = DEFAULT_TEAM_ID,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        app_id: str = DEFAULT_APP_ID,
        app_token: str = DEFAULT_APP_TOKEN,
        scopes: frozenset[str] | None = None,
    ) -> None:
        self.bot_token = bot_token
        # The bot token's scopes (e.g. the manifest's); None grants every scope.
        self.scopes = scopes
        self.app_token = app_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.app_id = app_id
        self.bot_id = "B" + app_id.removeprefix("A")
        self.calls: list[SlackCall] = []
        self.violations: list[str] = []
        self.warnings: list[str] = []  # legal but discouraged, e.g. blocks without fallback text
        self.responses: list[JsonDict] = []  # bodies posted to response_url(...)
        self.uploads: dict[str, bytes] = {}  # file ID -> bytes posted to its upload_url
        self._declared_lengths: dict[str, int] = {}  # file ID -> getUploadURLExternal's length
        self._response_ids: list[str] = []
        self.socket_acks: list[JsonDict] = []  # what the app answered each envelope with
        self.socket_connections = 0  # websockets ever opened (a reconnect makes it 2)
        self._socket_ids: set[str] = set()  # issued by apps.connections.open
        self._sockets: list[web.WebSocketResponse] = []
        self._envelopes: dict[str, _Envelope] = {}  # envelope_id -> awaiting its ack
        self._methods = web_methods()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._activity = asyncio.Event()
        self._failures: list[_Failure] = []
        self._users: dict[str, JsonDict] = {}
        self._transcripts: dict[str, dict[str, JsonDict]] = {}  # channel -> ts -> message
        self._home_views: dict[str, JsonDict] = {}
        self._hosted: dict[str, tuple[JsonDict, bytes]] = {}  # file ID -> (file object, bytes)
        self.downloads: list[str] = []  # file IDs whose bytes the app fetched
        self._ids = itertools.count(1)
        self._handlers: dict[str, Callable[[JsonDict], JsonDict]] = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.delete": self._delete,
            "chat.postEphemeral": self._post_ephemeral,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._lookup_by_email,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "apps.connections.open": self._connections_open,
        }

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/response/{id}", self._handle_response_url)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_get("/socket-mode/{id}", self._handle_socket)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._handle_download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)  # 0: any free port
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        for envelope in self._envelopes.values():
            if not envelope.ack.done():
                envelope.ack.set_exception(ConnectionError("FakeSlackAPI stopped"))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("FakeSlackAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """What AsyncWebClient takes as base_url (the trailing slash matters to urljoin)."""
        return f"{self.base_url}/api/"

    def response_url(self, id: str) -> str:
        return f"{self.base_url}/response/{id}"

    # -- inspection -------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def messages_in(self, channel: str) -> list[JsonDict]:
        """The bot's messages in a conversation (a user ID means the DM), after edits."""
        return [copy.deepcopy(m) for m in self._transcripts.get(_resolve(channel), {}).values()]

    def dm_channel_of(self, user_id: str) -> str:
        return dm_channel_id(user_id)

    def home_view_of(self, user_id: str) -> JsonDict | None:
        view = self._home_views.get(user_id)
        return copy.deepcopy(view) if view is not None else None

    def responses_to(self, id: str) -> list[JsonDict]:
        return [
            body for rid, body in zip(self._response_ids, self.responses, strict=True) if rid == id
        ]

    def assert_no_violations(self) -> None:
        if self.violations:
            listed = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"{len(self.violations)} Slack API violation(s):\n{listed}")

    async def wait_for_call(
        self, method: str, *, count: int = 1, seconds: float = 5.0
    ) -> SlackCall:
        """The count-th call of a method, waiting for the bot to make it."""
        await self._wait_until(lambda: len(self.calls_to(method)) >= count, seconds)
        return self.calls_to(method)[count - 1]

    async def wait_for_response(self, *, count: int = 1, seconds: float = 5.0) -> JsonDict:
        """The count-th body posted to any response_url."""
        await self._wait_until(lambda: len(self.responses) >= count, seconds)
        return self.responses[count - 1]

    @property
    def socket_connected(self) -> bool:
        """Whether a Socket Mode client is connected (and was sent its hello)."""
        return any(not ws.closed for ws in self._sockets)

    async def wait_for_socket(self, seconds: float = 5.0, *, connected: bool = True) -> None:
        """Wait until a Socket Mode client is connected (connected=False: until none is)."""
        await self._wait_until(lambda: self.socket_connected == connected, seconds)

    async def _wait_until(self, ready: Callable[[], bool], seconds: float) -> None:
        async with asyncio.timeout(seconds):
            while not ready():
                await self._activity.wait()

    def _wake(self) -> None:
        self._activity.set()
        self._activity = asyncio.Event()

    # -- test setup -------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        email: str,
        name: str,
        *,
        deleted: bool = False,
        is_bot: bool = False,
        tz: str = "Europe/Moscow",
        locale: str = "en-US",
    ) -> JsonDict:
        """Register a workspace member for users.info / users.lookupByEmail / DMs."""
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
        user: JsonDict = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": name,
            "tz": tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "locale": locale,  # only returned when include_locale is set
            "profile": {
                "email": email,
                "real_name": name,
                "display_name": name,
                "team": self.team_id,
            },
        }
        self._users[user_id] = user
        return copy.deepcopy(user)

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` with an error (no violation).

        ``status=429`` answers exactly like Slack's rate limiter: ``ratelimited`` and a
        ``Retry-After`` header (1 second unless given). ``channel`` limits it to calls aimed
        at that conversation or user (their channel, channel_id, user, users or user_id).
        """
        if method not in self._methods:
            raise ValueError(f"{method!r} is not a method this fake accepts")
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429:
            error = error or "ratelimited"
            retry_after = 1 if retry_after is None else retry_after  # Slack always sends it
        failure = _Failure(method, error or "internal_error", status, retry_after, times, channel)
        self._failures.append(failure)

    def _take_failure(self, method: str, params: JsonDict) -> _Failure | None:
        for failure in self._failures:
            if failure.method != method:
                continue
            if failure.channel is not None and failure.channel not in self._targets(params):
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

    @staticmethod
    def _targets(params: JsonDict) -> set[str]:
        found: set[str] = set()
        for key in ("channel", "channel_id", "user", "user_id"):
            if isinstance(params.get(key), str):
                found |= {params[key], _resolve(params[key])}
        if isinstance(params.get("users"), str):
            found |= set(params["users"].split(","))
        return found

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            incoming = await _read_request(request)
        except _BadRequest as error:
            return self._reject(request, method, {}, [_Problem(error.error, str(error))])
        spec = self._methods.get(method)
        if spec is None:
            problem = _Problem("unknown_method", f"{method!r} is not a Slack Web API method")
            return self._reject(request, method, incoming.params, [problem])
        if incoming.token is None:
            message = "no token (send Authorization: Bearer; a JSON body's token is ignored)"
            return self._reject(request, method, incoming.params, [_Problem("not_authed", message)])
        app_level = method in _APP_TOKEN_METHODS
        if incoming.token != (self.app_token if app_level else self.bot_token):
            if incoming.token in (self.app_token, self.bot_token):
                wanted = "only the app-level" if app_level else "the bot token, not the app-level"
                problem = _Problem("not_allowed_token_type", f"this method takes {wanted} token")
            else:
                wanted = "app-level" if app_level else "bot"
                problem = _Problem("invalid_auth", f"the token is not the {wanted} token")
            return self._reject(request, method, incoming.params, [problem])
        params, problems = _check_arguments(method, spec, incoming.params)
        if not problems:
            problems = _semantic_problems(method, params)
        if problems:
            return self._reject(request, method, params, problems, incoming.files)
        if (
            method in _MESSAGE_METHODS
            and params.get("blocks")
            and not params.get("text")
            and not params.get("markdown_text")
        ):
            self.warnings.append(f"{method}: blocks without a top-level text fallback")
        failure = self._take_failure(method, params)
        if failure is not None:
            headers: dict[str, str] = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            body = {"ok": False, "error": failure.error}
            return self._answer(request, method, params, body, failure.status, headers)
        handler = self._handlers.get(method)
        try:
            body = handler(params) if handler else {"ok": True}
        except _SlackError as error:
            body = {"ok": False, "error": error.error}
        except Exception as error:  # a bug in this fake must fail the test, not pass as a 500
            self.violations.append(f"{method}: FakeSlackAPI crashed: {error!r}")
            return self._answer(request, method, params, {"ok": False, "error": "fatal_error"}, 500)
        return self._answer(request, method, params, body, files=incoming.files)

    def _reject(
        self,
        request: web.Request,
        method: str,
        params: JsonDict,
        problems: list[_Problem],
        files: dict[str, bytes] | None = None,
    ) -> web.Response:
        self.violations.extend(f"{method}: {p.message}" for p in problems)
        body: JsonDict = {
            "ok": False,
            "error": problems[0].error,
            "response_metadata": {"messages": [f"[ERROR] {p.message}" for p in problems]},
        }
        if problems[0].error == "invalid_blocks":
            body["errors"] = [p.message for p in problems if p.error == "invalid_blocks"]
        return self._answer(request, method, params, body, files=files)

    def _answer(
        self,
        request: web.Request,
        method: str,
        params: JsonDict,
        body: JsonDict,
        status: int = 200,
        headers: dict[str, str] | None = None,
        files: dict[str, bytes] | None = None,
    ) -> web.Response:
        call = SlackCall(method, params, body, status, request.method, files or {})
        self.calls.append(call)
        self._wake()
        return web.json_response(body, status=status, headers=headers)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        try:
            body = json.loads(await request.read())
        except ValueError:
            body = None
        problems: list[str] = []
        if not isinstance(body, dict):
            problems.append("the body must be a JSON object")
            body = {}
        elif not body.get("delete_original"):
            problems += [p.message for p in _message_problems("response_url", body)]
        if body.get("response_type", "ephemeral") not in ("ephemeral", "in_channel"):
            problems.append("response_type must be ephemeral or in_channel")
        if self._response_ids.count(rid) >= _RESPONSE_URL_USES:
            problems.append(f"used more than {_RESPONSE_URL_USES} times")
        self._response_ids.append(rid)
        self.responses.append(body)
        self._wake()
        if problems:
            self.violations.extend(f"response_url {rid}: {p}" for p in problems)
            return web.Response(status=400, text="invalid_payload")
        return web.Response(text="ok")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            self.violations.append(f"upload to {file_id}, which no getUploadURLExternal issued")
            return web.Response(status=404, text="not found", content_type="text/plain")
        self.uploads[file_id] = await request.read()
        self._wake()
        # files.slack.com answers in text/plain; the SDK branches on that content type.
        return web.Response(text=f"OK - {len(self.uploads[file_id])}", content_type="text/plain")

    def host_file(
        self, user: str, name: str, data: bytes, mimetype: str = "text/csv", *,
        size: int | None = None,
    ) -> JsonDict:  # fmt: skip
        """A file ``user`` shared, as Slack describes it in a file_share event and files.info;
        its url_private_download serves ``data`` to the bot token only. ``size`` overrides
        the declared size (to test a limit without sending megabytes)."""
        file_id = f"F{next(self._ids):08d}"
        base = f"{self.base_url}/files-pri/{self.team_id}-{file_id}"
        file: JsonDict = {
            "id": file_id,
            "created": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "user": user,
            "size": len(data) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "url_private": f"{base}/{name}",
            "url_private_download": f"{base}/download/{name}",
        }
        self._hosted[file_id] = (file, data)
        return copy.deepcopy(file)

    def _require_scope(self, scope: str, what: str) -> bool:
        if self.scopes is None or scope in self.scopes:
            return True
        self.violations.append(f"{what} needs the {scope} scope, which the bot token lacks")
        return False

    def _files_info(self, params: JsonDict) -> JsonDict:
        if not self._require_scope("files:read", "files.info"):
            raise _SlackError("missing_scope")
        hosted = self._hosted.get(str(params.get("file", "")))
        if hosted is None:
            raise _SlackError("file_not_found")
        return {"ok": True, "file": copy.deepcopy(hosted[0])}

    async def _handle_download(self, request: web.Request) -> web.Response:
        """url_private_download: files.slack.com wants the bot token in the Authorization
        header (files:read); without it Slack answers with its sign-in page, not the file."""
        file_id = request.match_info["team_file"].removeprefix(f"{self.team_id}-")
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {self.bot_token}" or not self._require_scope(
            "files:read", f"downloading {file_id}"
        ):
            self.violations.append(f"download of {file_id} without the bot token: {header!r}")
            return web.Response(text="<html>Sign in</html>", content_type="text/html")
        hosted = self._hosted.get(file_id)
        if hosted is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        self.downloads.append(file_id)
        self._wake()
        return web.Response(body=hosted[1], content_type=str(hosted[0]["mimetype"]))

    # -- Socket Mode ------------------------------------------------------------------------

    async def socket_send(
        self,
        type: str,
        payload: JsonDict,
        *,
        accepts_response_payload: bool = False,
        seconds: float = 5.0,
    ) -> JsonDict:
        """Send an envelope to the connected Socket Mode client; its ack, once it comes.

        ``type`` is events_api, slash_commands or interactive; ``payload`` what Slack would
        post over HTTP, as a JSON object (see ``socket_payload``). Slack sends slash commands
        with accepts_response_payload true, events and block actions with it false.
        """
        if type not in SOCKET_ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {type!r}")
        if type == "events_api":
            validate_event_payload(payload)
        ws = next((ws for ws in self._sockets if not ws.closed), None)
        if ws is None:
            raise RuntimeError("no Socket Mode client is connected")
        envelope_id = str(uuid.uuid4())
        envelope: JsonDict = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        waiting = _Envelope(accepts_response_payload, asyncio.get_running_loop().create_future())
        self._envelopes[envelope_id] = waiting
        try:
            await ws.send_json(envelope)
            async with asyncio.timeout(seconds):
                return await waiting.ack
        finally:
            # Unanswered in time, it is over: a late ack is a violation, as Slack has retried.
            self._envelopes.pop(envelope_id, None)

    def _connections_open(self, params: JsonDict) -> JsonDict:
        socket_id = uuid.uuid4().hex[:12]
        self._socket_ids.add(socket_id)
        return {"ok": True, "url": f"ws://127.0.0.1:{self._port}/socket-mode/{socket_id}"}

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        socket_id = request.match_info["id"]
        if socket_id not in self._socket_ids:
            message = f"socket mode: {socket_id} was not issued by apps.connections.open"
            self.violations.append(message)
            return web.Response(status=404, text="not found", content_type="text/plain")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        hello: JsonDict = {
            "type": "hello",
            "num_connections": len(self._sockets) + 1,
            "debug_info": {"host": "fake-applink", "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }
        await ws.send_json(hello)
        self.socket_connections += 1
        self._sockets.append(ws)
        self._wake()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_socket_text(message.data)
                else:
                    self.violations.append(f"socket mode: unexpected {message.type.name} frame")
        finally:
            self._sockets.remove(ws)
            self._wake()
        return ws

    def _on_socket_text(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            ack = None
        envelope_id = ack.get("envelope_id") if isinstance(ack, dict) else None
        waiting = self._envelopes.pop(envelope_id, None) if isinstance(envelope_id, str) else None
        if ack is None or waiting is None:
            self.violations.append(f"socket mode: not an ack of a pending envelope: {data[:200]!r}")
            return
        problems = [f"unknown key {key!r}" for key in ack if key not in ("envelope_id", "payload")]
        if "payload" in ack:
            if not waiting.accepts_response_payload:
                problems.append("a payload for an envelope that accepts none (Slack drops it)")
            elif not isinstance(ack["payload"], dict):
                problems.append("the payload must be a JSON object")
        self.violations.extend(f"socket mode ack {envelope_id}: {p}" for p in problems)
        self.socket_acks.append(ack)
        if not waiting.ack.done():
            waiting.ack.set_result(ack)
        self._wake()

    # -- method behaviour -------------------------------------------------------------------

    def _next_ts(self) -> str:
        # Slack stamps the bot's messages and people's from one clock, so a person's message
        # sits between the bot's messages it was written between (what answers which question).
        return _clock.ts()

    def _auth_test(self, params: JsonDict) -> JsonDict:
        return {
            "ok": True,
            "url": "https://candor-test.slack.com/",
            "team": "Candor Test",
            "user": "candor",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _conversations_open(self, params: JsonDict) -> JsonDict:
        if params.get("channel"):
            return {"ok": True, "channel": {"id": params["channel"]}}
        users = [u for u in params["users"].split(",") if u]
        for user_id in users:
            user = self._users.get(user_id)
            if user is not None and user["deleted"]:
                raise _SlackError("user_disabled")
            if user_id == self.bot_user_id or (user is not None and user["is_bot"]):
                raise _SlackError("cannot_dm_bot")
        if len(users) == 1:
            channel: JsonDict = {"id": dm_channel_id(users[0])}
            if params.get("return_im"):
                channel |= {"is_im": True, "user": users[0], "created": int(time.time())}
        else:
            channel = {"id": "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:9]}
        return {"ok": True, "channel": channel}

    def _message(self, params: JsonDict, ts: str) -> JsonDict:
        message: JsonDict = {
            "type": "message",
            "text": params.get("text", ""),
            "blocks": copy.deepcopy(params.get("blocks", [])),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "ts": ts,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        return message

    def _post_message(self, params: JsonDict) -> JsonDict:
        channel = _resolve(params["channel"])
        ts = self._next_ts()
        message = self._message(params, ts)
        self._transcripts.setdefault(channel, {})[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _find(self, params: JsonDict) -> tuple[dict[str, JsonDict], JsonDict]:
        messages = self._transcripts.get(params["channel"])
        if messages is None:
            raise _SlackError("channel_not_found")
        if params["ts"] not in messages:
            raise _SlackError("message_not_found")
        return messages, messages[params["ts"]]

    def _update(self, params: JsonDict) -> JsonDict:
        _, message = self._find(params)
        if "blocks" in params:
            message["blocks"] = copy.deepcopy(params["blocks"])
        elif "text" in params:
            message["blocks"] = []  # documented: new text without blocks drops the old blocks
        if "text" in params:
            message["text"] = params["text"]
            message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": params["channel"],
            "ts": params["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _delete(self, params: JsonDict) -> JsonDict:
        messages, _ = self._find(params)
        del messages[params["ts"]]
        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}

    def _post_ephemeral(self, params: JsonDict) -> JsonDict:
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_publish(self, params: JsonDict) -> JsonDict:
        user_id = params["user_id"]
        current = self._home_views.get(user_id)
        if params.get("hash") and (current is None or params["hash"] != current["hash"]):
            raise _SlackError("hash_conflict")
        view: JsonDict = {
            "id": f"V{next(self._ids):08d}",
            "team_id": self.team_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
            "state": {"values": {}},
            "private_metadata": "",
            "callback_id": "",
            **copy.deepcopy(params["view"]),
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
        }
        self._home_views[user_id] = view
        return {"ok": True, "view": copy.deepcopy(view)}

    def _user_object(self, user: JsonDict, *, with_locale: bool) -> JsonDict:
        shown = copy.deepcopy(user)
        if not with_locale:
            del shown["locale"]
        return shown

    def _users_info(self, params: JsonDict) -> JsonDict:
        user = self._users.get(params.get("user", ""))
        if user is None:
            raise _SlackError("user_not_found")
        with_locale = bool(params.get("include_locale"))
        return {"ok": True, "user": self._user_object(user, with_locale=with_locale)}

    def _lookup_by_email(self, params: JsonDict) -> JsonDict:
        email = params["email"].lower()
        for user in self._users.values():
            # Documented: a deactivated member is not found by email.
            if user["profile"]["email"].lower() == email and not user["deleted"]:
                return {"ok": True, "user": self._user_object(user, with_locale=False)}
        raise _SlackError("users_not_found")

    def _get_upload_url(self, params: JsonDict) -> JsonDict:
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = b""
        self._declared_lengths[file_id] = int(params["length"])
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: JsonDict) -> JsonDict:
        files: list[JsonDict] = []
        for item in params["files"]:
            if not isinstance(item, dict) or item.get("id") not in self.uploads:
                raise _SlackError("file_not_found")
            # `length` is documented as the file's size in bytes: a client declaring another
            # size is a bug, flagged here (Slack's exact error for it is not documented).
            declared, got = self._declared_lengths.get(item["id"]), len(self.uploads[item["id"]])
            if declared != got:
                self.violations.append(
                    f"files.completeUploadExternal: {item['id']} declared {declared} bytes, "
                    f"uploaded {got}"
                )
                raise _SlackError("invalid_arguments")
            files.append(
                {"id": item["id"], "title": item.get("title", ""), "user": self.bot_user_id}
            )
        channel_id = params.get("channel_id")
        channels = [channel_id] if channel_id else params.get("channels", "").split(",")
        for channel in filter(None, channels):  # no channel: the file stays private
            ts = self._next_ts()
            message = self._message({"text": params.get("initial_comment", "")}, ts)
            message["files"] = copy.deepcopy(files)
            self._transcripts.setdefault(_resolve(channel), {})[ts] = message
        return {"ok": True, "files": files}


# --------------------------------------------------------------------------------------------
# Slack -> our app: signatures and payloads
# --------------------------------------------------------------------------------------------


def sign_request(body: bytes, signing_secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack signs a request with (v0 HMAC-SHA256 of ``v0:{ts}:{body}``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = b"v0:" + str(ts).encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


# The JSON Schema keywords event_wrapper_schema.json uses; jsonschema is not in the venv, and an
# unknown keyword raises so a richer schema cannot be silently half-checked.
_SCHEMA_KEYWORDS = frozenset(
    {"$schema", "$ref", "title", "description", "examples", "x-examples", "type", "required",
     "properties", "additionalProperties", "items", "minItems", "uniqueItems"}
)  # fmt: skip
_SCHEMA_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


def schema_problems(value: Any, schema: JsonDict, root: JsonDict, path: str = "") -> list[str]:
    """Where ``value`` breaks a (draft-07 subset) JSON Schema; empty when it conforms."""
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_problems(value, target, root, path)
    if unknown := set(schema) - _SCHEMA_KEYWORDS:
        raise ValueError(f"unsupported JSON Schema keyword(s) {sorted(unknown)} at {path or '/'}")
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if types and not any(_SCHEMA_TYPES[t](value) for t in types):
        return [f"{path or '/'}: expected {' or '.join(types)}, got {type(value).__name__}"]
    problems: list[str] = []
    if isinstance(value, dict):
        problems += [f"{path}/{k}: required" for k in schema.get("required", []) if k not in value]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                problems += schema_problems(item, properties[key], root, f"{path}/{key}")
            elif extra is False:
                problems.append(f"{path}/{key}: not allowed")
            elif isinstance(extra, dict):
                problems += schema_problems(item, extra, root, f"{path}/{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{path or '/'}: fewer than {schema['minItems']} items")
        canonical = [json.dumps(item, sort_keys=True) for item in value]
        if schema.get("uniqueItems") and len(set(canonical)) != len(canonical):
            problems.append(f"{path or '/'}: items are not unique")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                problems += schema_problems(item, schema["items"], root, f"{path}/{i}")
    return problems


def validate_event_payload(payload: JsonDict) -> None:
    """Raise ValueError unless ``payload`` matches Slack's event wrapper schema."""
    schema = _read_json(event_schema_path())
    if problems := schema_problems(payload, schema, schema):
        raise ValueError("event payload breaks event_wrapper_schema.json: " + "; ".join(problems))


class _Clock:
    """Strictly increasing "seconds.micros" timestamps near now, as Slack's ts are unique."""

    def __init__(self) -> None:
        self._last = 0

    def ts(self) -> str:
        self._last = max(self._last + 1, time.time_ns() // 1000)
        return f"{self._last // 1_000_000}.{self._last % 1_000_000:06d}"


_clock = _Clock()


def _json_payload(payload: JsonDict) -> Payload:
    return json.dumps(payload).encode(), "application/json"


def event_callback(
    event: JsonDict,
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    event_id: str | None = None,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
) -> Payload:
    """An Events API delivery wrapping ``event`` (which needs type and event_ts)."""
    payload: JsonDict = {
        "token": DEFAULT_VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(float(event.get("event_ts", time.time()))),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "authed_users": [bot_user_id],  # deprecated by Slack, still required by the schema
        "is_ext_shared_channel": False,
    }
    validate_event_payload(payload)
    return _json_payload(payload)


def _rich_text(text: str) -> list[JsonDict]:
    # Slack attaches this rendering to every message a person types.
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": [section]}]


def message_event(
    user: str,
    channel: str,
    text: str,
    *,
    ts: str | None = None,
    channel_type: str = "im",
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    thread_ts: str | None = None,
) -> Payload:
    """A person's message (message.im by default); in a thread when ``thread_ts`` is given."""
    ts = ts or _clock.ts()
    event: JsonDict = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
        "channel_type": channel_type,
        "team": team_id,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": _rich_text(text),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_callback(event, team_id=team_id, api_app_id=api_app_id)


def message_changed_event(
    user: str,
    channel: str,
    new_text: str,
    original_ts: str,
    *,
    previous_text: str = "",
    channel_type: str = "im",
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
) -> Payload:
    """A person editing their message: subtype message_changed, the edit in ``message``."""
    ts = _clock.ts()
    event = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type,
        "ts": ts,
        "event_ts": ts,
        "message": {
            "type": "message",
            "user": user,
            "text": new_text,
            "ts": original_ts,
            "edited": {"user": user, "ts": ts},
            "blocks": _rich_text(new_text),
        },
        "previous_message": {
            "type": "message",
            "user": user,
            "text": previous_text,
            "ts": original_ts,
        },
    }
    return event_callback(event, team_id=team_id, api_app_id=api_app_id)


def message_deleted_event(
    user: str,
    channel: str,
    deleted_ts: str,
    *,
    previous_text: str = "",
    channel_type: str = "im",
    bot_id: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
) -> Payload:
    """A message deleted (subtype message_deleted): no ``user`` of its own; who wrote the
    message is in ``previous_message`` (with ``bot_id`` when a bot's was deleted)."""
    ts = _clock.ts()
    previous: JsonDict = {"type": "message", "user": user, "text": previous_text, "ts": deleted_ts}
    if bot_id is not None:
        previous["bot_id"] = bot_id
    event = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type,
        "ts": ts,
        "event_ts": ts,
        "deleted_ts": deleted_ts,
        "previous_message": previous,
    }
    return event_callback(event, team_id=team_id, api_app_id=api_app_id)


def tombstone_event(
    user: str,
    channel: str,
    original_ts: str,
    *,
    previous_text: str = "",
    channel_type: str = "im",
    again: bool = False,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
) -> Payload:
    """A message with thread replies deleted: Slack sends message_changed, the message now a
    tombstone written by Slackbot, and the person's words only in ``previous_message``.
    ``again``: the tombstone changed later (e.g. its reply count), tombstone before and after."""
    ts = _clock.ts()
    tombstone: JsonDict = {
        "type": "message",
        "subtype": "tombstone",
        "text": "This message was deleted.",
        "user": "USLACKBOT",
        "hidden": True,
        "ts": original_ts,
        "thread_ts": original_ts,
        "parent_user_id": "USLACKBOT",
        "reply_count": 1,
    }
    previous: JsonDict = {
        "type": "message",
        "user": user,
        "text": previous_text,
        "ts": original_ts,
        "thread_ts": original_ts,
        "reply_count": 1,
    }
    event = {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type,
        "ts": ts,
        "event_ts": ts,
        "message": tombstone,
        "previous_message": tombstone | {"reply_count": 2} if again else previous,
    }
    return event_callback(event, team_id=team_id, api_app_id=api_app_id)


def file_share_event(
    user: str,
    channel: str,
    *,
    text: str = "",
    file_name: str = "screenshot.png",
    mimetype: str = "image/png",
    channel_type: str = "im",
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    file: JsonDict | None = None,
) -> Payload:
    """A person sharing a file: a message with subtype file_share and a ``files`` list
    (``file``: one the fake hosts, from FakeSlackAPI.host_file)."""
    ts = _clock.ts()
    file_id = f"F{uuid.uuid4().hex[:10].upper()}"
    event = {
        "type": "message",
        "subtype": "file_share",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel": channel,
        "channel_type": channel_type,
        "upload": False,
        "display_as_bot": False,
        "files": [
            {
                "id": file_id,
                "name": file_name,
                "title": file_name,
                "mimetype": mimetype,
                "filetype": file_name.rsplit(".", 1)[-1],
                "user": user,
                "size": 1024,
                "mode": "hosted",
                "url_private": f"https://files.slack.com/files-pri/{team_id}-{file_id}/{file_name}",
            }
        ],
    }
    if file is not None:
        event["files"] = [file]
    return event_callback(event, team_id=team_id, api_app_id=api_app_id)


def app_home_opened_event(
    user: str,
    *,
    tab: str = "home",
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
) -> Payload:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": dm_channel_id(user),
        "tab": tab,
        "event_ts": _clock.ts(),
    }
    return event_callback(event, team_id=team_id, api_app_id=api_app_id)


def _trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def slash_command(
    command: str,
    text: str,
    user_id: str,
    channel_id: str,
    *,
    team_id: str = DEFAULT_TEAM_ID,
    response_url: str,
    api_app_id: str = DEFAULT_APP_ID,
    user_name: str = "user",
    channel_name: str = "directmessage",
) -> Payload:
    """A slash command invocation, form-encoded as Slack posts it."""
    form = {
        "token": DEFAULT_VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "candor-test",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": _trigger_id(),
    }
    return urlencode(form).encode(), "application/x-www-form-urlencoded"


def block_action(
    user_id: str,
    channel_id: str,
    action_id: str,
    value: str,
    *,
    message_ts: str,
    block_id: str | None = None,
    response_url: str | None = None,
    message: JsonDict | None = None,
    button_text: str = "Button",
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    locale: str | None = None,
) -> Payload:
    """A button click in a message: ``payload=`` JSON of type block_actions, form-encoded.

    Without ``response_url`` the payload has none (Bolt's ``respond`` then fails loudly rather
    than reaching the real Slack); ``message`` is the message clicked, if a test has it.
    ``locale`` puts the presser's locale in its user object: Slack's block_actions reference
    does not list it, so by default there is none, but some payloads carry one and the bot
    takes it when they do ("" too: a payload whose locale is empty says nothing).
    """
    block_id = block_id or uuid.uuid4().hex[:4]
    payload: JsonDict = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "user", "name": "user", "team_id": team_id}
        | ({"locale": locale} if locale is not None else {}),
        "api_app_id": api_app_id,
        "token": DEFAULT_VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": "candor-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "directmessage"},
        "message": message or {"type": "message", "ts": message_ts, "text": ""},
        "state": {"values": {}},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": button_text, "emoji": True},
                "value": value,
                "action_ts": _clock.ts(),
            }
        ],
    }
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


def socket_payload(payload: Payload) -> JsonDict:
    """What Slack puts in a Socket Mode envelope for a payload it would post over HTTP: the
    JSON body, an interaction's ``payload=`` JSON, or a slash command's form as an object."""
    body, content_type = payload
    if content_type == "application/json":
        data: JsonDict = json.loads(body)
        return data
    form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if set(form) == {"payload"}:
        interaction: JsonDict = json.loads(form["payload"])
        return interaction
    return form


def url_verification(challenge: str) -> Payload:
    """The handshake Slack sends when a Request URL is saved."""
    return _json_payload(
        {"token": DEFAULT_VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    )
