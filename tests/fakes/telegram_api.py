"""A local fake of the Telegram Bot API for hermetic end-to-end tests of the aiogram bot.

The real aiogram ``Bot`` is pointed at it (``AiohttpSession(api=TelegramAPIServer.from_base(
api.base_url))``), so the whole client stack runs unmocked. Every request is checked against
the official Bot API description in ``shared/specs/telegram/api.json``: a test fails on a
request the real Telegram would reject, not merely on one a hand-written mock dislikes.

Problems found in a request go to ``violations`` and are answered the way Telegram answers
(HTTP 400, ``"Bad Request: ..."``). Errors that depend on server state rather than on the
request's shape ("message is not modified", "message to edit not found", an unknown callback
query id, a webhook blocking getUpdates) are answered like Telegram too, but are not
violations: a well-behaved bot may meet them and must handle them.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import json
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web

JsonDict = dict[str, Any]
ChatKey = int | str

DEFAULT_TOKEN = "123456:TEST-TOKEN"
_MAX_UPLOAD = 50 * 1024 * 1024  # bots may upload up to 50 MB; aiohttp's default is 1 MB
_PARSE_MODES = ("HTML", "Markdown", "MarkdownV2")
# Without an explicit allowed_updates Telegram withholds these three kinds.
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def spec_path() -> Path:
    """Where api.json lives: beside the repo in shared/, or under $CANDOR_SPECS_DIR."""
    specs = os.environ.get("CANDOR_SPECS_DIR")
    base = Path(specs) if specs else Path(__file__).resolve().parents[2].parent / "shared" / "specs"
    return base / "telegram" / "api.json"


@cache
def _read_spec(path: Path) -> JsonDict:
    spec: JsonDict = json.loads(path.read_text(encoding="utf-8"))
    return spec


def load_spec() -> JsonDict:
    return _read_spec(spec_path())


# --------------------------------------------------------------------------------------------
# HTML formatting, as Telegram's parse_mode=HTML understands it
# --------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    """Telegram's "can't parse entities" reason (the text after that prefix)."""


_START_TAG = re.compile(
    r"<([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z][A-Za-z0-9_-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_ATTRIBUTE = re.compile(
    r"([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?"
)
# The docs allow every numeric entity but only these four named ones.
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]+)|#[xX]([0-9A-Fa-f]+));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


def _utf16_len(text: str) -> int:
    # Entity offsets and lengths are counted in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    # Telegram reports HTML errors at UTF-8 byte offsets.
    return len(text[:index].encode("utf-8"))


def _tag_entity(name: str, attrs: dict[str, str], offset: int) -> JsonDict:
    if name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[name]}
    if name == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        return {"type": "spoiler"}
    if name == "a":
        if not attrs.get("href"):
            raise HtmlParseError(f'Tag "a" must have attribute "href" at byte offset {offset}')
        return {"type": "text_link", "url": attrs["href"]}
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
    if name == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise HtmlParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
            )
        return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
    raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')


def parse_html(text: str) -> tuple[str, list[JsonDict]]:
    """The visible text and the MessageEntity list Telegram derives from an HTML message.

    Raises HtmlParseError where Telegram answers "can't parse entities".
    """
    out: list[str] = []
    entities: list[JsonDict] = []
    stack: list[tuple[str, int, JsonDict | None]] = []  # open tag, UTF-16 start, its entity
    position = 0  # UTF-16 length of the visible text so far
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            offset = _byte_offset(text, i)
            if text.startswith("</", i):
                end = _END_TAG.match(text, i)
                if end is None:
                    raise HtmlParseError(f"Unclosed end tag at byte offset {offset}")
                name = end.group(1).lower()
                if not stack:
                    raise HtmlParseError(f'Unexpected end tag "{name}" at byte offset {offset}')
                open_name, start, entity = stack.pop()
                if open_name != name:
                    raise HtmlParseError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                if entity is not None and position > start:  # Telegram drops empty entities
                    entities.append({**entity, "offset": start, "length": position - start})
                i = end.end()
                continue
            start_tag = _START_TAG.match(text, i)
            if start_tag is None:
                bare = re.match(r"<([^\s<>]*)", text[i:])
                name = bare.group(1) if bare else ""
                raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
            name = start_tag.group(1).lower()
            attrs = {
                m.group(1).lower(): next((g for g in m.groups()[1:] if g is not None), "")
                for m in _ATTRIBUTE.finditer(start_tag.group(2))
            }
            entity: JsonDict | None = _tag_entity(name, attrs, offset)
            language = attrs.get("class", "")
            if (
                name == "code"
                and stack
                and stack[-1][0] == "pre"
                and language.startswith("language-")
            ):
                # <pre><code class="language-x"> is one pre entity carrying the language.
                pre = stack[-1][2]
                if pre is not None:
                    pre["language"] = language.removeprefix("language-")
                entity = None
            stack.append((name, position, entity))
            i = start_tag.end()
            continue
        if char == "&":
            ref = _HTML_ENTITY.match(text, i)
            if ref is None:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}: write it as &amp;'
                )
            named, decimal, hexadecimal = ref.groups()
            if named:
                decoded = _NAMED_ENTITIES[named]
            else:
                code_point = int(decimal) if decimal else int(hexadecimal, 16)
                if not 0 < code_point <= 0x10FFFF:
                    raise HtmlParseError(f"Invalid character reference {ref.group(0)}")
                decoded = chr(code_point)
            out.append(decoded)
            position += _utf16_len(decoded)
            i = ref.end()
            continue
        out.append(char)
        position += _utf16_len(char)
        i += 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


