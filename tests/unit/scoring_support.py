"""A pure applicant for the demo lender (no database): a 35-year-old teacher on TTD 10,000
net a month, asking TTD 20,000 over 24 months for a PERSONAL loan, with a clean bureau
file (score 700, TTD 1,000 a month already owed)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from core.money import Money
from core.products.catalogue import PRODUCTS
from core.scoring.bureau import BureauReport
from core.scoring.demo_rules import DEMO_RULES
from core.scoring.demo_scorecard import DEMO_SCORECARD
from core.scoring.derive import Applicant
from core.scoring.gather import bureau_facts
from core.scoring.parser import Value
from core.scoring.rules import RuleSetSpec
from core.scoring.scorecard import ScorecardSpec
from core.scoring.scoring import CompiledScorecard

TODAY = dt.date(2025, 6, 2)
CARD = CompiledScorecard(ScorecardSpec.from_dict(DEMO_SCORECARD))
RULES = RuleSetSpec.from_dict({"rules": DEMO_RULES}).compile()
PERSONAL = next(p for p in PRODUCTS if p.code == "PERSONAL")
CLEAN = BureauReport(reference="X", score=700, open_accounts=2, delinquencies=0, judgments=0,
                     public_records=0, enquiries=1, monthly_payments=D(1000))


def gathered(**changes: Value) -> dict[str, Value]:
    facts: dict[str, Value] = {
        "channel": "whatsapp", "age": D(35), "customer_status": "active", "blacklisted": False,
        "identity_verified": True, "employment_status": "employed",
        "employment_months": D(77), "occupation": "Teacher",
        "gross_monthly_income": D("12000.00"), "net_monthly_income": D("10000.00"),
        "other_monthly_income": D("0.00"), "monthly_income": D("10000.00"),
        "declared_expenses": D("3500.00"), **bureau_facts(CLEAN),
        "lendline_monthly_payments": D("0.00"), "recent_applications_30d": D(0),
        "recent_applications_90d": D(0), "open_applications_same_product": D(0),
        "statement_available": False, "statement_income": None, "statement_obligations": None,
        "statement_min_balance": None, "statement_days_negative": None,
    }
    facts.update(changes)
    return facts


def applicant(amount: str = "20000", term: int = 24, born: dt.date = dt.date(1990, 5, 1),
              product: Any = PERSONAL, **changes: Value) -> Applicant:
    return Applicant(application_id=1, customer_id=7, reference="APP-000001", today=TODAY,
                     product=product, amount=Money.of(amount), term=term, date_of_birth=born,
                     gathered=gathered(**changes))
