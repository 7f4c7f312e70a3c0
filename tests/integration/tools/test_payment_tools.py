"""Payment tools: a payment link for what is due, up to the payoff; a payment reported by the
borrower is recorded for staff and never posted to the loan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.collections.delinquency import run_delinquency
from core.collections.models import CaseContact, CaseNote, ContactOutcome
from core.payments.models import PaymentIntent
from tests.integration.tools.support import (
    ACTOR,
    AGENT,
    TT,
    audit_actions,
    borrower,
    call,
    context,
    lender,
    loan_for,
    snapshot,
)
from tools.loans import create_payment_link, report_payment

NOW = dt.datetime(2024, 2, 10, 11, 0, tzinfo=TT)
"""10 days past due: 888.49 overdue; the payoff is 10,131.76."""


async def test_link_for_what_is_overdue(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date(), email="asha@example.com")
    loan = await loan_for(session, asha)
    result = await call(create_payment_link, context(session, now=NOW, customer=asha))
    intent = await session.scalar(select(PaymentIntent))
    assert intent is not None
    assert result == {
        "url": f"https://lendline.example/pay/{intent.reference}",
        "reference": intent.reference, "amount": "888.49", "currency": "TTD",
        "loan_id": loan.id, "loan_number": loan.number,
        "expires_at": "2024-02-11T11:00:00-04:00", "other_loans": []}
    assert (intent.loan_id, intent.customer_id, intent.amount, intent.created_by) == (
        loan.id, asha.id, Decimal("888.49"), AGENT)
    assert await audit_actions(session) == ["payment_link.created"]


async def test_link_for_the_next_instalment_when_nothing_is_due(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha, start=dt.date(2024, 1, 20))
    result = await call(create_payment_link, context(session, now=NOW, customer=asha))
    assert result["amount"] == "888.49"


async def test_link_for_a_chosen_amount_up_to_the_payoff(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha)
    turn = context(session, now=NOW, customer=asha)
    assert (await call(create_payment_link, turn, amount="10131.76"))["amount"] == "10131.76"
    before = await snapshot(session)
    too_much = await call(create_payment_link, turn, amount="10131.77")
    assert too_much == {"error": "TTD 10,131.77 is more than the TTD 10,131.76 due on this "
                        "loan.", "kind": "ValidationError"}
    for bad in ("-100", "0", "a lot"):
        assert (await call(create_payment_link, turn, amount=bad))["kind"] == "ValidationError"
    assert await snapshot(session) == before


async def test_no_link_without_a_payment_provider_or_verification(
    session: AsyncSession,
) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha)
    before = await snapshot(session)
    offline = await call(create_payment_link,
                         context(session, now=NOW, customer=asha, payments=False))
    assert offline == {"error": "Card payments are not available right now; please try again "
                       "later or pay by bank transfer.", "kind": "PaymentProviderError"}
    unverified = await call(create_payment_link, context(session, now=NOW, claimed=asha))
    assert unverified["kind"] == "PermissionDenied"
    assert await snapshot(session) == before


async def test_reported_payment_is_recorded_not_posted(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    loan = await loan_for(session, asha)
    before = await snapshot(session)
    result = await call(report_payment, context(session, now=NOW, customer=asha),
                        amount="888.49", reference=" FT-2024-0042 ", paid_on="2024-02-09")
    assert result == {
        "recorded": True, "posted": False, "reference": "FT-2024-0042", "amount": "888.49",
        "currency": "TTD", "paid_on": "2024-02-09", "loan_id": loan.id,
        "loan_number": loan.number, "other_loans": []}
    after = await snapshot(session)
    assert after["loans"] == before["loans"]
    assert after["counts"]["loan_transactions"] == before["counts"]["loan_transactions"]
    event = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "loan.payment_reported"))
    assert event is not None and (event.entity_type, event.entity_id) == ("loan", str(loan.id))
    assert event.after == {"conversation_id": 4242, "amount": "888.49", "currency": "TTD",
                           "reference": "FT-2024-0042", "paid_on": "2024-02-09"}


async def test_reported_payment_on_a_collections_case(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha)
    await run_delinquency(session, as_of=NOW.date(), actor=ACTOR)
    await call(report_payment, context(session, now=NOW, customer=asha), amount="888.49",
               reference="FT-1", paid_on="2024-02-09")
    contact = await session.scalar(select(CaseContact))
    assert contact is not None and contact.outcome is ContactOutcome.PAID
    assert contact.note == ("Says they paid TTD 888.49 on 09 February 2024, reference FT-1; "
                            "to be matched when the money arrives.")
    await call(report_payment, context(session, now=NOW, customer=asha, channel="web"),
               amount="100", reference="FT-2", paid_on="2024-02-10")
    note = await session.scalar(select(CaseNote))
    assert note is not None and note.text.startswith("Paid (by web chat): Says they paid "
                                                     "TTD 100.00 on 10 February 2024")


async def test_report_refusals_write_nothing(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    await loan_for(session, asha)
    turn = context(session, now=NOW, customer=asha)
    before = await snapshot(session)
    cases = [
        ({"paid_on": "2024-02-11"}, "A payment cannot be dated in the future (11 February 2024)."),
        ({"paid_on": "2023-12-30"}, "Loan LN-"),
        ({"amount": "-5"}, "The amount must be more than zero; '-5' is not."),
        ({"reference": "   "}, "Please say the payment reference."),
        ({"loan_id": 999999}, "You have no loan 999999 with us."),
    ]
    for changes, message in cases:
        result = await call(report_payment, turn, **{
            "amount": "100", "reference": "FT-1", "paid_on": "2024-02-09", **changes})
        assert result["error"].startswith(message)
    assert await snapshot(session) == before
