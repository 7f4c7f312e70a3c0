"""Products API: anyone may read the catalogue and ask for a quote; supervisors and admins
create and change products and merchants. Amounts are strings ("5000.00"), rates fractions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.customers.models import DEFAULT_TIME_ZONE
from core.errors import PermissionDenied, ValidationError
from core.loans.schedule import build_schedule
from core.loans.terms import DayCount, Frequency, InterestCalculation, InterestMethod, LoanTerms
from core.money import DEFAULT_CURRENCY, Money
from core.products import merchants as merchant_service
from core.products import service
from core.products.models import LoanProduct, Merchant
from core.products.quote import disbursed_amount, origination_fee, quote_terms
from core.products.spec import FeeTreatment, OverpaymentHandling, ProductSpec, TierSpec
from core.staff.models import Role, StaffUser

router = APIRouter(tags=["products"])

_MONEY = ("min_amount", "max_amount", "origination_fee_fixed", "late_fee")
_NULLABLE = frozenset({"rounding_multiple", "effective_from", "effective_to"})
_EDITORS = {Role.SUPERVISOR, Role.ADMIN}


def _editor(staff: StaffUser) -> str:
    if staff.role not in _EDITORS:
        raise PermissionDenied("Only supervisors and admins may change the catalogue.")
    return f"staff:{staff.id}"


class TierIn(BaseModel):
    band: str
    eligible: bool = True
    annual_rate: Decimal | None = None
    max_amount: str | None = None


class _ProductFields(BaseModel):
    description: str | None = None
    frequency: Frequency | None = None
    method: InterestMethod | None = None
    calculation: InterestCalculation | None = None
    day_count: DayCount | None = None
    principal_grace: int | None = None
    interest_grace: int | None = None
    rounding_multiple: Decimal | None = None
    overpayment: OverpaymentHandling | None = None
    origination_fee_fixed: str | None = None
    origination_fee_percent: Decimal | None = None
    origination_fee_treatment: FeeTreatment | None = None
    late_fee: str | None = None
    late_fee_grace_days: int | None = None
    early_settlement_fee_percent: Decimal | None = None
    hire_purchase: bool | None = None
    active: bool | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None


class ProductPatch(_ProductFields):
    """Only the fields sent change; `tiers` replaces every tier."""

    name: str | None = None
    min_amount: str | None = None
    max_amount: str | None = None
    min_term: int | None = None
    max_term: int | None = None
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None
    tiers: list[TierIn] | None = None


class ProductIn(_ProductFields):
    """A new product; fields left out take the defaults documented on `ProductSpec`."""

    code: str
    name: str
    currency: str = DEFAULT_CURRENCY
    min_amount: str
    max_amount: str
    min_term: int
    max_term: int
    min_rate: Decimal
    max_rate: Decimal
    tiers: list[TierIn]


class ProductOut(ProductIn):
    id: int
    version: int

    @classmethod
    def of(cls, record: LoanProduct) -> ProductOut:
        values = service.snapshot(service.spec_from_record(record))
        return cls(id=record.id, version=record.version, **values)


def _spec_values(body: ProductIn | ProductPatch, currency: str) -> dict[str, Any]:
    """The fields sent, as `ProductSpec` values: amounts become Money in `currency`."""
    values = body.model_dump(exclude_unset=True, exclude={"currency", "tiers"})
    cleared = sorted(k for k, v in values.items() if v is None and k not in _NULLABLE)
    if cleared:
        raise ValidationError(f"These fields cannot be empty: {', '.join(cleared)}.")
    for name in _MONEY:
        if name in values:
            values[name] = Money.of(values[name], currency)
    if body.tiers is not None:
        values["tiers"] = tuple(
            TierSpec(
                band=t.band, eligible=t.eligible, annual_rate=t.annual_rate,
                max_amount=None if t.max_amount is None else Money.of(t.max_amount, currency),
            )
            for t in body.tiers
        )
    return values


@router.get("/products")
async def list_products(
    session: SessionDep, include_inactive: Annotated[bool, Query()] = False
) -> list[ProductOut]:
    """Products offered today (or all, with `include_inactive`)."""
    if include_inactive:
        records = await service.list_products(session)
    else:
        today = dt.datetime.now(ZoneInfo(DEFAULT_TIME_ZONE)).date()
        records = await service.list_active_products(session, today=today)
    return [ProductOut.of(record) for record in records]


@router.get("/products/{code}")
async def get_product(code: str, session: SessionDep) -> ProductOut:
    return ProductOut.of(await service.get_product(session, code=code))


@router.post("/products", status_code=status.HTTP_201_CREATED)
async def create_product(body: ProductIn, session: SessionDep, staff: CurrentStaff) -> ProductOut:
    actor = _editor(staff)
    spec = ProductSpec(**_spec_values(body, body.currency))
    record = await service.create_product(session, spec=spec, actor=actor)
    return ProductOut.of(record)


@router.patch("/products/{code}")
async def update_product(
    code: str, body: ProductPatch, session: SessionDep, staff: CurrentStaff
) -> ProductOut:
    actor = _editor(staff)
    current = await service.get_product(session, code=code)
    changes = _spec_values(body, current.currency)
    record = await service.update_product(session, code=code, changes=changes, actor=actor)
    return ProductOut.of(record)


class QuoteIn(BaseModel):
    amount: str
    term: int
    band: str
    start_date: dt.date
    first_due_date: dt.date | None = None


class QuoteOut(BaseModel):
    """The terms a loan would have, and what the schedule built from them adds up to."""

    product_code: str
    currency: str
    amount: str
    annual_rate: Decimal
    term: int
    frequency: Frequency
    method: InterestMethod
    first_due_date: dt.date
    origination_fee: str
    fee_treatment: FeeTreatment
    disbursed_amount: str
    regular_instalment: str
    total_interest: str
    total_payable: str


def _quote_out(record: LoanProduct, terms: LoanTerms) -> QuoteOut:
    amount = terms.principal
    schedule = build_schedule(terms)
    regular = schedule.instalments[min(terms.deferred_instalments, terms.term - 1)]
    return QuoteOut(
        product_code=record.code, currency=terms.currency, amount=str(amount.amount),
        annual_rate=terms.annual_rate, term=terms.term, frequency=terms.frequency,
        method=terms.method, first_due_date=schedule.instalments[0].due_date,
        origination_fee=str(origination_fee(record, amount).amount),
        fee_treatment=record.origination_fee_treatment,
        disbursed_amount=str(disbursed_amount(record, amount).amount),
        regular_instalment=str(regular.total.amount),
        total_interest=str(schedule.totals.interest.amount),
        total_payable=str(schedule.totals.payable.amount),
    )


@router.post("/products/{code}/quote")
async def quote(code: str, body: QuoteIn, session: SessionDep) -> QuoteOut:
    """Check an amount, term and risk band against the product and price the loan."""
    record = await service.get_product(session, code=code)
    terms = quote_terms(
        record, amount=Money.of(body.amount, record.currency), term=body.term, band=body.band,
        start_date=body.start_date, first_due_date=body.first_due_date,
    )
    return _quote_out(record, terms)


class BranchOut(BaseModel):
    name: str
    town: str
    address: str | None
    phone: str | None


class CategoryOut(BaseModel):
    code: str
    name: str
    min_down_payment_percent: Decimal
    products: list[str]


class MerchantOut(BaseModel):
    code: str
    name: str
    active: bool
    branches: list[BranchOut]
    categories: list[CategoryOut]

    @classmethod
    def of(cls, merchant: Merchant) -> MerchantOut:
        return cls(
            code=merchant.code, name=merchant.name, active=merchant.active,
            branches=[
                BranchOut(name=b.name, town=b.town, address=b.address, phone=b.phone)
                for b in merchant.branches if b.active
            ],
            categories=[
                CategoryOut(
                    code=c.code, name=c.name, min_down_payment_percent=c.min_down_payment_percent,
                    products=[p.code for p in c.products],
                )
                for c in merchant.categories if c.active
            ],
        )


@router.get("/merchants")
async def list_merchants(session: SessionDep) -> list[MerchantOut]:
    """Hire-purchase partner stores with their branches and categories."""
    return [MerchantOut.of(m) for m in await merchant_service.list_merchants(session)]


class HirePurchaseIn(BaseModel):
    category_code: str
    price: str
    down_payment: str
    term: int
    band: str
    start_date: dt.date
    product_code: str | None = None
    first_due_date: dt.date | None = None


class HirePurchaseOut(BaseModel):
    merchant_code: str
    category_code: str
    price: str
    down_payment: str
    minimum_down_payment: str
    financed_amount: str
    financing: QuoteOut


@router.post("/merchants/{code}/quote")
async def quote_hire_purchase(
    code: str, body: HirePurchaseIn, session: SessionDep
) -> HirePurchaseOut:
    """Check the down payment for goods in a category and price the financing."""
    hp = await merchant_service.quote_hire_purchase(
        session, merchant_code=code, category_code=body.category_code,
        price=Money.of(body.price), down_payment=Money.of(body.down_payment), term=body.term,
        band=body.band, start_date=body.start_date, product_code=body.product_code,
        first_due_date=body.first_due_date,
    )
    record = await service.get_product(session, code=hp.product_code)
    return HirePurchaseOut(
        merchant_code=hp.merchant_code, category_code=hp.category_code,
        price=str(hp.price.amount), down_payment=str(hp.down_payment.amount),
        minimum_down_payment=str(hp.minimum_down_payment.amount),
        financed_amount=str(hp.financed_amount.amount),
        financing=_quote_out(record, hp.terms),
    )
