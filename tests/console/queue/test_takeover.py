"""Taking over a conversation in the core: claim, reply, the WhatsApp window, transfer and
internal notes; every refusal says why and leaves the database as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.conversations import takeover
from core.conversations.models import (
    Author,
    ConversationMessage,
    EscalationStatus,
    OutboxMessage,
)
from core.errors import ConflictError, InvalidTransition, ValidationError
from core.staff.service import update_staff
from tests.console.queue.world import NOW, PHONE, counts, world

TEMPLATE = "HX" + "1" * 32


async def actions(session: AsyncSession, conversation_id: int) -> list[str]:
    return list((await session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_type == "conversation",
                                        AuditEvent.entity_id == str(conversation_id))
        .order_by(AuditEvent.id))).all())


async def test_the_first_claim_wins_and_the_second_is_told_who_has_it(
    session: AsyncSession,
) -> None:
    w = await world(session)
    claimed = await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre,
                                   now=NOW)
    assert (claimed.status, claimed.claimed_by, claimed.claimed_at) == (
        EscalationStatus.CLAIMED, w.andre.id, NOW)
    again = await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre,
                                 now=NOW + dt.timedelta(minutes=1))
    assert again.claimed_at == NOW, "claiming one's own claim again changes nothing"
    with pytest.raises(ConflictError) as refused:
        await takeover.claim(session, escalation_id=w.escalation.id, staff=w.colette, now=NOW)
    assert refused.value.message == ("Andre Agent claimed this conversation first (16:00 UTC). "
                                     "Ask them, or a supervisor, to transfer it to you.")
    entry = await takeover.queue_entry(session, escalation_id=w.escalation.id)
    assert (entry.claimed_by_name, entry.customer_name) == ("Andre Agent", "Asha Ramdial")
    assert await actions(session, w.conversation.id) == ["conversation.escalated",
                                                         "conversation.claimed"]


async def test_the_queue_lists_open_escalations_most_urgent_first(
    session: AsyncSession,
) -> None:
    w = await world(session)
    entries = await takeover.queue(session)
    assert [(e.escalation_id, e.status, e.priority, e.reason.value, e.channel.value)
            for e in entries] == [(w.escalation.id, EscalationStatus.WAITING, 2, "requested",
                                   "whatsapp")]


async def test_a_reply_from_the_holder_is_queued_on_the_borrowers_channel(
    session: AsyncSession,
) -> None:
    w = await world(session)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre, now=NOW)
    row = await takeover.staff_reply(
        session, escalation_id=w.escalation.id, staff=w.andre, body="  Hi Asha, Andre here. ",
        now=NOW + dt.timedelta(minutes=5), whatsapp_template=None)
    assert (row.channel.value, row.address, row.body, row.purpose, row.status.value) == (
        "whatsapp", PHONE, "Hi Asha, Andre here.", "staff_reply", "pending")
    message = await session.get_one(ConversationMessage, row.message_id)
    assert (message.author, message.meta) == (Author.STAFF, {"staff_id": w.andre.id,
                                                             "staff_name": "Andre Agent"})
    assert (await actions(session, w.conversation.id))[-1] == "conversation.staff_replied"


async def test_only_the_holder_or_a_supervisor_may_reply(session: AsyncSession) -> None:
    w = await world(session)
    before = await counts(session)
    with pytest.raises(ConflictError, match="Claim this conversation before you reply to it"):
        await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.andre,
                                   body="Hello", now=NOW, whatsapp_template=None)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre, now=NOW)
    with pytest.raises(ConflictError) as refused:
        await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.colette,
                                   body="Hello", now=NOW, whatsapp_template=None)
    assert refused.value.message == ("Andre Agent has this conversation; only they or a "
                                     "supervisor may reply to it.")
    for body, problem in (("   ", "Write the reply first: it is empty."),
                          ("x" * 4_001, "A reply can be at most 4,000 characters; this one "
                                        "has 4,001.")):
        with pytest.raises(ValidationError) as bad:
            await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.andre,
                                       body=body, now=NOW, whatsapp_template=None)
        assert bad.value.message == problem
    assert await counts(session) == before
    await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.sita,
                               body="Sita here, covering for Andre.", now=NOW,
                               whatsapp_template=None)
    assert await counts(session) == [before[0] + 1, before[1] + 1, before[2]]


async def test_outside_the_whatsapp_window_a_reply_needs_the_staff_reply_template(
    session: AsyncSession,
) -> None:
    last = NOW - dt.timedelta(hours=25)
    w = await world(session, last_inbound=last)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre, now=NOW)
    inside = await takeover.reply_window(session, address=PHONE,
                                         now=last + dt.timedelta(hours=23), template=None)
    assert (inside.open, inside.closes_at, inside.sendable) == (
        True, last + dt.timedelta(hours=24), True)
    assert inside.explanation == ("Inside WhatsApp's 24-hour window until 2026-11-20 15:00 "
                                  "UTC: your reply goes as you write it.")
    closed = await takeover.reply_window(session, address=PHONE, now=NOW, template=None)
    assert (closed.open, closed.sendable) == (False, False)
    before = await counts(session)
    with pytest.raises(ValidationError) as refused:
        await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.andre,
                                   body="Hello", now=NOW, whatsapp_template=None)
    assert refused.value.message == closed.explanation
    assert "no approved WhatsApp template is configured for 'staff_reply'" in closed.explanation
    assert await counts(session) == before
    templated = await takeover.reply_window(session, address=PHONE, now=NOW, template=TEMPLATE)
    assert templated.explanation == (
        "Outside WhatsApp's 24-hour window: your reply goes inside the approved 'staff_reply' "
        f"template ({TEMPLATE}), on one line.")
    row = await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.andre,
                                     body="Hello", now=NOW, whatsapp_template=TEMPLATE)
    assert row.purpose == "staff_reply", "the sender picks the template by this purpose"


async def test_transfer_passes_the_conversation_to_a_colleague(session: AsyncSession) -> None:
    w = await world(session)
    with pytest.raises(ConflictError, match="Claim this conversation before you transfer it"):
        await takeover.transfer(session, escalation_id=w.escalation.id, by=w.andre,
                                to_staff_id=w.colette.id, now=NOW)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre, now=NOW)
    later = NOW + dt.timedelta(minutes=10)
    moved = await takeover.transfer(session, escalation_id=w.escalation.id, by=w.andre,
                                    to_staff_id=w.colette.id, now=later)
    assert (moved.status, moved.claimed_by, moved.claimed_at) == (
        EscalationStatus.CLAIMED, w.colette.id, later)
    event = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "conversation.transferred"))
    assert event is not None
    assert (event.actor, event.before, event.after) == (
        f"staff:{w.andre.id}", {"claimed_by": w.andre.id},
        {"escalation": w.escalation.id, "claimed_by": w.colette.id})
    with pytest.raises(ConflictError, match="Colette Collector has this conversation"):
        await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.andre,
                                   body="Still me", now=later, whatsapp_template=None)
    with pytest.raises(ValidationError, match="Colette Collector already has"):
        await takeover.transfer(session, escalation_id=w.escalation.id, by=w.colette,
                                to_staff_id=w.colette.id, now=later)
    await update_staff(session, staff_id=w.andre.id, role=w.andre.role, active=False,
                       now=later, actor="test")
    with pytest.raises(ValidationError, match="Choose an active colleague"):
        await takeover.transfer(session, escalation_id=w.escalation.id, by=w.colette,
                                to_staff_id=w.andre.id, now=later)
    back = await takeover.transfer(session, escalation_id=w.escalation.id, by=w.sita,
                                   to_staff_id=w.sita.id, now=later)
    assert back.claimed_by == w.sita.id, "a supervisor may reassign anyone's conversation"


async def test_a_note_is_kept_for_staff_and_never_queued(session: AsyncSession) -> None:
    w = await world(session)
    messages, outbox, notes = await counts(session)
    note = await takeover.add_note(session, conversation_id=w.conversation.id, staff=w.colette,
                                   body="Called her back; she prefers WhatsApp.", now=NOW)
    assert (note.body, note.staff_id) == ("Called her back; she prefers WhatsApp.", w.colette.id)
    assert await counts(session) == [messages, outbox, notes + 1]
    assert await session.scalar(select(OutboxMessage).where(
        OutboxMessage.body.contains("prefers WhatsApp"))) is None
    with pytest.raises(ValidationError, match="Write the note first"):
        await takeover.add_note(session, conversation_id=w.conversation.id, staff=w.colette,
                                body="\n", now=NOW)


async def test_a_resolved_escalation_takes_no_more_actions(session: AsyncSession) -> None:
    from core.conversations.escalations import resolve_escalation

    w = await world(session)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre, now=NOW)
    await resolve_escalation(session, conversation_id=w.conversation.id, actor="test",
                             resolution="hand_back", now=NOW)
    before = await counts(session)
    with pytest.raises(InvalidTransition, match="already resolved"):
        await takeover.claim(session, escalation_id=w.escalation.id, staff=w.colette, now=NOW)
    with pytest.raises(InvalidTransition, match="already resolved"):
        await takeover.staff_reply(session, escalation_id=w.escalation.id, staff=w.andre,
                                   body="Hello", now=NOW, whatsapp_template=None)
    assert await counts(session) == before
    assert await takeover.queue(session) == []
