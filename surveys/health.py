"""Account health: `/health [account]` and Slack's App Home.

For one account: the latest stakeholders' round's response rate and negative share per
question, with the change since the stakeholders' round before; the latest users' census the
same way in lines of its own, against the census before (it asks other people: a change
against a stakeholders' round would mean nothing); open, escalated and relapsed alerts.
Answers whose alert was resolved as "not about us" are kept but left out of the negative
share. Without an account: every account the reader may see, riskiest first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from surveys.escalation import escalated_levels
from surveys.model import Account, Alert, AlertStatus, Language, Round, Staff
from surveys.periods import Telling, round_title, tellings
from surveys.ports import RoundAlert, RoundTally, UnitOfWork
from surveys.questions import QUESTION_KEYS, question_label
from surveys.resolution import not_about_us
from surveys.staff import READERS, Output, StaffCommands, may_see
from surveys.texts import noun, partly_note, t


@dataclass(slots=True)
class RoundHealth:
    period_key: str
    title: str  # as stored; shown as round_title(period_key, title, reader's language)
    invited: int
    responded: int  # answered anything: partial replies count (the rate and risk score too)
    negative: dict[str, tuple[int, int]]  # question -> (negative answers, answers)
    partly: int = 0  # of responded: not every question answered; shown, not weighed
    # What tells it apart when another round of the account reads the same (periods.tellings).
    apart: Telling | None = None

    @property
    def rate(self) -> float:
        return self.responded / self.invited if self.invited else 0.0

    def share(self, key: str | None = None) -> float:
        pairs = [self.negative[key]] if key else list(self.negative.values())
        answered = sum(n for _, n in pairs)
        return sum(neg for neg, _ in pairs) / answered if answered else 0.0


@dataclass(slots=True)
class AccountHealth:
    account: Account
    latest: RoundHealth | None = None  # stakeholders' rounds
    previous: RoundHealth | None = None
    census: RoundHealth | None = None  # users' census rounds
    census_previous: RoundHealth | None = None
    open: int = 0
    escalated: int = 0
    relapsed: int = 0
    not_us: int = 0
    silent: int = 0
    alerts: list[Alert] = field(default_factory=list)

    @property
    def risk(self) -> float:
        """Higher is worse: unhandled alerts first, then unhappy and quiet clients."""
        score = 3.0 * (self.escalated + self.relapsed + self.silent) + 2.0 * self.open
        latest = self.latest or self.census
        if latest is not None:
            score += 10 * latest.share() + 5 * (1 - latest.rate)
        return score


async def accounts_health(uow: UnitOfWork, accounts: Sequence[Account]) -> list[AccountHealth]:
    """Each account's health, in the accounts' order, from the same few queries whether
    there are 2 accounts or 500 (App Home weighs every account on each open)."""
    healths = {a.id: AccountHealth(a) for a in accounts}
    ids = list(healths)
    # Per account and audience (census or not): like is compared with like.
    rounds: dict[tuple[int, bool], list[Round]] = defaultdict(list)
    for round_ in await uow.reports.rounds(ids):
        rounds[round_.account_id, round_.is_census].append(round_)
    excluded: list[RoundAlert] = []
    for found in await uow.reports.round_alerts(ids):
        health, alert = healths[found.account_id], found.alert
        health.alerts.append(alert)
        if alert.status is not AlertStatus.RESOLVED:
            health.open += 1
            health.escalated += bool(escalated_levels(alert))
        health.relapsed += any(n.get("kind") == "relapse" for n in alert.notes)
        if not_about_us(alert):
            health.not_us += 1
            excluded.append(found)
    for alert in await uow.reports.open_silences(ids):
        health = healths[alert.account_id]
        health.silent += 1
        health.open += 1
        health.escalated += bool(escalated_levels(alert))
    # Only the latest two rounds of each account and audience are summed up.
    recent = {r.id: r for mine in rounds.values() for r in mine[-2:]}
    tallies = await uow.reports.round_tallies(list(recent))
    # A "not about us" answer is kept, but out of the negative share: take it off the counts.
    for found in excluded:
        tally = tallies.get(found.round_id)
        if tally is not None and found.question_key in tally.answers:
            bad, total = tally.answers[found.question_key]
            tally.answers[found.question_key] = (bad - found.negative, total - 1)
    for (account_id, census), mine in rounds.items():
        health = healths[account_id]
        apart = tellings(mine, health.account.timezone)
        summaries = [_round_health(r, tallies.get(r.id), apart.get(r.id)) for r in mine[-2:]]
        previous = summaries[0] if len(summaries) == 2 else None
        if census:
            health.census, health.census_previous = summaries[-1], previous
        else:
            health.latest, health.previous = summaries[-1], previous
    return list(healths.values())


def _round_health(round_: Round, tally: RoundTally | None, apart: Telling | None) -> RoundHealth:
    tally = tally or RoundTally()
    negative = {key: tally.answers.get(key, (0, 0)) for key in QUESTION_KEYS}
    return RoundHealth(
        round_.period_key, round_.title, tally.invited, tally.responded, negative, tally.partly,
        apart,
    )  # fmt: skip


def _title(health: RoundHealth, lang: Language) -> str:
    return round_title(health.period_key, health.title, lang, health.apart)


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _trend(now: float, before: float | None, lang: object) -> str:
    if before is None:
        return ""
    arrow = "↑" if now > before + 1e-9 else "↓" if now < before - 1e-9 else "="
    return t("health_trend", lang, arrow=arrow, before=_pct(before))  # type: ignore[arg-type]


def health_lines(h: AccountHealth, staff: Staff) -> list[str]:
    lang = staff.language
    head = t("health_head", lang, account=h.account.name, tier=h.account.tier)
    if h.latest is None and h.census is None:
        return [head, t("health_no_rounds", lang)]
    lines = [head]
    for latest, previous in ((h.latest, h.previous), (h.census, h.census_previous)):
        if latest is not None:
            lines += _round_lines(latest, previous, lang)
    alerts = t(
        "health_alerts", lang, open=h.open, escalated=h.escalated, relapsed=h.relapsed,
        not_us=h.not_us, silent=h.silent,
    )  # fmt: skip
    return [*lines, alerts]


def _round_lines(latest: RoundHealth, previous: RoundHealth | None, lang: Language) -> list[str]:
    """A round's response rate and negative share, each against ``previous`` when there is one.
    How many answered partly follows the rate's trend, which is about the rate alone."""
    if not latest.invited:  # not "responded 0/0 (0%)", nor a fall to 0 % from before
        none = t("health_rate.none", lang, round=_title(latest, lang),
                 none=t("no_one_asked", lang))  # fmt: skip
        return [none, _negative_line(latest, previous, lang)]
    # A round before that asked no one had no rate to compare with.
    before = previous.rate if previous and previous.invited else None
    trend = _trend(latest.rate, before, lang)
    partly = partly_note(latest.partly, lang)
    if trend and latest.partly:
        partly = t(
            "health_partly_after_trend", lang, n=latest.partly, responded=latest.responded,
            who=noun(latest.responded, "responded_of", lang),
        )  # fmt: skip
    rate = t(
        "health_rate", lang, round=_title(latest, lang),
        responded=latest.responded, invited=latest.invited, rate=_pct(latest.rate),
        partly=partly, trend=trend,
    )  # fmt: skip
    return [rate, _negative_line(latest, previous, lang)]


