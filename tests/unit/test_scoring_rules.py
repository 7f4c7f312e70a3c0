"""Business rules: every default rule at and around its threshold, and rule validation."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from core.errors import ValidationError
from core.scoring.assess import assess
from core.scoring.parser import Value
from core.scoring.rules import Outcome, RuleSetSpec, RuleSpec, Severity, compile_rule
from tests.unit.scoring_support import CARD, RULES, applicant

RULE = {rule.spec.id: rule for rule in RULES}
F, P, M = Outcome.FIRED, Outcome.PASS, Outcome.MISSING


def clean_facts() -> dict[str, Value]:
    return dict(assess(applicant(), CARD, RULES, amount=applicant().amount, term=24,
                       quotes={}).facts)


def test_the_clean_applicant_passes_every_rule() -> None:
    facts = clean_facts()
    assert {rule.spec.id: rule.check(facts)[0] for rule in RULES} == dict.fromkeys(RULE, P)
    assert len(RULE) == 22


CASES: list[tuple[str, dict[str, Value], Outcome]] = [
    ("IDENTITY_VERIFIED", {"identity_verified": False}, F),
    ("IDENTITY_VERIFIED", {"identity_verified": True}, P),
    ("BLACKLIST", {"blacklisted": True}, F),
    ("BLACKLIST", {"blacklisted": False}, P),
    ("MIN_AGE", {"age": D(17)}, F),
    ("MIN_AGE", {"age": D(18)}, P),
    ("MIN_AGE", {"age": D(19)}, P),
    ("MAX_AGE_AT_MATURITY", {"age_at_maturity": D(69)}, P),
    ("MAX_AGE_AT_MATURITY", {"age_at_maturity": D(70)}, P),
    ("MAX_AGE_AT_MATURITY", {"age_at_maturity": D(71)}, F),
    ("MIN_INCOME", {"monthly_income": D("2999.99")}, F),
    ("MIN_INCOME", {"monthly_income": D("3000.00")}, P),
    ("MIN_INCOME", {"monthly_income": D("3000.01")}, P),
    ("MIN_INCOME", {"monthly_income": None}, M),
    ("EMPLOYMENT_STATUS", {"employment_status": "unemployed"}, F),
    ("EMPLOYMENT_STATUS", {"employment_status": "student"}, F),
    ("EMPLOYMENT_STATUS", {"employment_status": "retired"}, P),
    ("EMPLOYMENT_STATUS", {"employment_status": "self_employed"}, P),
    ("EMPLOYMENT_TENURE", {"employment_months": D(5)}, F),
    ("EMPLOYMENT_TENURE", {"employment_months": D(6)}, P),
    ("EMPLOYMENT_TENURE", {"employment_months": D(7)}, P),
    ("EMPLOYMENT_TENURE", {"employment_months": None}, F),
    ("EMPLOYMENT_TENURE", {"employment_status": "retired", "employment_months": None}, P),
    ("DEBT_SERVICE_RATIO", {"debt_service_ratio": D("0.4499")}, P),
    ("DEBT_SERVICE_RATIO", {"debt_service_ratio": D("0.4500")}, P),
    ("DEBT_SERVICE_RATIO", {"debt_service_ratio": D("0.4501")}, F),
    ("DEBT_SERVICE_RATIO", {"debt_service_ratio": None}, M),
    ("LOAN_TO_INCOME", {"loan_to_income": D("1.4999")}, P),
    ("LOAN_TO_INCOME", {"loan_to_income": D("1.5")}, P),
    ("LOAN_TO_INCOME", {"loan_to_income": D("1.5001")}, F),
    ("BUREAU_FILE", {"bureau_available": False}, F),
    ("BUREAU_FILE", {"bureau_available": True}, P),
    ("BUREAU_JUDGMENTS", {"bureau_judgments": D(0)}, P),
    ("BUREAU_JUDGMENTS", {"bureau_judgments": D(1)}, F),
    ("BUREAU_JUDGMENTS", {"bureau_judgments": None}, M),
    ("BUREAU_PUBLIC_RECORDS", {"bureau_public_records": D(0)}, P),
    ("BUREAU_PUBLIC_RECORDS", {"bureau_public_records": D(1)}, F),
    ("SCORE_DECLINE", {"score": D(499)}, F),
    ("SCORE_DECLINE", {"score": D(500)}, P),
    ("SCORE_DECLINE", {"score": D(501)}, P),
    ("SCORE_REFER", {"score": D(559)}, F),
    ("SCORE_REFER", {"score": D(560)}, P),
    ("SCORE_REFER", {"score": D(561)}, P),
    ("BAND_ELIGIBLE", {"band_eligible": False}, F),
    ("BAND_ELIGIBLE", {"band_eligible": True}, P),
    ("BAND_CAP", {"amount_over_band_cap": D("-0.01")}, P),
    ("BAND_CAP", {"amount_over_band_cap": D("0.00")}, P),
    ("BAND_CAP", {"amount_over_band_cap": D("0.01")}, F),
    ("BAND_CAP", {"amount_over_band_cap": None}, M),
    ("DUPLICATE_APPLICATION", {"open_applications_same_product": D(0)}, P),
    ("DUPLICATE_APPLICATION", {"open_applications_same_product": D(1)}, F),
    ("RECENT_APPLICATIONS", {"recent_applications_30d": D(2)}, P),
    ("RECENT_APPLICATIONS", {"recent_applications_30d": D(3)}, F),
    ("RECENT_APPLICATIONS", {"recent_applications_30d": D(4)}, F),
    ("INCOME_PLAUSIBLE", {"income_to_benchmark": D("2.4999")}, P),
    ("INCOME_PLAUSIBLE", {"income_to_benchmark": D("2.5")}, P),
    ("INCOME_PLAUSIBLE", {"income_to_benchmark": D("2.5001")}, F),
    ("EXPENSES_PLAUSIBLE", {"expense_ratio": D("0.1251")}, P),
    ("EXPENSES_PLAUSIBLE", {"expense_ratio": D("0.125")}, P),
    ("EXPENSES_PLAUSIBLE", {"expense_ratio": D("0.1249")}, F),
    ("STATEMENT_INCOME", {"statement_available": True, "statement_income": D("7999.99")}, F),
    ("STATEMENT_INCOME", {"statement_available": True, "statement_income": D("8000.00")}, P),
    ("STATEMENT_INCOME", {"statement_available": True, "statement_income": D("8000.01")}, P),
    ("STATEMENT_INCOME", {"statement_available": False}, P),
    ("STATEMENT_OVERDRAWN", {"statement_days_negative": D(10)}, P),
    ("STATEMENT_OVERDRAWN", {"statement_days_negative": D(11)}, F),
    ("STATEMENT_OVERDRAWN", {"statement_days_negative": None}, P),
]


@pytest.mark.parametrize(("rule_id", "changes", "expected"), CASES)
def test_default_rule_at_and_around_its_threshold(
    rule_id: str, changes: dict[str, Value], expected: Outcome
) -> None:
    facts = {**clean_facts(), **changes}
    assert RULE[rule_id].check(facts)[0] is expected


def test_every_default_rule_is_tested_at_its_threshold() -> None:
    assert {rule_id for rule_id, _, _ in CASES} == set(RULE)
    assert {rule_id for rule_id, _, outcome in CASES if outcome is F} == set(RULE)


def test_a_disabled_rule_never_fires() -> None:
    spec = RuleSpec.from_dict({**RULE["MIN_AGE"].spec.as_dict(), "enabled": False})
    assert compile_rule(spec).check({"age": D(12)}) == (Outcome.DISABLED, None, None)


def test_an_evaluation_error_is_an_outcome_not_a_crash() -> None:
    expenses = RULE["EXPENSES_PLAUSIBLE"]
    outcome, _, problem = expenses.check({**clean_facts(), "benchmark_min_expense_ratio": D(0)})
    assert (outcome, problem) == (Outcome.ERROR, "Division by zero.")


BASE: dict[str, Any] = {"id": "R1", "description": "Test", "expression": "age",
                        "operator": "<", "threshold": "18", "severity": "hard_decline",
                        "reason": "Too young."}


@pytest.mark.parametrize(("changes", "message"), [
    ({"id": "1BAD"}, "'1BAD' is not a rule id"),
    ({"operator": "=>"}, "Rule R1: '=>' is not an operator"),
    ({"severity": "maybe"}, "'maybe' is not a rule severity"),
    ({"threshold": "'eighteen'"}, "Rule R1: the expression gives number but the threshold "
                                  "'eighteen' is text."),
    ({"threshold": "[18, 21]"}, "Rule R1 threshold: use a list with `in` / `not in`, and only "
                                "with them."),
    ({"operator": "in", "threshold": "18"}, "use a list with `in`"),
    ({"threshold": "age"}, "Rule R1 threshold must be a number, quoted text, true/false"),
    ({"threshold": "18 +"}, "Rule R1 threshold: Expected a value"),
    ({"expression": "age +"}, "Rule R1 expression: Expected a value, found the end of the "
                              "expression (at position 6)."),
    ({"expression": "agee"}, "Rule R1 expression: Unknown fact 'agee' (at position 1)."),
    ({"expression": "identity_verified", "threshold": "true"}, "compare true/false with == "
                                                               "or !="),
    ({"reason": "  "}, "Rule R1 needs a reason of 1 to 300 characters."),
    ({"enabled": "yes"}, "Rule R1: flags must be true or false."),
])
def test_invalid_rules_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RuleSpec.from_dict({**BASE, **changes})
    assert message in caught.value.message


def test_rule_sets_need_unique_rules_and_known_fields() -> None:
    with pytest.raises(ValidationError, match="Rule R1 is listed twice"):
        RuleSetSpec.from_dict({"rules": [BASE, BASE]})
    with pytest.raises(ValidationError, match="Unknown rule field"):
        RuleSetSpec.from_dict({"rules": [{**BASE, "weight": 2}]})
    with pytest.raises(ValidationError, match="A rule needs: threshold"):
        RuleSetSpec.from_dict({"rules": [{k: v for k, v in BASE.items() if k != "threshold"}]})
    with pytest.raises(ValidationError, match="at least one rule"):
        RuleSetSpec.from_dict({"rules": []})
    assert RuleSpec.from_dict(BASE).severity is Severity.HARD_DECLINE
