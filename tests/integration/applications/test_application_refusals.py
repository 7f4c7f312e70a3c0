"""Every refused request says why and leaves the database exactly as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions, signing
from core.applications.models import Application, ApplicationChannel
from core.applications.offers import HirePurchaseRequest
from core.applications.service import (
    create_application,
    mark_disbursed,
    submit_application,
    update_draft,
    withdraw_application,
)
from core.customers.consents import withdraw_consent
from core.customers.models import ConsentType, Customer, CustomerStatus
from core.customers.service import set_customer_status
from core.errors import ConflictError, DomainError, InvalidTransition, NotFoundError
from core.errors import ValidationError as Invalid
from core.products.models import LoanProduct, Merchant
from tests.integration.applications.conftest import ACTOR, NOW, SECRET, ttd
from tests.integration.applications.helpers import snapshot

Action = Callable[[AsyncSession, int], Awaitable[Any]]


def submit(s: AsyncSession, i: int) -> Awaitable[Any]:
    return submit_application(s, application_id=i, actor=ACTOR, now=NOW)


def approve(s: AsyncSession, i: int) -> Awaitable[Any]:
    return decisions.record_decision(s, application_id=i, outcome="approved", trace={},
                                     risk_band="A", actor="e", now=NOW)


def decline(s: AsyncSession, i: int) -> Awaitable[Any]:
    return decisions.record_decision(s, application_id=i, outcome="declined", trace={},
                                     actor="e", now=NOW)


def refer(s: AsyncSession, i: int) -> Awaitable[Any]:
    return decisions.record_decision(s, application_id=i, outcome="referred", trace={},
                                     risk_band="B", actor="e", now=NOW)


def accept(s: AsyncSession, i: int) -> Awaitable[Any]:
    return decisions.accept_offer(s, application_id=i, actor="c", now=NOW)


def generate(s: AsyncSession, i: int) -> Awaitable[Any]:
    return signing.generate_agreement(s, application_id=i, lender_name="L", otp_secret=SECRET,
                                      start_date=NOW.date(), actor=ACTOR, now=NOW)


def sign(s: AsyncSession, i: int) -> Awaitable[Any]:
    return signing.sign_agreement(s, application_id=i, code="000000", otp_secret=SECRET,
                                  channel=ApplicationChannel.SMS, address="+18685550101",
                                  actor="c", now=NOW)


def withdraw(s: AsyncSession, i: int) -> Awaitable[Any]:
    return withdraw_application(s, application_id=i, actor="c", now=NOW)


def disburse(s: AsyncSession, i: int) -> Awaitable[Any]:
    return mark_disbursed(s, application_id=i, loan_id=1, actor="servicing", now=NOW)


def staff_decide(s: AsyncSession, i: int) -> Awaitable[Any]:
    return decisions.record_staff_decision(s, application_id=i, outcome="approved",
                                           reason="ok", risk_band="A", actor="staff:1", now=NOW)


def change(s: AsyncSession, i: int) -> Awaitable[Any]:
    return update_draft(s, application_id=i, actor=ACTOR, now=NOW, term=24)


PATHS: dict[str, list[Action]] = {
    "draft": [],
    "submitted": [submit],
    "referred": [submit, refer],
    "approved": [submit, approve],
    "declined": [submit, decline],
    "accepted": [submit, approve, accept],
    "withdrawn": [withdraw],
}
REFUSED = [
    ("draft", approve, "is still a draft; it cannot be approved"),
    ("draft", accept, "is still a draft; it cannot be accepted"),
    ("draft", sign, "is still a draft; it cannot be signed"),
    ("draft", generate, "is still a draft; an agreement is prepared only for an accepted"),
    ("draft", disburse, "is still a draft; it cannot be disbursed"),
    ("submitted", submit, "awaiting a decision; it cannot be submitted"),
    ("submitted", accept, "awaiting a decision; it cannot be accepted"),
    ("submitted", staff_decide, "awaiting a decision; staff decide only referred"),
    ("submitted", change, "awaiting a decision; only a draft can be changed"),
    ("referred", refer, "is referred for review; it cannot be referred"),
    ("approved", approve, "is approved; it cannot be approved"),
    ("approved", generate, "is approved; an agreement is prepared only"),
    ("approved", sign, "is approved; it cannot be signed"),
    ("declined", accept, "is declined; it cannot be accepted"),
    ("declined", withdraw, "is declined; it cannot be withdrawn"),
    ("declined", approve, "is declined; it cannot be approved"),
    ("accepted", disburse, "is accepted; it cannot be disbursed"),
    ("accepted", accept, "is accepted; it cannot be accepted"),
    ("withdrawn", submit, "is withdrawn; it cannot be submitted"),
    ("withdrawn", withdraw, "is withdrawn; it cannot be withdrawn"),
]


@pytest.mark.parametrize(("state", "action", "message"), REFUSED,
                         ids=[f"{s}-{a.__name__}" for s, a, _ in REFUSED])
async def test_refused_transition_changes_nothing(
    session: AsyncSession, draft: Application, state: str, action: Action, message: str
) -> None:
    for step in PATHS[state]:
        await step(session, draft.id)
    before = await snapshot(session)
    with pytest.raises(InvalidTransition) as caught:
        await action(session, draft.id)
    assert caught.value.message.startswith(f"Application {draft.reference} ")
    assert message in caught.value.message
    assert await snapshot(session) == before


async def expect(
    session: AsyncSession, error: type[DomainError], message: str, call: Awaitable[Any]
) -> None:
    before = await snapshot(session)
    with pytest.raises(error, match=message):
        await call
    assert await snapshot(session) == before


async def test_drafts_outside_the_product_are_refused(
    session: AsyncSession, customer: Customer, product: LoanProduct
) -> None:
    def new(**kwargs: Any) -> Awaitable[Any]:
        values: dict[str, Any] = {"customer_id": customer.id, "product_code": "TEST_CASH",
                                  "amount": ttd(10000), "term": 12, "channel": "sms",
                                  "now": NOW, "actor": ACTOR}
        return create_application(session, **{**values, **kwargs})

    await expect(session, Invalid, "from TTD 5,000.00 to TTD 50,000.00; TTD 4,999.99 is",
                 new(amount=ttd("4999.99")))
    await expect(session, Invalid, "runs from 6 months to 36 months; 37 is outside",
                 new(term=37))
    await expect(session, Invalid, "lends in TTD", new(amount=ttd(1).__class__.of(1000, "USD")))
    await expect(session, Invalid, "how much", new(amount=None))
    await expect(session, Invalid, "not a hire-purchase product",
                 new(goods=HirePurchaseRequest(merchant_code="X", category_code="Y",
                                               item_description="Z", price=ttd(9000),
                                               down_payment=ttd(900))))
    await expect(session, Invalid, "not a channel", new(channel="pigeon"))
    await expect(session, NotFoundError, "no loan product 'NOPE'", new(product_code="nope"))
    await expect(session, NotFoundError, "no customer with id 0", new(customer_id=0))
    await expect(session, Invalid, "time zone", new(now=dt.datetime(2025, 3, 3)))
    await set_customer_status(session, customer_id=customer.id, status=CustomerStatus.BLOCKED,
                              actor=ACTOR, reason="fraud check")
    await expect(session, ConflictError, "is blocked; they cannot apply", new())


async def test_hire_purchase_goods_are_checked(
    session: AsyncSession, customer: Customer, hp_product: LoanProduct, merchant: Merchant
) -> None:
    def new(**kwargs: Any) -> Awaitable[Any]:
        goods: dict[str, Any] = {"merchant_code": "TEST_SHOP", "category_code": "APPLIANCES",
                                 "item_description": "TV", "price": ttd(6000),
                                 "down_payment": ttd(600)}
        return create_application(
            session, customer_id=customer.id, product_code="TEST_HP", term=12, channel="branch",
            now=NOW, actor=ACTOR, goods=HirePurchaseRequest(**{**goods, **kwargs}),
        )

    await expect(session, Invalid, r"below the minimum of TTD 600.00 \(10% of TTD 6,000.00\)",
                 new(down_payment=ttd("599.99")))
    await expect(session, Invalid, "covers the whole price", new(down_payment=ttd(6000)))
    await expect(session, NotFoundError, "no category 'TOYS'", new(category_code="TOYS"))
    await expect(session, NotFoundError, "no open branch 'Arima'", new(branch_name="Arima"))
    await expect(session, NotFoundError, "no merchant", new(merchant_code="NOBODY"))
    await expect(session, Invalid, "finances goods", create_application(
        session, customer_id=customer.id, product_code="TEST_HP", term=12, channel="branch",
        now=NOW, actor=ACTOR, amount=ttd(5000)))
    await expect(session, Invalid, "the loan is TTD 5,400.00, not TTD 5,000.00", create_application(
        session, customer_id=customer.id, product_code="TEST_HP", term=12, channel="branch",
        now=NOW, actor=ACTOR, amount=ttd(5000), goods=HirePurchaseRequest(
            merchant_code="TEST_SHOP", category_code="APPLIANCES", item_description="TV",
            price=ttd(6000), down_payment=ttd(600))))


async def test_submission_needs_both_consents(
    session: AsyncSession, draft: Application, customer: Customer
) -> None:
    await withdraw_consent(session, customer_id=customer.id, consent_type=ConsentType.TERMS,
                           now=NOW, source="chat", actor=ACTOR)
    await expect(session, ConflictError, "must agree to the terms and conditions",
                 submit(session, draft.id))
    await withdraw_consent(session, customer_id=customer.id,
                           consent_type=ConsentType.CREDIT_CHECK, now=NOW, source="chat",
                           actor=ACTOR)
    await expect(session, ConflictError,
                 "must agree to a credit check and the terms and conditions",
                 submit(session, draft.id))


async def test_bad_decisions_are_refused(session: AsyncSession, draft: Application) -> None:
    await submit(session, draft.id)

    def decide(**kwargs: Any) -> Awaitable[Any]:
        values: dict[str, Any] = {"application_id": draft.id, "outcome": "approved",
                                  "trace": {}, "risk_band": "A", "actor": "e", "now": NOW}
        return decisions.record_decision(session, **{**values, **kwargs})

    await expect(session, Invalid, "'maybe' is not a decision", decide(outcome="maybe"))
    await expect(session, Invalid, "'draft' is not a decision", decide(outcome="draft"))
    await expect(session, Invalid, "needs the risk band", decide(risk_band=None))
    await expect(session, Invalid, "'Z' is not a risk band", decide(risk_band="Z"))
    await expect(session, Invalid, "Risk band E is not eligible", decide(risk_band="E"))
    await expect(session, Invalid, "above the TTD 20,000.00 limit for risk band B",
                 decide(risk_band="B", offered_amount=ttd(25000)))
    await expect(session, Invalid, "charges 12% to 24% a year; 30% is outside",
                 decide(offered_rate=Decimal("0.30")))
    await expect(session, Invalid, "must change the amount, the term or the rate",
                 decide(outcome="counter_offered"))
    await expect(session, Invalid, "makes no offer",
                 decide(outcome="declined", offered_amount=ttd(5000)))
    await expect(session, Invalid, "expire before it is made",
                 decide(expires_on=dt.date(2025, 3, 2)))
    await expect(session, Invalid, "mapping", decide(trace=["not", "a", "mapping"]))
    await refer(session, draft.id)
    await expect(session, Invalid, "Give the reason", decisions.record_staff_decision(
        session, application_id=draft.id, outcome="approved", reason="  ", actor="s", now=NOW))


async def test_an_expired_offer_cannot_be_accepted(
    session: AsyncSession, draft: Application
) -> None:
    await submit(session, draft.id)
    await approve(session, draft.id)
    late = NOW + dt.timedelta(days=31)
    await expect(session, ConflictError, "expired on 02 April 2025", decisions.accept_offer(
        session, application_id=draft.id, actor="c", now=late))
    await accept(session, draft.id)
    await expect(session, ConflictError, "lapsed on 17 March 2025", signing.generate_agreement(
        session, application_id=draft.id, lender_name="L", otp_secret=SECRET,
        start_date=dt.date(2025, 4, 1), actor=ACTOR, now=NOW + dt.timedelta(days=15)))
    await expect(session, Invalid, "cannot start before today", signing.generate_agreement(
        session, application_id=draft.id, lender_name="L", otp_secret=SECRET,
        start_date=dt.date(2025, 3, 2), actor=ACTOR, now=NOW))
    await expect(session, NotFoundError, "no agreement", sign(session, draft.id))
    await expect(session, Invalid, "disbursement needs the id", mark_disbursed(
        session, application_id=draft.id, loan_id=0, actor="s", now=NOW))
