"""Employment and monthly income as the customer declares them.

Each declaration is a new row; the previous one is marked superseded on the day of the new
one, so what the customer said when they applied can always be read back.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.customers.models import Employment, EmploymentStatus
from core.customers.repository import load_customer
from core.customers.validation import check_name
from core.errors import ValidationError
from core.money import Money

_NEEDS_EMPLOYER = {EmploymentStatus.EMPLOYED, EmploymentStatus.CONTRACT}
_LABELS = {
    "gross_monthly_income": "gross monthly income",
    "net_monthly_income": "net monthly income",
    "other_monthly_income": "other monthly income",
    "monthly_expenses": "monthly expenses",
}


def _check_amounts(amounts: dict[str, Money]) -> str:
    currencies = {amount.currency for amount in amounts.values()}
    if len(currencies) != 1:
        raise ValidationError("Income and expenses must all be in the same currency.")
    for field, amount in amounts.items():
        if amount.is_negative():
            raise ValidationError(f"The {_LABELS[field]} cannot be negative ({amount}).")
    if amounts["net_monthly_income"] > amounts["gross_monthly_income"]:
        raise ValidationError(
            f"The net monthly income ({amounts['net_monthly_income']}) cannot be more than "
            f"the gross ({amounts['gross_monthly_income']})."
        )
    return currencies.pop()


def _snapshot(row: Employment) -> dict[str, object]:
    return {
        "employment_id": row.id, "status": row.status, "employer": row.employer,
        "occupation": row.occupation, "start_date": row.start_date, "currency": row.currency,
        "gross_monthly_income": row.gross_monthly_income,
        "net_monthly_income": row.net_monthly_income,
        "other_monthly_income": row.other_monthly_income,
        "monthly_expenses": row.monthly_expenses,
    }


async def current_employment(session: AsyncSession, *, customer_id: int) -> Employment | None:
    """The customer's latest declaration, or None if they never made one."""
    return await session.scalar(
        select(Employment).where(
            Employment.customer_id == customer_id, Employment.superseded_on.is_(None)
        )
    )


async def set_employment(
    session: AsyncSession, *, customer_id: int, status: EmploymentStatus,
    gross_monthly_income: Money, net_monthly_income: Money, monthly_expenses: Money,
    today: date, actor: str, other_monthly_income: Money | None = None,
    employer: str | None = None, occupation: str | None = None, start_date: date | None = None,
) -> Employment:
    """Record the customer's employment and income, superseding the previous declaration.

    Raises ValidationError for a negative amount, net above gross, mixed currencies, a
    missing employer when employed or on contract, or a start date in the future or before
    the customer was born.
    """
    customer = await load_customer(session, customer_id)
    amounts = {
        "gross_monthly_income": gross_monthly_income,
        "net_monthly_income": net_monthly_income,
        "other_monthly_income": other_monthly_income or Money.zero(gross_monthly_income.currency),
        "monthly_expenses": monthly_expenses,
    }
    currency = _check_amounts(amounts)
    employer = check_name(employer, "employer") if employer else None
    occupation = check_name(occupation, "occupation") if occupation else None
    if status in _NEEDS_EMPLOYER and employer is None:
        raise ValidationError("Please give the employer's name.")
    if start_date is not None and start_date > today:
        raise ValidationError(f"The employment start date {start_date:%d %B %Y} is in the future.")
    if start_date is not None and start_date < customer.date_of_birth:
        raise ValidationError("The employment start date is before the customer's birth.")
    previous = await current_employment(session, customer_id=customer_id)
    if previous is not None:
        previous.superseded_on = today
        await session.flush()
    row = Employment(
        customer_id=customer_id, status=status, employer=employer, occupation=occupation,
        start_date=start_date, currency=currency, declared_on=today,
        **{field: amount.amount for field, amount in amounts.items()},
    )
    session.add(row)
    await session.flush()
    await trail.record(
        session, actor=actor, action="customer.employment_set", entity_type="customer",
        entity_id=customer_id, before=_snapshot(previous) if previous else None,
        after=_snapshot(row),
    )
    return row

