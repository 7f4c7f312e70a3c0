"""Two staff clicking Claim at the same moment, in two real transactions on two connections:
exactly one wins, the other is told who has the conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.conversations import takeover
from core.conversations.escalations import open_escalation
from core.conversations.models import Channel, EscalationReason, EscalationStatus
from core.conversations.store import open_conversation
from core.db.session import make_engine
from core.errors import ConflictError
from core.staff.models import StaffUser
from lendline.embedded import EmbeddedPostgres
from tests.console.queue.world import NOW, World, world

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def factory(postgres: EmbeddedPostgres) -> AsyncIterator[Factory]:
    engine = make_engine(postgres.migrated_database("console_claim_race"), pool_size=4)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@pytest.fixture(scope="module")
async def people(factory: Factory) -> World:
    async with factory() as session, session.begin():
        return await world(session)


async def fresh_escalation(factory: Factory, address: str) -> int:
    async with factory() as session, session.begin():
        conversation = await open_conversation(session, channel=Channel.SMS, address=address,
                                               now=NOW)
        escalation = await open_escalation(session, conversation_id=conversation.id,
                                           reason=EscalationReason.COMPLAINT, detail="",
                                           now=NOW)
        return escalation.id


async def claim_alone(factory: Factory, escalation_id: int, staff: StaffUser) -> str:
    """Claim in a transaction of its own; the winner's name, or the refusal."""
    try:
        async with factory() as session, session.begin():
            await takeover.claim(session, escalation_id=escalation_id, staff=staff, now=NOW)
    except ConflictError as refused:
        return refused.message
    return staff.name


async def test_the_second_claim_waits_for_the_first_and_then_loses(
    factory: Factory, people: World,
) -> None:
    escalation_id = people.escalation.id
    async with factory() as first, factory() as second:
        await first.begin()
        await second.begin()
        await takeover.claim(first, escalation_id=escalation_id, staff=people.andre, now=NOW)
        contender = asyncio.create_task(takeover.claim(
            second, escalation_id=escalation_id, staff=people.colette, now=NOW))
        await asyncio.sleep(0.5)
        assert not contender.done(), "the second claim waits on the first's row lock"
        await first.commit()
        with pytest.raises(ConflictError, match=r"^Andre Agent claimed this conversation first"):
            await contender
        await second.rollback()
    async with factory() as session:
        entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    assert (entry.status, entry.claimed_by) == (EscalationStatus.CLAIMED, people.andre.id)


async def test_simultaneous_claims_have_exactly_one_winner(
    factory: Factory, people: World,
) -> None:
    for attempt in range(8):
        escalation_id = await fresh_escalation(factory, f"+1868555{attempt:04d}")
        outcomes = await asyncio.gather(claim_alone(factory, escalation_id, people.andre),
                                        claim_alone(factory, escalation_id, people.colette))
        winners = [o for o in outcomes if o in ("Andre Agent", "Colette Collector")]
        assert len(winners) == 1, outcomes
        loser = next(o for o in outcomes if o not in winners)
        assert loser.startswith(f"{winners[0]} claimed this conversation first")
        async with factory() as session:
            entry = await takeover.queue_entry(session, escalation_id=escalation_id)
        assert entry.claimed_by_name == winners[0]
