"""The shipped settlement policy: discount limits compared exactly, per bucket and role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError as PydanticError

from core.collections.buckets import Bucket
from core.collections.settlement_policy import SettlementPolicy, load_settlement_policy
from core.collections.settlement_queries import percent
from core.staff.models import Role

POLICY = load_settlement_policy()
B31, B90 = Bucket.DPD_31_60, Bucket.DPD_90_PLUS


@pytest.mark.parametrize(("bucket", "role", "ratio", "allowed"), [
    (B31, Role.COLLECTOR, Decimal("0.1"), True),
    (B31, Role.COLLECTOR, Decimal("0.1000001"), False),
    (B31, Role.SUPERVISOR, Decimal("0.3"), True),
    (B31, Role.SUPERVISOR, Decimal("0.3000001"), False),
    (B31, Role.ADMIN, Decimal("0.5"), True),
    (B31, Role.ADMIN, Decimal("0.5000001"), False),
    (Bucket.DPD_1_30, Role.COLLECTOR, Decimal("0.05"), True),
    (Bucket.DPD_1_30, Role.COLLECTOR, Decimal("0.0500001"), False),
    (B90, Role.COLLECTOR, Decimal("0.25"), True),
    (B90, Role.AGENT, Decimal("0"), False),
    (Bucket.CURRENT, Role.ADMIN, Decimal("0"), False),
])
def test_each_limit_is_inclusive_and_exact(bucket: Bucket, role: Role, ratio: Decimal,
                                           allowed: bool) -> None:
    assert POLICY.allows(bucket, role, ratio) is allowed


def test_the_least_role_that_covers_a_discount() -> None:
    assert POLICY.least_role(B31, Decimal("0.1")) is Role.COLLECTOR
    assert POLICY.least_role(B31, Decimal("0.1000001")) is Role.SUPERVISOR
    assert POLICY.least_role(B31, Decimal("0.3000001")) is Role.ADMIN
    assert POLICY.least_role(B31, Decimal("0.5000001")) is None
    assert POLICY.highest(B31) == Decimal(50) and POLICY.highest(Bucket.CURRENT) is None


def test_percentages_round_up_so_a_breach_never_reads_as_the_limit() -> None:
    assert percent(Decimal("0.1000001")) == "10.01%"
    assert percent(Decimal("0.1")) == "10.00%"


def test_a_limit_of_a_hundred_percent_or_more_is_refused() -> None:
    data = POLICY.model_dump(mode="json")
    data["limits_percent"]["90+"]["admin"] = "100"
    with pytest.raises(PydanticError, match="must be from 0 to under 100 percent"):
        SettlementPolicy.model_validate(data)