# --------------------------------------------------------------------------------------------
# Validation against api.json
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str  # field path inside the request, e.g. "reply_markup.inline_keyboard[0][0].url"
    message: str
    description: str | None = None  # Telegram's own wording, where we know it
    type_mismatch: bool = False  # lets a union report "expected A or B" instead of one branch

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def telegram_description(self) -> str:
        return self.description or f"Bad Request: {self}"


@dataclass(frozen=True)
class _Rule:
    """Limits the docs state in a field's prose rather than in its type."""

    length: tuple[int, int] | None = None
    in_bytes: bool = False
    after_entities: bool = False
    parse_mode_field: str | None = None  # sibling saying how to parse this field's entities
    items: tuple[int, int] | None = None
    bounds: tuple[float, float] | None = None
    choices: tuple[str, ...] = ()
    ignore_case: bool = False
    pattern: re.Pattern[str] | None = None
    pattern_text: str = ""


_LENGTH = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_AFTER_ENTITIES = re.compile(r"after entit(?:y|ies) parsing")
_ITEMS = (
    re.compile(r"(?:list|array) of (\d+)-(\d+)", re.IGNORECASE),
    re.compile(r"include (\d+)-(\d+) items"),
)
_AT_MOST_ITEMS = (
    re.compile(r"[Aa]t most (\d+)"),
    re.compile(r"up to (\d+) (?:items|identifiers)"),
)
_BOUNDS = re.compile(r"(?:Values between |[;,] )(-?\d+)-(\d+)(?: are accepted)?(?:\.|$)")
_CHOICES = re.compile(r"[Mm]ust be (?:one of|either) (.+?)(?:\.\s|\.$|$)")
_CONSTANT = re.compile(r"(?:must be|always) \"?([a-z][a-z0-9_]*)\"?\.?$")
_PATTERNS = {
    "Can contain only lowercase English letters, digits and underscores": (
        r"[a-z0-9_]*",
        "only lowercase English letters, digits and underscores",
    ),
    "Only characters A-Z, a-z, 0-9, _ and - are allowed": (
        r"[A-Za-z0-9_-]*",
        "only characters A-Z, a-z, 0-9, _ and -",
    ),
}
_REQUIRED_UNLESS = re.compile(
    r"[Rr]equired if ([a-z_]+(?: and [a-z_]+)*) (?:is not|are not|isn't|aren't) specified"
)
_REQUIRED_WITH = re.compile(r"[Rr]equired if ([a-z_]+) is specified")
_REQUIRED_WHEN = re.compile(r"[Rr]equired if ([a-z_]+) is (True|False)")
_ONE_OF_OTHER = re.compile(r"(Exactly|At most) one of the fields other than (.+?) must be used")
_ONE_OF_PAIR = re.compile(
    r"(Exactly|At most) one of the fields ([a-z_]+) or ([a-z_]+) must be used"
)
_ONE_OF_OPTIONAL = re.compile(r"(exactly|at most) one of the optional fields", re.IGNORECASE)
_INTEGER = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _derive_rule(spec_field: JsonDict, siblings: set[str]) -> _Rule:
    name: str = spec_field["name"]
    types: list[str] = spec_field["types"]
    text: str = spec_field.get("description", "")
    rule: dict[str, Any] = {}
    if types == ["String"]:
        if length := _LENGTH.search(text):
            rule["length"] = (int(length.group(1)), int(length.group(2)))
            rule["in_bytes"] = length.group(3) == "bytes"
        if _AFTER_ENTITIES.search(text):
            rule["after_entities"] = True
        if f"{name}_parse_mode" in siblings:
            rule["parse_mode_field"] = f"{name}_parse_mode"
        elif "parse_mode" in siblings and (rule.get("after_entities") or name == "caption"):
            rule["parse_mode_field"] = "parse_mode"
        if name.endswith("parse_mode"):
            # The allowed values are in the docs' "Formatting options" section, not the field.
            rule["choices"], rule["ignore_case"] = _PARSE_MODES, True
        elif choices := _CHOICES.search(text):
            rule["choices"] = tuple(re.findall(r'"([^"]+)"', choices.group(1)))
        elif constant := _CONSTANT.search(text):
            rule["choices"] = (constant.group(1),)
        for phrase, (pattern, explanation) in _PATTERNS.items():
            if phrase in text:
                rule["pattern"], rule["pattern_text"] = re.compile(pattern), explanation
    if any(t.startswith("Array of ") for t in types):
        for items in _ITEMS:
            if found := items.search(text):
                rule["items"] = (int(found.group(1)), int(found.group(2)))
        for at_most in _AT_MOST_ITEMS:
            if found := at_most.search(text):
                rule["items"] = (0, int(found.group(1)))
    if set(types) <= {"Integer", "Float"} and (bounds := _BOUNDS.search(text)):
        rule["bounds"] = (float(bounds.group(1)), float(bounds.group(2)))
    return _Rule(**rule)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _best(
    candidates: list[list[Problem]], types: list[str], value: Any, path: str
) -> list[Problem]:
    if all(len(p) == 1 and p[0].type_mismatch and p[0].path == path for p in candidates):
        shown = value if isinstance(value, str) else _kind(value)
        return [Problem(path, f"expected {' or '.join(types)}, got {shown!r}", type_mismatch=True)]
    # Report the branch that came closest, e.g. InlineKeyboardMarkup rather than ForceReply.
    return min(candidates, key=len)


