"""Payment reminders: sent once per borrower and day on the right channel, and not sent when
the contact rules say no (opted out, outside hours, on hold, disputed, already reminded).

Asha's loan (TTD 10,000, 12 months, 12%) is first due Thursday 15 February 2024: TTD 888.49.
Reminders go 3 days before (Monday 12 February) and on the day.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEvent
from core.collections.cases import transition_case
from core.collections.delinquency import run_delinquency
from core.collections.lifecycle import CaseState
from core.collections.promises import create_promise
from core.collections.reminder_run import (
    ReminderOutcome,
    ReminderPolicy,
    Status,
    reminder_key,
    run_reminders,
    send_reminder,
)
from core.collections.reminders import ItemKind, reminders_due
from core.compliance.holds import place_hold, set_opt_out
from core.compliance.models import ActorKind, ContactAttempt, ContactPurpose, HoldType
from core.compliance.service import record_contact
from core.conversations import opt_outs
from core.conversations.models import Author, Channel, ConversationMessage, OutboxMessage
from core.customers.models import ContactChannel, ContactPoint, Customer
from core.money import Money
from tests.jobs.conftest import ACTOR, LENDER, PORT_OF_SPAIN, Lender, local

MONDAY = dt.date(2024, 2, 12)
POLICY = ReminderPolicy(lender_name=LENDER, time_zone=PORT_OF_SPAIN, days_before=(3, 0),
                        whatsapp_template="HXreminder")
TABLES = ("outbox", "conversation_messages", "contact_attempts", "audit_events")


async def counts(session: AsyncSession) -> dict[str, int]:
    return {t: int(await session.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in TABLES}


async def remind(session: AsyncSession, customer: Customer, *, as_of: dt.date = MONDAY,
                 at: str = "2024-02-12T10:00", policy: ReminderPolicy = POLICY) -> ReminderOutcome:
    [due] = [d for d in await reminders_due(session, as_of=as_of, days_before=policy.days_before)
             if d.customer_id == customer.id]
    return await send_reminder(session, due=due, as_of=as_of, now=local(at), policy=policy)


async def outbox_of(session: AsyncSession, customer: Customer) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.purpose == "payment_reminder",
               OutboxMessage.address.in_(select(ContactPoint.address)
                                         .where(ContactPoint.customer_id == customer.id)))
        .order_by(OutboxMessage.id))
    return list(rows)


async def test_a_reminder_is_queued_once_on_the_preferred_channel(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, loan = await lender.borrower()
    outcome = await remind(session, asha)
    assert (outcome.status, outcome.channel) == (Status.SENT, ContactChannel.WHATSAPP)
    [row] = await outbox_of(session, asha)
    assert (row.channel, row.address, row.purpose) == (Channel.WHATSAPP, "+18685550101",
                                                       "payment_reminder")
    assert row.body == (
        f"Hello Asha, this is {LENDER} with a reminder: TTD 888.49 for loan {loan.number} is "
        "due in 3 days, Thursday 15 February. If you have already paid, thank you. Reply here "
        "to pay or to ask us anything; reply STOP to stop these messages.")
    message = await session.get_one(ConversationMessage, row.message_id)
    assert (message.author, message.intent) == (Author.SYSTEM, "payment_reminder")
    attempt = await session.scalar(select(ContactAttempt).where(
        ContactAttempt.idempotency_key == reminder_key(asha.id, MONDAY)))
    assert attempt is not None
    assert (attempt.channel, attempt.compliant, attempt.loan_id, attempt.reference) == (
        ContactChannel.WHATSAPP, True, loan.id, f"payment reminder: {loan.number}")
    assert attempt.attempted_at == local("2024-02-12T10:00")

    before = await counts(session)
    again = await remind(session, asha, at="2024-02-12T16:00")
    assert again.status is Status.ALREADY_SENT
    assert await counts(session) == before


async def test_whatsapp_without_a_template_outside_its_window_goes_by_sms(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, _ = await lender.borrower()
    no_template = ReminderPolicy(lender_name=LENDER, time_zone=PORT_OF_SPAIN)
    outcome = await remind(session, asha, policy=no_template)
    assert (outcome.status, outcome.channel) == (Status.SENT, ContactChannel.SMS)
    [row] = await outbox_of(session, asha)
    assert row.channel is Channel.SMS


async def test_an_opted_out_borrower_is_not_reminded_and_the_reasons_are_kept_once(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, _ = await lender.borrower()
    await set_opt_out(session, customer_id=asha.id, channel=ContactChannel.WHATSAPP,
                      opted_out=True, now=local("2024-02-01T09:00"), source="asked by phone",
                      actor=ACTOR)
    await opt_outs.set_opt_out(session, channel=Channel.SMS, address="+18685550101",
                               opted_out=True, keyword="STOP", now=local("2024-02-01T09:00"))
    before = await counts(session)
    outcome = await remind(session, asha)
    assert outcome.status is Status.SKIPPED
    assert outcome.reasons == (
        "WhatsApp: The borrower opted out of contact by WhatsApp.",
        "SMS: +18685550101 replied STOP, and nothing is sent to it until it replies START.")
    assert await outbox_of(session, asha) == []
    [skipped] = await session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "payment_reminder",
        AuditEvent.entity_id == f"{asha.id}:{MONDAY}"))
    assert skipped.action == "collections.reminder_skipped"
    assert skipped.after is not None
    assert skipped.after["codes"] == ["opted_out", "number_opted_out"]
    assert await counts(session) == {**before, "audit_events": before["audit_events"] + 1}
    again = await remind(session, asha, at="2024-02-12T15:00")
    assert again.status is Status.SKIPPED
    assert await counts(session) == {**before, "audit_events": before["audit_events"] + 1}


async def test_before_hours_it_is_deferred_to_the_opening_then_sent(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, _ = await lender.borrower()
    before = await counts(session)
    early = await remind(session, asha, at="2024-02-12T06:30")
    assert early.status is Status.DEFERRED
    assert early.retry_at == local("2024-02-12T08:00")
    assert await counts(session) == before, "a deferral writes nothing"
    on_time = await remind(session, asha, at="2024-02-12T08:00")
    assert on_time.status is Status.SENT


async def test_a_collectors_call_an_hour_ago_defers_it_until_cooling_off_ends(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, _ = await lender.borrower()
    await record_contact(session, customer_id=asha.id, channel=ContactChannel.VOICE,
                         purpose=ContactPurpose.COLLECTIONS, at=local("2024-02-12T09:00"),
                         actor_kind=ActorKind.HUMAN, actor="staff:7", idempotency_key="call-1")
    outcome = await remind(session, asha)
    assert outcome.status is Status.DEFERRED
    assert outcome.retry_at == local("2024-02-12T12:00")  # 3 hours after the call
    assert "contacts must be at least 3 hours apart" in outcome.reasons[0]


async def test_late_in_the_evening_it_is_skipped_not_carried_to_tomorrow(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, _ = await lender.borrower()
    late = await remind(session, asha, at="2024-02-12T20:30")
    assert late.status is Status.SKIPPED
    assert late.reasons[0].startswith("WhatsApp: It is 20:30 on Monday 2024-02-12 in the "
                                      "borrower's time zone")


async def test_sunday_is_closed_so_sundays_reminders_are_skipped(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, _ = await lender.borrower(start=dt.date(2024, 1, 14))  # due Wednesday 14 February
    sunday = dt.date(2024, 2, 11)
    outcome = await remind(session, asha, as_of=sunday, at="2024-02-11T10:00")
    assert outcome.status is Status.SKIPPED
    assert "No contact on Sundays" in outcome.reasons[0]


async def test_a_hold_stops_automated_reminders(session: AsyncSession, lender: Lender) -> None:
    asha, _ = await lender.borrower()
    await place_hold(session, customer_id=asha.id, hold_type=HoldType.HARDSHIP,
                     reason="lost her job", actor=ACTOR, starts_at=local("2024-02-05T09:00"))
    outcome = await remind(session, asha)
    assert outcome.status is Status.SKIPPED
    assert all("hardship" in reason for reason in outcome.reasons)
    assert await outbox_of(session, asha) == []


async def test_a_disputed_debt_is_not_reminded_of(session: AsyncSession, lender: Lender) -> None:
    asha, loan = await lender.borrower(start=dt.date(2023, 12, 15))  # in arrears since 15 Jan
    await run_delinquency(session, as_of=MONDAY, actor=ACTOR)
    [case_id] = await session.scalars(text(f"SELECT id FROM collection_cases "
                                           f"WHERE loan_id = {loan.id}"))
    await transition_case(session, case_id=case_id, target=CaseState.DISPUTED, reason="not mine",
                          actor=ACTOR, now=local("2024-02-12T09:00"))
    outcome = await remind(session, asha)
    assert outcome.status is Status.SKIPPED
    assert outcome.reasons[0].endswith(": the borrower disputes the debt.")


async def test_a_promise_due_tomorrow_is_reminded_with_the_instalment(
    session: AsyncSession, lender: Lender,
) -> None:
    asha, loan = await lender.borrower(start=dt.date(2023, 12, 15))  # in arrears since 15 Jan
    await run_delinquency(session, as_of=MONDAY, actor=ACTOR)
    [case_id] = await session.scalars(text(f"SELECT id FROM collection_cases "
                                           f"WHERE loan_id = {loan.id}"))
    await create_promise(session, case_id=case_id, amount=Money.of("888.49"),
                         promised_date=MONDAY + dt.timedelta(days=1), today=MONDAY, actor=ACTOR)
    [due] = [d for d in await reminders_due(session, as_of=MONDAY, days_before=(3, 0))
             if d.customer_id == asha.id]
    assert [item.kind for item in due.items] == [ItemKind.PROMISE, ItemKind.INSTALMENT]
    outcome = await remind(session, asha)
    assert outcome.status is Status.SENT
    [row] = await outbox_of(session, asha)
    case_number = await session.scalar(text(f"SELECT number FROM collection_cases "
                                            f"WHERE id = {case_id}"))
    assert (f"with a reminder: your promise to pay TTD 888.49 (case {case_number}) is due "
            f"tomorrow, Tuesday 13 February; and TTD 888.49 for loan {loan.number} is due in 3 "
            "days, Thursday 15 February.") in row.body


async def test_a_run_reminds_each_borrower_once_and_counts(
    session: AsyncSession, lender: Lender, sessions: async_sessionmaker[AsyncSession],
) -> None:
    asha, _ = await lender.borrower()
    ravi, _ = await lender.borrower("Ravi", preferred=ContactChannel.SMS)
    await lender.borrower("Kavita", time_zone="Asia/Tokyo")  # 23:00 there: after hours
    await lender.borrower("Lisa", start=dt.date(2024, 1, 20))  # due 20 Feb: nothing today
    customers = {asha.id, ravi.id}
    clock = iter([local("2024-02-12T10:00")] * 10)
    policy = ReminderPolicy(lender_name=LENDER, time_zone=PORT_OF_SPAIN, batch_size=2,
                            whatsapp_template="HXreminder")
    report = await run_reminders(sessions, as_of=MONDAY, policy=policy, clock=lambda: next(clock))
    assert report.channels == {"whatsapp": 1, "sms": 1}
    # Kavita's day opens at 08:00 Tuesday in Tokyo: 23:00 UTC, still Monday for the lender.
    assert report.retry_at == dt.datetime(2024, 2, 12, 23, 0, tzinfo=dt.UTC)
    assert report.summary() == ("2024-02-12: 2 sent (sms 1, whatsapp 1), 0 already sent, "
                                "1 deferred until 2024-02-12 23:00 UTC, 0 skipped, 0 failed")
    attempts = await session.scalar(select(func.count()).select_from(ContactAttempt).where(
        ContactAttempt.customer_id.in_(customers)))
    assert attempts == 2
    rerun = await run_reminders(sessions, as_of=MONDAY, policy=policy,
                                clock=lambda: local("2024-02-12T11:00"))
    assert (rerun.counts[Status.ALREADY_SENT], rerun.counts[Status.SENT]) == (2, 0)
