"""Champion/challenger routing: stable per person, shares respected, arms validated."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal as D

import pytest

from core.errors import ValidationError
from core.scoring.routing import Arm, ArmRole, check_arms, position, route

ARMS = check_arms([Arm(1, ArmRole.CHAMPION), Arm(2, ArmRole.CHALLENGER, D("0.2")),
                   Arm(3, ArmRole.CHALLENGER, D("0.1")), Arm(4, ArmRole.SHADOW)])


def test_the_champion_takes_the_rest_of_the_traffic() -> None:
    assert [(a.scorecard_id, a.role.value, a.share) for a in ARMS] == [
        (1, "champion", D("0.7")), (2, "challenger", D("0.2")), (3, "challenger", D("0.1")),
        (4, "shadow", D(0))]


def test_the_same_person_always_meets_the_same_scorecard() -> None:
    for customer in (1, 42, 99_999):
        seen = {route(ARMS, "salt-1", customer).scorecard_id for _ in range(1000)}
        assert len(seen) == 1
    assert position("salt-1", 42) == position("salt-1", 42)
    assert position("salt-1", 42) != position("salt-2", 42)


def test_shares_are_respected_over_ten_thousand_people() -> None:
    counts = Counter(route(ARMS, "experiment-7", customer).scorecard_id
                     for customer in range(1, 10_001))
    assert set(counts) == {1, 2, 3}
    assert 6_800 <= counts[1] <= 7_200
    assert 1_850 <= counts[2] <= 2_150
    assert 900 <= counts[3] <= 1_100


def test_a_new_salt_reshuffles_people() -> None:
    first = [route(ARMS, "a", c).scorecard_id for c in range(1, 2001)]
    second = [route(ARMS, "b", c).scorecard_id for c in range(1, 2001)]
    assert first != second


@pytest.mark.parametrize(("arms", "message"), [
    ([Arm(1, ArmRole.CHALLENGER, D("0.5"))], "exactly one champion"),
    ([Arm(1, ArmRole.CHAMPION), Arm(2, ArmRole.CHAMPION)], "exactly one champion"),
    ([Arm(1, ArmRole.CHAMPION), Arm(1, ArmRole.SHADOW)], "only once"),
    ([Arm(1, ArmRole.CHAMPION), Arm(2, ArmRole.CHALLENGER)], "needs a traffic share between"),
    ([Arm(1, ArmRole.CHAMPION), Arm(2, ArmRole.CHALLENGER, D(20))], "(0.2 for 20%)"),
    ([Arm(1, ArmRole.CHAMPION), Arm(2, ArmRole.CHALLENGER, D("0.6")),
      Arm(3, ArmRole.CHALLENGER, D("0.4"))], "Challengers take 100.0% of traffic"),
    ([Arm(1, ArmRole.CHAMPION), Arm(2, ArmRole.SHADOW, D("0.1"))], "it takes no share"),
    ([{"scorecard_id": "x", "role": "champion"}], "Each arm needs a scorecard_id"),
    ([{"scorecard_id": 1, "role": "king"}], "'king' is not a role"),
])
def test_bad_arms_are_refused(arms: list[Arm], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_arms(arms)
    assert message in caught.value.message
