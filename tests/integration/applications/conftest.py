"""Fixtures for application tests: an active customer with consents, a cash product and a
hire-purchase product sold by one merchant, and a clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.models import Application, ApplicationChannel
from core.applications.service import create_application
from core.customers.consents import grant_consent
from core.customers.models import ConsentType, ContactChannel, Customer
from core.customers.service import register_customer
from core.money import Money
from core.products.merchants import BranchSpec, CategorySpec, create_merchant
from core.products.models import LoanProduct, Merchant
from core.products.service import create_product
from core.products.spec import FeeTreatment, ProductSpec, TierSpec

TT = ZoneInfo("America/Port_of_Spain")
NOW = dt.datetime(2025, 3, 3, 10, 0, tzinfo=TT)
SECRET = "application-tests-otp-key"
ACTOR = "staff:test"


def ttd(value: str | int) -> Money:
    return Money.of(value, "TTD")


@pytest.fixture
async def customer(session: AsyncSession) -> Customer:
    customer = await register_customer(
        session, first_name="Ana", last_name="Pérez", date_of_birth=dt.date(1990, 5, 1),
        today=NOW.date(), actor=ACTOR, contacts=[(ContactChannel.WHATSAPP, "+18685550101")],
    )
    for kind in (ConsentType.CREDIT_CHECK, ConsentType.TERMS):
        await grant_consent(session, customer_id=customer.id, consent_type=kind, now=NOW,
                            source="whatsapp chat", actor=ACTOR)
    return customer


@pytest.fixture
async def product(session: AsyncSession) -> LoanProduct:
    """TTD 5,000–50,000 over 6–36 months; band A 12% up to 50,000, B 18% up to 20,000;
    a 2% origination fee deducted from the amount paid out."""
    spec = ProductSpec(
        code="TEST_CASH", name="Test Cash Loan", min_amount=ttd(5000), max_amount=ttd(50000),
        min_term=6, max_term=36, min_rate=Decimal("0.12"), max_rate=Decimal("0.24"),
        tiers=(TierSpec(band="A", annual_rate=Decimal("0.12"), max_amount=ttd(50000)),
               TierSpec(band="B", annual_rate=Decimal("0.18"), max_amount=ttd(20000)),
               TierSpec(band="E", eligible=False)),
        origination_fee_percent=Decimal("0.02"), origination_fee_treatment=FeeTreatment.DEDUCTED,
    )
    return await create_product(session, spec=spec, actor=ACTOR)


@pytest.fixture
async def hp_product(session: AsyncSession) -> LoanProduct:
    """Hire purchase, TTD 1,000–30,000 over 6–24 months at 15% (band A), no fee."""
    spec = ProductSpec(
        code="TEST_HP", name="Test Hire Purchase", min_amount=ttd(1000), max_amount=ttd(30000),
        min_term=6, max_term=24, min_rate=Decimal("0.15"), max_rate=Decimal("0.15"),
        tiers=(TierSpec(band="A", annual_rate=Decimal("0.15"), max_amount=ttd(30000)),),
        hire_purchase=True,
    )
    return await create_product(session, spec=spec, actor=ACTOR)


@pytest.fixture
async def merchant(session: AsyncSession, hp_product: LoanProduct) -> Merchant:
    """Appliances need at least 10% down."""
    return await create_merchant(
        session, code="TEST_SHOP", name="Test Appliance Shop", actor=ACTOR,
        branches=[BranchSpec(name="Chaguanas", town="Chaguanas")],
        categories=[CategorySpec(code="APPLIANCES", name="Appliances",
                                 min_down_payment_percent=Decimal("0.10"),
                                 product_codes=("TEST_HP",))],
    )


@pytest.fixture
async def draft(session: AsyncSession, customer: Customer, product: LoanProduct) -> Application:
    """TTD 10,000 over 12 months, a draft."""
    return await create_application(
        session, customer_id=customer.id, product_code="TEST_CASH", amount=ttd(10000), term=12,
        channel=ApplicationChannel.WHATSAPP, purpose="Home repairs", now=NOW, actor=ACTOR,
    )