def _negative_line(latest: RoundHealth, previous: RoundHealth | None, lang: Language) -> str:
    shares = " · ".join(
        f"{question_label(k, lang)} {_pct(latest.share(k)) if latest.negative[k][1] else '—'}"
        for k in QUESTION_KEYS
    )
    # No answers yet (a census just started) is no share at all, not 0 %: nothing to compare.
    answered = any(n for _, n in latest.negative.values())
    before = previous.share() if previous and answered else None
    return t("health_negative", lang, shares=shares, trend=_trend(latest.share(), before, lang))


async def show_health(commands: StaffCommands, actor: Staff, account_ref: str) -> Output:
    commands.require(actor, READERS, actor.language)
    async with commands.uow() as uow:
        if account_ref.strip():
            # An owner naming someone else's account hears the same as for a missing one.
            accounts = [await commands._account(uow, account_ref, actor.language, actor)]
        else:
            accounts = [a for a in await uow.accounts.list() if may_see(actor, a)]
        found = await accounts_health(uow, accounts)
    if not found:
        return Output([t("health_nothing", actor.language)])
    found.sort(key=lambda h: h.risk, reverse=True)
    lines: list[str] = []
    for h in found:
        lines += [*health_lines(h, actor), ""]
    return Output(lines[:-1])
