"""A person's Slack message as they saw it when they wrote it, not as Slack's markup.

Slack sends the emoji someone picked as shortcodes (":thumbsdown:", ":+1::skin-tone-2:")
and a mention as `<@U123>`; stored raw, staff would read the markup and the sentiment
analyser would judge the words "thumbsdown" instead of 👎 (a Telegram client's 👎 arrives
as the emoji). Shortcodes become Unicode through the `emoji` package's alias table (Slack's
names are GitHub's aliases and CLDR's); a workspace's custom emoji (":partyparrot:") has no
Unicode and stays as its name. What the person typed as `<`, `>`, `&` arrives escaped and
becomes those characters again, so a typed "<@U1>" stays text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import emoji

# A shortcode, with the skin tone Slack sends as a second one right after it.
_SHORTCODE = re.compile(r":([a-z0-9_+'-]+):(?::skin-tone-([2-6]):)?")
# Slack's skin-tone-2..6 are the Fitzpatrick modifiers U+1F3FB..U+1F3FF.
_TONES = {str(n): chr(0x1F3FB + n - 2) for n in range(2, 7)}
_MARKUP = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>|&(lt|gt|amp);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&"}
_MENTION_ID = re.compile(r"<@([UW][A-Z0-9]+)>")


def mentioned(raw: str) -> list[str]:
    """The user ids mentioned in ``raw`` without a name, each once, in order."""
    return list(dict.fromkeys(_MENTION_ID.findall(raw)))


def as_written(raw: str, names: Mapping[str, str] | None = None) -> str:
    """``raw`` Slack message text with emoji as Unicode and mentions as "@name" (from
    ``names`` by user id, else the name the markup carries, else "@U123")."""
    names = names or {}

    def markup(match: re.Match[str]) -> str:
        if match[3]:
            return _ENTITIES[match[3]]
        return "@" + (names.get(match[1]) or match[2] or match[1])

    return _MARKUP.sub(markup, _SHORTCODE.sub(_emoji, raw))


def _emoji(match: re.Match[str]) -> str:
    code = f":{match[1]}:"
    found = emoji.emojize(code, language="alias")
    if found == code:
        return match[0]  # custom or unknown: its name, as Slack shows it without the image
    if not match[2]:
        return found
    # A tone modifies the emoji itself: no text/emoji variation selector between them.
    return found.replace("\ufe0f", "") + _TONES[match[2]]
