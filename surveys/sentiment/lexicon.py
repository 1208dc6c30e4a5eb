"""The cue words and phrases the rule layer looks for, in Russian and English.

Written for this project (no third-party lexicon is copied). Russian entries are lemmas as
pymorphy3 normalises them ("довольный", "сорвать срок") so every inflection matches; English
entries are words, with a trailing "*" for a stem ("disappoint*"). Spaces separate the words
of a phrase, and up to two other words may stand between them ("сорвали все сроки").
"""

from __future__ import annotations

import re
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
    alarm: bool = False  # said plainly, a complaint the embedding tends to miss (rules.alarm)


GROUPS: tuple[Group, ...] = (
    # --- praise -----------------------------------------------------------------------------
    Group(
        1.0,
        "довольный, отлично, отличный, хорошо, хороший, прекрасно, прекрасный, замечательно, "
        "замечательный, великолепно, великолепный, превосходно, превосходный, супер, класс, "
        "классно, классный, круто, крутой, идеально, идеальный, молодец, умница, рекомендовать, "
        "понравиться, нравиться, устраивать, устроить, радовать, порадовать, восторг, шикарно, "
        "шикарный, профессионально, профессиональный, профессионал, качественно, "
        "качественный, удовлетворить, удовлетворенный, безупречно, безупречный, спасти, "
        "выручить, огонь, респект, благодарный, пятерка, на пять, то что надо, перевыполнить, "
        "great, excellent, perfect, perfectly, awesome, amazing, good, nice, happy, satisfied, "
        "pleased, love, loved, fantastic, wonderful, brilliant, superb, outstanding, impressed, "
        "impressive, recommend*, well done, top notch, top-notch, kudos, exceptional, "
        "delighted, glad, spot on, exceeded, flawless*, professional*, stellar, splendid, "
        "like it, liked it, liked, love it, overdeliver*, above and beyond, lifesaver, "
        "saved us, saved the day, rescued us, came through, pulled through, to die for, "
        "saved my ass, saved our ass, saved my butt, cant say enough good, "
        "cannot say enough good, cant recommend them enough, cannot recommend them enough, "
        "cant thank you enough, cannot thank you enough",
    ),
    Group(0.75, "спасибо, благодарить, благодарность, thank*, thx, ty, cheers, appreciate*"),
    Group(
        0.6,
        "удобно, удобный, надежно, надежный, четко, четкий, толково, толковый, грамотно, "
        "грамотный, понятно, понятный, полезный, эффективно, эффективный, толк, уважение, "
        "эмпатия, помощь, "
        "solid, reliable, helpful, clear, efficient, smooth, smoothly, decent, competent, "
        "better, respect, empathy, help, useful, свежий, fresh",
    ),
    # Getting the job done: praise when said, a strong complaint when denied ("nothing got
    # fixed", "так и не решили").
    Group(
        0.6,
        "решить, решать, решенный, исправить, исправлять, исправленный, починить, чинить, "
        "помочь, помогать, заработать, выполнить, выполнять, справиться, справляться, "
        "разобраться, разбираться, закрыть, наладить, налаживать, настроить, доделать, сдать, "
        "оправдать, соответствовать, "
        "fixed, fix, fixes, fixing, solved, solve, solves, solving, resolved, resolve, "
        "resolving, helped, helps, helping, done, delivered, deliver, delivers, sorted, "
        "handled, completed, achieved, live up, lived up, meet, met",
        OUTCOME,
        negated=-1.0,
    ),
    # Said plainly these say little ("работает"); denied they are a complaint ("не работает",
    # "никто не отвечает", "автоматизации не случилось").
    Group(
        0.0,
        "работать, двигаться, продвигаться, случиться, произойти, реагировать, отвечать, "
        "ответить, откликнуться, перезвонить, перезванивать, "
        "work, works, worked, working, move, moving, moves, happen, happened, react, reacts, "
        "reacted, respond, responds, responded, reply, replies, replied, answer, answers, "
        "answered",
        negated=-1.0,
    ),
    # An apology is courtesy shown ("They apologized and fixed it"); none is a complaint
    # ("nobody apologized"). About politeness above all, so half as much elsewhere.
    Group(
        0.6,
        "извиниться, извинение, apologize, apologized, apologise, apologised, apology",
        POLITE,
        negated=-1.0,
    ),
    Group(
        1.0,
        "быстро, быстрый, оперативно, оперативный, вовремя, в срок, срочно, мгновенно, "
        "мгновенный, моментально, сразу, шустро, молниеносно, оперативность, "
        "в тот же день, раньше срок, спешить, торопиться, "
        "fast, quick, quickly, prompt, promptly, timely, on time, immediately, instantly, "
        "right away, swift, swiftly, rapid, speedy, ahead of schedule, same day, in no time, "
        "faster, quicker, sooner, snappy, in a hurry, hurry, rush",
        SPEED,
    ),
    Group(
        1.0,
        "вежливо, вежливый, вежливость, корректно, корректный, учтивый, учтиво, "
        "доброжелательно, доброжелательный, приветливо, приветливый, дружелюбно, дружелюбный, "
        "тактично, тактичный, внимательно, внимательный, заботливый, терпеливо, терпеливый, "
        "приятно, приятный, отзывчивый, деликатно, деликатный, уважительно, уважительный, "
        "человечно, культурно, культурный, "
        "polite, politely, courteous, friendly, very kind, so kind, were kind, was kind, "
        "kindness, respectful, patient, attentive, pleasant, "
        "caring, warm, considerate, cordial, nice people, supportive",
        POLITE,
    ),
    # Deadlines kept; said with the negator inside the phrase («сроки не соблюдают»,
    # "deadlines are rarely met") they are the complaint, matched as the longer phrase.
    Group(
        1.0,
        "срок соблюдать, соблюдать срок, срок выдерживать, выдерживать срок, "
        "укладываться в срок, уложиться в срок, deadline* met, deadline* are met, "
        "deadline* were met, deadline* are always met, deadline* were always met, "
        "meet* deadline*, met deadline*, hit deadline*, on schedule, "
        # English phrases take no word between ("hit every deadline" is not "hit deadline")
        "hit every deadline, hit all deadline*, hit all the deadline*, hit our deadline*, "
        "hit the deadline*, met every deadline, met all deadline*, met all the deadline*, "
        "met our deadline*, met the deadline*, meet every deadline, meet all deadline*, "
        "meet all the deadline*, meet the deadline*, meet our deadline*",
        SPEED,
    ),
    Group(
        -1.0,
        "срок не соблюдать, срок не выдерживать, срок никогда не соблюдать, срок редко "
        "соблюдать, deadline* not met, deadline* rarely met, deadline* never met, "
        "deadline* are not met, deadline* were not met, deadline* arent met, "
        "deadline* werent met, deadline* are rarely met, deadline* were rarely met, "
        "deadline* are never met, deadline* were never met, deadline* are seldom met, "
        "редко в срок, никогда в срок",
        SPEED,
        negated=1.0,
    ),
    # Stars as a rating: «Пять звёзд» was read as a complaint (P(negative) 0.51).
    Group(1.0, "пять звезда, 5 звезда, five star*, 5 star*, 10 из 10"),
    Group(-1.0, "одна звезда, 1 звезда, ноль звезда, one star, 1 star, zero star*"),
    # A complaint denied is praise: "претензий нет", "no complaints", "без замечаний".
    Group(
        -0.5,
        "претензия, жалоба, замечание, нарекание, проблема, ошибка, косяк, баг, сбой, "
        "complaint*, complain, issue, issues, problem*, bug*, error*, mistake*, glitch*, "
        "hiccup*, hitch*",
        negated=1.0,
    ),
    Group(
        -1.0,
        "задержка, опоздание, срыв, сорвать срок, срыв срок, просрочить, затянуть срок, "
        "сорвать запуск, сорвать релиз, срок сорвать, срок поехать, срок уехать, срок съехать, "
        "перенос, перенести, переносить, "
        "delay*, missed deadline*, missed the deadline*, miss* deadline*, late, postpone*, "
        "reschedul*, pushed back, slipped, slipping, slips, slip, deadline* moved, "
        "deadline* shifted, moved the deadline*, shifted the deadline*, deadline* pushed",
        SPEED,
        negated=1.0,
    ),
    Group(
        1.0,
        "нет претензия, нет вопрос, нет замечание, не на что жаловаться, грех жаловаться, "
        "не жаловаться, всё супер, все супер, срок не сорвать, не к что придраться, "
        "cant complain, can not complain, cannot complain, no complaints, nothing to complain, "
        "no issues, no problems, no problem, all good, no notes",
    ),
    # --- deliberate neutral -------------------------------------------------------------------
    Group(
        0.0,
        "нормально, нормальный, норм, ок, окей, средне, сойти, приемлемо, приемлемый, терпимо, "
        "обычно, стандартно, ровно, без изменение, по наш вина, наш вина, не по ваш вина, "
        "сложно сказать, трудно сказать, сложно оценить, трудно оценить, сложно сравнивать, "
        "оценивать некорректно, некорректно оценивать, рано судить, ни да ни нет, сложно судить, "
        "трудно судить, чем нет, вопрос нет, в рамках ожидание, "
        "ok, okay, fine, average, acceptable, alright, tolerable, as expected, as usual, "
        "standard, normal, our fault, not your fault, on our side, hard to say, hard to judge, "
        "hard to compare, not fair to judge, too early, no strong feelings, than not, "
        "if i am wrong, if im wrong, am i wrong, if i got it wrong",
    ),
    # --- complaints ---------------------------------------------------------------------------
    Group(
        -1.0,
        "плохо, плохой, ужасно, ужасный, ужас, кошмар, кошмарный, отвратительно, "
        "отвратительный, разочаровать, разочарованный, разочарование, недовольный, "
        "недовольство, хуже, худший, халтура, бардак, провал, провалить, провальный, "
        "безобразие, безобразно, позор, бесить, раздражать, неприемлемо, некачественно, "
        "некачественный, непрофессионально, непрофессиональный, отстой, фигня, хрень, жесть, "
        "треш, бесполезно, бесполезный, подвести, обмануть, игнорировать, игнор, "
        "проигнорировать, потерять, сломать, сломаться, глючить, тупить, хаос, возмутительно, "
        "оставлять желать хороший, ниже плинтус, никакущий, отвратно, мрак, беда, хромать, "
        "зря, жалеть, пожалеть, ниже ожидание, ждать больший, ожидать больший, "
        "ожидать лучший, если бы знать, хуже некуда, "
        "не фонтан, двойка, на двойка, перестать работать, ругаться, материться, недопустимо, "
        "неуместно, издевательство, пропасть, посыпаться, развалиться, разваливаться, "
        "bad, badly, terrible, terribly, awful, horrible, horrendous, poor, poorly, worst, worse, "
        "disappoint*, disappointed, disappointing, unhappy, dissatisfied, unsatisfied, hate, "
        "hated, useless, angry, annoy*, frustrat*, unacceptable, ridiculous, pathetic, mess, "
        "messy, broken, broke, breaks, breaking, failed, fail, failure, ignored, ignoring, "
        "unprofessional, sloppy, sucks, "
        "sucked, crap, garbage, nightmare, joke, shoddy, incompetent, let us down, let down, "
        "left much to be desired, lost, chaos, disaster, regret*, below expectations, "
        "way below, expected more, expected better, stop* work*, inappropriate, mockery, "
        "ghosted, disappeared, missed, просесть, проседать, без тест, без тестирование, "
        "without tests, without testing, untested, испортить, испортиться, портить, угробить, "
        "загубить, ruin*",
    ),
    # Nothing to show for a sprint, or old bugs back: plain words the embedding reads as a
    # neutral report.
    Group(
        -1.0,
        "показать нечего, нечего показать, нечего было показать, регресс, регрессия, "
        "nothing to show, nothing to demo, nothing was demoed, nothing was delivered, "
        "nothing delivered, nothing was shipped, nothing shipped, regression*",
        alarm=True,
    ),
    # "A hello wouldn't hurt", "more testing wouldn't hurt": a polite complaint.
    Group(-0.75, "wouldnt hurt, would not hurt, wouldnt kill them, wouldnt kill you"),
    # Done to the client with no word why.
    Group(
        -0.75,
        "без объяснение, без объяснений, without explanation, without any explanation, "
        "без предупреждение, without warning, without any warning, with no warning, "
        "ничего не найти, can't find anything, cant find anything, cannot find anything, "
        "тариф поднять, цена поднять, тариф повысить, цена повысить, цена вырасти, "
        "тариф вырасти, is offline, was offline, went offline, are offline, were offline, "
        "даже не мочь",
    ),
    # A verdict on the whole service in one image: a step back, a circus, "you had one job",
    # leaving for a competitor.
    Group(
        -1.0,
        "шаг назад, цирк, балаган, шарашкин контора, руки оторвать, "
        "руки бы оторвать, уйти к конкурент, уходить к конкурент, перейти к конкурент, "
        "переходить к конкурент, "
        "step backwards, step backward, a step back, a downgrade, had one job, clown show, "
        "amateur hour, shitshow, to a competitor, to the competition",
        alarm=True,
    ),
    # Work done carelessly, in the client's slang.
    Group(
        -1.0,
        "на отвалить, тяп-ляп, через пень колода, спустя рукав, на коленка, на скорый рука, "
        "абы как, half-assed, half-arsed, slapdash, cut corners, cutting corners",
        OUTCOME,
        alarm=True,
    ),
    # A sore point, a contract reconsidered: said calmly, the client is close to leaving.
    Group(
        -1.0,
        "больной место, больной вопрос, больной тема, слабый место, пересмотреть контракт, "
        "переходить на личность, перейти на личность, got personal, getting personal, "
        "пересматривать контракт, пересмотреть договор, пересматривать договор, "
        "пересмотреть сотрудничество, пересматривать сотрудничество, расторгнуть договор, "
        "расторгнуть контракт, sore point, sore spot, pain point, weak spot, weak point, "
        "reconsider the contract, reconsider our contract, reconsider the partnership, "
        "reconsider working, terminate the contract, cancel the contract, end the contract, "
        "технический долг расти, техдолг расти, tech debt keeps growing, tech debt is growing, "
        "technical debt keeps growing, technical debt is growing, tech debt grows",
        alarm=True,
    ),
    # Reviews and tweets name the flaw, not the feeling: "bland", "buggy", "надоело". An alarm:
    # with nothing good said, the embedding reads a named flaw as a neutral description.
    Group(
        -1.0,
        "надоесть, задолбать, достали, убого, убогий, лажа, облом, фейл, косяк, "
        "накосячить, косячить, глючный, криво, кривой, невкусно, невкусный, безвкусно, "
        "безвкусный, "
        "мерзко, мерзкий, противно, противный, гадость, гадкий, паршиво, паршивый, "
        "tasteless, bland, stale, soggy, greasy, inedible, overcooked, undercooked, overdone, "
        "inconsistent, cramped, burnt, disgusting, gross, nasty, filthy, dirty, smelly, "
        "overrated, lousy, dreadful, horrid, subpar, sub-par, second-rate, defective, faulty, "
        "buggy, glitchy, unusable, unreliable, unhelpful, unwelcome, obnoxious, worthless, "
        "rubbish, junk, not worth, epic fail, epicfail, ugh, grr, argh, losing, drains, draining, "
        # an outage they caused, in the team's slang: «положили прод», «уронили сервер»
        "положить прод, положить продакшн, положить продакшен, положить сервер, положить сайт, "
        "положить база, уронить прод, уронить продакшн, уронить продакшен, уронить сервер, "
        "уронить сайт, уронить база, откатить релиз, откатить обновление, откатить версия, "
        "откатывать релиз, релиз откатить, обновление откатить, rolled back, "
        # a thing that broke down, said as a fact ("the case cracked within a week")
        "cracked, fell apart, falls apart, falling apart, died, dies, dead on arrival, "
        "stopped charging, stopped responding, stopped syncing, stopped loading, "
        # a mood or a service at zero («настроение ноль», "zero communication"), nobody in
        # charge, nerves (and "first class my ass": profanity that mocks what it follows)
        "настроение ноль, настроение на ноль, ноль реакция, ноль внимание, ноль информация, "
        "zero communication, zero updates, zero response, zero help, zero info, "
        "zero information, zero support, zero effort, nobody knows anything, "
        "no one knows anything, никто ничего не знать, валиться из рука, одни нерв, my ass, "
        "this is how you treat, is this how you treat, так вы относиться к, "
        # asking more than once is a complaint with no feeling word
        "ask* twice, ask* three times, ask* several times, ask* multiple times, ask* repeatedly",
        alarm=True,
    ),
    # Coming back says little; not coming back is a verdict ("would never go back", "won't be
    # back", "больше не вернусь"), and so is not getting anything back ("не вернули деньги").
    Group(
        0.0,
        "вернуться, возвращаться, вернуть, возвращать, прийти снова, прийти еще, прийти ещё, "
        "go back, going back, come back, coming back, be back, return, returning, go again, "
        "visit again",
        negated=-1.0,
    ),
    # Warnings stay warnings when negated: "никогда не связывайтесь", "don't waste your time",
    # "не тратьте время". Imperatives only, so a plain "мы обращались" says nothing.
    Group(
        0.0,
        "связывайтесь, связываться с они, обращайтесь, ведитесь, покупайте, берите, "
        "пользуйтесь, советую, советовать, доверяйте, "
        "bother, buy from, use them, trust them, deal with them, go with them, fall for, "
        "buy this, buy it, buy these, buy one",
        negated=-1.0,
    ),
    Group(
        -1.0,
        "тратить время, потратить время, трата время, тратить деньги, потратить деньги, "
        "тратить нерв, потерять время, потерянный время, бегите, держитесь подальше, "
        "больше никогда, никогда больше, ни ногой, ни за что, обходите стороной, "
        "нога мой не быть, нога мой больше не быть, больше не прийти, больше не приходить, "
        "is the last time, was the last time, be the last time, "
        "обходить стороной, не стоить деньга, не стоить того, ищите другой, "
        "waste*, wasting, avoid, stay away, steer clear, run away, beware, never again, "
        "look elsewhere, go elsewhere, business elsewhere, considering other vendors, "
        "considering other options, looking at other vendors, looking for another vendor, "
        "рассматривать другой подрядчик, искать другой подрядчик, сменить подрядчик, "
        "lost a day, lost a week, lost hours, lost money, cost us",
        negated=-1.0,
    ),
    # Profanity and insults: anger, whatever the words around them.
    Group(
        -1.0,
        "пиздец, пизд*, хуйн*, хуев*, хер*, ебан*, ебуч*, заебал*, заебло, наебал*, наеб*, "
        "бля, блять, блядь, бляд*, сука, суки, сучар*, мудак*, мудил*, долбоеб*, долбаеб*, "
        "дебил*, идиот*, придурок, придурк*, кретин*, урод*, козел, козлы, козлина, тупой, "
        "тупые, тупица, тупость, дурак, дураки, ублюд*, сволоч*, тварь, твари, говн*, дерьм*, "
        "засран*, обосрать, мошенник*, жулик*, жульничество, ворюг*, воры, разводилово, "
        "лохотрон*, кидал*, обманщик*, лжец*, врать, наврать, вранье, "
        "fuck*, shit*, wtf, bullshit, bs, idiot*, moron*, stupid*, dumb, dumbest, clown*, "
        "scam*, ripoff, rip-off, ripped off, thieves, thief, liars, lying, lied, damn, "
        "pissed, piss*, screw you, screwed, jerk*, incompetence, clueless, "
        "нихуя, нахуй, нахуя, похуй, охуели, охуел, ахуели, хуй, хуя, гореть в ад, не беси, "
        "не бесите, "
        "burn in hell",
        negated=-1.0,
    ),
    # Complaints with no feeling in them: a wait, a silence, something still missing.
    Group(
        -1.0,
        "on hold, hold for, still waiting, still no, still not, still havent, still hasnt, "
        "still dont, still doesnt, still cant, still broken, still down, unanswered, "
        "до сих пор, все еще не, всё ещё не, так и не, сколько можно ждать, сколько можно терпеть, "
        "сколько можно просить, сколько можно писать",
        negated=-1.0,
    ),
    Group(
        -1.0,
        "hours later, days later, weeks later, for hours, for days, for weeks, "
        "который день, третий день, второй день, "
        "какой день, целый день, целую неделю, уже неделя, уже месяц, уже неделю, "
        "уже месяц",
        SPEED,
    ),
    # What clients of a service complain about without a feeling word: money taken, service
    # cut, a price raised, a line that never answers.
    Group(
        -0.75,
        "списать, списывать, списание, снять деньги, подорожать, подорожание, повысить цена, "
        "поднять цена, повысить тариф, поднять тариф, отключить, отключать, отключиться, "
        "отключение, отсутствие, заблокировать, блокировать, навязать, вернуть деньги, "
        "приостановить работа, прекратить работа, приостановка работа, прекращение работа, "
        "приостановить обслуживание, прекратить обслуживание, перестать принимать, "
        "перестать выдавать, "
        "вернуть деньга, повышать цена, повышать тариф, повышение цена, повышение тариф, "
        "перебой, неполадка, сбой, авария, невозможно дозвониться, дозвониться невозможно, "
        "невозможно терпеть, невозможно работать, нервировать, накипеть, "
        "impossible to, nearly impossible, "
        "дорого, дороговатый, переплатить, завысить, завышенный, обдираловка, "
        "charged, overcharged, overcharging, hidden fee*, price hike, disconnected, "
        "cut off, cancelled, canceled, blocked, hung up, stranded, lost my, never arrived, "
        "suspended, discontinued, shut down, shutting down, "
        "never received, never got, overpriced, expensive, pricey",
    ),
    # Feelings named with no complaint word (our lexicon had the anger and disappointment of
    # a client, not sadness, fear or hurt): "обидно", "боюсь, что не успеем", "fed up".
    Group(
        -0.75,
        "грустно, грустный, печально, печальный, обидно, обидный, обида, обидеть, страшно, "
        "бояться, злой, злиться, злость, разозлить, ненавидеть, ненависть, больно, "
        "скучно, скучный, тоска, тоскливо, тревога, тревожно, тревожный, опасаться, угрожать, "
        "расстроить, расстроенный, расстраивать, огорчить, огорченный, огорчать, возмущать, "
        "возмущенный, возмущение, ярость, гнев, злоба, злобный, отчаяние, жаловаться, "
        "пожаловаться, обман, обманывать, безрезультатно, "
        "sad, upset, scared, afraid, furious, fed up, sick of, tired of, hurt, heartbroken, "
        "miserable, sucks",
    ),
    # Bad news for the company a text is about: sanctions, fines, a robbery, a breach. An
    # alarm: tweets about a bank or an operator that report it are complaints about it as
    # readers label them; denied, it is mild good news ("без штрафов").
    Group(
        -0.75,
        "санкция, санкционный, штраф, оштрафовать, ограбить, ограбление, банкротство, "
        "обанкротиться, отозвать лицензия, взлом, взломать, утечка, "
        "sanctions, fined, lawsuit, sued, bankrupt, bankruptcy, hacked, data breach",
        alarm=True,
    ),
    # A question that is a complaint: "why can't it just work", "сколько можно ждать".
    Group(
        -0.75,
        "why cant, why doesnt, why wont, why isnt, why is it so, how hard is it, "
        "how hard can it be, почему нельзя, почему опять, почему до сих пор",
    ),
    # Exasperation: a complaint under any negation, and an alarm ("how many times…").
    Group(
        -0.75,
        "how many times, how much longer, сколько еще ждать, пишу третий раз, третий раз пишу, "
        "пишу пятый раз, пятый раз пишу, сотый раз, third time asking, umpteenth time",
        negated=-1.0,
    ),
    # Said plainly they say nothing; denied, a complaint ("нет связи", "без ответа").
    Group(
        0.0,
        "ответ, реакция, связь, интернет, сеть, доступ, деньги, дозвониться, ловить, "
        "lte, 3g, 4g, "
        "response, feedback, signal, service, connection, internet, access, refund, "
        "get through",
        negated=-1.0,
    ),
    # Questions and polite requests are no complaint by themselves.
    Group(
        0.0,
        "подскажите, подсказать, пожалуйста, прошу, уточните, уточнить, будьте добры, "
        "когда будет, когда ждать, где найти, где посмотреть, "
        "please, could you, can you, would you, when will, when is, where can, how do, "
        "is there, is it, are there, do you",
    ),
    Group(
        -0.75,
        "слабо, слабый, "
        "есть куда расти, есть над что работать, неудобно, неудобный, непонятно, непонятный, "
        "сложно, путаница, непонятка, троечка, на троечка, тройка, на три, есть вопрос, "
        "вопрос есть, отдельный вопрос, вопрос к, зависать, виснуть, падать, упасть, вылетать, "
        "лагать, через раз, беспокоить, слабенький, навязывать, спорить, "
        "not great, not ideal, confusing, confusion, confused, unclear, "
        "gets a c, c grade, a c at best, freezes, freezing, crash*, outage*, downtime, "
        "questions about, worried, worrying, concerning, scary, "
        # a wrong result or a service that is down, said as a fact ("the wrong currency")
        "неверно, неверный, неправильно, неправильный, не по дело, легло, легла, легли, "
        "wrong, incorrect, inaccurate, is down, was down, went down, are down, were down, "
        "down again, далеко от идеал, far from ideal, far from perfect, far from great, "
        "far from good, "
        # not the thing ordered, barely any progress, thanks said through teeth
        "not what we asked for, not what we needed, not what we need, not what we expected, "
        "not what we signed up for, not what we paid for, not what we ordered, barely moved, "
        "barely works, barely working, barely usable, кое-как, с горе пополам, спасибо конечно, "
        # sent back
        "returned it, returned them, sent it back, sent them back",
    ),
    # Promised, and (the past tense says) not done: "It was supposed to be ready on Monday."
    # An alarm: the embedding reads a plan. With praise beside it ("was supposed to take a
    # month, done in a week, great") it is no alarm.
    Group(-0.75, "was supposed to, were supposed to, was meant to, were meant to", alarm=True),
    # A lukewarm verdict is a complaint by the guideline, said on its own too: «Так себе.»
    # answering "outcome" was read as praise (P(negative) 0.30) until an alarm.
    Group(
        -0.75,
        "так себе, такой себе, средненько, посредственно, посредственный, "
        "so so, so-so, meh, mediocre, underwhelming",
        alarm=True,
    ),
    # The same hedge about anything: "could be better" read as praise (the embedding and VADER
    # see "better") until an alarm; "couldn't be better" stays praise.
    Group(
        -0.75,
        "could be better, could have been better, could be nicer, could have been nicer, "
        "room for improvement, могло быть лучше, могло быть и лучше, могло бы быть лучше, "
        "had higher hopes, had high hopes, hoped for more, hoped for better, "
        "рассчитывать на больший, надеяться на больший, рассчитывать на лучший, "
        "seen better, бывало и лучше, бывало лучше, видали и лучше, видали лучше, "
        # grudging: «спасибо, что хоть…», «хорошо хоть старое не сломали»
        "что хоть, хорошо хоть, и на том спасибо",
        alarm=True,
    ),
    # Promises broken or more than anyone could keep: «обещание не сдержали», «наобещали с три
    # короба», «обещали золотые горы», "broke their promise".
    Group(
        -1.0,
        "наобещать, с три короб, золотой гора, обещание не сдержать, слово не сдержать, "
        "не сдержать обещание, не сдержать слово, обещание не выполнить, "
        "не выполнить обещание, пустой обещание, "
        "overpromise*, over-promise*, underdeliver*, under-deliver*, broke their promise*, "
        "broke his promise*, broke her promise*, broken promise*, empty promise*, "
        "false promise*, didnt keep their promise*, didnt keep his promise*, "
        "didnt keep her promise*, didnt keep their word, did not keep their promise*, "
        "did not keep their word, never kept their promise*, never keep their promise*",
        alarm=True,
    ),
    # About speed above all: "долго" about a result may be fine; "could be faster" is not.
    Group(
        -1.0,
        "долго, долгий, долговато, медленно, медленный, медленновато, задерживать, опоздать, "
        "ждать, дождаться, прождать, долгий ожидание, затянуть, затягивать, тянуть, тянуться, "
        "тормозить, вечность, нескоро, не сразу, не вовремя, пробуксовка, буксовать, "
        "застрять, стоять на место, затягиваться, затянуться, растянуть, растягивать, "
        "растянуться, туго, туговато, со скрип, at a crawl, crawling, задержать, профукать, "
        "прошляпить, "
        "slow, slowly, slower, later than, wait, waited, waiting, too long, took long, "
        "took a while, took forever, takes forever, forever, ages, overdue, sluggish, "
        "not fast, long time, "
        "long wait, long waits, so long, very long, "
        "stalled, stuck, bogged down, dragging, dragged, drag on, snail*, past the deadline, "
        "past deadline, past due, glacial, "
        "last-minute, leisurely, неспешно, неспешный, неторопливо, "
        "неторопливый",
        SPEED,
        negated=0.6,
    ),
    # Everything left to the last minute is a complaint whatever was asked ("meetings moved at
    # the last minute" to politeness, «всё в последний момент» to outcome), not half of one.
    Group(
        -1.0,
        "в последний момент, в последний минута, at the last minute, at the last moment",
        alarm=True,
    ),
    # The hedged complaint ("could be faster"): polite, and still a complaint. An alarm: the
    # embedding reads "faster" as praise.
    Group(
        -1.0,
        "could be faster, should be faster, could have been faster, could be quicker, "
        "могло быть быстрее, могли бы быстрее",
        SPEED,
        negated=0.6,
        alarm=True,
    ),
    # "Finally": the wait was noticed ("an answer finally arrived").
    Group(-0.5, "наконец, наконец-то, finally, at last", SPEED, negated=0.0),
    Group(
        -1.0,
        "формально, формальный, сухо, сухой, суховато, холодно, холодный, резко, резкий, "
        "фамильярно, фамильярный, панибратски, "
        "резковато, равнодушно, равнодушный, безразлично, безразличный, отписка, шаблонный, "
        "шаблонно, шаблон, неприветливый, надменный, снисходительно, снисходительный, "
        "высокомерно, высокомерный, пренебрежительно, пренебрежительный, пренебрежение, "
        "свысока, сквозь зуб, отмахнуться, отмахиваться, менторский, поучать, нравоучение, "
        "formal, formally, cold, coldly, dry, curt, curtly, dismissive, robotic, canned, "
        "scripted, condescending, patronizing, patronising, indifferent, unfriendly, "
        "copy-paste, copy paste, short with, rough, harsh, sharp, evasive, cagey, template*, "
        "lecturing, preachy, passive aggressive, passive-aggressive, abrasive, bossy, "
        "overly familiar",
        POLITE,
        negated=0.6,
    ),
    Group(
        -1.0,
        "грубо, грубый, грубовато, грубость, хамство, хамить, хам, хамский, грубить, нагрубить, "
        "наорать, орать, нахамить, невежливо, невежливый, некорректно, некорректный, "
        "неуважительно, неуважение, неприятно, неприятный, "
        "rude, rudely, impolite, disrespect*, arrogant, yelled, shouted, snapped, insult*, "
        "offensive, hostile, unpleasant",
        POLITE,
        negated=0.6,
    ),
    # Courtesy that never came: «ни здрасте, ни до свидания» has no feeling word to read.
    Group(
        -1.0,
        "ни здрасте, ни здравствуйте, ни привет, ни спасибо, ни извинить, без здрасте, "
        "без приветствие, ни слово извинение, "
        "never say hello, never said hello, never says hello, not even a hello, "
        "not even a thank you, not even a thanks, not even a sorry, not a word of apology, "
        "no word of apology",
        POLITE,
        alarm=True,
    ),
)

