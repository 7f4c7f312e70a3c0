"""Term statistics: rarity weights, coverage, and the bounded query that finds candidates."""

from __future__ import annotations

import math

import pytest

from knowledge.retrieval import LEXICAL_BUDGET, Terms, candidate_query


def test_idf_weighs_rare_words_most_and_unknown_words_most_of_all() -> None:
    terms = Terms(total=1000, chunks={"loan": 900, "fee": 100, "bitcoin": 0})
    assert terms.idf("loan") == pytest.approx(math.log(1 + 100.5 / 900.5))
    assert terms.idf("fee") == pytest.approx(math.log(1 + 900.5 / 100.5))
    assert terms.idf("bitcoin") == pytest.approx(math.log(1 + 1000.5 / 0.5))
    assert terms.idf("loan") < terms.idf("fee") < terms.idf("bitcoin")


def test_coverage_is_the_idf_weighted_share_of_the_question_matched() -> None:
    terms = Terms(total=1000, chunks={"loan": 900, "fee": 100, "bitcoin": 0})
    whole = terms.idf("loan") + terms.idf("fee") + terms.idf("bitcoin")
    assert terms.coverage(["loan", "fee"]) == pytest.approx((whole - terms.idf("bitcoin")) / whole)
    assert round(terms.coverage(["loan", "fee"]), 2) == 0.24
    assert terms.coverage([]) == 0.0
    assert Terms(total=0, chunks={}).coverage([]) == 0.0


def test_rare_words_are_or_ed_within_the_budget() -> None:
    terms = Terms(total=100_000, chunks={"loan": 55_000, "consolid": 300, "debt": 700,
                                         "brother": 90, "unknown": 0})
    assert LEXICAL_BUDGET == 1000
    # 90 + 300 fit; adding debt's 700 would pass 1000 chunks.
    assert candidate_query(terms) == "'brother' | 'consolid'"


def test_when_every_word_is_common_the_rarest_are_and_ed() -> None:
    terms = Terms(total=100_000, chunks={"loan": 55_000, "pay": 31_000, "fee": 29_000})
    # 29,000 alone; x 0.31 = 8,990 with pay; x 0.55 = 4,945 with loan: all three.
    assert candidate_query(terms) == "'fee' & 'pay' & 'loan'"
    two = Terms(total=100_000, chunks={"rate": 3_000, "person": 10_000})
    assert candidate_query(two) == "'rate' & 'person'"  # 3,000 x 0.1 = 300


def test_no_known_word_no_lexical_query_and_quotes_are_escaped() -> None:
    assert candidate_query(Terms(total=10, chunks={"cricket": 0})) is None
    assert candidate_query(Terms(total=10, chunks={"o'neil": 1})) == "'o''neil'"
