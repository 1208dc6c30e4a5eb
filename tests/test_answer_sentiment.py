"""How an answer typed as several quick messages reads (surveys/answer_sentiment.py): the
joined text, and each message on its own, so a quick add-on about something else
(«Медленно», then «Общались нормально») does not hide the complaint before it, while a
contrast («но результат отличный») or a retraction ("sorry, ignore that, all fine") still
weighs against it as the joined reading does."""

from __future__ import annotations

import pytest

from surveys.answer_sentiment import answer_sentiment, remembering, takes_back
from surveys.model import Sentiment, SentimentLabel
from surveys.sentiment import make_analyser
from surveys.sentiment.base import SentimentAnalyser

NEG, NEU, POS = SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE


class Readings:
    """An analyser reading from a table (anything else is neutral), noting what it read."""

    def __init__(self, table: dict[str, tuple[SentimentLabel, float]]) -> None:
        self.table = table
        self.read: list[str] = []

    def __call__(self, text: str, question: str | None = None) -> Sentiment:
        self.read.append(text)
        label, p = self.table.get(text, (NEU, 0.9))
        return Sentiment(label, p, [f"ev:{text}"], "table/1")


def read(parts: list[str], table: dict[str, tuple[SentimentLabel, float]]) -> Sentiment:
    return answer_sentiment("\n".join(parts), parts, "speed", Readings(table))


# --- the rule, on an analyser that reads what it is told to --------------------------------


@pytest.mark.parametrize(
    ("complaint", "add_on"),
    [
        ("Медленно", "Общались нормально"),
        ("Slow", "People were polite"),
        ("Долго ждали ответа", "Менеджер приятный"),
        ("Took ages to reply", "The docs were great."),
        # Look-alikes of a connective or a retraction: words that only begin like one.
        ("Медленно", "Ноль претензий к общению"),
        ("Медленно", "Нормально общались"),
        ("Медленно", "Хотелось бы отметить вежливость"),
        ("Slow", "Nobody was rude"),
        ("Slow", "Nothing else to add"),
        ("Slow", "Butler-level politeness though"),
        ("Slow", "Stillwater's team was polite"),
    ],
)
def test_a_complaint_then_an_add_on_about_something_else_stays_negative(
    complaint: str, add_on: str
) -> None:
    # Joined, the add-on outweighs the complaint (neutral); the complaint stands on its own.
    table = {complaint: (NEG, 0.92), add_on: (POS, 0.8), f"{complaint}\n{add_on}": (NEU, 0.7)}
    result = read([complaint, add_on], table)
    assert (result.label, result.score, result.evidence) == (NEG, 0.92, [f"ev:{complaint}"])


@pytest.mark.parametrize(
    "reply",
    [
        # A contrast: read with the message before it, as the joined reading does.
        "но результат отличный",
        "Но в целом нормально",
        "зато результат отличный",
        "однако всё успели",
        "Хотя в итоге успели",
        "but the result is great",
        "But overall fine",
        "however, the result is great",
        "though the result is great",
        "Although it all worked out",
        "still, the result is great",
        "…но результат отличный",
        # A retraction: read with everything before it.
        "не, всё нормально, показалось",
        "Нет, вру, всё быстро",
        "Ой, не то написал, всё было быстро",
        "Извините, не туда. Всё быстро",
        "Забудьте, всё было быстро",
        "Шучу, всё быстро",
        "хотя нет, всё было быстро",
        "sorry, ignore that, all fine",
        "Ignore that, it was fine",
        "never mind, it was fine",
        "nvm it was fine",
        "Actually no, it was quick",
        "nope, all good",
        "No. It was fast",
        "Scratch that, it was fine",
        "my bad, wrong chat",
    ],
)
def test_a_contrast_or_a_retraction_is_read_joined_and_may_outweigh_the_complaint(
    reply: str,
) -> None:
    # The reply on its own may read anything (a retraction often reads negative alone:
    # "sorry", "wrong"); it is never read on its own, only with what it answers.
    assert takes_back(reply)
    table = {"Медленно": (NEG, 0.92), reply: (NEG, 0.87), f"Медленно\n{reply}": (POS, 0.8)}
    readings = Readings(table)
    result = answer_sentiment(f"Медленно\n{reply}", ["Медленно", reply], "speed", readings)
    assert (result.label, result.score) == (POS, 0.8)
    assert readings.read == [f"Медленно\n{reply}"]  # one reading: it is the joined one


@pytest.mark.parametrize(
    "text",
    [
        "Общались нормально",
        "Ноль реакции",
        "Нормально",
        "Не ответили вовремя",
        "Нет ответа до сих пор",
        "Неделю ждали",
        "Хотелось бы быстрее",
        "Забыли про нас",
        "Nobody answered",
        "No reply for a week",
        "Nothing works",
        "Butchered the release",
        "Stillness",
        "Actualy slow",
        "Sorryless",
        "People were polite",
    ],
)
def test_words_that_only_begin_like_a_connective_take_nothing_back(text: str) -> None:
    assert not takes_back(text)


