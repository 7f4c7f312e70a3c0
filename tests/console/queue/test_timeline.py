"""The transcript staff read: every channel of the customer, tool calls inside their turn,
staff actions and notes in time, delivery states and the knowledge sources cited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.conversations import takeover
from core.conversations.models import Author, Direction
from core.conversations.outbox import enqueue_reply
from core.conversations.store import append_message
from core.conversations.timeline import citations, timeline
from tests.console.queue.world import world

ANSWER = ("A late payment fee of TT$100 applies after 5 days.\n\n"
          "(Source: Fees and charges — Late payment)")


def test_citations_are_the_source_lines_an_answer_ends_with() -> None:
    assert citations(ANSWER) == ("Source: Fees and charges — Late payment",)
    assert citations("No source here (really).") == ()


async def test_the_timeline_reads_like_what_happened(session: AsyncSession) -> None:
    # Audit events are stamped with the database's clock (here: the test's transaction
    # start), so the story is told around it, as a turn's clock runs just before it.
    database_now = await session.scalar(select(func.now()))
    assert database_now is not None
    start = database_now - dt.timedelta(milliseconds=5)
    w = await world(session, last_inbound=start)
    await takeover.claim(session, escalation_id=w.escalation.id, staff=w.andre, now=start)
    conversation = w.conversation
    turn = start + dt.timedelta(minutes=1)
    await append_message(session, conversation=conversation, direction=Direction.INBOUND,
                         author=Author.BORROWER, body="what is the late fee", now=turn,
                         intent="question")
    # The turn's tool call is stamped by the database a few milliseconds after its clock.
    session.add(AuditEvent(at=turn + dt.timedelta(milliseconds=8), actor="agent:conversation",
                           action="tool.loan_balance", entity_type="conversation",
                           entity_id=str(conversation.id),
                           after={"args": {"loan": "LN-1"}, "result": {"balance": "10.00"}}))
    await enqueue_reply(session, conversation=conversation, body=ANSWER, now=turn)
    await session.flush()
    await takeover.add_note(session, conversation_id=conversation.id, staff=w.andre,
                            body="Checked the fee schedule.", now=turn + dt.timedelta(hours=1))

    view = await timeline(session, conversation_id=conversation.id)
    assert [c.channel.value for c in view.conversations] == ["web", "whatsapp"]
    lines = [(e.kind, e.channel.value, e.author, e.text) for e in view.entries]
    assert lines == [
        ("message", "web", "borrower", "hi from the web"),
        ("message", "whatsapp", "borrower", "I want a person"),
        ("event", "whatsapp", "system", "Escalated to staff (requested): “I want a person”"),
        ("event", "whatsapp", "staff", "Claimed by Andre Agent"),
        ("message", "whatsapp", "borrower", "what is the late fee"),
        ("tool", "whatsapp", "agent", "loan_balance"),
        ("message", "whatsapp", "agent", ANSWER),
        ("note", "whatsapp", "staff", "Checked the fee schedule."),
    ]
    tool, answer, note = view.entries[5], view.entries[6], view.entries[7]
    assert (tool.args, tool.result) == ({"loan": "LN-1"}, {"balance": "10.00"})
    assert (answer.citations, answer.delivery) == (
        ("Source: Fees and charges — Late payment",), "pending")
    assert view.entries[4].intent == "question"
    assert note.by == "Andre Agent"


async def test_a_hand_back_sits_in_its_turn_and_a_later_action_after_it(
    session: AsyncSession,
) -> None:
    w = await world(session)
    conversation, andre = w.conversation, f"staff:{w.andre.id}"
    database_now = await session.scalar(select(func.now()))
    assert database_now is not None
    resumed = database_now + dt.timedelta(hours=1)
    session.add_all([
        AuditEvent(at=resumed + dt.timedelta(milliseconds=3), actor=andre,
                   action="conversation.handed_back", entity_type="conversation",
                   entity_id=str(conversation.id),
                   after={"escalation": w.escalation.id, "resolution": "hand_back: Bye!"}),
        AuditEvent(at=resumed + dt.timedelta(seconds=2), actor=andre,
                   action="conversation.claimed", entity_type="conversation",
                   entity_id=str(conversation.id), after={"escalation": w.escalation.id}),
    ])
    await enqueue_reply(session, conversation=conversation, body="Bye!", now=resumed)
    view = await timeline(session, conversation_id=conversation.id)
    assert [e.text for e in view.entries][-3:] == [
        "Handed back to the agent by Andre Agent, saying “Bye!”", "Bye!",
        "Claimed by Andre Agent"]
    assert view.entries[-2].intent is None
