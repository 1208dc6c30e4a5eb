"""Account health for many accounts at once (App Home, `/candor health`): the same figures as
account by account, from a fixed number of queries whatever the number of accounts, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, insert, update

from bench.health import T0, seed
from bot.slack.listeners.home import home_blocks
from storage.db import session_factory
from storage.models import AccountRow, AlertRow, ConversationRow, RoundRow, StaffRow
from storage.repositories import SqlUnitOfWorkFactory
from surveys.escalation import escalated_levels
from surveys.health import AccountHealth, RoundHealth, accounts_health, health_lines
from surveys.model import (
    Account,
    AlertStatus,
    Language,
    Round,
    SentimentLabel,
    Staff,
    StaffRole,
)
from surveys.periods import round_title
from surveys.ports import UnitOfWork
from surveys.questions import QUESTION_KEYS
from surveys.resolution import not_about_us
from surveys.sentiment import make_analyser
from surveys.service import SurveyService
from surveys.texts import t
from tests.conftest import Database, FakeClock


async def one_by_one(uow: UnitOfWork, account: Account) -> AccountHealth:
    """The health of one account as it was computed before, one account at a time: a round's
    alerts, conversations and answers each a query. The oracle the batched reads must match."""
    health = AccountHealth(account)
    rounds = await uow.rounds.for_account(account.id)
    for round_ in rounds:
        for alert in await uow.alerts.for_round(round_.id):
            health.alerts.append(alert)
            if alert.status is not AlertStatus.RESOLVED:
                health.open += 1
                health.escalated += bool(escalated_levels(alert))
            health.relapsed += any(n.get("kind") == "relapse" for n in alert.notes)
            health.not_us += not_about_us(alert)
    for alert in await uow.alerts.silences():
        if alert.account_id == account.id and alert.status is not AlertStatus.RESOLVED:
            health.silent += 1
            health.open += 1
            health.escalated += bool(escalated_levels(alert))
    excluded = {a.answer_id for a in health.alerts if not_about_us(a)}
    # Stakeholders' rounds against stakeholders' rounds, a census against the census before.
    for census in (False, True):
        mine = [r for r in rounds if (r.audience == "user") is census]
        summaries = [await _round_health(uow, r, excluded) for r in mine[-2:]]
        if not summaries:
            continue
        previous = summaries[0] if len(summaries) == 2 else None
        if census:
            health.census, health.census_previous = summaries[-1], previous
        else:
            health.latest, health.previous = summaries[-1], previous
    return health


async def _round_health(uow: UnitOfWork, round_: Round, excluded: set[int]) -> RoundHealth:
    convs = await uow.conversations.for_round(round_.id)
    answers = await uow.answers.for_conversations([c.id for c in convs])
    negative: dict[str, tuple[int, int]] = {}
    for key in QUESTION_KEYS:
        mine = [a for a in answers if a.question_key == key and a.id not in excluded]
        bad = sum(1 for a in mine if a.sentiment and a.sentiment.label is SentimentLabel.NEGATIVE)
        negative[key] = (bad, len(mine))
    responded = len({a.conversation_id for a in answers})
    return RoundHealth(round_.period_key, round_.title, len(convs), responded, negative)


async def add_edge_cases(database: Database, first: int) -> None:
    """Accounts the seed lacks: none, one and two rounds (one of them with nobody invited),
    a census after them and one of its own, a resolved silence, and a silence on an account
    of its own. Explicit ids: the seed's
    leave PostgreSQL's sequences where they were."""
    async with database.engine.begin() as conn:
        await conn.execute(insert(AccountRow), [
            {"id": first + i, "name": f"Edge {i}", "tier": "standard"} for i in range(4)
        ])  # fmt: skip
        # One statement compiles the first row's keys: every row names its audience.
        await conn.execute(insert(RoundRow), [
            {"id": 90_001, "account_id": first + 1, "period_key": "2026-01", "title": "Jan",
             "audience": "stakeholder", "opened_at": T0},
            {"id": 90_002, "account_id": first + 2, "period_key": "2026-01", "title": "",
             "audience": "stakeholder", "opened_at": T0},
            {"id": 90_003, "account_id": first + 2, "period_key": "2026-02", "title": "Feb",
             "audience": "stakeholder", "opened_at": T0 + timedelta(days=30)},
            {"id": 90_004, "account_id": first + 2, "period_key": "census-2026-H1",
             "title": "Census 2026-H1", "audience": "user", "opened_at": T0 + timedelta(days=40)},
            {"id": 90_005, "account_id": first + 3, "period_key": "census-2026-H1",
             "title": "Census 2026-H1", "audience": "user", "opened_at": T0},
        ])  # fmt: skip
        await conn.execute(insert(ConversationRow), [
            {"id": 90_001, "round_id": 90_002, "contact_id": 1, "status": "expired",
             "question_keys": [], "language": "en", "invited_at": T0, "last_activity_at": T0,
             "expires_at": T0 + timedelta(days=7)},
        ])  # fmt: skip
        await conn.execute(insert(AlertRow), [
            {"id": 90_001, "account_id": first + 3, "kind": "silence", "status": "resolved",
             "contact_id": 1, "streak_key": "silence:edge:1", "notes": [], "created_at": T0},
            {"id": 90_002, "account_id": first + 3, "kind": "silence", "status": "open",
             "contact_id": 2, "streak_key": "silence:edge:2",
             "notes": [{"kind": "escalation", "level": "admin"}], "created_at": T0},
        ])  # fmt: skip


