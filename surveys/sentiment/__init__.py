"""Sentiment analysis: one interface, several analysers, and a factory by name.

* ``default``: e5 embedding head + rule layer, offline, shipped with the package;
* ``baseline``: the small lexicon analyser it replaced, kept for comparison;
* ``hf``: a local Hugging Face classifier directory (extra ``hf``);
* ``openai``: an OpenAI-compatible chat endpoint, falling back to ``default``.

Heavy modules are imported only when their analyser is made.
"""

from __future__ import annotations

from pathlib import Path

from surveys.sentiment.base import SentimentAnalyser
from surveys.sentiment.baseline import BaselineAnalyser

KNOWN_ANALYSERS: tuple[str, ...] = ("default", "baseline", "hf", "openai")


def missing_option(
    name: str, *, model_dir: str | Path | None = None, url: str | None = None
) -> str | None:
    """The setting analyser ``name`` needs and was not given, if any."""
    if name == "hf" and not model_dir:
        return "CANDOR_SENTIMENT_HF_MODEL_DIR"
    if name == "openai" and not url:
        return "CANDOR_SENTIMENT_OPENAI_URL"
    return None


def make_analyser(
    name: str = "default",
    *,
    model_dir: str | Path | None = None,
    url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> SentimentAnalyser:
    """The analyser called ``name``; the options come from settings and matter to one each."""
    if missing := missing_option(name, model_dir=model_dir, url=url):
        raise ValueError(f"the {name} analyser needs {missing}")
    if name == "baseline":
        return BaselineAnalyser()
    if name == "default":
        from surveys.sentiment.default import DefaultAnalyser

        return DefaultAnalyser()
    if name == "hf":
        from surveys.sentiment.hf import HFAnalyser

        assert model_dir
        return HFAnalyser(model_dir)
    if name == "openai":
        from surveys.sentiment.default import DefaultAnalyser
        from surveys.sentiment.llm import OpenAIAnalyser

        assert url
        return OpenAIAnalyser(
            url, model or "gpt-4o-mini", DefaultAnalyser(), api_key=api_key, timeout=timeout
        )
    raise ValueError(f"unknown sentiment analyser {name!r}; known: {', '.join(KNOWN_ANALYSERS)}")


__all__ = [
    "KNOWN_ANALYSERS",
    "BaselineAnalyser",
    "SentimentAnalyser",
    "make_analyser",
    "missing_option",
]
