"""The baseline analyser: lexicon, negation, question-aware cues and robustness."""

from __future__ import annotations

import pytest

from surveys.model import SentimentLabel
from surveys.sentiment import SentimentAnalyser, make_analyser
from surveys.sentiment.baseline import BaselineAnalyser

NEG = SentimentLabel.NEGATIVE
NEU = SentimentLabel.NEUTRAL
POS = SentimentLabel.POSITIVE

analyser = BaselineAnalyser()


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("не доволен", "outcome"),
        ("Недоволен результатом", "outcome"),
        ("not happy with the result", "outcome"),
        ("unhappy", None),
        ("Terrible", None),
        ("ужасно", "outcome"),
        ("всё плохо", None),
        ("медленно", "speed"),
        ("очень долго отвечали", "speed"),
        ("slow answers", "speed"),
        ("rude", "politeness"),
        ("грубо", "politeness"),
        ("хамство менеджера", "politeness"),
        ("сорвали сроки", "outcome"),
        ("They missed deadlines twice", "outcome"),
        ("really disappointed", None),
        ("разочарована", None),
        ("👎", None),
        ("😡😡", None),
        (":(", None),
        ("не очень доволен", "outcome"),
        ("не очень", "speed"),
        ("not very polite", "politeness"),
        ("не так быстро, как хотелось", "speed"),
        ("нет", "outcome"),
        ("так себе", "outcome"),
        ("I didn't like it", None),
        ("неудобно и некорректно", None),
    ],
)
def test_negative(text: str, question: str | None) -> None:
    assert analyser.analyse(text, question).label is NEG


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("доволен", "outcome"),
        ("Довольны, спасибо!", "outcome"),
        ("отлично", None),
        ("всё хорошо", None),
        ("Всё хорошо", None),  # "ё" and capitals
        ("ВСЕ ХОРОШО", None),
        ("great job", None),
        ("happy", "outcome"),
        ("fast", "speed"),
        ("быстро", "speed"),
        ("вежливо", "politeness"),
        ("polite and helpful", "politeness"),
        ("👍", None),
        ("спасибо", None),
        ("no complaints", None),
        ("претензий нет", None),
        ("нет претензий", None),
        ("Без проблем", None),
        ("без задержек", "speed"),
        ("да", "outcome"),
        ("Результатом довольны)))", "outcome"),
        ("No, all great", None),  # the comma ends the reach of "no"
    ],
)
def test_positive(text: str, question: str | None) -> None:
    assert analyser.analyse(text, question).label is POS


@pytest.mark.parametrize(
    "text", ["-", "ok", "нормально", "в целом норм", "?", "I don't know", "Иван Петров"]
)
def test_neutral_for_unclear_text(text: str) -> None:
    assert analyser.analyse(text, "outcome").label is NEU


@pytest.mark.parametrize(
    ("text", "question"),
    [("not bad", None), ("не плохо", None), ("неплохо", "outcome"), ("недолго", "speed")],
)
def test_negated_negative_is_not_negative(text: str, question: str | None) -> None:
    result = analyser.analyse(text, question)
    assert result.label is not NEG
    assert result.label is POS  # the baseline reads these as mild praise
    assert result.score < analyser.analyse("great", question).score


@pytest.mark.parametrize(
    ("positive", "negated"),
    [
        ("happy", "not happy"),
        ("доволен", "не доволен"),
        ("вежливо", "невежливо"),
        ("быстро", "не быстро"),
        ("polite", "wasn't polite"),
        ("fast", "not really fast"),
    ],
)
def test_negation_flips_positive(positive: str, negated: str) -> None:
    assert analyser.analyse(positive).label is POS
    assert analyser.analyse(negated).label is NEG


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("долго", "speed"),
        ("slow", "speed"),
        ("could be faster", "speed"),
        ("медленно", "speed"),
        ("хотелось бы побыстрее", "speed"),
        ("formal replies", "politeness"),
        ("сухо", "politeness"),
        ("ответы сухие и формальные", "politeness"),
    ],
)
def test_question_aware_cues(text: str, question: str) -> None:
    on_topic = analyser.analyse(text, question)
    off_topic = analyser.analyse(text, "outcome")
    assert on_topic.label is NEG
    # The cue is about this question, so it weighs less when another question was asked.
    assert off_topic.score < on_topic.score