async def test_batched_health_matches_account_by_account_health(database: Database) -> None:
    await seed(database.engine, 20)
    await add_edge_cases(database, 21)
    uow = SqlUnitOfWorkFactory(session_factory(database.engine))
    async with uow() as u:
        accounts = await u.accounts.list()
        expected = [await one_by_one(u, a) for a in accounts]
    async with uow() as u:
        got = await accounts_health(u, accounts)
    assert len(accounts) == 24
    assert [h.account.id for h in got] == [a.id for a in accounts]
    for want, have in zip(expected, got, strict=True):
        assert have == want, want.account.name
    # The seed is varied enough for the comparison to mean something.
    assert any(h.not_us for h in expected) and any(h.relapsed for h in expected)
    assert any(h.silent for h in expected) and any(h.escalated for h in expected)
    assert any(h.latest is None for h in expected)
    assert any(h.latest is not None and h.previous is None for h in expected)
    # A census after two stakeholders' rounds leaves their comparison alone.
    [both] = [h for h in got if h.account.name == "Edge 2"]
    assert both.latest is not None and both.latest.period_key == "2026-02"
    assert both.previous is not None and both.previous.period_key == "2026-01"
    assert both.census is not None and both.census.period_key == "census-2026-H1"
    assert both.census_previous is None
    [only] = [h for h in got if h.account.name == "Edge 3"]
    assert only.latest is None and only.census is not None
    for lang in Language:
        lines = health_lines(only, Staff(0, "Olga", StaffRole.OWNER, lang))
        title = round_title("census-2026-H1", "Census 2026-H1", lang)
        # A census that asked no one says so, not "responded 0/0 (0%)".
        assert lines[1] == t("health_rate.none", lang, round=title, none=t("no_one_asked", lang))
        assert t("health_no_rounds", lang) not in lines


async def test_health_of_many_accounts_takes_as_many_queries_as_of_few(database: Database) -> None:
    await seed(database.engine, 30)
    uow = SqlUnitOfWorkFactory(session_factory(database.engine))
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    async with uow() as u:
        accounts = await u.accounts.list()
        event.listen(database.engine.sync_engine, "before_cursor_execute", count)
        try:
            await accounts_health(u, accounts[:2])
            few, statements = statements, 0
            healths = await accounts_health(u, accounts)
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    assert len(healths) == 30
    assert statements == few <= 6


async def test_app_home_takes_as_many_queries_for_30_accounts_as_for_25(
    database: Database,
) -> None:
    # Both fill every section's 20 lines: what is left is whether its cost grows per account.
    await seed(database.engine, 30)
    async with database.engine.begin() as conn:
        await conn.execute(
            insert(StaffRow), [{"id": 2, "name": "Olga Owner", "role": "owner", "language": "ru"}]
        )
        await conn.execute(update(AccountRow).where(AccountRow.id <= 25).values(owner_id=2))
    uow = SqlUnitOfWorkFactory(session_factory(database.engine))
    service = SurveyService(uow, FakeClock(), make_analyser("baseline"))
    ctx: Any = SimpleNamespace(service=service)
    async with uow() as u:
        admin, owner = await u.staff.get(1), await u.staff.get(2)
    assert admin is not None and owner is not None
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        blocks = await home_blocks(ctx, owner, Language.EN)
        for_25, statements = statements, 0
        await home_blocks(ctx, admin, Language.EN)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    texts = [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]
    # Open alerts, rounds in progress and account health each have more than their 20.
    assert sum(t.startswith("…and ") for t in texts) == 3
    assert statements == for_25


def test_a_round_with_no_answers_yet_claims_no_fall_in_negative_share() -> None:
    # A census just started read «Доля негатива: результат — · скорость — · вежливость —,
    # ↓ по сравнению с 100% в прошлом опросе»: no answers is not 0 % negative.
    from surveys.health import AccountHealth, RoundHealth, health_lines
    from surveys.model import Account, Language, Staff, StaffRole
    from surveys.questions import QUESTION_KEYS

    empty = RoundHealth("census-2026-Q4", "", 122, 0, {k: (0, 0) for k in QUESTION_KEYS})
    before = RoundHealth("census-2026-H2", "", 2, 1, {k: (1, 1) for k in QUESTION_KEYS})
    globex = Account(1, "Globex", None, "gold", Language.RU, "UTC")
    health = AccountHealth(globex, census=empty, census_previous=before)
    for lang in (Language.EN, Language.RU):
        lines = health_lines(health, Staff(1, "Olga", StaffRole.OWNER, lang))
        rate, negative = lines[1], lines[2]
        assert "↓" in rate and "50%" in rate  # the response rate is compared: 0 of 122
        assert "—" in negative and "↓" not in negative and "100%" not in negative, negative
    # With answers it is compared as before.
    some = RoundHealth("census-2026-Q4", "", 122, 1, {**empty.negative, "outcome": (0, 1)})
    lines = health_lines(AccountHealth(globex, census=some, census_previous=before),
                         Staff(1, "Olga", StaffRole.OWNER, Language.EN))  # fmt: skip
    assert lines[2].endswith("↓ from 100% the round before")
