"""The ledger's staff API: chart, manual entries, reversal, reports and periods over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.ledger.chart import ensure_chart
from core.ledger.models import JournalEntry
from core.staff.models import Role
from core.staff.service import create_staff

BASE = "/api/v1/ledger"


def capital(key: str, amount: str = "50000.00", day: str = "2026-01-02") -> dict[str, Any]:
    return {
        "posting_key": key,
        "effective_date": day,
        "description": "Owner's capital",
        "lines": [{"account": "1110", "debit": amount}, {"account": "3100", "credit": amount}],
    }


@pytest.fixture
async def books(session: AsyncSession, api: httpx.AsyncClient) -> httpx.AsyncClient:
    await ensure_chart(session, actor="test")
    return api


async def entry_count(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(JournalEntry)) or 0


async def test_chart_of_accounts(books: httpx.AsyncClient) -> None:
    response = await books.get(f"{BASE}/accounts")
    assert response.status_code == 200
    accounts = {a["code"]: a for a in response.json()}
    assert accounts["1290"] == {
        "code": "1290",
        "name": "Allowance for loan losses",
        "type": "asset",
        "normal_balance": "credit",
        "parent_code": "1200",
        "is_contra": True,
        "is_group": False,
        "currency": "TTD",
        "active": True,
    }
    assert accounts["1000"]["parent_code"] is None and accounts["1000"]["is_group"]


async def test_manual_entry_round_trip_and_idempotency(
    books: httpx.AsyncClient,
    session: AsyncSession,
    staff,  # type: ignore[no-untyped-def]
) -> None:
    created = await books.post(f"{BASE}/entries", json=capital("cap-1"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["total"], body["posted_by"], body["source_type"]) == (
        "50000.00",
        f"staff:{staff.id}",
        "manual",
    )
    assert [(x["account"], x["debit"], x["credit"]) for x in body["lines"]] == [
        ("1110", "50000.00", "0.00"),
        ("3100", "0.00", "50000.00"),
    ]
    fetched = await books.get(f"{BASE}/entries/{body['id']}")
    assert fetched.json() == body
    replay = await books.post(f"{BASE}/entries", json=capital("cap-1"))
    assert replay.json()["id"] == body["id"]
    before = await entry_count(session)
    conflict = await books.post(f"{BASE}/entries", json=capital("cap-1", "1.00"))
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "idempotency_conflict"
    unbalanced = capital("cap-2")
    unbalanced["lines"][1]["credit"] = "49999.99"
    refused = await books.post(f"{BASE}/entries", json=unbalanced)
    assert (refused.status_code, refused.json()["error"]) == (422, "unbalanced_entry")
    assert "differ by TTD 0.01" in refused.json()["detail"]
    bad_amount = await books.post(f"{BASE}/entries", json=capital("cap-3", "12.345"))
    assert (bad_amount.status_code, bad_amount.json()["error"]) == (422, "invalid")
    assert (await books.get(f"{BASE}/entries/999999")).status_code == 404
    assert await entry_count(session) == before


async def test_reversal_over_http(books: httpx.AsyncClient, session: AsyncSession) -> None:
    original = (await books.post(f"{BASE}/entries", json=capital("cap-1"))).json()
    reverse = {"posting_key": "cap-1-rev", "effective_date": "2026-01-03", "reason": "Typo"}
    reversal = await books.post(f"{BASE}/entries/{original['id']}/reverse", json=reverse)
    assert reversal.status_code == 201
    assert reversal.json()["reverses_entry_id"] == original["id"]
    assert [(x["account"], x["debit"], x["credit"]) for x in reversal.json()["lines"]] == [
        ("1110", "0.00", "50000.00"),
        ("3100", "50000.00", "0.00"),
    ]
    before = await entry_count(session)
    twice = await books.post(
        f"{BASE}/entries/{original['id']}/reverse", json={**reverse, "posting_key": "cap-1-rev-2"}
    )
    assert twice.status_code == 409 and "already reversed" in twice.json()["detail"]
    assert await entry_count(session) == before


async def test_reports_over_http(books: httpx.AsyncClient) -> None:
    await books.post(f"{BASE}/entries", json=capital("cap-1"))
    fee = {
        "posting_key": "fee-1",
        "effective_date": "2026-01-20",
        "description": "Late fee",
        "lines": [
            {"account": "1240", "debit": "100.00", "loan_id": 42},
            {"account": "4300", "credit": "100.00", "loan_id": 42},
        ],
    }
    assert (await books.post(f"{BASE}/entries", json=fee)).status_code == 201
    tb = (await books.get(f"{BASE}/trial-balance", params={"as_of": "2026-01-31"})).json()
    assert (tb["total_debit"], tb["total_credit"]) == ("50100.00", "50100.00")
    assert [(r["code"], r["balance"]) for r in tb["rows"]] == [
        ("1110", "50000.00"),
        ("1240", "100.00"),
        ("3100", "-50000.00"),
        ("4300", "-100.00"),
    ]
    early = (await books.get(f"{BASE}/trial-balance", params={"as_of": "2026-01-10"})).json()
    assert early["total_debit"] == "50000.00"
    sheet = (await books.get(f"{BASE}/balance-sheet", params={"as_of": "2026-01-31"})).json()
    assert (
        sheet["total_assets"],
        sheet["total_liabilities"],
        sheet["total_equity"],
        sheet["current_earnings"],
    ) == ("50100.00", "0.00", "50100.00", "100.00")
    income = await books.get(
        f"{BASE}/income-statement", params={"from": "2026-01-01", "to": "2026-01-31"}
    )
    assert income.json()["income"] == [
        {"code": "4300", "name": "Penalty and late-fee income", "amount": "100.00"}
    ]
    assert income.json()["net_income"] == "100.00"
    backwards = await books.get(
        f"{BASE}/income-statement", params={"from": "2026-02-01", "to": "2026-01-31"}
    )
    assert backwards.status_code == 422


async def test_periods_over_http(books: httpx.AsyncClient, session: AsyncSession) -> None:
    opened = await books.post(f"{BASE}/periods", json={"start": "2026-01-01", "end": "2026-01-31"})
    assert opened.status_code == 201 and opened.json()["status"] == "open"
    period_id = opened.json()["id"]
    closed = await books.post(f"{BASE}/periods/{period_id}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closed_by"].startswith("staff:")
    before = await entry_count(session)
    late = await books.post(f"{BASE}/entries", json=capital("late", day="2026-01-15"))
    assert (late.status_code, late.json()["error"]) == (422, "closed_period")
    again = await books.post(f"{BASE}/periods/{period_id}/close")
    assert again.status_code == 409
    overlap = await books.post(f"{BASE}/periods", json={"start": "2026-01-31", "end": "2026-02-28"})
    assert overlap.status_code == 409
    listed = (await books.get(f"{BASE}/periods")).json()
    assert [(p["start"], p["status"]) for p in listed] == [("2026-01-01", "closed")]
    assert await entry_count(session) == before


async def test_only_supervisors_and_admins_change_the_books(
    books: httpx.AsyncClient, session: AsyncSession
) -> None:
    await create_staff(
        session,
        email="agent@lendline.example",
        name="Agent",
        role=Role.AGENT,
        password="agent-password-1",
        actor="test",
    )
    agent = ("agent@lendline.example", "agent-password-1")
    assert (await books.get(f"{BASE}/accounts", auth=agent)).status_code == 200
    denied = await books.post(f"{BASE}/entries", json=capital("cap-1"), auth=agent)
    assert (denied.status_code, denied.json()["error"]) == (403, "permission_denied")
    closing = await books.post(
        f"{BASE}/periods", json={"start": "2026-01-01", "end": "2026-01-31"}, auth=agent
    )
    assert closing.status_code == 403
    stranger = await books.get(f"{BASE}/accounts", auth=("nobody@x.example", "wrong"))
    assert stranger.status_code == 401
    assert await entry_count(session) == 0
