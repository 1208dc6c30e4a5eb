"""A randomly initialised classifier shaped like rubert-tiny2, for costing the `hf` backend.

    .venv/bin/python -m bench.hf_random_model /tmp/rubert-tiny2-shaped
    .venv/bin/python -m bench.sentiment_eval --analyser hf --model-dir /tmp/rubert-tiny2-shaped

No hub is reachable here, so this gives the backend's load time, latency, throughput and
memory for a model of that size (3 layers, 312 wide, 83,828-token vocabulary) with a WordPiece
tokenizer trained on the training answers. Its labels are random: ignore its quality figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.metrics import load_jsonl

ROOT = Path(__file__).resolve().parent.parent


def build(out: Path) -> None:
    import transformers
    from tokenizers import BertWordPieceTokenizer

    texts = [r.text for r in load_jsonl(ROOT / "surveys/sentiment/data/train.jsonl")]
    wordpiece = BertWordPieceTokenizer(lowercase=True, strip_accents=False)
    wordpiece.train_from_iterator(texts, vocab_size=8000, min_frequency=1)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = transformers.BertTokenizerFast(tokenizer_object=wordpiece._tokenizer)
    tokenizer.add_special_tokens(
        {"pad_token": "[PAD]", "unk_token": "[UNK]", "cls_token": "[CLS]", "sep_token": "[SEP]"}
    )
    config = transformers.BertConfig(
        vocab_size=83828,
        hidden_size=312,
        num_hidden_layers=3,
        num_attention_heads=12,
        intermediate_size=600,
        max_position_embeddings=2048,
        id2label={0: "neutral", 1: "positive", 2: "negative"},
        label2id={"neutral": 0, "positive": 1, "negative": 2},
    )
    transformers.set_seed(0)
    transformers.BertForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    build(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
