"""Applications end to end through the service: the happy path to a signed contract and
disbursement, a referral decided by staff as a counter-offer, hire purchase, draft changes
and the expiry batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions, signing
from core.applications.lifecycle import Status
from core.applications.models import Application, ApplicationChannel
from core.applications.offers import HirePurchaseRequest
from core.applications.repository import ENTITY, load_by_reference
from core.applications.service import (
    create_application,
    expire_stale_applications,
    mark_disbursed,
    submit_application,
    update_draft,
    withdraw_application,
)
from core.audit import trail
from core.customers.models import Customer
from core.errors import NotFoundError
from core.products.models import LoanProduct, Merchant
from tests.integration.applications.conftest import ACTOR, NOW, SECRET, ttd
from tests.integration.applications.helpers import pdf_text

START = dt.date(2025, 3, 10)


async def statuses(session: AsyncSession, application: Application) -> list[str]:
    events = await trail.history(session, entity_type=ENTITY, entity_id=application.id)
    return [e.after["status"] for e in events if e.after and "status" in e.after]


async def test_happy_path_from_draft_to_disbursed(
    session: AsyncSession, draft: Application, customer: Customer
) -> None:
    assert draft.reference == f"APP-{draft.id:06d}"
    assert await load_by_reference(session, f" {draft.reference.lower()} ") is draft
    with pytest.raises(NotFoundError, match="no application APP-999999"):
        await load_by_reference(session, "app-999999")
    assert (draft.status, draft.requested_amount, draft.requested_term) == (
        Status.DRAFT, Decimal("10000.00"), 12)
    assert draft.expires_on == dt.date(2025, 4, 2)

    later = NOW + dt.timedelta(hours=1)
    await submit_application(session, application_id=draft.id, actor=ACTOR, now=later)
    assert (draft.status, draft.submitted_at, draft.expires_on) == (Status.SUBMITTED, later, None)

    trace = {"score": 712, "band": "A", "rules": [{"rule": "dti", "value": Decimal("0.31")}]}
    await decisions.record_decision(
        session, application_id=draft.id, outcome="approved", trace=trace, risk_band="a",
        actor="engine", now=later,
    )
    assert (draft.status, draft.decision_outcome, draft.risk_band) == (
        Status.APPROVED, Status.APPROVED, "A")
    assert (draft.offered_amount, draft.offered_term, draft.offered_rate) == (
        Decimal("10000.00"), 12, Decimal("0.12"))
    assert draft.decision_trace == {"score": 712, "band": "A",
                                    "rules": [{"rule": "dti", "value": "0.31"}]}
    assert draft.expires_on == dt.date(2025, 4, 2)

    await decisions.accept_offer(session, application_id=draft.id, actor=f"customer:{customer.id}",
                                 now=later, channel="whatsapp")
    assert (draft.status, draft.accepted_at, draft.expires_on) == (
        Status.ACCEPTED, later, dt.date(2025, 3, 17))

    generated = await signing.generate_agreement(
        session, application_id=draft.id, lender_name="Island Credit Union",
        otp_secret=SECRET, start_date=START, actor=ACTOR, now=later,
    )
    agreement = generated.agreement
    assert agreement.version == 1 and len(generated.code.code) == 6
    assert generated.code.purpose == f"agreement:{draft.reference}"
    assert generated.code.subject == f"customer:{customer.id}"
    assert agreement.terms == {
        "amount": "10000.00", "term": 12, "rate": "0.12", "apr": "0.1706",
        "frequency": "monthly", "start_date": "2025-03-10", "first_due_date": "2025-04-10",
        "instalment": "888.49", "total_interest": "661.86", "total_fees": "200.00",
        "cost_of_credit": "861.86", "total_payable": "10661.86",
    }
    text = pdf_text(agreement.pdf)
    for expected in [draft.reference, "Island Credit Union", "Ana Pérez", customer.number,
                     "Test Cash Loan", "Home repairs", "TTD 10,000.00", "Paid out to you",
                     "TTD 9,800.00", "Origination fee", "TTD 200.00", "12.00%", "17.06%",
                     "TTD 888.49 (the last is TTD 888.47)", "TTD 661.86", "TTD 861.86",
                     "TTD 10,661.86", "2025-04-10", "2026-03-10"]:
        assert expected in text, expected

    signed = await signing.sign_agreement(
        session, application_id=draft.id, code=generated.code.code, otp_secret=SECRET,
        channel=ApplicationChannel.WHATSAPP, address="whatsapp:+18685550101",
        actor=f"customer:{customer.id}", now=later + dt.timedelta(minutes=2),
    )
    assert signed.signed and signed.agreement is agreement
    assert (agreement.accepted_at, agreement.accepted_by_customer_id, agreement.otp_verified) == (
        later + dt.timedelta(minutes=2), customer.id, True)
    assert (agreement.acceptance_channel, agreement.acceptance_address) == (
        ApplicationChannel.WHATSAPP, "whatsapp:+18685550101")
    assert (draft.status, draft.signed_at) == (
        Status.CONTRACT_SIGNED, later + dt.timedelta(minutes=2))

    await mark_disbursed(session, application_id=draft.id, loan_id=77, actor="servicing",
                         now=later + dt.timedelta(days=7))
    assert (draft.status, draft.loan_id) == (Status.DISBURSED, 77)
    assert await statuses(session, draft) == [
        "draft", "submitted", "approved", "accepted", "contract_signed", "disbursed"]


async def test_referral_decided_by_staff_as_a_counter_offer(
    session: AsyncSession, draft: Application
) -> None:
    await submit_application(session, application_id=draft.id, actor=ACTOR, now=NOW)
    engine_trace = {"score": 598, "reasons": ["thin file"]}
    await decisions.record_decision(session, application_id=draft.id, outcome="referred",
                                    trace=engine_trace, risk_band="B", actor="engine", now=NOW)
    assert (draft.status, draft.referred_at, draft.risk_band) == (Status.REFERRED, NOW, "B")
    assert draft.offered_amount is None

    await decisions.record_staff_decision(
        session, application_id=draft.id, outcome=Status.COUNTER_OFFERED, actor="staff:9",
        reason="  Income supports a smaller loan ", offered_amount=ttd(8000), now=NOW,
    )
    assert (draft.status, draft.decided_by, draft.decided_at) == (
        Status.COUNTER_OFFERED, "staff:9", NOW)
    assert (draft.offered_amount, draft.offered_term, draft.offered_rate) == (
        Decimal("8000.00"), 12, Decimal("0.18"))
    assert draft.decision_trace == {"staff_override": True, "decided_by": "staff:9",
                                    "reason": "Income supports a smaller loan",
                                    "engine": engine_trace}

    await decisions.accept_offer(session, application_id=draft.id, actor="customer", now=NOW)
    generated = await signing.generate_agreement(
        session, application_id=draft.id, lender_name="Lender", otp_secret=SECRET,
        start_date=START, actor=ACTOR, now=NOW,
    )
    assert generated.agreement.terms["amount"] == "8000.00"
    assert generated.agreement.terms["rate"] == "0.18"
    assert generated.agreement.terms["instalment"] == "733.44"  # 8000 × 0.015 / (1 − 1.015^−12)
    assert "TTD 8,000.00" in pdf_text(generated.agreement.pdf)


async def test_counter_offer_straight_from_submission_at_a_decided_rate(
    session: AsyncSession, draft: Application
) -> None:
    await submit_application(session, application_id=draft.id, actor=ACTOR, now=NOW)
    await decisions.record_decision(
        session, application_id=draft.id, outcome=Status.COUNTER_OFFERED, trace={},
        risk_band="A", offered_term=24, offered_rate=Decimal("0.15"), actor="engine", now=NOW,
        expires_on=dt.date(2025, 3, 10),
    )
    assert (draft.offered_amount, draft.offered_term, draft.offered_rate, draft.expires_on) == (
        Decimal("10000.00"), 24, Decimal("0.15"), dt.date(2025, 3, 10))


async def test_hire_purchase_application_finances_price_less_down_payment(
    session: AsyncSession, customer: Customer, hp_product: LoanProduct, merchant: Merchant
) -> None:
    goods = HirePurchaseRequest(
        merchant_code="test_shop", category_code="appliances", branch_name="chaguanas",
        item_description="Fridge  FR-200", price=ttd(6000), down_payment=ttd(600),
    )
    application = await create_application(
        session, customer_id=customer.id, product_code="TEST_HP", term=12, goods=goods,
        channel=ApplicationChannel.MERCHANT, now=NOW, actor=ACTOR,
    )
    assert application.requested_amount == Decimal("5400.00")
    assert (application.merchant_id, application.item_description, application.item_price,
            application.down_payment) == (merchant.id, "Fridge FR-200", Decimal("6000.00"),
                                          Decimal("600.00"))
    assert application.branch_id == merchant.branches[0].id
    await update_draft(session, application_id=application.id, actor=ACTOR, now=NOW,
                       term=18)
    assert (application.requested_amount, application.requested_term) == (Decimal("5400.00"), 18)
    await submit_application(session, application_id=application.id, actor=ACTOR, now=NOW)
    await decisions.record_decision(session, application_id=application.id, outcome="approved",
                                    trace={}, risk_band="A", actor="engine", now=NOW)
    await decisions.accept_offer(session, application_id=application.id, actor="c", now=NOW)
    generated = await signing.generate_agreement(
        session, application_id=application.id, lender_name="Lender", otp_secret=SECRET,
        start_date=START, actor=ACTOR, now=NOW,
    )
    text = pdf_text(generated.agreement.pdf)
    for expected in ["Fridge FR-200 from Test Appliance Shop", "TTD 6,000.00", "TTD 600.00",
                     "TTD 5,400.00", "No fees are charged on this loan."]:
        assert expected in text, expected


async def test_update_draft_changes_and_audits_only_what_changed(
    session: AsyncSession, draft: Application
) -> None:
    await update_draft(session, application_id=draft.id, actor="staff:2", now=NOW,
                       amount=ttd(12000), purpose="Roof", term=12)
    assert (draft.requested_amount, draft.requested_term, draft.purpose) == (
        Decimal("12000.00"), 12, "Roof")
    events = await trail.history(session, entity_type=ENTITY, entity_id=draft.id)
    assert events[-1].action == "application.updated"
    assert events[-1].before == {"requested_amount": "10000.00", "purpose": "Home repairs"}
    assert events[-1].after == {"requested_amount": "12000.00", "purpose": "Roof"}
    again = await update_draft(session, application_id=draft.id, actor="staff:2", now=NOW,
                               amount=ttd(12000))
    assert again is draft
    assert len(await trail.history(session, entity_type=ENTITY, entity_id=draft.id)) == 2


async def test_expiry_batch_lapses_drafts_offers_and_unsigned_acceptances_only(
    session: AsyncSession, customer: Customer, product: LoanProduct, draft: Application
) -> None:
    async def new() -> Application:
        return await create_application(
            session, customer_id=customer.id, product_code="TEST_CASH", amount=ttd(6000),
            term=6, channel=ApplicationChannel.SMS, now=NOW, actor=ACTOR,
        )

    submitted, offered, accepted, withdrawn = await new(), await new(), await new(), await new()
    for application in (submitted, offered, accepted):
        await submit_application(session, application_id=application.id, actor=ACTOR, now=NOW)
    for application in (offered, accepted):
        await decisions.record_decision(session, application_id=application.id, trace={},
                                        outcome="approved", risk_band="A", actor="e", now=NOW)
    await decisions.accept_offer(session, application_id=accepted.id, actor="c", now=NOW)
    await withdraw_application(session, application_id=withdrawn.id, actor="c", now=NOW,
                               reason="Changed my mind")
    assert withdrawn.closed_reason == "Changed my mind"

    run = NOW + dt.timedelta(days=20)
    assert await expire_stale_applications(session, as_of=dt.date(2025, 3, 17), actor="batch",
                                           now=run) == []
    assert await expire_stale_applications(session, as_of=dt.date(2025, 3, 18), actor="batch",
                                           now=run) == [accepted.reference]
    assert await expire_stale_applications(session, as_of=dt.date(2025, 4, 3), actor="batch",
                                           now=run) == [draft.reference, offered.reference]
    assert (draft.status, draft.expired_at, draft.closed_reason) == (
        Status.EXPIRED, run, "Not completed by 02 April 2025.")
    assert (submitted.status, withdrawn.status) == (Status.SUBMITTED, Status.WITHDRAWN)
