"""Hire-purchase merchants, their branches and categories, and hire-purchase quotes.

A category (appliances, furniture…) belongs to one merchant, sets the minimum down payment
as a fraction of the price and lists the products that may finance it. A quote checks the
down payment (at least the minimum, rounded up to the cent, and less than the price) and
quotes the rest through `quote_terms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.loans.terms import LoanTerms
from core.money import Money
from core.products.models import LoanProduct, Merchant, MerchantBranch, MerchantCategory
from core.products.quote import quote_terms
from core.products.service import get_product


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchSpec:
    name: str
    town: str
    address: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CategorySpec:
    code: str
    name: str
    min_down_payment_percent: Decimal
    product_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HirePurchaseQuote:
    """The price split into down payment and amount financed, and the financing terms."""

    merchant_code: str
    category_code: str
    product_code: str
    price: Money
    down_payment: Money
    minimum_down_payment: Money
    financed_amount: Money
    terms: LoanTerms


def percent_text(fraction: Decimal) -> str:
    """A fraction as people write the percentage: Decimal("0.125") → "12.5%"."""
    return f"{(fraction * 100).quantize(Decimal('0.01')).normalize():f}%"


def _code(value: str) -> str:
    code = value.strip().upper()
    if not code or len(code) > 40 or not code.replace("_", "").replace("-", "").isalnum():
        raise ValidationError(f"{value!r} is not a code: use 1–40 letters, digits, - or _.")
    return code


def _text(value: str, label: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > 120:
        raise ValidationError(f"The {label} must be 1 to 120 characters.")
    return cleaned


async def get_merchant(session: AsyncSession, *, code: str) -> Merchant:
    """The merchant with this code (any case), with branches and categories loaded."""
    merchant = await session.scalar(select(Merchant).where(Merchant.code == code.strip().upper()))
    if merchant is None:
        raise NotFoundError(f"There is no merchant {code.strip().upper()!r}.")
    return merchant


async def list_merchants(
    session: AsyncSession, *, include_inactive: bool = False
) -> Sequence[Merchant]:
    """Merchants by name; only active ones unless `include_inactive`."""
    query = select(Merchant).order_by(Merchant.name)
    if not include_inactive:
        query = query.where(Merchant.active)
    return (await session.scalars(query)).all()


async def _category_row(session: AsyncSession, spec: CategorySpec) -> MerchantCategory:
    percent = spec.min_down_payment_percent
    if not isinstance(percent, Decimal) or not Decimal(0) <= percent < Decimal(1):
        raise ValidationError(
            f"The minimum down payment for {spec.name} must be a fraction from 0 up to "
            "(not including) 1, e.g. 0.10 for 10%."
        )
    if not spec.product_codes:
        raise ValidationError(f"Say which products may finance {spec.name}.")
    products = [await get_product(session, code=code) for code in spec.product_codes]
    for product in products:
        if not product.hire_purchase:
            raise ValidationError(f"{product.code} is not a hire-purchase product.")
    return MerchantCategory(
        code=_code(spec.code), name=_text(spec.name, "category name"),
        min_down_payment_percent=percent, products=products, active=True,
    )


async def create_merchant(
    session: AsyncSession, *, code: str, name: str, actor: str,
    branches: Sequence[BranchSpec] = (), categories: Sequence[CategorySpec] = (),
) -> Merchant:
    """Add a merchant with its branches and categories.

    Raises ConflictError for a taken code; ValidationError for a bad code or name, repeated
    branch or category, a down payment outside 0–<1, or a category without hire-purchase
    products; NotFoundError for an unknown product code.
    """
    merchant_code = _code(code)
    if await session.scalar(select(Merchant.id).where(Merchant.code == merchant_code)):
        raise ConflictError(f"A merchant with code {merchant_code} already exists.")
    branch_rows = [
        MerchantBranch(
            name=_text(b.name, "branch name"), town=_text(b.town, "town"),
            address=b.address, phone=b.phone, active=True,
        )
        for b in branches
    ]
    category_rows = [await _category_row(session, spec) for spec in categories]
    for label, keys in (("branch", [b.name for b in branch_rows]),
                        ("category", [c.code for c in category_rows])):
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValidationError(f"The {label} {', '.join(repeated)} is listed twice.")
    merchant = Merchant(
        code=merchant_code, name=_text(name, "merchant name"), active=True,
        branches=branch_rows, categories=category_rows,
    )
    session.add(merchant)
    await session.flush()
    await trail.record(
        session, actor=actor, action="merchant.created", entity_type="merchant",
        entity_id=merchant.id,
        after={
            "code": merchant.code, "name": merchant.name,
            "branches": [f"{b.name}, {b.town}" for b in branch_rows],
            "categories": {
                c.code: {
                    "min_down_payment_percent": c.min_down_payment_percent,
                    "products": [p.code for p in c.products],
                }
                for c in category_rows
            },
        },
    )
    return merchant


async def set_merchant_active(
    session: AsyncSession, *, code: str, active: bool, actor: str
) -> Merchant:
    """Stop or resume hire purchase at a merchant; a no-op when already so."""
    merchant = await get_merchant(session, code=code)
    if merchant.active != active:
        merchant.active = active
        await session.flush()
        await trail.record(
            session, actor=actor, action="merchant.updated", entity_type="merchant",
            entity_id=merchant.id, before={"active": not active}, after={"active": active},
        )
    return merchant


def _pick_product(category: MerchantCategory, product_code: str | None) -> LoanProduct:
    allowed = {product.code: product for product in category.products}
    if product_code is None:
        if len(allowed) == 1:
            return next(iter(allowed.values()))
        raise ValidationError(
            f"Choose how to finance {category.name}: {', '.join(sorted(allowed))}."
        )
    product = allowed.get(product_code.strip().upper())
    if product is None:
        raise ValidationError(
            f"{product_code.strip().upper()} cannot finance {category.name}; "
            f"use {', '.join(sorted(allowed))}."
        )
    return product


async def quote_hire_purchase(
    session: AsyncSession, *, merchant_code: str, category_code: str, price: Money,
    down_payment: Money, term: int, band: str, start_date: date,
    product_code: str | None = None, first_due_date: date | None = None,
) -> HirePurchaseQuote:
    """Quote buying goods of `category` at `merchant` for `price` with `down_payment`.

    `product_code` may be left out when the category allows exactly one product. Raises
    NotFoundError for an unknown merchant or category; ValidationError when the merchant or
    category is inactive, the price is not positive, the down payment is below the
    category's minimum or covers the whole price, or the financed amount fails
    `quote_terms`.
    """
    merchant = await get_merchant(session, code=merchant_code)
    category = next(
        (c for c in merchant.categories if c.code == category_code.strip().upper()), None
    )
    if category is None:
        raise NotFoundError(f"{merchant.name} has no category {category_code.strip().upper()!r}.")
    if not merchant.active:
        raise ValidationError(f"Hire purchase at {merchant.name} is not available at present.")
    if not category.active:
        raise ValidationError(f"{category.name} at {merchant.name} is not offered on credit now.")
    product = _pick_product(category, product_code)
    if not price.is_positive():
        raise ValidationError(f"The price must be more than zero, not {price}.")
    if down_payment.currency != price.currency:
        raise ValidationError("The down payment and the price must be in the same currency.")
    minimum = price.times(category.min_down_payment_percent, mode=ROUND_UP)
    if down_payment < minimum:
        raise ValidationError(
            f"A down payment of {down_payment} is below the minimum of {minimum} "
            f"({percent_text(category.min_down_payment_percent)} of {price}) for {category.name}."
        )
    if down_payment >= price:
        raise ValidationError(
            "The down payment covers the whole price; there is nothing to finance."
        )
    financed = price - down_payment
    terms = quote_terms(
        product, amount=financed, term=term, band=band, start_date=start_date,
        first_due_date=first_due_date,
    )
    return HirePurchaseQuote(
        merchant_code=merchant.code, category_code=category.code, product_code=product.code,
        price=price, down_payment=down_payment, minimum_down_payment=minimum,
        financed_amount=financed, terms=terms,
    )
