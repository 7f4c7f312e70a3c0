"""Buckets by days past due, and the case priority score with its reasons."""

from __future__ import annotations

import pytest

from core.collections.buckets import Bucket, bucket_for, bucket_sql
from core.collections.priority import priority, priority_sql
from core.money import Money


@pytest.mark.parametrize(("days", "bucket"), [
    (-3, Bucket.CURRENT), (0, Bucket.CURRENT), (1, Bucket.DPD_1_30), (30, Bucket.DPD_1_30),
    (31, Bucket.DPD_31_60), (60, Bucket.DPD_31_60), (61, Bucket.DPD_61_90),
    (90, Bucket.DPD_61_90), (91, Bucket.DPD_90_PLUS), (4000, Bucket.DPD_90_PLUS),
])
def test_bucket_boundaries(days: int, bucket: Bucket) -> None:
    assert bucket_for(days) is bucket


def test_bucket_sql_states_the_same_bounds() -> None:
    assert bucket_sql("d") == (
        "(CASE WHEN d <= 0 THEN 'current' WHEN d <= 30 THEN '1-30' WHEN d <= 60 THEN '31-60' "
        "WHEN d <= 90 THEN '61-90' ELSE '90+' END)"
    )


def test_a_new_case_in_early_arrears() -> None:
    score = priority(bucket=Bucket.DPD_1_30, arrears=Money.of("888.49"), broken_promises=0,
                     days_since_contact=None)
    assert score.score == 25
    assert score.reasons == ("1-30 days past due: +10", "TTD 888.49 in arrears: +5",
                             "never contacted: +10")


@pytest.mark.parametrize(("arrears", "points"), [
    ("499.99", 0), ("500.00", 5), ("1999.99", 5), ("2000.00", 10), ("10000.00", 15),
    ("49999.99", 15), ("50000.00", 20),
])
def test_amount_bands(arrears: str, points: int) -> None:
    score = priority(bucket=Bucket.CURRENT, arrears=Money.of(arrears), broken_promises=0,
                     days_since_contact=0)
    assert score.score == points


@pytest.mark.parametrize(("broken", "days", "expected"), [
    (0, 0, 50), (0, 6, 50), (0, 7, 55), (0, 13, 55), (0, 14, 60), (1, 14, 70), (2, 3, 70),
    (5, 3, 70),
])
def test_broken_promises_cap_and_days_since_contact(broken: int, days: int,
                                                    expected: int) -> None:
    score = priority(bucket=Bucket.DPD_90_PLUS, arrears=Money.of("100.00"),
                     broken_promises=broken, days_since_contact=days)
    assert score.score == expected


def test_the_highest_score_is_100() -> None:
    score = priority(bucket=Bucket.DPD_90_PLUS, arrears=Money.of("75000.00"),
                     broken_promises=4, days_since_contact=None)
    assert score.score == 100


def test_priority_sql_names_the_columns_given() -> None:
    sql = priority_sql(bucket="b", arrears="a", broken="n", days_since_contact="d")
    assert "CASE b WHEN 'current' THEN 0" in sql and "WHEN a >= 50000 THEN 20" in sql
    assert "LEAST(10 * n, 20)" in sql and "WHEN d IS NULL THEN 10 WHEN d >= 14 THEN 10" in sql