class SpecValidator:
    """Checks Bot API requests and objects against api.json."""

    def __init__(self, spec: JsonDict) -> None:
        self.version: str = spec.get("version", "the Bot API")
        self.methods: dict[str, JsonDict] = spec["methods"]
        self.types: dict[str, JsonDict] = spec["types"]
        # Telegram matches method names case-insensitively.
        self._method_names = {name.lower(): name for name in self.methods}
        self._rules: dict[tuple[str, str], _Rule] = {}

    def method_name(self, method: str) -> str | None:
        return self._method_names.get(method.lower())

    def check(self, value: Any, type_expression: str) -> list[str]:
        """Problems of a decoded value (e.g. an Update dict) against a spec type like "Message"."""
        return [str(p) for p in self._check_type(value, type_expression, "")]

    def check_request(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, bytes]
    ) -> tuple[str | None, JsonDict, list[Problem]]:
        """(canonical method name, decoded params, problems) for one API request.

        ``params`` are form strings, or already-typed values from a JSON body.
        """
        canonical = self.method_name(method)
        if canonical is None:
            problem = Problem("", f"unknown method {method!r} (not in {self.version})")
            return None, dict(params), [problem]
        spec = self.methods[canonical]
        values = {k: v for k, v in params.items() if v is not None}
        names = {f["name"] for f in spec.get("fields", [])}
        for part in files:  # a file uploaded under the field's own name, without attach://
            if part in names and part not in values:
                values[part] = f"attach://{part}"
        decoded, problems = self._check_fields(canonical, spec, values, "", form=True)
        referenced = {s[len("attach://") :] for s in _strings(decoded) if s.startswith("attach://")}
        problems += [
            Problem(name, "attach:// refers to a file part that was not uploaded")
            for name in sorted(referenced - set(files))
        ]
        problems += [
            Problem(name, "uploaded file part is not referenced by any attach:// value")
            for name in sorted(set(files) - referenced)
        ]
        return canonical, decoded, problems

    def _check_fields(
        self, owner: str, spec: JsonDict, values: Mapping[str, Any], path: str, *, form: bool
    ) -> tuple[JsonDict, list[Problem]]:
        fields = {f["name"]: f for f in spec.get("fields", [])}
        values = {k: v for k, v in values.items() if v is not None}  # JSON null means absent
        decoded: JsonDict = {}
        problems: list[Problem] = []
        for name, value in values.items():
            spec_field = fields.get(name)
            where = _join(path, name)
            if spec_field is None:
                problems.append(Problem(where, f"unknown field, {owner} has no such field"))
                decoded[name] = value
                continue
            if form and isinstance(value, str):
                decoded[name], errors = self._parse_form(value, spec_field["types"], where)
            else:
                decoded[name], errors = value, self._match(value, spec_field["types"], where)
            if not errors:
                errors = self._check_rule(owner, spec_field, decoded[name], values, where, fields)
            problems += errors
        for name, spec_field in fields.items():
            if name not in values and self._required(spec_field, values):
                problems.append(Problem(_join(path, name), "required field is missing"))
        problems += self._check_one_of(owner, spec, fields, values, path)
        return decoded, problems

    @staticmethod
    def _required(spec_field: JsonDict, values: Mapping[str, Any]) -> bool:
        if spec_field.get("required"):
            return True
        text: str = spec_field.get("description", "")
        if unless := _REQUIRED_UNLESS.search(text):
            return not any(name in values for name in unless.group(1).split(" and "))
        if with_ := _REQUIRED_WITH.search(text):
            return with_.group(1) in values
        if when := _REQUIRED_WHEN.search(text):
            actual = values.get(when.group(1))
            return str(actual).lower() == when.group(2).lower()
        return False

    @staticmethod
    def _check_one_of(
        owner: str,
        spec: JsonDict,
        fields: Mapping[str, JsonDict],
        values: Mapping[str, Any],
        path: str,
    ) -> list[Problem]:
        text = " ".join(spec.get("description", []))
        if found := _ONE_OF_OTHER.search(text):
            excluded = set(re.findall(r"[a-z_]+", found.group(2))) - {"and"}
            group = [name for name in fields if name not in excluded]
        elif found := _ONE_OF_PAIR.search(text):
            group = [found.group(2), found.group(3)]
        elif found := _ONE_OF_OPTIONAL.search(text):
            group = [name for name, f in fields.items() if not f.get("required")]
        else:
            return []
        exactly = found.group(1).lower() == "exactly"
        used = [name for name in group if name in values]
        if len(used) == 1 or (not used and not exactly):
            return []
        quantity = "exactly" if exactly else "at most"
        return [
            Problem(
                path,
                f"{owner} needs {quantity} one of {', '.join(group)}; got {used or 'none'}",
            )
        ]

    def _parse_form(self, raw: str, types: list[str], path: str) -> tuple[Any, list[Problem]]:
        # Form fields are strings: numbers and booleans as literals, the rest as JSON.
        attempts: list[tuple[Any, list[Problem]]] = []
        for type_expression in types:
            value, problems = self._parse_form_as(raw, type_expression, path)
            if not problems:
                return value, []
            attempts.append((value, problems))
        if len(attempts) == 1:
            return attempts[0]
        chosen = _best([p for _, p in attempts], types, raw, path)
        return next((v for v, p in attempts if p is chosen), raw), chosen

    def _parse_form_as(
        self, raw: str, type_expression: str, path: str
    ) -> tuple[Any, list[Problem]]:
        def mismatch() -> tuple[Any, list[Problem]]:
            message = f"expected {type_expression}, got {raw[:60]!r}"
            return raw, [Problem(path, message, type_mismatch=True)]

        if type_expression in ("String", "InputFile"):
            return raw, self._check_type(raw, type_expression, path)
        if type_expression == "Integer":
            return (int(raw), []) if _INTEGER.fullmatch(raw) else mismatch()
        if type_expression == "Float":
            return (float(raw), []) if _FLOAT.fullmatch(raw) else mismatch()
        if type_expression == "Boolean":
            return (
                ({"true": True, "false": False}[raw], [])
                if raw in ("true", "false")
                else mismatch()
            )
        try:
            value = json.loads(raw)
        except ValueError:
            return mismatch()
        return value, self._check_type(value, type_expression, path)

    def _match(self, value: Any, types: list[str], path: str) -> list[Problem]:
        candidates = []
        for type_expression in types:
            problems = self._check_type(value, type_expression, path)
            if not problems:
                return []
            candidates.append(problems)
        return candidates[0] if len(candidates) == 1 else _best(candidates, types, value, path)

    def _check_type(self, value: Any, type_expression: str, path: str) -> list[Problem]:
        def mismatch() -> list[Problem]:
            shown = value[:60] if isinstance(value, str) else _kind(value)
            message = f"expected {type_expression}, got {shown!r}"
            return [Problem(path, message, type_mismatch=True)]

        if type_expression.startswith("Array of "):
            if not isinstance(value, list):
                return mismatch()
            item_type = type_expression.removeprefix("Array of ")
            return [
                problem
                for index, item in enumerate(value)
                for problem in self._check_type(item, item_type, f"{path}[{index}]")
            ]
        if type_expression == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return [] if ok else mismatch()
        if type_expression == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return [] if ok else mismatch()
        if type_expression == "Boolean":
            return [] if isinstance(value, bool) else mismatch()
        if type_expression == "String":
            return [] if isinstance(value, str) else mismatch()
        if type_expression == "InputFile":
            # Uploads travel as separate multipart parts named by attach://<part>.
            ok = isinstance(value, str) and value.startswith("attach://")
            return [] if ok else mismatch()
        spec = self.types.get(type_expression)
        if spec is None:
            return [Problem(path, f"type {type_expression} is not in the spec")]
        if "subtypes" in spec:  # abstract type: any concrete subtype will do
            return self._match(value, spec["subtypes"], path)
        if not isinstance(value, dict):
            return mismatch()
        return self._check_fields(type_expression, spec, value, path, form=False)[1]

    def _check_rule(
        self,
        owner: str,
        spec_field: JsonDict,
        value: Any,
        siblings: Mapping[str, Any],
        path: str,
        fields: Mapping[str, JsonDict],
    ) -> list[Problem]:
        key = (owner, spec_field["name"])
        if key not in self._rules:
            self._rules[key] = _derive_rule(spec_field, set(fields))
        rule = self._rules[key]
        problems: list[Problem] = []
        if isinstance(value, str):
            visible = value
            mode = siblings.get(rule.parse_mode_field) if rule.parse_mode_field else None
            if isinstance(mode, str) and mode.lower() == "html":
                try:
                    visible, _ = parse_html(value)
                except HtmlParseError as error:
                    reason = f"can't parse entities: {error}"
                    return [Problem(path, reason, description=f"Bad Request: {reason}")]
            if rule.length:
                low, high = rule.length
                # Telegram counts characters in UTF-16 code units: an emoji may count as two.
                size = len(visible.encode("utf-8")) if rule.in_bytes else _utf16_len(visible)
                unit = "bytes" if rule.in_bytes else "characters"
                after = " after entities parsing" if rule.after_entities else ""
                if not low <= size <= high:
                    problems.append(
                        Problem(path, f"must be {low}-{high} {unit}{after}, got {size}")
                    )
                elif rule.after_entities and low > 0 and not visible.strip():
                    problems.append(Problem(path, "must not be empty after entities parsing"))
            if rule.choices and value:
                allowed = [c.lower() for c in rule.choices] if rule.ignore_case else rule.choices
                if (value.lower() if rule.ignore_case else value) not in allowed:
                    problems.append(
                        Problem(path, f"must be one of {list(rule.choices)}, got {value!r}")
                    )
            if rule.pattern and not rule.pattern.fullmatch(value):
                problems.append(Problem(path, f"may contain {rule.pattern_text}, got {value!r}"))
        if isinstance(value, list) and rule.items:
            low, high = rule.items
            if not low <= len(value) <= high:
                problems.append(Problem(path, f"must have {low}-{high} items, got {len(value)}"))
        if isinstance(value, int | float) and not isinstance(value, bool) and rule.bounds:
            low_bound, high_bound = rule.bounds
            if not low_bound <= value <= high_bound:
                problems.append(
                    Problem(path, f"must be between {low_bound:g} and {high_bound:g}, got {value}")
                )
        return problems


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


