"""Every user-facing string, in Russian and English. The contact's language picks one."""

from __future__ import annotations

import shlex
from datetime import timedelta

from surveys.model import Language

# Kept as plain data (not gettext .mo files) so both languages are reviewed side by side
# and a test can prove every key exists in each language with the same placeholders.
CATALOG: dict[str, dict[Language, str]] = {
    "invite": {
        Language.EN: (
            "Hello, {name}! This is the client service team of {company}. We would like your "
            "honest feedback on {round}. There are {count} short questions; answer in your own "
            "words. Your answers go to client service, not to the project team.\n"
            "The buttons under each question let you skip it, answer later, or decline this round."
        ),
        Language.RU: (
            "Здравствуйте, {name}! Это команда клиентского сервиса {company}. Нам важен ваш "
            "честный отзыв о {round}. Всего {count} коротких вопроса; отвечайте своими "
            "словами. Ответы получает клиентский сервис, а не команда проекта.\n"
            "Кнопки под каждым вопросом позволяют пропустить его, ответить позже или отказаться от опроса."
        ),
    },
    "question_header": {
        Language.EN: "Question {n} of {count}",
        Language.RU: "Вопрос {n} из {count}",
    },
    "q.outcome": {
        Language.EN: "Are you satisfied with the result, and was the solution adequate to your needs?",
        Language.RU: "Довольны ли вы результатом и насколько решение соответствовало вашим задачам?",
    },
    "q.speed": {
        Language.EN: "How do you find the speed of our work and of our answers?",
        Language.RU: "Как вы оцениваете скорость нашей работы и ответов?",
    },
    "q.politeness": {
        Language.EN: "Was our communication polite and correct?",
        Language.RU: "Было ли общение с нами вежливым и корректным?",
    },
    "thanks": {
        Language.EN: "Thank you! Your answers are recorded. Client service will read every word.",
        Language.RU: "Спасибо! Ваши ответы записаны. Клиентский сервис прочитает каждое слово.",
    },
    "skipped": {
        Language.EN: "Skipped.",
        Language.RU: "Пропускаем.",
    },
    "later": {
        Language.EN: "No problem, I will remind you later. You can also just answer any time.",
        Language.RU: "Хорошо, я напомню позже. Ответить можно в любой момент.",
    },
    "declined": {
        Language.EN: "Understood, we will not ask you again in this round. Thank you for your time.",
        Language.RU: "Понятно, в этом опросе больше не будем беспокоить. Спасибо за ваше время.",
    },
    "reminder": {
        Language.EN: "A gentle reminder: we would still value your answer.",
        Language.RU: "Небольшое напоминание: нам по-прежнему важен ваш ответ.",
    },
    "expired": {
        Language.EN: "This survey has closed. Thank you — we hope to hear from you next time.",
        Language.RU: "Этот опрос закрыт. Спасибо — надеемся услышать вас в следующий раз.",
    },
    "late_kept": {
        Language.EN: "This survey has already closed, but your answer is kept and will be read.",
        Language.RU: "Этот опрос уже закрыт, но ваш ответ сохранён и будет прочитан.",
    },
    # A contact answering after their round was called off (a cancelled census).
    "stopped_kept": {
        Language.EN: "Thank you, your answer is kept and will be read. This survey has been stopped, so there are no more questions.",
        Language.RU: "Спасибо, ваш ответ сохранён и будет прочитан. Этот опрос остановлен, поэтому больше вопросов не будет.",
    },
    "stopped": {
        Language.EN: "This survey has been stopped, so there are no more questions. Thank you for your time!",
        Language.RU: "Этот опрос остановлен, поэтому больше вопросов не будет. Спасибо, что уделили время!",
    },
    "comment_kept": {
        Language.EN: "Thank you, your comment is added to your answers.",
        Language.RU: "Спасибо, ваш комментарий добавлен к ответам.",
    },
    "edit_kept": {
        Language.EN: "Your edited answer is saved.",
        Language.RU: "Исправленный ответ сохранён.",
    },
    "deleted_kept": {
        Language.EN: "Your answer had already been received before you deleted the message, "
        "so it is kept and client service will read it. To change it, write a correction "
        "here, or edit your message instead of deleting it.",
        Language.RU: "Ваш ответ был получен ещё до того, как вы удалили сообщение, поэтому он "
        "сохранён, и клиентский сервис его прочитает. Чтобы изменить ответ, напишите здесь "
        "уточнение или отредактируйте сообщение вместо удаления.",
    },
    "text_please": {
        Language.EN: "Sorry, I can only read text. Please type your answer in words.",
        Language.RU: "Извините, я понимаю только текст. Пожалуйста, напишите ответ словами.",
    },
    "truncated": {
        Language.EN: "Your answer was longer than {limit} characters; the first {limit} are kept.",
        Language.RU: "Ответ длиннее {limit} символов; сохранены первые {limit}.",
    },
    # Text joined to an answer (a long paste, quick messages) beyond MAX_JOINED_CHARS.
    "joined_cut": {
        Language.EN: "Your answer to question {n} has reached {limit} characters, the most one "
        "answer can hold, so the text after that was not added to it. If the rest matters, "
        "please send a shorter version of it as a separate message once you have answered "
        "the remaining questions: it will be kept as a comment.",
        Language.RU: "Ваш ответ на вопрос {n} достиг {limit} символов — это наибольший объём "
        "одного ответа, поэтому текст сверх него не добавлен. Если остальное важно, "
        "отправьте его покороче отдельным сообщением, когда ответите на оставшиеся вопросы: "
        "оно сохранится как комментарий.",
    },
    "empty_answer": {
        Language.EN: "The message is empty. Please type your answer, or /skip.",
        Language.RU: "Сообщение пустое. Напишите ответ или /skip.",
    },
    "no_conversation": {
        Language.EN: "Hello! There is no open survey for you right now. We will write when there is.",
        Language.RU: "Здравствуйте! Сейчас для вас нет открытого опроса. Мы напишем, когда он будет.",
    },
    "unknown_user": {
        Language.EN: "Hello! I don't know you yet. Please ask your client service manager for an invite.",
        Language.RU: "Здравствуйте! Я вас пока не знаю. Попросите приглашение у менеджера клиентского сервиса.",
    },
    "alert": {
        Language.EN: (
            "Negative feedback from {account}\n"
            "Contact: {contact}\nRound: {round}\nQuestion: {question}\n"
            "Answer: {answer}\nWhy flagged: {evidence}"
        ),
        Language.RU: (
            "Негативный отзыв: {account}\n"
            "Контакт: {contact}\nОпрос: {round}\nВопрос: {question}\n"
            "Ответ: {answer}\nПочему: {evidence}"
        ),
    },
    # A schedule came due while another round was open (surveys.open_rounds).
    "schedule_skipped": {
        Language.EN: "«{account}»: the scheduled round «{period}» was skipped — round «{open}» is still open (answers until {closes}), and clients are not asked twice.",
        Language.RU: "Аккаунт «{account}»: опрос «{period}» по расписанию пропущен — ещё идёт опрос «{open}» (ответы принимаются до {closes}), а клиентов не спрашиваем дважды.",
    },
    "delivery_failed": {
        Language.EN: "Could not reach {contact} ({account}) on {channel}: {reason}. They are marked unreachable.",
        Language.RU: "Связаться не удалось: {contact} ({account}) через {channel} — {reason}. Контакт помечен как недоступный.",
    },
    "reason.user_not_found": {
        Language.EN: "this Slack user no longer exists",
        Language.RU: "такого пользователя Slack больше нет",
    },
    "reason.users_not_found": {
        Language.EN: "no Slack user has this e-mail",
        Language.RU: "в Slack нет пользователя с таким адресом",
    },
    "reason.account_inactive": {
        Language.EN: "this Slack account has been deactivated",
        Language.RU: "эта учётная запись Slack отключена",
    },
    "reason.user_disabled": {
        Language.EN: "this Slack account has been deactivated",
        Language.RU: "эта учётная запись Slack отключена",
    },
    "reason.cannot_dm_bot": {
        Language.EN: "this Slack user is a bot and cannot be written to",
        Language.RU: "это бот Slack, ему нельзя написать",
    },
    "reason.channel_not_found": {
        Language.EN: "the Slack conversation no longer exists",
        Language.RU: "этого разговора в Slack больше нет",
    },
    "reason.is_archived": {
        Language.EN: "the Slack conversation is archived",
        Language.RU: "разговор в Slack архивирован",
    },
    "reason.user_not_visible": {
        Language.EN: "this Slack user is not visible to the bot",
        Language.RU: "боту не виден этот пользователь Slack",
    },
    "reason.not_in_channel": {
        Language.EN: "the bot is not in this Slack conversation",
        Language.RU: "бота нет в этом разговоре Slack",
    },
    "reason.blocked": {
        Language.EN: "they blocked the bot",
        Language.RU: "бот заблокирован",
    },
    "reason.deactivated": {
        Language.EN: "their Telegram account has been deleted",
        Language.RU: "учётная запись Telegram удалена",
    },
    "reason.chat_not_found": {
        Language.EN: "this Telegram chat no longer exists",
        Language.RU: "этого чата в Telegram больше нет",
    },
    "channel.telegram": {Language.EN: "Telegram", Language.RU: "Telegram"},
    "channel.slack": {Language.EN: "Slack", Language.RU: "Slack"},
    "channel.console": {Language.EN: "the console", Language.RU: "консоль"},
    "label.outcome": {Language.EN: "outcome", Language.RU: "результат"},
    "label.speed": {Language.EN: "speed", Language.RU: "скорость"},
    "label.politeness": {Language.EN: "politeness", Language.RU: "вежливость"},
    "label.comment": {Language.EN: "comment", Language.RU: "комментарий"},
    "label.comment_shown": {
        Language.EN: "(a comment after the questions)",
        Language.RU: "(комментарий после вопросов)",
    },
    "no_evidence": {Language.EN: "overall tone", Language.RU: "общий тон"},
}


