"""The demo lender's scorecard, as data (code DEMO).

Eight characteristics, base 385 points, clamped to 300–850. A typical salaried borrower
(30 years old, three years in the job, TTD 9,000 a month, a fifth of it already on debt,
bureau score 650 with a clean record) scores 385 + 20 + 35 + 25 + 35 + 80 + 40 + 30 + 10
= 660, band B.

| band | scores   |
| ---- | -------- |
| A    | 720–850  |
| B    | 660–719  |
| C    | 600–659  |
| D    | 540–599  |
| E    | 300–539  |
"""

from __future__ import annotations

from typing import Any, Final


def _numeric(fact: str, label: str, reason: str, missing: int,
             *bins: tuple[str, str | None, str | None, int]) -> dict[str, Any]:
    return {"fact": fact, "label": label, "kind": "numeric", "reason": reason,
            "missing_points": missing,
            "bins": [{"label": name, "lower": low, "upper": high, "points": points}
                     for name, low, high, points in bins]}


def _categorical(fact: str, label: str, reason: str, missing: int,
                 *bins: tuple[str, tuple[str, ...], int]) -> dict[str, Any]:
    return {"fact": fact, "label": label, "kind": "categorical", "reason": reason,
            "missing_points": missing,
            "bins": [{"label": name, "values": list(values), "points": points}
                     for name, values, points in bins]}


DEMO_SCORECARD: Final[dict[str, Any]] = {
    "base_score": 385, "min_score": 300, "max_score": 850, "scaling": None,
    "bands": [{"band": "A", "min_score": 720}, {"band": "B", "min_score": 660},
              {"band": "C", "min_score": 600}, {"band": "D", "min_score": 540},
              {"band": "E", "min_score": 300}],
    "characteristics": [
        _numeric("age", "Age", "Age", 0,
                 ("under 25", None, "25", 10), ("25–34", "25", "35", 20),
                 ("35–49", "35", "50", 35), ("50–64", "50", "65", 30), ("65+", "65", None, 15)),
        _numeric("employment_months", "Time in current employment",
                 "Length of time in your current employment", 5,
                 ("under 6 months", None, "6", 0), ("6–11 months", "6", "12", 10),
                 ("1–2 years", "12", "24", 20), ("2–5 years", "24", "60", 35),
                 ("5 years or more", "60", None, 45)),
        _numeric("monthly_income", "Monthly income", "Level of your income", 0,
                 ("under 4,000", None, "4000", 0), ("4,000–6,999", "4000", "7000", 12),
                 ("7,000–11,999", "7000", "12000", 25), ("12,000–19,999", "12000", "20000", 35),
                 ("20,000 or more", "20000", None, 45)),
        _numeric("debt_to_income", "Debt payments to income",
                 "Your existing debt repayments compared with your income", 10,
                 ("under 10%", None, "0.10", 45), ("10–24%", "0.10", "0.25", 35),
                 ("25–39%", "0.25", "0.40", 20), ("40–59%", "0.40", "0.60", 5),
                 ("60% or more", "0.60", None, -10)),
        _numeric("bureau_score", "Credit bureau score", "Your credit history at the bureau", 25,
                 ("under 500", None, "500", -20), ("500–579", "500", "580", 20),
                 ("580–649", "580", "650", 50), ("650–719", "650", "720", 80),
                 ("720 or more", "720", None, 110)),
        _numeric("bureau_delinquencies", "Late accounts (24 months)",
                 "Late payments on your credit accounts", 10,
                 ("none", None, "1", 40), ("one", "1", "2", 15), ("two or three", "2", "4", -5),
                 ("four or more", "4", None, -25)),
        _categorical("employment_status", "Employment status", "Your type of employment", 0,
                     ("Employed", ("employed",), 30), ("Contract", ("contract",), 20),
                     ("Self-employed or retired", ("self_employed", "retired"), 15),
                     ("No regular work", ("unemployed", "student"), 0)),
        _categorical("product_type", "Kind of loan", "The kind of loan asked for", 10,
                     ("Cash loan", ("cash",), 10), ("Hire purchase", ("hire_purchase",), 20)),
    ],
}
"""The stored definition of scorecard DEMO v1 (validated by `ScorecardSpec`)."""