@dataclass
class ApiCall:
    method: str  # canonical spelling from the spec when the method exists
    params: JsonDict  # decoded: ints, bools, JSON objects and arrays as Python values
    status: int
    response: JsonDict
    files: dict[str, bytes] = field(default_factory=dict)  # uploaded multipart file parts
    at: float = 0.0  # time.monotonic() when answered: pacing is measured from these


@dataclass
class _Failure:
    method: str
    error_code: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: ChatKey | None


class _ApiError(Exception):
    """A Telegram error that depends on server state, answered but not a violation."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description


def _chat_key(chat_id: Any) -> ChatKey:
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    return int(text) if _INTEGER.fullmatch(text) else text


def _inline_only(markup: Any) -> JsonDict | None:
    # A Message only ever carries an inline keyboard; reply keyboards are not echoed.
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None


class FakeTelegramAPI:
    """An aiohttp server speaking the Bot API to one bot, validating every request."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_id: int = 123456,
        bot_username: str = "candor_test_bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.validator = SpecValidator(load_spec())
        self.calls: list[ApiCall] = []
        self._resets: dict[str, int] = {}
        self.violations: list[str] = []
        self.max_poll_wait = 1.0  # caps getUpdates' timeout so tests never idle for long
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False
        self._updates: list[JsonDict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] = []
        self._parked_polls = 0  # getUpdates requests waiting for an update right now
        self._updates_changed = asyncio.Event()
        self._activity = asyncio.Event()
        self._failures: list[_Failure] = []
        self._chats: dict[ChatKey, JsonDict] = {}
        self._last_message_id: dict[ChatKey, int] = {}
        self._user_messages: dict[ChatKey, set[int]] = {}
        self._sent: dict[ChatKey, dict[int, JsonDict]] = {}
        self._open_queries: set[str] = set()
        self._query_count = 0
        self._file_count = 0
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._webhook: JsonDict = {}
        self._file_content: dict[str, bytes] = {}

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=_MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)  # 0: any free port
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True
        self._wake(updates=True)  # pending long polls answer now instead of at their timeout
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
            raise RuntimeError("FakeTelegramAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    # -- inspection -------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    async def wait_for_call(self, method: str, *, count: int = 1, seconds: float = 5.0) -> ApiCall:
        """The count-th call of a method, waiting for the bot to make it (no polling sleeps)."""
        async with asyncio.timeout(seconds):
            while len(self.calls_to(method)) < count:
                changed = self._activity
                await changed.wait()
        return self.calls_to(method)[count - 1]

    async def wait_until_polling(self, *, seconds: float = 5.0) -> None:
        """Until a getUpdates long poll is parked here, so a pushed update must wake it."""
        async with asyncio.timeout(seconds):
            while not self._parked_polls:
                changed = self._activity
                await changed.wait()

    def sent_to(self, chat_id: ChatKey) -> list[JsonDict]:
        """The bot's messages in a chat, oldest first, as they stand after edits and deletions.

        Each is the Message Telegram returned, except that ``reply_markup`` holds whatever
        markup the bot attached, reply keyboards included.
        """
        return [copy.deepcopy(m) for m in self._sent.get(_chat_key(chat_id), {}).values()]

    def menu_seen(self, chat_id: int, language_code: str | None = None) -> list[JsonDict]:
        """The command menu a user with this app language sees in a chat, resolved as
        Telegram does: the narrowest scope set (chat, then all private chats for a private
        chat, then default), each first for the user's language, then for everyone."""
        private = chat_id > 0
        scopes: list[JsonDict] = [{"type": "chat", "chat_id": chat_id}]
        scopes += [{"type": "all_private_chats"}] if private else [{"type": "all_group_chats"}]
        scopes.append({"type": "default"})
        for scope in scopes:
            for code in (language_code or "", ""):
                key = (json.dumps(scope, sort_keys=True), code)
                if key in self._commands:
                    return copy.deepcopy(self._commands[key])
        return []

    def assert_no_violations(self) -> None:
        if self.violations:
            listed = "\n".join(f"  - {v}" for v in self.violations)
            raise AssertionError(f"{len(self.violations)} Telegram API violation(s):\n{listed}")

    # -- failure injection ------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: ChatKey | None = None,
    ) -> None:
        """Answer the next ``times`` valid calls of ``method`` (to ``chat_id``) with an error."""
        key = None if chat_id is None else _chat_key(chat_id)
        self._failures.append(_Failure(method, error_code, description, retry_after, times, key))

    def reset_next(self, method: str, *, times: int = 1) -> None:
        """Drop the connection of the next ``times`` valid calls of ``method`` unanswered."""
        self._resets[method.lower()] = self._resets.get(method.lower(), 0) + times

    def limit_rate(self, per_second: float) -> None:
        """Enforce a send limit like Telegram's: a sendMessage past ``per_second`` in any
        one-second window is answered 429 with retry_after (counted in ``rate_refusals``)."""
        self._rate = per_second
        self._recent_sends: collections.deque[float] = collections.deque()
        self.rate_refusals = 0

    def _over_rate(self, method: str) -> JsonDict | None:
        if getattr(self, "_rate", None) is None or method != "sendMessage":
            return None
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - 1.0:
            self._recent_sends.popleft()
        if len(self._recent_sends) >= self._rate:
            self.rate_refusals += 1
            return {"ok": False, "error_code": 429, "parameters": {"retry_after": 1},
                    "description": "Too Many Requests: retry after 1"}  # fmt: skip
        self._recent_sends.append(now)
        return None

    def _take_failure(self, method: str, params: JsonDict) -> JsonDict | None:
        for failure in self._failures:
            if failure.method.lower() != method.lower():
                continue
            if failure.chat_id is not None and (
                "chat_id" not in params or _chat_key(params["chat_id"]) != failure.chat_id
            ):
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            body: JsonDict = {
                "ok": False,
                "error_code": failure.error_code,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return body
        return None

    # -- updates ----------------------------------------------------------------------------

    def push_update(self, update: JsonDict) -> int:
        """Queue an update for getUpdates; returns its update_id. Rejects spec-invalid updates."""
        update = {**copy.deepcopy(update), "update_id": self._next_update_id}
        problems = self.validator.check(update, "Update")
        if problems:
            raise ValueError(
                "update does not match the Bot API Update type: " + "; ".join(problems)
            )
        self._next_update_id += 1
        for kind in ("message", "edited_message"):
            if isinstance(message := update.get(kind), dict):
                key = _chat_key(message["chat"]["id"])
                self._chats.setdefault(key, message["chat"])
                self._user_messages.setdefault(key, set()).add(message["message_id"])
                self._bump_message_id(key, message["message_id"])
        self._updates.append(update)
        self._wake(updates=True)
        return int(update["update_id"])

    async def wait_confirmed(self, update_id: int, *, seconds: float = 10.0) -> None:
        """Until the bot asked for updates past ``update_id``: with updates handled one by one
        (not as tasks), that means it finished handling this one."""
        async with asyncio.timeout(seconds):
            while any(u["update_id"] <= update_id for u in self._updates):
                changed = self._activity
                await changed.wait()

    def _wake(self, *, updates: bool = False) -> None:
        # Waiters hold the old Event; setting it and swapping in a fresh one wakes them once.
        if updates:
            self._updates_changed.set()
            self._updates_changed = asyncio.Event()
        else:
            self._activity.set()
            self._activity = asyncio.Event()

    def _deliverable(self, limit: int) -> list[JsonDict]:
        wanted = set(self._allowed_updates)
        kept = []
        for update in self._updates:
            kind = next((k for k in update if k != "update_id"), "")
            allowed = kind in wanted if wanted else kind not in _NOT_DELIVERED_BY_DEFAULT
            if allowed:
                kept.append(update)
        self._updates = kept  # Telegram never delivers updates the bot opted out of
        return copy.deepcopy(kept[:limit])

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        if self._webhook.get("url"):
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        offset = int(params.get("offset", 0))
        if offset > 0:  # confirms every update below the offset
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._wake()  # wait_confirmed() watches for this
        elif offset < 0:  # keeps only the last -offset updates
            self._updates = self._updates[offset:]
        limit = int(params.get("limit", 100))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(params.get("timeout", 0)), self.max_poll_wait)
        while True:
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            changed = self._updates_changed
            self._parked_polls += 1
            self._wake()
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return self._deliverable(limit)
            finally:
                self._parked_polls -= 1

    # -- update builders --------------------------------------------------------------------

    def _bump_message_id(self, chat: ChatKey, message_id: int) -> None:
        self._last_message_id[chat] = max(self._last_message_id.get(chat, 0), message_id)

    def _new_message_id(self, chat: ChatKey) -> int:
        # Private chats number messages from both sides in one sequence.
        self._bump_message_id(chat, self._last_message_id.get(chat, 0) + 1)
        return self._last_message_id[chat]

    def _new_file(self) -> JsonDict:
        self._file_count += 1
        return {"file_id": f"file-{self._file_count}", "file_unique_id": f"u{self._file_count}"}

    @staticmethod
    def _user(user_id: int, first_name: str, language_code: str) -> JsonDict:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }

    def _bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Candor Test Bot",
            "username": self.bot_username,
        }

    def _chat(self, key: ChatKey) -> JsonDict:
        if key not in self._chats:
            if isinstance(key, str):  # "@channelusername"
                chat_id = -1001000000000 - len(self._chats)
                chat = {"id": chat_id, "type": "channel", "title": key, "username": key[1:]}
            elif key > 0:
                chat = {"id": key, "type": "private", "first_name": "User"}
            else:
                kind = "supergroup" if key < -1000000000000 else "group"
                chat = {"id": key, "type": kind, "title": "Test group"}
            self._chats[key] = chat
        return dict(self._chats[key])

    def _incoming(
        self,
        chat_id: int,
        *,
        user_id: int | None,
        first_name: str,
        language_code: str,
        chat_type: str,
        message_id: int | None,
        content: JsonDict,
    ) -> JsonDict:
        sender = user_id if user_id is not None else (chat_id if chat_type == "private" else 777)
        if chat_type == "private":
            chat: JsonDict = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": "Test group"}
        self._chats[chat_id] = chat
        if message_id is None:
            message_id = self._new_message_id(chat_id)
        else:
            self._bump_message_id(chat_id, message_id)
        return {
            "message_id": message_id,
            "from": self._user(sender, first_name, language_code),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }

    def text_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
        message_id: int | None = None,
        entities: list[JsonDict] | None = None,
    ) -> JsonDict:
        """An update with a text message; "/cmd args" gets its bot_command entity."""
        content: JsonDict = {"text": text}
        if entities is None and (command := re.match(r"/[A-Za-z0-9_]{1,32}(?:@\w+)?", text)):
            entities = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command[0])}]
        if entities:
            content["entities"] = entities
        message = self._incoming(
            chat_id,
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
            message_id=message_id,
            content=content,
        )
        return {"message": message}

    def edited_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
        message_id: int | None = None,
        entities: list[JsonDict] | None = None,
    ) -> JsonDict:
        """The user edited a message: by default their latest one in the chat."""
        if message_id is None and (own := self._user_messages.get(chat_id)):
            message_id = max(own)
        update = self.text_message(
            chat_id,
            text,
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
            message_id=message_id,
            entities=entities,
        )
        message = update["message"]
        message["edit_date"] = message["date"]
        return {"edited_message": message}

    def _media_message(
        self,
        chat_id: int,
        content: JsonDict,
        *,
        user_id: int | None,
        first_name: str,
        language_code: str,
        chat_type: str,
    ) -> JsonDict:
        message = self._incoming(
            chat_id,
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
            message_id=None,
            content={k: v for k, v in content.items() if v is not None},
        )
        return {"message": message}

    def sticker_message(
        self,
        chat_id: int,
        *,
        emoji: str = "👍",
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
    ) -> JsonDict:
        sticker = {
            **self._new_file(),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._media_message(
            chat_id,
            {"sticker": sticker},
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
        )

    def photo_message(
        self,
        chat_id: int,
        *,
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
    ) -> JsonDict:
        sizes = [{**self._new_file(), "width": side, "height": side} for side in (90, 800)]
        return self._media_message(
            chat_id,
            {"photo": sizes, "caption": caption},
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
        )

    def voice_message(
        self,
        chat_id: int,
        *,
        duration: int = 3,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
    ) -> JsonDict:
        voice = {**self._new_file(), "duration": duration, "mime_type": "audio/ogg"}
        return self._media_message(
            chat_id,
            {"voice": voice},
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
        )

    def document_message(
        self,
        chat_id: int,
        *,
        file_name: str = "notes.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
        content: bytes | None = None,
    ) -> JsonDict:
        """A document message; with ``content`` the bot can getFile and download it."""
        document = {**self._new_file(), "file_name": file_name, "mime_type": mime_type}
        if content is not None:
            self._file_content[document["file_id"]] = content
            document["file_size"] = len(content)
        return self._media_message(
            chat_id,
            {"document": document, "caption": caption},
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
        )

    def location_message(
        self,
        chat_id: int,
        *,
        latitude: float = 52.3676,
        longitude: float = 4.9041,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
        chat_type: str = "private",
    ) -> JsonDict:
        return self._media_message(
            chat_id,
            {"location": {"latitude": latitude, "longitude": longitude}},
            user_id=user_id,
            first_name=first_name,
            language_code=language_code,
            chat_type=chat_type,
        )

    def callback_query(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        user_id: int | None = None,
        first_name: str = "Anna",
        language_code: str = "en",
    ) -> JsonDict:
        """A button press on the bot's message ``message_id`` (as it stands after edits)."""
        sent = self._sent.setdefault(chat_id, {})
        if message_id not in sent:
            # A message from before this fake started: adopt it so the bot can edit it.
            sent[message_id] = {
                "message_id": message_id,
                "from": self._bot_user(),
                "chat": self._chat(chat_id),
                "date": int(time.time()),
            }
            self._bump_message_id(chat_id, message_id)
        message = copy.deepcopy(sent[message_id])
        if (markup := _inline_only(message.pop("reply_markup", None))) is not None:
            message["reply_markup"] = markup
        self._query_count += 1
        query_id = f"{self.bot_id}{self._query_count:06d}"
        self._open_queries.add(query_id)
        sender = user_id if user_id is not None else chat_id
        query = {
            "id": query_id,
            "from": self._user(sender, first_name, language_code),
            "message": message,
            "chat_instance": f"instance-{chat_id}",
            "data": data,
        }
        return {"callback_query": query}

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params, files = await self._read_params(request)
        except ValueError as error:
            return self._answer(
                method, {}, {}, 400, self._violation(method, Problem("", str(error)))
            )
        if request.match_info["token"] != self.token:
            self.violations.append(f"{method}: request with a wrong bot token")
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return self._answer(method, params, files, 401, body)
        canonical, decoded, problems = self.validator.check_request(method, params, files)
        name = canonical or method
        if problems:
            body = self._violation(name, *problems)
            return self._answer(name, decoded, files, 400, body)
        if self._resets.get(name.lower(), 0) > 0:
            # The connection drops before the request is handled: nothing happened here.
            self._resets[name.lower()] -= 1
            assert request.transport is not None
            request.transport.close()
            raise ConnectionResetError("connection reset by the fake")
        injected = self._take_failure(name, decoded) or self._over_rate(name)
        if injected is not None:
            return self._answer(name, decoded, files, int(injected["error_code"]), injected)
        try:
            result = await self._respond(name, decoded)
        except _ApiError as error:
            body = {"ok": False, "error_code": error.error_code, "description": error.description}
            return self._answer(name, decoded, files, error.error_code, body)
        except Exception as error:  # a bug in this fake must fail the test, not look like a 500
            self.violations.append(f"{name}: FakeTelegramAPI crashed: {error!r}")
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            return self._answer(name, decoded, files, 500, body)
        return self._answer(name, decoded, files, 200, {"ok": True, "result": result})

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[JsonDict, dict[str, bytes]]:
        # Telegram takes query strings, urlencoded or multipart forms and JSON bodies alike.
        params: JsonDict = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise ValueError(f"request body is not valid JSON: {error}") from error
            if not isinstance(body, dict):
                raise ValueError("a JSON request body must be an object")
            params.update(body)
        elif request.body_exists:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                else:
                    params[key] = value
        return params, files

    def _violation(self, method: str, *problems: Problem) -> JsonDict:
        self.violations.extend(f"{method}: {problem}" for problem in problems)
        description = problems[0].telegram_description()
        return {"ok": False, "error_code": 400, "description": description}

    def _answer(
        self, method: str, params: JsonDict, files: dict[str, bytes], status: int, body: JsonDict
    ) -> web.Response:
        self.calls.append(ApiCall(method, params, status, body, files, time.monotonic()))
        self._wake()
        return web.json_response(body, status=status)

    # -- method behaviour -------------------------------------------------------------------

    async def _respond(self, method: str, params: JsonDict) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params)
        handler = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getFile": self._get_file,
        }.get(method)
        if handler is not None:
            return handler(params)
        returns = self.validator.methods[method].get("returns", [])
        if returns == ["Message"] and "chat_id" in params:
            # sendPhoto, sendDocument, ...: enough of a Message for the client to parse.
            caption, entities = self._render(params, "caption")
            return self._store_bot_message(
                params, {"caption": caption, "caption_entities": entities}
            )
        return True

    def _get_file(self, params: JsonDict) -> JsonDict:
        file_id = str(params["file_id"])
        if file_id not in self._file_content:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                "file_size": len(self._file_content[file_id]),
                "file_path": f"documents/{file_id}"}  # fmt: skip

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].removeprefix("documents/")
        if request.match_info["token"] != self.token or file_id not in self._file_content:
            return web.Response(status=404)
        return web.Response(body=self._file_content[file_id])

    def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _render(params: JsonDict, name: str) -> tuple[str, list[JsonDict]]:
        # The visible text and entities Telegram stores; Markdown modes are kept verbatim.
        text = str(params.get(name, ""))
        mode = params.get("parse_mode")
        if isinstance(mode, str) and mode.lower() == "html":
            return parse_html(text)
        return text, list(params.get("entities" if name == "text" else f"{name}_entities", []))

    def _store_bot_message(self, params: JsonDict, content: JsonDict) -> JsonDict:
        key = _chat_key(params["chat_id"])
        message: JsonDict = {
            "message_id": self._new_message_id(key),
            "from": self._bot_user(),
            "chat": self._chat(key),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v},
        }
        replied = (params.get("reply_parameters") or {}).get("message_id")
        if replied is not None and (target := self._sent.get(key, {}).get(replied)):
            # As Telegram does: the message it answers, without that one's own reply.
            message["reply_to_message"] = {
                k: v for k, v in target.items() if k not in ("reply_to_message", "reply_markup")
            }
        stored = copy.deepcopy(message)
        if params.get("reply_markup"):
            stored["reply_markup"] = params["reply_markup"]
        self._sent.setdefault(key, {})[message["message_id"]] = stored
        if (markup := _inline_only(params.get("reply_markup"))) is not None:
            message["reply_markup"] = markup
        return message

    def _send_message(self, params: JsonDict) -> JsonDict:
        text, entities = self._render(params, "text")
        return self._store_bot_message(params, {"text": text, "entities": entities})

    def _find_bot_message(self, params: JsonDict, verb: str) -> tuple[ChatKey, JsonDict]:
        key = _chat_key(params["chat_id"])
        message_id = params["message_id"]
        message = self._sent.get(key, {}).get(message_id)
        if message is not None:
            return key, message
        if message_id in self._user_messages.get(key, set()):
            raise _ApiError(400, f"Bad Request: message can't be {verb}ed")
        raise _ApiError(400, f"Bad Request: message to {verb} not found")

    def _apply_edit(self, key: ChatKey, old: JsonDict, new: JsonDict) -> JsonDict:
        if all(old.get(k) == new.get(k) for k in ("text", "entities", "reply_markup")):
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        new["edit_date"] = int(time.time())
        self._sent[key][new["message_id"]] = new
        return copy.deepcopy(new)

    @staticmethod
    def _with_markup(message: JsonDict, params: JsonDict) -> JsonDict:
        # An edit without reply_markup removes the inline keyboard, as on Telegram.
        message.pop("reply_markup", None)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _edit_message_text(self, params: JsonDict) -> JsonDict | bool:
        if "inline_message_id" in params:
            return True
        key, old = self._find_bot_message(params, "edit")
        if "text" not in old:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        if "text" not in params:  # rich_message edits keep the text as far as we model them
            return self._apply_edit(key, old, self._with_markup(dict(old), params))
        text, entities = self._render(params, "text")
        new = {k: v for k, v in old.items() if k != "entities"}
        new["text"] = text
        if entities:
            new["entities"] = entities
        return self._apply_edit(key, old, self._with_markup(new, params))

    def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict | bool:
        if "inline_message_id" in params:
            return True
        key, old = self._find_bot_message(params, "edit")
        return self._apply_edit(key, old, self._with_markup(dict(old), params))

    def _delete_message(self, params: JsonDict) -> bool:
        key = _chat_key(params["chat_id"])
        if self._sent.get(key, {}).pop(params["message_id"], None) is None:
            if params["message_id"] not in self._user_messages.get(key, set()):
                raise _ApiError(400, "Bad Request: message to delete not found")
            self._user_messages[key].discard(params["message_id"])
        return True

    def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._open_queries:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text") or "")) > 200:  # Telegram: 0-200 characters
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)  # a query is answered once
        return True

    @staticmethod
    def _commands_key(params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code", ""))

    def _set_my_commands(self, params: JsonDict) -> bool:
        self._commands[self._commands_key(params)] = list(params["commands"])
        return True

    def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _set_webhook(self, params: JsonDict) -> bool:
        self._webhook = {k: v for k, v in params.items() if k in ("url", "max_connections")}
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: JsonDict) -> bool:
        self._webhook = {}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook.get("url"):
            info["max_connections"] = self._webhook.get("max_connections", 40)
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info
