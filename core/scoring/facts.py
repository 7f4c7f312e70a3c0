"""The facts rules and scorecards may use: their names, types and meanings.

Facts are gathered from the application, the customer, the credit bureau, the customer's
history with the lender and a bank-statement analysis, then derived (ratios, age at
maturity) by `core.scoring.derive`. A fact may be missing (None): no bureau file, no
employment start date. Numbers are `Decimal`; ratios are fractions (0.45 is 45%); money is
in the application's currency, monthly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Final

from core.errors import ValidationError
from core.scoring.evaluator import BOOL, NUMBER, TEXT
from core.scoring.parser import Value

_N, _T, _B = NUMBER, TEXT, BOOL

FACTS: Final[Mapping[str, tuple[str, str]]] = {
    "requested_amount": (_N, "Amount asked for (or the counter-offer's amount)."),
    "requested_term": (_N, "Number of instalments asked for."),
    "term_months": (_N, "The term in months (instalments × 12 / instalments a year)."),
    "product_code": (_T, "The product's code, e.g. PERSONAL."),
    "product_type": (_T, "'cash' or 'hire_purchase'."),
    "channel": (_T, "Where the application came from, e.g. whatsapp."),
    "age": (_N, "Applicant's age in whole years on the decision date."),
    "age_at_maturity": (_N, "Age in whole years on the last instalment's due date."),
    "customer_status": (_T, "active, blocked, closed or deceased."),
    "blacklisted": (_B, "Blocked by the lender, or a fraud alert at the bureau."),
    "identity_verified": (_B, "A current identity document has been verified."),
    "employment_status": (_T, "employed, contract, self_employed, unemployed, retired, "
                              "student."),
    "employment_months": (_N, "Whole months in the current employment."),
    "occupation": (_T, "Declared occupation, as written."),
    "gross_monthly_income": (_N, "Declared gross monthly income."),
    "net_monthly_income": (_N, "Declared net monthly income."),
    "other_monthly_income": (_N, "Declared other monthly income."),
    "monthly_income": (_N, "Net plus other monthly income, as declared."),
    "declared_expenses": (_N, "Declared monthly living expenses."),
    "bureau_available": (_B, "The credit bureau returned a file."),
    "bureau_score": (_N, "Bureau score (300–850)."),
    "bureau_open_accounts": (_N, "Open credit accounts at the bureau."),
    "bureau_delinquencies": (_N, "Accounts 30+ days late in the last 24 months."),
    "bureau_judgments": (_N, "Court judgments on file."),
    "bureau_public_records": (_N, "Public records on file (bankruptcy, liens)."),
    "bureau_enquiries": (_N, "Credit enquiries in the last 6 months."),
    "bureau_monthly_payments": (_N, "Monthly payments on accounts at the bureau."),
    "lendline_monthly_payments": (_N, "Next instalments of the customer's active loans here."),
    "recent_applications_30d": (_N, "Other applications submitted in the last 30 days."),
    "recent_applications_90d": (_N, "Other applications submitted in the last 90 days."),
    "open_applications_same_product": (_N, "Other undecided or open offers, same product."),
    "statement_available": (_B, "A bank statement was analysed for this application."),
    "statement_income": (_N, "Regular monthly income seen on the bank statement."),
    "statement_obligations": (_N, "Recurring monthly debits seen on the bank statement."),
    "statement_min_balance": (_N, "Lowest balance on the statement."),
    "statement_days_negative": (_N, "Days the statement balance was below zero."),
    "existing_debt_payments": (_N, "Monthly debt payments before this loan."),
    "income_for_affordability": (_N, "Monthly income used for affordability: the declared "
                                     "income, or the statement's when lower."),
    "debt_to_income": (_N, "Existing debt payments / income for affordability."),
    "expense_ratio": (_N, "Declared expenses / declared monthly income."),
    "income_to_benchmark": (_N, "Gross income / the occupation's typical gross income."),
    "benchmark_min_expense_ratio": (_N, "Lowest plausible expense ratio for the occupation."),
    "loan_to_income": (_N, "Amount / a year of income for affordability."),
    "score": (_N, "The scorecard's score."),
    "score_band": (_T, "The risk band of the score, A to E."),
    "band_eligible": (_B, "The product lends to this risk band."),
    "band_max_amount": (_N, "The most the product lends to this band."),
    "amount_over_band_cap": (_N, "Amount − the band's limit (≤ 0 when within it)."),
    "annual_rate": (_N, "The band's nominal annual rate."),
    "new_instalment": (_N, "The new loan's largest instalment, as a monthly amount."),
    "debt_service_ratio": (_N, "(Existing debt payments + new instalment) / income."),
}
"""Every fact: name → (type, meaning)."""

CATALOGUE: Final[Mapping[str, str]] = {name: kind for name, (kind, _) in FACTS.items()}
"""Fact name → type, for `compile_expression`."""

_TRUE: Final = frozenset({"true", "yes", "y", "1"})
_FALSE: Final = frozenset({"false", "no", "n", "0"})


def parse_fact(name: str, text: object) -> Value:
    """A fact's value from text (a CSV cell, a what-if field); "" or None means missing.

    Raises ValidationError for an unknown fact or a value of the wrong type.
    """
    if name not in CATALOGUE:
        raise ValidationError(f"{name!r} is not a known fact.")
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    kind = CATALOGUE[name]
    if isinstance(text, bool):
        if kind != BOOL:
            raise ValidationError(f"{name} needs {kind}, not true/false.")
        return text
    if isinstance(text, float):
        raise ValidationError(f"{name}: send numbers as text or whole numbers, not floats.")
    raw = str(text).strip()
    if kind == NUMBER:
        try:
            number = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise ValidationError(f"{name} must be a number, not {raw!r}.") from None
        if not number.is_finite():
            raise ValidationError(f"{name} must be a number, not {raw!r}.")
        return number
    if kind == BOOL:
        lowered = raw.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE
        raise ValidationError(f"{name} must be true or false, not {raw!r}.")
    return raw

PRICED: Final = frozenset({
    "score", "score_band", "band_eligible", "band_max_amount", "amount_over_band_cap",
    "annual_rate", "new_instalment", "debt_service_ratio",
})
"""Facts that exist only once the score is known: a scorecard cannot use them."""
