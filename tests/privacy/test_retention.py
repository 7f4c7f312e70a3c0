"""The retention run at a fixed `now`: exactly what is past the policy goes, nothing else,
and a second run changes nothing.

The book as of NOW (1 January 2034, policy of 2555 days for transcripts and files, 30 for
jobs and web chats):
- Ana (no loan): an inbound and a delivered reply from 2555+1 days ago and a staff note of
  that day go; a reply of that day still waiting to be sent, and a message from 2555-1 days
  ago, stay; her conversation waiting for staff keeps its old message.
- Ben has an active loan, Cleo a legal hold and Eve a loan repaid 100 days ago: their old
  messages stay, and so does the file of Eve's application withdrawn 2556 days ago.
- Files: Ana's application withdrawn 2556 days ago and Dan's application whose loan closed
  2556 days ago lose theirs; Ana's draft and a withdrawal 2554 days ago keep theirs.
- Jobs: a succeeded job last touched 40 days ago goes; a failed one from 5 days ago and one
  still to do stay.
- Web chats: one idle 31 days is closed and unlinked; one idle 29 days and an escalated one
  idle 40 days stay.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.applications.documents import attach_document, document_content
from core.applications.models import ApplicationChannel, ApplicationDocument
from core.applications.service import create_application, withdraw_application
from core.audit.models import AuditEvent
from core.compliance.models import ContactHold, HoldType
from core.conversations.escalations import open_escalation
from core.conversations.models import (
    Channel,
    Conversation,
    ConversationStatus,
    EscalationReason,
    OutboxStatus,
)
from core.conversations.note_models import ConversationNote
from core.conversations.outbox import enqueue_reply
from core.conversations.store import open_conversation, record_inbound
from core.errors import ConflictError
from core.money import Money
from core.privacy.retention import REMOVED, RetentionPolicy, RetentionReport, apply_retention
from core.staff.models import Role
from core.staff.service import create_staff
from tests.integration.tools.support import CIPHER, borrower, lender, loan_for

NOW = dt.datetime(2034, 1, 1, 12, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(days=2556)
KEPT = NOW - dt.timedelta(days=2554)
POLICY = RetentionPolicy(transcripts=2555, documents=2555, finished_jobs=30, web_sessions=30)
PDF = b"%PDF-1.4 statement for account 001234567"


async def message(session: AsyncSession, conversation: Conversation, body: str,
                  at: dt.datetime, **meta: Any) -> int:
    row = await record_inbound(session, conversation=conversation, body=body, now=at,
                               meta=meta)
    assert row is not None
    return row.id


async def application_with_file(session: AsyncSession, customer_id: int, at: dt.datetime, *,
                                withdraw: bool = True) -> tuple[int, int]:
    application = await create_application(
        session, customer_id=customer_id, product_code="PERSONAL", term=12,
        channel=ApplicationChannel.WHATSAPP, now=at, actor="test", amount=Money.of(5000))
    document = await attach_document(
        session, application_id=application.id, document_type="bank_statement",
        filename="statement.pdf", content_type="application/pdf", content=PDF, actor="test",
        cipher=CIPHER)
    if withdraw:
        await withdraw_application(session, application_id=application.id, actor="test", now=at)
    return application.id, document.id


async def job(session: AsyncSession, status: str, last_event: dt.datetime) -> int:
    job_id: int = await session.scalar(text(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) VALUES "
        "('messaging', 'twilio_inbound:handle_message', :args, CAST(:status AS "
        "procrastinate_job_status)) RETURNING id"),
        {"args": '{"message": {"body": "my balance please"}}', "status": status})
    await session.execute(text(
        "INSERT INTO procrastinate_events (job_id, type, at) VALUES (:job, 'deferred', :at)"),
        {"job": job_id, "at": last_event})
    return job_id


async def web_chat(session: AsyncSession, session_id: str, idle_since: dt.datetime) -> int:
    conversation = await open_conversation(session, channel=Channel.WEB, address=session_id,
                                           now=idle_since)
    return conversation.id


async def book(session: AsyncSession) -> dict[str, Any]:
    """Everything the docstring lists; returns the ids the assertions need."""
    await lender(session, PAST - dt.timedelta(days=30))
    today = (PAST - dt.timedelta(days=30)).date()
    ana = await borrower(session, today=today, first_name="Ana", national_id="TT10000001")
    ben = await borrower(session, today=today, first_name="Ben", national_id="TT10000002")
    cleo = await borrower(session, today=today, first_name="Cleo", national_id="TT10000003")
    dan = await borrower(session, today=today, first_name="Dan", national_id="TT10000004")
    eve = await borrower(session, today=today, first_name="Eve", national_id="TT10000005")
    staff = await create_staff(session, email="retention@lendline.example", name="Rita",
                               role=Role.SUPERVISOR, password="long-enough-password",
                               actor="test")
    ids: dict[str, Any] = {}

    chat = await open_conversation(session, channel=Channel.WHATSAPP, address="+18685550201",
                                   now=PAST, customer_id=ana.id)
    ids["old_in"] = await message(session, chat, "my id is 19900501001", PAST,
                                  profile_name="Ana R", wa_id="18685550201", call_sid="CA1")
    sent = await enqueue_reply(session, conversation=chat, body="Thanks Ana", now=PAST)
    sent.status = OutboxStatus.DELIVERED
    sent.parts = [{"text": "Thanks Ana", "sid": "SM1", "status": "delivered", "segments": 1}]
    ids["sent"], ids["sent_message"] = sent.id, sent.message_id
    waiting = await enqueue_reply(session, conversation=chat, body="Still to go", now=PAST)
    ids["waiting"], ids["waiting_message"] = waiting.id, waiting.message_id
    ids["recent"] = await message(session, chat, "and my balance?", KEPT)
    note = ConversationNote(conversation_id=chat.id, staff_id=staff.id, created_at=PAST,
                            body="Ana called about her ID")
    session.add(note)

    escalated = await open_conversation(session, channel=Channel.SMS, address="+18685550202",
                                        now=PAST, customer_id=ana.id)
    ids["escalated"] = await message(session, escalated, "I want a person", PAST)
    await open_escalation(session, conversation_id=escalated.id,
                          reason=EscalationReason.REQUESTED, detail="", now=PAST)

    await loan_for(session, ben, start=today)
    ben_chat = await open_conversation(session, channel=Channel.WHATSAPP,
                                       address="+18685550203", now=PAST, customer_id=ben.id)
    ids["ben"] = await message(session, ben_chat, "ben's old words", PAST)
    session.add(ContactHold(customer_id=cleo.id, hold_type=HoldType.LEGAL, starts_at=PAST,
                            reason="Court order", placed_by="test"))
    cleo_chat = await open_conversation(session, channel=Channel.WHATSAPP,
                                        address="+18685550204", now=PAST, customer_id=cleo.id)
    ids["cleo"] = await message(session, cleo_chat, "cleo's old words", PAST)
    repaid_lately = await loan_for(session, eve, start=today)
    await session.execute(text(
        "UPDATE loans SET status = 'paid_off', closed_on = :day WHERE id = :loan"),
        {"day": (NOW - dt.timedelta(days=100)).date(), "loan": repaid_lately.id})
    eve_chat = await open_conversation(session, channel=Channel.WHATSAPP,
                                       address="+18685550205", now=PAST, customer_id=eve.id)
    ids["eve"] = await message(session, eve_chat, "eve's old words", PAST)
    _, ids["eve_file"] = await application_with_file(session, eve.id, PAST)

    _, ids["withdrawn_file"] = await application_with_file(session, ana.id, PAST)
    _, ids["recent_file"] = await application_with_file(session, ana.id, KEPT)
    _, ids["draft_file"] = await application_with_file(session, ana.id, PAST, withdraw=False)
    repaid, ids["repaid_file"] = await application_with_file(session, dan.id, PAST,
                                                             withdraw=False)
    closed = await loan_for(session, dan, start=today)
    await session.execute(text(
        "UPDATE loans SET status = 'paid_off', closed_on = :day, application_id = :app "
        "WHERE id = :loan"), {"day": PAST.date(), "app": repaid, "loan": closed.id})
    await session.execute(text(
        "UPDATE applications SET status = 'disbursed', status_changed_at = :at WHERE id = :app"),
        {"at": PAST, "app": repaid})

    await session.execute(text("DELETE FROM procrastinate_jobs"))
    ids["old_job"] = await job(session, "succeeded", NOW - dt.timedelta(days=40))
    ids["recent_job"] = await job(session, "failed", NOW - dt.timedelta(days=5))
    ids["todo_job"] = await job(session, "todo", NOW - dt.timedelta(days=40))

    ids["idle_chat"] = await web_chat(session, "a" * 32, NOW - dt.timedelta(days=31))
    ids["fresh_chat"] = await web_chat(session, "b" * 32, NOW - dt.timedelta(days=29))
    ids["waiting_chat"] = await web_chat(session, "c" * 32, NOW - dt.timedelta(days=40))
    await session.execute(text("UPDATE conversations SET status = 'escalated' WHERE id = :id"),
                          {"id": ids["waiting_chat"]})
    await session.flush()
    return ids


async def state(session: AsyncSession) -> dict[str, Any]:
    """Every message body and meta, outbox body and parts, note, file presence, job and
    conversation: what a run may change."""
    session.expire_all()
    result: dict[str, Any] = {}
    for name, sql in {
        "messages": "SELECT id, body, meta FROM conversation_messages ORDER BY id",
        "outbox": "SELECT id, body, parts FROM outbox ORDER BY id",
        "notes": "SELECT id, body FROM conversation_notes ORDER BY id",
        "files": "SELECT id, content IS NOT NULL, content_removed_at FROM application_documents "
                 "ORDER BY id",
        "jobs": "SELECT id FROM procrastinate_jobs ORDER BY id",
        "conversations": "SELECT id, address, status, closed_at FROM conversations ORDER BY id",
    }.items():
        result[name] = [tuple(row) for row in (await session.execute(text(sql))).all()]
    return result


async def test_retention_removes_exactly_what_is_past_the_policy(
        empty_session: AsyncSession) -> None:
    session = empty_session
    ids = await book(session)
    before = await state(session)

    report = await apply_retention(session, policy=POLICY, now=NOW)

    assert report == RetentionReport(messages_redacted=2, outbox_redacted=1, notes_redacted=1,
                                     documents_removed=2, jobs_deleted=1, web_sessions_closed=1)
    after = await state(session)
    messages = {row[0]: row[1:] for row in after["messages"]}
    assert messages[ids["old_in"]] == (REMOVED, {"call_sid": "CA1"})
    assert messages[ids["sent_message"]][0] == REMOVED
    changed = {row[0] for row in after["messages"]} - {
        row[0] for row in after["messages"] if row in before["messages"]}
    assert changed == {ids["old_in"], ids["sent_message"]}
    assert {row[0]: row[1:] for row in after["outbox"]}[ids["sent"]] == (
        REMOVED, [{"sid": "SM1", "status": "delivered", "segments": 1}])
    assert [row for row in after["outbox"] if row not in before["outbox"]] == [
        (ids["sent"], REMOVED, [{"sid": "SM1", "status": "delivered", "segments": 1}])]
    assert [row[1] for row in after["notes"]] == [REMOVED]
    assert {row[0]: row[1:] for row in after["files"]} == {
        ids["withdrawn_file"]: (False, NOW), ids["recent_file"]: (True, None),
        ids["draft_file"]: (True, None), ids["repaid_file"]: (False, NOW),
        ids["eve_file"]: (True, None)}
    assert after["jobs"] == [(ids["recent_job"],), (ids["todo_job"],)]
    closed = [row for row in after["conversations"] if row not in before["conversations"]]
    assert closed == [(ids["idle_chat"], f"expired-{ids['idle_chat']}",
                       ConversationStatus.CLOSED.value, NOW)]

    removed = await session.get_one(ApplicationDocument, ids["withdrawn_file"],
                                    options=[undefer(ApplicationDocument.content)],
                                    populate_existing=True)
    try:
        document_content(removed, cipher=CIPHER)
    except ConflictError as error:
        assert "removed under the retention policy on 01 January 2034" in error.message
    else:
        raise AssertionError("a removed file cannot be read")
    [event] = (await session.scalars(select(AuditEvent).where(
        AuditEvent.action == "privacy.retention_applied"))).all()
    assert event.actor == "system:retention" and event.entity_id == NOW.isoformat()
    assert event.after == {"policy_days": {"transcripts": 2555, "documents": 2555,
                                           "finished_jobs": 30, "web_sessions": 30},
                           "messages_redacted": 2, "outbox_redacted": 1, "notes_redacted": 1,
                           "documents_removed": 2, "jobs_deleted": 1, "web_sessions_closed": 1}

    again = await apply_retention(session, policy=POLICY, now=NOW)
    assert again == RetentionReport(0, 0, 0, 0, 0, 0)
    assert await state(session) == after


async def test_a_policy_of_forever_removes_nothing(empty_session: AsyncSession) -> None:
    session = empty_session
    await book(session)
    before = await state(session)
    forever = RetentionPolicy.of_days(transcripts=0, documents=0, finished_jobs=0,
                                      web_sessions=0)
    assert forever == RetentionPolicy(None, None, None, None)
    assert await apply_retention(session, policy=forever, now=NOW) == RetentionReport(
        0, 0, 0, 0, 0, 0)
    assert await state(session) == before


async def test_now_must_carry_a_time_zone(empty_session: AsyncSession) -> None:
    try:
        await apply_retention(empty_session, policy=POLICY, now=NOW.replace(tzinfo=None))
    except ValueError as error:
        assert "timezone-aware" in str(error)
    else:
        raise AssertionError("a naive `now` is refused")
