"""The decisioning API over HTTP: decide and read traces, what-if, statements, scorecard and
rule configuration, routing, batch scoring, monitoring, and refusals that change nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.staff.models import Role
from core.staff.service import create_staff
from lendline.settings import Settings
from tests.integration.decisioning_support import FixedBureau, applicant, counts, demo_lender

API = "/api/v1"


@pytest.fixture
async def client(api: httpx.AsyncClient, settings: Settings,
                 session: AsyncSession) -> httpx.AsyncClient:
    state = api._transport.app.state  # type: ignore[attr-defined]
    state.settings = settings
    state.credit_bureau = FixedBureau()
    await demo_lender(session)
    return api


async def test_decide_and_read_the_trace(client: httpx.AsyncClient, session: AsyncSession) -> None:
    app = await applicant(session)
    decided = await client.post(f"{API}/applications/{app.id}/decide")
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["outcome"], body["score"], body["band"], body["offered_amount"]) == (
        "approve", 685, "B", "20000.00")
    assert body["trace"]["decision"] == "approve"
    listed = await client.get(f"{API}/applications/{app.id}/credit-decisions")
    assert [d["id"] for d in listed.json()] == [body["id"]]
    trace = await client.get(f"{API}/credit-decisions/{body['id']}")
    assert trace.json()["trace"]["inputs_hash"] == body["inputs_hash"]
    before = await counts(session)
    again = await client.post(f"{API}/applications/{app.id}/decide")
    assert again.status_code == 409
    assert "is approved; the engine decides only submitted applications" in again.json()["detail"]
    assert (await client.get(f"{API}/credit-decisions/0")).status_code == 404
    assert await counts(session) == before


async def test_what_if_and_statement(client: httpx.AsyncClient, session: AsyncSession) -> None:
    app = await applicant(session)
    before = await counts(session)
    changed = await client.post(f"{API}/applications/{app.id}/what-if",
                                json={"changes": {"bureau_score": "760", "age": 52}})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["score_before"], body["score_after"], body["band_before"], body["band_after"]) \
        == (685, 685 + 30 - 5, "B", "B")
    moved = {c["fact"]: c["points_change"] for c in body["characteristics"]
             if c["points_change"]}
    assert moved == {"bureau_score": 30, "age": -5}
    bigger = await client.post(f"{API}/applications/{app.id}/what-if",
                               json={"changes": {"requested_amount": "80000",
                                                 "requested_term": 12}})
    assert bigger.json()["decision_after"] == "counter_offer"
    assert bigger.json()["offer_after"]["term"] == 27
    for changes, message in (({"shoe_size": 9}, "'shoe_size' is not a known fact."),
                             ({"score": 900}, "The score comes from the scorecard"),
                             ({"bureau_score": "high"}, "bureau_score must be a number"),
                             ({}, "Change 1 to 30 facts."),
                             ({"requested_amount": "1"}, "The Personal Loan lends")):
        refused = await client.post(f"{API}/applications/{app.id}/what-if",
                                    json={"changes": changes})
        assert refused.status_code == 422 and message in refused.json()["detail"]
    assert await counts(session) == before

    statement = ("date,description,amount,balance\n2025-04-25,SALARY,9000,9000\n"
                 "2025-05-25,SALARY,9000,18000\n")
    stored = await client.post(f"{API}/applications/{app.id}/bank-statement",
                               files={"file": ("statement.csv", statement.encode(), "text/csv")})
    assert stored.status_code == 201, stored.text
    assert (stored.json()["monthly_income"], stored.json()["days_negative"]) == ("9000.00", 0)
    bad = await client.post(f"{API}/applications/{app.id}/bank-statement",
                            files={"file": ("s.csv", b"date,description\n", "text/csv")})
    assert bad.status_code == 422


async def test_scorecards_and_rules(client: httpx.AsyncClient, session: AsyncSession) -> None:
    cards = (await client.get(f"{API}/scorecards")).json()
    demo = next(c for c in cards if c["code"] == "DEMO")
    before = await counts(session)
    edit = await client.put(f"{API}/scorecards/{demo['id']}",
                            json={"justification": "Try to change it", "name": "New name"})
    assert edit.status_code == 409 and "is published and cannot change" in edit.json()["detail"]
    assert await counts(session) == before
    revised = await client.post(f"{API}/scorecards/{demo['id']}/revisions",
                                json={"justification": "Recalibrate"})
    assert (revised.status_code, revised.json()["version"], revised.json()["status"]) == (
        201, 2, "draft")
    exported = await client.get(f"{API}/scorecards/{demo['id']}/export")
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="scorecard-DEMO-v1.csv"' in exported.headers["content-disposition"]
    imported = await client.post(
        f"{API}/scorecards/import", files={"file": ("card.csv", exported.content, "text/csv")},
        data={"code": "COPY", "name": "Copy", "justification": "From a spreadsheet"})
    assert (imported.status_code, imported.json()["definition"]) == (201, demo["definition"])
    broken = exported.content.replace(b"setting,min_score", b"setting,lowest")
    before = await counts(session)
    refused = await client.post(
        f"{API}/scorecards/import", files={"file": ("card.csv", broken, "text/csv")},
        data={"code": "BROKEN", "name": "Broken", "justification": "From a spreadsheet"})
    assert refused.status_code == 422 and "unknown setting 'lowest'" in refused.json()["detail"]
    assert await counts(session) == before

    rule_sets = (await client.get(f"{API}/rule-sets")).json()
    changed = await client.put(f"{API}/rule-sets/{rule_sets[0]['id']}/rules/MIN_INCOME",
                               json={"changes": {"threshold": "3500"},
                                     "justification": "Cost of living"})
    assert (changed.status_code, changed.json()["version"]) == (200, 2)
    published = await client.post(f"{API}/rule-sets/{changed.json()['id']}/publish")
    assert published.json()["status"] == "published"
    facts = (await client.get(f"{API}/scoring/facts")).json()
    assert facts["debt_service_ratio"]["type"] == "number"


async def test_routing_batch_and_monitoring(client: httpx.AsyncClient,
                                            session: AsyncSession) -> None:
    routing = (await client.get(f"{API}/scoring/routing")).json()
    assert (routing["version"], routing["arms"][0]["role"]) == (1, "champion")
    champion = routing["arms"][0]["scorecard_id"]
    refused = await client.post(f"{API}/scoring/routing/promote",
                                json={"scorecard_id": champion, "justification": "Again"})
    assert refused.status_code == 409
    shadowed = await client.put(f"{API}/scoring/routing", json={
        "arms": [{"scorecard_id": champion, "role": "champion"},
                 {"scorecard_id": champion, "role": "shadow"}], "justification": "Oops"})
    assert shadowed.status_code == 422

    batch = await client.post(f"{API}/scoring/batch", files={"file": (
        "people.csv", b"id,age,bureau_score,monthly_income\nx,30,700,9000\ny,70,450,2000\n",
        "text/csv")})
    assert batch.status_code == 200, batch.text
    assert batch.json()["summary"]["scored"] == 2
    assert [r["id"] for r in batch.json()["results"]] == ["x", "y"]
    wrong = await client.post(f"{API}/scoring/batch", files={"file": (
        "people.csv", b"height\n180\n", "text/csv")})
    assert wrong.status_code == 422

    app = await applicant(session)
    await client.post(f"{API}/applications/{app.id}/decide")
    report = await client.get(f"{API}/scoring/monitoring", params={
        "scorecard_id": champion, "start": "2000-01-01", "end": "2100-01-01",
        "baseline_start": "2000-01-01", "baseline_end": "2100-01-01"})
    assert report.status_code == 200, report.text
    assert report.json()["decisions"] == 1
    assert report.json()["score_stability"]["psi"] == "0.000000"


async def test_only_underwriters_and_up_decide(client: httpx.AsyncClient,
                                               session: AsyncSession) -> None:
    await create_staff(session, email="agent@example.tt", name="Agent", role=Role.AGENT,
                       password="agent-password-123", actor="test")
    app = await applicant(session)
    refused = await client.post(f"{API}/applications/{app.id}/decide",
                                auth=("agent@example.tt", "agent-password-123"))
    assert refused.status_code == 403
    config = await client.post(f"{API}/scoring/routing/promote", json={
        "scorecard_id": 1, "justification": "Not mine"},
        auth=("agent@example.tt", "agent-password-123"))
    assert config.status_code == 403