# --- read across a sentence (rules._exceptions, rules._promises) ---------------------------
# Praise with an exception carved out is a complaint about the exception: «Кроме Сергея, все
# вежливые», "polite except for the new PM", "all good apart from the designer". «Кроме»,
# "apart from", "aside from" and "other than" also mean "besides" («Кроме скорости, порадовало
# качество»): they count only beside "all"/«все»/a team and with no "also"/«тоже».
EXCEPT_RE = re.compile(
    r"(?i)(?<!\w)(?:(?P<sure>except(?:\s+for)?|excepting|with\s+the\s+exception\s+of|"
    r"save\s+for|за\s+исключением|исключая|(?:если\s+)?не\s+счита(?:я|ть))|кроме|apart\s+from|"
    r"aside\s+from|other\s+than)(?!\w)"
)
ALL_RE = re.compile(
    r"(?i)(?<!\w)(?:все|всё|всем|всех|весь|вся|каждый|остальн\w*|никто|ничего|команд\w*|"
    r"коллектив\w*|ребята|everyone|everybody|everything|all|the\s+rest|others|nobody|"
    r"no\s+one|nothing|team|staff)(?!\w)"
)
ADDITIVE_RE = re.compile(r"(?i)(?<!\w)(?:also|as\s+well|тоже|также|ещё\s+и|еще\s+и)(?!\w)")
# Where what is excepted ends: a comma or a dash («кроме того, что…» reads on), "who",
# «который», a verb ("except Anna was…"), or the praise after it with no comma («кроме Сергея
# все вежливые»).
EXCEPTED_END_RE = re.compile(
    r"(?i),(?!\s*(?:что|that)\b)|[;:—–(]|\s-\s|(?<!\w)(?:who|which|whose|and|but|но|а|и|"
    r"который|которая|которые|которого|все|всё|everyone|everybody|everything|all|was|were|is|"
    r"are|has|have|had|did|does|do)(?!\w)"
)
# No complaint about anyone: the client itself («кроме меня — я долго отвечал»), «кроме того»
# and "other than that" ("moreover", "that aside": the complaint, if any, was said before).
NOT_BLAMED_RE = re.compile(
    r"(?i)^\s*(?:меня|нас|себя|я|мы|наш\w*|мо[йяеёи]\w*|me|us|myself|ourselves|i|we|our|my|"
    r"шуток|(?:того|этого|that|this)(?!\s*,?\s*(?:что|that)\b)\s*$)(?!\w)"
)
# No one's work: "recommend to everyone except competitors", "thanks for all but the weather".
OUTSIDE_RE = re.compile(r"(?i)(?<!\w)(?:конкурент\w*|погод\w*|competitors?|weather)(?!\w)")
# A trivial exception the client itself calls small ("except for a small typo, everything was
# perfect"): no alert, the owner would not call a client who says everything was perfect.
TRIVIAL_RE = re.compile(
    r"(?i)(?<!\w)(?:small|minor|tiny|little|slight|trivial|cosmetic|typos?|nitpicks?|"
    r"мелк\w*|мелоч\w*|небольш\w*|незначительн\w*|крошечн\w*|пустяк\w*|опечат\w*)(?!\w)"
)

