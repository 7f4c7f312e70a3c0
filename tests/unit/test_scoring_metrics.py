"""AUC, Gini, KS and PSI on small tables worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.errors import ValidationError
from core.scoring import metrics

# Four goods scoring 700, 650, 600, 550 and three bads scoring 620, 500, 450.
# Pairs (good, bad) where the good scores higher: 700 beats 3, 650 beats 3, 600 beats 2,
# 550 beats 2 → 10 of 12. AUC = 10/12 = 0.833333, Gini = 0.666666.
SCORES = [700, 650, 600, 550, 620, 500, 450]
BADS = [False, False, False, False, True, True, True]


def test_auc_and_gini_by_hand() -> None:
    assert metrics.auc(SCORES, BADS) == D("0.833333")
    assert metrics.gini(SCORES, BADS) == D("0.666666")


def test_ties_count_half() -> None:
    # One good and one bad on 600, one bad on 500: the good beats 1 and ties 1 → 1.5 / 2.
    assert metrics.auc([600, 600, 500], [False, True, True]) == D("0.75")
    assert metrics.auc([600, 600], [False, True]) == D("0.5")


def test_perfect_and_reversed_ranking() -> None:
    assert metrics.auc([900, 800, 100, 50], [False, False, True, True]) == D(1)
    assert metrics.gini([100, 50, 900, 800], [False, False, True, True]) == D(-1)
    assert metrics.ks([900, 800, 100, 50], [False, False, True, True]) == D(1)


def test_ks_by_hand() -> None:
    # Cumulative shares up to each score (bads of 3, goods of 4):
    # 450: 1/3 vs 0; 500: 2/3 vs 0; 550: 2/3 vs 1/4; 600: 2/3 vs 2/4; 620: 1 vs 2/4;
    # 650: 1 vs 3/4; 700: 1 vs 1. The largest gap is 2/3 at 500.
    assert metrics.ks(SCORES, BADS) == D("0.666667")


def test_no_goods_or_no_bads_gives_no_statistic() -> None:
    assert metrics.auc([1, 2], [False, False]) is None
    assert metrics.ks([1, 2], [True, True]) is None
    assert metrics.gini([], []) is None
    with pytest.raises(ValidationError, match="Each score needs its outcome"):
        metrics.auc([1, 2], [True])


def test_psi_by_hand() -> None:
    # Shares 0.5 / 0.5 against 0.4 / 0.6:
    # (0.4 − 0.5) ln(0.4 / 0.5) + (0.6 − 0.5) ln(0.6 / 0.5) = 0.0223144 + 0.0182322
    # = 0.0405465 (to 6 places 0.040547).
    assert metrics.psi([50, 50], [40, 60]) == D("0.040547")
    assert metrics.psi([10, 20, 30], [20, 40, 60]) == D(0)


def test_psi_levels_at_the_alert_edges() -> None:
    assert metrics.psi_level(D("0.0999")) == "stable"
    assert metrics.psi_level(D("0.1")) == "watch"
    assert metrics.psi_level(D("0.2499")) == "watch"
    assert metrics.psi_level(D("0.25")) == "alert"
    assert metrics.psi_level(None) == "no data"
    shifted = metrics.psi([70, 30], [30, 70])
    # 2 × 0.4 × ln(7 / 3) = 0.677838
    assert shifted == D("0.677838")
    assert metrics.psi_level(shifted) == "alert"


def test_psi_floors_empty_buckets() -> None:
    # Baseline 100 / 0, current 50 / 50: the empty bucket counts as a share of 0.0001.
    # (0.5 − 1) ln(0.5) + (0.4999) ln(0.5 / 0.0001) = 0.346574 + 4.257745 = 4.604318.
    assert metrics.psi([100, 0], [50, 50]) == D("4.604318")
    assert metrics.psi([0, 0], [1, 1]) is None
    with pytest.raises(ValidationError, match="same buckets"):
        metrics.psi([1, 2], [1])
    with pytest.raises(ValidationError, match="cannot be negative"):
        metrics.psi([1, -2], [1, 2])


def test_score_buckets() -> None:
    edges = metrics.bucket_edges(300, 850)
    assert edges == [355, 410, 465, 520, 575, 630, 685, 740, 795]
    assert metrics.bucket_counts([300, 354, 355, 850, 794, 795], edges) == [2, 1, 0, 0, 0, 0, 0,
                                                                           0, 1, 2]