# Countable words: (one, other) in English; (one, few, many) in Russian.
PLURALS: dict[str, dict[Language, tuple[str, ...]]] = {
    "contact": {
        Language.EN: ("contact", "contacts"),
        Language.RU: ("контакт", "контакта", "контактов"),
    },
    "user": {
        Language.EN: ("user", "users"),
        Language.RU: ("пользователь", "пользователя", "пользователей"),
    },
    # "из 1 ответившего / 2 ответивших": the genitive after «из» (/health's partly note).
    "responded_of": {
        Language.EN: ("who responded", "who responded"),
        Language.RU: ("ответившего", "ответивших", "ответивших"),
    },
    # "в течение 1 дня / 3 дней / 5 дней": the genitive after «в течение».
    "day_within": {
        Language.EN: ("day", "days"),
        Language.RU: ("дня", "дней", "дней"),
    },
}


def plural_index(n: int, lang: Language) -> int:
    """Which plural form ``n`` takes (CLDR rules for integers: English has two forms,
    Russian three — 1, 21, 101 «контакт»; 2-4, 22-24 «контакта»; 0, 5-20, 25 «контактов»)."""
    n = abs(n)
    if lang is Language.EN:
        return 0 if n == 1 else 1
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def count(n: int, word: str, lang: Language) -> str:
    """``n`` with ``word`` in the right form: "1 contact", "5 контактов"."""
    return f"{n} {noun(n, word, lang)}"


