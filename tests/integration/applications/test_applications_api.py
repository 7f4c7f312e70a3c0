"""The applications API end to end over HTTP, as a supervisor: draft to signed contract,
the agreement PDF with its exact schedule figures, refusals, documents and references."""

from __future__ import annotations

import secrets
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions
from core.customers.models import Customer
from core.loans.schedule import build_schedule
from core.loans.terms import LoanTerms
from core.money import Money
from core.otp.models import OneTimeCode
from core.products.models import LoanProduct
from lendline.settings import Settings
from tests.integration.applications.conftest import NOW
from tests.integration.applications.helpers import pdf_text, snapshot

BASE = "/api/v1/applications"


@pytest.fixture
def client(api: httpx.AsyncClient, settings: Settings) -> httpx.AsyncClient:
    api._transport.app.state.settings = settings  # type: ignore[attr-defined]
    return api


async def new_application(client: httpx.AsyncClient, customer: Customer) -> dict[str, object]:
    created = await client.post(BASE, json={
        "customer_id": customer.id, "product_code": "test_cash", "amount": "10000",
        "term": 12, "channel": "whatsapp", "purpose": "Car repairs",
    })
    assert created.status_code == 201, created.text
    body: dict[str, object] = created.json()
    return body


async def test_draft_to_signed_contract_over_http(
    client: httpx.AsyncClient, session: AsyncSession, customer: Customer,
    product: LoanProduct, monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = await new_application(client, customer)
    app_id, reference = created["id"], created["reference"]
    assert created["status"] == "draft" and created["requested_amount"] == "10000.00"

    patched = await client.patch(f"{BASE}/{app_id}", json={"term": 18})
    assert patched.json()["requested_term"] == 18
    submitted = await client.post(f"{BASE}/{app_id}/submit")
    assert submitted.json()["status"] == "submitted"

    assert isinstance(app_id, int)
    await decisions.record_decision(session, application_id=app_id, outcome="referred",
                                    trace={"score": 601}, risk_band="B", actor="engine",
                                    now=NOW)
    decided = await client.post(f"{BASE}/{app_id}/decision", json={
        "outcome": "counter_offered", "reason": "Affordable at 12 months",
        "offered_term": 12, "offered_amount": "9000.00",
    })
    assert decided.status_code == 200, decided.text
    offer = decided.json()
    assert (offer["status"], offer["offered_amount"], offer["offered_term"],
            offer["offered_rate"]) == ("counter_offered", "9000.00", 12, "0.18")

    assert (await client.post(f"{BASE}/{app_id}/accept", json={"channel": "whatsapp"})
            ).json()["status"] == "accepted"

    monkeypatch.setattr(secrets, "randbelow", lambda _: 424242)
    generated = await client.post(f"{BASE}/{app_id}/agreement")
    assert generated.status_code == 201, generated.text
    agreement = generated.json()
    assert "code" not in agreement and agreement["version"] == 1
    assert agreement["terms"]["instalment"] == "825.12"  # 9000 × 0.015 / (1 − 1.015^−12)

    pdf = await client.get(f"{BASE}/{app_id}/agreement.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["x-content-sha256"] == agreement["pdf_sha256"]
    assert f"{reference}-agreement-v1.pdf" in pdf.headers["content-disposition"]
    text = pdf_text(pdf.content)
    start = NOW.date().fromisoformat(agreement["terms"]["start_date"])
    schedule = build_schedule(LoanTerms(principal=Money.of("9000"), annual_rate=Decimal("0.18"),
                                        term=12, start_date=start))
    lines = text.splitlines()
    for row in schedule.instalments:
        at = lines.index(row.due_date.isoformat())
        assert lines[at - 1:at + 6] == [
            str(row.number), row.due_date.isoformat(), f"{row.opening_principal.amount:,}",
            f"{row.principal.amount:,}", f"{row.interest.amount:,}", f"{row.total.amount:,}",
            f"{row.closing_principal.amount:,}",
        ]
    assert f"TTD {schedule.totals.interest.amount:,}" in text
    assert f"TTD {schedule.totals.payable.amount:,}" in text
    assert "TTD 8,820.00" in text  # paid out: 9,000 less the 2% fee of 180

    wrong = await client.post(f"{BASE}/{app_id}/sign", json={
        "code": "000001", "channel": "whatsapp", "address": "whatsapp:+18685550101"})
    assert wrong.status_code == 422
    assert (wrong.json()["outcome"], wrong.json()["tries_left"]) == ("wrong", 2)
    assert wrong.json()["message"] == "That code is not right; you have 2 tries left."
    tries = await session.scalar(select(OneTimeCode.wrong_tries).where(
        OneTimeCode.purpose == f"agreement:{reference}"))
    assert tries == 1  # the refused try was kept, not rolled back with an error
    signed = await client.post(f"{BASE}/{app_id}/sign", json={
        "code": "424242", "channel": "whatsapp", "address": "whatsapp:+18685550101"})
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed"] and signed.json()["application"]["status"] == "contract_signed"

    detail = (await client.get(f"{BASE}/{app_id}")).json()
    assert [(c["previous"], c["status"]) for c in detail["status_history"]] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "referred"),
        ("referred", "counter_offered"), ("counter_offered", "accepted"),
        ("accepted", "contract_signed")]
    assert detail["decision_trace"]["engine"] == {"score": 601}
    listed = await client.get(BASE, params={"status": "contract_signed"})
    assert [a["reference"] for a in listed.json()] == [reference]


