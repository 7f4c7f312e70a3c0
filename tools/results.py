"""How tools answer: compact JSON-safe dicts, and domain errors as text the agent can relay.

A tool never raises a domain error at the model. `relay_domain_errors` turns one into
`{"error": "<the borrower-readable message>"}`, which the agent repeats or acts on.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, ParamSpec

from core.applications.agreement import format_rate
from core.errors import DomainError
from core.money import Money

P = ParamSpec("P")
Result = dict[str, Any]


def money(value: Money) -> dict[str, str]:
    """A money amount as tools report it: exact digits and currency, never a float."""
    return {"amount": str(value.amount), "currency": value.currency}


def relay_domain_errors(
    function: Callable[P, Awaitable[Result]],
) -> Callable[P, Awaitable[Result]]:
    """Return a domain error's message as `{"error": ...}` instead of raising it."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Result:
        try:
            return await function(*args, **kwargs)
        except DomainError as error:
            return {"error": str(error), "kind": type(error).__name__}

    return wrapper


def amount_text(value: Money) -> str:
    """A money amount's exact digits, "1234.50", for results that name the currency once."""
    return str(value.amount)


def rate_text(fraction: Decimal) -> str:
    """A yearly rate given as a fraction, as a percentage: Decimal("0.145") → "14.50%"."""
    return format_rate(fraction)
