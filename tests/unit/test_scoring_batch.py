"""Batch scoring of a CSV of applicants: results, summary and bad rows."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import ValidationError
from core.scoring.batch import score_csv
from core.scoring.models import DecisionOutcome
from tests.unit.scoring_support import CARD, RULES

FULL = ("id,age,employment_months,monthly_income,debt_to_income,bureau_score,"
        "bureau_delinquencies,employment_status,product_type,identity_verified,blacklisted,"
        "age_at_maturity,debt_service_ratio,loan_to_income,bureau_available,bureau_judgments,"
        "bureau_public_records,band_eligible,amount_over_band_cap,"
        "open_applications_same_product,recent_applications_30d,income_to_benchmark,"
        "expense_ratio,benchmark_min_expense_ratio,statement_available")
GOOD = ("a1,30,36,9000,0.2,650,0,employed,cash,true,false,32,0.3,0.5,yes,0,0,true,-1,0,0,1,0.3,"
        "0.25,no")


def csv_of(*rows: str) -> str:
    return "\n".join([FULL, *rows]) + "\n"


def test_rows_are_scored_and_decided_like_the_engine() -> None:
    judged = GOOD.replace("a1,", "a2,").replace(",0,0,true,-1", ",1,0,true,-1")
    unverified = GOOD.replace("a1,30,36", "a3,30,3").replace(",true,false,", ",false,false,")
    result = score_csv(csv_of(GOOD, judged, unverified), CARD, RULES)
    assert [(r.id, r.score, r.band, r.decision, r.fired) for r in result.results] == [
        ("a1", 660, "B", DecisionOutcome.APPROVE, ()),
        ("a2", 660, "B", DecisionOutcome.DECLINE, ("BUREAU_JUDGMENTS",)),
        ("a3", 625, "C", DecisionOutcome.REFER, ("IDENTITY_VERIFIED", "EMPLOYMENT_TENURE")),
    ]
    summary = result.summary
    assert (summary.rows, summary.scored, summary.errors) == (3, 3, 0)
    assert summary.by_band == {"B": 2, "C": 1}
    assert summary.by_decision == {"approve": 1, "decline": 1, "refer": 1}
    assert summary.mean_score == D("648.33")


def test_facts_not_in_the_file_are_missing_so_rules_refer() -> None:
    text = "age,bureau_score\n30,700\n"
    result = score_csv(text, CARD, RULES)
    row = result.results[0]
    assert (row.id, row.score, row.decision) == (None, 385 + 20 + 5 + 0 + 10 + 80 + 10 + 0 + 10,
                                                 DecisionOutcome.REFER)


def test_bad_rows_are_reported_with_their_line_and_left_out() -> None:
    result = score_csv(csv_of(GOOD, GOOD.replace(",650,", ",six hundred,"), "a9,30",
                              GOOD.replace(",true,false,", ",maybe,false,")), CARD, RULES)
    assert result.errors == [
        "line 3: bureau_score must be a number, not 'six hundred'.",
        "line 4: 2 cells for 25 columns",
        "line 5: identity_verified must be true or false, not 'maybe'.",
    ]
    assert (result.summary.rows, result.summary.scored, result.summary.errors) == (4, 1, 3)


@pytest.mark.parametrize(("text", "message"), [
    ("", "The CSV file is empty."),
    ("age,shoe_size\n30,9\n", "Unknown column(s): shoe_size."),
    ("age,age\n30,30\n", "A column appears twice in the header."),
    ("identity_verified\ntrue\n", "The CSV has none of the scorecard's facts"),
])
def test_bad_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        score_csv(text, CARD, RULES)
    assert message in caught.value.message
