"""ProductSpec validation: every refused product names what is wrong."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.errors import ValidationError
from core.loans.terms import Frequency, InterestMethod
from core.money import Money
from core.products.catalogue import MERCHANTS, PRODUCTS
from core.products.spec import FeeTreatment, ProductSpec, TierSpec


def ttd(amount: str | int) -> Money:
    return Money.of(amount)


BASE: dict[str, Any] = {
    "code": "test_loan", "name": "  Test   Loan ", "min_amount": ttd(1_000),
    "max_amount": ttd(10_000), "min_term": 3, "max_term": 24, "min_rate": Decimal("0.10"),
    "max_rate": Decimal("0.20"),
    "tiers": (
        TierSpec(band="B", annual_rate=Decimal("0.15"), max_amount=ttd(5_000)),
        TierSpec(band="A", annual_rate=Decimal("0.10"), max_amount=ttd(10_000)),
        TierSpec(band="E", eligible=False),
    ),
}


def spec(**changes: Any) -> ProductSpec:
    return ProductSpec(**{**BASE, **changes})


def test_a_valid_spec_is_normalised() -> None:
    product = spec(frequency="fortnightly", method="flat", origination_fee_treatment="financed")
    assert product.code == "TEST_LOAN" and product.name == "Test Loan"
    assert product.frequency is Frequency.FORTNIGHTLY and product.method is InterestMethod.FLAT
    assert product.origination_fee_treatment is FeeTreatment.FINANCED
    assert [t.band for t in product.tiers] == ["A", "B", "E"]
    assert product.currency == "TTD"
    assert product.tier("B") == BASE["tiers"][0] and product.tier("C") is None
    assert product.origination_fee_fixed == Money.zero() and product.late_fee == Money.zero()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "no spaces"}, "is not a product code"),
        ({"code": ""}, "is not a product code"),
        ({"name": "   "}, "needs a name"),
        ({"min_amount": ttd(0)}, "minimum amount must be more than zero"),
        ({"min_amount": ttd(20_000)}, "minimum amount TTD 20,000.00 is above the maximum"),
        ({"max_amount": Money.of(10_000, "USD")}, "maximum amount must be in TTD, not USD"),
        ({"max_amount": "10000"}, "maximum amount must be a Money amount"),
        ({"min_term": 0}, "minimum term must be between 1 and 600, not 0"),
        ({"max_term": 601}, "maximum term must be between 1 and 600, not 601"),
        ({"min_term": 30}, "minimum term 30 is above the maximum term 24"),
        ({"min_term": Decimal(3)}, "minimum term must be a whole number"),
        ({"max_rate": Decimal(12)}, "means 1200%, above the 100% limit; enter 0.12"),
        ({"min_rate": Decimal("-0.01")}, "minimum rate cannot be negative"),
        ({"min_rate": Decimal("0.25"), "max_rate": Decimal("0.20")}, "minimum rate 0.25 is above"),
        ({"min_rate": 0.1}, "must be an exact Decimal"),
        ({"principal_grace": 3}, "principal grace must be between 0 and 2, not 3"),
        ({"interest_grace": -1}, "interest grace must be between 0 and 2, not -1"),
        ({"rounding_multiple": Decimal("0.001")}, "rounding multiple must be a positive amount"),
        ({"rounding_multiple": Decimal(0)}, "rounding multiple must be a positive amount"),
        ({"origination_fee_percent": Decimal("0.3")}, "origination fee of 0.3 means 30.0%"),
        ({"early_settlement_fee_percent": Decimal("0.26")}, "early settlement fee of 0.26"),
        ({"late_fee": ttd(-5)}, "late fee cannot be negative"),
        ({"late_fee_grace_days": 91}, "late fee grace must be between 0 and 90, not 91"),
        ({"frequency": "daily"}, "'daily' is not a repayment frequency; use one of: monthly"),
        ({"overpayment": "refund"}, "'refund' is not a way to handle overpayments"),
        ({"active": "yes"}, "must be true or false"),
        ({"effective_from": date(2025, 6, 1),
          "effective_to": date(2025, 5, 31)}, "stops \\(2025-05-31\\)"),
        ({"tiers": ()}, "needs its risk-band tiers"),
        ({"tiers": (TierSpec(band="F", annual_rate=Decimal("0.1"), max_amount=ttd(5000)),)},
         "'F' is not a risk band; use A to E"),
        ({"tiers": (TierSpec(band="A", eligible=False),)},
         "At least one risk band must be eligible"),
        ({"tiers": (TierSpec(band="A", annual_rate=Decimal("0.1"), max_amount=ttd(5000)),
                    TierSpec(band="A", eligible=False))}, "Risk band A is listed twice"),
        ({"tiers": (TierSpec(band="A", annual_rate=Decimal("0.25"), max_amount=ttd(5000)),)},
         "Band A's rate must be within the product's 0.10–0.20, not 0.25"),
        ({"tiers": (TierSpec(band="A", annual_rate=Decimal("0.1")),)},
         "band A limit must be a Money amount"),
        ({"tiers": (TierSpec(band="A", annual_rate=Decimal("0.1"), max_amount=ttd(500)),)},
         "Band A's limit TTD 500.00 must be within the product's TTD 1,000.00 to TTD 10,000.00"),
    ],
)
def test_invalid_specs_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**changes)


def test_the_catalogue_is_valid_and_consistent() -> None:
    codes = [product.code for product in PRODUCTS]
    assert len(codes) == len(set(codes)) == 7
    assert all(product.currency == "TTD" for product in PRODUCTS)
    hire_purchase = {p.code for p in PRODUCTS if p.hire_purchase}
    assert hire_purchase == {"HP_STANDARD", "HP_PROMO"}
    frequencies = {p.code: p.frequency for p in PRODUCTS}
    assert frequencies["SALARY_ADVANCE"] is Frequency.FORTNIGHTLY
    assert frequencies["MICRO_BUSINESS"] is Frequency.WEEKLY
    towns = {b.town for m in MERCHANTS for b in m.branches}
    assert towns == {"Port of Spain", "San Fernando", "Chaguanas", "Arima"}
    for merchant in MERCHANTS:
        for category in merchant.categories:
            assert set(category.product_codes) <= hire_purchase
