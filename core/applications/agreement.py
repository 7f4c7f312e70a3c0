"""The loan agreement PDF, rendered with reportlab from plain data and a text template.

The wording lives in `agreement_template.md`: `# ` and `## ` lines are headings, other lines
are paragraphs with `$name` placeholders, and a line `[[block]]` places a table (summary,
fees, schedule, totals, signature). The figures follow one rule set:
- amount of credit (what the borrower receives) = principal − fees deducted from it;
- total payable = every scheduled instalment + fees paid up front;
- total cost of credit = total payable − amount of credit, i.e. interest plus every fee.
Rendering is deterministic (reportlab's invariant mode), so the stored hash identifies
exactly the document the borrower accepted.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from xml.sax.saxutils import escape

from core.applications.agreement_layout import build, format_rate, long_date
from core.errors import ValidationError
from core.loans.schedule import Schedule, apr
from core.loans.terms import InterestCalculation, InterestMethod
from core.money import Money, total

__all__ = ["AgreementData", "AgreementFee", "AgreementFigures", "FeeTreatment",
           "HirePurchaseGoods", "agreement_figures", "annual_percentage_rate", "format_rate",
           "render_agreement"]


class FeeTreatment(StrEnum):
    """How a fee reaches the lender."""

    FINANCED = "financed"
    DEDUCTED = "deducted"
    UPFRONT = "upfront"

    @property
    def description(self) -> str:
        return _FEE_WORDS[self]


_FEE_WORDS = {
    FeeTreatment.FINANCED: "added to the loan and repaid in the instalments (earns interest)",
    FeeTreatment.DEDUCTED: "deducted from the amount paid out to you",
    FeeTreatment.UPFRONT: "paid by you before the loan is paid out",
}
_METHOD_WORDS = {
    InterestMethod.DECLINING_EQUAL_INSTALMENT: "on the declining balance, equal instalments",
    InterestMethod.DECLINING_EQUAL_PRINCIPAL: "on the declining balance, equal principal parts",
    InterestMethod.FLAT: "flat on the original amount for the whole term",
}


@dataclass(frozen=True, slots=True)
class AgreementFee:
    name: str
    amount: Money
    treatment: FeeTreatment


@dataclass(frozen=True, slots=True)
class HirePurchaseGoods:
    merchant: str
    description: str
    price: Money
    down_payment: Money


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementData:
    """Everything printed in the agreement. `schedule` carries the amount, rate and term."""

    reference: str
    version: int
    issued_on: date
    lender_name: str
    borrower_name: str
    customer_number: str
    product_name: str
    schedule: Schedule
    fees: tuple[AgreementFee, ...] = ()
    apr: Decimal | None = None
    purpose: str | None = None
    goods: HirePurchaseGoods | None = None


@dataclass(frozen=True, slots=True)
class AgreementFigures:
    amount_of_credit: Money
    amount_financed: Money
    total_interest: Money
    total_fees: Money
    cost_of_credit: Money
    total_payable: Money


def agreement_figures(data: AgreementData) -> AgreementFigures:
    """The headline figures (see the module docstring); checks the fees against the schedule."""
    terms, totals = data.schedule.terms, data.schedule.totals
    currency = terms.currency
    if any(fee.amount.currency != currency or fee.amount.is_negative() for fee in data.fees):
        raise ValidationError(f"Every fee must be a non-negative amount in {currency}.")

    def fees(treatment: FeeTreatment) -> Money:
        return total([f.amount for f in data.fees if f.treatment is treatment], currency)

    financed = terms.financed_fees or Money.zero(currency)
    if fees(FeeTreatment.FINANCED) != financed:
        raise ValidationError(
            f"The financed fees ({fees(FeeTreatment.FINANCED)}) do not match the schedule, "
            f"which finances {financed}."
        )
    amount_of_credit = terms.principal - fees(FeeTreatment.DEDUCTED)
    if not amount_of_credit.is_positive():
        raise ValidationError("Fees deducted from the loan cannot take all of it.")
    payable = totals.payable + fees(FeeTreatment.UPFRONT)
    return AgreementFigures(
        amount_of_credit=amount_of_credit,
        amount_financed=terms.financed_amount,
        total_interest=totals.interest + totals.capitalised_interest,
        total_fees=total([f.amount for f in data.fees], currency),
        cost_of_credit=payable - amount_of_credit,
        total_payable=payable,
    )


def annual_percentage_rate(schedule: Schedule, fees: Sequence[AgreementFee] = ()) -> Decimal:
    """The APR, measured against what the borrower actually receives.

    `core.loans.schedule.apr` discounts the instalments to the principal disbursed; fees
    deducted from the loan or paid up front reduce that amount, so every fee is a cost.
    """
    terms = schedule.terms
    kept = [f.amount for f in fees if f.treatment is not FeeTreatment.FINANCED]
    received = terms.principal - total(kept, terms.currency)
    if not received.is_positive():
        raise ValidationError("Fees deducted from the loan cannot take all of it.")
    if received == terms.principal:
        return apr(schedule)
    return apr(replace(schedule, terms=replace(terms, principal=received)))


def render_agreement(data: AgreementData) -> bytes:
    """The agreement as PDF bytes. Raises ValidationError when the figures do not add up."""
    figures = agreement_figures(data)
    terms, rows = data.schedule.terms, data.schedule.instalments
    values = {
        "reference": data.reference,
        "version": str(data.version),
        "issued_on": long_date(data.issued_on),
        "lender_name": data.lender_name,
        "borrower_name": data.borrower_name,
        "customer_number": data.customer_number,
        "term": str(terms.term),
        "frequency": terms.frequency.value,
        "first_due": long_date(rows[0].due_date),
        "last_due": long_date(rows[-1].due_date),
        "nominal_rate": format_rate(terms.annual_rate),
        "interest_method": _interest_words(data),
        "currency": terms.currency,
    }
    return build(data, figures, _parts(values))


def _interest_words(data: AgreementData) -> str:
    terms = data.schedule.terms
    words = _METHOD_WORDS[terms.method]
    if terms.calculation is InterestCalculation.DAILY:
        return f"{words}, worked out daily ({terms.day_count.value.replace('_', '/')})"
    return words


Part = tuple[str, str]
"""(kind, text): kind is "title", "heading", "paragraph" or "block"."""


def _parts(values: dict[str, str]) -> Sequence[Part]:
    text = resources.files("core.applications").joinpath("agreement_template.md").read_text()
    safe = {key: escape(value) for key, value in values.items()}
    parts: list[Part] = []
    kinds: list[tuple[str, Callable[[str], Part]]] = [
        ("## ", lambda line: ("heading", line[3:])),
        ("# ", lambda line: ("title", line[2:])),
        ("[[", lambda line: ("block", line.strip("[] "))),
    ]
    for line in text.splitlines():
        if not line.strip():
            continue
        kind = next((make for prefix, make in kinds if line.startswith(prefix)), None)
        part = kind(line) if kind else ("paragraph", line)
        if part[0] != "block":
            part = (part[0], string.Template(part[1]).substitute(safe))
        parts.append(part)
    return parts
