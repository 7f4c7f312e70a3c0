"""Collections tools: a promise to pay on the loan's case, hardship and disputes recorded on
the case, in the audit trail and as contact holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.delinquency import run_delinquency
from core.collections.lifecycle import CaseState
from core.collections.models import (
    CaseContact,
    CaseNote,
    CollectionCase,
    ContactOutcome,
    PromiseToPay,
)
from core.compliance.holds import list_holds
from core.compliance.models import HoldType
from core.customers.models import Customer
from core.loans.models import Loan
from tests.integration.tools.support import (
    ACTOR,
    JUDGMENT_ID,
    TT,
    audit_actions,
    borrower,
    call,
    context,
    lender,
    loan_for,
    snapshot,
)
from tools.collections import promise_to_pay, raise_dispute, request_hardship

NOW = dt.datetime(2024, 2, 10, 11, 0, tzinfo=TT)
"""10 days past due: 888.49 overdue, the next 888.49 due 29 February."""


async def in_arrears(session: AsyncSession) -> tuple[Customer, Loan, CollectionCase]:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha)
    await run_delinquency(session, as_of=NOW.date(), actor=ACTOR)
    case = await session.scalar(select(CollectionCase).where(CollectionCase.loan_id == loan.id))
    assert case is not None
    return asha, loan, case


async def test_promise_to_pay(session: AsyncSession) -> None:
    asha, loan, case = await in_arrears(session)
    result = await call(promise_to_pay, context(session, now=NOW, customer=asha),
                        amount="888.49", date="2024-02-20")
    promise = await session.scalar(select(PromiseToPay))
    assert promise is not None
    assert result == {"promise_id": promise.id, "amount": "888.49", "date": "2024-02-20",
                      "currency": "TTD", "grace_days": 3, "loan_id": loan.id,
                      "loan_number": loan.number, "other_loans": []}
    assert (promise.case_id, promise.amount, promise.promised_date) == (
        case.id, Decimal("888.49"), dt.date(2024, 2, 20))
    contact = await session.scalar(select(CaseContact))
    assert contact is not None and contact.outcome is ContactOutcome.PROMISE_TO_PAY
    assert await audit_actions(session) == ["collections.promise_made",
                                            "collections.contact_logged"]


async def test_promise_refusals_write_nothing(session: AsyncSession) -> None:
    asha, _, _ = await in_arrears(session)
    turn = context(session, now=NOW, customer=asha)
    before = await snapshot(session)
    cases = [
        ({"date": "2024-03-12"}, "A promise must be dated from today (10 February 2024) to "
                                 "11 March 2024 (30 days); 12 March 2024 is outside that."),
        ({"date": "2024-02-09"}, "A promise must be dated from today"),
        ({"amount": "1776.99"}, "A promise of TTD 1,776.99 is more than the TTD 1,776.98 "
                                "owed now plus the next instalment"),
        ({"amount": "0"}, "The amount must be more than zero; '0' is not."),
        ({"amount": "soon"}, "'soon' is not an amount in TTD"),
    ]
    for changes, message in cases:
        result = await call(promise_to_pay, turn,
                            **{"amount": "888.49", "date": "2024-02-20", **changes})
        assert result["error"].startswith(message), result
    assert await snapshot(session) == before


async def test_no_promise_on_a_loan_that_is_not_in_arrears(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha, start=dt.date(2024, 1, 20))
    before = await snapshot(session)
    result = await call(promise_to_pay, context(session, now=NOW, customer=asha),
                        amount="888.49", date="2024-02-20")
    assert result == {"error": f"Loan {loan.number} is not being collected, so there is no "
                      "promise to record; a payment link pays it now.",
                      "kind": "ConflictError"}
    assert await snapshot(session) == before


async def test_hardship_pauses_reminders_and_is_logged(session: AsyncSession) -> None:
    asha, loan, case = await in_arrears(session)
    turn = context(session, now=NOW, customer=asha)
    result = await call(request_hardship, turn, detail="I lost my job  last week.")
    assert result == {"recorded": True, "loan_id": loan.id, "loan_number": loan.number,
                      "case_number": case.number, "reminders_paused": True,
                      "other_loans": []}
    (hold,) = await list_holds(session, customer_id=asha.id, active_at=NOW)
    assert (hold.hold_type, hold.ends_at, hold.placed_by) == (
        HoldType.HARDSHIP, None, "agent:conversation-4242")
    assert hold.reason == f"Hardship reported on loan {loan.number}: I lost my job last week."
    contact = await session.scalar(select(CaseContact))
    assert contact is not None and contact.outcome is ContactOutcome.HARDSHIP
    assert await audit_actions(session) == [
        "loan.hardship_requested", "collections.contact_logged", "compliance.hold_placed"]
    again = await call(request_hardship, turn, detail="Still no work.")
    assert again["reminders_paused"] is False
    assert len(await list_holds(session, customer_id=asha.id)) == 1


async def test_dispute_moves_the_case_and_stops_promises(session: AsyncSession) -> None:
    asha, _, case = await in_arrears(session)
    turn = context(session, now=NOW, customer=asha, channel="web")
    result = await call(raise_dispute, turn, detail="I paid January at the branch.")
    assert (result["recorded"], result["case_number"], result["contact_paused"]) == (
        True, case.number, True)
    await session.refresh(case)
    assert case.state is CaseState.DISPUTED
    note = await session.scalar(select(CaseNote))
    assert note is not None
    assert note.text == "Dispute (by web chat): I paid January at the branch."
    (hold,) = await list_holds(session, customer_id=asha.id, active_at=NOW)
    assert hold.hold_type is HoldType.DISPUTE
    assert await audit_actions(session) == [
        "loan.dispute_raised", "collections.case_transition", "collections.note_added",
        "compliance.hold_placed"]
    refused = await call(promise_to_pay, turn, amount="100", date="2024-02-20")
    assert refused["error"] == f"Case {case.number} is disputed; it takes no promises."


async def test_hardship_without_a_case_still_recorded(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha, start=dt.date(2024, 1, 20))
    result = await call(request_hardship, context(session, now=NOW, customer=asha),
                        detail="My hours were cut.")
    assert (result["case_number"], result["reminders_paused"]) == (None, True)
    assert await audit_actions(session) == ["loan.hardship_requested", "compliance.hold_placed"]
    assert result["loan_id"] == loan.id


async def test_another_customers_loan_or_no_verification(session: AsyncSession) -> None:
    asha, _, _ = await in_arrears(session)
    ravi = await borrower(session, today=NOW.date(), national_id=JUDGMENT_ID)
    his = await loan_for(session, ravi)
    before = await snapshot(session)
    turn = context(session, now=NOW, customer=asha)
    for tool, arguments in ((promise_to_pay, {"amount": "100", "date": "2024-02-20"}),
                            (request_hardship, {"detail": "help"}),
                            (raise_dispute, {"detail": "wrong"})):
        theirs = await call(tool, turn, loan_id=his.id, **arguments)
        assert theirs == {"error": f"You have no loan {his.id} with us.",
                          "kind": "NotFoundError"}
        unverified = await call(tool, context(session, now=NOW, claimed=asha), **arguments)
        assert unverified["kind"] == "PermissionDenied"
    empty = await call(request_hardship, turn, detail="   ")
    assert empty["error"] == "Please say the hardship details."
    assert await snapshot(session) == before
