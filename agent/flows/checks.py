"""Slot checks shared by flows. Each returns None when the value is acceptable, or the reason
to give the borrower before asking again. Ranges come from the product catalogue (a tool)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from agent.formatting import day, money
from agent.turn import Turn
from core.collections.promises import MAX_PROMISE_DAYS
from core.customers.validation import normalise_phone
from core.errors import ValidationError

MAX_AMOUNT = Decimal("10000000")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


def decimal_or_none(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


async def positive_amount(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    amount = decimal_or_none(value)
    if amount is None or amount <= 0:
        return "The amount needs to be more than zero."
    if amount > MAX_AMOUNT:
        return f"{money(amount)} is more than we ever lend or take in one go."
    return None


async def product_entry(turn: Turn, code: str | None) -> dict[str, Any] | None:
    catalogue = await turn.call_once("list_products")
    for entry in catalogue.get("products", []):
        if entry["code"] == code:
            return dict(entry)
    return None


async def known_product(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    if await product_entry(turn, str(value)) is None:
        return "I don't know that product."
    return None


async def loan_amount(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    problem = await positive_amount(turn, value, slots)
    product = await product_entry(turn, slots.get("product"))
    if problem or product is None:
        return problem
    amount = Decimal(str(value))
    low, high = Decimal(product["min_amount"]), Decimal(product["max_amount"])
    if not low <= amount <= high:
        return (f"Our {product['name']} is for {money(low)} to {money(high)}, "
                f"so {money(amount)} won't work.")
    return None


async def loan_term(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    months = int(value)
    if months <= 0:
        return "The term needs to be at least one month."
    product = await product_entry(turn, slots.get("product"))
    if product is None:
        return None if months <= 120 else f"{months} months is longer than any loan we offer."
    low, high = int(product["min_term_months"]), int(product["max_term_months"])
    if not low <= months <= high:
        return f"Our {product['name']} runs from {low} to {high} months, not {months}."
    return None


async def monthly_income(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    amount = decimal_or_none(value)
    if amount is None or amount <= 0:
        return "Your monthly income needs to be more than zero."
    return None


async def promise_date(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    date = dt.date.fromisoformat(str(value))
    today = turn.context.today
    if date < today:
        return f"{day(date)} has already passed."
    latest = today + dt.timedelta(days=MAX_PROMISE_DAYS)
    if date > latest:
        return (f"{day(date)} is too far ahead; please pick a date on or before "
                f"{day(latest)}.")
    return None


async def phone_number(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    try:
        normalise_phone(str(value))
    except ValidationError as error:
        return str(error)
    return None


async def past_date(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    date = dt.date.fromisoformat(str(value))
    if date > turn.context.today:
        return f"{day(date)} is still to come; when did you make the payment?"
    return None


async def email_address(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    if not EMAIL.match(str(value)):
        return f"'{value}' doesn't look like an email address."
    return None


async def employer_name(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    name = str(value).strip()
    if not name or len(name) > 80 or len(name.split()) > 8 or re.search(r"[.!?]\s+\w", name):
        return "That doesn't look like an employer's name; please tell me just the name."
    return None


async def short_text(turn: Turn, value: Any, slots: dict[str, Any]) -> str | None:
    if not str(value).strip():
        return "I didn't get that."
    return None
