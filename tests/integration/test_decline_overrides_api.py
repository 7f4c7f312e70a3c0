"""Decline overrides over the staff API: a credit officer proposes, a supervisor checks, and
every refusal (permission, own approval, bad input) is readable and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.decline_overrides import lender_now
from core.applications.models import Application
from core.staff.models import Role
from tests.integration.decisioning_support import demo_lender
from tests.integration.test_decline_overrides import (
    CHECKED,
    PASSWORD,
    engine_declined,
    person,
    state,
)

OFFICER = ("officer@override.example", PASSWORD)
AGENT = ("agent@override.example", PASSWORD)


@pytest.fixture
async def client(api: httpx.AsyncClient, session: AsyncSession
                 ) -> AsyncIterator[httpx.AsyncClient]:
    app = api._transport.app  # type: ignore[attr-defined]
    app.dependency_overrides[lender_now] = lambda: CHECKED
    await person(session, "officer", Role.UNDERWRITER)
    await person(session, "agent", Role.AGENT)
    yield api


@pytest.fixture
async def declined(session: AsyncSession) -> Application:
    await demo_lender(session)
    return await engine_declined(session)


async def test_a_proposal_is_made_listed_refused_to_its_maker_and_approved(
    client: httpx.AsyncClient, session: AsyncSession, declined: Application,
) -> None:
    made = await client.post(f"/api/v1/applications/{declined.id}/override-proposals", json={
        "outcome": "counter_offered", "reason": "Judgment paid off",
        "offered_amount": "15000", "offered_term": 36}, auth=OFFICER)
    assert made.status_code == 201, made.text
    proposal = made.json()
    assert {k: proposal[k] for k in ("status", "stale", "application_reference", "outcome",
                                     "risk_band", "offered_amount", "offered_term",
                                     "offered_rate", "proposed_by", "checked_by")} == {
        "status": "pending", "stale": False, "application_reference": declined.reference,
        "outcome": "counter_offered", "risk_band": "B", "offered_amount": "15000.00",
        "offered_term": 36, "offered_rate": "0.14500000", "proposed_by": "Officer",
        "checked_by": None}
    listed = await client.get("/api/v1/decline-overrides", auth=OFFICER)
    assert [o["id"] for o in listed.json()] == [proposal["id"]]
    url = f"/api/v1/decline-overrides/{proposal['id']}"
    before = await state(session, declined.id)
    by_officer = await client.post(f"{url}/approve", auth=OFFICER)
    assert by_officer.status_code == 403
    assert by_officer.json() == {
        "error": "permission_denied",
        "detail": "Only supervisors and admins may approve another officer's decision "
                  "(maker-checker)."}
    anonymous = await client.post(f"{url}/approve", auth=None)
    assert anonymous.status_code == 401
    assert await state(session, declined.id) == before

    approved = await client.post(f"{url}/approve", json={"note": "Receipt checked"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["application_status"],
            approved.json()["checked_by"]) == ("approved", "counter_offered", "Test Supervisor")
    again = await client.post(f"{url}/reject", json={"reason": "Too late"})
    assert again.status_code == 409
    assert again.json()["detail"] == (f"Override {proposal['id']} is already approved; it "
                                      "cannot be rejected.")
    everything = await client.get("/api/v1/decline-overrides", params={"status": "all"},
                                  auth=OFFICER)
    assert [o["status"] for o in everything.json()] == ["approved"]
    assert (await client.get("/api/v1/decline-overrides", auth=OFFICER)).json() == []


async def test_refusals_over_http_are_readable_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, declined: Application,
) -> None:
    url = f"/api/v1/applications/{declined.id}/override-proposals"
    before = await state(session, declined.id)
    by_agent = await client.post(url, json={"outcome": "approved", "reason": "Please"},
                                 auth=AGENT)
    assert by_agent.status_code == 403
    assert by_agent.json()["detail"] == ("Only credit officers, supervisors and admins may "
                                         "decide applications and use decisioning.")
    blank = await client.post(url, json={"outcome": "approved", "reason": "  "}, auth=OFFICER)
    assert (blank.status_code, blank.json()["detail"]) == (
        422, "Give the reason for overriding the decline.")
    declining = await client.post(url, json={"outcome": "declined", "reason": "x"},
                                  auth=OFFICER)
    assert (declining.status_code, declining.json()["detail"]) == (
        422, "'declined' cannot override a decline; use approved or counter_offered.")
    typed = await client.post(url, json={"outcome": "counter_offered", "reason": "x",
                                         "offered_amount": "lots"}, auth=OFFICER)
    assert typed.status_code == 422 and "is not" in typed.json()["detail"]
    assert await state(session, declined.id) == before

    own = await client.post(url, json={"outcome": "approved", "reason": "Bureau error"})
    assert own.status_code == 201
    duplicate = await client.post(url, json={"outcome": "approved", "reason": "Again"},
                                  auth=OFFICER)
    assert duplicate.status_code == 409
    assert "already has an override waiting for approval" in duplicate.json()["detail"]
    pending = await state(session, declined.id)
    approve = f"/api/v1/decline-overrides/{own.json()['id']}/approve"
    self_approved = await client.post(approve)
    assert (self_approved.status_code, self_approved.json()["detail"]) == (
        403, "You proposed this override; a second person must approve it.")
    missing = await client.post(f"/api/v1/decline-overrides/{own.json()['id']}/reject",
                                json={"reason": ""})
    assert missing.status_code == 422
    assert await state(session, declined.id) == pending
    unknown = await client.get("/api/v1/decline-overrides/99999999", auth=OFFICER)
    assert unknown.status_code == 404
