"""The rule layer: explicit cues, read in context, each with the span that shows it.

It finds lexicon cues (by lemma for Russian), then applies what a short answer's meaning
hangs on: negation and its reach ("не сказал бы, что доволен"), denied complaints
("претензий нет", "уважения нет"), intensifiers and softeners, hedged wishes ("хотелось бы
побыстрее"), sarcasm markers ("ну спасибо, опять сорвали сроки"), the question asked, and
contrast ("вежливо, но ничего не решили"). Its hits are both features for the trained head
and the evidence a manager reads.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from surveys.sentiment import lexicon, morph, valence
from surveys.sentiment.text import RATING_RE, Kind, Token, clean, tokenize

QUESTIONS = frozenset({"outcome", "speed", "politeness"})
OFF_TOPIC = 0.5  # weight of a cue about another question ("долго" answering "outcome")
PLAIN_COMPLAINT = 0.75  # complaint weight that, with nothing good said, is a plain complaint


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Apostrophes are dropped in normalisation, so "didn't" arrives as "didnt".
NEGATORS = _words(
    """не нет ни без ничего никогда никак никто нисколько никакой никаких никакого никакие неа
    мало маловато ноль нулевой нулевая нулевое нулевые редко
    rarely seldom not no never nothing without hardly barely none nobody neither nor nope zero
    little
    dont doesnt didnt isnt arent wasnt werent cant cannot couldnt wont wouldnt havent hasnt
    hadnt shouldnt aint"""
)
# Said after a cue, these deny it: "уважения нет", "толку ноль", "respect no".
DENIERS = _words("нет ноль нулевой нулевая нулевое нулевые мало маловато none no zero отсутствует")
DENIED_VERBS = _words(
    "было был была были возникло возникало возникали возникли случалось ожидаем ожидается "
    "ожидаются предвидится предвидятся предвидим наблюдается наблюдаем"
)
# A negator with no cue in reach is itself the complaint ("не очень", "нет", "not really").
DANGLING = _words("не нет неа никак никакой not no never nope")
NEITHER = _words("ни neither nor")  # "ни быстро, ни долго": neither way
INTENSIFIERS = _words(
    """очень слишком совсем крайне абсолютно полностью весьма сильно реально жутко дико
    невероятно максимально супер особенно особо настолько так вообще просто прям прямо
    very really so too extremely totally absolutely super incredibly completely utterly
    truly highly quite such exactly necessarily"""
)
SOFTENERS = _words(
    "немного слегка чуть чуть-чуть несколько немножко местами отчасти иногда "
    "somewhat slightly bit kinda sometimes partly"
)
# Words that may stand between a negator and its cue without ending its reach.
FILLERS = _words(
    """был была было были быть бы же уж то это все всё всегда и
    be been was were is are am the a an that so it its as quite very all more"""
)
# "не сказал бы, что …", "I wouldn't say …": the negation reaches across "что"/"that".
SAY = _words("сказать говорить назвать считать думать утверждать say call think claim")
LINK = _words("что чтобы бы я мы они он она все всё это было были был that i im we were was its")
# "couldn't be slower", "couldn't be more polite": the negation makes a superlative.
SUPERLATIVE_NEGATORS = _words("couldnt cant cannot")
CONTRAST = _words("но однако зато but however")
BOUNDARY_WORDS = CONTRAST | _words("а хотя although though")
BOUNDARY_PUNCT = frozenset('.,!?;:…()"«»“”„\n') | {"..", "..."}
SENTENCE_END = frozenset(".!?;…\n")
CONJUNCTIONS = _words("и или and or")
REPEAT = _words("опять снова очередной очередная очередные again another")
REPEAT_PHRASES = (("как", "всегда"), ("как", "обычно"), ("в", "который", "раз"), ("as", "always"),
                  ("as", "usual"), ("yet", "again"))  # fmt: skip
SARCASM_PHRASES = (
    ("спасибо", "за", "ничего"), ("thanks", "for", "nothing"), ("yeah", "right"),
    ("ага", "конечно"), ("ну", "да", "конечно"), ("ну", "конечно"),
)  # fmt: skip
INTERJECTIONS = _words("ну oh wow ох ой")
# "thanks a lot", "спасибо большое": words after praise that belong to the phrase a sarcastic
# reading quotes (evidence only; they weigh nothing).
PRAISE_TAILS = (("a", "lot"), ("so", "much"), ("very", "much"), ("большое",), ("огромное",))
# "thanks to you I lost a day", "благодаря вам потеряли день": thanks for a harm is sarcasm;
# with no harm named it is plain thanks ("благодаря вам всё заработало").
# ("thanks for the help, sorry about the mess" is sincere: only "thanks to you" counts.)
CAUSAL_THANKS = (("thanks", "to", "you"), ("thanks", "to", "your"), ("благодаря", "вам"),
                 ("благодаря", "вашему"), ("благодаря", "вашей"),
                 ("благодаря", "вашим"))  # fmt: skip
# "лучше бы сразу сделали нормально", "should have just fixed it": what they should have done.
COUNTERFACTUAL = (("лучше", "бы"), ("надо", "было"), ("нужно", "было"), ("следовало", "бы"),
                  ("следовало",), ("могли", "бы"), ("should", "have"), ("shouldve",),
                  ("could", "have", "just"), ("wouldve", "been", "better"),
                  ("would", "have", "been", "better"), ("would", "be", "happier"),
                  ("would", "be", "much", "happier"), ("would", "be", "a", "lot", "happier"),
                  ("would", "be", "so", "much", "happier"))  # fmt: skip
# "could have been better", «могло быть и лучше»: a verdict on what was done, not a wish for
# later (RuleResult.alarm).
COULD_HAVE_BEEN = (("could", "have", "been"), ("couldve", "been"), ("могло", "быть"),
                   ("могло", "бы", "быть"), ("могли", "бы", "и"))  # fmt: skip
# "хотелось бы побыстрее", "would like faster replies": a wish for more is a complaint.
WISH = _words("хотеться хотелось хочется бы можно нужно надо стоит стоило следовало желательно")
WISH_PHRASES = (
    ("would", "like"), ("would", "have", "liked"), ("wouldve", "liked"), ("id", "like"),
    ("wed", "like"), ("wed", "love"), ("wed", "prefer"), ("wed", "appreciate"),
    ("couldve", "been"), ("могло", "быть"), ("могло", "бы", "быть"),
    ("would", "appreciate"), ("would", "love"), ("would", "prefer"), ("id", "prefer"),
    ("would", "have", "preferred"), ("wouldve", "preferred"), ("wish",), ("need",), ("needs",),
    ("should", "be"), ("could", "be"), ("could", "have", "been"), ("would", "be", "nice"),
    ("would", "have", "been", "nice"), ("hope",), ("хотелось", "бы"), ("можно", "было", "бы"),
    ("можно", "было"), ("не", "помешало", "бы"), ("не", "помешает"),
)  # fmt: skip
WISH_MORE = _words("больше побольше меньше поменьше more less fewer")
MORE = _words("больше побольше more")
# "more of this", «побольше таких спринтов»: the wish is for the same again.
MORE_OF_THE_SAME = (("of", "this"), ("of", "that"), ("of", "the", "same"), ("like", "this"),
                    ("such",), ("таких",), ("такого",), ("такой",), ("такое",), ("этого",),
                    ("так", "же"))  # fmt: skip
EN_COMPARATIVES = _words(
    "faster quicker sooner earlier politer friendlier warmer kinder better slower worse later "
    "ruder colder"
)
# "пришлось доделывать самим", "we had to redo it": the client did the work.
FORCED_PHRASES = (
    ("пришлось",), ("приходится",), ("приходилось",), ("вынуждены",), ("had", "to"),
    ("have", "to"), ("were", "forced"), ("forced", "to"),
)  # fmt: skip
AS_AGREED_RE = re.compile(
    r"(?i)(?<!\w)(?:как\s+(?:и\s+)?договаривались|по\s+договор[её]нности|как\s+(?:и\s+)?"
    r"планировали|as\s+(?:we\s+)?(?:agreed|planned)|as\s+per\s+(?:the\s+)?plan)(?!\w)"
)
# "We ended up fixing it ourselves", «в итоге доделали сами»: no complaint alone ("ended up
# happy"), but the client doing the team's work after it is one (SELF_DONE).
ENDED_UP = (("ended", "up"), ("end", "up"), ("ending", "up"), ("в", "итоге"), ("в", "конце",
            "концов"), ("в", "результате"))  # fmt: skip
# Links and @handles name no feeling ("RT @fucktec:", "t.co/…/fail"): blanked before reading,
# so the spans still index the text.
# "SLA? What SLA", «Сроки? Какие сроки?»: asked back about, the thing is said not to exist.
WHAT_X_RE = re.compile(
    r"(?i)(?:^|(?<=[.!?…]\s))(\w{3,})\s*\?+\s*(?:what|which|какие|какой|какая|какое|какую|каких)"
    r"\s+(\w{3,})(?=\s*(?:$|[^\w\s]))"
)  # the one-word question opens a sentence and the second ends with the word asked back
# "Two weeks for a typo fix", «Простую правку делали месяц»: weeks for a small task is a
# complaint with no feeling word (read as praise before: "simple", "fix").
SMALL_TASK_RE = re.compile(
    r"(?i)\b(?:typos?(?:\s+(?:fix|change|edit)(?:e?s)?)?|one[- ]liners?|one[- ]line|"
    r"(?:small|tiny|minor|simple|quick|trivial|little)\s+"
    r"(?:fix|change|tweak|edit|bugfix|bug|task|update|request|thing)(?:e?s)?|"
    r"опечат\w*|одн\w*\s+строч?к\w*|пустяк\w*|мелоч\w*|"
    r"(?:мелк|прост|небольш|крошечн|пустяков|элементарн)\w*\s+"
    r"(?:правк|доработк|исправлени|изменени|задач|баг|фикс)\w*)"
)
# «Зачем убрали тёмную тему», "why did they remove dark mode": asking why something was
# taken away or broken is a complaint («почему поменяли…» may simply ask, so not that).
WHY_TAKEN_RE = re.compile(
    r"(?i)(?<!\w)(?:зачем|why\s+(?:did|would|do|does)\s+(?:you|they|anyone|someone))\s+"
    r"(?:\w+\s+)?(?:убрал|удалил|сломал|испортил|убира|удаля|лома|порти|remov|delet|break|"
    r"broke|kill|ruin)\w*"
)
# Praise taken back in the same breath: echoed as a question and waved off ("Fast? Yeah,
# right.", «Быстро? Ну-ну.»), limited to when it suits them ("polite only when they need
# something"), or wished for ("great work, if only it worked", «если бы она ещё работала»).
# A plain "Fast? Sure." / «Быстро? Конечно!» agrees, so not those.
ECHO_DISMISSED_RE = re.compile(
    r"(?i)^\W*[^\W\d_]+(?:\s+[^\W\d_]+)?\s*\?+\s*(?:ну[- ]ну|ага,?\s+щас|как\s+же|щас|"
    r"ха(?:[- ]?ха)+|yeah,?\s+(?:right|sure)|as\s+if|lol|ha(?:[- ]?ha)+|😂|🙄)(?!\w)"
)
ONLY_LONG_RE = re.compile(
    r"(?i)(?<!\w)(?:only|just|a\s+mere|всего(?:-то|\s+лишь)?|каких-то|лишь)\s+(?:\w+\s+)?"
    r"(?:weeks|months|недел[иь]|месяц\w*|полгода)(?!\w)"
)
# "It took only two days", «справились всего за час», "Fast, only two days": a short time
# made smaller is speed praised; the embedding reads "took … days" and «ждали» as a wait.
# Not «только/лишь через…» or "only after" (not until), nor "only a day late" / "ago".
SHORT_SPAN_RE = re.compile(
    r"(?i)(?<!\w)(?:only|just|a\s+mere|всего(?:-то|\s+лишь)?|каких-то)\s+"
    r"(?:(?:за|через)\s+)?(?:каких-то\s+)?"
    r"(?:(?:a|an|one|two|three|four|five|a\s+few|a\s+couple\s+of|half\s+an|\d+|один|одну|"
    r"пару|два|две|три|четыре|пять|несколько)\s+)?"
    r"(?:minutes?|mins?|hours?|hrs?|days?|минут[уы]?|час(?:а|ов)?|полчаса|полдня|день|дня|"
    r"дней|сутки|суток)(?!\w)"
    r"(?!\s+(?:\w+\s+)?(?:late|later|longer|overdue|behind|ago|after|before|позже|дольше|"
    r"назад|спустя|после|опоздан|просроч|задерж)\w*)"
)
# What a short time may be said of: the work done in it («заняло», "took", "fixed").
DONE_IN_RE = re.compile(
    r"(?i)(?<!\w)(?:took|takes?|taking|fixed|resolved|solved|done|finished|answered|replied|"
    r"responded|delivered|shipped|занял[аои]?|ушл[оа]|ушёл|понадобил\w*|потребовал\w*|"
    r"справил\w*|сделал\w*|исправил\w*|починил\w*|ответил\w*|решил\w*|пофиксил\w*)(?!\w)"
)
WHEN_IT_SUITS_RE = re.compile(
    r"(?i)(?<!\w)(?:только\s+)?когда\s+(?:это\s+)?(?:им|ему|ей)\s+(?:что-то\s+|что-нибудь\s+)?"
    r"(?:нужно|надо|выгодно|удобно)|(?:only\s+)?when\s+(?:they|he|she)\s+(?:need|want)s?\s+"
    r"(?:something|smth|money)|(?:only\s+)?when\s+it\s+suits\s+(?:them|him|her)"
)
IF_ONLY_WORKED_RE = re.compile(
    r"(?i)(?<!\w)(?:если\s+бы|if\s+only|would\s+be\s+\w+\s+if)\s+(?:[\w'’]+\s+){0,3}?"
    r"(?:работал[аио]?|заработал[аио]?|worked|functioned|did\s+(?:anything|something))(?!\w)"
)
# "It used to be better", «Раньше было лучше»: praise for the past is a complaint about now
# («лучше, чем раньше» is praise: "раньше" must come first).
USED_TO_BE_RE = re.compile(
    r"(?i)(?<!\w)(?:(?:раньше|прежде)\s+(?:(?:всё|все|было|были|был|была|работали|отвечали|"
    r"делали|вы|они)\s+){0,2}(?:гораздо\s+|намного\s+|куда\s+)?(?:лучше|быстрее|вежливее|"
    r"качественнее|внимательнее|оперативнее|приятнее)|used\s+to\s+be\s+(?:much\s+|a\s+lot\s+|"
    r"way\s+|so\s+much\s+)?(?:better|faster|quicker|nicer|friendlier|more\s+\w+))(?!\w)"
)
# "It would be great if you checked your work", «было бы здорово, если бы вы проверяли»: a
# habit wished for reproaches; "…if you could send…", «…если бы вы прислали…» ask.
WISH_IF_RE = re.compile(
    r"(?i)(?<!\w)(?:would\s+be\s+(?:great|nice|good|helpful|better|awesome)\s+if\s+"
    r"(?:you|they|the\s+team)\s+(?:(?:actually|at\s+least|just|ever|always)\s+)?"
    r"(?P<en>\w+ed|did|read|wrote|kept|told|made|gave|took)"
    r"|было\s+бы\s+(?:здорово|хорошо|неплохо|отлично|классно|лучше|прекрасно)\s*,?\s+если\s+бы\s+"
    r"(?:вы|они|команда)\s+(?:(?:хотя\s+бы|хоть|сами|наконец|всегда|иногда)\s+)?(?P<ru>\w+ли))"
    r"(?!\w)"
)
# «Можно было бы и поздороваться», "could have at least warned us": a courtesy missed.
COURTESY_MISSED_RE = re.compile(
    r"(?i)(?<!\w)(?:(?:можно\s+было(?:\s+бы)?|могли\s+бы|не\s+помешало\s+бы|стоило(?:\s+бы)?)\s+"
    r"(?:(?:и|хотя|бы|хоть|нас|нам)\s+){0,3}(?:поздоровать|извинить|предупредить|предупреждать|"
    r"ответить|отвечать|перезвонить|сообщить|уведомить|поблагодарить|представить|объяснить)\w*|"
    r"(?:could|should)(?:\s+have|'ve|ve)\s+(?:at\s+least\s+|just\s+)?(?:warned|told|said\s+hello|"
    r"apologi[sz]ed|replied|answered|called|let\s+us\s+know|informed|explained))(?!\w)"
)
# «Им всё равно»: they do not care; «вам не всё равно»: you do («всё равно спасибо» is
# "anyway", so only after whom it is said of).
CARE_RE = re.compile(
    r"(?i)(?<!\w)(?:им|вам|ему|ей|всем|команде|менеджеру|никому)\s+(?:было\s+|явно\s+|просто\s+|"
    r"совершенно\s+|абсолютно\s+)?(?P<not>не\s+)?(?:всё|все)\s+равно(?!\w)"
)
# "It used to be slow, now it's fast", «Раньше было медленно, теперь быстро»: a complaint
# about the past, with praise after "now", is a change for the better.
THEN_NOW_RE = re.compile(
    r"(?i)(?<!\w)(?P<then>раньше|прежде|сначала|поначалу|вначале|в\s+начале|used\s+to|"
    r"at\s+first|initially|in\s+the\s+beginning)(?!\w)[^.!?…\n]*?(?<!\w)(?P<now>теперь|сейчас|"
    r"now|these\s+days|nowadays)(?!\w)"
)
# «Систематическое нарушение сроков», "SLA exceeded threefold": a formal letter's complaint.
_TERM = r"(?:срок\w*|sla|сла|дедлайн\w*|deadlines?|timelines?|slas)"
TERMS_BREACHED_RE = re.compile(
    rf"(?i)(?<!\w)(?:(?:нарушени\w*|наруша\w*|наруши\w*|превышени\w*|превыс\w*|превыша\w*|"
    rf"breach\w*|violat\w*|exceed\w*)\s+(?:[\w-]+\s+){{0,2}}?{_TERM}|"
    rf"(?:{_TERM}|response\s+times?)(?:\s+[\w-]+){{0,3}}?\s+(?:was\s+|were\s+|is\s+|are\s+)?"
    rf"(?:превышен\w*|превыс\w*|нарушен\w*|наруш\w*|breached|violated|exceeded))(?!\w)"
)
# "The invoice was higher than agreed", «счёт больше, чем договаривались», "over budget": more
# money than agreed ("did more than we expected" is praise: only where money is named).
COSTLIER_RE = re.compile(
    r"(?i)(?<!\w)(?:(?P<dearer>дороже|pricier|more\s+expensive|costlier)|больше|выше|higher|more|"
    r"bigger)[\s,]+(?:чем|than)\s+(?:\w+\s+){0,2}?(?:договарива|согласовыва|обеща|планир|оценива|"
    r"в\s+смет|в\s+договор|agreed|quot|estimat|budget|plann|promis|expect|ожида)\w*|"
    r"(?<!\w)(?:over\s+budget|(?:превысили|превышен\w*|вышли\s+за(?:\s+рамки)?)\s+бюджет\w*)(?!\w)"
)
MONEY_RE = re.compile(
    r"(?i)(?<!\w)(?:сч[её]т\w*|стоимост\w*|цен\w*|бюджет\w*|смет\w*|оплат\w*|денег|деньги|"
    r"invoice\w*|bill\w*|cost\w*|price\w*|budget\w*|fees?|charge\w*|rates?)(?!\w)"
)
_DENIED_BREACH_RE = re.compile(r"(?i)(?<!\w)(?:не|not|never|no|без|without|ни)(?!\w)")
# "The bugs you fixed came back", «вернулись старые баги»: a regression, said with no feeling
# word ("came back fixed" is not one).
_BACK = (
    r"(?:вернул(?:ись|ась|ся|ось)|возвраща(?:ются|ется)|снова\s+появ\w*|опять\s+появ\w*|"
    r"появ\w*\s+(?:снова|опять)|came\s+back|come\s+back|comes\s+back|coming\s+back|"
    r"are\s+back|is\s+back|returned|reappear\w*|resurfac\w*)"
)
_DEFECT = r"(?:баг\w*|ошибк\w*|ошибок|проблем\w*|глюк\w*|bugs?|issues?|errors?|problems?|crash\w*)"
REGRESSION_RE = re.compile(
    rf"(?i)(?<!\w)(?:{_DEFECT}(?:[\s,]+[\w'’]+){{0,4}}?[\s,]+{_BACK}|{_BACK}\s+(?:\w+\s+){{0,2}}"
    rf"{_DEFECT})(?!\w)(?!\s+(?:fixed|resolved|solved|исправлен\w*|решен\w*))"
)
# "nice job breaking the build", "thanks for losing our data", «спасибо, что положили прод»:
# praise for a harm named right after it is sarcasm ("nice job fixing the broken build" is
# not: the harm must come first, after at most a filler word).
PRAISE_FOR_RE = re.compile(
    r"(?i)\b(?:(?:nice|great|good|fantastic|brilliant|excellent|awesome|amazing)\s+"
    r"(?:job|work)|well\s+done|way\s+to|thanks?(?:\s+you)?(?:\s+(?:so\s+much|a\s+lot))?\s+"
    r"for|спасибо(?:\s+(?:большое|огромное))?(?:\s+за\s+то)?\s*,?\s*что|"
    r"(?:вежливо|мило|любезно|красиво|умно|здорово)\s+(?:было\s+)?(?:с\s+вашей\s+стороны\s+)?)\s*,?\s*"
    r"(?:(?:again|once\s+again|completely|totally|just|опять|снова|всё|все|нам|мне|нас|"
    r"наш\w*|our|us|my|the)\s+){0,2}"
)
# "do you even test anything?", «вы вообще читаете почту?»: asking whether the basic work is
# done at all is a complaint ("have you ever considered…?", «вы вообще работаете по
# выходным?» ask).
RHETORICAL_RE = re.compile(
    r"(?i)\b(?:do|does|did)\s+(?:you|they|anyone|anybody|your\s+team)(?:\s+guys)?\s+"
    r"(?:ever|even)\s+(?:test|read|check|answer|reply|respond|listen|review|proofread|look\s+at)"
    r"\w*[^.!?…\n]*\?|\bвы\s+(?:вообще|хоть|хотя\s+бы)\s+(?:тестир|чита|провер|отвеча|"
    r"слуша|смотр|дума)\w*[^.!?…\n]*\?|"
    # "is anyone actually working today?", «кто-нибудь вообще работает?»: whether anyone does
    # the job at all ("has anyone tried the new build?" asks)
    r"\b(?:is|are|does|do|will|can)\s+(?:anyone|anybody|someone|somebody|any\s+of\s+you)\s+"
    r"(?:actually|even|ever|still)\s+(?:work|listen|read|answer|repl|respond|check|look|test|"
    r"care|there|home|awake|monitor|on\s+it)\w*[^.!?…\n]*\?|"
    r"(?<!\w)кто-(?:нибудь|то)\s+(?:вообще|хоть|там)\s+(?:работа|отвеча|чита|слуша|смотр|"
    r"провер|есть)\w*[^.!?…\n]*\?|"
    # «вы там вообще работаете?» («вы вообще работаете по выходным?» asks), "are you even
    # working?"
    r"(?<!\w)вы\s+там\s+(?:вообще|хоть)\s+\w+[^.!?…\n]*\?|"
    r"\bare\s+you(?:\s+guys)?\s+even\s+(?:work|there|awake|listen|read)\w*[^.!?…\n]*\?"
)
# Said plainly, no feeling word: never using them again ("never flying with you again"), a
# promise measured against the clock ("We'd leave in 10 minutes. That was an hour ago."),
# money paid for nothing, and the thing named mocked («и это называется сервис?», "you call
# this support?"; "what do you call this field?" asks).
_PATRONAGE = (
    r"(?:fly|use|buy|order|book|shop|eat|stay|visit|hire|choose|pick|recommend|trust|deal|"
    r"work|go|come|bank|renew|sign)\w*"
)
NEVER_AGAIN_RE = re.compile(
    rf"(?i)\b(?:never|not|won'?t|won’t)\s+(?:(?:be|ever|going\s+to|gonna)\s+)?{_PATRONAGE}"
    r"(?:\s+(?!(?:anyone|anybody|anything|anywhere|else|other|another|different)\b)[\w'’]+)"
    r"{0,4}?\s+again\b"
)  # "I'd never use anyone else again" is praise
TIME_AGO_RE = re.compile(
    r"(?i)(?<=[.!?…]\s)(?:that|this)\s+was\s+(?:(?:an?|one|two|three|four|five|six|\d+|over\s+an?|"
    r"almost\s+an?|more\s+than\s+an?)\s+)?(?:minutes?|hours?|days?|weeks?|months?)\s+ago"
    r"(?=\s*(?:[.!?…]|$))|(?<=[.!?…]\s)(?:это|и\s+это)\s+было\s+(?:уже\s+)?(?:\w+\s+)?(?:минут\w*|час\w*|дн\w*|день|"
    r"недел\w*|месяц\w*)\s+назад(?=\s*(?:[.!?…]|$))"
)  # its own sentence after what was promised: "That was two weeks ago, before…" tells when
PAID_FOR_NOTHING_RE = re.compile(
    r"(?i)\b(?:paid|pay|paying|spent|spend)\b[^.!?…\n]{0,40}?\bfor\s+nothing\b"
)
CALLED_THIS_RE = re.compile(
    r"(?i)(?<!\w)(?:и\s+это\s+называ\w+\s+\w+|это\s+называ\w+\s+\w+[^.!?…\n]*\?|"
    r"(?<!do\s)(?<!did\s)\byou\s+call\s+(?:this|that)\s+(?:a\s+)?\w+)"
)  # «это называется рефакторинг» explains; "they call it Phoenix" names
THANKS_RE = re.compile(r"(?i)thank|thx|ty\b|cheers|appreciat|спасиб|благодар")
# "So much for 24/7 support", «вот вам и поддержка»: what was promised, mocked ("thank you
# so much for…" thanks). Your "premium" support, ваша «поддержка»: the name in scare quotes.
SO_MUCH_FOR_RE = re.compile(
    r"(?i)(?<!thank\s)(?<!thanks\s)(?<!thank\syou\s)\bso\s+much\s+for\b|(?<!\w)вот\s+(?:вам|тебе)\s+и\b"
)
SCARE_QUOTED_RE = re.compile(
    r"(?i)(?<!\w)(?:your|their|ваш\w*|их)\s+[\"«“„](?:premium|priority|express|fast|quick|"
    r"support|service|help|care|experts?|professionals?|specialists?|24/7|guarantee\w*|"
    r"поддержк\w*|сервис\w*|помощ\w*|забот\w*|эксперт\w*|профессионал\w*|специалист\w*|"
    r"премиум\w*|приоритет\w*|быстр\w*|срочн\w*|гаранти\w*)[\"»”]"
)  # the service they sell, mocked; 'your "Release Notes" page' names a page
# "I can't believe you lost it again", «не верится, что так быстро»: surprise, not a denial
# of what follows ("I don't believe it's fixed" still denies).
DISBELIEF = _words("believe поверить верится")
# "tastes like it came out of a can": "like it" after these is a comparison, not praise.
LIKENESS = _words(
    "look looks looked seem seems seemed feel feels felt taste tastes tasted "
    "sound sounds sounded smell smells smelled just more something"
)
LONG_SPAN_RE = re.compile(
    r"(?i)(?<![\w-])(?:(?:\d+|two|three|four|five|six|several|a\s+few|a\s+couple\s+of|many)"
    r"\s+(?:weeks|months)|a\s+(?:whole\s+|full\s+)?(?:week|month)|weeks|months|"
    r"half\s+a\s+year|(?:\d+|две|два|три|четыре|пять|шесть|несколько|пару|целую|целый|целых|"
    r"больше|более)?\s*(?:неделя|неделю|недели|недель|неделями|месяц|месяца|месяцев|"
    r"месяцами)|полгода|полмесяца)(?![\w-])"
)
# "last week", "once a week", «на прошлой неделе», «раз в месяц»: when, not how long.
SINCE_RE = re.compile(
    r"(?i)\b(?:last|this|next|per|every|each|once|twice)\s*$|"
    r"(?:прошл|эт|следующ|кажд)\w*\s*$|(?<!\w)в\s*$"
)
# Links, @handles and "/commands" ("/sticker" typed as an answer read as a complaint).
NOISE_RE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)@\w+|(?<![\w/])/[a-z_]+\b")
TYPO_MIN_LEN = 5
# "Slow — sorry, ignore that, all fine", «Медленно. Забудьте, всё нормально»: the client takes
# back what it said before (often as a quick second message, joined to the first).
RETRACTIONS = (
    ("ignore", "that"), ("ignore", "this"), ("ignore", "my", "last"), ("ignore", "the", "last"),
    ("never", "mind"), ("nevermind",), ("please", "disregard"), ("disregard", "that"),
    ("disregard", "my"), ("wrong", "chat"), ("actually", "no"), ("no", "wait"),
    ("scratch", "that"), ("my", "mistake"), ("хотя", "нет"), ("забудьте",), ("забей",), ("отбой",),
    ("не", "обращайте", "внимания"), ("не", "тот", "чат"), ("не", "в", "тот", "чат"),
    ("я", "ошибся"), ("я", "ошиблась"), ("моя", "ошибка"),
)  # fmt: skip
RETRACTION_FIRST = frozenset(p[0] for p in RETRACTIONS)  # most words start none: skip them
# "мы сами затянули с ТЗ", "our fault": the client blames itself, not the team.
SELF_BLAME = _words("сами ourselves")
# After "пришлось"/"had to": the client did the team's work («пришлось переделывать самим»).
SELF_DONE = SELF_BLAME | _words("сам сама самим самому самостоятельно")
PERSONAL_PRONOUNS = _words("я мне меня мы нам нас ты тебе вы вам он она они ему ей им")
SELF_BLAME_PHRASES = (("по", "нашей", "вине"), ("наша", "вина"), ("our", "fault"),
                      ("по", "нашей", "просьбе"), ("по", "нашему", "запросу"),
                      ("at", "our", "request"), ("we", "asked", "to", "postpone"),
                      ("we", "asked", "them", "to", "postpone"), ("we", "asked", "to", "delay"),
                      ("we", "asked", "to", "move"),
                      ("on", "our", "side"), ("с", "нашей", "стороны"),
                      ("на", "нашей", "стороне"), ("из-за", "нас"), ("из-за", "нашего"),
                      ("из-за", "нашей"), ("из-за", "наших"), ("was", "on", "us"),
                      ("is", "on", "us"), ("thats", "on", "us"), ("our", "delay"),
                      ("our", "bad"), ("on", "our", "end"), ("как", "мы", "и", "просили"),
                      ("как", "мы", "просили"), ("as", "we", "asked"), ("as", "we", "requested"),
                      ("as", "requested"))  # fmt: skip
# «Все молодцы, кроме меня — я долго отвечал»: the client carves itself out of the praise.
SELF_EXCEPTED = (("кроме", "меня"), ("кроме", "нас"), ("except", "me"), ("except", "us"),
                 ("except", "for", "me"), ("except", "for", "us"), ("apart", "from", "me"),
                 ("apart", "from", "us"), ("except", "myself"))  # fmt: skip
# "nothing to add except thanks": what is left after the exception is not denied.
EXCEPT_WORDS = _words("кроме except помимо исключением besides")
# Words that say which aspect a clause is about: praise in "…, но результат отличный" is
# about the result, so it counts for less when the question was about speed.
TOPICS = {
    "outcome": _words("результат качество решение продукт итог result results quality outcome "
                      "solution product deliverable"),
    "speed": _words("скорость срок темп speed pace timing deadline deadlines"),
    "politeness": _words("общение вежливость тон коммуникация communication tone manners "
                         "attitude politeness"),
}  # fmt: skip


class Cue(NamedTuple):
    words: tuple[tuple[str, bool], ...]  # (word, is_stem) per word of the phrase
    weight: float
    negated: float | None
    scope: frozenset[str]
    cyrillic: bool
    alarm: bool = False

    @property
    def role(self) -> str:
        """ "fix": getting the job done; "trouble": a complaint noun; "latent": says little
        unless denied; "alarm": a complaint whatever surrounds it."""
        if self.weight == 0 and self.negated is not None:
            return "latent"
        if self.weight < 0 and (self.negated == -1.0 or self.alarm):
            return "alarm"  # a warning, an insult, a wait (under any negation); bad news, a flaw
        if self.negated == -1.0:
            return "fix"
        return "trouble" if self.weight < 0 and (self.negated or 0) > 0 else ""


@dataclass(slots=True)
class Hit:
    weight: float
    start: int  # character span in the cleaned text
    end: int
    on_topic: bool = False  # a cue scoped to the question that was asked
    kind: str = "cue"  # cue, negated, emoji, wish, sarcasm, dangling, neutral, forced, rating,
    # muted (a smile beside a complaint)
    clause: int = 0
    role: str = ""
    general: bool = False  # praise not tied to a question: the clause's topic may narrow it
    manner: bool = False  # a speed complaint ("долго", "slow"): how the work went, not a thing
    # The span quoted as evidence when it is more than the cue: praise read as sarcasm is
    # quoted with its marker («ну спасибо», «thanks a lot»), never as the praise word alone.
    # Evidence only: no feature, weight or label reads it.
    quote: tuple[int, int] | None = None


FEATURE_NAMES = (
    "log_pos", "log_neg", "log_on_topic_neg", "sarcasm", "neutral_cue", "no_cue", "dangling",
    "question_mark", "vader_neg", "vader_pos", "vader_compound",
)  # fmt: skip


@dataclass(slots=True)
class RuleResult:
    text: str  # the cleaned text the spans index
    hits: list[Hit] = field(default_factory=list)
    sarcasm: bool = False
    content: bool = False  # any word or emoji at all: "-" or "?" says nothing
    # VADER's negative share, positive share and compound (valence.py): English feeling words
    # our lexicon lacks ("suck", "gross"); zeros for Russian.
    valence: tuple[float, float, float] = (0.0, 0.0, 0.0)
    retracted: bool = False  # the client took its complaint back ("ignore that, all fine")
    # The client excused the team and no complaint is left: its own delay carved out of the
    # praise («все молодцы, кроме меня — я долго отвечал»), a promise kept (on time, early).
    excused: bool = False

    @property
    def positive(self) -> float:
        """Good said of the work: thanks closing a complaint are manners (_sign_off)."""
        return sum(h.weight for h in self.hits if h.weight > 0 and h.role != "courtesy")

    @property
    def negative(self) -> float:
        return -sum(h.weight for h in self.hits if h.weight < 0)

    @property
    def on_topic_negative(self) -> float:
        return -sum(h.weight for h in self.hits if h.weight < 0 and h.on_topic)

    @property
    def on_topic_complaint(self) -> bool:
        """A complaint about the very thing asked ("долго" to speed), and no praise of it."""
        complaint = any(h.on_topic and h.weight <= -0.7 for h in self.hits)
        return complaint and not any(h.on_topic and h.weight > 0 for h in self.hits)

    @property
    def plain_complaint(self) -> bool:
        """A complaint cue of some weight and nothing good said ("bland", "до сих пор")."""
        return self.negative >= PLAIN_COMPLAINT and self.positive == 0

    @property
    def alarm(self) -> bool:
        """A complaint the embedding tends to misread and nothing on the other side: sarcasm,
        a warning, an insult, a wait, a denied service ("не работает", "no signal"), what
        should have been done, a smile beside a complaint, bad news for the company
        ("санкции"), a flaw named ("buggy", "глючное")."""
        if self.positive > 0:
            return False
        return self.sarcasm or any(
            (h.weight < 0 and (h.role in ("alarm", "latent") or h.kind == "sarcasm"))
            or h.kind == "muted"
            for h in self.hits
        )

    def features(self) -> list[float]:
        """What the trained head sees of the rules; log1p keeps a wall of cues bounded."""
        return [
            math.log1p(self.positive),
            math.log1p(self.negative),
            math.log1p(self.on_topic_negative),
            float(self.sarcasm),
            float(any(h.kind == "neutral" for h in self.hits)),
            float(not any(h.weight for h in self.hits)),
            float(any(h.kind == "dangling" for h in self.hits)),
            float("?" in self.text),
            *self.valence,
        ]

    def evidence(self, sign: int, limit: int = 10, max_chars: int = 80) -> list[str]:
        """Spans of the hits on one side (sign -1, 0 or 1), in text order, merged."""
        chosen = sorted(
            (h for h in self.hits if (h.weight > 0) - (h.weight < 0) == sign),
            key=lambda h: h.start,
        )
        spans: list[list[int]] = []
        for h in chosen:
            start, end = h.quote or (h.start, h.end)
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        quotes = (self.text[s:e].strip()[:max_chars] for s, e in spans)
        return list(dict.fromkeys(q for q in quotes if q))[:limit]


# --- the lexicon index ----------------------------------------------------------------------


def _pattern_word(word: str) -> tuple[str, bool]:
    word = word.lower().replace("ё", "е")
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
            cue = Cue(words, group.weight, group.negated, group.scope, cyr, group.alarm)
            index.setdefault(words[0][0], []).append(cue)
            for word, stem in words:
                if stem or len(word) < TYPO_MIN_LEN:
                    continue
                for form in morph.forms(word) if cyr else {word}:
                    for deletion in _deletions(form):
                        typo.setdefault(deletion, form)
    return index, typo, max(len(k) for k in index)


@lru_cache(maxsize=1)
def _latin_typos() -> dict[str, list[tuple[str, int]]]:
    """Latin lexicon words by each of their one-letter deletions, with the position deleted
    (-1: the word itself)."""
    typos: dict[str, list[tuple[str, int]]] = {}
    for group in lexicon.GROUPS:
        for pattern in group.patterns.split(","):
            if any("а" <= c <= "я" for c in pattern):
                continue
            for word, stem in (_pattern_word(w) for w in pattern.split()):
                if stem or len(word) < TYPO_MIN_LEN:
                    continue
                for at, deletion in _positioned_deletions(word):
                    typos.setdefault(deletion, []).append((word, at))
    return typos


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _positioned_deletions(word: str) -> list[tuple[int, str]]:
    return [(-1, word), *((i, word[:i] + word[i + 1 :]) for i in range(len(word)))]


def _latin_typo(norm: str) -> str | None:
    """The lexicon word a Latin word misspells by one letter left out or added, two letters
    swapped or the wrong letter doubled, never the first. With no English dictionary to
    vouch for a word, a letter changed anywhere read real words as cues ("curious" as
    "furious", "writing" as "waiting", "closing" as "losing", "changed" as "charged"); real
    typos of our cue words mostly leave a letter out, double one or swap two ("disapointed",
    "freindly")."""
    typos = _latin_typos()
    if any(form == norm for form, _ in typos.get(norm, ())):
        return None  # a lexicon word itself
    for q, deletion in sorted(_positioned_deletions(norm), key=lambda qd: qd[1]):
        for form, p in typos.get(deletion, ()):
            if p == q == len(norm) - 1 and {norm[-1], form[-1]} == {"s", "d"}:
                return form  # the other inflection: "arrives" for "arrived"
            if 0 in (p, q) or (p != -1 and q != -1 and p == q):
                continue
            if p == -1 or q == -1 or (abs(p - q) == 1 and norm[q] == form[p]):
                return form
            if _doubled(norm, q) and _doubled(form, p):
                return form  # the wrong letter doubled: "dissapointed", "horibble"
    return None


def _doubled(word: str, i: int) -> bool:
    return word[i] in word[i - 1 : i] + word[i + 1 : i + 2]


@lru_cache(maxsize=50_000)
def _keys(norm: str) -> frozenset[str]:
    """What a word can match: its form, its lemmas, or those of a lexicon word it misspells."""
    keys = {norm}
    cyr = any("а" <= c <= "я" for c in norm)
    if cyr:
        keys.update(morph.lemmas(norm))
    if cyr and len(norm) >= TYPO_MIN_LEN and not morph.is_known(norm):
        _, typo, _ = _index()
        fixed = next((typo[d] for d in sorted(_deletions(norm)) if d in typo), None)
        if fixed:
            keys.add(fixed)
            keys.update(morph.lemmas(fixed))
    # Latin words have no dictionary to vouch for them, so demand a long word there.
    elif not cyr and len(norm) >= 7 and (fixed := _latin_typo(norm)):
        keys.add(fixed)
    return frozenset(keys)


def _rank(cue: Cue) -> tuple[int, int]:
    """Which of two cues at one word wins: more words, then more letters matched whole."""
    return len(cue.words), sum(len(w) for w, stem in cue.words if not stem)


def _matches(word: tuple[str, bool], token: Token) -> bool:
    pattern, stem = word
    if token.kind is not Kind.WORD:
        return False
    return token.norm.startswith(pattern) if stem else pattern in _keys(token.norm)


def _negated(cue: Cue, weight: float) -> float:
    """A cue's weight under negation: "not happy" is a complaint, "not bad" only mild praise."""
    if cue.negated is not None:
        return cue.negated
    if weight > 0:
        return -0.9 * weight
    return -0.4 * weight if weight < 0 else -0.5