# Broken promises: something else, less, or later than promised. The promise's own clause is
# read against the next one («Обещали к пятнице, | сделали через месяц»).
PROMISE_RE = re.compile(r"(?i)(?<!\w)(?:(?:по|на)?обеща\w*|promised|promises?)(?!\w)")
PROMISE_SPLIT_RE = re.compile(
    r"[,;.!?…\n—–]|(?<!\w)(?:а|и|но|зато|and|but|yet|then|instead)(?!\w)", re.IGNORECASE
)
ONE_THING_RE = re.compile(r"(?i)(?<!\w)(?:одно|one\s+thing)(?!\w)")
ANOTHER_RE = re.compile(
    r"(?i)(?<!\w)(?:другое|иное|не\s+то|another|something\s+else|something\s+different|"
    r"the\s+opposite|противоположное)(?!\w)"
)
MUCH_RE = re.compile(
    r"(?i)(?<!\w)(?:много|всё|все|a\s+lot|lots|so\s+much|everything|the\s+moon|the\s+world)"
    r"(?!\w)"
)
LITTLE_RE = re.compile(
    r"(?i)(?<!\w)(?:мало|ничего|половин\w*|немного|little|nothing|half|not\s+much|"
    r"a\s+fraction)(?!\w)"
)
LATER_RE = re.compile(
    r"(?i)(?<!\w)(?:позже|позднее|с\s+опозданием|с\s+задержкой|только\s+(?:в|к|через|на|спустя)|"
    r"лишь\s+(?:в|к|через|на|спустя)|later|late|only\s+(?:on|in|after|by|at))(?!\w)"
)
EARLIER_RE = re.compile(r"(?i)(?<!\w)(?:раньше|досрочно|earlier|sooner|ahead|early)(?!\w)")
# "Сделали даже раньше, чем обещали", "later than promised": the comparison said outright.
_SOONER = r"раньше|быстрее|earlier|sooner|faster"  # than promised, than planned
_LATER = r"позже|позднее|дольше|медленнее|later|longer|slower"
THAN_PROMISED_RE = re.compile(
    rf"(?i)(?<!\w)(?:(?P<early>{_SOONER})|(?P<late>{_LATER})|меньше|хуже|less|worse)[\s,]+"
    r"(?:чем|than)\s+(?:\w+\s+){0,2}?(?:обеща|promis)\w*"
)
# "Took longer than estimated", «дольше, чем планировали»: slower than the plan, said outright
# (a promise is read by rules._promises); "less time than expected" is praise.
THAN_PLANNED_RE = re.compile(
    rf"(?i)(?<!\w)(?<!не\s)(?<!not\s)(?:(?P<early>{_SOONER}|quicker|меньше\s+времени|"
    rf"less\s+time)|{_LATER}|больше\s+времени|more\s+time)[\s,]+(?:чем|than)\s+"
    r"(?:\w+\s+){0,2}?(?:ожида|планир|"
    r"оценива|рассчитыва|предполага|договарива|заклады|прогнозир|обычно|нужно|надо|следовало|"
    r"expect|estimat|plan|anticipat|schedul|quot|agreed|hoped|usual|needed|necessary|should|"
    r"wanted|хотел|(?:i|we)(?:'d|\s+would)\s+like)\w*"
)
NOT_AS_PROMISED_RE = re.compile(
    r"(?i)(?<!\w)(?:не\s+так|не\s+то|not\s+what|not\s+as|nothing\s+like)[\s,]+"
    r"(?:\w+\s+){0,3}?(?:обеща|promis)\w*"
)
KEPT_PROMISE_RE = re.compile(
    r"(?i)(?<!\w)(?:всё|все|сделали|сделано|выполнили|сдали|точно|ровно|everything|exactly|"
    r"delivered|done|did|shipped)\W+(?:\w+\W+){0,2}?(?:как\s+(?:и\s+)?|as\s+|"
    r"what\s+(?:\w+\s+){0,2}?)(?:обеща|promis)\w*"
)
# «Слово сдержали», "they kept their promise" (denied: lexicon, «обещание не сдержали»).
KEPT_WORD_RE = re.compile(
    r"(?i)(?<!\w)(?:сдержал\w*\s+(?:сво\w+\s+)?(?:слово|обещани\w*)|(?:слово|обещани\w*)\s+"
    r"сдержал\w*|kept\s+(?:\w+\s+)?(?:word|promises?))(?!\w)"
)
KEPT_DENIED_RE = re.compile(r"(?i)(?<!\w)(?:не|not|never|didnt|didn't|didn’t)\s*$")
# "promised to call back and did", «обещали перезвонить и перезвонили»: done, nothing more said.
DID_RE = re.compile(
    r"(?i)^\W*(?:did|done|delivered|gave|сделали|сделал|сделала|выполнили|сдали|сдержали|дали)"
    r"\W*$"
)
# A closing courtesy after a complaint ("…took longer than planned. Thanks!", «…кроме
# Сергея, все вежливые. Спасибо!»): manners, not something good said about the work.
SIGN_OFF_RE = re.compile(
    r"(?i)[.!?…\n;,—–-]\s*(?:и\s+|and\s+)?(?:"
    r"(?:заранее\s+)?(?:спасибо|благодарю|благодарим)(?:\s+(?:вам|большое|огромное|ещё\s+раз|еще\s+раз))*"
    r"(?:\s+за\s+(?:опрос|вопрос\w*|внимание|интерес|обратную\s+связь|ответ\w*|понимание|"
    r"работу|сотрудничество|всё|все))?"
    r"|(?:many\s+)?(?:thanks|thank\s+you|thx|ty|cheers)(?:\s+(?:so\s+much|a\s+lot|again|in\s+advance))*"
    r"(?:\s+for\s+(?:asking|the\s+survey|the\s+questions?|your\s+time|listening|your\s+work|"
    r"the\s+work|everything|checking\s+in|reaching\s+out))?"
    r")\s*[.!…)]*\s*$"
)
CONTRAST_RE = re.compile(r"(?i)(?<!\w)(?:но|однако|зато|хотя|а|but|however|though)(?!\w)")
# When: a day of the week or a month (their order within a week or a year), or a span in days.
WEEKDAYS = (
    ("понедельник", "monday"), ("вторник", "tuesday"), ("сред", "wednesday"),
    ("четверг", "thursday"), ("пятниц", "friday"), ("суббот", "saturday"),
    ("воскресень", "sunday"),
)  # fmt: skip
# "May" is a month after "in"/"by"/"until" or before a day ("May 5"), else the verb.
_MAY = (
    r"(?:(?<=in\s)|(?<=by\s)|(?<=of\s)|(?<=till\s)|(?<=until\s)|(?<=before\s)|"
    r"(?<=since\s)|(?<=mid-))may|may(?=\s+\d)"
)
MONTHS = (
    ("январ", "january"), ("феврал", "february"), ("март", "march"), ("апрел", "april"),
    ("ма[йяюе]", _MAY), ("июн", "june"), ("июл", "july"), ("август", "august"),
    ("сентябр", "september"), ("октябр", "october"), ("ноябр", "november"),
    ("декабр", "december"),
)  # fmt: skip


