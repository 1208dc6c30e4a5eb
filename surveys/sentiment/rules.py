"""The rule layer: explicit cues, read in context, each with the span that shows it.

It finds lexicon cues (by lemma for Russian), then applies what a short answer's meaning
hangs on: negation and its reach ("не сказал бы, что доволен"), denied complaints
("претензий нет"), intensifiers and softeners, hedged wishes ("хотелось бы побыстрее"),
sarcasm markers ("ну спасибо, опять сорвали сроки"), the question asked, and contrast
("вежливо, но ничего не решили"). Its hits are both features for the trained head and the
evidence a manager reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from surveys.sentiment import lexicon, morph
from surveys.sentiment.text import Kind, Token, clean, tokenize

QUESTIONS = frozenset({"outcome", "speed", "politeness"})
OFF_TOPIC = 0.5  # weight of a cue about another question ("долго" answering "outcome")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Apostrophes are dropped in normalisation, so "didn't" arrives as "didnt".
NEGATORS = _words(
    """не нет ни без ничего никогда никак никто нисколько никакой никаких никакого никакие неа
    not no never nothing without hardly barely none nobody neither nor nope
    dont doesnt didnt isnt arent wasnt werent cant cannot couldnt wont wouldnt havent hasnt
    hadnt shouldnt aint"""
)
# A negator with no cue in reach is itself the complaint ("не очень", "нет", "not really").
DANGLING = _words("не нет неа никак никакой not no never nope")
INTENSIFIERS = _words(
    """очень слишком совсем крайне абсолютно полностью весьма сильно реально жутко дико
    невероятно максимально супер особенно настолько так вообще просто прям прямо
    very really so too extremely totally absolutely super incredibly completely utterly
    truly highly quite such"""
)
SOFTENERS = _words(
    "немного слегка чуть чуть-чуть несколько немножко местами отчасти иногда "
    "somewhat slightly bit little kinda sometimes partly"
)
# Words that may stand between a negator and its cue without ending its reach.
FILLERS = _words(
    """был была было были быть бы же уж то это все всё всегда особо и
    be been was were is are am the a an that so it its as quite very all"""
)
# "не сказал бы, что …", "I wouldn't say …": the negation reaches across "что"/"that".
SAY = _words("сказать говорить назвать считать думать утверждать say call think claim")
LINK = _words("что чтобы бы я мы они он она все всё это было были был that i im we were was its")
CONTRAST = _words("но однако зато but however")
BOUNDARY_WORDS = CONTRAST | _words("а хотя although though")
BOUNDARY_PUNCT = frozenset('.,!?;:…()"«»“”„') | {"..", "..."}
REPEAT = _words("опять снова очередной очередная очередные again another")
REPEAT_PHRASES = (("как", "всегда"), ("как", "обычно"), ("в", "который", "раз"), ("as", "always"),
                  ("as", "usual"), ("yet", "again"))  # fmt: skip
SARCASM_PHRASES = (
    ("спасибо", "за", "ничего"), ("thanks", "for", "nothing"), ("yeah", "right"),
    ("ага", "конечно"), ("ну", "да", "конечно"), ("ну", "конечно"),
)  # fmt: skip
# "хотелось бы побыстрее", "would like faster replies": a wish for more is a complaint.
WISH = _words("хотеться хотелось хочется бы можно нужно надо стоит стоило следовало желательно")
WISH_PHRASES = (
    ("would", "like"), ("would", "have", "liked"), ("would", "appreciate"), ("would", "love"),
    ("would", "prefer"), ("wish",), ("need",), ("needs",), ("should", "be"), ("could", "be"),
    ("could", "have", "been"), ("would", "be", "nice"), ("would", "have", "been", "nice"),
    ("hope",), ("хотелось", "бы"), ("можно", "было", "бы"), ("можно", "было"),
)  # fmt: skip
EN_COMPARATIVES = {
    "faster": "speed", "quicker": "speed", "sooner": "speed", "earlier": "speed",
    "politer": "politeness", "friendlier": "politeness", "warmer": "politeness",
    "kinder": "politeness", "better": "", "more": "", "clearer": "", "less": "",
}  # fmt: skip
SPEED_LEMMAS = _words("быстрый оперативный ранний скорый шустрый рано быстро оперативно")
POLITE_LEMMAS = _words("вежливый теплый мягкий приветливый дружелюбный человечный внимательный")
TYPO_MIN_LEN = 5


class Cue(NamedTuple):
    words: tuple[tuple[str, bool], ...]  # (word, is_stem) per word of the phrase
    weight: float
    negated: float | None
    scope: frozenset[str]
    cyrillic: bool


@dataclass(slots=True)
class Hit:
    weight: float
    start: int  # character span in the cleaned text
    end: int
    on_topic: bool = False  # a cue scoped to the question that was asked
    kind: str = "cue"  # cue, negated, emoji, wish, sarcasm, dangling, neutral
    clause: int = 0
    role: str = ""  # "fix" for getting-the-job-done verbs, "trouble" for complaint nouns


@dataclass(slots=True)
class RuleResult:
    text: str  # the cleaned text the spans index
    hits: list[Hit] = field(default_factory=list)
    sarcasm: bool = False
    content: bool = False  # any word or emoji at all: "-" or "?" says nothing

    @property
    def positive(self) -> float:
        return sum(h.weight for h in self.hits if h.weight > 0)

    @property
    def negative(self) -> float:
        return -sum(h.weight for h in self.hits if h.weight < 0)

    @property
    def on_topic_negative(self) -> float:
        return -sum(h.weight for h in self.hits if h.weight < 0 and h.on_topic)

    @property
    def neutral(self) -> bool:
        return any(h.kind == "neutral" for h in self.hits)

    def features(self) -> list[float]:
        """What the trained head sees of the rules; log1p keeps a wall of cues bounded."""
        return [
            math.log1p(self.positive),
            math.log1p(self.negative),
            math.log1p(self.on_topic_negative),
            float(self.sarcasm),
            float(self.neutral),
            float(not self.hits),
            float(any(h.kind == "dangling" for h in self.hits)),
        ]

    def evidence(self, sign: int, limit: int = 10, max_chars: int = 80) -> list[str]:
        """Spans of the hits on one side (sign -1, 0 or 1), in text order, merged."""
        chosen = sorted(
            (h for h in self.hits if (h.weight > 0) - (h.weight < 0) == sign),
            key=lambda h: h.start,
        )
        spans: list[list[int]] = []
        for h in chosen:
            if spans and h.start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], h.end)
            else:
                spans.append([h.start, h.end])
        quotes = (self.text[s:e].strip()[:max_chars] for s, e in spans)
        return list(dict.fromkeys(q for q in quotes if q))[:limit]


FEATURE_NAMES = (
    "log_pos", "log_neg", "log_on_topic_neg", "sarcasm", "neutral_cue", "no_cue", "dangling",
)  # fmt: skip


def _pattern_word(word: str) -> tuple[str, bool]:
    return (word[:-1], True) if word.endswith("*") else (word, False)


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, list[Cue]], dict[str, str], int]:
    """Cues keyed by their first word; a typo index (deletions → form); longest stem."""
    index: dict[str, list[Cue]] = {}
    typo: dict[str, str] = {}
    for group in lexicon.GROUPS:
        for pattern in group.patterns.split(","):
            words = tuple(_pattern_word(w) for w in pattern.split())
            if not words:
                continue
            cyr = any("а" <= c <= "я" for c in pattern)
            cue = Cue(words, group.weight, group.negated, group.scope, cyr)
            index.setdefault(words[0][0], []).append(cue)
            for word, stem in words:
                if stem or len(word) < TYPO_MIN_LEN:
                    continue
                for form in morph.forms(word) if cyr else {word}:
                    for deletion in _deletions(form):
                        typo.setdefault(deletion, form)
    return index, typo, max(len(k) for k in index)


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=50_000)
def _keys(norm: str) -> frozenset[str]:
    """What a word can match: its form, its lemmas, or those of a lexicon word it misspells."""
    keys = {norm}
    cyr = any("а" <= c <= "я" for c in norm)
    if cyr:
        keys.update(morph.lemmas(norm))
    if len(norm) >= TYPO_MIN_LEN and (not cyr or not morph.is_known(norm)):
        _, typo, _ = _index()
        fixed = next((typo[d] for d in sorted(_deletions(norm)) if d in typo), None)
        # Latin words have no dictionary to vouch for them, so demand a long word there.
        if fixed and (cyr or len(norm) >= 7):
            keys.add(fixed)
            if cyr:
                keys.update(morph.lemmas(fixed))
    return frozenset(keys)


def _matches(word: tuple[str, bool], token: Token) -> bool:
    pattern, stem = word
    if token.kind is not Kind.WORD:
        return False
    return token.norm.startswith(pattern) if stem else pattern in _keys(token.norm)


class _Reader:
    """One pass over the tokens, keeping the state that negation and wishes need."""

    def __init__(self, text: str, question: str | None) -> None:
        self.text = clean(text)
        self.tokens = tokenize(self.text)
        self.q = (question or "").strip().lower()
        self.result = RuleResult(self.text)
        self.consumed: set[int] = set()  # negators used by a following or preceding cue

    def scope_factor(self, scope: frozenset[str]) -> tuple[float, bool]:
        if not scope:
            return 1.0, False
        if self.q in scope:
            return 1.0, True
        return (OFF_TOPIC, False) if self.q in QUESTIONS else (1.0, False)

    def is_boundary(self, i: int) -> bool:
        tok = self.tokens[i]
        if tok.kind is Kind.PUNCT:
            return tok.text in BOUNDARY_PUNCT or tok.text[0] in "!?"
        return tok.kind is Kind.WORD and tok.norm in BOUNDARY_WORDS

    def phrase_at(self, i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
        """Length of the longest of ``phrases`` (plain lowercase words) starting at ``i``."""
        best = 0
        for phrase in phrases:
            n = len(phrase)
            window = self.tokens[i : i + n]
            if (
                n > best
                and len(window) == n
                and all(t.norm == w for t, w in zip(window, phrase, strict=True))
            ):
                best = n
        return best

    def cue_at(self, i: int) -> tuple[Cue, int] | None:
        """The longest cue starting at word ``i`` and the index just past its last word."""
        index, _, max_key = _index()
        tok = self.tokens[i]
        if tok.kind is not Kind.WORD:
            return None
        keys = set(_keys(tok.norm))
        keys.update(tok.norm[:k] for k in range(1, min(len(tok.norm), max_key) + 1))
        best: tuple[Cue, int] | None = None
        for key in keys:
            for cue in index.get(key, ()):
                end = self._match_rest(cue, i)
                if end is not None and (best is None or len(cue.words) > len(best[0].words)):
                    best = (cue, end)
        return best

    def _match_rest(self, cue: Cue, i: int) -> int | None:
        if not _matches(cue.words[0], self.tokens[i]):
            return None
        j = i + 1
        gap_allowed = 1 if cue.cyrillic else 0  # "сорвали все сроки"
        for word in cue.words[1:]:
            gap = 0
            while j < len(self.tokens) and not _matches(word, self.tokens[j]):
                if gap >= gap_allowed or self.tokens[j].kind is not Kind.WORD:
                    return None
                if self.tokens[j].norm in NEGATORS:
                    return None
                gap, j = gap + 1, j + 1
            if j >= len(self.tokens):
                return None
            j += 1
        return j

    def run(self) -> RuleResult:
        toks, hits, q = self.tokens, self.result.hits, self.q
        neg_at: int | None = None  # the negator still looking for its cue
        neg_gap, neg_only_fill, litotes, double = 0, True, False, False
        boost, wish, after_contrast, nu, in_quotes, open_parens = 1.0, False, False, False, False, 0
        repeat = False
        praise: list[tuple[Hit, bool]] = []  # (hit, marked by "ну"/quotes) for the sarcasm check
        clause_start, clause = True, 0
        i = 0
        while i <= len(toks):
            if i == len(toks) or self.is_boundary(i):
                if (
                    neg_at is not None
                    and neg_only_fill
                    and toks[neg_at].norm in DANGLING
                    and q != "comment"  # "нет" to "anything else?" is not a complaint
                ):
                    weight = -1.0 if toks[neg_at].norm == "никакой" else -0.75 if neg_gap else -0.5
                    hits.append(Hit(weight, toks[neg_at].start, toks[i - 1].end, kind="dangling"))
                if i == len(toks):
                    break
                tok = toks[i]
                if litotes and neg_at is not None and tok.text == ",":
                    i += 1  # "не сказал бы, что доволен": the comma does not end the reach
                    continue
                if tok.text == "(":
                    open_parens += 1
                    if ")" not in self.text[tok.end :]:
                        hits.append(Hit(-0.5, tok.start, tok.end, kind="emoji"))  # "долго("
                elif tok.text == ")":
                    if open_parens:
                        open_parens -= 1
                    else:
                        hits.append(Hit(0.5, tok.start, tok.end, kind="emoji"))  # "спасибо)"
                elif tok.text in "«“„":
                    in_quotes = True
                elif tok.text in "»”":
                    in_quotes = False
                elif tok.text == '"':
                    in_quotes = not in_quotes
                if tok.norm in CONTRAST:
                    after_contrast = True
                elif tok.kind is Kind.PUNCT and tok.text[0] in ".!?;…":
                    after_contrast, wish = False, False
                neg_at, boost, nu, litotes, double, clause_start = (
                    None,
                    1.0,
                    False,
                    False,
                    False,
                    True,
                )
                i += 1
                continue
            tok = toks[i]
            if tok.kind is Kind.EMOJI:
                weight = lexicon.emoticon_weight(tok.norm)
                if weight is not None:
                    hits.append(Hit(weight, tok.start, tok.end, kind="emoji"))
                i += 1
                continue
            if tok.kind is not Kind.WORD:
                i += 1
                continue
            norm = tok.norm
            if k := self.phrase_at(i, SARCASM_PHRASES):
                hits.append(Hit(-1.0, tok.start, toks[i + k - 1].end, kind="sarcasm"))
                self.result.sarcasm = True
                i += k
                continue
            if k := self.phrase_at(i, REPEAT_PHRASES) or (norm in REPEAT):
                repeat = True
                i += int(k)
                continue
            if clause_start and norm in ("ну", "oh", "wow", "ох", "ой"):
                nu = True
                i += 1
                continue
            found = self.cue_at(i)
            wish_len = self.phrase_at(i, WISH_PHRASES) or int(norm in WISH)
            if (found is None or found[1] - i < wish_len) and wish_len:
                wish, clause_start = True, False
                i += wish_len
                continue
            if found is not None:
                cue, end = found
                weight, kind, start = cue.weight, "cue", tok.start
                factor, on_topic = self.scope_factor(cue.scope)
                comparative = norm in EN_COMPARATIVES or (
                    cue.cyrillic and len(cue.words) == 1 and morph.is_comparative(norm)
                )
                reach = 6 if litotes else 3
                if wish and comparative and weight >= 0 and neg_at is None:
                    weight, kind = -0.75, "wish"  # "хотелось бы побыстрее"
                elif neg_at is not None and neg_gap <= reach:
                    weight, kind, start = _negated(cue, weight), "negated", toks[neg_at].start
                    if double:
                        weight = _negated(cue._replace(negated=None), weight)  # "не без проблем"
                    self.consumed.add(neg_at)
                    neg_at = None
                else:
                    weight *= boost
                    if (
                        cue.negated is not None
                        and cue.negated > 0
                        and (after := self._denied_after(end))
                    ):
                        weight, kind, end = cue.negated, "negated", after  # "претензий нет"
                weight *= factor * (1.3 if tok.shouted else 1.0)
                weight *= 1.25 if after_contrast else 1.0
                role = "fix" if cue.negated == -1.0 else "trouble" if (cue.negated or 0) > 0 else ""
                hit = Hit(weight, start, toks[end - 1].end, on_topic, kind, clause, role)
                if weight == 0:
                    hit.kind = "neutral"
                hits.append(hit)
                if kind == "cue" and cue.weight >= 0.75:
                    praise.append((hit, nu or in_quotes))
                boost, clause_start = 1.0, False
                i = end
                continue
            if norm in NEGATORS:
                if neg_at is not None and norm in ("без", "without"):
                    double = True
                elif neg_at is None:
                    neg_at, neg_gap, neg_only_fill = i, 0, True
            elif norm in INTENSIFIERS:
                boost = 1.5
            elif norm in SOFTENERS:
                boost = 0.5
            elif neg_at is not None and (
                SAY & _keys(norm) or (norm == "то" and self._is_chtoby(i))
            ):
                litotes, neg_only_fill = True, False  # "не сказал бы, что", "не то чтобы"
            elif neg_at is not None and (norm in FILLERS or (litotes and norm in LINK)):
                pass
            else:
                boost, neg_only_fill = 1.0, False
                if neg_at is not None:
                    neg_gap += 1
                    if neg_gap > (6 if litotes else 3):
                        neg_at = None
            clause_start = False
            i += 1
        self._sarcasm(praise, repeat)
        self._trouble_fixed()
        self.result.content = bool(hits) or any(t.kind is not Kind.PUNCT for t in toks)
        return self.result

    def _trouble_fixed(self) -> None:
        """ "проблему решили", "the bug was fixed": the trouble named is what got done."""
        hits = self.result.hits
        fixed = {h.clause for h in hits if h.role == "fix" and h.weight > 0}
        hits[:] = [
            h for h in hits if not (h.role == "trouble" and h.kind == "cue" and h.clause in fixed)
        ]

    def _is_chtoby(self, i: int) -> bool:
        return i + 1 < len(self.tokens) and self.tokens[i + 1].norm == "чтобы"

    def _denied_after(self, end: int) -> int | None:
        """End of "нет"/"не было"/"none" within three words after a complaint noun."""
        toks = self.tokens
        for j in range(end, min(end + 4, len(toks))):
            if self.is_boundary(j):
                return None
            norm = toks[j].norm
            if norm in ("нет", "none", "отсутствуют", "отсутствовали"):
                self.consumed.add(j)
                return j + 1
            if norm == "не" and j + 1 < len(toks) and toks[j + 1].norm in DENIED_VERBS:
                return j + 2
        return None

    def _sarcasm(self, praise: list[tuple[Hit, bool]], repeat: bool) -> None:
        """Praise beside a complaint and a marker ("опять", "ну", quotes) is sarcasm."""
        hits = self.result.hits
        complaint = any(h.weight < 0 for h in hits)
        for hit, marked in praise:
            if (complaint and (marked or repeat)) or (
                marked and hit.kind == "cue" and self._quoted(hit)
            ):
                hit.weight, hit.kind = -0.75, "sarcasm"
                self.result.sarcasm = True
        if repeat and complaint:
            for hit in hits:
                if hit.weight < 0:
                    hit.weight *= 1.2  # "опять сорвали сроки" is worse than once

    def _quoted(self, hit: Hit) -> bool:
        before, after = self.text[: hit.start].rstrip(), self.text[hit.end :].lstrip()
        return bool(before) and bool(after) and before[-1] in '«"“„' and after[0] in '»"”'


DENIED_VERBS = _words("было был была были возникло возникало возникали возникли случалось")


def _negated(cue: Cue, weight: float) -> float:
    """A cue's weight under negation: "not happy" is a complaint, "not bad" only mild praise."""
    if cue.negated is not None:
        return cue.negated
    if weight > 0:
        return -0.9 * weight
    return -0.4 * weight if weight < 0 else -0.5


def read(text: str, question: str | None = None) -> RuleResult:
    return _Reader(text, question).run()


def verdict(result: RuleResult) -> tuple[int, float]:
    """The rules' own call, -1/0/1 and a rough confidence, for when no head is loaded."""
    net = result.positive - 1.25 * result.negative  # a missed complaint costs more
    if abs(net) < 0.25:
        return 0, 0.5
    return (1 if net > 0 else -1), min(0.95, 0.5 + 0.2 * abs(net))
