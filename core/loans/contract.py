"""What a loan is disbursed under: the schedule terms plus the servicing policy.

`LoanContract` is validated on construction. A loan stores it as a snapshot (key columns and
the terms as JSON, see `terms_to_json`), so a later change to the product never alters a loan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from core.errors import ValidationError
from core.ledger.rules import PayoutTo
from core.loans.terms import LoanTerms
from core.money import Money
from core.products.models import LoanProduct
from core.products.quote import origination_fee
from core.products.spec import FeeTreatment, OverpaymentHandling

MAX_GRACE_DAYS = 90
MAX_SETTLEMENT_FEE = Decimal("0.25")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanContract:
    """The terms of one loan.

    - `terms`: what the schedule is built from; `terms.start_date` is the disbursement date
      and `terms.financed_fees` the origination fee added to what the borrower owes.
    - `deducted_fee`: origination fee withheld from the payout (the borrower still repays
      the whole principal).
    - `overpayment`: what money paid beyond what is due does (credit balance or prepayment).
    - `late_fee`, `late_fee_grace_days`: a penalty charged once per instalment still unpaid
      more than `late_fee_grace_days` days after its due date.
    - `early_settlement_fee_percent`: fraction of the principal outstanding charged when the
      loan is settled early (0.02 for 2%).
    - `paid_to`: the borrower, or a hire-purchase merchant.
    """

    terms: LoanTerms
    deducted_fee: Money | None = None
    overpayment: OverpaymentHandling = OverpaymentHandling.CREDIT_BALANCE
    late_fee: Money | None = None
    late_fee_grace_days: int = 0
    early_settlement_fee_percent: Decimal = Decimal(0)
    paid_to: PayoutTo = field(default=PayoutTo.BORROWER)

    def __post_init__(self) -> None:
        currency = self.terms.currency
        for label, amount in (("deducted fee", self.deducted_fee), ("late fee", self.late_fee)):
            if amount is None:
                continue
            if amount.currency != currency or amount.is_negative():
                raise ValidationError(f"The {label} must be a non-negative amount in {currency}.")
        if self.deducted_fee is not None and self.deducted_fee >= self.terms.principal:
            raise ValidationError(
                f"A deducted fee of {self.deducted_fee} would leave nothing of "
                f"{self.terms.principal} to pay out."
            )
        grace = self.late_fee_grace_days
        whole = isinstance(grace, int) and not isinstance(grace, bool)
        if not whole or not 0 <= grace <= MAX_GRACE_DAYS:
            raise ValidationError(f"Late-fee grace must be 0 to {MAX_GRACE_DAYS} whole days.")
        percent = self.early_settlement_fee_percent
        if not isinstance(percent, Decimal) or not 0 <= percent <= MAX_SETTLEMENT_FEE:
            raise ValidationError(
                "The early-settlement fee must be a Decimal fraction from 0 to "
                f"{MAX_SETTLEMENT_FEE} ({MAX_SETTLEMENT_FEE * 100:.0f}%)."
            )
        object.__setattr__(self, "overpayment", OverpaymentHandling(self.overpayment))
        object.__setattr__(self, "paid_to", PayoutTo(self.paid_to))

    @property
    def deducted(self) -> Money:
        return self.deducted_fee or Money.zero(self.terms.currency)

    @property
    def financed(self) -> Money:
        return self.terms.financed_fees or Money.zero(self.terms.currency)

    @property
    def payout(self) -> Money:
        """What leaves the bank: the principal less any deducted fee."""
        return self.terms.principal - self.deducted


def contract_for_product(
    product: LoanProduct, terms: LoanTerms, *, paid_to: PayoutTo = PayoutTo.BORROWER
) -> LoanContract:
    """The contract for `terms` quoted on `product` (see `core.products.quote.quote_terms`):
    the product's deducted fee, overpayment rule, late fee and early-settlement fee."""
    deducted = None
    if product.origination_fee_treatment is FeeTreatment.DEDUCTED:
        deducted = origination_fee(product, terms.principal)
    return LoanContract(
        terms=terms,
        deducted_fee=deducted,
        overpayment=product.overpayment,
        late_fee=Money.of(product.late_fee, product.currency),
        late_fee_grace_days=product.late_fee_grace_days,
        early_settlement_fee_percent=product.early_settlement_fee_percent,
        paid_to=paid_to,
    )


def terms_to_json(terms: LoanTerms) -> dict[str, Any]:
    """`terms` as JSON-safe values (amounts and rates as strings, dates ISO)."""
    return {
        "principal": str(terms.principal.amount),
        "currency": terms.currency,
        "annual_rate": str(terms.annual_rate),
        "term": terms.term,
        "start_date": terms.start_date.isoformat(),
        "frequency": terms.frequency.value,
        "method": terms.method.value,
        "calculation": terms.calculation.value,
        "day_count": terms.day_count.value,
        "first_due_date": terms.first_due_date.isoformat() if terms.first_due_date else None,
        "principal_grace": terms.principal_grace,
        "interest_grace": terms.interest_grace,
        "rounding_multiple": (
            None if terms.rounding_multiple is None else str(terms.rounding_multiple)
        ),
        "financed_fees": None if terms.financed_fees is None else str(terms.financed_fees.amount),
    }


def terms_from_json(data: dict[str, Any]) -> LoanTerms:
    """The inverse of `terms_to_json`."""
    currency = data["currency"]
    first_due = data["first_due_date"]
    multiple = data["rounding_multiple"]
    fees = data["financed_fees"]
    return LoanTerms(
        principal=Money.of(data["principal"], currency),
        annual_rate=Decimal(data["annual_rate"]),
        term=data["term"],
        start_date=date.fromisoformat(data["start_date"]),
        frequency=data["frequency"],
        method=data["method"],
        calculation=data["calculation"],
        day_count=data["day_count"],
        first_due_date=date.fromisoformat(first_due) if first_due else None,
        principal_grace=data["principal_grace"],
        interest_grace=data["interest_grace"],
        rounding_multiple=Decimal(multiple) if multiple is not None else None,
        financed_fees=Money.of(fees, currency) if fees is not None else None,
    )
