"""Every user-facing text exists in Russian and English with the same placeholders."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.slack.messenger import RECIPIENT_GONE
from surveys.evidence import checked, clean_evidence, has_words, says_something
from surveys.model import Language, SentimentLabel
from surveys.periods import period_phrase, round_title
from surveys.questions import QUESTION_KEYS, question_text, validate_overrides
from surveys.sentiment.default import DefaultAnalyser
from surveys.texts import CATALOG, noun, t


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_both_languages_with_same_placeholders(key: str) -> None:
    texts = CATALOG[key]
    assert set(texts) == set(Language)
    assert all(text.strip() for text in texts.values())
    assert placeholders(texts[Language.RU]) == placeholders(texts[Language.EN])


def test_unknown_language_falls_back_to_english() -> None:
    assert t("thanks", "de") == CATALOG["thanks"][Language.EN]


def test_account_overrides_replace_question_wording_per_language() -> None:
    overrides = {"speed": {"ru": "Как вам наш темп?"}}
    assert question_text("speed", Language.RU, overrides) == "Как вам наш темп?"
    # No English override: the standard English wording stays.
    assert question_text("speed", Language.EN, overrides) == CATALOG["q.speed"][Language.EN]
    assert question_text("outcome", Language.RU, overrides) == CATALOG["q.outcome"][Language.RU]


@pytest.mark.parametrize(
    "overrides",
    [
        {"price": {"en": "How was the price?"}},
        {"speed": {"de": "Wie schnell?"}},
        {"speed": {"en": " "}},
    ],
)
def test_bad_overrides_are_rejected(overrides: dict[str, dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        validate_overrides(overrides)


def test_three_questions_in_order() -> None:
    assert QUESTION_KEYS == ("outcome", "speed", "politeness")


# --- every text the code asks for exists ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
# Calls whose literal string arguments name catalogue keys.
KEYED_CALLS = {"t": (0,), "_notice": (1, 2), "update_messages": (2,)}


def _looks_like_key(value: object) -> bool:
    return isinstance(value, str) and value.replace("_", "").replace(".", "").isalnum()


def catalogue_keys_in_code() -> set[tuple[str, str]]:
    """(file, key) for every literal key the code passes to t() and the notice helpers."""
    found: set[tuple[str, str]] = set()
    for path in [*ROOT.glob("surveys/**/*.py"), *ROOT.glob("bot/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            for i in KEYED_CALLS.get(str(name), ()):
                arg = node.args[i] if i < len(node.args) else None
                if isinstance(arg, ast.Constant) and _looks_like_key(arg.value):
                    found.add((path.name, str(arg.value)))
    return found


def test_every_text_the_code_asks_for_is_in_the_catalogue_in_both_languages() -> None:
    used = catalogue_keys_in_code()
    assert len(used) > 40  # the scan does find the code's texts
    missing = sorted((f, k) for f, k in used if k not in CATALOG)
    assert missing == []
    for _, key in used:
        assert set(CATALOG[key]) == set(Language), key


@pytest.mark.parametrize("error", sorted(RECIPIENT_GONE))
def test_every_slack_refusal_is_said_in_words(error: str) -> None:
    assert f"reason.{error}" in CATALOG


# --- evidence and period names ---------------------------------------------------------------


def test_evidence_is_each_phrase_once_never_a_cut_copy_or_markup() -> None:
    text = "Ничего не работает. ничего не работает! <b>bad</b>"
    evidence = ["ничего не работает", "ничего не работае", "Ничего не работает", "<b>bad</b>"]
    assert clean_evidence(text, evidence) == ["ничего не работает"]


def test_the_whole_long_message_is_not_evidence() -> None:
    text = "we waited and waited for the release and nobody told us anything about it"
    assert clean_evidence(text, [text, "nobody told us"]) == ["nobody told us"]


@pytest.mark.parametrize(
    ("text", "wordy"),
    [("x" * 10_000, False), ("<b></b><script></script>", False), ("!!! 123 ???", False),
     ("ok", True), ("Всё плохо", True)],
)  # fmt: skip
def test_text_without_words(text: str, wordy: bool) -> None:
    assert has_words(text) is wordy


@pytest.mark.parametrize(
    ("key", "title", "en", "ru"),
    [
        ("manual-2026-11-29", "2026-11-29", "the work in November 2026",
         "нашей работе в ноябре 2026 года"),
        ("sprint-14", "Sprint 14", "Sprint 14", "спринте 14"),
        ("2026-Q3", "2026-Q3", "the work in Q3 2026", "нашей работе в 3-м квартале 2026 года"),
        ("2026-H1", "2026-H1", "the work in the first half of 2026",
         "нашей работе в первом полугодии 2026 года"),
        ("census-2026-H2", "Census 2026-H2", "the work in the second half of 2026",
         "нашей работе во втором полугодии 2026 года"),
        ("census-2026-Q1", "Census 2026-Q1", "the work in Q1 2026",
         "нашей работе в 1-м квартале 2026 года"),
        ("census-2026", "Census 2026", "the work in 2026", "нашей работе в 2026 году"),
    ],
)  # fmt: skip
def test_a_round_is_named_as_a_period(key: str, title: str, en: str, ru: str) -> None:
    assert period_phrase(key, title, Language.EN) == en
    assert period_phrase(key, title, Language.RU) == ru


@pytest.mark.parametrize(
    ("key", "en", "ru"),
    [
        ("census-2026-H1", "H1 2026 user census",
         "Перепись пользователей за 1-е полугодие 2026 г."),
        ("census-2026-Q3", "Q3 2026 user census", "Перепись пользователей за 3-й квартал 2026 г."),
        ("census-2026", "2026 user census", "Перепись пользователей за 2026 год"),
    ],
)  # fmt: skip
def test_a_census_is_titled_in_the_readers_language(key: str, en: str, ru: str) -> None:
    stored = "Census " + key.removeprefix("census-")  # what the round keeps
    assert round_title(key, stored, Language.EN) == en
    assert round_title(key, stored, Language.RU) == ru


@pytest.mark.parametrize(
    ("n", "ru"),
    [(1, "пользователь"), (2, "пользователя"), (4, "пользователя"), (5, "пользователей"),
     (11, "пользователей"), (12, "пользователей"), (21, "пользователь"), (22, "пользователя"),
     (111, "пользователей"), (0, "пользователей")],
)  # fmt: skip
def test_users_are_counted_in_the_right_plural(n: int, ru: str) -> None:
    assert noun(n, "user", Language.RU) == ru
    assert noun(n, "user", Language.EN) == ("user" if n == 1 else "users")


def language_tables() -> list[tuple[str, dict[object, object]]]:
    """Every module-level table keyed by language in surveys/ and bot/ (alert labels, App
    Home headings, ...): texts kept outside the catalogue must be complete too."""
    import importlib
    import pkgutil

    import bot
    import surveys

    tables = []
    for package in (surveys, bot):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name.endswith("__main__"):
                continue
            try:
                module = importlib.import_module(info.name)
            except ImportError:  # an optional backend's dependency is not installed
                continue
            for name, value in vars(module).items():
                keyed = isinstance(value, dict) and value
                if keyed and all(isinstance(k, Language) for k in value):
                    tables.append((f"{info.name}.{name}", value))
    return tables


def test_texts_outside_the_catalogue_exist_in_both_languages() -> None:
    tables = language_tables()
    assert any(name.endswith("ALERT_LABELS") for name, _ in tables)
    for name, table in tables:
        assert set(table) == set(Language), name
        for text in table.values():
            assert text, name


@pytest.mark.parametrize(
    ("text", "says"),
    [("😡", True), ("👍👍", True), ("👎", True), (":(", True), (")))", True), ("(((", True),
     ("2/10", True), ("3 из 5", True), ("x" * 10_000, False), ("<b></b>", False),
     ("!!! 123 ???", False), ("...", False), ("12:00", False)],
)  # fmt: skip
def test_a_message_without_words_may_still_say_something(text: str, says: bool) -> None:
    assert says_something(text) is says


@pytest.mark.parametrize(
    ("text", "label"),
    [("😡", SentimentLabel.NEGATIVE), ("👎👎", SentimentLabel.NEGATIVE),
     ("2/10", SentimentLabel.NEGATIVE), ("👍👍", SentimentLabel.POSITIVE),
     ("!!! ???", SentimentLabel.NEUTRAL)],
)  # fmt: skip
def test_an_emoji_or_rating_answer_keeps_the_analysers_verdict(
    text: str, label: SentimentLabel
) -> None:
    """An emoji-only answer used to be forced neutral as "no words": a 😡 raised no alert."""
    verdict = checked(text, DefaultAnalyser().analyse(text, "outcome"))
    assert verdict.label is label
    if label is SentimentLabel.NEGATIVE:
        assert verdict.evidence  # the owner sees which sign decided it


def test_an_alert_state_has_one_russian_name_everywhere() -> None:
    """Lists, App Home, reports and the alert's own view name a state as its card does
    («Принято: …» → принят, «Решено: …» → решён), not with a synonym."""
    from surveys.alert_view import _status
    from surveys.alerts import status_line
    from surveys.model import AlertStatus
    from surveys.reporting.labels import L

    assert [L(f"alert.{s.value}", Language.RU) for s in AlertStatus] == [
        "открыт",
        "принят",
        "решён",
    ]
    for status in AlertStatus:
        assert _status(status.value, Language.RU) == L(f"alert.{status.value}", Language.RU)
        assert _status(status.value, Language.EN) == L(f"alert.{status.value}", Language.EN)
    assert status_line(AlertStatus.ACKNOWLEDGED, "Оля", Language.RU) == "Принято: Оля"
    assert status_line(AlertStatus.RESOLVED, "Оля", Language.RU) == "Решено: Оля"


def test_no_russian_text_puts_a_name_after_a_preposition() -> None:
    """A name is inserted as written (nominative): «для Анна», «с Анна» read broken, so a
    Russian template names a person after a colon or as a subject, never after a preposition."""
    import re

    from surveys import alert_view, digest, staff

    person = "name|contact|owner|by|who|manager|user"
    broken = re.compile(rf"(?<!\w)(для|с|со|от|к|ко|у|о|об|при|без)\s+\{{({person})\}}", re.I)
    russian = [(k, v[Language.RU]) for k, v in CATALOG.items()] + [
        (k, ru)
        for table in (staff._T, alert_view._LABELS, digest._T)
        for k, (_, ru) in table.items()
    ]
    assert [(k, ru) for k, ru in russian if broken.search(ru)] == []


def test_no_russian_text_declines_an_account_name_it_cannot_decline() -> None:
    """An account's name is inserted as written: «У Ромашка», «Ссылка переписи для Ромашка»,
    «Перепись пользователей Ромашка» read broken. A Russian template puts it after a colon,
    as a subject, or after the word «аккаунт» (in any case) that carries the declension."""
    import re

    from surveys import alert_view, digest, staff

    # The word before an unquoted {account}: a preposition or any other lower-case word
    # asks the name to decline; «аккаунта «{account}»» is fine, and so is a command.
    before = re.compile(r"(?<![\w/])([а-яё]+)\s+\{account\}", re.I)
    russian = [(k, v[Language.RU]) for k, v in CATALOG.items()] + [
        (k, ru)
        for table in (staff._T, alert_view._LABELS, digest._T)
        for k, (_, ru) in table.items()
    ]
    broken = [
        (k, ru)
        for k, ru in russian
        for m in before.finditer(ru)
        if not m[1].lower().startswith("аккаунт") and (m[1].islower() or len(m[1]) <= 2)
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("delta", "en", "ru"),
    [
        ({"days": 3}, "3 days", "3 дней"),
        ({"days": 1}, "1 day", "1 дня"),
        ({"hours": 36}, "36 h", "36 ч"),
        ({"seconds": 90}, "2 min", "2 мин"),
        ({"minutes": 90}, "1 h 30 min", "1 ч 30 мин"),
    ],
)
def test_a_time_to_answer_is_said_as_set_not_rounded_to_days(
    delta: dict[str, int], en: str, ru: str
) -> None:
    # A follow-up window of 36h was announced as "within 2 days", 90s as "within 1 day", and
    # a census's expiry of 36h as «в течение 1 дня» (whole days, floored or rounded).
    from datetime import timedelta

    from surveys.texts import within

    assert within(timedelta(**delta), Language.EN) == en
    assert within(timedelta(**delta), Language.RU) == ru
