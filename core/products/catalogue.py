"""The demo lender's catalogue (Trinidad and Tobago dollars), as data, and its installer.

Six products — personal, salary advance, auto, debt consolidation, small-business micro-loan
and hire purchase (standard and an interest-free promotion) — and four hire-purchase
merchants with branches in Port of Spain, San Fernando, Chaguanas and Arima. The merchants
are fictional; their phone numbers are in the reserved 868-555-01xx range.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.loans.terms import DayCount, Frequency, InterestCalculation, InterestMethod
from core.money import Money
from core.products.merchants import BranchSpec, CategorySpec, create_merchant
from core.products.models import LoanProduct, Merchant
from core.products.service import create_product
from core.products.spec import FeeTreatment, OverpaymentHandling, ProductSpec, TierSpec


def _ttd(amount: int) -> Money:
    return Money.of(amount, "TTD")


def _tiers(*bands: tuple[str, str, int] | str) -> tuple[TierSpec, ...]:
    """("A", "0.12", 150000) is an eligible band with its rate and limit; "E" is ineligible."""
    return tuple(
        TierSpec(band=band, eligible=False) if isinstance(band, str)
        else TierSpec(band=band[0], annual_rate=Decimal(band[1]), max_amount=_ttd(band[2]))
        for band in bands
    )


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        code="PERSONAL", name="Personal Loan",
        description="For any personal purpose: monthly instalments over one to five years.",
        min_amount=_ttd(5_000), max_amount=_ttd(150_000), min_term=12, max_term=60,
        min_rate=Decimal("0.12"), max_rate=Decimal("0.24"),
        tiers=_tiers(("A", "0.12", 150_000), ("B", "0.145", 120_000), ("C", "0.175", 80_000),
                     ("D", "0.21", 40_000), "E"),
        origination_fee_percent=Decimal("0.02"), origination_fee_treatment=FeeTreatment.DEDUCTED,
        late_fee=_ttd(100), late_fee_grace_days=5, overpayment=OverpaymentHandling.PREPAY,
    ),
    ProductSpec(
        code="SALARY_ADVANCE", name="Salary Advance",
        description="A short advance repaid from your fortnightly pay, with flat interest.",
        min_amount=_ttd(1_000), max_amount=_ttd(10_000), min_term=2, max_term=6,
        frequency=Frequency.FORTNIGHTLY, method=InterestMethod.FLAT,
        min_rate=Decimal("0.20"), max_rate=Decimal("0.36"),
        tiers=_tiers(("A", "0.20", 10_000), ("B", "0.24", 8_000), ("C", "0.28", 6_000),
                     ("D", "0.32", 3_000), "E"),
        origination_fee_fixed=_ttd(50), late_fee=_ttd(50), late_fee_grace_days=3,
    ),
    ProductSpec(
        code="AUTO", name="Auto Loan",
        description="New or used vehicles, up to seven years; interest accrues daily.",
        min_amount=_ttd(20_000), max_amount=_ttd(400_000), min_term=12, max_term=84,
        calculation=InterestCalculation.DAILY, day_count=DayCount.ACT_365,
        min_rate=Decimal("0.085"), max_rate=Decimal("0.15"),
        tiers=_tiers(("A", "0.085", 400_000), ("B", "0.095", 350_000),
                     ("C", "0.11", 250_000), ("D", "0.13", 150_000), "E"),
        origination_fee_percent=Decimal("0.01"), origination_fee_treatment=FeeTreatment.FINANCED,
        late_fee=_ttd(150), late_fee_grace_days=7, early_settlement_fee_percent=Decimal("0.02"),
        overpayment=OverpaymentHandling.PREPAY,
    ),
    ProductSpec(
        code="DEBT_CONSOLIDATION", name="Debt Consolidation Loan",
        description="Pay off cards and other loans and keep one monthly instalment.",
        min_amount=_ttd(10_000), max_amount=_ttd(200_000), min_term=12, max_term=72,
        min_rate=Decimal("0.11"), max_rate=Decimal("0.20"),
        tiers=_tiers(("A", "0.11", 200_000), ("B", "0.13", 175_000), ("C", "0.155", 120_000),
                     ("D", "0.185", 60_000), "E"),
        origination_fee_percent=Decimal("0.015"), late_fee=_ttd(100), late_fee_grace_days=5,
    ),
    ProductSpec(
        code="MICRO_BUSINESS", name="Small Business Micro-Loan",
        description="Working capital for small traders: weekly repayments of equal principal, "
        "with two weeks before the first principal is due.",
        min_amount=_ttd(2_000), max_amount=_ttd(50_000), min_term=12, max_term=52,
        frequency=Frequency.WEEKLY, method=InterestMethod.DECLINING_EQUAL_PRINCIPAL,
        min_rate=Decimal("0.18"), max_rate=Decimal("0.30"), principal_grace=2,
        tiers=_tiers(("A", "0.18", 50_000), ("B", "0.21", 40_000), ("C", "0.24", 25_000),
                     ("D", "0.28", 15_000), ("E", "0.30", 5_000)),
        origination_fee_fixed=_ttd(100), late_fee=_ttd(25), late_fee_grace_days=2,
    ),
    ProductSpec(
        code="HP_STANDARD", name="Hire Purchase",
        description="Take goods home from a partner store and pay monthly, with flat "
        "interest and instalments in whole dollars.",
        min_amount=_ttd(1_000), max_amount=_ttd(60_000), min_term=6, max_term=36,
        method=InterestMethod.FLAT, min_rate=Decimal("0.18"), max_rate=Decimal("0.30"),
        rounding_multiple=Decimal(1), hire_purchase=True,
        tiers=_tiers(("A", "0.18", 60_000), ("B", "0.21", 50_000), ("C", "0.24", 35_000),
                     ("D", "0.27", 20_000), ("E", "0.30", 8_000)),
        origination_fee_fixed=_ttd(75), origination_fee_treatment=FeeTreatment.FINANCED,
        late_fee=_ttd(75), late_fee_grace_days=5,
    ),
    ProductSpec(
        code="HP_PROMO", name="Interest-Free Hire Purchase",
        description="Selected goods over six to twelve months with no interest.",
        min_amount=_ttd(1_000), max_amount=_ttd(20_000), min_term=6, max_term=12,
        min_rate=Decimal(0), max_rate=Decimal(0), rounding_multiple=Decimal(1),
        hire_purchase=True,
        tiers=_tiers(("A", "0", 20_000), ("B", "0", 15_000), ("C", "0", 10_000), "D", "E"),
        late_fee=_ttd(75), late_fee_grace_days=5,
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MerchantEntry:
    code: str
    name: str
    branches: tuple[BranchSpec, ...]
    categories: tuple[CategorySpec, ...]


def _category(code: str, name: str, down: str, *products: str) -> CategorySpec:
    return CategorySpec(
        code=code, name=name, min_down_payment_percent=Decimal(down), product_codes=products
    )


MERCHANTS: tuple[MerchantEntry, ...] = (
    MerchantEntry(
        code="CARIB_HOME", name="Carib Home Appliances",
        branches=(
            BranchSpec(name="Frederick Street", town="Port of Spain",
                       address="41 Frederick Street, Port of Spain", phone="+18685550150"),
            BranchSpec(name="High Street", town="San Fernando",
                       address="88 High Street, San Fernando", phone="+18685550151"),
            BranchSpec(name="Chaguanas Main Road", town="Chaguanas",
                       address="102 Chaguanas Main Road, Chaguanas", phone="+18685550152"),
            BranchSpec(name="Broadway", town="Arima",
                       address="17 Broadway, Arima", phone="+18685550153"),
        ),
        categories=(
            _category("APPLIANCES", "Appliances", "0.10", "HP_STANDARD", "HP_PROMO"),
            _category("ELECTRONICS", "Electronics", "0.15", "HP_STANDARD"),
        ),
    ),
    MerchantEntry(
        code="ISLAND_FURNITURE", name="Island Furniture Gallery",
        branches=(
            BranchSpec(name="Ariapita Avenue", town="Port of Spain",
                       address="9 Ariapita Avenue, Woodbrook, Port of Spain",
                       phone="+18685550160"),
            BranchSpec(name="Price Plaza", town="Chaguanas",
                       address="Price Plaza, Chaguanas", phone="+18685550161"),
            BranchSpec(name="Coffee Street", town="San Fernando",
                       address="55 Coffee Street, San Fernando", phone="+18685550162"),
        ),
        categories=(
            _category("FURNITURE", "Furniture", "0.20", "HP_STANDARD"),
            _category("BEDDING", "Beds and mattresses", "0.10", "HP_STANDARD", "HP_PROMO"),
        ),
    ),
    MerchantEntry(
        code="TECHZONE", name="TechZone Electronics",
        branches=(
            BranchSpec(name="Independence Square", town="Port of Spain",
                       address="23 Independence Square, Port of Spain", phone="+18685550170"),
            BranchSpec(name="Arima Dial", town="Arima",
                       address="3 Queen Mary Avenue, Arima", phone="+18685550171"),
            BranchSpec(name="Gulf City", town="San Fernando",
                       address="Gulf City Mall, La Romaine, San Fernando",
                       phone="+18685550172"),
        ),
        categories=(
            _category("ELECTRONICS", "TVs and audio", "0.15", "HP_STANDARD", "HP_PROMO"),
            _category("COMPUTERS", "Computers and tablets", "0.20", "HP_STANDARD"),
            _category("PHONES", "Mobile phones", "0.25", "HP_PROMO"),
        ),
    ),
    MerchantEntry(
        code="SOUTHERN_HOME", name="Southern Hardware & Home",
        branches=(
            BranchSpec(name="Cipero Street", town="San Fernando",
                       address="120 Cipero Street, San Fernando", phone="+18685550180"),
            BranchSpec(name="Caroni Savannah Road", town="Chaguanas",
                       address="Caroni Savannah Road, Chaguanas", phone="+18685550181"),
        ),
        categories=(
            _category("APPLIANCES", "Appliances", "0.10", "HP_STANDARD"),
            _category("HOME_IMPROVEMENT", "Home improvement", "0.15", "HP_STANDARD"),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class CatalogueInstall:
    """Codes of what `install_catalogue` created; anything already present is left alone."""

    products: tuple[str, ...]
    merchants: tuple[str, ...]


async def install_catalogue(
    session: AsyncSession, *, actor: str = "system:catalogue"
) -> CatalogueInstall:
    """Create the demo products and merchants that do not exist yet (matched by code).

    Idempotent: running it again creates nothing and never overwrites staff changes.
    """
    have = set(await session.scalars(select(LoanProduct.code)))
    products = [spec.code for spec in PRODUCTS if spec.code not in have]
    for spec in PRODUCTS:
        if spec.code in products:
            await create_product(session, spec=spec, actor=actor)
    have_merchants = set(await session.scalars(select(Merchant.code)))
    merchants = [entry.code for entry in MERCHANTS if entry.code not in have_merchants]
    for entry in MERCHANTS:
        if entry.code in merchants:
            await create_merchant(
                session, code=entry.code, name=entry.name, actor=actor,
                branches=entry.branches, categories=entry.categories,
            )
    return CatalogueInstall(products=tuple(products), merchants=tuple(merchants))
