"""The default analyser: e5 embedding head + rule layer, stacked and calibrated.

The embedding head carries what generalises (paraphrase, typos, phrasing never seen); the
rules carry explicit cues with their context (negation, the question asked, sarcasm) and
supply the evidence. Everything it needs ships in the installed packages: nothing is
downloaded at run time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from surveys.model import Sentiment, SentimentLabel
from surveys.sentiment import head as head_module
from surveys.sentiment import morph, ngrams, rules, valence
from surveys.sentiment.embedder import Embedder

_LABELS = (SentimentLabel.NEGATIVE, SentimentLabel.NEUTRAL, SentimentLabel.POSITIVE)
_SIGN = {SentimentLabel.NEGATIVE: -1, SentimentLabel.NEUTRAL: 0, SentimentLabel.POSITIVE: 1}
_CLAUSE_RE = re.compile(r"[^.!?;…\n]+|[.!?;…\n]+")
_LEXICAL_WORD_RE = re.compile(r"\w+")
MAX_EVIDENCE = 10
MAX_EVIDENCE_CHARS = 80
CODE_VERSION = "12"  # bump when the code reads answers differently (rules, embedding window)
RETRACTED_CAP = 0.2  # P(negative) at most this when the client took its complaint back
EXCUSED_CAP = 0.2  # ... and when it excused the team (rules.RuleResult.excused)
ALARM_FLOOR = 0.5  # P(negative) at least this when the rules see an alarm (RuleResult.alarm)


class DefaultAnalyser:
    name = "default"

    def __init__(self, model_path: Path | None = None, embedder: Embedder | None = None) -> None:
        path = model_path or head_module.DEFAULT_PATH
        self.head = head_module.load(path)
        self.ngram = _load_ngram(self.head, path.parent)
        self.embedder = embedder or Embedder()
        morph.analyzer()  # load the dictionary now, not on the first answer
        valence.load()
        self.version = f"{CODE_VERSION}.{self.head.version}"

    def analyse(self, text: str, question: str | None = None) -> Sentiment:
        return self.analyse_many([text], [question])[0]

    def analyse_many(
        self, texts: Sequence[str], questions: Sequence[str | None] | None = None
    ) -> list[Sentiment]:
        """Score several answers at once: one batched embedding call, so faster per answer."""
        found, proba = self._read(texts, questions)
        return [
            self._verdict(f, p) if p is not None else self._empty()
            for f, p in zip(found, proba, strict=True)
        ]

    def proba(self, text: str, question: str | None = None) -> dict[SentimentLabel, float]:
        """Calibrated probability of each label (for policies on mild negatives, and tests)."""
        p = self._read([text], [question])[1][0]
        if p is None:
            return {
                SentimentLabel.NEGATIVE: 0.0,
                SentimentLabel.NEUTRAL: 1.0,
                SentimentLabel.POSITIVE: 0.0,
            }
        return dict(zip(_LABELS, p, strict=True))

    def _read(
        self, texts: Sequence[str], questions: Sequence[str | None] | None
    ) -> tuple[list[rules.RuleResult], list[list[float] | None]]:
        found, proba = self.head_proba(texts, questions)
        return found, [
            None if p is None else self.floored(f, self.with_ngrams(f, p, t))
            for f, p, t in zip(found, proba, texts, strict=True)
        ]

    def with_ngrams(self, found: rules.RuleResult, p: list[float], text: str) -> list[float]:
        """Where the rules see no complaint cue, the n-gram head's log-odds added to ``p``:
        it catches complaints in words the embedding reads as neutral (MODEL.md)."""
        if self.ngram is None or found.negative:
            return p
        return self.ngram.combine(p, text)

    def head_proba(
        self, texts: Sequence[str], questions: Sequence[str | None] | None
    ) -> tuple[list[rules.RuleResult], list[list[float] | None]]:
        """The rules' reading and the head's probabilities before the rule floors (None for
        an answer with no content); tools/ngram_experiment.py combines other models here."""
        qs = list(questions) if questions is not None else [None] * len(texts)
        if len(qs) != len(texts):
            raise ValueError("texts and questions differ in length")
        found = [rules.read(t, q) for t, q in zip(texts, qs, strict=True)]
        proba: list[list[float] | None] = [None] * len(texts)
        feats: dict[int, list[float]] = {}
        rest = []
        for i, r in enumerate(found):
            # An answer of only punctuation ("-", "?") says nothing; e5 would guess.
            if not r.content:
                continue
            feats[i] = r.features()
            by_rules = self.head.rules_proba(feats[i], qs[i])
            if max(by_rules) >= self.head.skip_confidence:
                proba[i] = by_rules
            else:
                rest.append(i)
        if rest:
            embeddings = self.embedder.embed([found[i].text for i in rest])
            for i, emb in zip(rest, embeddings, strict=True):
                proba[i] = self.head.proba(emb, feats[i], qs[i])
        return found, proba

    def floored(self, found: rules.RuleResult, p: list[float]) -> list[float]:
        """``p`` with P(negative) raised where the rules see a complaint the head may miss."""
        if self.head.complaint_floor is not None and found.on_topic_complaint:
            p = head_module.raise_negative(p, self.head.complaint_floor)
        if self.head.plain_floor is not None and found.plain_complaint:
            p = head_module.raise_negative(p, self.head.plain_floor)
        if found.retracted:
            # "sorry, ignore that, all fine": the embedding reads "sorry", "ignore" as a
            # complaint; the client has just taken theirs back.
            p = head_module.lower_negative(p, RETRACTED_CAP)
        if found.excused:
            # «Все молодцы, кроме меня — я долго отвечал», "promised Friday, delivered
            # Thursday": the embedding reads "slow" and the n-grams «обещали» as a complaint.
            p = head_module.lower_negative(p, EXCUSED_CAP)
        if found.alarm:
            # Sarcasm, a warning, an insult, a wait with nothing good said: the embedding
            # reads these as praise or small talk on human wording; the rules do not.
            p = head_module.raise_negative(p, ALARM_FLOOR)
        return p

    def _verdict(self, found: rules.RuleResult, p: Sequence[float]) -> Sentiment:
        # Negative below an even chance: training sets the threshold from the cost of a miss.
        k = 0 if p[0] >= self._threshold(found) else (1 if p[1] >= p[2] else 2)
        label = _LABELS[k]
        evidence = found.evidence(_SIGN[label], MAX_EVIDENCE, MAX_EVIDENCE_CHARS)
        if not evidence and label is not SentimentLabel.NEUTRAL:
            evidence = self._clause_evidence(found.text, _SIGN[label])
        return Sentiment(label, round(p[k], 3), evidence, f"{self.name}/{self.version}")

    def _threshold(self, found: rules.RuleResult) -> float:
        """A question, a plain fact or a request (no complaint cue) needs stronger evidence."""
        no_cue = self.head.no_cue_threshold
        return self.head.negative_threshold if no_cue is None or found.negative else no_cue

    def _clause_evidence(self, text: str, sign: int) -> list[str]:
        """With no cue to quote, the clause whose words lean most the way the answer was read."""
        best, best_score = "", 0.0
        for clause in _CLAUSE_RE.findall(text):
            score = sum(
                self.head.lexical.get(_lexical_key(w), 0.0)
                for w in _LEXICAL_WORD_RE.findall(clause.lower())
            )
            if clause.strip(".!?;…\n ") and (not best or sign * score > best_score):
                best, best_score = clause.strip(), sign * score
        return [best[:MAX_EVIDENCE_CHARS]] if best else []

    def _empty(self) -> Sentiment:
        return Sentiment(SentimentLabel.NEUTRAL, 0.9, [], f"{self.name}/{self.version}")


def _load_ngram(head: head_module.Head, folder: Path) -> ngrams.NgramHead | None:
    spec = head.ngram
    if spec is None:
        return None
    try:
        return ngrams.load(
            folder / str(spec["file"]), int(spec["columns"]), str(spec["digest"]),
            float(spec["alpha"]), spec["bias"],
        )  # fmt: skip
    except ngrams.NgramError as exc:
        raise head_module.HeadError(str(exc)) from exc
    except (KeyError, TypeError) as exc:
        raise head_module.HeadError(f"the n-gram entry of head.json is malformed: {exc}") from exc


def _lexical_key(word: str) -> str:
    """How the lexical table is keyed: first lemma for Cyrillic, the word for the rest."""
    word = word.replace("ё", "е")
    if any("а" <= c <= "я" for c in word):
        return morph.lemmas(word)[0]
    return word
