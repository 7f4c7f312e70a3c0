"""The demo lender's business rules (rule set DEMO), as data.

Each rule fires when `expression operator threshold` holds; docs/decisioning.md lists them
as a table. Affordability rules (debt-service ratio, loan to income, band limit) are
counter-offerable: a smaller amount or a longer term may satisfy them.
"""

from __future__ import annotations

from typing import Any, Final

_H, _R, _S = "hard_decline", "refer", "soft_flag"


def _rule(rule_id: str, description: str, expression: str, operator: str, threshold: str,
          severity: str, reason: str, *, counter_offerable: bool = False) -> dict[str, Any]:
    return {"id": rule_id, "description": description, "expression": expression,
            "operator": operator, "threshold": threshold, "severity": severity,
            "reason": reason, "enabled": True, "counter_offerable": counter_offerable}


DEMO_RULES: Final[list[dict[str, Any]]] = [
    _rule("IDENTITY_VERIFIED", "Identity document verified", "identity_verified", "==",
          "false", _R, "We have not yet been able to verify your identity."),
    _rule("BLACKLIST", "Not blocked by the lender or flagged for fraud", "blacklisted", "==",
          "true", _H, "We are unable to offer you credit at this time."),
    _rule("MIN_AGE", "Applicant is at least 18", "age", "<", "18", _H,
          "You must be at least 18 years old."),
    _rule("MAX_AGE_AT_MATURITY", "Age when the loan ends is at most 70", "age_at_maturity", ">",
          "70", _H, "You would be older than 70 when the loan ends."),
    _rule("MIN_INCOME", "Monthly income at least TTD 3,000", "monthly_income", "<", "3000", _H,
          "Your income is below our minimum of TTD 3,000 a month."),
    _rule("EMPLOYMENT_STATUS", "Regular income from work, business or pension",
          "employment_status", "in", "['unemployed', 'student']", _H,
          "We need a regular income from employment, self-employment or a pension."),
    _rule("EMPLOYMENT_TENURE", "At least 6 months in the current employment",
          "employment_status != 'retired' and coalesce(employment_months, 0) < 6", "==", "true",
          _R, "You have been in your current employment for less than six months."),
    _rule("DEBT_SERVICE_RATIO", "Debt payments with this loan at most 45% of income",
          "debt_service_ratio", ">", "0.45", _H,
          "Your debt repayments, including this loan, would be more than 45% of your income.",
          counter_offerable=True),
    _rule("LOAN_TO_INCOME", "Amount at most 1.5 times a year's income", "loan_to_income", ">",
          "1.5", _H, "The amount asked for is high compared with your yearly income.",
          counter_offerable=True),
    _rule("BUREAU_FILE", "A credit bureau file exists", "bureau_available", "==", "false", _R,
          "The credit bureau has no file on you that we could check."),
    _rule("BUREAU_JUDGMENTS", "No court judgments at the bureau", "bureau_judgments", ">", "0",
          _H, "There is a court judgment on your credit file."),
    _rule("BUREAU_PUBLIC_RECORDS", "No public records at the bureau", "bureau_public_records",
          ">", "0", _R, "There is a public record, such as a bankruptcy or a lien, on your "
          "credit file."),
    _rule("SCORE_DECLINE", "Score at least 500", "score", "<", "500", _H,
          "Your credit score is below our minimum."),
    _rule("SCORE_REFER", "Score at least 560 to decide automatically", "score", "<", "560", _R,
          "Your credit score needs a review by our team."),
    _rule("BAND_ELIGIBLE", "The product lends to the risk band", "band_eligible", "==", "false",
          _H, "This product is not available for your credit profile."),
    _rule("BAND_CAP", "Amount within the risk band's limit", "amount_over_band_cap", ">", "0",
          _H, "The amount asked for is above the limit for your credit profile.",
          counter_offerable=True),
    _rule("DUPLICATE_APPLICATION", "No other open application for the same product",
          "open_applications_same_product", ">", "0", _R,
          "You already have an open application or offer for this product."),
    _rule("RECENT_APPLICATIONS", "Fewer than 3 other applications in 30 days",
          "recent_applications_30d", ">=", "3", _R,
          "You have applied for credit several times in the last 30 days."),
    _rule("INCOME_PLAUSIBLE", "Income at most 2.5 times typical for the occupation",
          "income_to_benchmark", ">", "2.5", _R,
          "Your declared income is much higher than usual for your occupation; we need to "
          "confirm it."),
    _rule("EXPENSES_PLAUSIBLE", "Expenses at least half the occupation's plausible minimum",
          "expense_ratio / benchmark_min_expense_ratio", "<", "0.5", _S,
          "Your declared living expenses look low; we may ask you to confirm them."),
    _rule("STATEMENT_INCOME", "Statement income at least 80% of the declared income",
          "statement_available and statement_income < monthly_income * 0.8", "==", "true", _R,
          "Your bank statement shows less regular income than you declared."),
    _rule("STATEMENT_OVERDRAWN", "Account overdrawn at most 10 days on the statement",
          "coalesce(statement_days_negative, 0)", ">", "10", _S,
          "Your bank account was often overdrawn."),
]
"""The stored definition of rule set DEMO v1: {"rules": DEMO_RULES}."""
