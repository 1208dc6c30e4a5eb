"""Baseline sentiment analyser: a small RU/EN lexicon plus negation rules.

Deliberately simple and dependency-free so it can run inline while a message is handled;
a proper engine replaces it later behind the same ``SentimentAnalyser`` interface.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from surveys.model import Sentiment, SentimentLabel

_ANY: frozenset[str] = frozenset()
_SPEED = frozenset({"speed"})
_POLITE = frozenset({"politeness"})
_YES_NO = frozenset({"outcome", "politeness"})  # questions a bare "да"/"yes" answers

# (weight, questions where it applies in full, patterns). Patterns are lowercase with "е" for
# "ё", separated by commas; spaces separate the words of a phrase. A trailing "*" is a stem
# prefix standing in for Russian morphology (довольна/довольны, медленно/медленный).
_LEXICON: list[tuple[float, frozenset[str], str]] = [
    # A negated complaint is praise, so these are phrases rather than left to negation.
    (
        1.0,
        _ANY,
        "no complain*, no issues, no problem*, nothing to complain, нет претенз*, "
        "без претенз*, претенз* нет, нет замечан*, без замечан*, замечан* нет, нет жалоб*, "
        "жалоб* нет, нет проблем*, без проблем*, проблем* нет",
    ),
    (
        1.0,
        _ANY,
        "great, excellent, perfect, awesome, amazing, good, nice, happy, satisfied, "
        "pleased, love*, fantastic, wonderful, fast, quick*, prompt*, timely, on time, polite*, "
        "courteous, friendly, pleasant, helpful, recommend*, well done, доволен, довольна*, "
        "довольны*, удовлетвор*, отличн*, хорош*, прекрасн*, замечательн*, супер*, класс*, крут*, "
        "идеальн*, молодц*, устраива*, нрав*, понрав*, рекоменд*, быстр*, оперативн*, вовремя, "
        "в срок*, вежлив*, корректн*, приятн*, дружелюб*, внимательн*, удобн*",
    ),
    (0.75, _ANY, "thank*, thx, спасибо, благодар*"),
    (1.0, _YES_NO, "yes, yep, да, ага"),
    # Neutral words still count as cues: they can be negated ("не нормально") and shown.
    (
        0.0,
        _ANY,
        "ok, okay, fine, acceptable, average, норм, нормальн*, ок, сойдет, приемлем*, средне",
    ),
    (
        -1.0,
        _ANY,
        "bad*, terrible, awful, horrible, poor*, worst, worse, disappoint*, unhappy, "
        "dissatisfied, unsatisfied, hate*, useless, angry, annoy*, frustrat*, rude*, impolite, "
        "disrespect*, arrogant, missed deadline*, missed the deadline*, плох*, ужас*, кошмар*, "
        "отврат*, разочаров*, недовол*, хуже*, халтур*, бардак*, провал*, сорва* срок*, "
        "срыв* срок*, срок* сорва*, просроч*, груб*, хам*, высокомер*, безобраз*",
    ),
    (
        -0.75,
        _ANY,
        "complain*, problem*, issue*, bug*, error*, mistake*, претенз*, жалоб*, проблем*, ошиб*, "
        "косяк*, косяч*, didn't like, don't like, did not like, could be better, can be better, "
        "могло быть лучше, можно лучше, so so, so - so, meh, так себе",
    ),
    # Words that are a complaint mainly about speed or manners ("долго" about a result can be
    # fine); elsewhere they count at _OFF_TOPIC strength.
    (
        -1.0,
        _SPEED,
        "slow*, delay*, late, wait*, too long, took long, took a while, took forever, "
        "takes forever, could be faster, should be faster, could have been faster, медлен*, долго, "
        "долгий, долгая, долгое, долгие, подолгу, задерж*, опозд*, ждал*, ждать, тормоз*, затян*, "
        "бы быстрее, бы побыстрее, можно быстрее, можно было быстрее, побыстрее",
    ),
    (
        -1.0,
        _POLITE,
        "formal repl*, formal answer*, formal, cold, dry, curt, dismissive, сух*, "
        "холодн*, формальн*, резк*, равнодуш*",
    ),
]
_OFF_TOPIC = 0.5

# Single emoji characters (skin tones and variation selectors are separate, ignored tokens)
# and emoticons, the latter keyed without their "-" nose.
_SYMBOLS = {
    **dict.fromkeys([*"👍👌🙂😊😀😃😄😁😍🥰❤💯🔥🎉✅🙏👏💪", ":)", ";)", "=)", ":d", "))"], 1.0),
    **dict.fromkeys([*"👎😡😠🤬😞😢😭😤🙁☹😒😕😩😫💩❌😔🤦", ":(", "=(", "(("], -1.0),
}


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Apostrophes are dropped when normalising, so "didn't" arrives as "didnt".
_NEGATORS = _wordset(
    """
    не нет ни без ничего никогда неа not no never nope nothing without hardly none dont doesnt
    didnt isnt arent wasnt werent cant cannot couldnt wont wouldnt havent hasnt
    """
)
# A negator followed only by intensifiers ("не очень", "not really", a bare "нет") is itself
# the complaint; "ничего"/"nothing"/"none" alone are not.
_DANGLING = {"не", "нет", "неа", "никогда", "not", "no", "never", "nope"}
_INTENSIFIERS = _wordset(
    """
    очень слишком совсем вполне довольно крайне особо особенно сильно весьма так настолько very
    really so too quite extremely pretty much that super
    """
)
# Punctuation and contrast words end a negation's reach: "no, all great" is not "not great".
_BOUNDARIES = set(".,!?;:…") | {"но", "а", "однако", "зато", "but", "however", "although", "though"}
_NEG_WINDOW = 3  # words a negator may skip to reach its cue: "не так уж быстро"
_NEG_BIAS = 1.25  # a missed complaint costs more than a false alarm, so mixed answers lean negative
_NEUTRAL_BAND = 0.25
_MAX_EVIDENCE = 10  # items, each clipped to _MAX_EVIDENCE_CHARS: ")))…" can be a whole message
_MAX_EVIDENCE_CHARS = 80

# Emoticons first so ":(" is one token; words keep inner apostrophes ("didn't").
_TOKEN_RE = re.compile(
    r"(?P<sym>[:;=]-?(?:[()]|[DdPp](?!\w))|\){2,}|\({2,})|(?P<word>\w+(?:['’]\w+)*)|[^\w\s]"
)


class _Cue(NamedTuple):
    words: tuple[str, ...]
    weight: float
    scope: frozenset[str]


def _norm(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'").replace("'", "")


def _build_index() -> dict[str, list[_Cue]]:
    """Cues keyed by their first word's stem, so lookup costs a few dict hits per word."""
    index: dict[str, list[_Cue]] = {}
    for weight, scope, patterns in _LEXICON:
        for pattern in patterns.split(","):
            words = tuple(map(_norm, pattern.split()))
            index.setdefault(words[0].rstrip("*"), []).append(_Cue(words, weight, scope))
    return index


