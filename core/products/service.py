"""Create, change, find and list loan products.

A product is written from a validated `ProductSpec` and read back as one
(`spec_from_record`), so every stored product passes the same checks. An update merges
the changes into the current spec and validates the whole again; it bumps `version`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.money import Money
from core.products.models import LoanProduct, ProductTier
from core.products.spec import ProductSpec, TierSpec

_FIELDS = tuple(f.name for f in dataclasses.fields(ProductSpec))
_MONEY_FIELDS = ("min_amount", "max_amount", "origination_fee_fixed", "late_fee")
_PLAIN_FIELDS = tuple(f for f in _FIELDS if f not in {*_MONEY_FIELDS, "tiers"})


def spec_from_record(record: LoanProduct) -> ProductSpec:
    """The validated spec of a stored product (tiers included)."""
    values: dict[str, Any] = {name: getattr(record, name) for name in _PLAIN_FIELDS}
    for name in _MONEY_FIELDS:
        values[name] = Money.of(getattr(record, name), record.currency)
    values["tiers"] = tuple(
        TierSpec(
            band=tier.band, eligible=tier.eligible, annual_rate=tier.annual_rate,
            max_amount=None if tier.max_amount is None else Money.of(tier.max_amount,
                                                                     record.currency),
        )
        for tier in record.tiers
    )
    return ProductSpec(**values)


def snapshot(spec: ProductSpec) -> dict[str, Any]:
    """The spec as JSON-safe values for the audit trail and the API."""
    values = {name: getattr(spec, name) for name in _PLAIN_FIELDS}
    values.update({name: str(getattr(spec, name).amount) for name in _MONEY_FIELDS})
    values["currency"] = spec.currency
    values["tiers"] = [
        {
            "band": t.band, "eligible": t.eligible, "annual_rate": t.annual_rate,
            "max_amount": None if t.max_amount is None else str(t.max_amount.amount),
        }
        for t in spec.tiers
    ]
    return values


def _apply(record: LoanProduct, spec: ProductSpec) -> None:
    for name in _PLAIN_FIELDS:
        setattr(record, name, getattr(spec, name))
    for name in _MONEY_FIELDS:
        setattr(record, name, getattr(spec, name).amount)
    record.currency = spec.currency
    # Update tiers in place by band: deleting and re-inserting a band in one flush would
    # trip the (product, band) unique constraint, as inserts are flushed before deletes.
    current = {tier.band: tier for tier in record.tiers}
    wanted = {tier.band: tier for tier in spec.tiers}
    for band, tier in current.items():
        if band not in wanted:
            record.tiers.remove(tier)
    for band, wanted_tier in wanted.items():
        row = current.get(band)
        if row is None:
            row = ProductTier(band=band)
            record.tiers.append(row)
        row.eligible = wanted_tier.eligible
        row.annual_rate = wanted_tier.annual_rate
        row.max_amount = None if wanted_tier.max_amount is None else wanted_tier.max_amount.amount


async def get_product(session: AsyncSession, *, code: str) -> LoanProduct:
    """The product with this code (any case); NotFoundError when there is none."""
    product = await session.scalar(
        select(LoanProduct).where(LoanProduct.code == code.strip().upper())
    )
    if product is None:
        raise NotFoundError(f"There is no loan product {code.strip().upper()!r}.")
    return product


async def create_product(session: AsyncSession, *, spec: ProductSpec, actor: str) -> LoanProduct:
    """Store a new product (version 1). Raises ConflictError when the code is taken."""
    taken = await session.scalar(select(LoanProduct.id).where(LoanProduct.code == spec.code))
    if taken is not None:
        raise ConflictError(f"A loan product with code {spec.code} already exists.")
    record = LoanProduct(version=1, tiers=[])
    _apply(record, spec)
    session.add(record)
    await session.flush()
    await trail.record(
        session, actor=actor, action="product.created", entity_type="loan_product",
        entity_id=record.id, after=snapshot(spec),
    )
    return record


async def update_product(
    session: AsyncSession, *, code: str, changes: Mapping[str, object], actor: str
) -> LoanProduct:
    """Change some fields of a product; the merged product is validated as a whole.

    `changes` maps `ProductSpec` field names to new values (`tiers` replaces all tiers).
    Raises ValidationError for an unknown field, a code change or an invalid result. A
    change to nothing writes nothing; otherwise the version goes up by one and the changed
    fields are audited before and after.
    """
    record = await get_product(session, code=code)
    unknown = sorted(set(changes) - set(_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown product field(s): {', '.join(unknown)}.")
    if "code" in changes and str(changes["code"]).strip().upper() != record.code:
        raise ValidationError("A product's code cannot change; create a new product instead.")
    current = spec_from_record(record)
    values: dict[str, Any] = {name: getattr(current, name) for name in _FIELDS}
    values.update(changes)
    updated = ProductSpec(**values)
    before, after = snapshot(current), snapshot(updated)
    changed = sorted(name for name in after if after[name] != before[name])
    if not changed:
        return record
    _apply(record, updated)
    record.version += 1
    await session.flush()
    await trail.record(
        session, actor=actor, action="product.updated", entity_type="loan_product",
        entity_id=record.id,
        before={"version": record.version - 1, **{name: before[name] for name in changed}},
        after={"version": record.version, **{name: after[name] for name in changed}},
    )
    return record


async def list_products(session: AsyncSession) -> Sequence[LoanProduct]:
    """Every product, active or not, by code."""
    rows = await session.scalars(select(LoanProduct).order_by(LoanProduct.code))
    return rows.all()


async def list_active_products(
    session: AsyncSession, *, today: date, hire_purchase: bool | None = None
) -> Sequence[LoanProduct]:
    """Products offered on `today`: active and within their effective dates, by code.

    `hire_purchase` True or False keeps only hire-purchase or only cash products.
    """
    query = select(LoanProduct).where(
        LoanProduct.active,
        or_(LoanProduct.effective_from.is_(None), LoanProduct.effective_from <= today),
        or_(LoanProduct.effective_to.is_(None), LoanProduct.effective_to >= today),
    )
    if hire_purchase is not None:
        query = query.where(LoanProduct.hire_purchase.is_(hire_purchase))
    rows = await session.scalars(query.order_by(LoanProduct.code))
    return rows.all()
