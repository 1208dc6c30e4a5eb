"""Storage for issue 10 on SQLite and PostgreSQL: what the outbox says about a delivered
message (its platform id and time), finding messages by key and by contact, and a staff
member marked unreachable."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.repositories import SqlUnitOfWorkFactory
from surveys.model import Address, Answer, Channel, OutboxStatus, OutgoingMessage, Round
from tests.conftest import T0, World
from tests.test_storage import new_conversation


def outgoing(key: str, kind: str, contact_id: int | None) -> OutgoingMessage:
    return OutgoingMessage(
        recipient=Address(Channel.TELEGRAM, "5001"),
        kind=kind,
        payload={"text": key, "conversation_id": 1},
        idempotency_key=key,
        contact_id=contact_id,
        next_attempt_at=T0,
    )


async def test_a_delivered_message_keeps_its_platform_id_and_time(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    async with uow() as u:
        q1 = await u.outbox.enqueue(outgoing("conv:1:v1:1", "question", world.anna.id))
        await u.outbox.enqueue(outgoing("conv:1:v1:0", "invite", world.anna.id))
        await u.outbox.enqueue(outgoing("conv:2:v1:1", "question", world.boris.id))
        q2 = await u.outbox.enqueue(outgoing("conv:1:v2:0", "question", world.anna.id))
        assert q1 is not None and q1.id is not None and q2 is not None
        await u.outbox.mark_sent(q1.id, "42", T0 + timedelta(seconds=5))
        await u.commit()

    async with uow() as u:
        found = await u.outbox.by_key("conv:1:v1:1")
        missing = await u.outbox.by_key("conv:9:v9:9")
        annas = await u.outbox.for_contact(world.anna.id, "question")
    assert found is not None and missing is None
    assert (found.status, found.platform_message_id, found.sent_at) == (
        OutboxStatus.SENT,
        "42",
        T0 + timedelta(seconds=5),
    )
    assert [m.idempotency_key for m in annas] == ["conv:1:v1:1", "conv:1:v2:0"]
    assert (annas[1].status, annas[1].platform_message_id, annas[1].sent_at) == (
        OutboxStatus.PENDING,
        None,
        None,
    )


async def test_a_staff_member_marked_unreachable_and_back(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    async with uow() as u:
        await u.staff.update(replace(world.owner, unreachable_since=T0))
        await u.commit()
    async with uow() as u:
        owner = await u.staff.get(world.owner.id)
        assert owner is not None and owner.unreachable_since == T0
        await u.staff.update(replace(owner, unreachable_since=None))
        await u.commit()
    async with uow() as u:
        owner = await u.staff.get(world.owner.id)
    assert owner is not None and owner.unreachable_since is None


async def test_a_contacts_answers_in_all_their_conversations_newest_first(
    uow: SqlUnitOfWorkFactory, world: World
) -> None:
    # An edit of a message added to an answer is looked up in every conversation of the
    # contact's (the round it belongs to may have been closed by the next one).
    async with uow() as u:
        ids = []
        for n, contact in ((1, world.anna), (2, world.anna), (3, world.boris)):
            round_, _ = await u.rounds.get_or_create(
                Round(0, world.account.id, f"sprint-{n}", f"Sprint {n}", T0)
            )
            conv = await u.conversations.add(new_conversation(round_.id, contact.id))
            answer = await u.answers.add(Answer(0, conv.id, "outcome", f"answer {n}", T0))
            ids.append(answer.id)
        await u.commit()

    async with uow() as u:
        annas = await u.answers.for_contact(world.anna.id)
        nobody = await u.answers.for_contact(world.anna.id + world.boris.id + 100)
    assert [a.id for a in annas] == [ids[1], ids[0]]
    assert [a.text for a in annas] == ["answer 2", "answer 1"]
    assert nobody == []