def test_a_complaint_is_taken_back_only_by_a_reply_that_follows_it() -> None:
    # A contrast answers the message before it, not a complaint two messages up.
    parts = ["Медленно", "Общались нормально", "но менеджер путался"]
    table = {
        "Медленно": (NEG, 0.92),
        "Общались нормально\nно менеджер путался": (NEU, 0.6),
        "\n".join(parts): (NEU, 0.7),
    }
    assert read(parts, table).label is NEG
    # A contrast right after the complaint does answer it; the add-on after that is apart.
    parts = ["Медленно", "но в итоге успели", "Общались нормально"]
    table = {
        "Медленно": (NEG, 0.92),
        "Медленно\nно в итоге успели": (POS, 0.6),
        "\n".join(parts): (POS, 0.7),
    }
    assert read(parts, table).label is POS
    # A retraction takes back everything before it.
    parts = ["Медленно", "Общались нормально", "не, всё нормально, показалось"]
    table = {"Медленно": (NEG, 0.92), "\n".join(parts): (NEU, 0.8)}
    assert read(parts, table).label is NEU


def test_a_contrast_that_itself_complains_keeps_the_answer_negative() -> None:
    parts = ["Медленно", "Общались нормально", "но менеджер хамил"]
    table = {
        "Медленно": (NEG, 0.92),
        "Общались нормально\nно менеджер хамил": (NEG, 0.95),
        "\n".join(parts): (NEU, 0.7),
    }
    result = read(parts, table)
    assert (result.label, result.score) == (NEG, 0.95)
    assert result.evidence == ["ev:Общались нормально\nно менеджер хамил"]


def test_the_more_certain_negative_reading_gives_the_score_and_the_evidence() -> None:
    joined = "Slow\nPeople were polite"
    part_surer = {"Slow": (NEG, 0.92), joined: (NEG, 0.53)}
    assert read(["Slow", "People were polite"], part_surer).evidence == ["ev:Slow"]
    joined_surer = {"Slow": (NEG, 0.6), joined: (NEG, 0.88)}
    result = read(["Slow", "People were polite"], joined_surer)
    assert (result.score, result.evidence) == (0.88, [f"ev:{joined}"])


def test_nothing_negative_reads_as_the_joined_text() -> None:
    table = {"Fast": (POS, 0.9), "Polite": (POS, 0.8), "Fast\nPolite": (POS, 0.95)}
    result = read(["Fast", "Polite"], table)
    assert (result.label, result.score, result.evidence) == (POS, 0.95, ["ev:Fast\nPolite"])


def test_one_message_is_read_once_and_several_once_more_each() -> None:
    one = Readings({})
    answer_sentiment("Медленно", ["Медленно"], "speed", one)
    assert one.read == ["Медленно"]
    three = Readings({})
    answer_sentiment("a\nb\nc", ["a", "b", "c"], "speed", three)
    assert three.read == ["a\nb\nc", "a", "b", "c"]


def test_a_message_past_the_answers_bound_is_not_read() -> None:
    # The stored answer was cut at its bound: only what it keeps is read, and no evidence
    # quotes words the answer no longer has.
    readings = Readings({})
    answer_sentiment(
        "first\nsecond is c", ["first", "second is cut here", "third"], "speed", readings
    )
    assert readings.read == ["first\nsecond is c", "first", "second is c"]


def test_remembered_readings_are_read_once_and_each_caller_gets_its_own_evidence() -> None:
    readings = Readings({"Медленно": (NEG, 0.92)})
    read = remembering(readings, size=2)
    first, again = read("Медленно", "speed"), read("Медленно", "speed")
    assert first == again and readings.read == ["Медленно"]
    first.evidence.append("changed by one caller")
    assert read("Медленно", "speed").evidence == ["ev:Медленно"]
    read("Медленно", "outcome")  # another question is another reading
    assert readings.read == ["Медленно", "Медленно"]


def test_the_messages_are_read_by_the_part_scorer_and_the_joined_text_by_the_other() -> None:
    joined, parts = Readings({}), Readings({})
    answer_sentiment("a\nb", ["a", "b"], "speed", joined, parts)
    assert (joined.read, parts.read) == (["a\nb"], ["a", "b"])


# --- the default analyser --------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyser() -> SentimentAnalyser:
    return make_analyser("default")


@pytest.mark.parametrize(
    ("question", "parts", "evidence"),
    [
        ("speed", ["Медленно", "Общались нормально"], ["Медленно"]),
        ("speed", ["Slow", "The people were nice"], ["Slow"]),
        ("speed", ["Slow", "The team was friendly and helpful"], ["Slow"]),
    ],
)
def test_an_add_on_does_not_hide_a_complaint_from_the_default_analyser(
    analyser: SentimentAnalyser, question: str, parts: list[str], evidence: list[str]
) -> None:
    whole = "\n".join(parts)
    assert analyser.analyse(whole, question).label is not NEG  # what the bug was
    result = answer_sentiment(whole, parts, question, analyser.analyse)
    assert result.label is NEG and result.evidence == evidence
    assert result == analyser.analyse(parts[0], question)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("outcome", ["долго", "но результат отличный"]),
        ("outcome", ["Медленно", "но результат отличный"]),
        ("outcome", ["slow", "but the result is great"]),
        ("speed", ["Slow", "never mind, it was fine"]),
        ("speed", ["Slow", "actually no, it was quick"]),
        ("speed", ["Медленно", "Забудьте, всё было быстро"]),
    ],
)
def test_a_contrast_or_a_retraction_still_outweighs_it_for_the_default_analyser(
    analyser: SentimentAnalyser, question: str, parts: list[str]
) -> None:
    whole = "\n".join(parts)
    result = answer_sentiment(whole, parts, question, analyser.analyse)
    assert result.label is not NEG
    assert result == analyser.analyse(whole, question)
