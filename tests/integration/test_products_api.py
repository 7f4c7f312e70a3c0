"""The products API over HTTP: public catalogue and quotes; supervisors change products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.products.catalogue import install_catalogue
from core.staff.models import Role
from core.staff.service import create_staff
from tests.integration.rows import PRODUCT_TABLES, row_counts

NEW_PRODUCT: dict[str, Any] = {
    "code": "STUDENT", "name": "Student Loan", "min_amount": "2000", "max_amount": "40000",
    "min_term": 6, "max_term": 48, "min_rate": "0.08", "max_rate": "0.10",
    "origination_fee_fixed": "25.00", "rounding_multiple": "1",
    "tiers": [{"band": "A", "annual_rate": "0.08", "max_amount": "40000"},
              {"band": "B", "annual_rate": "0.10", "max_amount": "20000"},
              {"band": "C", "eligible": False}],
}


@pytest.fixture
async def catalogue(session: AsyncSession) -> None:
    await install_catalogue(session)


async def test_catalogue_is_public(api: httpx.AsyncClient, catalogue: None) -> None:
    listed = await api.get("/api/v1/products", auth=None)
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()] == [
        "AUTO", "DEBT_CONSOLIDATION", "HP_PROMO", "HP_STANDARD", "MICRO_BUSINESS", "PERSONAL",
        "SALARY_ADVANCE",
    ]
    personal = (await api.get("/api/v1/products/personal", auth=None)).json()
    assert personal["name"] == "Personal Loan" and personal["version"] == 1
    assert personal["min_amount"] == "5000.00" and personal["currency"] == "TTD"
    assert personal["tiers"][0] == {
        "band": "A", "eligible": True, "annual_rate": "0.12000000", "max_amount": "150000.00"
    }
    merchants = (await api.get("/api/v1/merchants", auth=None)).json()
    assert merchants[0]["code"] == "CARIB_HOME"
    assert [b["town"] for b in merchants[0]["branches"]] == [
        "Port of Spain", "San Fernando", "Chaguanas", "Arima"
    ]


async def test_quote(api: httpx.AsyncClient, catalogue: None) -> None:
    """TTD 10,000 over 12 months at band A's 12%: 888.49 a month, 661.86 interest; the 2%
    fee is deducted, so TTD 9,800.00 is paid out."""
    quoted = await api.post(
        "/api/v1/products/PERSONAL/quote", auth=None,
        json={"amount": "10000", "term": 12, "band": "A", "start_date": "2025-01-15"},
    )
    assert quoted.status_code == 200, quoted.text
    assert quoted.json() == {
        "product_code": "PERSONAL", "currency": "TTD", "amount": "10000.00",
        "annual_rate": "0.12000000", "term": 12, "frequency": "monthly",
        "method": "declining_equal_instalment", "first_due_date": "2025-02-15",
        "origination_fee": "200.00", "fee_treatment": "deducted",
        "disbursed_amount": "9800.00", "regular_instalment": "888.49",
        "total_interest": "661.86", "total_payable": "10661.86",
    }
    too_much = await api.post(
        "/api/v1/products/PERSONAL/quote", auth=None,
        json={"amount": "500000", "term": 12, "band": "A", "start_date": "2025-01-15"},
    )
    assert too_much.status_code == 422
    assert too_much.json()["detail"] == (
        "Amount TTD 500,000.00 is above this product's maximum of TTD 150,000.00."
    )
    too_long = await api.post(
        "/api/v1/products/PERSONAL/quote", auth=None,
        json={"amount": "10000", "term": 500, "band": "A", "start_date": "2025-01-15"},
    )
    assert too_long.json()["detail"] == "A term of 500 months is outside 12–60 months."


async def test_hire_purchase_quote(api: httpx.AsyncClient, catalogue: None) -> None:
    quoted = await api.post(
        "/api/v1/merchants/CARIB_HOME/quote", auth=None,
        json={"category_code": "APPLIANCES", "price": "5000", "down_payment": "500",
              "term": 12, "band": "B", "start_date": "2025-01-15",
              "product_code": "HP_STANDARD"},
    )
    assert quoted.status_code == 200, quoted.text
    body = quoted.json()
    assert (body["minimum_down_payment"], body["financed_amount"]) == ("500.00", "4500.00")
    assert body["financing"]["regular_instalment"] == "462.00"
    assert body["financing"]["total_interest"] == "960.75"
    short = await api.post(
        "/api/v1/merchants/CARIB_HOME/quote", auth=None,
        json={"category_code": "APPLIANCES", "price": "5000", "down_payment": "100",
              "term": 12, "band": "B", "start_date": "2025-01-15",
              "product_code": "HP_STANDARD"},
    )
    assert short.status_code == 422 and "below the minimum of TTD 500.00" in short.text


async def test_supervisors_create_and_patch_products(
    api: httpx.AsyncClient, session: AsyncSession, catalogue: None
) -> None:
    created = await api.post("/api/v1/products", json=NEW_PRODUCT)
    assert created.status_code == 201, created.text
    student = created.json()
    assert student["code"] == "STUDENT" and student["version"] == 1
    assert student["frequency"] == "monthly" and Decimal(student["rounding_multiple"]) == 1
    assert student["origination_fee_fixed"] == "25.00" and student["late_fee"] == "0.00"
    patched = await api.patch("/api/v1/products/STUDENT",
                              json={"max_term": 60, "rounding_multiple": None})
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2 and patched.json()["max_term"] == 60
    assert patched.json()["rounding_multiple"] is None

    before = await row_counts(session, PRODUCT_TABLES)
    duplicate = await api.post("/api/v1/products", json=NEW_PRODUCT)
    assert duplicate.status_code == 409
    inverted = await api.post("/api/v1/products",
                              json={**NEW_PRODUCT, "code": "X2", "min_amount": "50000"})
    assert inverted.status_code == 422
    assert inverted.json()["detail"] == (
        "The minimum amount TTD 50,000.00 is above the maximum TTD 40,000.00."
    )
    not_money = await api.post("/api/v1/products",
                               json={**NEW_PRODUCT, "code": "X3", "max_amount": "lots"})
    assert not_money.status_code == 422 and "is not an amount" in not_money.text
    bad_patch = await api.patch("/api/v1/products/STUDENT", json={"min_rate": "0.5"})
    assert bad_patch.status_code == 422 and "minimum rate 0.5 is above" in bad_patch.text
    cleared = await api.patch("/api/v1/products/STUDENT", json={"name": None})
    assert cleared.json()["detail"] == "These fields cannot be empty: name."
    assert await row_counts(session, PRODUCT_TABLES) == before


async def test_only_supervisors_and_admins_change_products(
    api: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_staff(session, email="agent@lendline.example", name="Agent", role=Role.AGENT,
                       password="agent-password-1", actor="test")
    before = await row_counts(session, PRODUCT_TABLES)
    denied = await api.post("/api/v1/products", json=NEW_PRODUCT,
                            auth=("agent@lendline.example", "agent-password-1"))
    assert denied.status_code == 403
    assert denied.json()["detail"] == "Only supervisors and admins may change the catalogue."
    anonymous = await api.post("/api/v1/products", json=NEW_PRODUCT, auth=None)
    assert anonymous.status_code == 401
    assert await row_counts(session, PRODUCT_TABLES) == before