# --- reading --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Clause:
    """State that a comma, a full stop or "но" resets."""

    index: int = 0
    neg_at: int | None = None  # the negator still looking for its cue
    neg_gap: int = 0
    neg_only_fill: bool = True  # nothing but fillers since the negator: it may dangle
    litotes: bool = False  # "не сказал бы, что": the reach is longer and crosses a comma
    double: bool = False  # "не без": negation of a negation
    boost: float = 1.0
    nu: bool = False  # opened by "ну"/"oh": praise in it may be sarcasm
    nu_at: int = 0  # the token of that "ну"/"oh"
    neg_boosted: bool = False  # "не очень": an intensifier after the negator
    fresh: bool = True


@dataclass(slots=True)
class _Found:
    cue: Cue
    end: int  # index past the cue's last token
    fused: bool = False  # "невежливо": the negation is part of the word


class _Reader:
    """One pass over the tokens, keeping the state that negation and wishes need."""

    def __init__(self, text: str, question: str | None) -> None:
        self.text = clean(text)
        self.masked = NOISE_RE.sub(lambda m: " " * len(m.group()), self.text)
        self.tokens = tokenize(self.masked)
        self.q = (question or "").strip().lower()
        self.result = RuleResult(self.text)
        self.c = _Clause()
        # Sentence-wide state.
        self.wish = self.after_contrast = self.in_quotes = self.repeat = False
        self.open_parens = 0
        # (hit, marked by "ну"/quotes: sarcasm?, its phrase's first token and end token)
        self.praise: list[tuple[Hit, bool, int, int]] = []
        self.forced: dict[int, int] = {}  # clause → position of "пришлось" in it
        self.relieved: set[int] = set()  # clauses under "не пришлось": complaints undone
        self.topics: dict[int, set[str]] = {}  # clause → aspects it names
        self.sentence = 0
        self.sentence_of: dict[int, int] = {}  # clause → sentence
        self.self_blame: set[int] = set()  # sentences where the client blames itself
        self.forced_in: set[int] = set()  # sentences with "пришлось", "had to"
        self.retracted_at: int | None = None  # where "ignore that", «забудьте» stands
        self.causal: list[tuple[int, int]] = []  # token spans of "thanks to you"
        self.counterfactual = False  # "лучше бы": praise after it is what was missing
        self.wish_past = 0  # after "could have been" (COULD_HAVE_BEEN): where its reach ends
        self.irony = False  # an upside-down face (lexicon.IRONY): no praise in it is meant
        self.clause_at: dict[int, int] = {}  # a word's start → its clause
        self.excused_at: list[int] = []  # where the client's own part was carved out of the
        # praise («кроме меня») or a promise was kept: the excuse covers the text up to there

    def run(self) -> RuleResult:
        i = 0
        while i <= len(self.tokens):
            if i == len(self.tokens) or self.is_boundary(i):
                self._close_clause(i)
                if i < len(self.tokens):
                    self._boundary(self.tokens[i])
                i += 1
            elif self.tokens[i].kind is Kind.EMOJI:
                self.irony |= self.tokens[i].norm in lexicon.IRONY
                weight = lexicon.emoticon_weight(self.tokens[i].norm)
                if weight is not None:
                    self._hit(weight, i, i + 1, kind="emoji")
                i += 1
            elif self.tokens[i].kind is Kind.WORD:
                i = self._word(i)
            else:
                i += 1
        self._ratings()
        self._what_x()
        self._long_for_small()
        self._short_span()
        self._rhetorical()
        self._plain_reproaches()
        self._then_now()
        self._backhanded()
        self._sarcasm()
        self._praise_for_harm()
        self._exceptions()
        self._promises()
        self._than_planned()
        self._settle_clauses()
        self._causal_thanks()
        self._retract()
        self._sign_off()
        hits = self.result.hits
        self.result.excused = bool(self.excused_at) and not any(h.weight < 0 for h in hits)
        self.result.excused &= all(self._nothing_after(at) for at in self.excused_at)
        self.result.content = bool(hits) or any(t.kind is not Kind.PUNCT for t in self.tokens)
        if self.result.content:
            self.result.valence = valence.scores(self.text)
        return self.result

    # -- helpers -----------------------------------------------------------------------------

    def _hit(self, weight: float, i: int, end: int, **kw: object) -> Hit:
        hit = Hit(weight, self.tokens[i].start, self.tokens[end - 1].end, clause=self.c.index)
        for key, value in kw.items():
            setattr(hit, key, value)
        self.result.hits.append(hit)
        return hit

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

    def _past_commas(self, i: int) -> int:
        """The first token at or after ``i`` that is not a comma (len(tokens) at the end)."""
        while i < len(self.tokens) and self.tokens[i].text == ",":
            i += 1
        return i

    def phrase_at(self, i: int, phrases: tuple[tuple[str, ...], ...]) -> int:
        """Length of the longest of ``phrases`` (plain lowercase words) starting at ``i``."""
        best = 0
        for phrase in phrases:
            window = self.tokens[i : i + len(phrase)]
            if len(phrase) > best and [t.norm for t in window] == list(phrase):
                best = len(phrase)
        return best

    def cue_at(self, i: int) -> _Found | None:
        """The longest cue starting at word ``i``."""
        index, _, max_key = _index()
        norm = self.tokens[i].norm
        keys = set(_keys(norm))
        keys.update(norm[:k] for k in range(1, min(len(norm), max_key) + 1))
        best: _Found | None = None
        # Sorted, so a tie never depends on the order of a set (the hash seed): the longest
        # phrase wins, then the most specific ("buggy" over "bug*"), then the lexicon's order.
        for key in sorted(keys):
            for cue in index.get(key, ()):
                end = self._match_rest(cue, i)
                if end is not None and (best is None or _rank(cue) > _rank(best.cue)):
                    best = _Found(cue, end)
        if best is None and norm.startswith("не") and len(norm) > 5:
            # Russian fuses negation into words the lexicon lacks: "невнятно", "неоперативно".
            rest = _keys(norm[2:])
            for key in rest:
                for cue in index.get(key, ()):
                    if len(cue.words) == 1 and not cue.words[0][1] and cue.cyrillic:
                        return _Found(cue, i + 1, fused=True)
        return best

    def _match_rest(self, cue: Cue, i: int) -> int | None:
        if not _matches(cue.words[0], self.tokens[i]):
            return None
        j = i + 1
        gap_allowed = 1 if cue.cyrillic else 0  # "сорвали все сроки"
        for word in cue.words[1:]:
            gap = 0
            while j < len(self.tokens) and not _matches(word, self.tokens[j]):
                tok = self.tokens[j]
                if gap >= gap_allowed or tok.kind is not Kind.WORD or tok.norm in NEGATORS:
                    return None
                gap, j = gap + 1, j + 1
            if j >= len(self.tokens):
                return None
            j += 1
        return j

    # -- boundaries --------------------------------------------------------------------------

    def _close_clause(self, i: int) -> None:
        c, toks = self.c, self.tokens
        if (
            c.neg_at is not None
            and c.neg_only_fill
            and toks[c.neg_at].norm in DANGLING
            and self.q != "comment"  # "нет" to "anything else?" is not a complaint
            and not self.in_quotes  # "умеет сказать «нет»"
        ):
            if c.neg_boosted:
                # "не очень", "not really": a hedged answer to the question that was asked.
                on_topic = self.q in QUESTIONS
                self._hit(-0.75, c.neg_at, i, kind="hedge", on_topic=on_topic)
            else:
                strong = c.neg_gap or toks[c.neg_at].norm == "никакой"
                self._hit(-0.75 if strong else -0.5, c.neg_at, i, kind="dangling")

    def _boundary(self, tok: Token) -> None:
        if self.c.litotes and self.c.neg_at is not None and tok.text == ",":
            return  # "не сказал бы, что доволен": the comma does not end the reach
        if tok.text == "(":
            self.open_parens += 1
            if ")" not in self.text[tok.end :]:  # "долго(" is a frown
                self.result.hits.append(Hit(-0.5, tok.start, tok.end, kind="emoji"))
        elif tok.text == ")":
            if self.open_parens:
                self.open_parens -= 1
            else:  # "спасибо)" is a smile
                self.result.hits.append(Hit(0.5, tok.start, tok.end, kind="emoji"))
        elif tok.text in "«“„":
            self.in_quotes = True
        elif tok.text in "»”":
            self.in_quotes = False
        elif tok.text == '"':
            self.in_quotes = not self.in_quotes
        if tok.norm in CONTRAST:
            self.after_contrast = True
        elif tok.kind is Kind.PUNCT and tok.text[0] in SENTENCE_END:
            self.after_contrast = self.wish = self.counterfactual = False
            self.wish_past = 0
            self.sentence += 1
        self.c = _Clause(index=self.c.index + 1)

    # -- words -------------------------------------------------------------------------------

    def _word(self, i: int) -> int:
        c, tok = self.c, self.tokens[i]
        norm = tok.norm
        keys = _keys(norm)
        self.sentence_of[c.index] = self.sentence
        self.clause_at[tok.start] = c.index
        if norm in SELF_DONE and self.sentence in self.forced_in:
            # "we had to redo it ourselves": the client did the team's work, no self-blame.
            for h in self.result.hits:
                if h.kind == "forced" and self.sentence_of.get(h.clause) == self.sentence:
                    h.weight, h.role, h.quote = -1.0, "alarm", (h.start, self.tokens[i].end)
        elif norm in SELF_BLAME or self.phrase_at(i, SELF_BLAME_PHRASES):
            self.self_blame.add(self.sentence)
        elif norm in EXCEPT_WORDS and (k := self.phrase_at(i, SELF_EXCEPTED)):
            self.self_blame.add(self.sentence)
            self.excused_at.append(self.tokens[i + k - 1].end)
        if norm == "вот" and i and self.tokens[i - 1].norm == "а":
            self.after_contrast = True  # «…. А вот поддержка хамила»: the point of the answer
        for topic, words in TOPICS.items():
            if words & keys:
                self.topics.setdefault(c.index, set()).add(topic)
        if k := self.phrase_at(i, SARCASM_PHRASES):
            self._hit(-1.0, i, i + k, kind="sarcasm")
            self.result.sarcasm = True
            return i + k
        if k := (norm in RETRACTION_FIRST and self.phrase_at(i, RETRACTIONS)) or int(
            self._seemed(i)
        ):
            self.retracted_at = self.tokens[i].start
            c.neg_at, c.fresh = None, False
            return i + k
        if k := self.phrase_at(i, REPEAT_PHRASES) or int(norm in REPEAT):
            self.repeat = True
            return i + k
        if k := self.phrase_at(i, CAUSAL_THANKS):
            self.causal.append((i, i + k))
            c.fresh = False
            return i + k
        if k := self.phrase_at(i, COUNTERFACTUAL):
            self._hit(-0.75, i, i + k, kind="wish", role="alarm")
            self.counterfactual, c.fresh = True, False
            return i + k
        if self.phrase_at(i, (("сколько", "можно"),)) and (
            self._closes_clause(i + 2)
            or (
                i + 2 < len(self.tokens)
                and morph.is_imperfective_infinitive(self.tokens[i + 2].norm)
            )
        ):
            # "ну сколько можно?!": exasperation (while "сколько можно взять" asks a price).
            self._hit(-1.0, i, i + 2, role="alarm")
            c.fresh = False
            return i + 2
        if c.fresh and norm in INTERJECTIONS:
            c.nu, c.nu_at = True, i
            return i + 1
        if (k := self.phrase_at(i, FORCED_PHRASES)) and not self._says_next(i + k):
            if c.neg_at is not None:
                self.relieved.add(c.index)  # "долго ждать не пришлось"
                c.neg_at = None
            else:
                self._hit(-0.6, i, i + k, kind="forced")
                self.forced.setdefault(c.index, self.tokens[i].start)
                self.forced_in.add(self.sentence)
            c.fresh = False
            return i + k
        if (k := self.phrase_at(i, ENDED_UP)) and self._does_it_self(i + k):
            self._hit(0.0, i, i + k, kind="forced")
            self.forced.setdefault(c.index, self.tokens[i].start)
            self.forced_in.add(self.sentence)
            c.fresh = False
            return i + k
        found = self.cue_at(i)
        if found is not None and norm == "like" and i and self.tokens[i - 1].norm in LIKENESS:
            found = None  # "tastes like it came out of a can"
        wish_len = self.phrase_at(i, WISH_PHRASES) or int(norm in WISH)
        if wish_len and (found is None or found.end - i < wish_len):
            self.wish, c.fresh = True, False
            # only the comparative right after it ("могло быть и лучше") is what it weighs
            past = self.phrase_at(i, COULD_HAVE_BEEN)
            self.wish_past = i + past + 2 if past else 0
            return i + wish_len
        if found is not None:
            return self._cue(i, found)
        if norm in EXCEPT_WORDS:
            c.neg_at = None  # "nothing to add except thanks": "thanks" is what is left
        if self.wish and norm in MORE and (k := self.phrase_at(i + 1, MORE_OF_THE_SAME)):
            self._hit(0.75, i, i + 1 + k)  # "we'd like to see more of this": praise
            c.fresh = False
            return i + 1 + k
        if self.wish and norm in WISH_MORE:
            self._hit(-0.75, i, i + 1, kind="wish")  # "хотелось бы больше уважения"
        elif norm in NEGATORS and self._denies_a_person(i):
            pass  # «не я отвечаю за проект»: not me, not "they do not answer"
        elif norm in NEGATORS:
            if c.neg_at is not None and norm in ("без", "without"):
                c.double = True
            elif c.neg_at is None or norm in NEITHER or self.tokens[c.neg_at].norm in NEITHER:
                # «ни разу не перезвонили»: the «не» after «ни» is the plain negation
                c.neg_at, c.neg_gap, c.neg_only_fill = i, 0, True
        elif norm in INTENSIFIERS:
            c.boost, c.neg_boosted = 1.5, c.neg_at is not None
        elif norm in SOFTENERS:
            c.boost = 0.5
        elif c.neg_at is not None and norm in DISBELIEF and self._disbelief(i):
            c.neg_at = None  # "can't believe you lost it": the surprise denies nothing
        elif c.neg_at is not None and (SAY & _keys(norm) or (norm == "то" and self._chtoby(i))):
            c.litotes, c.neg_only_fill = True, False  # "не сказал бы, что", "не то чтобы"
        elif c.neg_at is not None and (norm in FILLERS or (c.litotes and norm in LINK)):
            pass
        else:
            c.boost, c.neg_only_fill = 1.0, False
            if c.neg_at is not None:
                c.neg_gap += 1
                if c.neg_gap > (6 if c.litotes else 3):
                    c.neg_at = None
        c.fresh = False
        return i + 1

    def _cue(self, i: int, found: _Found) -> int:
        c, cue, tok = self.c, found.cue, self.tokens[i]
        end, weight, kind, start, role = found.end, cue.weight, "cue", i, cue.role
        factor, on_topic = self.scope_factor(cue.scope)
        comparative = tok.norm in EN_COMPARATIVES or (
            cue.cyrillic and len(cue.words) == 1 and morph.is_comparative(tok.norm)
        )
        negated = c.neg_at is not None and c.neg_gap <= (6 if c.litotes else 3)
        if found.fused:
            weight, kind = _negated(cue, weight), "negated"
        elif ((self.wish and comparative) or self.counterfactual) and weight > 0 and not negated:
            weight, kind = -0.75, "wish"  # "хотелось бы побыстрее", "лучше бы сразу"
            if i < self.wish_past and not self.counterfactual:
                role = "alarm"  # "could've been way better"
        elif negated and c.neg_at is not None:
            neg = self.tokens[c.neg_at].norm
            start = c.neg_at
            if neg in SUPERLATIVE_NEGATORS and (comparative or self._more_before(i)):
                weight, kind = weight * 1.5, "cue"  # "couldn't be slower / more polite"
            elif neg in NEITHER:
                weight, kind = 0.0, "neutral"  # "ни быстро, ни долго"
            else:
                weight, kind = _negated(cue, weight), "negated"
                if c.double:
                    weight = _negated(cue._replace(negated=None), weight)  # "не без проблем"
            c.neg_at = None
        else:
            weight *= c.boost
            denied = self._denied_after(end) if weight > 0 or cue.role == "trouble" else None
            if denied is not None:
                weight, kind, end = _negated(cue, cue.weight), "negated", denied  # "толку ноль"
        if cue.role == "latent" and kind == "cue":
            c.fresh = False
            return end  # "работает" says little; only "не работает" counts
        weight *= factor * (1.3 if tok.shouted else 1.0) * (1.25 if self.after_contrast else 1.0)
        general = not cue.scope and kind == "cue" and weight > 0
        hit = self._hit(weight, start, end, on_topic=on_topic, kind=kind, role=role)
        hit.general = general
        hit.manner = cue.scope == lexicon.SPEED
        if weight == 0:
            hit.kind = "neutral"
        if kind == "cue" and cue.weight >= 0.75:
            first = c.nu_at if c.nu and not self.in_quotes else start
            # «Спасибо, конечно, но…»: thanks said through the teeth, like «ну спасибо»; the
            # evidence quotes the phrase up to «конечно», while reading goes on from ``end``.
            after = self._past_commas(end)
            grudging = after < len(self.tokens) and self.tokens[after].norm == "конечно"
            quoted_to = after + 1 if grudging else end
            self.praise.append((hit, c.nu or self.in_quotes or grudging, first, quoted_to))
        if weight < 0 and self.tokens[end - 1].norm in NEGATORS:
            # "так и не решили", "still not fixed": the phrase's negator also denies the fix
            # after it, which would otherwise count as praise.
            c.neg_at, c.neg_gap, c.neg_only_fill = end - 1, 0, False
            if end < len(self.tokens) and self.tokens[end].kind is Kind.WORD:
                # Quoted with the word it denies: «так и не получили», not «так и не».
                hit.quote = (hit.start, self.tokens[end].end)
        c.boost, c.fresh = 1.0, False
        return end

    def _disbelief(self, i: int) -> bool:
        """ "can't believe", «не могу поверить», «не верится»: not "don't believe"."""
        neg = self.tokens[self.c.neg_at].norm if self.c.neg_at is not None else ""
        if self.tokens[i].norm == "верится":
            return neg == "не"
        before = self.tokens[i - 1].norm if i else ""
        return neg in SUPERLATIVE_NEGATORS or (neg == "не" and before in ("могу", "можем"))

    def _chtoby(self, i: int) -> bool:
        return i + 1 < len(self.tokens) and self.tokens[i + 1].norm == "чтобы"

    def _says_next(self, i: int) -> bool:
        """ "I have to say …" is no complaint."""
        return i < len(self.tokens) and self.tokens[i].norm in ("say", "admit", "сказать")

    def _closes_clause(self, j: int) -> bool:
        """Only intensifiers between ``j`` and the end of the clause ("уважения нет совсем")."""
        while j < len(self.tokens) and not self.is_boundary(j):
            if self.tokens[j].kind is Kind.WORD and self.tokens[j].norm not in INTENSIFIERS:
                return False
            j += 1
        return True

    def _more_before(self, i: int) -> bool:
        return i > 0 and self.tokens[i - 1].norm == "more"

    def _denied_after(self, end: int) -> int | None:
        """End of "нет"/"ноль"/"не было"/"не про" within three words after a cue."""
        toks = self.tokens
        for j in range(end, min(end + 4, len(toks))):
            tok = toks[j]
            if tok.kind is Kind.PUNCT and tok.text in ("—", "–", "-"):
                continue  # "Быстро — это не про вас"
            if self.is_boundary(j) or tok.norm in CONJUNCTIONS:
                return None
            if tok.norm in DENIERS and self._closes_clause(j + 1):
                return j + 1
            nxt = toks[j + 1].norm if j + 1 < len(toks) else ""
            if tok.norm == "не" and (nxt in DENIED_VERBS or nxt == "про"):
                return j + 2
        return None

    # -- after the pass ------------------------------------------------------------------------

    def _ratings(self) -> None:
        """ "5/5", "3 из 10": a score is as plain as praise or complaint gets."""
        for m in RATING_RE.finditer(self.masked):
            ratio = float(m.group(1).replace(",", ".")) / float(m.group(2))
            weight = 1.0 if ratio >= 0.8 else -1.0 if ratio <= 0.5 else 0.0
            kind = "rating" if weight else "neutral"
            self.result.hits.append(Hit(weight, m.start(), m.end(), kind=kind))

    def _what_x(self) -> None:
        """ "Deadlines? What deadlines": the same word asked back (its stem, for Russian)."""
        for m in WHAT_X_RE.finditer(self.masked):
            a, b = m.group(1).lower(), m.group(2).lower()
            if a[:4] == b[:4]:
                self.result.hits.append(Hit(-1.0, m.start(), m.end(), kind="sarcasm"))
                self.result.sarcasm = True

    def _long_for_small(self) -> None:
        """ "A one-line change took them a month": weeks for a small task, one sentence."""
        for sentence in re.finditer(r"[^.!?…\n]+", self.masked):
            small = SMALL_TASK_RE.search(sentence.group())
            if small is None:
                continue
            spans = [
                m
                for m in LONG_SPAN_RE.finditer(sentence.group())
                if m.group().strip() and not SINCE_RE.search(sentence.group()[: m.start()])
            ]
            if not spans:
                continue
            a = sentence.start() + min(small.start(), spans[0].start())
            b = sentence.start() + max(small.end(), spans[-1].end())
            self._mute_praise(a, b)  # the task's name ("quick fix"), no praise
            on_topic = self.q == "speed"
            self.result.hits.append(Hit(-1.0, a, b, on_topic=on_topic, role="alarm", manner=True))

    def _short_span(self) -> None:
        """SHORT_SPAN_RE said of the wait itself, of speed praised or of the work done in it:
        the wait is no complaint and the time is praise of speed."""
        for m in SHORT_SPAN_RE.finditer(self.masked):
            start, end = self._sentence_at(m.start())
            hits = [h for h in self.result.hits if start <= h.start < end and h.manner]
            waits = [h for h in hits if h.weight < 0 and h.role in ("", "trouble")]
            of_speed = bool(waits) or any(h.weight > 0 for h in hits)
            if not (of_speed or DONE_IN_RE.search(self.masked[start:end])):
                continue  # "we had only two days to test": too little time, not speed
            for h in waits:
                h.weight, h.kind, h.on_topic = 0.0, "neutral", False
            on_topic = self.q == "speed"
            self.result.hits.append(Hit(0.6, m.start(), m.end(), on_topic=on_topic, manner=True))
            tail = self.masked[m.end() : end]
            fixed = any(h.role == "fix" and m.end() <= h.start < end for h in self.result.hits)
            done = not re.search(r"\w", tail) or (
                len(re.findall(r"\w+", tail)) <= 4 and (fixed or bool(DONE_IN_RE.search(tail)))
            )  # "took only two days to fix"; "…to break everything" is no deed done well
            if of_speed or done:
                self.excused_at.append(end)  # the embedding still reads the wait as one

    def _backhanded(self) -> None:
        """Praise taken back in the same sentence (ECHO_DISMISSED_RE and its twins) is
        sarcasm, quoted whole."""
        for pattern in (ECHO_DISMISSED_RE, WHEN_IT_SUITS_RE, IF_ONLY_WORKED_RE, ONLY_LONG_RE):
            for m in pattern.finditer(self.masked):
                start, end = self._sentence_at(m.start())
                praise = [
                    h for h in self.result.hits
                    if h.weight > 0 and start <= h.start and h.end <= max(end, m.end())
                    and (pattern is not ONLY_LONG_RE or h.manner)  # "lightning fast, only…"
                ]  # fmt: skip
                if not praise:
                    continue
                a = min(h.start for h in praise)
                for h in praise:
                    h.weight, h.kind = -0.75, "sarcasm"
                    h.quote = (a, m.end())
                self.result.sarcasm = True

    def _plain_reproaches(self) -> None:
        """The past praised over now, a habit wished for, whether they care (the regexes
        above): the praise words in them are no praise."""
        spans: list[tuple[int, int, float]] = []
        spans += [(m.start(), m.end(), -1.0) for m in USED_TO_BE_RE.finditer(self.masked)]
        for m in WISH_IF_RE.finditer(self.masked):
            if m.group("en") or morph.is_imperfective_past(m.group("ru").lower()):
                spans.append((m.start(), m.end(), -1.0))
        for m in COURTESY_MISSED_RE.finditer(self.masked):
            if not self.masked[m.end() : self._sentence_at(m.start())[1] + 1].endswith("?"):
                spans.append((m.start(), m.end(), -1.0))  # «Можно было бы ответить…?» asks
        for m in TERMS_BREACHED_RE.finditer(self.masked):
            before = self.masked[max(0, m.start() - 12) : m.start()]
            if not _DENIED_BREACH_RE.search(m.group()) and not _DENIED_BREACH_RE.search(before):
                spans.append((m.start(), m.end(), -1.0))
        for m in COSTLIER_RE.finditer(self.masked):
            start, end = self._sentence_at(m.start())
            money = m.group("dearer") or MONEY_RE.search(self.masked[start : max(end, m.end())])
            if money and not _DENIED_BREACH_RE.search(
                self.masked[max(0, m.start() - 4) : m.start()]
            ):
                spans.append((m.start(), m.end(), -1.0))
        for m in CARE_RE.finditer(self.masked):
            spans.append((m.start(), m.end(), 1.0 if m.group("not") else -1.0))
        for a, b, weight in spans:
            for h in self.result.hits:
                if a <= h.start and h.end <= b:
                    h.weight, h.kind = 0.0, "neutral"
            on_topic = self.q == "politeness" if weight > 0 else False
            role = "alarm" if weight < 0 else ""
            self.result.hits.append(Hit(weight, a, b, on_topic=on_topic, role=role))

    def _then_now(self) -> None:
        """THEN_NOW_RE: the complaint before "now" is history when praise follows it."""
        for m in THEN_NOW_RE.finditer(self.masked):
            now = m.start("now")
            end = self._sentence_at(now)[1]
            hits = self.result.hits
            if not any(h.weight > 0 and now <= h.start < end for h in hits):
                continue
            if any(h.weight < 0 and now <= h.start < end for h in hits):
                continue  # "…now it's slow again": no change for the better
            for h in hits:
                if h.weight < 0 and m.start() <= h.start < now:
                    h.weight, h.kind, h.on_topic = 0.0, "neutral", False
            self.excused_at.append(end)  # the embedding still reads "slow" (as for excuses)

    def _rhetorical(self) -> None:
        """ "Do you even test anything?": whether the basic work is done at all, asked; «зачем
        убрали…»: why something was taken away."""
        for m in RHETORICAL_RE.finditer(self.masked):
            end = m.end() - 1  # the span without its question mark
            self.result.hits.append(Hit(-1.0, m.start(), end, kind="sarcasm", role="alarm"))
            self.result.sarcasm = True
        for m in WHY_TAKEN_RE.finditer(self.masked):
            self.result.hits.append(Hit(-1.0, m.start(), m.end(), role="alarm"))
        for pattern in (
            NEVER_AGAIN_RE,
            TIME_AGO_RE,
            PAID_FOR_NOTHING_RE,
            CALLED_THIS_RE,
            SO_MUCH_FOR_RE,
            SCARE_QUOTED_RE,
        ):
            for m in pattern.finditer(self.masked):
                self._mute_praise(m.start(), m.end())  # "you call this service": no praise
                sarcastic = pattern in (CALLED_THIS_RE, SO_MUCH_FOR_RE, SCARE_QUOTED_RE)
                kind = "sarcasm" if sarcastic else "cue"
                self.result.hits.append(Hit(-1.0, m.start(), m.end(), kind=kind, role="alarm"))
                self.result.sarcasm |= sarcastic
        for m in REGRESSION_RE.finditer(self.masked):
            a, b = m.start(), m.end()
            self._mute_praise(a, b)  # "the bugs you fixed": no praise
            self.result.hits.append(Hit(-1.0, a, b, on_topic=self.q == "outcome", role="alarm"))

    def _mute_praise(self, a: int, b: int) -> None:
        """Praise words inside ``a``..``b`` are part of a phrase that says something else."""
        for h in self.result.hits:
            if h.weight > 0 and a <= h.start and h.end <= b:
                h.weight, h.kind = 0.0, "neutral"

    def _praise_for_harm(self) -> None:
        """ "nice job breaking the build": the praise that opens it is sarcasm."""
        for m in PRAISE_FOR_RE.finditer(self.masked):
            stop = re.search(r"[,.;!?…\n]", self.masked[m.end() :])
            limit = m.end() + stop.start() if stop else len(self.masked)
            inside = sorted(
                (h for h in self.result.hits if m.end() <= h.start < limit and h.weight != 0),
                key=lambda h: h.start,
            )
            # the harm right after it, or the first word that weighs in its clause ("thanks
            # for the 2am maintenance with no warning"; "thanks for fixing the bug that broke
            # prod" thanks: the fix comes first)
            if not inside or inside[0].weight > -0.7 or inside[0].kind == "emoji":
                continue
            between = self.masked[m.end() : inside[0].start]
            if between.strip() and (
                re.search(r"(?i)\w+ing\b|\b(?:что|как)\b", between)
                or not re.match(r"(?i)thank", m.group())
            ):
                continue  # "great job catching that broken link": the deed is the praise
            for h in self.result.hits:
                if h.weight > 0 and m.start() <= h.start < m.end():
                    h.weight, h.kind, h.quote = -0.75, "sarcasm", (m.start(), m.end())
            self.result.sarcasm = True

    def _exceptions(self) -> None:
        """ "Кроме Сергея, все вежливые", "polite except for the new PM": praise with an
        exception carved out is a complaint about the exception, quoted with the praise."""
        low = self.masked.lower()
        if not any(m in low for m in ("кроме", "except", "исключ", "не счита", "apart from",
                                      "aside from", "other than", "save for")):  # fmt: skip
            return
        for sentence in re.finditer(r"[^.!?…\n]+", self.masked):
            text, at = sentence.group(), sentence.start()
            for m in lexicon.EXCEPT_RE.finditer(text):
                end = lexicon.EXCEPTED_END_RE.search(text, m.end())
                excepted = text[m.end() : end.start() if end else len(text)]
                if (
                    not excepted.strip()
                    or lexicon.NOT_BLAMED_RE.match(excepted)
                    or lexicon.TRIVIAL_RE.search(excepted)
                    or lexicon.OUTSIDE_RE.search(excepted)
                ):
                    continue
                if not m.group("sure") and (
                    not lexicon.ALL_RE.search(text) or lexicon.ADDITIVE_RE.search(text)
                ):
                    continue  # «Кроме скорости, порадовало качество»: "besides"
                a, b = at + m.start(), at + m.end() + len(excepted.rstrip())
                in_sentence = [
                    h for h in self.result.hits
                    if h.weight > 0 and at <= h.start and h.end <= sentence.end()
                ]  # fmt: skip
                if any(a <= h.start < b for h in in_sentence):
                    continue  # "nothing to add except thanks": the exception is praise
                praise = [h for h in in_sentence if h.kind != "emoji"]
                if not praise:
                    continue
                for h in in_sentence:
                    h.weight, h.kind = 0.0, "neutral"  # praise of everyone else
                a, b = min(a, *(h.start for h in praise)), max(b, *(h.end for h in praise))
                on_topic = any(h.on_topic for h in praise)
                self._span_alarm(a, b, on_topic=on_topic, manner=False)

    def _than_planned(self) -> None:
        """ "Took longer than estimated": a complaint about speed with no feeling word (read as
        neutral before, «сделали дольше, чем ожидали» as praise); "faster than expected" is
        praise."""
        for m in lexicon.THAN_PLANNED_RE.finditer(self.masked):
            a, b = m.start(), m.end()
            if m.group("early"):
                if not any(h.weight > 0 and h.start < b and h.end > a for h in self.result.hits):
                    self.result.hits.append(Hit(0.75, a, b, on_topic=self.q == "speed"))
                continue
            # One reading for the span: a "later than" cue or "like" inside it is this
            # complaint; "delivered" before it in the sentence is no praise then.
            start = max(self.masked.rfind(c, 0, a) for c in ".!?;…\n") + 1
            self.result.hits[:] = [
                h
                for h in self.result.hits
                if not (a <= h.start and h.end <= b)
                and not (h.weight > 0 and h.role == "fix" and start <= h.start < a)
            ]
            self.result.hits.append(
                Hit(-1.0, a, b, on_topic=self.q == "speed", role="alarm", manner=True)
            )

    def _promises(self) -> None:
        """ "Promised one thing and delivered another", «обещали к пятнице, сделали через
        месяц», "promised a lot, delivered little": a promise broken, quoted whole. Kept on
        time or early ("promised Friday, delivered Thursday") is praise."""
        low = self.masked.lower()
        if "обеща" not in low and "promis" not in low and "слово" not in low:
            return
        text = self.masked
        for m in lexicon.THAN_PROMISED_RE.finditer(text):
            if m.group("early"):
                self._promise_kept(m.start(), m.end(), on_time=True)
            else:  # later, less or worse than promised
                self._promise_broken(m.start(), m.end(), late=bool(m.group("late")))
        for m in lexicon.NOT_AS_PROMISED_RE.finditer(text):
            self._promise_broken(m.start(), m.end(), late=False)
        for m in lexicon.KEPT_PROMISE_RE.finditer(text):
            self._promise_kept(m.start(), m.end(), on_time=False)
        for m in lexicon.KEPT_WORD_RE.finditer(text):
            if lexicon.KEPT_DENIED_RE.search(text[: m.start()]):
                self._promise_broken(m.start(), m.end(), late=False)  # "never kept their word"
            else:
                self._promise_kept(m.start(), m.end(), on_time=False)
        for m in lexicon.PROMISE_RE.finditer(text):
            split = lexicon.PROMISE_SPLIT_RE.search(text, m.end())
            then = split and _NEXT_CLAUSE_RE.match(text, split.end())
            if not split or not then or not then.group().strip():
                continue
            first, second = text[m.end() : split.start()], then.group()
            b = split.end() + len(second.rstrip())
            if any(h.role == "alarm" and h.start < b and h.end > m.start()
                   for h in self.result.hits):  # fmt: skip
                continue  # already read ("не так, как обещали")
            other = lexicon.ONE_THING_RE.search(first) and lexicon.ANOTHER_RE.search(second)
            less = lexicon.MUCH_RE.search(first) and lexicon.LITTLE_RE.search(second)
            if other or less:
                self._promise_broken(m.start(), b, late=False)
                continue
            later = 1 if lexicon.LATER_RE.search(second) else _later(_when(first), _when(second))
            if later == 1:
                self._promise_broken(m.start(), b, late=True)
            elif later in (-1, 0) or lexicon.EARLIER_RE.search(second):
                self._promise_kept(m.start(), b, on_time=True)
            elif later is None and _same_deed(first, second):
                self._promise_kept(m.start(), b, on_time=False)

    def _promise_broken(self, a: int, b: int, *, late: bool) -> None:
        s, e = self._sentence_at(a)
        for h in self.result.hits:
            # "delivered" a month late is no praise, nor "Delivered later than promised"
            done = s <= h.start < e and h.role == "fix"
            if h.weight > 0 and ((a <= h.start and h.end <= b) or done):
                h.weight, h.kind = 0.0, "neutral"
        self._span_alarm(a, b, on_topic=self.q == ("speed" if late else "outcome"), manner=late)

    def _promise_kept(self, a: int, b: int, *, on_time: bool) -> None:
        """Praise; and, with no "but" after it, the client has excused the team: the n-gram
        head reads «обещали» as a complaint (MODEL.md)."""
        if any(h.start < b and h.end > a for h in self.result.hits if h.weight < 0):
            return
        scope = lexicon.SPEED if on_time else lexicon.OUTCOME
        factor, on_topic = self.scope_factor(scope)
        hit = Hit((1.0 if on_time else 0.6) * factor, a, b, on_topic=on_topic)
        hit.clause = self._clause_of(a)
        self.result.hits.append(hit)
        self.excused_at.append(b)

    def _nothing_after(self, at: int) -> bool:
        """Nothing said after an excuse that it may not cover: no "but"/«а» after it, and
        a later sentence only with praise in it ("Спасибо!"); «…кроме меня. А поддержка
        грубила» is a complaint the rules do not read."""
        if lexicon.CONTRAST_RE.search(self.masked, at):
            return False
        end = self._sentence_at(at)[1]
        rest = [h for h in self.result.hits if h.start >= end]
        return not re.search(r"\w", self.masked[end:]) or any(h.weight > 0 for h in rest)

    def _sentence_at(self, pos: int) -> tuple[int, int]:
        for m in re.finditer(r"[^.!?…\n]+", self.masked):
            if m.start() <= pos < m.end():
                return m.start(), m.end()
        return pos, pos

    def _span_alarm(self, a: int, b: int, *, on_topic: bool, manner: bool) -> None:
        hit = Hit(-1.0, a, b, on_topic=on_topic, role="alarm", manner=manner)
        hit.clause = self._clause_of(a)  # so a client's own delay in the sentence undoes it
        self.result.hits.append(hit)

    def _clause_of(self, pos: int) -> int:
        return next((c for start, c in self.clause_at.items() if start >= pos), 0)

    def _sarcasm(self) -> None:
        """Praise beside a complaint and a marker ("опять", "ну", quotes, an opening "Great,",
        "thanks to you", 🙃) is sarcasm; a smile beside a complaint does not undo it."""
        hits = self.result.hits
        complaint = any(h.weight < 0 for h in hits)
        for hit, marked, first, end in self.praise:
            quoted = marked and self._quoted(hit)
            if (
                (
                    complaint
                    and (
                        marked
                        or self.repeat
                        or self.irony
                        or self._opening(hit)
                        or self._closing(hit)
                    )
                )
                or quoted
                or (self.repeat and self._opening(hit, again=True))
            ):
                hit.weight, hit.kind = -0.75, "sarcasm"
                self.result.sarcasm = True
                end += self.phrase_at(end, PRAISE_TAILS) if end < len(self.tokens) else 0
                hit.quote = (self.tokens[first].start, self.tokens[end - 1].end)
        for h in hits:
            if (
                complaint
                and h.weight > 0
                and h.kind == "cue"
                and h.weight < 0.75
                and self._quoted(h)
            ):
                h.weight, h.kind = -0.5, "sarcasm"  # a "quick" answer, «полезный» совет
                self.result.sarcasm = True
        if self.irony:
            for h in hits:  # 🙃 takes back every good word, not only the strong ones
                if h.weight > 0 and h.kind == "cue":
                    h.weight, h.kind = -0.75, "sarcasm"
                    self.result.sarcasm = True
        if any(h.weight <= -0.5 and h.kind != "emoji" for h in hits):
            for h in hits:
                if h.kind == "emoji" and h.weight > 0:
                    h.weight, h.kind = 0.0, "muted"  # "лучше бы сразу сделали нормально :)"
        if self.repeat and complaint:
            for hit in hits:
                if hit.weight < 0:
                    hit.weight *= 1.2  # "опять сорвали сроки" is worse than once

    def _causal_thanks(self) -> None:
        """ "thanks to you I lost a day": sarcasm when a harm follows in the same sentence."""
        for start, end in self.causal:
            a, b = self.tokens[start].start, self.tokens[end - 1].end
            stop = re.search(r"[.!?…\n]", self.text[b:])
            limit = b + stop.start() if stop else len(self.text)
            harm = any(
                h.weight <= -0.7 and h.kind != "emoji" and b <= h.start < limit
                for h in self.result.hits
            )
            weight, kind = (-1.0, "sarcasm") if harm else (0.75, "cue")
            self.result.hits.append(Hit(weight, a, b, kind=kind))
            self.result.sarcasm |= harm

    def _denies_a_person(self, i: int) -> bool:
        """«Не я отвечаю за проект», «не мне судить»: «не» before a pronoun denies who, not
        what is done."""
        nxt = self.tokens[i + 1] if i + 1 < len(self.tokens) else None
        return (
            self.tokens[i].norm == "не"
            and nxt is not None
            and nxt.kind is Kind.WORD
            and nxt.norm in PERSONAL_PRONOUNS
        )

    def _seemed(self, i: int) -> bool:
        """«не, всё нормально, показалось»: "it only seemed so" closing the answer after an
        all-clear, not the hedge of «грубо, мне показалось»."""
        if self.tokens[i].norm != "показалось":
            return False
        if any(t.kind is Kind.WORD for t in self.tokens[i + 1 :]):
            return False
        return any(
            h.weight >= 0 and h.kind in ("cue", "neutral")
            and self.sentence_of.get(h.clause) == self.sentence
            for h in self.result.hits
        )  # fmt: skip

    def _retract(self) -> None:
        """Complaints before "ignore that" / «забудьте» are taken back; said after, they stand."""
        at = self.retracted_at
        if at is None:
            return
        for h in self.result.hits:
            if h.weight < 0 and h.start < at:
                h.weight, h.kind, h.on_topic = 0.0, "neutral", False
        self.result.retracted = not any(h.weight < 0 for h in self.result.hits)

    def _does_it_self(self, i: int) -> bool:
        """ "ourselves"/«сами» later in the sentence from word ``i``, not as agreed."""
        sentence = self.masked[self.tokens[i].start if i < len(self.tokens) else 0 :]
        sentence = re.split(r"[.!?…\n]", sentence, maxsplit=1)[0]
        if AS_AGREED_RE.search(sentence):
            return False
        for tok in self.tokens[i:]:
            if tok.kind is Kind.PUNCT and (tok.text in ".!?…" or tok.text[0] in "!?"):
                return False
            if tok.norm in SELF_DONE:
                return True
        return False

    def _sign_off(self) -> None:
        """ "Took longer than planned. Thanks!": thanks closing a complaint are manners; they
        leave the complaint an alarm ("nothing good said" reads RuleResult.alarm)."""
        m = lexicon.SIGN_OFF_RE.search(self.masked)
        hits = self.result.hits
        if m is None or not any(h.weight < 0 and h.end <= m.start() + 1 for h in hits):
            return
        for h in hits:
            if h.weight > 0 and h.start >= m.start():
                h.role = "courtesy"

    def _opening(self, hit: Hit, *, again: bool = False) -> bool:
        """ "Great, another outage": a lone praise word opening the answer, a complaint after
        it in the same sentence and no "but" between. With ``again``, the sentence after it
        need only say it happened again ("Nice, the app logged me out again")."""
        if self.masked[: hit.start].strip(" ,.!…").lower() not in ("", "ну", "oh", "wow", "ох"):
            return False
        rest = self.text[hit.end :]
        if rest[:1] not in (",", "!", "…", ".") and not rest.startswith(" -"):
            return False
        sentence = re.split(r"[.!?…]\s|\n", rest[1:], maxsplit=1)[0]
        hits_after = [
            h for h in self.result.hits if hit.end < h.start <= hit.end + 1 + len(sentence)
        ]
        if again:
            # said to have happened again is the complaint
            complaint_after = any(t.norm in REPEAT for t in tokenize(sentence)) and not re.search(
                r"(?i)\b(?:did|done|nailed|pulled)\s+it\s+(?:off\s+)?again\b|"
                r"(?<!\w)(?:снова|опять)\s+(?:справились|сделали\s+это|молодцы)",
                sentence,
            )  # "Great, you did it again!" praises
        else:
            complaint_after = any(h.weight < 0 for h in hits_after)
        return (
            complaint_after
            and not re.search(r"(?i)\b(но|однако|зато|but|however|though)\b", sentence)
            and not any(h.weight > 0 for h in hits_after)
        )

    def _closing(self, hit: Hit) -> bool:
        """ "Flight cancelled. Fantastic.": a lone praise word closing the answer after a
        complaint, with nothing good said before it."""
        before = self.text[: hit.start].rstrip()
        lead = re.search(
            r"(?i)(?:^|[.!?…\n])\s*((?:just|oh|how|really|so|simply|просто|ну|"
            r"прям|ну\s+просто)\s+)?$",
            before,
        )
        if lead is None or not before or not re.match(r"\W*$", self.text[hit.end :]):
            return False
        if THANKS_RE.match(self.text[hit.start : hit.end]):
            return False  # "Took longer than planned. Thanks!" is manners (_sign_off)
        hits_before = [h for h in self.result.hits if h.end <= hit.start]
        return any(h.weight <= -0.5 and h.kind != "emoji" for h in hits_before) and not any(
            h.weight > 0 for h in hits_before
        )

    def _quoted(self, hit: Hit) -> bool:
        """Praise alone in scare quotes: «отличный» сервис, a "quick" answer. Not a name in
        quotes (ООО «Быстрые решения») nor praise reported after a colon ("said: "great"")."""
        before, after = self.text[: hit.start].rstrip(), self.text[hit.end :].lstrip()
        return (
            bool(before)
            and bool(after)
            and before[-1] in '«"“„'
            and after[0] in '»"”'
            and not before[:-1].rstrip().endswith(":")
        )

    def _settle_clauses(self) -> None:
        hits = self.result.hits
        self._neither_way()
        fixed = {h.clause for h in hits if h.role == "fix" and h.weight > 0}
        kept = []
        for h in hits:
            if h.role == "trouble" and h.kind == "cue" and h.clause in fixed and not h.manner:
                # "проблему решили": the trouble named is what got done. Not "долго чинили",
                # "slow to fix", "late delivery": there the complaint is how it got done.
                continue
            if h.role == "fix" and h.weight > 0 and h.start > self.forced.get(h.clause, 1 << 30):
                continue  # "пришлось доделывать самим": done, but not by them
            if h.clause in self.relieved and h.weight < 0 and h.kind in ("cue", "negated"):
                h.weight, h.kind = -0.6 * h.weight, "negated"  # "долго ждать не пришлось"
            if self.sentence_of.get(h.clause) in self.self_blame and h.weight < 0:
                h.weight, h.kind, h.on_topic = 0.0, "neutral", False  # "мы сами затянули"
            topics = self.topics.get(h.clause, set())
            if h.general and self.q in QUESTIONS and len(topics) == 1 and self.q not in topics:
                h.weight *= OFF_TOPIC  # "(долго,) но результат отличный" answering "speed"
            kept.append(h)
        hits[:] = kept

    def _neither_way(self) -> None:
        """ "Not quick, not long", "не быстро и не долго": two denials that cancel out."""
        by_sentence: dict[int, list[Hit]] = {}
        for h in self.result.hits:
            if h.kind == "negated":
                by_sentence.setdefault(self.sentence_of.get(h.clause, 0), []).append(h)
        for denied in by_sentence.values():
            if any(h.weight > 0 for h in denied) and any(h.weight < 0 for h in denied):
                for h in denied:
                    h.weight, h.kind, h.on_topic = 0.0, "neutral", False


