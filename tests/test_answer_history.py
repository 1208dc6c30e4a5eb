"""An answer's history (surveys/answers.py): one entry per change holding what changed, read
back into the messages the answer is made of; rows in the earlier format (every part on every
entry) read the same."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from surveys import answers
from surveys.model import Answer, Channel
from tests.conftest import T0

TG = Channel.TELEGRAM  # the platform whose pastes are split into pieces: its joins vary
Op = tuple[str, str, str]  # ("add" | "edit", message id, text)


def start(text: str = "The result is good.") -> Answer:
    return Answer(1, 1, "outcome", text, T0, source_message_id="m0")


def apply(answer: Answer, op: Op, n: int) -> Answer:
    """What the service does with a quick further message or an edit (the text it stores)."""
    kind, message, text = op
    now = T0 + timedelta(seconds=n)
    if kind == "add":
        joined, cut = answers.joined(answer, text, TG)
        return answers.with_added(answer, joined, now, (message, text), TG, truncated=cut)
    parts = answers.parts_of(answer)
    if len(parts) > 1:
        whole, _ = answers.from_parts([(m, text if m == message else p) for m, p in parts])
    else:
        whole = text
    return answers.with_new_text(answer, whole, now, (message, text))


def earlier_parts_of(answer: Answer) -> answers.Parts:
    """How the code before this format read the parts: from the latest entry."""
    latest = answer.history[-1] if answer.history else {}
    if isinstance(kept := latest.get("parts"), list) and len(kept) > 1:
        return [(str(m) if m is not None else None, str(t)) for m, t in kept]
    return [(answer.source_message_id, answer.text)]


def apply_earlier_format(answer: Answer, op: Op, n: int) -> Answer:
    """The same change as the code before this format stored it: the whole text before, and
    on a joined answer every part of the text that replaced it."""
    kind, message, text = op
    now = T0 + timedelta(seconds=n)
    parts = earlier_parts_of(answer)
    if kind == "add":
        new_text, _ = answers.joined(answer, text, TG)
        parts = [*parts, (message, text)]
    else:
        parts = [(m, text if m == message else p) for m, p in parts]
        new_text = answers.from_parts(parts)[0] if len(parts) > 1 else text
    entry: dict[str, object] = {"text": answer.text, "replaced_at": now.isoformat()}
    if len(parts) > 1:
        entry["parts"] = [list(p) for p in parts]
    return replace(answer, text=new_text, history=[*answer.history, entry])


OPS: list[Op] = [
    ("edit", "m0", "The result is fine."),  # one message: a plain edit
    ("add", "m1", "The docs were late."),
    ("add", "m2", "Support took days."),
    ("edit", "m1", "The docs came on time."),
    ("edit", "m0", "The result is great."),
    ("add", "m3", "And the demo went well."),
    ("edit", "m3", "The demo went badly."),
]


def test_changes_read_back_as_the_earlier_format_read_them() -> None:
    new, old = start(), start()
    for n, op in enumerate(OPS):
        new, old = apply(new, op, n), apply_earlier_format(old, op, n)
        assert new.text == old.text
        assert answers.parts_of(new) == answers.parts_of(old) == earlier_parts_of(old)
        # Nothing is lost: what the answer read before each change is still there.
        assert answers.earlier_texts(new) == [h["text"] for h in old.history]
        assert answers.earlier_texts(old) == [h["text"] for h in old.history]
    assert answers.parts_of(new) == [
        ("m0", "The result is great."),
        ("m1", "The docs came on time."),
        ("m2", "Support took days."),
        ("m3", "The demo went badly."),
    ]


def test_a_row_in_the_earlier_format_keeps_working_after_new_changes() -> None:
    # An answer stored by the earlier code, then added to and edited by this one.
    old = start()
    for n, op in enumerate(OPS[:4]):
        old = apply_earlier_format(old, op, n)
    assert "parts" in old.history[-1]
    mixed = old
    for n, op in enumerate(OPS[4:], start=4):
        mixed = apply(mixed, op, n)
    reference = old
    for n, op in enumerate(OPS[4:], start=4):
        reference = apply_earlier_format(reference, op, n)
    assert mixed.text == reference.text
    assert answers.parts_of(mixed) == earlier_parts_of(reference)
    assert answers.earlier_texts(mixed) == [h["text"] for h in reference.history]


def test_one_message_answers_and_plain_edits_are_as_before() -> None:
    answer = start()
    assert answers.parts_of(answer) == [("m0", "The result is good.")]
    edited = apply(answer, ("edit", "m0", "Fine"), 0)
    assert edited.history == [{"text": "The result is good.", "replaced_at": T0.isoformat()}]
    assert answers.parts_of(edited) == [("m0", "Fine")]


def test_fifty_quick_messages_grow_the_history_linearly() -> None:
    new, old = start(), start()
    for n in range(1, 50):
        op: Op = ("add", f"m{n}", f"Part {n:02d}: and one more thing about the delivery.")
        new, old = apply(new, op, n), apply_earlier_format(old, op, n)
    assert new.text == old.text and len(answers.parts_of(new)) == 50
    stored = len(json.dumps(new.history, ensure_ascii=False))
    before = len(json.dumps(old.history, ensure_ascii=False))
    assert stored <= 3 * len(new.text), (stored, len(new.text))
    assert before > 40 * len(old.text)  # what the earlier format stored
    # Each entry holds one message: the 50th costs what the 2nd did.
    sizes = [len(json.dumps(e, ensure_ascii=False)) for e in new.history]
    assert max(sizes[1:]) <= min(sizes[1:]) + 2


def test_a_joined_answer_cut_at_the_bound_keeps_its_parts() -> None:
    long = "y" * 30_000
    answer = start(long)
    for n in range(1, 6):
        answer = apply(answer, ("add", f"m{n}", long), n)
    assert len(answer.text) == answers.MAX_JOINED_CHARS and answer.truncated
    assert [m for m, _ in answers.parts_of(answer)] == ["m0", "m1", "m2", "m3", "m4", "m5"]
    edited = apply(answer, ("edit", "m1", "short"), 9)
    assert edited.text.startswith(f"{long}\nshort\n{long}")


def test_only_a_piece_telegram_cut_runs_on_into_the_next_message() -> None:
    # A message of 4,064-4,096 characters was taken for a piece of a Telegram split by its
    # length alone, also on Slack (a message of up to 40,000) and in the console.
    at_limit, under = "x" * 4095 + "!", "word " * 813 + "end."
    assert len(at_limit) == 4096 and 4064 <= len(under) < 4096
    assert answers.glue(at_limit, "Next", TG) == " "
    assert answers.glue("x" * 4096, "next", TG) == ""
    assert answers.glue(under, "next", TG) == " "
    for channel in (Channel.SLACK, Channel.CONSOLE):
        for before in (at_limit, "x" * 4096, under):
            assert answers.glue(before, "next", channel) == "\n"


def test_what_joined_an_added_message_is_kept_and_earlier_rows_read_as_joined() -> None:
    piece = "x" * 4096
    slack = answers.with_added(start(piece), f"{piece}\ny", T0, ("m1", "y"), Channel.SLACK)
    assert slack.history[-1]["glue"] == "\n" and answers.glues_of(slack) == ["\n"]
    # An edit rebuilds it with the break it came with.
    edited = answers.from_parts([("m0", piece), ("m1", "z")], answers.glues_of(slack))[0]
    assert edited == f"{piece}\nz"
    # A row added before the glue was kept: joined by the Telegram rule, read back so.
    earlier = replace(slack, text=piece + "y", history=[
        {k: v for k, v in e.items() if k != "glue"} for e in slack.history
    ])  # fmt: skip
    assert answers.glues_of(earlier) == [""]