def test_speed_cue_is_weaker_for_outcome() -> None:
    assert analyser.analyse("долго", "outcome").score < analyser.analyse("долго", "speed").score


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Всё отлично, доволен.", "все отлично доволен"),
        ("НЕ ДОВОЛЁН!!!", "не доволен"),
        ("Ужасно. Долго. Грубо.", "ужасно долго грубо"),
    ],
)
def test_case_yo_and_punctuation_do_not_matter(a: str, b: str) -> None:
    ra, rb = analyser.analyse(a, "speed"), analyser.analyse(b, "speed")
    assert (ra.label, ra.score) == (rb.label, rb.score)
    assert ra.label is not NEU


def test_bare_no_to_comment_is_neutral() -> None:
    assert analyser.analyse("нет", "comment").label is NEU
    assert analyser.analyse("no", "comment").label is NEU


@pytest.mark.parametrize(
    ("text", "question"),
    [("быстро, но грубо", "politeness"), ("всё отлично, но можно было быстрее", "speed")],
)
def test_mixed_answer_with_on_topic_complaint_leans_negative(text: str, question: str) -> None:
    assert analyser.analyse(text, question).label is NEG


@pytest.mark.parametrize(
    ("text", "label"),
    [("👍🏻", POS), ("❤️", POS), ("🙂🙂🙂", POS), ("😡", NEG), ("👎🏽👎🏽", NEG), ("🤷", NEU)],
)
def test_emoji_only(text: str, label: SentimentLabel) -> None:
    assert analyser.analyse(text).label is label


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("не доволен", ["не доволен"]),
        ("Честно говоря, НЕ доволен. Сорвали сроки!", ["НЕ доволен", "Сорвали сроки"]),
        ("not very polite :(", ["not very polite", ":("]),
        ("Не очень", ["Не очень"]),
    ],
)
def test_negative_evidence_quotes_original_text(text: str, evidence: list[str]) -> None:
    result = analyser.analyse(text, "politeness")
    assert result.label is NEG
    assert result.evidence == evidence


def test_evidence_only_from_the_winning_side() -> None:
    result = analyser.analyse("быстро, но грубо и хамство", "politeness")
    assert result.label is NEG
    assert result.evidence == ["грубо", "хамство"]


def test_no_cues_means_half_confidence_and_no_evidence() -> None:
    result = analyser.analyse("Иван Петров, отдел закупок")
    assert (result.label, result.score, result.evidence) == (NEU, 0.5, [])


def test_more_cues_mean_more_confidence() -> None:
    one = analyser.analyse("плохо")
    two = analyser.analyse("плохо и медленно, ужасно", "speed")
    assert one.label is two.label is NEG
    assert 0.5 < one.score < two.score <= 1.0


@pytest.mark.parametrize(
    "text",
    ["", "плохо", "отлично!!! 👍👍👍", "не плохо, но долго", "ok", "😡" * 500, "great " * 2000],
)
@pytest.mark.parametrize("question", [None, "outcome", "speed", "politeness", "comment"])
def test_score_is_a_confidence_in_0_1(text: str, question: str | None) -> None:
    score = analyser.analyse(text, question).score
    assert isinstance(score, float)
    assert 0.0 <= score <= 1.0


def test_analyser_id_and_protocol() -> None:
    assert (analyser.name, analyser.version) == ("baseline", "1.0")
    assert analyser.analyse("ok").analyser == "baseline/1.0"
    assert isinstance(BaselineAnalyser(), SentimentAnalyser)
    assert isinstance(make_analyser("baseline"), BaselineAnalyser)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "\n\t  \r\n",
        "а" * 10_000,
        "не " * 3_000,
        "плохо не очень доволен 👍 :( ))) " * 300,
        ")" * 10_000,
        "🤦🏽‍♂️🙂😡",
        "\x00\x01\x1b[31m\x7f",
        "\ud800 lone surrogate",
        "'''’’ -- :-) ;-( =D :P",
        "İstanbul ﬁne Ǆ",
    ],
)
@pytest.mark.parametrize("question", [None, "outcome", "speed", "politeness", "comment", ""])
def test_never_raises(text: str, question: str | None) -> None:
    result = analyser.analyse(text, question)
    assert result.label in set(SentimentLabel)
    assert 0.0 <= result.score <= 1.0
    assert all(isinstance(e, str) and len(e) <= 80 for e in result.evidence)


def test_long_text_keeps_evidence_bounded() -> None:
    text = "Отвечали долго, результат плохой, менеджер грубил. " * 200  # ~10,000 characters
    result = analyser.analyse(text, "speed")
    assert result.label is NEG
    assert len(result.evidence) <= 10