def _calendar_re(names: tuple[tuple[str, str], ...], tail: str) -> re.Pattern[str]:
    alts = (f"(?P<n{i}>{ru}{tail}" + (f"|{en}" if en else "") + ")" for i, (ru, en) in
            enumerate(names))  # fmt: skip
    return re.compile(r"(?i)(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


WEEKDAY_RE = _calendar_re(WEEKDAYS, r"[ауеиы]?")
MONTH_RE = _calendar_re(MONTHS, r"\w{0,3}")
SPAN_RE = re.compile(
    r"(?i)(?<!\w)(?:(?P<n>\d+|an?|one|two|three|four|five|six|couple\s+of|a\s+couple\s+of|"
    r"a\s+few|few|several|один|одну|одна|два|две|пару|три|четыре|пять|шесть|несколько)\s+)?"
    r"(?P<u>hours?|days?|weeks?|months?|years?|час|часа|часов|день|дня|дней|сутки|суток|"
    r"неделю|недели|недель|неделя|месяц|месяца|месяцев|год|года|лет)(?!\w)|"
    r"(?P<half>полгода|half\s+a\s+year)"
)
SPAN_COUNTS = {
    "an": 1, "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "couple of": 2, "a couple of": 2, "a few": 3, "few": 3, "several": 3, "один": 1,
    "одну": 1, "одна": 1, "два": 2, "две": 2, "пару": 2, "три": 3, "четыре": 4, "пять": 5,
    "шесть": 6, "несколько": 3,
}  # fmt: skip
SPAN_DAYS = (("hour", 1 / 24), ("час", 1 / 24), ("day", 1), ("ден", 1), ("дн", 1), ("сут", 1),
             ("week", 7), ("недел", 7), ("month", 30), ("месяц", 30), ("year", 365),
             ("год", 365), ("лет", 365))  # fmt: skip

# Emoji and emoticons; any other emoji is ignored.
EMOJI_POS = frozenset("👍👌🙂😊😀😃😄😁😍🥰❤💯🔥🎉✅🙏👏💪🤝😎🤗⭐🌟💖💙💚♥☺🥳😇")
EMOJI_NEG = frozenset("👎😡😠🤬😞😢😭😤🙁☹😒😕😩😫💩❌😔🤦😑😐🙄😟😣😖🤯⛔🐌😪🙃")
# The upside-down face says "I don't mean it": praise beside it is sarcasm ("ну спасибо,
# очень помогли 🙃", "technically delivered 🙃"); every such answer we were given complains.
IRONY = frozenset("🙃")


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