_NEXT_CLAUSE_RE = re.compile(r"\W*[^.!?…\n]*")  # the clause after a promise's own


def _when(text: str) -> tuple[str, int] | None:
    """A day of the week, a month (their order) or a span in days, the first one named."""
    for kind, pattern in (("weekday", lexicon.WEEKDAY_RE), ("month", lexicon.MONTH_RE)):
        if m := pattern.search(text):
            return kind, int(str(m.lastgroup)[1:])
    m = lexicon.SPAN_RE.search(text)
    if m is None:
        return None
    if m.group("half"):
        return "span", 182
    n = (m.group("n") or "1").lower()
    count = int(n) if n.isdigit() else lexicon.SPAN_COUNTS.get(re.sub(r"\s+", " ", n), 1)
    unit = m.group("u").lower()
    days = next(d for stem, d in lexicon.SPAN_DAYS if unit.startswith(stem))
    return "span", round(count * days * 24)  # in hours, so "an hour" is not zero


def _later(promised: tuple[str, int] | None, done: tuple[str, int] | None) -> int | None:
    """Delivered later than promised (1), on time (0), earlier (-1), or no telling (None). A
    day or a month one or two before the promised one is early; any after it is late;
    farther back is the next week or year, so late; a week or more after a day is late."""
    if promised is None or done is None:
        return None
    (kind, p), (kind2, d) = promised, done
    if kind == kind2 == "span":
        return (d > p) - (d < p)
    if kind == kind2:
        return 0 if p == d else -1 if 1 <= p - d <= 2 else 1
    return 1 if kind != "span" and kind2 == "span" and d >= 7 * 24 else None


def _same_deed(promised: str, done: str) -> bool:
    """ "promised to call back and did", «обещали перезвонить и перезвонили»: the deed
    promised, done, and nothing more said of it."""
    words = re.findall(r"\w+", done.lower())
    if not words or len(words) > 3 or lexicon.SPAN_RE.search(done):
        return False
    if lexicon.DID_RE.match(done):
        return True
    deed = re.findall(r"\w+", promised.lower())
    deed = deed[1:] if deed[:1] == ["to"] else deed
    if not deed:
        return False
    if any("а" <= c <= "я" for c in deed[0]):
        return bool(set(morph.lemmas(deed[0])) & set(morph.lemmas(words[0])))
    return len(deed[0]) >= 3 and words[0][:4] == deed[0][:4]


def read(text: str, question: str | None = None) -> RuleResult:
    return _Reader(text, question).run()


def verdict(result: RuleResult) -> tuple[int, float]:
    """The rules' own call, -1/0/1 and a rough confidence, for when no head is loaded."""
    net = result.positive - 1.25 * result.negative  # a missed complaint costs more
    if abs(net) < 0.25:
        return 0, 0.5
    return (1 if net > 0 else -1), min(0.95, 0.5 + 0.2 * abs(net))