_INDEX = _build_index()
_MAX_KEY = max(map(len, _INDEX))


def _word_matches(pattern: str, word: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


def _find_cue(words: list[str], i: int) -> _Cue | None:
    """The longest lexicon entry starting at ``words[i]``."""
    word, best = words[i], None
    # Bounded prefixes: a 10,000-letter "word" costs _MAX_KEY lookups, not 10,000.
    for key in [word, *(word[:k] for k in range(min(len(word), _MAX_KEY), 0, -1))]:
        for cue in _INDEX.get(key, ()):
            n = len(cue.words)
            longer = best is None or n > len(best.words)
            if (
                longer
                and i + n <= len(words)
                and all(map(_word_matches, cue.words, words[i : i + n]))
            ):
                best = cue
    return best


def _negate(weight: float) -> float:
    # "not happy" is as bad as "unhappy"; "not bad" is only mildly good; "not ok" mildly bad.
    if weight > 0:
        return -weight
    return -weight * 0.5 if weight < 0 else -0.5


class BaselineAnalyser:
    name = "baseline"
    version = "1.0"
    inline = True  # a word list: microseconds per answer

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        q = (question or "").strip().lower()
        text = unicodedata.normalize("NFC", text)
        tokens = list(_TOKEN_RE.finditer(text))
        words = [_norm(m.group()) if m.group("word") else m.group() for m in tokens]
        hits: list[tuple[float, int, int]] = []  # (weight, start, end) in ``text``
        neg: int | None = None  # index of a negator still looking for its cue
        gap, only_intensifiers, boost = 0, True, 1.0
        i = 0
        while i <= len(words):
            word = words[i] if i < len(words) else "."  # a sentinel closes the last clause
            if word in _BOUNDARIES:
                # "нет" to "anything else?" is not a complaint, so comments are exempt.
                negator = words[neg] if neg is not None and only_intensifiers else ""
                if neg is not None and negator in _DANGLING and q != "comment":
                    end = tokens[i - 1].end()
                    hits.append((-0.75 if gap else -0.5, tokens[neg].start(), end))
                neg, boost, i = None, 1.0, i + 1
                continue
            if not tokens[i].group("word"):
                # Emoji and emoticons count on their own and never get negated: "no :(".
                weight = _SYMBOLS.get(word.replace("-", "").lower()[:2])
                if weight is not None:
                    hits.append((weight, tokens[i].start(), tokens[i].end()))
                i += 1
                continue
            cue, n, fused = _find_cue(words, i), 1, False
            if cue is None and word.startswith("не") and len(word) > 4:
                # Russian fuses negation: неплохо, невежливо, недолго, неудобно.
                cue = _find_cue([word[2:]], 0)  # only one-word cues can match here
                fused = cue is not None
            if cue is not None:
                n = len(cue.words)
                weight = cue.weight * (1.0 if not cue.scope or q in cue.scope else _OFF_TOPIC)
                weight = _negate(weight) if fused else weight
                start = tokens[i].start()
                if neg is not None:
                    weight, start = _negate(weight), tokens[neg].start()
                else:
                    weight *= boost
                hits.append((weight, start, tokens[i + n - 1].end()))
                neg, boost = None, 1.0
            elif word in _NEGATORS:
                neg, gap, only_intensifiers = i, 0, True
            elif word in _INTENSIFIERS:
                boost, gap = 1.5, gap + 1
            else:
                boost, gap, only_intensifiers = 1.0, gap + 1, False
                if gap > _NEG_WINDOW:
                    neg = None
            i += n
        return self._verdict(text, hits)

    def _verdict(self, text: str, hits: list[tuple[float, int, int]]) -> Sentiment:
        analyser = f"{self.name}/{self.version}"
        if not hits:
            return Sentiment(SentimentLabel.NEUTRAL, 0.5, [], analyser)
        pos = sum(w for w, _, _ in hits if w > 0)
        net = pos + _NEG_BIAS * sum(w for w, _, _ in hits if w < 0)
        if abs(net) < _NEUTRAL_BAND:
            label, score, chosen = SentimentLabel.NEUTRAL, 0.5, hits
            if all(w == 0 for w, _, _ in hits):  # only "ok"/"нормально": a deliberate neutral
                score = 0.6
        else:
            label = SentimentLabel.POSITIVE if net > 0 else SentimentLabel.NEGATIVE
            score = min(0.95, 0.5 + 0.2 * abs(net))
            chosen = [h for h in hits if (h[0] > 0) == (net > 0) and h[0] != 0]
        spans = (text[s:e][:_MAX_EVIDENCE_CHARS] for _, s, e in chosen)
        evidence = list(dict.fromkeys(spans))[:_MAX_EVIDENCE]
        return Sentiment(label, round(score, 3), evidence, analyser)
