"""A local Hugging Face text-classification model, from a directory the operator provides.

For example a rubert-tiny2 sentiment model saved with ``save_pretrained``. Loaded with
``local_files_only``: nothing is fetched from a hub. Needs the ``hf`` extra
(``pip install 'candor[hf]'``: transformers and torch). The model knows nothing of the
question, so the rule layer supplies the evidence a manager reads.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

from surveys.model import Sentiment, SentimentLabel
from surveys.sentiment import rules

MAX_TOKENS = 256
MAX_EVIDENCE = 10
MAX_EVIDENCE_CHARS = 80
_SIGN = {SentimentLabel.NEGATIVE: -1, SentimentLabel.NEUTRAL: 0, SentimentLabel.POSITIVE: 1}


class HFModelError(RuntimeError):
    """The extra is not installed, or the directory holds no usable classifier."""


def label_map(id2label: dict[int, str]) -> dict[int, SentimentLabel]:
    """Model class index → our label, by the class names models publish."""
    out: dict[int, SentimentLabel] = {}
    for i, name in id2label.items():
        low = name.lower()
        if low.startswith("neg") or low in ("bad", "1 star", "1 stars"):
            out[int(i)] = SentimentLabel.NEGATIVE
        elif low.startswith("pos") or low in ("good",):
            out[int(i)] = SentimentLabel.POSITIVE
        elif low.startswith("neu") or low in ("skip", "speech"):
            out[int(i)] = SentimentLabel.NEUTRAL
    if len(out) < 2 and len(id2label) in (2, 3):
        # Unnamed classes (LABEL_0, …): the usual order, negative first.
        order = (
            (SentimentLabel.NEGATIVE, SentimentLabel.POSITIVE)
            if len(id2label) == 2
            else (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)
        )
        out = {int(i): order[k] for k, i in enumerate(sorted(id2label))}
    if SentimentLabel.NEGATIVE not in out.values():
        raise HFModelError(f"cannot tell which class is negative in {sorted(id2label.values())}")
    return out


class HFAnalyser:
    name = "hf"

    def __init__(self, model_dir: str | Path, *, threads: int | None = 1) -> None:
        path = Path(model_dir).expanduser()
        if not (path / "config.json").is_file():
            raise HFModelError(f"{path} is not a saved Hugging Face model (no config.json)")
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise HFModelError(
                f"the hf backend needs transformers and torch: pip install 'candor[hf]' ({exc})"
            ) from None
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self._model = AutoModelForSequenceClassification.from_pretrained(
                path, local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise HFModelError(f"cannot load a text classifier from {path}: {exc}") from None
        self._model.eval()
        if threads:
            torch.set_num_threads(threads)  # inline scoring: one answer at a time
        self._torch: Any = torch
        self._labels = label_map(dict(self._model.config.id2label))
        self._lock = threading.Lock()
        digest = hashlib.sha256((path / "config.json").read_bytes()).hexdigest()[:8]
        self.version = f"1:{path.name}:{digest}"

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        found = rules.read(text, question)
        with self._lock, self._torch.no_grad():
            enc = self._tokenizer(
                found.text or " ", truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            probs = self._torch.softmax(self._model(**enc).logits[0], dim=-1).tolist()
        by_label = {label: 0.0 for label in SentimentLabel}
        for i, p in enumerate(probs):
            if i in self._labels:
                by_label[self._labels[i]] += p
        label = max(by_label, key=lambda k: by_label[k])
        evidence = found.evidence(_SIGN[label], MAX_EVIDENCE, MAX_EVIDENCE_CHARS)
        return Sentiment(label, round(by_label[label], 3), evidence, f"{self.name}/{self.version}")
