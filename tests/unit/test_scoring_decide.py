"""The decision policy on a pure applicant: approve, decline, refer, counter-offer, the
principal reasons, the counter-offer search order and reproducibility."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from core.money import Money
from core.products.catalogue import PRODUCTS
from core.scoring.assess import decide
from core.scoring.counter_offer import grid
from core.scoring.models import DecisionOutcome
from core.scoring.rules import RuleSpec, compile_rule
from tests.unit.scoring_support import CARD, RULES, applicant

MICRO = next(p for p in PRODUCTS if p.code == "MICRO_BUSINESS")

MISSING_BUREAU = {"bureau_available": False, "bureau_score": None, "bureau_judgments": None,
                  "bureau_delinquencies": None, "bureau_public_records": None,
                  "bureau_monthly_payments": None, "bureau_open_accounts": None,
                  "bureau_enquiries": None}


def test_worked_example_is_approved_at_the_band_rate() -> None:
    decision = decide(applicant(), CARD, RULES)
    facts = decision.assessment.facts
    assert decision.outcome is DecisionOutcome.APPROVE
    assert (decision.assessment.score.total, decision.assessment.score.band) == (685, "B")
    # TTD 20,000 over 24 months at band B's 14.5%: TTD 964.99 a month; with TTD 1,000 already
    # owed on TTD 10,000 income: 1,964.99 / 10,000.
    assert (facts["annual_rate"], facts["new_instalment"]) == (D("0.145"), D("964.99"))
    assert (facts["debt_service_ratio"], facts["debt_to_income"]) == (D("0.1965"), D("0.1000"))
    assert (facts["loan_to_income"], facts["age_at_maturity"]) == (D("0.1667"), D(37))
    assert (facts["amount_over_band_cap"], facts["term_months"]) == (D("-100000.00"), D("24.00"))
    assert decision.offer is decision.assessment
    assert decision.reasons == ()


def test_a_judgment_declines_with_its_reason() -> None:
    decision = decide(applicant(bureau_judgments=D(1)), CARD, RULES)
    assert decision.outcome is DecisionOutcome.DECLINE
    assert decision.reasons == ("There is a court judgment on your credit file.",)
    assert decision.offer is None


def test_a_low_score_is_explained_by_the_characteristics_that_cost_most() -> None:
    weak = applicant(bureau_score=D(480), bureau_delinquencies=D(3), employment_months=D(8),
                     monthly_income=D(4000), net_monthly_income=D(4000),
                     gross_monthly_income=D(5000), amount="8000", term=12)
    decision = decide(weak, CARD, RULES)
    # 385 + age 35 + 8 months 10 + income 12 + debts 25% 20 + bureau −20 + 3 late −5
    # + employed 30 + cash 10 = 477, band E, which PERSONAL does not lend to.
    assert (decision.outcome, decision.assessment.score.total) == (DecisionOutcome.DECLINE, 477)
    assert decision.reasons == (
        "This product is not available for your credit profile.",
        "Your credit history at the bureau",
        "Late payments on your credit accounts",
        "Length of time in your current employment",
    )


def test_affordability_gives_a_counter_offer_with_a_longer_term() -> None:
    decision = decide(applicant(amount="80000", term=12), CARD, RULES)
    assert decision.outcome is DecisionOutcome.COUNTER_OFFER
    assert decision.assessment.facts["debt_service_ratio"] == D("0.8202")
    offer = decision.offer
    assert offer is not None
    assert (offer.amount, offer.term) == (Money.of("80000"), 27)
    assert (offer.facts["new_instalment"], offer.facts["debt_service_ratio"]) == (
        D("3490.24"), D("0.4490"))
    assert decision.candidates_tried == 5
    assert decision.reasons == (
        "Your debt repayments, including this loan, would be more than 45% of your income.",)


def test_an_amount_above_the_band_limit_is_offered_at_the_limit() -> None:
    decision = decide(applicant(amount="150000", term=60), CARD, RULES)
    assert decision.outcome is DecisionOutcome.COUNTER_OFFER
    assert decision.offer is not None
    assert (decision.offer.amount, decision.offer.term) == (Money.of("120000"), 60)
    assert decision.assessment.facts["amount_over_band_cap"] == D("30000.00")
    assert decision.assessment.facts["debt_service_ratio"] == D("0.4529")


def test_no_affordable_candidate_declines() -> None:
    stretched = applicant(amount="50000", term=24, monthly_income=D(4000),
                          net_monthly_income=D(4000), gross_monthly_income=D(5000),
                          bureau_monthly_payments=D(1900))
    decision = decide(stretched, CARD, RULES)
    assert decision.outcome is DecisionOutcome.DECLINE
    # Ten amounts: the first fails over its longest term, then bisection tries the 6th,
    # 9th and 10th (each unaffordable even over its longest term); no shorter term is tried.
    assert len(grid(stretched, decision.assessment.score.band)) == 10
    assert decision.candidates_tried == 4


def test_a_counter_offer_needing_review_is_referred_with_the_suggestion() -> None:
    decision = decide(applicant(amount="80000", term=12, identity_verified=False), CARD, RULES)
    assert decision.outcome is DecisionOutcome.REFER
    assert decision.offer is None and decision.suggestion is not None
    assert (decision.suggestion.amount, decision.suggestion.term) == (Money.of("80000"), 27)
    assert decision.reasons[1] == "We have not yet been able to verify your identity."


def test_no_bureau_file_is_referred_with_what_could_not_be_checked() -> None:
    decision = decide(applicant(**MISSING_BUREAU), CARD, RULES)
    assert (decision.outcome, decision.assessment.score.total) == (DecisionOutcome.REFER, 610)
    assert decision.reasons == (
        "The credit bureau has no file on you that we could check.",
        "We could not check: no court judgments at the bureau.",
        "We could not check: no public records at the bureau.",
    )


def test_a_hard_decline_that_is_not_affordability_never_searches() -> None:
    decision = decide(applicant(amount="80000", term=12, age=D(17)), CARD, RULES)
    assert (decision.outcome, decision.candidates_tried) == (DecisionOutcome.DECLINE, 0)
    assert decision.reasons[0] == "You must be at least 18 years old."


def test_soft_flags_never_change_the_outcome() -> None:
    decision = decide(applicant(declared_expenses=D(100)), CARD, RULES)
    flagged = [r.rule.id for r in decision.assessment.rules if r.outcome.value == "fired"]
    assert flagged == ["EXPENSES_PLAUSIBLE"]
    assert decision.outcome is DecisionOutcome.APPROVE


def test_an_offer_the_product_cannot_quote_is_never_made() -> None:
    rules = tuple(
        compile_rule(RuleSpec.from_dict({**r.spec.as_dict(), "enabled": False}))
        if r.spec.id == "BAND_CAP" else r for r in RULES)
    decision = decide(applicant(amount="150000", term=60, monthly_income=D(40000)), CARD, rules)
    assert decision.outcome is DecisionOutcome.REFER
    assert decision.reasons[-1] == "The product cannot be offered for this risk band and amount."


def test_the_same_inputs_always_decide_the_same() -> None:
    first, second = (decide(applicant(amount="80000", term=12), CARD, RULES) for _ in range(2))
    assert first == second


def test_counter_offer_grid_is_largest_amount_first_and_shortest_term_first() -> None:
    found = grid(applicant(amount="150000", term=52), "B")
    assert [amount for amount, _ in found] == [Money.of(v) for v in (
        120000, 105000, 90000, 75000, 60000, 45000, 30000, 15000, 5000)]
    assert found[0][1] == [52, 55, 58, 60]
    assert grid(applicant(), "E") == []
    weekly = applicant(amount="10000", term=20, product=MICRO)
    assert grid(weekly, "A")[0][1] == [20, 33, 46, 52]


def test_the_shortest_affordable_term_is_found_by_bisection() -> None:
    """80,000 over 12, 15, ..., 60 months: affordable from 27 months. The longest (60) is
    tried first, then 36, 24, 30 and 27: five assessments instead of up to seventeen."""
    decision = decide(applicant(amount="80000", term=12), CARD, RULES)
    assert decision.offer is not None and decision.offer.term == 27
    assert decision.candidates_tried == 5


def test_age_at_maturity_moves_the_search_to_a_smaller_amount() -> None:
    """68 now, 69 from September. 80,000 is affordable from 27 months, but they would be 71
    then, and a longer term only makes that worse; 72,000 is affordable over 24 months,
    when they are 70."""
    older = applicant(amount="80000", term=12, born=dt.date(1956, 9, 1))
    decision = decide(older, CARD, RULES)
    assert decision.outcome is DecisionOutcome.COUNTER_OFFER
    offer = decision.offer
    assert offer is not None
    assert (offer.amount, offer.term, offer.facts["age_at_maturity"],
            offer.facts["debt_service_ratio"]) == (Money.of("72000"), 24, D(70), D("0.4474"))
    assert decision.candidates_tried == 10


def test_hire_purchase_counter_offers_only_move_the_term() -> None:
    hire = next(p for p in PRODUCTS if p.code == "HP_STANDARD")
    assert [amount for amount, _ in grid(applicant(amount="30000", term=6, product=hire),
                                         "B")] == [Money.of("30000")]
    assert grid(applicant(amount="55000", term=6, product=hire), "B") == []
    decision = decide(applicant(amount="30000", term=6, product=hire), CARD, RULES)
    assert decision.outcome is DecisionOutcome.COUNTER_OFFER
    assert decision.offer is not None and decision.offer.amount == Money.of("30000")
    assert decision.offer.term > 6
