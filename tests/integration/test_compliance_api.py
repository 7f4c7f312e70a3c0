"""The contact compliance API over HTTP: check, log, holds, opt-outs, approvals, roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.compliance import clock
from core.customers.models import ContactChannel, Customer
from core.customers.service import register_customer
from core.staff.models import Role
from core.staff.service import create_staff

NOW = dt.datetime(2024, 5, 6, 12, 30, tzinfo=dt.UTC)  # Monday 08:30 in Port of Spain
COLLECTOR = ("collector@compliance-api.example", "collector-pw-1")


@pytest.fixture
async def client(api: httpx.AsyncClient, session: AsyncSession
                 ) -> AsyncIterator[httpx.AsyncClient]:
    app = api._transport.app  # type: ignore[attr-defined]
    app.dependency_overrides[clock] = lambda: NOW
    await create_staff(session, email=COLLECTOR[0], name="Collector", role=Role.COLLECTOR,
                       password=COLLECTOR[1], actor="test")
    yield api


@pytest.fixture
async def asha(session: AsyncSession) -> Customer:
    return await register_customer(
        session, first_name="Asha", last_name="Ramdial", date_of_birth=dt.date(1988, 7, 2),
        today=dt.date(2024, 5, 1), actor="test",
        contacts=[(ContactChannel.SMS, "+1 868 555 0101")])


async def test_check_says_why_and_when(client: httpx.AsyncClient, asha: Customer) -> None:
    early = await client.post("/api/v1/compliance/check", json={
        "customer_id": asha.id, "channel": "sms", "actor_kind": "automated",
        "at": "2024-05-06T07:59:00-04:00"})
    assert early.status_code == 200, early.text
    assert early.json() == {
        "allowed": False,
        "reasons": ["It is 07:59 on Monday 2024-05-06 in the borrower's time zone "
                    "(America/Port_of_Spain); contact is allowed 08:00–20:00 there."],
        "codes": ["outside_hours"], "next_allowed_at": "2024-05-06T12:00:00Z",
        "checked_at": "2024-05-06T07:59:00-04:00"}
    now = await client.post("/api/v1/compliance/check",
                             json={"customer_id": asha.id, "channel": "sms"})
    assert now.json()["allowed"] is True and now.json()["checked_at"] == "2024-05-06T12:30:00Z"


async def test_contacts_are_logged_once_per_key(client: httpx.AsyncClient,
                                                asha: Customer) -> None:
    body = {"customer_id": asha.id, "channel": "sms", "idempotency_key": "outbox-1"}
    first = await client.post("/api/v1/compliance/contacts", json=body)
    assert first.status_code == 201, first.text
    assert (first.json()["compliant"], first.json()["attempted_at"]) == (
        True, "2024-05-06T12:30:00Z")
    again = await client.post("/api/v1/compliance/contacts", json=body)
    assert again.json()["id"] == first.json()["id"]
    listed = await client.get(f"/api/v1/compliance/customers/{asha.id}/contacts")
    assert [a["id"] for a in listed.json()] == [first.json()["id"]]
    cooling = await client.post("/api/v1/compliance/check",
                                json={"customer_id": asha.id, "channel": "sms"})
    assert cooling.json()["codes"] == ["cooling_off"]
    assert cooling.json()["next_allowed_at"] == "2024-05-06T15:30:00Z"


async def test_holds_need_a_supervisor_to_release(client: httpx.AsyncClient,
                                                  asha: Customer) -> None:
    placed = await client.post(f"/api/v1/compliance/customers/{asha.id}/holds", json={
        "hold_type": "cease_contact", "reason": "asked us to stop"}, auth=COLLECTOR)
    assert placed.status_code == 201, placed.text
    hold_id = placed.json()["id"]
    active = await client.get(f"/api/v1/compliance/customers/{asha.id}/holds",
                              params={"active": "true"})
    assert [h["id"] for h in active.json()] == [hold_id]
    refused = await client.post(f"/api/v1/compliance/holds/{hold_id}/release",
                                json={"reason": "ok"}, auth=COLLECTOR)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only an active supervisor or admin may release a " \
                                       "contact hold."
    released = await client.post(f"/api/v1/compliance/holds/{hold_id}/release",
                                 json={"reason": "borrower called back"})
    assert released.status_code == 200 and released.json()["released_at"] is not None


async def test_opt_out_and_approval_endpoints(client: httpx.AsyncClient, asha: Customer) -> None:
    opted = await client.post(f"/api/v1/compliance/customers/{asha.id}/opt-outs",
                              json={"channel": "sms", "source": "replied STOP"})
    assert opted.status_code == 201
    blocked = await client.post("/api/v1/compliance/check",
                                json={"customer_id": asha.id, "channel": "sms"})
    assert blocked.json()["codes"] == ["opted_out"] and blocked.json()["next_allowed_at"] is None
    no_hold = await client.post(f"/api/v1/compliance/customers/{asha.id}/approvals", json={
        "reason": "call", "valid_until": "2024-05-06T16:00:00Z"})
    assert no_hold.status_code == 409


async def test_bad_requests_are_refused_with_readable_errors(
    client: httpx.AsyncClient, asha: Customer
) -> None:
    naive = await client.post("/api/v1/compliance/check", json={
        "customer_id": asha.id, "channel": "sms", "at": "2024-05-06T08:00:00"})
    assert naive.status_code == 422
    assert naive.json()["detail"] == "The time of a contact needs a time zone (e.g. UTC)."
    unknown = await client.post("/api/v1/compliance/check",
                                json={"customer_id": 999999, "channel": "sms"})
    assert unknown.status_code == 404
    profile = await client.get("/api/v1/compliance/profile")
    assert profile.json()["hours"]["sunday"] == []
    assert profile.json()["caps_per_day"]["all"] == 3
