"""Settlement policy as data (`settlement_policy.json`): who may grant what discount.

- `limits_percent`: per delinquency bucket, the largest discount (percent of the balance
  owed when the offer is made) each role may grant on its own authority. A bucket that is
  not listed (CURRENT) takes no settlement offers; a role that is not listed makes none.
- `grace_days`: days after a plan instalment's due date within which paying still counts.
- `offer_valid_days`: how long the borrower has to accept, by default.
- `max_plan_instalments`, `max_days_to_first_payment`: how long a plan may run.

Limits compare exactly: a 10% limit on a balance of 10,230.69 allows a discount of
1,023.06 and not 1,023.07.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.collections.buckets import Bucket
from core.staff.models import Role

HUNDRED = Decimal(100)


class SettlementPolicy(BaseModel):
    """See the module docstring."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limits_percent: dict[Bucket, dict[Role, Decimal]]
    grace_days: int = Field(ge=0, le=30)
    offer_valid_days: int = Field(ge=1, le=60)
    max_plan_instalments: int = Field(ge=2, le=60)
    max_days_to_first_payment: int = Field(ge=1, le=90)

    @field_validator("limits_percent")
    @classmethod
    def _percentages(
        cls, limits: dict[Bucket, dict[Role, Decimal]]
    ) -> dict[Bucket, dict[Role, Decimal]]:
        for bucket, by_role in limits.items():
            for role, percent in by_role.items():
                if not Decimal(0) <= percent < HUNDRED:
                    raise ValueError(f"the {role.value} limit for {bucket.value} must be from "
                                     f"0 to under 100 percent, not {percent}")
        return limits

    def limit(self, bucket: Bucket, role: Role) -> Decimal | None:
        """`role`'s own limit in `bucket` as a fraction (0.1), or None when it has none."""
        percent = self.limits_percent.get(bucket, {}).get(role)
        return None if percent is None else percent / HUNDRED

    def allows(self, bucket: Bucket, role: Role, ratio: Decimal) -> bool:
        """Whether `role` may grant a discount of `ratio` (0.1 for 10%) in `bucket` alone."""
        limit = self.limit(bucket, role)
        return limit is not None and ratio <= limit

    def least_role(self, bucket: Bucket, ratio: Decimal) -> Role | None:
        """The role with the smallest limit in `bucket` that still covers `ratio`."""
        covering = [(percent, role) for role, percent in self.limits_percent.get(bucket, {})
                    .items() if ratio <= percent / HUNDRED]
        return min(covering)[1] if covering else None

    def highest(self, bucket: Bucket) -> Decimal | None:
        """The largest limit anyone has in `bucket`, in percent."""
        limits = self.limits_percent.get(bucket, {})
        return max(limits.values()) if limits else None


@cache
def load_settlement_policy() -> SettlementPolicy:
    """The policy shipped with the application (`settlement_policy.json`)."""
    source = resources.files("core.collections").joinpath("settlement_policy.json")
    return SettlementPolicy.model_validate(json.loads(source.read_text(encoding="utf-8")))
