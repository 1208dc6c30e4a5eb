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
    if name == "baseline":
        return BaselineAnalyser()
    if name == "default":
        from surveys.sentiment.default import DefaultAnalyser

        return DefaultAnalyser()
    if name == "hf":
        from surveys.sentiment.hf import HFAnalyser

        if not model_dir:
            raise ValueError("the hf analyser needs CANDOR_SENTIMENT_HF_MODEL_DIR")
        return HFAnalyser(model_dir)
    if name == "openai":
        from surveys.sentiment.default import DefaultAnalyser
        from surveys.sentiment.llm import OpenAIAnalyser

        if not url:
            raise ValueError("the openai analyser needs CANDOR_SENTIMENT_OPENAI_URL")
        return OpenAIAnalyser(
            url, model or "gpt-4o-mini", DefaultAnalyser(), api_key=api_key, timeout=timeout
        )
    raise ValueError(f"unknown sentiment analyser {name!r}; known: {', '.join(KNOWN_ANALYSERS)}")


__all__ = ["KNOWN_ANALYSERS", "BaselineAnalyser", "SentimentAnalyser", "make_analyser"]