def hours_minutes(delta: timedelta, lang: Language) -> str:
    """A span in whole hours and minutes ("6 h", "1 ч 30 мин", at least "1 min"): settings
    times a tier's factor are rarely whole hours, and "0.375 h" reads as a bug."""
    minutes = max(1, int((delta.total_seconds() + 30) // 60))
    hours, minutes = divmod(minutes, 60)
    h, m = ("ч", "мин") if lang is Language.RU else ("h", "min")
    parts = ([f"{hours} {h}"] if hours else []) + ([f"{minutes} {m}"] if minutes else [])
    return " ".join(parts)


def within(delta: timedelta, lang: Language) -> str:
    """How long someone has, after "within" / «в течение»: days when the setting is whole
    days ("3 days", «3 дней»), else hours and minutes — never a 36h window called 2 days."""
    days, rest = divmod(delta, timedelta(days=1))
    return count(days, "day_within", lang) if days and not rest else hours_minutes(delta, lang)


def noun(n: int, word: str, lang: Language) -> str:
    """``word`` in the form that goes after ``n``: "users", «пользователя» (after 2)."""
    return PLURALS[word][lang][plural_index(n, lang)]


def failure_reason(code: str | None, raw: str, lang: Language) -> str:
    """A platform's refusal in words ("this Slack user no longer exists"), else as given."""
    key = f"reason.{code}"
    return t(key, lang) if code and key in CATALOG else raw


def channel_name(channel: str, lang: Language) -> str:
    key = f"channel.{channel}"
    return t(key, lang) if key in CATALOG else channel


def language_of(code: str | None, default: Language) -> Language:
    """A platform's language or locale code ("ru", "en-US") as one we speak, else ``default``."""
    return spoken_language(code) or default


def spoken_language(code: str | None) -> Language | None:
    """A platform's language or locale code as one we speak, else None."""
    short = (code or "").split("-")[0].lower()
    return Language(short) if short in (Language.RU.value, Language.EN.value) else None


def argument(name: str) -> str:
    """A name as one argument of a command a person copies from a reply: quoted when it
    has spaces (an account "Acme Corp"), as the command parser (shlex) reads it."""
    if name and not any(c.isspace() or c in "\"'" for c in name):
        return name
    return shlex.quote(name) if '"' in name else f'"{name}"'


def partly_note(n: int, lang: Language | str) -> str:
    """ ", 2 of them partly" after a count of people who responded (census progress, /status,
    /report, App Home, the digest, /health); nothing when nobody stopped part-way."""
    return t("answered_partly", lang, n=n) if n else ""


def responded_figure(responded: int, invited: int, lang: Language | str) -> str:
    """ "3/10 (30%)" — or, for a round or census that asked no one, that no one was asked,
    not "0/0 (0%)", which reads as ten people who all kept silent (/report, /health, App
    Home, the digest)."""
    if not invited:
        return t("no_one_asked", lang)
    return f"{responded}/{invited} ({responded / invited:.0%})"


def t(key: str, lang: Language | str, **params: object) -> str:
    """The text for ``key`` in ``lang`` (English when the language is unknown)."""
    try:
        language = Language(lang)
    except ValueError:
        language = Language.EN
    template = CATALOG[key][language]
    return template.format(**params) if params else template


CATALOG.update(
    {
        "button.skip": {Language.EN: "Skip", Language.RU: "Пропустить"},
        "button.later": {Language.EN: "Later", Language.RU: "Позже"},
        "button.decline": {Language.EN: "Decline", Language.RU: "Не участвовать"},
    }
)

CATALOG.update(
    {
        "button.ack": {Language.EN: "Acknowledge", Language.RU: "Принято"},
        "button.resolve": {Language.EN: "Resolve", Language.RU: "Решено"},
    }
)

# Contact self-service (onboarding, opt-out, language).
CATALOG.update(
    {
        "welcome": {
            Language.EN: "Welcome, {name}! You are now connected to {company} client service. We will write here when it is time for a short feedback survey. /stop to opt out, /lang to change language.",
            Language.RU: "Добро пожаловать, {name}! Вы подключены к клиентскому сервису {company}. Мы напишем сюда, когда придёт время короткого опроса. /stop — отписаться, /lang — сменить язык.",
        },
        # Opening the link while a round is open: its first question comes right after.
        "welcome_in_round": {
            Language.EN: "Welcome, {name}! You are now connected to {company} client service. A short feedback survey is open now; its questions follow. /stop to opt out, /lang to change language.",
            Language.RU: "Добро пожаловать, {name}! Вы подключены к клиентскому сервису {company}. Сейчас идёт короткий опрос — вопросы придут следом. /stop — отписаться, /lang — сменить язык.",
        },
        "invite_used": {
            Language.EN: "This invitation link has already been used. Ask your client service manager for a new one.",
            Language.RU: "Эта ссылка-приглашение уже использована. Попросите новую у менеджера клиентского сервиса.",
        },
        "invite_expired": {
            Language.EN: "This invitation link has expired. Ask your client service manager for a new one.",
            Language.RU: "Срок действия ссылки-приглашения истёк. Попросите новую у менеджера клиентского сервиса.",
        },
        "invite_unknown": {
            Language.EN: "This invitation link is not valid. Please check it, or ask your client service manager for a new one.",
            Language.RU: "Ссылка-приглашение недействительна. Проверьте её или попросите новую у менеджера клиентского сервиса.",
        },
        "invite_staff": {
            Language.EN: "You are client service staff here, so this invite link does not make you a contact: staff get alerts, they are not surveyed. The link stays unused; send it to the client.",
            Language.RU: "Вы сотрудник клиентского сервиса, поэтому эта ссылка-приглашение не делает вас контактом: сотрудники получают алерты, опросы им не приходят. Ссылка не использована; отправьте её клиенту.",
        },
        "census_link_staff": {
            Language.EN: "You are client service staff here, so this census link does not make you one of the account's users: staff get alerts, they are not surveyed.",
            Language.RU: "Вы сотрудник клиентского сервиса, поэтому эта ссылка переписи не делает вас пользователем аккаунта: сотрудники получают алерты, опросы им не приходят.",
        },
        "chat_taken": {
            Language.EN: "This chat is already connected to another contact. Ask your client service manager for help.",
            Language.RU: "Этот чат уже привязан к другому контакту. Обратитесь к менеджеру клиентского сервиса.",
        },
        "welcome_back": {
            Language.EN: "Welcome back! You will receive our feedback surveys again.",
            Language.RU: "С возвращением! Вы снова будете получать наши опросы.",
        },
        "opted_out": {
            Language.EN: "You will not receive feedback surveys any more. Send /start to come back at any time.",
            Language.RU: "Вы больше не будете получать опросы. Чтобы вернуться, отправьте /start.",
        },
        "opt_out_notice": {
            Language.EN: "{contact} ({account}) opted out of feedback surveys.",
            Language.RU: "{contact} ({account}) отказался(-ась) от опросов.",
        },
        "language_set": {
            Language.EN: "Language set to English.",
            Language.RU: "Язык изменён на русский.",
        },
        "language_choose": {
            Language.EN: "Choose your language: /lang en or /lang ru",
            Language.RU: "Выберите язык: /lang ru или /lang en",
        },
        "group_chat": {
            Language.EN: "I only run feedback surveys in private chats. Please write to me directly.",
            Language.RU: "Опросы проходят только в личных сообщениях. Пожалуйста, напишите мне напрямую.",
        },
        "staff_only": {
            Language.EN: "This command is only for client service staff.",
            Language.RU: "Эта команда доступна только сотрудникам клиентского сервиса.",
        },
    }
)

CATALOG.update(
    {
        "client_help": {
            Language.EN: "I collect feedback for client service. Just answer the questions in your own words. Commands: /skip, /later, /decline, /lang, /stop.",
            Language.RU: "Я собираю отзывы для клиентского сервиса. Просто отвечайте на вопросы своими словами. Команды: /skip, /later, /decline, /lang, /stop.",
        },
        "staff_hello": {
            Language.EN: "Hello, {name}! You are client service staff here. /help lists your commands.",
            Language.RU: "Здравствуйте, {name}! Вы сотрудник клиентского сервиса. /help — список команд.",
        },
        "staff_stop": {
            Language.EN: "You are client service staff here: Candor does not survey you, so there is nothing to stop. /help lists your commands.",
            Language.RU: "Вы сотрудник клиентского сервиса: Candor вас не опрашивает, отписываться не от чего. /help — список команд.",
        },
        "unknown_command": {
            Language.EN: "Unknown command {command}.",
            Language.RU: "Неизвестная команда {command}.",
        },
        "staff_help_head": {
            Language.EN: "Staff commands:",
            Language.RU: "Команды сотрудника:",
        },
        "staff_help_lang": {
            Language.EN: "/lang en|ru — The language Candor writes to you in",
            Language.RU: "/lang ru|en — Язык, на котором Candor пишет вам",
        },
        "round_levels": {
            Language.EN: "Rounds ask stakeholders (people who decide on the work); users (people who raised tickets) are asked by a census: /round <account> census.",
            Language.RU: "Опросы задают вопросы stakeholder-контактам (тем, кто принимает решения по работе); пользователей (тех, кто оставлял обращения) опрашивает перепись: /round <аккаунт> census.",
        },
        # The same for staff who may not start one (owners): no command they cannot run.
        "round_levels_reader": {
            Language.EN: "Rounds ask stakeholders (people who decide on the work); users (people who raised tickets) are asked by a census, started by a manager.",
            Language.RU: "Опросы задают вопросы stakeholder-контактам (тем, кто принимает решения по работе); пользователей (тех, кто оставлял обращения) опрашивает перепись, которую запускает менеджер.",
        },
        # Under an alert whose answer is too long for one message: cut for display only.
        "alert_shortened": {
            Language.EN: "… (shortened; /alert {id} shows the whole answer)",
            Language.RU: "… (сокращено; весь ответ — /alert {id})",
        },
        # Under a client's answer too long to show in full where it is shown.
        "slack_replies_cut": {
            Language.EN: "… (the rest did not fit: Slack takes five replies to one command)",
            Language.RU: "… (остальное не поместилось: на одну команду Slack принимает пять ответов)",
        },
        "verbatim_shortened": {
            Language.EN: "… (shortened here; the round's report as CSV has the whole answer: /report <account> csv)",
            Language.RU: "… (здесь сокращено; весь ответ — в отчёте по опросу в CSV: /report <аккаунт> csv)",
        },
        "button_stale": {
            Language.EN: "This button belongs to an earlier question.",
            Language.RU: "Эта кнопка относится к предыдущему вопросу.",
        },
        # Under a survey that has ended (answered, declined or expired): no question is next.
        "button_survey_over": {
            Language.EN: "This survey has ended; its buttons no longer do anything.",
            Language.RU: "Этот опрос уже завершён; его кнопки больше не действуют.",
        },
    }
)

CATALOG.update(
    {
        "button_forged": {
            Language.EN: "This button is not valid.",
            Language.RU: "Эта кнопка недействительна.",
        },
    }
)

# Conversation defects (issue 10): quick second messages, opt-out, alerts kept true.
CATALOG.update(
    {
        "added_to_answer": {
            Language.EN: "Added to your answer to question {n}.",
            Language.RU: "Добавлено к вашему ответу на вопрос {n}.",
        },
        "opted_out_ignored": {
            Language.EN: "You have opted out of feedback surveys, so this message is not kept. Send {start} to take part again.",
            Language.RU: "Вы отписались от опросов, поэтому это сообщение не сохранено. Чтобы снова участвовать, отправьте {start}.",
        },
        # A skip or postponement (typed or a button) after opting out: no question waits.
        # An edit of an answer given before opting out: kept, as any edit is.
        "opted_out_edit_kept": {
            Language.EN: "You have opted out of feedback surveys, so you will not be asked anything more. Your edit of an earlier answer is saved all the same, and client service will read that answer as it now reads. Send {start} to take part in surveys again.",
            Language.RU: "Вы отписались от опросов, поэтому новых вопросов не будет. Исправление вашего прежнего ответа всё равно сохранено, и клиентский сервис прочитает этот ответ в новом виде. Чтобы снова участвовать в опросах, отправьте {start}.",
        },
        "opted_out_no_question": {
            Language.EN: "You have opted out of feedback surveys, so there is no question to skip or postpone. Send {start} to take part again.",
            Language.RU: "Вы отписались от опросов, поэтому сейчас нет вопроса, который можно пропустить или отложить. Чтобы снова участвовать, отправьте {start}.",
        },
        "opted_out_already": {
            Language.EN: "You have already opted out of feedback surveys. Send {start} to take part again.",
            Language.RU: "Вы уже отписались от опросов. Чтобы снова участвовать, отправьте {start}.",
        },
        # The same /start in the middle of a survey: "we will write when it is time" is wrong.
        "already_in_round": {
            Language.EN: "You are connected to client service, and a short feedback survey is open for you: its question is above.",
            Language.RU: "Вы подключены к клиентскому сервису, и для вас сейчас идёт короткий опрос — его вопрос выше.",
        },
        "already_active": {
            Language.EN: "You are connected to client service. We will write here when it is time for a short feedback survey.",
            Language.RU: "Вы подключены к клиентскому сервису. Мы напишем сюда, когда придёт время короткого опроса.",
        },
        "button_not_for_staff": {
            Language.EN: "This button answers a client's survey question; it does nothing for staff.",
            Language.RU: "Эта кнопка — для ответа клиента на вопрос опроса; сотрудникам она ничего не делает.",
        },
        "alert_button_staff_only": {
            Language.EN: "Only client service staff can acknowledge or resolve alerts.",
            Language.RU: "Принимать и закрывать алерты могут только сотрудники клиентского сервиса.",
        },
        "alert_card_not_updated": {
            Language.EN: "Alert #{id} is acknowledged, but its card could not be updated.",
            Language.RU: "Алерт #{id} принят, но его карточку обновить не удалось.",
        },
        "alert_forwarded": {
            Language.EN: "An alert for {account} could not reach its owner {owner}, so it comes to you.",
            Language.RU: "Алерт по аккаунту {account} не удалось доставить владельцу ({owner}), поэтому он пришёл вам.",
        },
        "alert_no_owner": {
            Language.EN: "An alert for {account}, which has no owner to receive it, so it comes to you.",
            Language.RU: "Алерт по аккаунту {account}: у аккаунта нет владельца, поэтому алерт пришёл вам.",
        },
        "alert_more_comments": {
            Language.EN: "Updated: {n} negative comments from this client in this round.",
            Language.RU: "Обновлено: негативных комментариев клиента в этом опросе — {n}.",
        },
        "alert_edited": {
            Language.EN: "The client edited this answer; it still reads as negative.",
            Language.RU: "Клиент исправил этот ответ; он по-прежнему звучит негативно.",
        },
        "alert_added": {
            Language.EN: "The client added to this answer; it still reads as negative.",
            Language.RU: "Клиент дополнил этот ответ; он по-прежнему звучит негативно.",
        },
        "alert_added_cleared": {
            Language.EN: "The client added to this answer; it no longer reads as negative.",
            Language.RU: "Клиент дополнил этот ответ; он больше не звучит негативно.",
        },
        "alert_cleared": {
            Language.EN: "The client edited this answer; it no longer reads as negative.",
            Language.RU: "Клиент исправил этот ответ; он больше не звучит негативно.",
        },
        # After "no longer negative": "still" would tell the owner it never stopped.
        "alert_edited_again": {
            Language.EN: "The client edited this answer; it reads as negative again.",
            Language.RU: "Клиент исправил этот ответ; он снова звучит негативно.",
        },
        "alert_added_again": {
            Language.EN: "The client added to this answer; it reads as negative again.",
            Language.RU: "Клиент дополнил этот ответ; он снова звучит негативно.",
        },
        "alert_reread_negative": {
            Language.EN: "Re-read by the updated sentiment analysis: this answer reads as negative again.",
            Language.RU: "Ответ перечитан обновлённым анализом тональности: он снова звучит негативно.",
        },
        "staff_unreachable": {
            Language.EN: "to managers since {since}",
            Language.RU: "менеджерам с {since}",
        },
        "staff_reachable": {Language.EN: "yes", Language.RU: "да"},
        "invite_slack_failed": {
            Language.EN: "Cannot invite {ref}: {reason}.",
            Language.RU: "Не удалось пригласить {ref}: {reason}.",
        },
        "invite_slack_unusable": {
            Language.EN: "Cannot invite {ref}: this Slack account is deactivated or a bot.",
            Language.RU: "Не удалось пригласить {ref}: эта учётная запись Slack отключена или это бот.",
        },
    }
)

# Closing the loop (issue 12): follow-ups, resolutions, escalation, relapse, health.
CATALOG.update(
    {
        "button.followup": {Language.EN: "Ask the client", Language.RU: "Спросить клиента"},
        "followup_to_contact": {
            Language.EN: "The client service team of {company} has a question about your feedback:\n\n{text}\n\nJust reply here; your answer goes to client service.",
            Language.RU: "У клиентского сервиса {company} есть вопрос по вашему отзыву:\n\n{text}\n\nПросто ответьте здесь; ответ получит клиентский сервис.",
        },
        "followup_prompt": {
            Language.EN: "Alert #{id}: reply to this message with your question for the client ({contact}). Candor sends it in the name of client service.",
            Language.RU: "Алерт #{id}: ответьте на это сообщение вопросом клиенту ({contact}). Candor отправит его от имени клиентского сервиса.",
        },
        "followup_prompt_slack": {
            Language.EN: "Alert #{id}: write your question for the client ({contact}) in this alert's thread, or use /followup {id} <question>. Candor sends it in the name of client service.",
            Language.RU: "Алерт #{id}: напишите вопрос клиенту ({contact}) в ветке этого алерта или командой /followup {id} <вопрос>. Candor отправит его от имени клиентского сервиса.",
        },
        "followup_sent": {
            Language.EN: "Your question is on its way to {contact} (alert #{id}). Their reply will come here; if there is none within {days}, you will be told.",
            Language.RU: "Вопрос отправлен: {contact} (алерт #{id}). Ответ придёт сюда; если его не будет в течение {days}, вам сообщат.",
        },
        "followup_empty": {
            Language.EN: "The question is empty: write what you want to ask the client.",
            Language.RU: "Вопрос пустой: напишите, что вы хотите спросить у клиента.",
        },
        "followup_too_long": {
            Language.EN: "The question is too long ({got} characters; at most {n}). Please shorten it.",
            Language.RU: "Вопрос слишком длинный ({got} символов; не больше {n}). Сократите его, пожалуйста.",
        },
        "followup_resolved": {
            Language.EN: "Alert #{id} is resolved; follow-ups are for open alerts.",
            Language.RU: "Алерт #{id} уже решён; уточнения возможны только по открытым алертам.",
        },
        "followup_opted_out": {
            Language.EN: "Nothing was sent: {contact} opted out of client service messages.",
            Language.RU: "Ничего не отправлено: {contact} отказался(лась) от сообщений клиентского сервиса.",
        },
        "followup_unreachable": {
            Language.EN: "Nothing was sent: {contact} cannot be reached (the platform refused our last message).",
            Language.RU: "Ничего не отправлено. Нет связи: {contact} (платформа отклонила наше последнее сообщение).",
        },
        "followup_no_address": {
            Language.EN: "Nothing was sent: {contact} has not connected a chat yet.",
            Language.RU: "Ничего не отправлено: {contact} ещё не подключил(а) чат.",
        },
        "followup_reply": {
            Language.EN: "Reply from {contact} to your question (alert #{id}):",
            Language.RU: "{contact} ответил(а) на ваш вопрос (алерт #{id}):",
        },
        "followup_reply_late": {
            Language.EN: "A late reply from {contact}, after the follow-up window (alert #{id}):",
            Language.RU: "{contact} ответил(а) на ваш вопрос уже после окна ожидания (алерт #{id}):",
        },
        "followup_no_reply": {
            Language.EN: "{contact} has not replied to your question on alert #{id}. A later reply will still reach you.",
            Language.RU: "{contact} не ответил(а) на ваш вопрос по алерту #{id}. Если ответ придёт позже, вы его получите.",
        },
        "followup_thanks": {
            Language.EN: "Thank you, your reply is passed to client service.",
            Language.RU: "Спасибо, ваш ответ передан клиентскому сервису.",
        },
        "followup_reply_cut": {
            Language.EN: "Your reply was longer than {limit} characters, so client service "
            "received only its first {limit}. Please send the rest as your next message here: "
            "it will be passed on too.",
            Language.RU: "Ваш ответ длиннее {limit} символов, поэтому клиентский сервис получил "
            "только первые {limit}. Пожалуйста, отправьте остальное следующим сообщением "
            "здесь: оно тоже будет передано.",
        },
        "deleted_reply_kept": {
            Language.EN: "Your reply had already reached client service before you deleted the "
            "message, so it is kept and they will read it. To correct it, send the correction "
            "as your next message here: it will be passed on too.",
            Language.RU: "Ваш ответ дошёл до клиентского сервиса ещё до того, как вы удалили "
            "сообщение, поэтому он сохранён, и его прочитают. Чтобы исправить ответ, "
            "отправьте уточнение следующим сообщением здесь: оно тоже будет передано.",
        },
        "followup_reply_more": {
            Language.EN: "The reply from {contact} continues (alert #{id}):",
            Language.RU: "Продолжение ответа: {contact} (алерт #{id}):",
        },
        "followup_reply_corrected": {
            Language.EN: "A correction from {contact} to their deleted reply (alert #{id}):",
            Language.RU: "Уточнение к удалённому ответу: {contact} (алерт #{id}):",
        },
        "followup_reply_edited": {
            Language.EN: "{contact} edited their reply (alert #{id}); it now reads:",
            Language.RU: "{contact} исправил(а) ответ (алерт #{id}); теперь он такой:",
        },
        "followup_edit_kept": {
            Language.EN: "Your edited reply is passed to client service.",
            Language.RU: "Исправленный ответ передан клиентскому сервису.",
        },
        "followup_reply_deleted": {
            Language.EN: "{contact} deleted the message with their reply (alert #{id}). The reply "
            "stays on the alert; they were told a correction reaches you.",
            Language.RU: "{contact} удалил(а) сообщение с ответом (алерт #{id}). Ответ остаётся в "
            "алерте; клиенту сказано, что уточнение дойдёт до вас.",
        },
        # A client deleted (Slack) the message with an alerted answer: to whoever has the alert.
        "answer_deleted_staff": {
            Language.EN: "{contact} deleted the Slack message with their answer (alert #{id}). "
            "The answer stays stored and on the alert as it was; they were told it is kept and "
            "how to change it.",
            Language.RU: "{contact} удалил(а) в Slack сообщение с ответом (алерт #{id}). Ответ "
            "остаётся сохранённым и в алерте, как был; клиенту сказано, что он сохранён и как "
            "его изменить.",
        },
        "followup_thanks_survey": {
            Language.EN: "Thank you, your reply is passed to client service. The survey question above still waits for your answer.",
            Language.RU: "Спасибо, ваш ответ передан клиентскому сервису. Вопрос опроса выше по-прежнему ждёт ответа.",
        },
        "disposition.fixed": {Language.EN: "fixed", Language.RU: "исправлено"},
        "disposition.explained": {
            Language.EN: "explained to the client",
            Language.RU: "объяснили клиенту",
        },
        "disposition.not_us": {Language.EN: "not about us", Language.RU: "не про нас"},
        "disposition.wont_fix": {Language.EN: "won't fix", Language.RU: "не будем исправлять"},
        "choose_disposition": {
            Language.EN: "How did it end? Choose below.",
            Language.RU: "Чем закончилось? Выберите ниже.",
        },
        "bad_disposition": {
            Language.EN: "How did it end: fixed, explained, not_us or wont_fix.",
            Language.RU: "Чем закончилось: fixed, explained, not_us или wont_fix.",
        },
        "resolve_note_please": {
            Language.EN: "Alert #{id}, {how}: reply to the alert with a short note to resolve it.",
            Language.RU: "Алерт #{id}, {how}: ответьте на алерт короткой заметкой, чтобы закрыть его.",
        },
        "resolve_note_please_slack": {
            Language.EN: "Alert #{id}, {how}: write a short note in this alert's thread to resolve it.",
            Language.RU: "Алерт #{id}, {how}: напишите короткую заметку в ветке этого алерта, чтобы закрыть его.",
        },
        "resolve_note_empty": {
            Language.EN: "A resolution needs a short note: what was done or found.",
            Language.RU: "Для закрытия нужна короткая заметка: что сделано или выяснено.",
        },
        "resolve_note_too_long": {
            Language.EN: "The note is too long; at most {n} characters.",
            Language.RU: "Заметка слишком длинная; не больше {n} символов.",
        },
        "resolved_done": {
            Language.EN: "Alert #{id} resolved: {how}.",
            Language.RU: "Алерт #{id} закрыт: {how}.",
        },
        "already_resolved": {
            Language.EN: "Alert #{id} was already resolved by {by} ({how}).",
            Language.RU: "Алерт #{id} уже закрыт: {by} ({how}).",
        },
        "alert_resolved_line": {
            Language.EN: "Resolved by {by}: {how} — {note}",
            Language.RU: "Решено ({by}): {how} — {note}",
        },
        "escalation_reminder": {
            Language.EN: "Reminder: alert #{id} ({account}, {contact}) has waited {waited} without being acknowledged.",
            Language.RU: "Напоминание: алерт #{id} ({account}, {contact}) ждёт {waited} и ещё не принят.",
        },
        "escalation_managers": {
            Language.EN: "Escalated: alert #{id} ({account}, {contact}) was not acknowledged by its owner {owner} within {waited}.",
            Language.RU: "Эскалация: алерт #{id} ({account}, {contact}) не принят владельцем ({owner}) за {waited}.",
        },
        "escalation_unresolved": {
            Language.EN: "Escalated: alert #{id} ({account}, {contact}) was acknowledged but is not resolved after {waited} (owner {owner}).",
            Language.RU: "Эскалация: алерт #{id} ({account}, {contact}) принят, но не закрыт за {waited} (владелец {owner}).",
        },
        "alert_relapse": {
            Language.EN: "Relapse: alert #{id} on this question was resolved ({how}: {note})",
            Language.RU: "Рецидив: алерт #{id} по этому вопросу был закрыт ({how}: {note})",
        },
    }
)

CATALOG.update(
    {
        "health_head": {Language.EN: "«{account}» ({tier})", Language.RU: "«{account}» ({tier})"},
        "health_no_rounds": {Language.EN: "No rounds yet.", Language.RU: "Опросов ещё не было."},
        "health_rate": {
            Language.EN: "{round}: responded {responded}/{invited} ({rate}){trend}{partly}",
            Language.RU: "{round}: ответили {responded}/{invited} ({rate}){trend}{partly}",
        },
        "health_rate.none": {Language.EN: "{round}: {none}", Language.RU: "{round}: {none}"},
        "health_negative": {
            Language.EN: "Negative share: {shares}{trend}",
            Language.RU: "Доля негатива: {shares}{trend}",
        },
        "health_alerts": {
            Language.EN: "Alerts: open {open} · escalated {escalated} · relapses {relapsed} · silence {silent} · not about us {not_us}",
            Language.RU: "Алерты: открыты {open} · эскалированы {escalated} · рецидивы {relapsed} · молчание {silent} · не про нас {not_us}",
        },
        # After the rate's trend, "of them" would read as the round before's people.
        "health_partly_after_trend": {
            Language.EN: "; of the {responded} {who}, {n} partly",
            Language.RU: "; из {responded} {who} частично {n}",
        },
        "health_trend": {
            Language.EN: ", {arrow} from {before} the round before",
            Language.RU: ", {arrow} по сравнению с {before} в прошлом опросе",
        },
        "health_nothing": {
            Language.EN: "No accounts to show.",
            Language.RU: "Нет аккаунтов для показа.",
        },
    }
)

CATALOG.update(
    {
        "label.silence": {Language.EN: "silence", Language.RU: "молчание"},
        "silence_head": {Language.EN: "Silence", Language.RU: "Клиент молчит"},
        "silence_contact": {
            Language.EN: "{contact} let the last {n} rounds expire or declined them, without a word.",
            Language.RU: "{contact}: последние {n} опроса истекли или были отклонены, ни одного ответа.",
        },
        "silence_account": {
            Language.EN: "The response rate fell to {rate} in the round «{round}» (earlier rounds: {average} on average).",
            Language.RU: "Доля ответивших упала до {rate} в опросе «{round}» (раньше в среднем {average}).",
        },
        "silence_cleared": {
            Language.EN: "{contact} replied; the silence is over.",
            Language.RU: "{contact} ответил(а); молчание прервано.",
        },
    }
)

# Census (issue 13): contact imports, census rounds and links.
CATALOG.update(
    {
        "import_too_big": {
            Language.EN: "The file is {size} MB; imports take up to {limit} MB. Split it into smaller files (each import only adds and updates, so parts are safe).",
            Language.RU: "Файл весит {size} МБ; импорт принимает до {limit} МБ. Разделите его на части (импорт только добавляет и обновляет, так что части безопасны).",
        },
        "import_not_table": {
            Language.EN: "This file is not a table I can read. Send a CSV or XLSX file whose first rows hold column names such as name, email, telegram, slack, level, language, external id, tickets.",
            Language.RU: "Этот файл не похож на таблицу. Пришлите CSV или XLSX, в первой строке которого названия столбцов: имя, почта, телеграм, slack, уровень, язык, внешний id, обращения.",
        },
        "import_encoding": {
            Language.EN: "I could not read this file's text (its encoding is neither UTF-8 nor Windows-1251). Save it from Excel as “CSV UTF-8” and send it again.",
            Language.RU: "Не удалось прочитать текст файла (кодировка не UTF-8 и не Windows-1251). Сохраните его в Excel как «CSV UTF-8» и пришлите ещё раз.",
        },
        "import_no_column": {
            Language.EN: "The file has no column {column}; nothing was imported.",
            Language.RU: "В файле нет столбца {column}; ничего не импортировано.",
        },
        "import_preview": {
            Language.EN: "Preview of the import into {account} (nothing written yet): new {new}, updated {updated}, unchanged {unchanged}, invalid {invalid}.",
            Language.RU: "Предпросмотр импорта в аккаунт «{account}» (пока ничего не записано): новых {new}, обновлённых {updated}, без изменений {unchanged}, с ошибками {invalid}.",
        },
        "import_done": {
            Language.EN: "Imported into {account}: new {new}, updated {updated}, unchanged {unchanged}; invalid rows skipped: {invalid}.",
            Language.RU: "Импортировано в аккаунт «{account}»: новых {new}, обновлённых {updated}, без изменений {unchanged}; пропущено строк с ошибками: {invalid}.",
        },
        "import_row": {
            Language.EN: "row {row}: {reason}",
            Language.RU: "строка {row}: {reason}",
        },
        "import_more": {
            Language.EN: "… invalid rows not listed: {count}.",
            Language.RU: "… и ещё строк с ошибками: {count}.",
        },
        "import_confirm": {
            Language.EN: "To write it, send the same file again with the caption: import {ref} confirm",
            Language.RU: "Чтобы записать, пришлите тот же файл с подписью: import {ref} confirm",
        },
        "import_usage": {
            Language.EN: "Send a CSV or XLSX file with the caption (on Slack, the message): import <account> (a preview), or import <account> confirm (writes).",
            Language.RU: "Пришлите CSV или XLSX с подписью (в Slack — с сообщением): import <аккаунт> (предпросмотр) или import <аккаунт> confirm (запись).",
        },
        "import_confirm_button": {
            Language.EN: "To write it, press “Import” below (or send the file again with: import {ref} confirm).",
            Language.RU: "Чтобы записать, нажмите «Импортировать» ниже (или пришлите файл ещё раз с текстом: import {ref} confirm).",
        },
        "import_fetch_failed": {
            Language.EN: "I could not download the file from the chat; send it again in a minute.",
            Language.RU: "Не удалось скачать файл из чата; пришлите его ещё раз через минуту.",
        },
        "button.import": {Language.EN: "Import", Language.RU: "Импортировать"},
        "button.census_pause": {Language.EN: "Pause", Language.RU: "Пауза"},
        "button.census_resume": {Language.EN: "Resume", Language.RU: "Продолжить"},
        "button.census_cancel": {
            Language.EN: "Cancel the census",
            Language.RU: "Отменить перепись",
        },
        "row_no_name": {Language.EN: "no name", Language.RU: "нет имени"},
        "row_too_long": {
            Language.EN: "{column} is too long",
            Language.RU: "слишком длинное значение в столбце {column}",
        },
        "row_bad_email": {
            Language.EN: "invalid e-mail “{value}”",
            Language.RU: "неверный e-mail «{value}»",
        },
        "row_bad_telegram": {
            Language.EN: "invalid Telegram username or id “{value}”",
            Language.RU: "неверное имя или id в Telegram «{value}»",
        },
        "row_bad_slack": {
            Language.EN: "invalid Slack user id “{value}”",
            Language.RU: "неверный id пользователя Slack «{value}»",
        },
        "row_bad_level": {
            Language.EN: "level “{value}” is neither stakeholder nor user",
            Language.RU: "уровень «{value}» — не stakeholder и не user",
        },
        "row_bad_language": {
            Language.EN: "language “{value}” is neither ru nor en",
            Language.RU: "язык «{value}» — не ru и не en",
        },
        "row_bad_tickets": {
            Language.EN: "tickets “{value}” is not a whole number",
            Language.RU: "число обращений «{value}» — не целое число",
        },
        "row_bad_date": {
            Language.EN: "date “{value}” is not YYYY-MM-DD or DD.MM.YYYY",
            Language.RU: "дата «{value}» не в формате ГГГГ-ММ-ДД или ДД.ММ.ГГГГ",
        },
        "row_no_identity": {
            Language.EN: "no e-mail, Telegram, Slack id or external id to know the person by",
            Language.RU: "нет ни e-mail, ни Telegram, ни Slack id, ни внешнего id",
        },
        "row_duplicate": {
            Language.EN: "the same person as row {first}",
            Language.RU: "тот же человек, что в строке {first}",
        },
        "row_staff": {
            Language.EN: "{name} is client service staff: staff get alerts, they are not surveyed",
            Language.RU: "{name} — сотрудник клиентского сервиса: сотрудники получают алерты, опросы им не приходят",
        },
        "row_slack_taken": {
            Language.EN: "Slack user {value} is a contact of another account",
            Language.RU: "пользователь Slack {value} — контакт другого аккаунта",
        },
        "census_progress": {
            Language.EN: "{title} of {account} ({state}): {population} {users}, sent {sent}, reached {reached}, unreachable {unreachable}, answered {answered} ({rate}% of reached){partly}; not asked: no chat {no_chat}, opted out {opted_out}, not sent {not_sent}.",
            Language.RU: "{title}, {account} ({state}): {population} {users}, отправлено {sent}, доставлено {reached}, недоступны {unreachable}, ответили {answered} ({rate}% доставленных){partly}; не опрошены: нет чата {no_chat}, отказались {opted_out}, не отправлено {not_sent}.",
        },
        "census_no_one": {
            Language.EN: "{title} of {account}{state} has no one to ask: nobody in the account has a ticket in the census period or has joined by the census link. Add users with /import {ref} (a CSV/XLSX file of tickets) or post the link from /census {ref} link in the client's channels.",
            Language.RU: "{title}, {account}{state}: опрашивать некого — ни у кого в аккаунте нет обращений за период переписи и никто не пришёл по ссылке переписи. Добавьте пользователей: /import {ref} (файл CSV/XLSX с обращениями) или ссылка из /census {ref} link в каналах клиента.",
        },
        # The same where a census link cannot work: Slack with no Telegram bot to open.
        "census_no_one.no_link": {
            Language.EN: "{title} of {account}{state} has no one to ask: nobody in the account has a ticket in the census period or has joined by the census link. Add users with /import {ref} (a CSV/XLSX file of tickets). Census links open the Telegram bot, which is not set up here (CANDOR_TELEGRAM_BOT_USERNAME).",
            Language.RU: "{title}, {account}{state}: опрашивать некого — ни у кого в аккаунте нет обращений за период переписи и никто не пришёл по ссылке переписи. Добавьте пользователей: /import {ref} (файл CSV/XLSX с обращениями). Ссылка переписи открывает Telegram-бота, а он здесь не настроен (CANDOR_TELEGRAM_BOT_USERNAME).",
        },
        # A round's title from its period (surveys.periods.round_title); RU names it in the
        # nominative, which is also what «за …» takes.
        "period_title.month": {Language.EN: "{month} {year}", Language.RU: "{month} {year} г."},
        "period_title.quarter": {
            Language.EN: "Q{n} {year}",
            Language.RU: "{n}-й квартал {year} г.",
        },
        "period_title.half": {Language.EN: "H{n} {year}", Language.RU: "{n}-е полугодие {year} г."},
        "period_title.year": {Language.EN: "{year}", Language.RU: "{year} год"},
        "period_title.sprint": {Language.EN: "Sprint {n}", Language.RU: "Спринт {n}"},
        # Two rounds reading alike (one month) are told apart by their day, and by their time
        # when they opened the same day (surveys.periods.round_title with a Telling).
        "period_title.with_day": {
            Language.EN: "{title} ({day} {month})",
            Language.RU: "{title} ({day} {month})",
        },
        "period_title.with_time": {
            Language.EN: "{title} ({day} {month}, {time})",
            Language.RU: "{title} ({day} {month}, {time})",
        },
        "census_title": {
            Language.EN: "{period} user census",
            Language.RU: "Перепись пользователей за {period}",
        },
        "census_state.running": {Language.EN: "sending", Language.RU: "идёт рассылка"},
        "census_state.queued": {
            Language.EN: "all queued, {n} still being sent",
            Language.RU: "все в очереди, ещё отправляется {n}",
        },
        "census_state.paused": {Language.EN: "paused", Language.RU: "на паузе"},
        "census_state.cancelled": {Language.EN: "cancelled", Language.RU: "отменена"},
        "census_state.done": {
            Language.EN: "everyone reachable was asked",
            Language.RU: "все доступные опрошены",
        },
        # Done, but some became reachable after it (bound on Slack by e-mail): not asked.
        "census_state.done_late": {
            Language.EN: "sent; not asked, reachable only later: {n}",
            Language.RU: "разослана; не опрошены подключившиеся позже: {n}",
        },
        "census_started": {
            Language.EN: "{title} of {account} started: it asks users with a ticket from {since} to {until}, at the platform's pace. /census {ref} shows progress; /census {ref} pause|resume|cancel.",
            Language.RU: "{title}, {account}: перепись начата — пользователи с обращениями с {since} по {until}, в темпе платформы. /census {ref} — ход; /census {ref} pause|resume|cancel.",
        },
        "census_exists": {
            Language.EN: "{title} of {account} already exists; /census {ref} shows its progress.",
            Language.RU: "{title}, {account}: уже есть; /census {ref} покажет ход.",
        },
        "census_run_over.done": {
            Language.EN: "The {title} of {account} has already finished: its buttons no longer act. /census {ref} shows its results.",
            Language.RU: "{title}, {account}: перепись уже завершена, её кнопки больше не действуют. /census {ref} покажет итоги.",
        },
        "census_run_over.cancelled": {
            Language.EN: "The {title} of {account} was cancelled: its buttons no longer act. /round {ref} census starts a new one.",
            Language.RU: "{title}, {account}: перепись отменена, её кнопки больше не действуют. /round {ref} census начнёт новую.",
        },
        # /census <account> pause|resume|cancel on a census that cannot move that way. Every
        # first question sent (done), a cancel still stops reminders while anyone may answer.
        "census_unmoved.done.pause": {
            Language.EN: "The {title} of {account} has already sent all its first questions, so there is nothing left to pause. Those asked can still answer within {days} of their question and get one reminder; /census {ref} cancel would stop the reminders and keep the answers.",
            Language.RU: "{title}, {account}: все первые вопросы уже отправлены — ставить на паузу нечего. Опрошенные могут ответить в течение {days} после вопроса и получат одно напоминание; /census {ref} cancel остановит напоминания, ответы сохранятся.",
        },
        "census_unmoved.done.cancel": {
            Language.EN: "The {title} of {account} is over: all its first questions were sent and everyone's time to answer has passed, so there is nothing left to cancel.",
            Language.RU: "{title}, {account}: перепись завершена — все первые вопросы отправлены, и время на ответ у всех истекло, так что отменять нечего.",
        },
        "census_unmoved.done.resume": {
            Language.EN: "The {title} of {account} has already asked everyone reachable: there is nothing to resume.",
            Language.RU: "{title}, {account}: все доступные уже опрошены — возобновлять нечего.",
        },
        "census_unmoved.cancelled.pause": {
            Language.EN: "The {title} of {account} was cancelled, so there is nothing to pause.",
            Language.RU: "{title}, {account}: перепись отменена — ставить на паузу нечего.",
        },
        "census_unmoved.cancelled.resume": {
            Language.EN: "The {title} of {account} was cancelled, and a cancel is final: it cannot be resumed.",
            Language.RU: "{title}, {account}: перепись отменена, а отмена окончательна — возобновить её нельзя.",
        },
        "census_none": {
            Language.EN: "«{account}» has no census yet: /round {ref} census",
            Language.RU: "«{account}»: переписи ещё не было. Начать: /round {ref} census",
        },
        "census_bad_period": {
            Language.EN: "A census period is a half year, like 2026-H1, a quarter, like 2026-Q3, or a year, like 2026.",
            Language.RU: "Период переписи — полугодие (например 2026-H1), квартал (2026-Q3) или год (2026).",
        },
        "census_link": {
            Language.EN: "Census link for «{account}» (post it in the client's own channels; whoever opens it joins as a user): {link}",
            Language.RU: "Ссылка переписи аккаунта «{account}» (разместите в каналах клиента; открывший её становится пользователем): {link}",
        },
        "census_link_no_bot": {
            Language.EN: "Census links open the Telegram bot, whose name Candor does not know here: set CANDOR_TELEGRAM_BOT_USERNAME, or ask the Telegram bot for the link.",
            Language.RU: "Ссылка переписи открывает Telegram-бота, а его имя здесь неизвестно: задайте CANDOR_TELEGRAM_BOT_USERNAME или попросите ссылку у Telegram-бота.",
        },
        "census_links_revoked": {
            Language.EN: "Census links of {account} revoked: {count}.",
            Language.RU: "Отозвано ссылок переписи аккаунта «{account}»: {count}.",
        },
        "census_link_revoked": {
            Language.EN: "This link has been withdrawn. Ask your contact at the company for a new one.",
            Language.RU: "Эта ссылка отозвана. Попросите новую у вашего контакта в компании.",
        },
        "census_scheduled.half_yearly": {
            Language.EN: "A census of {account}'s users now opens by itself each half year (in January and July, for the half year just ended).",
            Language.RU: "Перепись пользователей аккаунта «{account}» теперь открывается сама каждые полгода (в январе и июле, за прошедшее полугодие).",
        },
        "census_scheduled.quarterly": {
            Language.EN: "A census of {account}'s users now opens by itself each quarter (in January, April, July and October, for the quarter just ended).",
            Language.RU: "Перепись пользователей аккаунта «{account}» теперь открывается сама каждый квартал (в январе, апреле, июле и октябре, за прошедший квартал).",
        },
        "census_scheduled.yearly": {
            Language.EN: "A census of {account}'s users now opens by itself each year (in January, for the year just ended).",
            Language.RU: "Перепись пользователей аккаунта «{account}» теперь открывается сама раз в год (в январе, за прошедший год).",
        },
        "census_unscheduled": {
            Language.EN: "The census of {account} is no longer scheduled.",
            Language.RU: "Перепись аккаунта «{account}» больше не запланирована.",
        },
        "census_negative": {
            Language.EN: "Negative share per question: {shares}.",
            Language.RU: "Доля негативных ответов по вопросам: {shares}.",
        },
        "answered_partly": {
            Language.EN: ", {n} of them partly",
            Language.RU: ", из них частично {n}",
        },
        "census_users_line": {
            Language.EN: "Users: {title} — {population} {users}, reached {reached}, answered {answered} ({rate}%){partly}.",
            Language.RU: "Пользователи: {title} — {population} {users}, доставлено {reached}, ответили {answered} ({rate}%){partly}.",
        },
        # A census that has sent no first question yet (or never will): no rate to give.
        "census_users_line.none": {
            Language.EN: "Users: {title} — {population} {users}, no one was asked.",
            Language.RU: "Пользователи: {title} — {population} {users}, никто не опрошен.",
        },
        "no_one_asked": {Language.EN: "no one was asked", Language.RU: "никто не опрошен"},
        "report_no_one_asked": {
            Language.EN: "No one was asked.",
            Language.RU: "Никто не опрошен.",
        },
        "census_progress.none": {
            Language.EN: "{title} of {account} ({state}): {population} {users}, no one was asked: no chat {no_chat}, opted out {opted_out}, not sent {not_sent}.",
            Language.RU: "{title}, {account} ({state}): {population} {users}, никто не опрошен: нет чата {no_chat}, отказались {opted_out}, не отправлено {not_sent}.",
        },
        # Done without a first question sent: not "everyone reachable was asked".
        "census_state.done_none": {Language.EN: "finished", Language.RU: "завершена"},
    }
)
