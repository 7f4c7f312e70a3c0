"""Cases: the lifecycle enforced, the contact log moving the case, notes, history, queues
ordered by priority, and the Python and SQL priority agreeing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.assignment import assign_case
from core.collections.buckets import Bucket
from core.collections.case_sync import rescore
from core.collections.cases import (
    case_detail,
    list_cases,
    load_case,
    queue_summary,
    rescore_case,
    transition_case,
)
from core.collections.contacts import add_note, log_contact
from core.collections.delinquency import run_delinquency
from core.collections.lifecycle import CaseState, CloseReason
from core.collections.models import CollectionCase, ContactDirection, ContactOutcome
from core.compliance.service import contact_history
from core.customers.models import ContactChannel
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.loans.repayment import record_repayment
from core.loans.servicing import run_servicing
from core.money import Money
from tests.integration.collections.helpers import (
    ACTOR,
    actions,
    case_of,
    collector,
    counts,
    month_end_loans,
)
from tests.integration.servicing_book import m

D = dt.date
NOW = dt.datetime(2024, 2, 12, 14, 0, tzinfo=dt.UTC)


async def open_case(session: AsyncSession) -> CollectionCase:
    """A case opened on 10 February 2024, 10 days past due."""
    (loan,) = await month_end_loans(session)
    await run_delinquency(session, as_of=D(2024, 2, 10), actor=ACTOR)
    case = await case_of(session, loan_id=loan.id)
    assert case is not None
    return case


async def test_the_lifecycle_is_enforced_and_audited(session: AsyncSession) -> None:
    case = await open_case(session)
    officer = await collector(session, "Dana Officer")
    await assign_case(session, case_id=case.id, officer_id=officer.id, actor=ACTOR, now=NOW)
    before = await counts(session)
    with pytest.raises(InvalidTransition) as skipped:
        await transition_case(session, case_id=case.id, target=CaseState.SETTLED, actor=ACTOR,
                              now=NOW)
    assert skipped.value.message == (
        f"Case {case.number} is assigned and not yet in contact; it cannot be marked settled. "
        "From here it can go to: disputed, in_contact.")
    with pytest.raises(ValidationError, match="Say what the borrower disputes"):
        await transition_case(session, case_id=case.id, target=CaseState.DISPUTED, actor=ACTOR,
                              now=NOW, reason="  ")
    with pytest.raises(ValidationError, match="Assign the case to an officer"):
        await transition_case(session, case_id=case.id, target=CaseState.ASSIGNED, actor=ACTOR,
                              now=NOW)
    with pytest.raises(NotFoundError, match="There is no collections case 0"):
        await transition_case(session, case_id=0, target=CaseState.IN_CONTACT, actor=ACTOR,
                              now=NOW)
    assert await counts(session) == before
    assert (await load_case(session, case.id)).state is CaseState.ASSIGNED

    path = [CaseState.IN_CONTACT, CaseState.DISPUTED, CaseState.IN_CONTACT,
            CaseState.NEGOTIATING, CaseState.PAYMENT_PLAN, CaseState.SETTLED, CaseState.CLOSED]
    for target in path:
        moved = await transition_case(session, case_id=case.id, target=target, actor=ACTOR,
                                      now=NOW, reason="borrower says the fee is wrong")
        assert moved.state is target
    closed = await load_case(session, case.id)
    assert (closed.closed_on, closed.close_reason) == (NOW.date(), CloseReason.SETTLED)
    history = await actions(session, "collection_case", case.id)
    assert history == ["collections.case_opened", "collections.case_assigned",
                       *["collections.case_transition"] * len(path)]
    with pytest.raises(InvalidTransition):
        await transition_case(session, case_id=case.id, target=CaseState.DISPUTED, actor=ACTOR,
                              now=NOW, reason="too late")


async def test_contacts_move_the_case_and_are_logged_with_compliance(
    session: AsyncSession,
) -> None:
    case = await open_case(session)
    officer = await collector(session, "Dana Officer")
    await assign_case(session, case_id=case.id, officer_id=officer.id, actor=ACTOR, now=NOW)
    first = NOW - dt.timedelta(hours=3)
    await log_contact(session, case_id=case.id, channel=ContactChannel.VOICE,
                      direction=ContactDirection.OUTBOUND, outcome=ContactOutcome.NO_ANSWER,
                      at=first, now=NOW, actor=ACTOR)
    assert (await load_case(session, case.id)).state is CaseState.ASSIGNED
    await log_contact(session, case_id=case.id, channel=ContactChannel.VOICE,
                      direction=ContactDirection.OUTBOUND, outcome=ContactOutcome.REFUSED,
                      at=NOW, now=NOW, actor=ACTOR, note="Will not pay until payday.")
    reached = await load_case(session, case.id)
    assert (reached.state, reached.last_contact_at) == (CaseState.IN_CONTACT, NOW)
    assert reached.priority == 10 + 5 + 0  # contacted today
    assert case.customer_id is not None
    logged = await contact_history(session, customer_id=case.customer_id)
    assert [a.attempted_at for a in logged] == [NOW, first]
    await log_contact(session, case_id=case.id, channel=ContactChannel.WHATSAPP,
                      direction=ContactDirection.INBOUND, outcome=ContactOutcome.DISPUTE,
                      at=NOW, now=NOW, actor=ACTOR)
    assert (await load_case(session, case.id)).state is CaseState.DISPUTED
    assert len(await contact_history(session, customer_id=case.customer_id)) == 2  # inbound
    await add_note(session, case_id=case.id, text="Sent the statement by email.", actor=ACTOR)

    detail = await case_detail(session, case_id=case.id)
    assert [c.outcome for c in detail.contacts] == [
        ContactOutcome.DISPUTE, ContactOutcome.REFUSED, ContactOutcome.NO_ANSWER]
    assert [n.text for n in detail.notes] == ["Sent the statement by email."]
    assert [e.action for e in detail.history][-3:] == [
        "collections.contact_logged", "collections.case_transition", "collections.note_added"]


async def test_bad_contacts_and_notes_change_nothing(session: AsyncSession) -> None:
    case = await open_case(session)
    before = await counts(session)
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"at": NOW + dt.timedelta(minutes=1)}, "A contact cannot be logged in the future"),
        ({"at": NOW.replace(tzinfo=None)}, "needs a time zone"),
        ({"note": "x" * 4001}, "longer than 4000 characters"),
    ]
    for changes, message in refusals:
        values: dict[str, Any] = {"at": NOW, "note": None, **changes}
        with pytest.raises(ValidationError, match=message):
            await log_contact(session, case_id=case.id, channel=ContactChannel.SMS,
                              direction=ContactDirection.OUTBOUND,
                              outcome=ContactOutcome.DELIVERED, now=NOW, actor=ACTOR, **values)
    with pytest.raises(ValidationError, match="The note cannot be empty"):
        await add_note(session, case_id=case.id, text=" \n ", actor=ACTOR)
    assert await counts(session) == before


async def test_a_closed_case_takes_no_contact(session: AsyncSession) -> None:
    case = await open_case(session)
    for target in (CaseState.DISPUTED, CaseState.IN_CONTACT, CaseState.NEGOTIATING,
                   CaseState.SETTLED, CaseState.CLOSED):
        await transition_case(session, case_id=case.id, target=target, actor=ACTOR, now=NOW,
                              reason="statement queried")
    with pytest.raises(ConflictError, match="is closed; log contacts on an open case"):
        await log_contact(session, case_id=case.id, channel=ContactChannel.SMS,
                          direction=ContactDirection.OUTBOUND, outcome=ContactOutcome.DELIVERED,
                          at=NOW, now=NOW, actor=ACTOR)


async def test_queues_by_bucket_most_urgent_first(session: AsyncSession) -> None:
    """Three loans fall behind on different dates: on 15 April they are 75, 46 and 15 days
    past due (29 February to 15 April is 46 days); the SQL score of the run equals the Python
    one."""
    loans = await month_end_loans(session, 3)
    await run_servicing(session, as_of=D(2024, 1, 31), actor=ACTOR)
    await record_repayment(session, loan_id=loans[1].id, amount=m("888.49"),
                           paid_on=D(2024, 1, 31), idempotency_key="l1-jan", actor=ACTOR)
    await record_repayment(session, loan_id=loans[2].id, amount=m("888.49"),
                           paid_on=D(2024, 1, 31), idempotency_key="l2-jan", actor=ACTOR)
    await run_servicing(session, as_of=D(2024, 2, 29), actor=ACTOR)
    await record_repayment(session, loan_id=loans[2].id, amount=m("888.49"),
                           paid_on=D(2024, 2, 29), idempotency_key="l2-feb", actor=ACTOR)
    await run_delinquency(session, as_of=D(2024, 4, 15), actor=ACTOR)
    found = await list_cases(session)
    assert [(c.loan_id, c.bucket, c.days_past_due, c.priority) for c in found] == [
        (loans[0].id, Bucket.DPD_61_90, 75, 40 + 10 + 10),
        (loans[1].id, Bucket.DPD_31_60, 46, 25 + 5 + 10),
        (loans[2].id, Bucket.DPD_1_30, 15, 10 + 5 + 10),
    ]
    assert [c.loan_id for c in await list_cases(session, bucket=Bucket.DPD_31_60)] == [
        loans[1].id]
    summary = await queue_summary(session, currency="TTD")
    assert [(q.bucket, q.open_cases, q.unassigned, q.arrears) for q in summary] == [
        (Bucket.DPD_1_30, 1, 1, Money.of("888.49")),
        (Bucket.DPD_31_60, 1, 1, Money.of("1776.98")),
        (Bucket.DPD_61_90, 1, 1, Money.of("2665.47")),
        (Bucket.DPD_90_PLUS, 0, 0, Money.of("0.00")),
    ]
    for case in found:
        expected = case.priority
        rescore_case(case, today=D(2024, 4, 15), time_zone="America/Port_of_Spain")
        assert case.priority == expected
    assert await rescore(session, as_of=D(2024, 4, 15), time_zone="America/Port_of_Spain") == 0
    with pytest.raises(ValidationError, match="Ask for 1 to 500 cases"):
        await list_cases(session, limit=0)
