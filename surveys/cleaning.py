"""Text no database can store, made storable: an answer is cleaned and kept, never lost.

PostgreSQL's text type refuses NUL (U+0000), and no UTF-8 encoder takes a lone UTF-16
surrogate (U+D800-U+DFFF, e.g. half of an emoji cut by a client). Each becomes U+FFFD, the
replacement character, so a reader still sees that something was there.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> tuple[str, bool]:
    """``text`` with unstorable characters replaced, and whether any were."""
    cleaned, count = _UNSTORABLE.subn(REPLACEMENT, text)
    return cleaned, count > 0
