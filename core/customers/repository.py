"""Loading customer records by key, with the error a caller shows when there is none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.customers.models import Customer
from core.errors import NotFoundError


async def load_customer(session: AsyncSession, customer_id: int) -> Customer:
    """The customer with this id; NotFoundError when there is none."""
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(f"There is no customer with id {customer_id}.")
    return customer


async def load_customer_by_number(session: AsyncSession, number: str) -> Customer:
    """The customer with this number ("CU-000042", any case); NotFoundError when none."""
    customer = await session.scalar(
        select(Customer).where(Customer.number == number.strip().upper())
    )
    if customer is None:
        raise NotFoundError(f"There is no customer number {number.strip().upper()}.")
    return customer
