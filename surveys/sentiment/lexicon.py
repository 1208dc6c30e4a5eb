"""The cue words and phrases the rule layer looks for, in Russian and English.

Written for this project (no third-party lexicon is copied). Russian entries are lemmas as
pymorphy3 normalises them ("довольный", "сорвать срок") so every inflection matches; English
entries are words, with a trailing "*" for a stem ("disappoint*"). Spaces separate the words
of a phrase, and up to two other words may stand between them ("сорвали все сроки").
"""

from __future__ import annotations

from dataclasses import dataclass

ANY: frozenset[str] = frozenset()
OUTCOME = frozenset({"outcome"})
SPEED = frozenset({"speed"})
POLITE = frozenset({"politeness"})


@dataclass(frozen=True, slots=True)
class Group:
    weight: float  # > 0 praise, < 0 complaint, 0 a deliberate neutral ("нормально")
    patterns: str  # comma-separated
    scope: frozenset[str] = ANY  # questions it is about; elsewhere it counts at half weight
    negated: float | None = None  # weight under negation, when not the usual flip


GROUPS: tuple[Group, ...] = (
    # --- praise -----------------------------------------------------------------------------
    Group(
        1.0,
        "довольный, отлично, отличный, хорошо, хороший, прекрасно, прекрасный, замечательно, "
        "замечательный, великолепно, великолепный, превосходно, превосходный, супер, класс, "
        "классно, классный, круто, крутой, идеально, идеальный, молодец, умница, рекомендовать, "
        "понравиться, нравиться, устраивать, устроить, радовать, порадовать, восторг, шикарно, "
        "шикарный, лучший, профессионально, профессиональный, профессионал, качественно, "
        "качественный, удовлетворить, удовлетворенный, безупречно, безупречный, спасти, "
        "выручить, огонь, респект, благодарный, "
        "great, excellent, perfect, perfectly, awesome, amazing, good, nice, happy, satisfied, "
        "pleased, love, loved, fantastic, wonderful, brilliant, superb, outstanding, impressed, "
        "impressive, recommend*, well done, top notch, top-notch, kudos, exceptional, "
        "delighted, glad, spot on, exceeded, flawless*, professional*, stellar, splendid, "
        "like it, liked it, liked, love it, 10/10",
    ),
    Group(0.75, "спасибо, благодарить, благодарность, thank*, thx, ty, cheers, appreciate*"),
    Group(
        0.6,
        "удобно, удобный, надежно, надежный, четко, четкий, толково, толковый, грамотно, "
        "грамотный, понятно, понятный, полезный, эффективно, эффективный, "
        "solid, reliable, helpful, clear, efficient, smooth, smoothly, decent, competent, better",
    ),
    # Getting the job done: praise when said, a strong complaint when denied ("nothing got
    # fixed", "так и не решили").
    Group(
        0.6,
        "решить, решенный, исправить, исправленный, починить, помочь, заработать, работать, "
        "выполнить, справиться, разобраться, закрыть, наладить, настроить, доделать, сдать, "
        "fixed, fix, solved, solve, resolved, resolve, works, worked, working, helped, help, "
        "done, delivered, sorted, handled, completed, achieved",
        OUTCOME,
        negated=-1.0,
    ),
    Group(
        1.0,
        "быстро, быстрый, оперативно, оперативный, вовремя, в срок, срочно, мгновенно, "
        "мгновенный, моментально, сразу, шустро, молниеносно, оперативность, скорость, "
        "в тот же день, раньше срока, "
        "fast, quick, quickly, prompt, promptly, timely, on time, immediately, instantly, "
        "right away, swift, swiftly, rapid, speedy, ahead of schedule, same day, in no time, "
        "faster, quicker, sooner",
        SPEED,
    ),
    Group(
        1.0,
        "вежливо, вежливый, вежливость, корректно, корректный, учтивый, учтиво, "
        "доброжелательно, доброжелательный, приветливо, приветливый, дружелюбно, дружелюбный, "
        "тактично, тактичный, внимательно, внимательный, заботливый, терпеливо, терпеливый, "
        "приятно, приятный, отзывчивый, деликатно, деликатный, уважительно, уважительный, "
        "человечно, культурно, культурный, "
        "polite, politely, courteous, friendly, kind, respectful, patient, attentive, pleasant, "
        "caring, warm, considerate, cordial, nice people",
        POLITE,
    ),
    # A complaint denied is praise: "претензий нет", "no complaints", "без замечаний".
    Group(
        -0.5,
        "претензия, жалоба, замечание, нарекание, проблема, ошибка, косяк, баг, сбой, "
        "задержка, вопрос к, "
        "complaint*, complain, issue, issues, problem*, bug*, error*, mistake*, glitch*, "
        "hiccup*, delay*, hitch*",
        negated=1.0,
    ),
    Group(
        1.0,
        "нет претензия, нет вопрос, нет замечание, не на что жаловаться, грех жаловаться, "
        "не жаловаться, всё супер, все супер, "
        "cant complain, can not complain, cannot complain, no complaints, nothing to complain, "
        "no issues, no problems, no problem, all good, no notes",
    ),
    # --- deliberate neutral -------------------------------------------------------------------
    Group(
        0.0,
        "нормально, нормальный, норм, ок, окей, средне, сойти, приемлемо, приемлемый, терпимо, "
        "обычно, стандартно, ровно, без изменение, "
        "ok, okay, fine, average, acceptable, alright, as expected, as usual, standard, normal",
    ),
    # --- complaints ---------------------------------------------------------------------------
    Group(
        -1.0,
        "плохо, плохой, ужасно, ужасный, ужас, кошмар, кошмарный, отвратительно, "
        "отвратительный, разочаровать, разочарованный, разочарование, недовольный, "
        "недовольство, хуже, худший, халтура, бардак, провал, провалить, безобразие, "
        "безобразно, позор, бесить, раздражать, неприемлемо, некачественно, некачественный, "
        "непрофессионально, непрофессиональный, отстой, фигня, хрень, жесть, треш, "
        "бесполезно, бесполезный, сорвать срок, срыв срок, просрочить, затянуть срок, "
        "подвести, обмануть, игнорировать, игнор, проигнорировать, потерять, сломать, "
        "сломаться, упасть, глючить, тупить, хаос, возмутительно, оставлять желать лучший, "
        "ниже плинтус, никакущий, отвратно, мрак, "
        "bad, badly, terrible, terribly, awful, horrible, horrendous, poor, poorly, worst, worse, "
        "disappoint*, disappointed, disappointing, unhappy, dissatisfied, unsatisfied, hate, "
        "hated, useless, angry, annoy*, "
        "frustrat*, unacceptable, ridiculous, pathetic, mess, messy, broken, failed, fail, "
        "failure, missed deadline*, missed the deadline*, ignored, ignoring, unprofessional, "
        "sloppy, sucks, sucked, crap, garbage, nightmare, joke, shoddy, incompetent, "
        "let us down, let down, left much to be desired, lost, chaos, disaster, waste",
    ),
    Group(
        -0.6,
        "так себе, слабо, слабый, средненько, посредственно, посредственный, могло быть лучше, "
        "есть куда расти, есть над что работать, неудобно, неудобный, непонятно, непонятный, "
        "сложно, путаница, непонятка, "
        "so so, so-so, meh, mediocre, could be better, could have been better, "
        "room for improvement, not great, not ideal, confusing, unclear, underwhelming",
    ),
    # About speed above all: "долго" about a result may be fine; "could be faster" is not.
    Group(
        -1.0,
        "долго, долгий, медленно, медленный, задерживать, опоздать, опоздание, ждать, "
        "дождаться, прождать, ожидание, затянуть, затягивать, тянуть, тормозить, неделя ждать, "
        "вечность, нескоро, не сразу, не вовремя, "
        "slow, slowly, slower, late, later than, wait, waited, waiting, too long, took long, "
        "took a while, took forever, takes forever, forever, ages, overdue, sluggish, "
        "could be faster, should be faster, could have been faster, not fast",
        SPEED,
        negated=0.6,
    ),
    Group(
        -1.0,
        "формально, формальный, сухо, сухой, холодно, холодный, резко, резкий, равнодушно, "
        "равнодушный, безразлично, безразличный, отписка, шаблонный, шаблонно, неприветливый, "
        "надменный, снисходительно, снисходительный, высокомерно, высокомерный, "
        "пренебрежительно, пренебрежительный, свысока, сквозь зуб, отмахнуться, "
        "formal, formally, cold, coldly, dry, curt, curtly, dismissive, robotic, canned, "
        "scripted, condescending, patronizing, patronising, indifferent, unfriendly, "
        "copy-paste, copy paste, short with",
        POLITE,
        negated=0.6,
    ),
    Group(
        -1.0,
        "грубо, грубый, грубость, хамство, хамить, хам, хамский, нагрубить, наорать, "
        "орать, нахамить, невежливо, невежливый, некорректно, некорректный, неуважительно, "
        "неуважение, "
        "rude, rudely, impolite, disrespect*, arrogant, yelled, shouted, snapped, insult*, "
        "offensive, hostile",
        POLITE,
        negated=0.6,
    ),
)

# Emoji and emoticons; any other emoji is ignored.
EMOJI_POS = frozenset("👍👌🙂😊😀😃😄😁😍🥰❤💯🔥🎉✅🙏👏💪🤝😎🤗⭐🌟💖💙💚♥☺🥳😇")
EMOJI_NEG = frozenset("👎😡😠🤬😞😢😭😤🙁☹😒😕😩😫💩❌😔🤦😑😐🙄😟😣😖🤯⛔🐌😪")


def emoticon_weight(norm: str) -> float | None:
    """ ":)", ")))", "xD" are praise, ":(", "(((", ":/" a complaint; None for other symbols."""
    if norm in EMOJI_POS:
        return 1.0
    if norm in EMOJI_NEG:
        return -1.0
    if norm in ("-_-",):
        return -1.0
    if (len(norm) >= 2 and norm[-1] in ")dpо^") or norm.startswith("xd"):
        return 1.0
    if len(norm) >= 2 and norm[-1] in "(/|":
        return -1.0
    return None
