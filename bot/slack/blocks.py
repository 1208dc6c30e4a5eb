"""Block Kit for Candor's messages; every piece of text we did not write is mrkdwn-escaped.

Slack only turns `<!channel>`, `<@U…>` and links into mentions when they arrive in angle
brackets, so escaping `&`, `<` and `>` makes a client's text show exactly as typed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from surveys.alerts import ALERT_LABELS
from surveys.commands import CLIENT_COMMANDS, TABLE
from surveys.model import AlertStatus, Disposition, Language, OutgoingMessage
from surveys.texts import t

SECTION_LIMIT = 3000  # characters in one section's text object
MAX_BLOCKS = 50  # blocks in one message
# Text in all of one message's blocks: Slack refuses more than about 13,200 characters
# (msg_blocks_too_long), though no page documents it; kept well below.
BLOCKS_TEXT_LIMIT = 12_000
TEXT_LIMIT = 40_000  # the top-level fallback text
SURVEY_ACTIONS = ("skip", "later", "decline")
ALERT_ACTIONS = {
    AlertStatus.OPEN: ("ack", "followup", "resolve"),
    AlertStatus.ACKNOWLEDGED: ("followup", "resolve"),
}
Block = dict[str, Any]


# Our texts name commands the Telegram way (`/accounts`); on Slack they are `/candor accounts`.
_COMMAND = re.compile(
    r"(?<![\w/.])/(" + "|".join(sorted([*TABLE, *CLIENT_COMMANDS], key=len, reverse=True)) + r")\b"
)


def slack_commands(text: str) -> str:
    """Our own text with every command written as Slack's `/candor <command>`."""
    return _COMMAND.sub(r"/candor \1", text)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> Block:
    # verbatim: Slack must not auto-link channel names or URLs inside client text either.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _escaped_len(text: str) -> int:
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def chunks(text: str, limit: int) -> list[str]:
    """``text`` in pieces whose *escaped* length is at most ``limit``, cut at line ends
    where possible (so an entity like ``&amp;`` is never split)."""
    parts: list[str] = []
    current, size = "", 0
    for line in text.splitlines(keepends=True):
        for ch in line if _escaped_len(line) > limit else [line]:
            # A line too long on its own is cut character by character.
            width = _escaped_len(ch)
            if size + width > limit and current:
                parts.append(current)
                current, size = "", 0
            current += ch
            size += width
    if current or not parts:
        parts.append(current)
    return [p.rstrip("\n") or " " for p in parts]


def text_sections(text: str, *, code: bool = False, piece: int = SECTION_LIMIT) -> list[Block]:
    """Escaped text as sections of at most ``piece`` characters; ``code`` wraps each in a
    monospace block."""
    room = piece - (6 if code else 0)  # the ``` fences count too
    sections = []
    for part in chunks(text, room):
        body = escape(part)
        sections.append({"type": "section", "text": mrkdwn(f"```{body}```" if code else body)})
    return sections


def text_size(block: Any) -> int:
    """Characters of text ``block`` (or a list of blocks) carries, as Slack counts them."""
    if isinstance(block, list):
        return sum(text_size(b) for b in block)
    if not isinstance(block, dict):
        return 0
    own = block.get("text")
    size = len(own) if isinstance(own, str) else 0
    return size + sum(text_size(v) for k, v in block.items() if isinstance(v, dict | list))


def batched(blocks: list[Block], room: int = MAX_BLOCKS) -> list[list[Block]]:
    """``blocks`` in order, as messages Slack takes: at most ``room`` blocks and
    BLOCKS_TEXT_LIMIT characters of text each."""
    batches: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        width = text_size(block)
        if batches[-1] and (len(batches[-1]) >= room or size + width > BLOCKS_TEXT_LIMIT):
            batches.append([])
            size = 0
        batches[-1].append(block)
        size += width
    return batches


def shortened_sections(text: str, room: int, note: str, piece: int = SECTION_LIMIT) -> list[Block]:
    """``text`` as sections of at most ``piece`` characters with at most ``room`` in all;
    when it does not fit, as much as fits, then ``note`` (our words: where the whole is)."""
    sections = text_sections(text, piece=piece)
    if text_size(sections) <= room:
        return sections
    tail = {"type": "context", "elements": [mrkdwn(escape(note))]}
    left = room - text_size(tail)
    kept: list[Block] = []
    for part in chunks(text, piece):
        fits = chunks(part, left)[0] if left > 0 else ""
        if fits.strip():
            kept.append({"type": "section", "text": mrkdwn(escape(fits))})
            left -= len(escape(fits))
        if fits != part:
            break
    return [*kept, tail]


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label[:75], "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def survey_actions(message: OutgoingMessage) -> Block | None:
    buttons = message.payload.get("buttons") or []
    conv = message.payload.get("conversation_id")
    question = message.payload.get("question_key")
    if not buttons or conv is None or not question:
        return None
    lang = Language(message.payload.get("lang", "en"))
    value = json.dumps({"c": int(conv), "q": question}, separators=(",", ":"))
    return {
        "type": "actions",
        "block_id": "survey",
        "elements": [button(t(f"button.{b}", lang), f"survey_{b}", value) for b in buttons],
    }


def import_actions(message: OutgoingMessage) -> Block | None:
    """An import preview's button: the same file, written (see listeners.census)."""
    confirm = message.payload.get("import_confirm")
    if not confirm:
        return None
    lang = Language(message.payload.get("lang", "en"))
    value = json.dumps({"a": confirm["account"], "f": confirm["file"]}, separators=(",", ":"))
    return {
        "type": "actions",
        "block_id": "import",
        "elements": [button(t("button.import", lang), "import_confirm", value, "primary")],
    }


