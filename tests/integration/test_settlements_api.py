"""The settlement offers API over HTTP: maker–checker by signed-in staff, acceptance,
evaluation and readable refusals (the loan of tests/integration/settlement_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.collections_settlements import lender_today
from core.loans.models import Loan
from tests.integration.settlement_support import (
    OFFER_DAY,
    PASSWORD,
    Team,
    arrears_loan,
    counts,
    team,
)

COLLECTOR = ("collector@settle.example", PASSWORD)
AGENT = ("agent@settle.example", PASSWORD)


@pytest.fixture
async def client(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    app = api._transport.app  # type: ignore[attr-defined]
    app.dependency_overrides[lender_today] = lambda: OFFER_DAY
    yield api


@pytest.fixture
async def people(session: AsyncSession) -> Team:
    return await team(session)


@pytest.fixture
async def loan(session: AsyncSession) -> Loan:
    return await arrears_loan(session)


def offer_body(loan: Loan, amount: str, **changes: Any) -> dict[str, Any]:
    return {"loan_id": loan.id, "kind": "lump_sum", "amount": amount,
            "first_due_date": "2024-04-05", **changes}


async def test_maker_and_checker_over_http(client: httpx.AsyncClient, people: Team,
                                           loan: Loan) -> None:
    made = await client.post("/api/v1/settlement-offers", json=offer_body(loan, "9207.62"),
                             auth=COLLECTOR)
    assert made.status_code == 201, made.text
    offer = made.json()
    assert {k: offer[k] for k in ("status", "balance", "discount", "discount_percent",
                                  "bucket", "required_role", "made_by_staff_id")} == {
        "status": "proposed", "balance": "10230.69", "discount": "1023.07",
        "discount_percent": "10.01%", "bucket": "31-60", "required_role": "supervisor",
        "made_by_staff_id": people.collector.id}
    assert offer["instalments"] == [{"number": 1, "due_date": "2024-04-05", "amount": "9207.62",
                                     "paid": "0.00", "covered_on": None}]
    url = f"/api/v1/settlement-offers/{offer['id']}"
    own = await client.post(f"{url}/approve", auth=COLLECTOR)
    assert own.status_code == 403
    assert own.json()["detail"] == "You made this offer; a second person must approve it."
    approved = await client.post(f"{url}/approve")  # the fixture's supervisor
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    accepted = await client.post(f"{url}/accept", json={"via": "phone call"})
    assert (accepted.json()["status"], accepted.json()["accepted_on"]) == ("accepted",
                                                                           "2024-03-20")
    evaluated = await client.post(f"{url}/evaluate", json={"as_of": "2024-04-11"})
    assert evaluated.json()["status"] == "broken"
    assert evaluated.json()["close_reason"].startswith(
        "Instalment 1 of TTD 9,207.62 due 2024-04-05 was not paid by 2024-04-10")
    listed = await client.get("/api/v1/settlement-offers", params={"loan_id": loan.id})
    assert [o["id"] for o in listed.json()] == [offer["id"]]


async def test_refusals_are_readable_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, people: Team, loan: Loan
) -> None:
    before = await counts(session)
    bad_amount = await client.post("/api/v1/settlement-offers",
                                   json=offer_body(loan, "12.345"), auth=COLLECTOR)
    assert (bad_amount.status_code, bad_amount.json()["detail"]) == (
        422, "The amount '12.345' is not an amount in TTD.")
    agent = await client.post("/api/v1/settlement-offers", json=offer_body(loan, "9000.00"),
                              auth=AGENT)
    assert (agent.status_code, agent.json()["detail"]) == (
        403, "A staff member with the agent role cannot make settlement offers.")
    unknown = await client.post("/api/v1/settlement-offers",
                                json={**offer_body(loan, "9000.00"), "loan_id": 999999})
    assert unknown.status_code == 404
    too_much = await client.post("/api/v1/settlement-offers", json=offer_body(loan, "5000.00"))
    assert too_much.status_code == 422 and "above the 50% anyone may grant" in \
        too_much.json()["detail"]
    missing = await client.get("/api/v1/settlement-offers/999999")
    assert missing.status_code == 404
    assert await counts(session) == before
    policy = await client.get("/api/v1/settlement-offers/policy")
    assert policy.json()["limits_percent"]["31-60"] == {"collector": "10", "supervisor": "30",
                                                        "admin": "50"}
