"""The default analyser on how real clients write (issue 11): each pattern, in both languages.

Our own examples, not texts from any evaluation or development set. The rule-level tests
check the reading the head is given; the analyser-level tests check the verdict an owner
sees (an alert or not).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from surveys.model import SentimentLabel
from surveys.sentiment import make_analyser, ngrams, rules
from surveys.sentiment.default import DefaultAnalyser

NEG = SentimentLabel.NEGATIVE


@pytest.fixture(scope="module")
def analyser() -> DefaultAnalyser:
    result = make_analyser("default")
    assert isinstance(result, DefaultAnalyser)
    return result


SARCASM = [
    "Круто, опять всё сломали",
    "Отлично, опять ничего не работает",
    "Спасибо, благодаря вам потеряли целый день",
    "thanks to you I lost a day",
    "Great, another outage",
    "Wow, thanks for breaking the build again",
    "Ну спасибо, что хоть к концу года сделали",
    "Спасибо, конечно, но ждали мы месяц",
]
NEGATED_WARNINGS = [
    "никогда не связывайтесь с ними",
    "не тратьте время",
    "не обращайтесь к ним",
    "don't waste your time",
    "don't bother with them",
    "never again",
]
PROFANITY = [
    "пиздец, а не поддержка",
    "вы там идиоты все?",
    "это говно, а не сервис",
    "what the fuck is this",
    "you guys are morons",
    "shit support as usual",
    "нихуя не работает",
    "ну не бесите уже",
]
EMOTIONLESS_COMPLAINTS = [
    "ждали ответа три дня",
    "до сих пор нет ответа",
    "третий день без связи",
    "I waited and waited",
    "on hold for 1.5 hours",
    "still no reply after a week",
]
SMILEY_COMPLAINTS = [
    "лучше бы сразу сделали нормально :)",
    "опять всё упало :)",
    "надо было сразу тестировать)",
    "should have just tested it first :)",
    "still broken :)",
]
# Reviews and tweets name the flaw or ask the angry question; no feeling word in them.
FLAWS_AND_COMPLAINT_QUESTIONS = [
    "приложение глючное",
    "опять накосячили с отчётом",
    "суп безвкусный",
    "сколько можно ждать?",
    "ну сколько можно?!",
    "надоело, третий раз пишу",
    "не стоит своих денег",
    "опять повышаете тарифы",
    "до поддержки дозвониться невозможно",
    "The pasta was bland.",
    "The app is buggy and unusable.",
    "Why can't it just work?",
    "how many times do I have to ask?",
    "I would be a lot happier if it didn't freeze every hour",
    "Look elsewhere.",
    # Not coming back, a service stopped, the flaw named (reviews and tweets).
    "We won't be coming back.",
    "Never going back there again",
    "больше к вам не вернусь",
    "ноги моей здесь больше не будет",
    "деньги так и не вернули",
    "This is the last time I order from them.",
    "The room was cramped and the carpet dirty.",
    "Зал тесный, а суп мерзкий",
    "Банк на неделю приостановил обслуживание карт",
    "My account was suspended for no reason",
    # A feeling named with no complaint word.
    "обидно, что никто так и не ответил",
    "боюсь, что к релизу опять не успеете",
    "I'm fed up with these outages",
    "Honestly sick of chasing you for updates",
    # Hedged: polite, and still a complaint ("could be better" came out as praise).
    "could be better",
    "Could have been better, to be honest.",
    "могло быть и лучше",
    "the timeline slipped twice",
]
QUESTIONS_AND_FACTS = [
    "Когда будет следующий релиз?",
    "Подскажите, пожалуйста, где посмотреть счёт?",
    "Релиз в пятницу, как договаривались.",
    "Вчера обновили сервер.",
    "Is the deploy on Friday?",
    "Could you send the invoice again, please?",
    "We moved the meeting to Tuesday.",
    "The new version is on staging now.",
]


@pytest.mark.parametrize(
    "text",
    SARCASM
    + NEGATED_WARNINGS
    + PROFANITY
    + EMOTIONLESS_COMPLAINTS
    + SMILEY_COMPLAINTS
    + FLAWS_AND_COMPLAINT_QUESTIONS,
)
@pytest.mark.parametrize("question", [None, "outcome"])
def test_complaints_in_human_wording_raise_an_alert(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    assert analyser.analyse(text, question).label is NEG


@pytest.mark.parametrize("text", QUESTIONS_AND_FACTS)
@pytest.mark.parametrize("question", [None, "outcome", "speed"])
def test_questions_facts_and_requests_raise_no_alert(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    assert analyser.analyse(text, question).label is not NEG


@pytest.mark.parametrize("text", SARCASM)
def test_sarcasm_is_read_as_a_complaint_not_praise(text: str) -> None:
    found = rules.read(text)
    assert found.sarcasm
    assert found.positive == 0
    assert found.evidence(-1)


@pytest.mark.parametrize(
    "text",
    NEGATED_WARNINGS + PROFANITY + EMOTIONLESS_COMPLAINTS + FLAWS_AND_COMPLAINT_QUESTIONS,
)
def test_rules_see_the_complaint(text: str) -> None:
    found = rules.read(text)
    assert rules.verdict(found)[0] == -1
    assert found.positive == 0


@pytest.mark.parametrize("text", SMILEY_COMPLAINTS)
def test_a_smile_inside_a_complaint_does_not_make_it_praise(text: str) -> None:
    found = rules.read(text)
    assert found.negative > 0
    assert found.positive == 0


@pytest.mark.parametrize(
    "text",
    [
        "благодаря вам всё заработало",
        "thanks to you we launched on time",
        "Спасибо за быстрое решение проблемы",
        "Thanks for the quick fix!",
        "Отлично, всё работает :)",
        "Great, thanks!",
    ],
)
def test_sincere_thanks_and_smiles_stay_praise(analyser: DefaultAnalyser, text: str) -> None:
    assert rules.read(text).sarcasm is False
    assert analyser.analyse(text, "outcome").label is SentimentLabel.POSITIVE


def test_a_plain_imperative_is_not_a_warning() -> None:
    # Only the denied imperative warns; "обращайтесь" on its own is an invitation.
    assert rules.read("если что, обращайтесь").negative == 0
    assert rules.read("спасибо, будем обращаться ещё").negative == 0


def test_a_text_without_a_complaint_cue_needs_the_higher_bar(tmp_path: Path) -> None:
    from dataclasses import replace

    from surveys.sentiment import head as head_module

    strict = replace(head_module.load(), no_cue_threshold=0.999)
    path = tmp_path / "head.json"
    strict.save(path)
    shutil.copy(head_module.DEFAULT_PATH.with_name(ngrams.NGRAM_FILE), tmp_path)
    analyser = DefaultAnalyser(model_path=path)
    assert analyser.analyse("Релиз опять перенесли, ждём вторую неделю", "speed").label is NEG
    # No cue at all: whatever the embedding says, below 0.999 it is no alert.
    assert analyser.analyse("Когда будет следующий релиз?", None).label is not NEG
    assert head_module.load(path).no_cue_threshold == 0.999


@pytest.mark.parametrize(
    "text", [*SARCASM, *NEGATED_WARNINGS, *PROFANITY, "до сих пор нет ответа", "on hold again"]
)
def test_alarms_are_what_the_rules_read_as_a_plain_complaint(text: str) -> None:
    assert rules.read(text).alarm


@pytest.mark.parametrize(
    "text",
    ["Спасибо, всё работает", "не работает только экспорт, остальное отлично", "Is it down?"],
)
def test_no_alarm_when_something_good_is_said_or_nothing_is_wrong(text: str) -> None:
    assert not rules.read(text).alarm


@pytest.mark.parametrize(
    "text", ["Банк попал под санкции", "оштрафовали за просрочку", "The company was sued again"]
)
def test_bad_news_for_the_company_is_an_alarm(text: str) -> None:
    # Tweets about a bank or an operator that report bad news for it are read (and labelled
    # by people) as negative about it; the embedding reads them as neutral news.
    found = rules.read(text)
    assert found.negative > 0 and found.alarm


@pytest.mark.parametrize("text", ["без штрафов и комиссий", "no hidden fees, no fines"])
def test_bad_news_denied_is_no_complaint(text: str) -> None:
    found = rules.read(text)
    assert found.negative == 0 and not found.alarm


@pytest.mark.parametrize(
    "text",
    [
        "We'll definitely be back!",
        "Can't wait to come back",
        "Спасибо, обязательно вернёмся",
        "Компания возвращается на рынок",
        "The return policy is 30 days",
        "I forgot my password, how do I reset it?",
        "Не бойтесь, всё получится",
        "не жалуюсь, всё хорошо",
        "I'm not afraid to recommend them",
    ],
)
def test_coming_back_returns_and_denied_fears_are_no_complaint(text: str) -> None:
    assert rules.read(text).negative == 0


@pytest.mark.parametrize(
    "text",
    [
        "RT @fuckups_daily: release notes are out http://t.co/x1",
        "@shitty_bot when is the next release?",
        "@idiot_proof_ru подскажите, где счёт?",
        "see https://example.com/fail/worst-case for the spec",
    ],
)
def test_handles_and_links_name_no_feeling(text: str) -> None:
    found = rules.read(text)
    assert found.negative == 0 and found.positive == 0


def test_a_bare_link_says_nothing(analyser: DefaultAnalyser) -> None:
    result = analyser.analyse("https://t.co/abc123", None)
    assert result.label is SentimentLabel.NEUTRAL


@pytest.mark.parametrize(
    "text",
    [
        "Дорогой Иван, спасибо за помощь",
        "Why is the demo on Monday?",
        "Worth every penny",
        "Сколько можно взять в рассрочку?",
        "After my 3rd time there they knew my name",
    ],
)
def test_lookalikes_of_the_new_cues_are_no_complaint(text: str) -> None:
    assert rules.read(text).negative == 0


# Session 20: wording found by trying the analyser by hand. Each alerted with the head alone
# (a lukewarm «Так себе» answering "outcome" was even read as praise).
HAND_TRIED_COMPLAINTS = [
    ("Так себе.", "outcome"),
    ("meh", "speed"),
    ("Как всегда, всё в последний момент.", "outcome"),
    ("Everything at the last minute, as usual.", "outcome"),
    ("Ни здрасте, ни до свидания.", "politeness"),
    ("They never say hello, not even a thank you.", "politeness"),
    ("Простую правку делали месяц.", "speed"),
    ("A one-line change took them a month.", "outcome"),
    ('Oh great, another "quick fix" that took three weeks', "outcome"),
    ("We had to redo it ourselves.", "outcome"),
    ("Пришлось переделывать самим.", "outcome"),
    ('Ответ "быстрый", через неделю.', "speed"),
]


@pytest.mark.parametrize(("text", "question"), HAND_TRIED_COMPLAINTS)
def test_hand_tried_complaints_alert(analyser: DefaultAnalyser, text: str, question: str) -> None:
    assert rules.read(text, question).alarm
    assert analyser.analyse(text, question).label is NEG


def test_weeks_for_a_small_task_is_quoted_whole_and_the_task_is_no_praise() -> None:
    found = rules.read("Two weeks for a typo fix.", "speed")
    assert found.positive == 0  # "fix" names the task here
    assert found.evidence(-1) == ["Two weeks for a typo fix"]
    assert rules.read("We had to redo it ourselves.").evidence(-1) == ["had to redo it ourselves"]


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Took about two weeks, as planned.", "speed"),
        ("Заняло две недели, как и договаривались.", "speed"),
        ("Small fixes ship once a week.", "speed"),
        ("Мелкие правки выкатываем раз в неделю.", "speed"),
        ("На прошлой неделе исправили опечатку.", "speed"),
        ("Last week they fixed a typo.", "speed"),
        ("Мы сами затянули, пришлось ждать юристов.", "speed"),  # the client's own delay
        ('Мы назвали релиз "Быстрый старт" и он удался', "outcome"),  # a name in quotes
        ('Our CEO said: "great"', "outcome"),  # praise reported, not mocked
    ],
)
def test_lookalikes_of_the_hand_tried_complaints_are_none(text: str, question: str) -> None:
    assert not rules.read(text, question).alarm
    assert rules.read(text, question).negative == 0


@pytest.mark.parametrize(
    "text", ["They saved us at the last minute", "Спасли нас в последний момент"]
)
def test_rescued_at_the_last_minute_is_no_alarm(text: str) -> None:
    assert not rules.read(text, "outcome").alarm


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("Сроки соблюдают.", 1),
        ("Deadlines are met.", 1),
        ("They meet deadlines.", 1),
        ("Сроки не соблюдают.", -1),
        ("Сроки никогда не соблюдают.", -1),
        ("Deadlines are rarely met.", -1),
        ("Deadlines were not met.", -1),
        ("They rarely meet deadlines.", -1),
        ("Редко отвечают.", -1),
        ("Rarely late.", 1),
        ("Пять звёзд.", 1),
        ("5 stars", 1),
        ("One star.", -1),
    ],
)
def test_deadlines_kept_or_not_and_stars_read_their_way(text: str, sign: int) -> None:
    found = rules.read(text, "speed")
    assert (found.positive > found.negative) == (sign > 0)
    assert (found.negative > found.positive) == (sign < 0)


def test_a_line_break_ends_a_sentence() -> None:
    # Quick messages are joined by a line break: «нет» must not deny «Доволен» across it.
    found = rules.read("Доволен\nПретензий нет", "outcome")
    assert found.negative == 0 and found.positive > 0
    assert rules.read("Two weeks for\na typo fix", "speed").alarm is False


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Slow\nsorry, ignore that, all fine", "speed"),
        ("Медленно\nне, всё нормально, показалось", "speed"),
        ("Долго. Забудьте, всё нормально", "speed"),
        ("Rude reply. Never mind, wrong chat.", "politeness"),
    ],
)
def test_a_complaint_taken_back_raises_no_alert(
    analyser: DefaultAnalyser, text: str, question: str
) -> None:
    assert rules.read(text, question).retracted
    assert analyser.analyse(text, question).label is not NEG


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Грубо, мне показалось", "politeness"),  # a hedge, not a retraction
        ("Never mind, still slow.", "speed"),  # the complaint comes after
        ("Забудьте, всё равно ждали три недели", "speed"),
    ],
)
def test_a_hedge_or_a_complaint_after_the_retraction_still_alerts(
    analyser: DefaultAnalyser, text: str, question: str
) -> None:
    assert not rules.read(text, question).retracted
    assert analyser.analyse(text, question).label is NEG


# Session 21, tried by hand: praise for a harm named right after it, a rhetorical question
# about the basic work, an outage in the team's slang, asking more than once.
PRAISE_FOR_A_HARM = [
    ("nice job breaking the build on a friday", "outcome"),
    ("Great job breaking prod on a Friday", "outcome"),
    ("nice work losing the backup", "outcome"),
    ("thank you for breaking production", "outcome"),
    ("спасибо, что в пятницу вечером положили прод", "outcome"),
    ("Спасибо, что опять сломали прод", "outcome"),
    ("спасибо за то, что проигнорировали письмо", "politeness"),
]


@pytest.mark.parametrize(("text", "question"), PRAISE_FOR_A_HARM)
def test_praise_for_a_harm_is_sarcasm(analyser: DefaultAnalyser, text: str, question: str) -> None:
    found = rules.read(text, question)
    assert found.sarcasm and found.positive == 0
    assert analyser.analyse(text, question).label is NEG


@pytest.mark.parametrize(
    "text",
    [
        "nice job fixing the bug",
        "great job catching that broken link",
        "thanks for fixing the broken build",
        "спасибо, что починили то, что сломалось",
        "thanks for the help, sorry about the mess",
    ],
)
def test_praise_for_fixing_a_harm_stays_praise(text: str) -> None:
    found = rules.read(text, "outcome")
    assert not found.sarcasm and found.positive > 0


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        ("do you ever test anything?", "outcome", True),
        ("Do you guys even read emails?", "politeness", True),
        ("вы вообще тестируете?", "outcome", True),
        ("Вы вообще читаете почту?", "speed", True),
        ("have you ever considered a monorepo?", "outcome", False),
        ("Вы вообще работаете по выходным?", "speed", False),
        ("Do you test on staging first?", "outcome", False),
        ("положили прод в пятницу вечером", "outcome", True),
        ("уронили сервер посреди дня", "outcome", True),
        ("положили документы в папку", "outcome", False),
        ("I've asked twice already", "speed", True),
        ("I've asked multiple times for an update", "speed", True),
        ("Asked a question, got a quick answer", "speed", False),
    ],
)
def test_rhetorical_questions_outages_and_asking_again(
    analyser: DefaultAnalyser, text: str, question: str, alert: bool
) -> None:
    assert rules.read(text, question).alarm is alert
    assert (analyser.analyse(text, question).label is NEG) is alert


@pytest.mark.parametrize(
    "text",
    [
        "I'm curious how the new release went",  # not "furious"
        "Thanks for writing back",  # not "waiting"
        "My brother recommended you",  # not "bother"
        "We changed the plan",  # not "charged"
        "They married last year",  # not "arrived"
        "Closing the ticket now",  # not "losing"
        "The headline is fine",  # not "deadline"
        "An effective meeting",  # not "defective"
    ],
)
def test_real_english_words_are_not_read_as_misspelt_cues(text: str) -> None:
    assert rules.read(text, "outcome").negative == 0


@pytest.mark.parametrize(
    "text", ["dissapointed", "disapointed", "unprofessinal", "horibble", "terrrible service"]
)
def test_misspelt_complaints_are_still_read(text: str) -> None:
    assert rules.read(text, "outcome").negative > 0


# Praise with an exception carved out: the exception is the complaint the owner needs («Кроме
# Сергея, все вежливые» was praise at 0.89 for politeness), whatever was asked.
EXCEPTION_COMPLAINTS = [
    ("Кроме Сергея, все вежливые", "politeness"),
    ("Кроме Сергея, все вежливые", "outcome"),
    ("Все вежливые, за исключением Петра", "politeness"),
    ("Все отвечали быстро, кроме бухгалтерии", "speed"),
    ("Все отвечали быстро, кроме бухгалтерии", "politeness"),
    ("Все молодцы, кроме Ивана", "outcome"),
    ("Всё отлично, кроме сроков", "speed"),
    ("Everyone's polite except for the new PM", "politeness"),
    ("Everyone's polite except for the new PM", None),
    ("All good apart from the designer, who ignored us", "speed"),
    ("All good apart from the designer, who ignored us", "outcome"),
    ("Everyone was great except Mike", "outcome"),
    ("Great team, except for the QA lead", "politeness"),
    ("Everyone was quick to respond except the finance team", "speed"),
    ("All great except the deadlines", "outcome"),
    ("Everyone except Anna was super helpful", "outcome"),
    ("Все, кроме дизайнера, работали отлично", "outcome"),
    ("Отличная команда, за исключением тимлида", "politeness"),
    ("Everyone was friendly other than the account manager", "politeness"),
    ("Всё хорошо, если не считать бухгалтерии", "speed"),
    ("Кроме того, что сорвали сроки, всё отлично", "outcome"),  # «кроме того, что»: except
    ("Nobody was rude except Mike", "politeness"),
]


@pytest.mark.parametrize(("text", "question"), EXCEPTION_COMPLAINTS)
def test_praise_with_an_exception_carved_out_alerts(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    found = rules.read(text, question)
    assert found.alarm and found.positive == 0
    assert analyser.analyse(text, question).label is NEG


def test_the_exception_is_quoted_with_the_praise_it_is_carved_from() -> None:
    assert rules.read("Кроме Сергея, все вежливые", "politeness").evidence(-1) == [
        "Кроме Сергея, все вежливые"
    ]
    found = rules.read("Everyone's polite except for the new PM", "politeness")
    assert found.evidence(-1) == ["polite except for the new PM"]


# A trivial exception the client itself calls small, beside strong praise, is no alert: the
# owner would not call a client who said "everything was perfect" (documented in MODEL.md).
# Neither is the client's own delay, thanks as the only thing left to say, nor «кроме того».
EXCEPTION_LOOKALIKES = [
    ("Except for a small typo, everything was perfect", "outcome"),
    ("Кроме мелкой опечатки, всё идеально", "outcome"),
    ("Кроме пары мелочей, всё отлично", "outcome"),
    ("Все молодцы, кроме меня — я долго отвечал", "speed"),
    ("Everyone was great except me, I was slow to reply", "speed"),
    ("Nothing to add except thanks", None),
    ("Nothing to add except thanks", "outcome"),
    ("Nothing to add except thanks", "politeness"),
    ("Кроме спасибо добавить нечего", "outcome"),
    ("Ничего, кроме благодарности", "politeness"),
    ("Кроме того, всё отлично", "outcome"),
    ("Кроме скорости, порадовало качество", "speed"),  # "besides", not "except"
    ("Besides being fast, they were also polite", "politeness"),
]


# Neither praise nor a complaint about the team: an exception that is no one's work, the
# client itself, "besides" (with "also"/«ещё и»), «кроме шуток».
EXCEPTION_NOT_CARVED = [
    ("Рекомендую всем, кроме конкурентов", "outcome"),
    ("Thanks for everything except the weather :)", "outcome"),
    ("Кроме меня, все довольны", "outcome"),
    ("Other than that, everything was great", "outcome"),
    ("Кроме шуток, всё супер", "outcome"),
    ("Кроме дизайна, они ещё и тексты написали, спасибо", "outcome"),
    ("Apart from the design, they also wrote the copy. Great!", "outcome"),
]


@pytest.mark.parametrize(("text", "question"), EXCEPTION_LOOKALIKES + EXCEPTION_NOT_CARVED)
def test_no_exception_is_read_where_none_is_carved_out(text: str, question: str | None) -> None:
    found = rules.read(text, question)
    assert not found.alarm and found.negative == 0


@pytest.mark.parametrize(
    ("text", "question"),
    [*EXCEPTION_NOT_CARVED, ("Except for one small delay, everything was great", "speed")],
)
def test_lookalikes_of_an_exception_are_no_alert(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    assert analyser.analyse(text, question).label is not NEG


@pytest.mark.parametrize(("text", "question"), EXCEPTION_LOOKALIKES)
def test_lookalikes_of_an_exception_carved_out_raise_no_alert(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    found = rules.read(text, question)
    assert not found.alarm and found.negative == 0
    assert analyser.analyse(text, question).label is SentimentLabel.POSITIVE


# Broken promises: something else, less, or later than promised (read as praise or neutral:
# "delivered", and a date named, say nothing bad to the embedding).
PROMISE_COMPLAINTS = [
    ("They promised one thing and delivered another", "outcome"),
    ("They promised one thing and delivered another", None),
    ("Обещали одно, сделали другое", "outcome"),
    ("Обещали к пятнице, сделали через месяц", "speed"),
    ("Обещали к пятнице, сделали через месяц", "outcome"),
    ("Обещали к пятнице.\nСделали через месяц", "speed"),
    ("Promised Friday, delivered a month later", "speed"),
    ("Promised Friday, delivered a month later", "politeness"),
    ("Promised a lot, delivered little", "speed"),
    ("Обещали много, сделали мало", "speed"),
    ("We were promised a fix within a week and it took two months", "outcome"),
    ("Обещали за неделю, сделали за два месяца", "outcome"),
    ("Обещали золотые горы", "outcome"),
    ("Наобещали с три короба", "outcome"),
    ("Обещали к маю, сделали в сентябре", "speed"),
    ("Обещали к пятнице, сделали в понедельник", "speed"),  # the Monday after
    ("Promised two weeks, took three months", "outcome"),
    ("They promised the moon and delivered nothing", "outcome"),
    ("Обещание не сдержали", "outcome"),
    ("They didn't keep their promise", "politeness"),
    ("Сделали не так, как обещали", "speed"),
    ("Not what they promised", "speed"),
    ("Сделали позже, чем обещали", "outcome"),
    ("Delivered later than promised", "outcome"),
]


@pytest.mark.parametrize(("text", "question"), PROMISE_COMPLAINTS)
def test_broken_promises_alert(analyser: DefaultAnalyser, text: str, question: str | None) -> None:
    found = rules.read(text, question)
    assert found.alarm and found.positive == 0
    assert analyser.analyse(text, question).label is NEG


def test_a_broken_promise_is_quoted_whole() -> None:
    found = rules.read("Обещали к пятнице, сделали через месяц", "speed")
    assert found.evidence(-1) == ["Обещали к пятнице, сделали через месяц"]
    found = rules.read("They promised one thing and delivered another", "outcome")
    assert found.evidence(-1) == ["promised one thing and delivered another"]


# Kept, or kept early: no alert, and early is praise («…сделали в четверг» alerted at 0.71).
PROMISE_KEPT = [
    ("They delivered what they promised", None),
    ("They delivered what they promised", "politeness"),
    ("Сделали всё, как обещали", "outcome"),
    ("Сделали всё, как обещали", "politeness"),
    ("Всё как обещали", None),
    ("Promised Friday and delivered Thursday", "speed"),
    ("Promised Friday and delivered Thursday", "outcome"),
    ("Обещали к пятнице, сделали в четверг", "speed"),
    ("Обещали к пятнице, сделали в четверг", None),
    ("Обещали сделать за месяц, сделали за две недели", "speed"),
    ("Сделали даже раньше, чем обещали", "speed"),
    ("Delivered earlier than promised", "outcome"),
    ("Promised by March, delivered in February", "speed"),
    ("Обещали к марту, сделали в феврале", "speed"),
    ("Promised a month, took two weeks", "speed"),
    ("Обещали перезвонить и перезвонили", "speed"),  # a complaint at 0.91 before
    ("Обещали перезвонить через час, перезвонили через час", "speed"),
    ("They promised to fix it by Monday and did", "outcome"),
    ("Обещали скидку и дали", "politeness"),
    ("Обещание сдержали", "politeness"),
    ("They kept their promise", "outcome"),
]


@pytest.mark.parametrize(("text", "question"), PROMISE_KEPT)
def test_promises_kept_or_beaten_raise_no_alert(
    analyser: DefaultAnalyser, text: str, question: str | None
) -> None:
    found = rules.read(text, question)
    assert not found.alarm and found.negative == 0 and found.positive > 0
    assert analyser.analyse(text, question).label is not NEG


@pytest.mark.parametrize(
    "text", ["Обещали к пятнице", "They promised it for Friday", "Обещали перезвонить через час"]
)
def test_a_promise_alone_is_no_complaint(text: str) -> None:
    found = rules.read(text, "speed")
    assert found.negative == 0 and not found.alarm


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("Все молодцы, кроме меня — я долго отвечал. А вот поддержка хамила", "politeness"),
        # «грубила» is no lexicon word: only the head reads it, so nothing may cap it
        ("Все молодцы, кроме меня — я долго отвечал. А вот поддержка грубила", "politeness"),
        ("Все молодцы, кроме меня, а поддержка грубила", "politeness"),
        ("Promised Friday and delivered Thursday, but it broke the same day", "outcome"),
        ("Обещали перезвонить и перезвонили через неделю", "speed"),
    ],
)
def test_an_excuse_does_not_cover_a_complaint_beside_it(
    analyser: DefaultAnalyser, text: str, question: str
) -> None:
    # Excused (P(negative) capped) only while no complaint is left: here one is.
    assert not rules.read(text, question).excused
    assert analyser.analyse(text, question).label is NEG


@pytest.mark.parametrize("text", ["Поддержка грубила", "Менеджер грубит клиентам"])
def test_rudeness_as_a_verb_is_a_complaint(text: str) -> None:
    assert rules.read(text, "politeness").negative > 0


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Took longer than estimated, as usual", True),
        ("Delivered later than expected", True),
        ("Longer than I'd like", True),
        ("Сделали дольше, чем ожидали", True),
        ("Заняло больше времени, чем оценивали", True),
        ("Дольше, чем хотелось бы", True),
        ("Took less time than expected", False),
        ("Быстрее, чем ожидали", False),
        ("Не дольше, чем планировали", False),
        ("It was not longer than planned", False),
    ],
)
def test_slower_than_planned_is_a_complaint(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "speed").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Релиз откатили", True),
        ("They rolled back the release", True),
        ("Откатили обновление из-за багов", True),
        ("We have a rollback plan", False),
        ("Можно откатить, если что", False),
    ],
)
def test_a_release_rolled_back_is_a_complaint(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Не знаю, не я отвечаю за проект", False),  # not me: not "they do not answer"
        ("Не мне судить", False),
        ("We asked to postpone the release", False),  # the client's own request
        ("At our request the release was postponed", False),
        ("Сроки сдвинули по нашей просьбе", False),
        ("Мне не отвечают", True),
        ("Они не отвечают", True),
        ("We asked them to hurry but they ignored us", True),
    ],
)
def test_who_is_denied_and_the_clients_own_request(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "speed").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("зачем убрали темную тему", True),
        ("Зачем вы удалили старый отчёт?", True),
        ("why did they remove dark mode", True),
        ("why would you break the API", True),
        ("battery drains in two hours now", True),
        ("Зачем вы это сделали? Спасибо, очень удобно", False),
    ],
)
def test_why_something_was_taken_away_is_a_complaint(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        # Thanks closing a complaint are manners: the complaint still alerts.
        ("Took longer than planned. Thanks!", "speed", True),
        ("Took longer than planned. Thanks!", "outcome", True),
        ("Кроме Сергея, все вежливые. Спасибо!", "politeness", True),
        ("Everyone was great except Mike. Thanks!", "politeness", True),
        ("On hold for 1.5 hours, thanks", "speed", True),
        ("Ждали ответа три дня, спасибо.", "politeness", True),
        ("Сделали дольше, чем ожидали. Спасибо за работу!", "speed", True),
        # Thanks with praise, or thanks alone, stay praise.
        ("Всё отлично. Спасибо!", "outcome", False),
        ("Немного затянули, но результат отличный. Спасибо!", "speed", False),
        ("Thanks for asking. All good.", "outcome", False),
        ("Great work, thanks", "outcome", False),
        ("Спасибо!", "politeness", False),
    ],
)
def test_thanks_closing_a_complaint_do_not_cancel_it(
    analyser: DefaultAnalyser, text: str, question: str, alert: bool
) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert


def test_closing_thanks_are_manners_not_praise() -> None:
    found = rules.read("Took longer than planned. Thanks!", "speed")
    assert found.positive == 0 and found.alarm
    assert rules.read("Всё отлично. Спасибо!", "outcome").positive > 0


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("promised by May, delivered in July", "May"),
        ("due May 5", "May"),
        ("обещали в мае", "мае"),
        ("May I ask when the next release is?", None),
        ("it may be late", None),
    ],
)
def test_may_is_a_month_only_where_a_date_is_meant(text: str, month: str | None) -> None:
    from surveys.sentiment import lexicon

    found = lexicon.MONTH_RE.search(text)
    assert (found.group() if found else None) == month


@pytest.mark.parametrize(
    "text", ["Promised by May, delivered in July.", "Обещали к маю, сделали в июле."]
)
def test_a_promise_kept_months_late_alerts(analyser: DefaultAnalyser, text: str) -> None:
    assert analyser.analyse(text, "speed").label is NEG


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        # The client doing the team's work after "ended up" / «в итоге»; not as agreed.
        ("We ended up fixing it ourselves.", "outcome", True),
        ("В итоге доделали сами.", "outcome", True),
        ("We ended up very happy.", "outcome", False),
        ("В итоге всё сделали сами, как и договаривались.", "outcome", False),
        # «ни разу не …»: the «не» denies, the «ни» only stresses it.
        ("Нам ни разу не перезвонили.", "politeness", True),
        ("Ни разу не подвели.", "outcome", False),
        ("Ни быстро, ни медленно.", "speed", False),
        ("Nobody apologized.", "politeness", True),
        ("Никто не извинился.", "politeness", True),
        ("They apologized and fixed it.", "politeness", False),
        # A sprint with nothing to show, a deadline moved, a delay that dragged on.
        ("Sprint ended and nothing was demoed.", "outcome", True),
        ("Спринт закончился, а показать нечего.", "outcome", True),
        ("Deadline moved again.", "speed", True),
        ("Всё затянулось, как обычно.", "speed", True),
        ("Команду поменяли, и всё посыпалось.", "outcome", True),
        ("Hit every deadline this sprint.", "speed", False),
        ("We met all the deadlines.", "speed", False),
    ],
)
def test_complaints_in_plain_project_words(
    analyser: DefaultAnalyser, text: str, question: str, alert: bool
) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("The bugs you fixed came back.", True),
        ("Баги, которые чинили, вернулись.", True),
        ("Вернулись старые ошибки.", True),
        ("The old crash is back.", True),
        ("Проблемы с логином снова появились.", True),
        ("Issues we reported came back fixed.", False),
        ("They came back to us quickly.", False),
    ],
)
def test_old_bugs_back_are_a_regression(analyser: DefaultAnalyser, text: str, alert: bool) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        ("Быстро? Ну-ну.", "speed", True),
        ("Fast? Yeah, sure.", "speed", True),
        ("Fast? Sure.", "speed", False),
        ("Быстро? Конечно!", "speed", False),
        ("Вежливые, когда им что-то нужно.", "politeness", True),
        ("Polite only when they need something from us.", "politeness", True),
        ("Very polite when we need help.", "politeness", False),
        ("Отличная работа, если бы она ещё работала.", "outcome", True),
        ("Great work, if only it actually worked.", "outcome", True),
    ],
)
def test_praise_taken_back_in_the_same_breath_is_sarcasm(
    analyser: DefaultAnalyser, text: str, question: str, alert: bool
) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert


def test_praise_taken_back_is_quoted_whole() -> None:
    found = rules.read("Great work, if only it actually worked.", "outcome")
    assert found.sarcasm
    assert found.evidence(-1) == ["Great work, if only it actually worked"]


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("honestly we'd like to see more initiative from you", True),
        ("We'd like more updates", True),
        ("Хотелось бы больше внимания", True),
        ("We would like to see more of this!", False),  # the same again: praise
        ("I'd like to see more of this", False),
        ("We'd love to keep working with you.", False),
    ],
)
def test_a_wish_for_more_is_a_complaint_unless_more_of_the_same(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


def test_more_of_the_same_is_read_as_praise() -> None:
    assert rules.read("Хотелось бы больше такого!", "outcome").positive > 0
    assert rules.read("Хотелось бы меньше такого", "outcome").negative > 0


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (":thumbsdown:", SentimentLabel.NEGATIVE),  # a Slack answer stored before intake
        (":rage: :rage:", SentimentLabel.NEGATIVE),  # converted its shortcodes
        (":thumbsup: спасибо", SentimentLabel.POSITIVE),
        ("Встреча в 10:30:00", SentimentLabel.NEUTRAL),
    ],
)
def test_emoji_shortcodes_read_as_the_emoji(
    analyser: DefaultAnalyser, text: str, label: SentimentLabel
) -> None:
    assert analyser.analyse(text, "outcome").label is label


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        # The past praised over now.
        ("Раньше было лучше.", "outcome", True),
        ("It used to be better.", "outcome", True),
        ("Стало лучше, чем раньше.", "outcome", False),
        ("Better than before.", "outcome", False),
        # A habit wished for reproaches; one act wished for asks.
        ("It would be great if you checked your work before handing it over.", "outcome", True),
        ("Было бы здорово, если бы вы проверяли свою работу перед сдачей.", "outcome", True),
        ("It would be great if you could send the report by Friday.", "outcome", False),
        ("Было бы здорово, если бы вы прислали отчёт к пятнице.", "outcome", False),
        # Calm words for a client close to leaving.
        ("Если так пойдёт и дальше, будем пересматривать контракт.", "outcome", True),
        ("If this continues, we'll have to reconsider the contract.", "outcome", True),
        ("Сроки — больное место.", "speed", True),
        ("Deadlines are a sore point.", "speed", True),
        ("Всё делается со скрипом.", "speed", True),
        # Whether they care, said of someone; «всё равно» alone is "anyway".
        ("Им всё равно.", "politeness", True),
        ("Вам не всё равно, это приятно.", "politeness", False),
        ("Всё равно спасибо, всё хорошо.", "politeness", False),
    ],
)
def test_calm_reproaches(analyser: DefaultAnalyser, text: str, question: str, alert: bool) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Раньше было медленно, теперь быстро.", False),  # a change for the better
        ("It used to be slow, now it's fast.", False),
        ("Сначала тормозили, сейчас всё оперативно.", False),
        ("It used to be fast, now it's slow.", True),
        ("Раньше было медленно, теперь ещё медленнее.", True),
        ("It used to be slow, now it's fast. But support is rude.", True),
    ],
)
def test_a_complaint_about_the_past_with_praise_now(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "speed").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [("Проблем с релизом не ожидаем.", False), ("Проблем не предвидится.", False)],
)
def test_problems_not_expected_are_no_complaint(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("could've been way better", True),
        ("could have been better", True),
        ("Могло быть и лучше", True),
        ("It could have been worse, but the support was rude", True),
        ("сделано на отвали", True),
        ("тяп-ляп", True),
        ("через пень колоду", True),
        ("сделали на скорую руку", True),
        ("Сделали всё на совесть, не спустя рукава", False),
    ],
)
def test_verdicts_on_what_was_done(analyser: DefaultAnalyser, text: str, alert: bool) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Отмечаем систематическое нарушение согласованных сроков.", True),
        ("Срок реагирования на инциденты превышен в три раза.", True),
        ("Incident response time exceeded the SLA threefold.", True),
        ("The SLA was violated twice.", True),
        ("Сроки не нарушались.", False),
        ("No SLA was breached.", False),
        ("We exceeded our sales targets.", False),
    ],
)
def test_terms_breached_in_a_formal_letter(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "speed").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Переходят на личности.", True),
        ("They got personal.", True),
        ("Можно было бы и поздороваться.", True),
        ("Могли бы предупредить заранее!", True),
        ("They could have at least warned us.", True),
        ("Можно было бы ответить в понедельник?", False),  # a request
    ],
)
def test_courtesy_missed_is_a_complaint(analyser: DefaultAnalyser, text: str, alert: bool) -> None:
    assert (analyser.analyse(text, "politeness").label is NEG) is alert


def test_a_hello_that_would_not_hurt_is_a_mild_complaint() -> None:
    assert rules.read("A hello wouldn't hurt.", "politeness").negative > 0


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Счёт выставили больше, чем договаривались.", True),
        ("The invoice was higher than agreed.", True),
        ("Вышло дороже, чем планировали.", True),
        ("We went over budget.", True),
        ("Сделали больше, чем ожидали!", False),  # more work than expected: praise
        ("They did more than we expected.", False),
        ("Не дороже, чем договаривались.", False),
        ("Технический долг только растёт.", True),
        ("Tech debt keeps growing.", True),
    ],
)
def test_more_money_than_agreed_and_growing_debt(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text, "outcome").label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        ("Lightning fast, only three weeks.", "speed", True),
        ("Молниеносно, всего-то три недели.", "speed", True),
        ("Great result, only took a few weeks.", "outcome", False),  # no speed praise
        ("Очень вежливо было проигнорировать наше письмо.", "politeness", True),
        ("Очень вежливо было с вашей стороны предупредить нас.", "politeness", False),
    ],
)
def test_speed_praised_for_weeks_and_politeness_for_a_harm_are_sarcasm(
    analyser: DefaultAnalyser, text: str, question: str, alert: bool
) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        ("Дедлайн профукали.", "speed", True),
        ("Апдейт задержали без объяснений.", "speed", True),
        ("Пулл-реквесты мёрджат без тестов.", "outcome", True),
        ("Shipped without tests.", "outcome", True),
        ("Перформанс просел.", "outcome", True),
        ("Сделали без тестов, как мы и просили, это прототип.", "outcome", False),
    ],
)
def test_it_slang_for_slips_and_shortcuts(
    analyser: DefaultAnalyser, text: str, question: str, alert: bool
) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert


@pytest.mark.parametrize("text", ["/sticker", "/sticker?"])
def test_a_command_name_typed_as_an_answer_says_nothing(
    analyser: DefaultAnalyser, text: str
) -> None:
    assert analyser.analyse(text, "speed").label is SentimentLabel.NEUTRAL


# --- code version 11: customer-service tweets and review sentences, written for this project --


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Релиз перенесли. Супер.", True),  # praise closing a complaint
        ("Deploy cancelled again. Fantastic.", True),
        ("Shipped a day early. Great.", False),  # nothing to mock
        ("Had a few issues at first, all fixed now. Great.", False),
        ("Took longer than planned. Thanks!", True),  # manners, still a complaint
    ],
)
def test_lone_praise_closing_a_complaint_is_sarcasm(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text).label is NEG) is alert


def test_thanks_closing_a_complaint_is_not_quoted_as_sarcasm() -> None:
    found = rules.read("Took longer than planned. Thanks!")
    assert not found.sarcasm


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Is anyone actually working on our ticket?", True),
        ("Кто-нибудь вообще отвечает в поддержке?", True),
        ("Has anyone tried the new build yet?", False),  # asks
        ("Never working with this agency again.", True),
        ("We won't be renewing with them again.", True),
        ("We'd happily work with them again.", False),
        ("They promised a fix by noon. That was two days ago.", True),
        ("Обещали перезвонить через час. Это было три дня назад.", True),
        ("So we paid for the premium plan for nothing?", True),
        ("И это называется поддержка?", True),
        ("You call this a release?", True),
        ("Это называется рефакторинг, мы его запланировали на май.", False),  # explains
        ("What do you call this field in the API?", False),
        ("Сколько можно переносить релиз", True),
        ("Сколько можно заработать на партнёрской программе?", False),  # asks
    ],
)
def test_exasperation_without_a_feeling_word(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Zero communication for a week.", True),
        ("Настроение ноль после этого спринта.", True),
        ("Nobody knows anything about the migration.", True),
        ("С этим подрядчиком одни нервы.", True),
        ("The dashboard died after the update.", True),
        ("Интеграция угробила нам отчётность.", True),
        ("thanks for ruining our launch", True),
        ("This is how you treat a client of five years?", True),
        ("Zero downtime during the migration.", False),
        ("You saved my ass with that hotfix, thank you", False),
    ],
)
def test_plain_words_for_a_breakdown(analyser: DefaultAnalyser, text: str, alert: bool) -> None:
    assert (analyser.analyse(text).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("I can't believe you broke the login again", True),
        ("I can't believe how fast they fixed it", False),
        ("Не могу поверить, как быстро всё сделали", False),
        ("I don't believe it's fixed", True),  # a denial, not surprise
    ],
)
def test_cant_believe_is_surprise_not_a_denial(text: str, negative: bool) -> None:
    found = rules.read(text)
    assert (found.negative > found.positive) is negative


@pytest.mark.parametrize(
    ("text", "praise"),
    [
        ("The report looks like it came out of a template.", False),
        ("Looks great, I like it.", True),
    ],
)
def test_like_it_as_a_comparison_is_no_praise(text: str, praise: bool) -> None:
    assert (rules.read(text).positive > 0) is praise


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("Do not buy this plugin.", True),
        ("The build was supposed to be ready on Monday. It's Thursday.", True),
        ("It was supposed to take a month, they did it in a week. Great job!", False),
        ("The mockups were not fresh at all.", True),
        ("It stopped syncing after a week.", True),
    ],
)
def test_review_wording_of_a_letdown(analyser: DefaultAnalyser, text: str, alert: bool) -> None:
    assert (analyser.analyse(text).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("So much for 24/7 support.", True),
        ("Вот вам и поддержка 24/7.", True),
        ("Thank you so much for the quick fix!", False),  # thanks
        ('Your "premium" support took a week to answer.', True),
        ("Ваша «поддержка» молчит.", True),
        ('Could you resend your "Release Notes" page?', False),  # a name in quotes
        ("Nice, the export failed again.", True),
        ("Nice, the dashboard logged me out again.", True),
        ("Great, you did it again!", False),  # praise
        ("thanks for the weekend maintenance with no warning", True),
        ("Thanks for fixing the bug that broke the build.", False),  # the fix comes first
        ("Вы там вообще работаете?", True),
        ("Вы вообще работаете по выходным?", False),  # asks
        ("The new release is a step backwards.", True),
        ("Новый интерфейс — шаг назад.", True),
        ("You had one job.", True),
        ("Это какой-то цирк.", True),
        ("We are moving everything to a competitor.", True),
        ("Тариф подняли, а скорость та же.", True),
        ("The chat is offline, the phone goes to voicemail. Brilliant.", True),
        ("Works offline too, brilliant.", False),
    ],
)
def test_mocked_promises_and_verdicts_in_one_image(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "alert"),
    [
        ("That was two weeks ago, before the migration.", False),  # tells when
        ("I can't say enough good things about the team.", False),
        ("Can't thank you enough for the weekend fix.", False),
    ],
)
def test_look_alikes_of_a_wait_and_a_denial_stay_calm(
    analyser: DefaultAnalyser, text: str, alert: bool
) -> None:
    assert (analyser.analyse(text).label is NEG) is alert


@pytest.mark.parametrize(
    ("text", "question", "alert"),
    [
        ("Fast, only two days.", "speed", False),
        ("Быстро, всего два дня.", "speed", False),
        ("It took only two days to fix.", "speed", False),
        ("It took only two days to fix.", None, False),
        ("Заняло всего два дня.", "speed", False),
        ("Ждали всего час.", "speed", False),
        ("We waited only an hour.", "speed", False),
        ("The fix took just two hours.", "speed", False),
        # a short time that is still a complaint
        ("We had only two days to test, too little.", "speed", True),
        ("Нам дали всего два дня на тестирование, это мало.", "speed", True),
        ("Ответили только через два дня.", "speed", True),  # not until
        ("They answered only after two days.", "speed", True),
        ("It was only a day late, again.", "speed", True),
        ("It took them only two days to break everything.", "speed", True),
        ("Ждали всего час, но результат ужасный.", "speed", True),
        ("За каких-то три дня всё сломали.", "speed", True),
    ],
)
def test_a_short_time_made_smaller_is_speed_praised(
    analyser: DefaultAnalyser, text: str, question: str | None, alert: bool
) -> None:
    assert (analyser.analyse(text, question).label is NEG) is alert