def census_actions(message: OutgoingMessage) -> Block | None:
    """Pause / resume / cancel under the starter's census progress message."""
    controls = message.payload.get("census_controls") or {}
    actions = controls.get("actions") or []
    if not actions:
        return None
    lang = Language(message.payload.get("lang", "en"))
    run = controls.get("run_id")
    # The run the message shows ({"r": id}); recorded before buttons named it, the account.
    value = str(controls["account_id"]) if run is None else json.dumps({"r": int(run)})
    return {
        "type": "actions",
        "block_id": "census",
        "elements": [
            button(t(f"button.census_{a}", lang), f"census_{a}", value,
                   "danger" if a == "cancel" else None)
            for a in actions
        ],
    }  # fmt: skip


def alert_blocks(
    fields: dict[str, Any], lang: Language, status: AlertStatus, status_line: str | None = None
) -> list[Block]:
    head, account, contact, round_, question, answer, why = ALERT_LABELS[lang]
    if fields.get("kind") == "silence":
        head = t("silence_head", lang)
    evidence = ", ".join(f"«{e}»" for e in fields.get("evidence") or []) or t("no_evidence", lang)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"⚠️ {head}"[:150]}},
        {
            "type": "section",
            "fields": [
                mrkdwn(f"*{account}:*\n{escape(str(fields['account']))[:1900]}"),
                mrkdwn(f"*{contact}:*\n{escape(str(fields['contact']))[:1900]}"),
                mrkdwn(f"*{round_}:*\n{escape(str(fields['round']))[:1900]}"),
                mrkdwn(f"*{question}:*\n{escape(str(fields['question']))[:1900]}"),
            ],
        },
    ]
    if fields.get("relapse"):
        blocks.insert(1, {"type": "section", "text": mrkdwn(f"*{escape(str(fields['relapse']))}*")})
    blocks.append({"type": "context", "elements": [mrkdwn(f"*{answer}:*")]})
    after: list[Block] = [
        {"type": "context", "elements": [mrkdwn(f"*{why}:* {escape(evidence)[:2900]}")]}
    ]
    if status_line:
        after.append({"type": "context", "elements": [mrkdwn(f"_{escape(status_line)}_")]})
    # The answer itself; a long one spans several sections, each within Slack's limit, and
    # is shortened (for display only) to what one message holds.
    room = BLOCKS_TEXT_LIMIT - text_size(blocks) - text_size(after) - 300  # 300: the buttons
    note = slack_commands(t("alert_shortened", lang, id=fields.get("alert_id", "?")))
    blocks += shortened_sections(str(fields["answer"]), room, note)
    blocks += after
    actions = ALERT_ACTIONS.get(status, ())
    if actions:
        alert_id = str(fields["alert_id"])
        blocks.append(
            {
                "type": "actions",
                "block_id": "alert",
                "elements": [
                    button(
                        t(f"button.{a}", lang),
                        f"alert_{a}",
                        alert_id,
                        "primary" if a == "resolve" else None,
                    )
                    for a in actions
                ],
            }
        )
    return blocks


def disposition_actions(alert_id: int, lang: Language) -> Block:
    """How did it end? One button per disposition; the note is asked for next."""
    return {
        "type": "actions",
        "block_id": "disposition",
        "elements": [
            button(t(f"disposition.{d.value}", lang), f"alert_d_{d.value}", str(alert_id), None)
            for d in Disposition
        ],
    }


def render_update(message: OutgoingMessage) -> tuple[str, list[Block]]:
    """A delivered message as it should read now: an alert's current state, or a question
    without its buttons (the last part, which is the one that carried them)."""
    lang = Language(message.payload.get("lang", "en"))
    if message.kind == "alert_update":
        fields = message.payload["alert"]
        status = AlertStatus(str(fields.get("status", AlertStatus.OPEN.value)))
        head = t("silence_head", lang) if fields.get("kind") == "silence" else ALERT_LABELS[lang][0]
        fallback = f"{head}: {fields['account']} · {fields['contact']}"
        return escape(fallback), alert_blocks(
            fields, lang, status, message.payload.get("status_line")
        )
    return render(message)[-1]


def render(message: OutgoingMessage) -> list[tuple[str, list[Block]]]:
    """One outgoing message as Slack messages: (fallback text, blocks), in order."""
    lang = Language(message.payload.get("lang", "en"))
    if message.kind == "alert":
        fields = message.payload["alert"]
        head = t("silence_head", lang) if fields.get("kind") == "silence" else ALERT_LABELS[lang][0]
        fallback = f"{head}: {fields['account']} · {fields['contact']}"
        return [(escape(fallback), alert_blocks(fields, lang, AlertStatus.OPEN))]
    text = str(message.payload.get("text", "")) or " "
    pre = bool(message.payload.get("pre"))
    if not pre:
        # Our words name commands as Slack's; from "verbatim_from" on, a client's own words
        # (a follow-up reply) follow, never reworded.
        cut = message.payload.get("verbatim_from")
        cut = cut if isinstance(cut, int) else len(text)
        text = slack_commands(text[:cut]) + text[cut:]
    sections = text_sections(text, code=pre)
    if table := message.payload.get("table"):
        sections += text_sections(str(table), code=True)
    actions = survey_actions(message) or import_actions(message) or census_actions(message)
    batches = batched(sections, MAX_BLOCKS - (1 if actions else 0))
    if actions:
        batches[-1].append(actions)
    fallback = escape(text)[: TEXT_LIMIT - 1]
    # Later parts get a short fallback of their own: notifications and screen readers use it.
    return [(fallback if i == 0 else "…", batch) for i, batch in enumerate(batches)]
