"""Products and the hire-purchase catalogue in PostgreSQL: create, update, list, install,
and quote hire purchase."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.money import Money
from core.products.catalogue import MERCHANTS, PRODUCTS, install_catalogue
from core.products.merchants import (
    CategorySpec,
    create_merchant,
    get_merchant,
    list_merchants,
    quote_hire_purchase,
    set_merchant_active,
)
from core.products.service import (
    create_product,
    get_product,
    list_active_products,
    list_products,
    spec_from_record,
    update_product,
)
from core.products.spec import TierSpec
from tests.integration.rows import PRODUCT_TABLES, row_counts

ACTOR = "staff:1"
CATALOGUE = {spec.code: spec for spec in PRODUCTS}
START = date(2025, 1, 15)


@pytest.fixture
async def catalogue(session: AsyncSession) -> None:
    await install_catalogue(session)


async def test_install_is_idempotent_and_round_trips(session: AsyncSession) -> None:
    first = await install_catalogue(session)
    assert first.products == tuple(spec.code for spec in PRODUCTS)
    assert first.merchants == tuple(entry.code for entry in MERCHANTS)
    counts = await row_counts(session, PRODUCT_TABLES)
    assert counts["loan_products"] == 7 and counts["product_tiers"] == 35
    assert counts["merchants"] == 4 and counts["merchant_branches"] == 12
    again = await install_catalogue(session)
    assert again.products == () and again.merchants == ()
    assert await row_counts(session, PRODUCT_TABLES) == counts
    for spec in PRODUCTS:
        assert spec_from_record(await get_product(session, code=spec.code)) == spec


async def test_create_refuses_a_taken_code(session: AsyncSession, catalogue: None) -> None:
    before = await row_counts(session, PRODUCT_TABLES)
    with pytest.raises(ConflictError, match="PERSONAL already exists"):
        await create_product(session, spec=CATALOGUE["PERSONAL"], actor=ACTOR)
    assert await row_counts(session, PRODUCT_TABLES) == before


async def test_update_validates_the_whole_product_and_bumps_the_version(
    session: AsyncSession, catalogue: None
) -> None:
    record = await update_product(
        session, code="personal", actor=ACTOR,
        changes={"max_amount": Money.of(200_000), "name": "Personal Loan Plus",
                 "tiers": (TierSpec(band="A", annual_rate=Decimal("0.13"),
                                    max_amount=Money.of(200_000)),
                           TierSpec(band="B", eligible=False))},
    )
    assert record.version == 2 and record.max_amount == Decimal("200000.00")
    assert [(t.band, t.eligible) for t in record.tiers] == [("A", True), ("B", False)]
    events = await trail.history(session, entity_type="loan_product", entity_id=record.id)
    assert [e.action for e in events] == ["product.created", "product.updated"]
    last = events[-1]
    assert last.before is not None and last.after is not None
    assert set(last.after) == {"version", "max_amount", "name", "tiers"}
    assert (last.before["max_amount"], last.after["max_amount"]) == ("150000.00", "200000.00")
    assert (last.before["version"], last.after["version"]) == (1, 2)

    before = await row_counts(session, PRODUCT_TABLES)
    unchanged = await update_product(session, code="PERSONAL", actor=ACTOR,
                                     changes={"name": "Personal Loan Plus"})
    assert unchanged.version == 2
    assert await row_counts(session, PRODUCT_TABLES) == before


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"min_amount": Money.of(500_000)}, ValidationError, "above the maximum"),
        ({"max_rate": Decimal(18)}, ValidationError, "means 1800%"),
        ({"min_rate": Decimal("0.15")}, ValidationError, "Band A's rate must be within"),
        ({"colour": "blue"}, ValidationError, "Unknown product field\\(s\\): colour"),
        ({"code": "OTHER"}, ValidationError, "code cannot change"),
        ({"min_term": 0}, ValidationError, "minimum term must be between 1 and 600"),
    ],
)
async def test_bad_updates_change_nothing(
    session: AsyncSession, catalogue: None, changes: dict[str, Any], error: type[Exception],
    message: str,
) -> None:
    before = await row_counts(session, PRODUCT_TABLES)
    with pytest.raises(error, match=message):
        await update_product(session, code="PERSONAL", actor=ACTOR, changes=changes)
    assert await row_counts(session, PRODUCT_TABLES) == before
    record = await get_product(session, code="PERSONAL")
    await session.refresh(record)
    assert record.version == 1 and spec_from_record(record) == CATALOGUE["PERSONAL"]


async def test_unknown_product(session: AsyncSession) -> None:
    with pytest.raises(NotFoundError, match="no loan product 'NOPE'"):
        await update_product(session, code="nope", actor=ACTOR, changes={})


async def test_listing_active_products(session: AsyncSession, catalogue: None) -> None:
    await update_product(session, code="AUTO", actor=ACTOR, changes={"active": False})
    await update_product(session, code="DEBT_CONSOLIDATION", actor=ACTOR,
                         changes={"effective_from": date(2025, 2, 1)})
    await update_product(session, code="SALARY_ADVANCE", actor=ACTOR,
                         changes={"effective_to": date(2025, 1, 31)})

    async def active(day: date, hire_purchase: bool | None = None) -> list[str]:
        found = await list_active_products(session, today=day, hire_purchase=hire_purchase)
        return [p.code for p in found]

    assert await active(date(2025, 1, 31)) == [
        "HP_PROMO", "HP_STANDARD", "MICRO_BUSINESS", "PERSONAL", "SALARY_ADVANCE"
    ]
    assert await active(date(2025, 2, 1)) == [
        "DEBT_CONSOLIDATION", "HP_PROMO", "HP_STANDARD", "MICRO_BUSINESS", "PERSONAL"
    ]
    assert await active(date(2025, 2, 1), hire_purchase=True) == ["HP_PROMO", "HP_STANDARD"]
    assert len(await list_products(session)) == 7


async def test_merchants_and_their_categories(session: AsyncSession, catalogue: None) -> None:
    merchants = await list_merchants(session)
    assert [m.name for m in merchants] == [
        "Carib Home Appliances", "Island Furniture Gallery", "Southern Hardware & Home",
        "TechZone Electronics",
    ]
    carib = await get_merchant(session, code="carib_home")
    assert [b.town for b in carib.branches] == ["Port of Spain", "San Fernando", "Chaguanas",
                                                "Arima"]
    appliances = carib.categories[0]
    assert appliances.code == "APPLIANCES"
    assert appliances.min_down_payment_percent == Decimal("0.10")
    assert [p.code for p in appliances.products] == ["HP_PROMO", "HP_STANDARD"]
    await set_merchant_active(session, code="CARIB_HOME", active=False, actor=ACTOR)
    assert [m.code for m in await list_merchants(session)] == [
        "ISLAND_FURNITURE", "SOUTHERN_HOME", "TECHZONE"
    ]
    assert len(await list_merchants(session, include_inactive=True)) == 4


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"code": "CARIB_HOME"}, ConflictError, "CARIB_HOME already exists"),
        ({"code": "bad code"}, ValidationError, "is not a code"),
        ({"categories": [CategorySpec(code="TV", name="TVs", min_down_payment_percent=Decimal(1),
                                      product_codes=("HP_STANDARD",))]},
         ValidationError, "fraction from 0 up to"),
        ({"categories": [CategorySpec(code="TV", name="TVs", min_down_payment_percent=Decimal(0),
                                      product_codes=("PERSONAL",))]},
         ValidationError, "PERSONAL is not a hire-purchase product"),
        ({"categories": [CategorySpec(code="TV", name="TVs", min_down_payment_percent=Decimal(0),
                                      product_codes=("NOPE",))]},
         NotFoundError, "no loan product 'NOPE'"),
        ({"categories": [CategorySpec(code="TV", name="TVs", min_down_payment_percent=Decimal(0),
                                      product_codes=())]},
         ValidationError, "Say which products may finance TVs"),
        ({"categories": [CategorySpec(code="tv", name="TVs", min_down_payment_percent=Decimal(0),
                                      product_codes=("HP_PROMO",))] * 2},
         ValidationError, "category TV is listed twice"),
    ],
)
async def test_bad_merchants_change_nothing(
    session: AsyncSession, catalogue: None, changes: dict[str, Any], error: type[Exception],
    message: str,
) -> None:
    before = await row_counts(session, PRODUCT_TABLES)
    with pytest.raises(error, match=message):
        await create_merchant(session, **{"code": "NEW_STORE", "name": "New Store",
                                          "actor": ACTOR, **changes})
    assert await row_counts(session, PRODUCT_TABLES) == before


async def hp(session: AsyncSession, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "merchant_code": "CARIB_HOME", "category_code": "appliances", "price": Money.of(5_000),
        "down_payment": Money.of(500), "term": 12, "band": "B", "start_date": START,
        "product_code": "HP_STANDARD",
    }
    return await quote_hire_purchase(session, **{**values, **changes})


async def test_hire_purchase_quote(session: AsyncSession, catalogue: None) -> None:
    """A TTD 5,000 fridge with the 10% minimum down (TTD 500.00) finances TTD 4,500.00 at
    band B's 21% flat, plus the TTD 75.00 fee."""
    quote = await hp(session)
    assert quote.minimum_down_payment == Money.of("500.00")
    assert quote.financed_amount == Money.of("4500.00")
    assert quote.terms.principal == Money.of("4500.00")
    assert quote.terms.annual_rate == Decimal("0.21")
    assert quote.terms.financed_fees == Money.of("75.00")
    promo = await hp(session, product_code="hp_promo", down_payment=Money.of(1000), band="A")
    assert promo.terms.annual_rate == 0 and promo.financed_amount == Money.of(4000)
    phones = await hp(session, merchant_code="TECHZONE", category_code="PHONES",
                      product_code=None, price=Money.of("3999.99"),
                      down_payment=Money.of("1000.00"), band="A", term=6)
    assert phones.product_code == "HP_PROMO"
    assert phones.minimum_down_payment == Money.of("1000.00")  # 25% of 3,999.99 rounded up


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"down_payment": Money.of("499.99")}, ValidationError,
         r"A down payment of TTD 499\.99 is below the minimum of TTD 500\.00 \(10% of "
         r"TTD 5,000\.00\) for Appliances\."),
        ({"down_payment": Money.of(5_000)}, ValidationError, "covers the whole price"),
        ({"price": Money.of(0)}, ValidationError, "price must be more than zero"),
        ({"down_payment": Money.of(500, "USD")}, ValidationError, "same currency"),
        ({"product_code": None}, ValidationError,
         "Choose how to finance Appliances: HP_PROMO, HP_STANDARD"),
        ({"product_code": "PERSONAL"}, ValidationError,
         "PERSONAL cannot finance Appliances; use HP_PROMO, HP_STANDARD"),
        ({"category_code": "CARS"}, NotFoundError, "Carib Home Appliances has no category 'CARS'"),
        ({"merchant_code": "NOWHERE"}, NotFoundError, "no merchant 'NOWHERE'"),
        ({"price": Money.of(100_000), "down_payment": Money.of(20_000)}, ValidationError,
         "above this product's maximum of TTD 60,000.00"),
        ({"band": "E", "price": Money.of(20_000), "down_payment": Money.of(5_000)},
         ValidationError, "above the TTD 8,000.00 limit for risk band E"),
        ({"term": 37}, ValidationError, "A term of 37 months is outside 6–36 months"),
    ],
)
async def test_bad_hire_purchase_quotes(
    session: AsyncSession, catalogue: None, changes: dict[str, Any], error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        await hp(session, **changes)


async def test_inactive_merchant_or_product(
    session: AsyncSession, catalogue: None
) -> None:
    await update_product(session, code="HP_STANDARD", actor=ACTOR, changes={"active": False})
    with pytest.raises(ValidationError, match="Hire Purchase is not offered any more"):
        await hp(session)
    await set_merchant_active(session, code="CARIB_HOME", active=False, actor=ACTOR)
    with pytest.raises(ValidationError, match="at Carib Home Appliances is not available"):
        await hp(session)
