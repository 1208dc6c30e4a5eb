"""What the client changed in an alerted answer: the alert's note of each change, and the
changes read back for `/alert`.

A note names the entry of the answer's history that recorded the change ("change": its
index) rather than copying the whole text before it: an answer typed as 50 quick messages
stored every earlier version in its alert's notes (64,026 characters for ~2,500 written).
What the answer read before, and what was added or edited, is rebuilt from the history.
Notes written before this carry "previous_text", the whole answer before; both are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from surveys.answers import earlier_texts, parts_of
from surveys.model import Answer


@dataclass(frozen=True, slots=True)
class Change:
    at: object  # the note's time, as stored
    added: bool  # text added to the answer (a quick further message), else an edit
    before: str  # what changed, as it read before: the edited message, else the whole answer
    text: str | None  # the message added (None where the note predates "change")
    negative: bool | None  # whether the answer read as negative after the change


def change_note(after: Answer, now: datetime, *, negative: bool, added: bool) -> dict[str, Any]:
    """The alert's note of the change ``after`` records as the last entry of its history."""
    note: dict[str, Any] = {
        "edited_at": now.isoformat(), "change": len(after.history) - 1, "negative": negative,
    }  # fmt: skip
    if added:
        note["added"] = True
    return note


def is_change(note: Mapping[str, Any]) -> bool:
    return "edited_at" in note


def changes_of(notes: Sequence[Mapping[str, Any]], answer: Answer | None) -> list[Change]:
    """Each change note of an alert, oldest first, read against ``answer``'s history."""
    history = answer.history if answer is not None else []
    befores = earlier_texts(answer) if answer is not None else []
    out: list[Change] = []
    for note in notes:
        if not is_change(note):
            continue
        at, added = note.get("at") or note.get("edited_at"), bool(note.get("added"))
        negative = note.get("negative") if isinstance(note.get("negative"), bool) else None
        i = note.get("change")
        if not isinstance(i, int) or not 0 <= i < len(history):  # the earlier format
            out.append(Change(at, added, str(note.get("previous_text", "")), None, negative))
            continue
        entry = history[i]
        assert answer is not None
        if added and isinstance(entry.get("added"), list | tuple) and len(entry["added"]) == 2:
            out.append(Change(at, True, befores[i], str(entry["added"][1]), negative))
            continue
        out.append(Change(at, added, _edited_part(answer, i) or befores[i], None, negative))
    return out


def _edited_part(answer: Answer, i: int) -> str | None:
    """The edited message as it read before entry ``i``, when the answer is joined from
    several messages and the edit changed one of them; else None (the whole answer)."""
    edited = answer.history[i].get("part")
    if not (isinstance(edited, list | tuple) and len(edited) == 2):
        return None
    parts = parts_of(replace(answer, history=answer.history[:i]))
    if len(parts) < 2:
        return None
    return next((text for m, text in parts if m == str(edited[0])), None)