async def test_refusals_map_to_http_codes_and_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, customer: Customer,
    product: LoanProduct,
) -> None:
    app_id = (await new_application(client, customer))["id"]
    before = await snapshot(session)
    accepted = await client.post(f"{BASE}/{app_id}/accept")
    assert accepted.status_code == 409
    assert accepted.json() == {
        "error": "invalid_transition",
        "detail": f"Application APP-{app_id:06d} is still a draft; it cannot be accepted."}
    decided = await client.post(f"{BASE}/{app_id}/decision",
                                json={"outcome": "approved", "reason": "ok"})
    assert decided.status_code == 409 and "staff decide only referred" in decided.text
    too_small = await client.patch(f"{BASE}/{app_id}", json={"amount": "100"})
    assert too_small.status_code == 422 and "TTD 100.00 is outside" in too_small.text
    assert (await client.get(f"{BASE}/{app_id}/agreement.pdf")).status_code == 404
    assert (await client.get(f"{BASE}/999999")).status_code == 404
    assert await snapshot(session) == before


async def test_documents_and_references_over_http(
    client: httpx.AsyncClient, customer: Customer, product: LoanProduct
) -> None:
    app_id = (await new_application(client, customer))["id"]
    pdf = b"%PDF-1.7 payslip"
    uploaded = await client.post(f"{BASE}/{app_id}/documents",
                                 data={"document_type": "payslip"},
                                 files={"file": ("payslip.pdf", pdf, "application/pdf")})
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert (document["filename"], document["size_bytes"], document["review_status"]) == (
        "payslip.pdf", len(pdf), "pending")
    content = await client.get(f"{BASE}/{app_id}/documents/{document['id']}/content")
    assert content.content == pdf and content.headers["content-type"] == "application/pdf"

    wrong_type = await client.post(f"{BASE}/{app_id}/documents", data={"document_type": "id"},
                                   files={"file": ("run.exe", b"MZ...", "application/x-dosexec")})
    assert wrong_type.status_code == 422 and "not accepted" in wrong_type.text
    too_big = await client.post(
        f"{BASE}/{app_id}/documents", data={"document_type": "bank_statement"},
        files={"file": ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")})
    assert too_big.status_code == 422 and "the limit is 10 MB" in too_big.text

    reviewed = await client.post(f"{BASE}/{app_id}/documents/{document['id']}/review",
                                 json={"status": "rejected", "note": "Unreadable"})
    assert reviewed.json()["review_status"] == "rejected"
    reference = await client.post(f"{BASE}/{app_id}/references", json={
        "name": "Joe Bloggs", "relationship": "employer", "phone": "868-555-0111"})
    assert reference.status_code == 201 and reference.json()["phone"] == "+18685550111"
    detail = (await client.get(f"{BASE}/{app_id}")).json()
    assert [d["review_note"] for d in detail["documents"]] == ["Unreadable"]
    assert [r["name"] for r in detail["references"]] == ["Joe Bloggs"]
