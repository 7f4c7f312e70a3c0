"""The loans API over HTTP: disbursing a signed application, reading and servicing a loan,
and the public calculator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions, signing
from core.applications.lifecycle import Status
from core.applications.models import Application, ApplicationChannel
from core.applications.service import create_application, submit_application
from core.customers.consents import grant_consent
from core.customers.models import ConsentType, ContactChannel
from core.ledger.chart import ensure_chart
from core.loans.servicing import run_servicing
from core.products.catalogue import install_catalogue
from tests.integration.servicing_book import assert_books_agree, m, open_book, open_loan

NOW = dt.datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("America/Port_of_Spain"))
START = dt.date(2025, 3, 10)
SECRET = "loans-api-otp-key"


async def signed_application(session: AsyncSession) -> Application:
    """TTD 10,000 over 12 months on PERSONAL at band A (12%, 2% fee deducted), signed."""
    from core.customers.service import register_customer

    await ensure_chart(session, actor="test")
    await install_catalogue(session)
    customer = await register_customer(
        session, first_name="Ana", last_name="Pérez", date_of_birth=dt.date(1990, 5, 1),
        today=NOW.date(), actor="test", contacts=[(ContactChannel.WHATSAPP, "+18685550177")])
    for kind in (ConsentType.CREDIT_CHECK, ConsentType.TERMS):
        await grant_consent(session, customer_id=customer.id, consent_type=kind, now=NOW,
                            source="test", actor="test")
    application = await create_application(
        session, customer_id=customer.id, product_code="PERSONAL", amount=m("10000.00"),
        term=12, channel=ApplicationChannel.WHATSAPP, purpose="Roof", now=NOW, actor="test")
    await submit_application(session, application_id=application.id, actor="test", now=NOW)
    await decisions.record_decision(session, application_id=application.id, outcome="approved",
                                    trace={}, risk_band="A", actor="engine", now=NOW)
    await decisions.accept_offer(session, application_id=application.id,
                                 actor=f"customer:{customer.id}", now=NOW, channel="whatsapp")
    generated = await signing.generate_agreement(
        session, application_id=application.id, lender_name="Test", otp_secret=SECRET,
        start_date=START, actor="test", now=NOW)
    await signing.sign_agreement(
        session, application_id=application.id, code=generated.code.code, otp_secret=SECRET,
        channel=ApplicationChannel.WHATSAPP, address="whatsapp:+18685550177",
        actor=f"customer:{customer.id}", now=NOW)
    return application


async def test_disburse_a_signed_application(api: httpx.AsyncClient, session: AsyncSession) -> None:
    application = await signed_application(session)
    response = await api.post("/api/v1/loans", json={
        "application_id": application.id, "disbursed_on": START.isoformat()})
    assert response.status_code == 201, response.text
    loan = response.json()
    assert (loan["principal"], loan["deducted_fee"], loan["annual_rate"]) == (
        "10000.00", "200.00", "0.12")
    assert (loan["overpayment"], loan["late_fee"], loan["late_fee_grace_days"]) == (
        "prepay", "100.00", 5)
    assert loan["maturity_date"] == "2026-03-10"
    await session.refresh(application)
    assert (application.status, application.loan_id) == (Status.DISBURSED, loan["id"])
    again = await api.post("/api/v1/loans", json={"application_id": application.id,
                                                  "disbursed_on": START.isoformat()})
    assert again.status_code == 201 and again.json()["id"] == loan["id"]
    schedule = (await api.get(f"/api/v1/loans/{loan['id']}/schedule")).json()
    assert (schedule[0]["due_date"], schedule[0]["principal_due"], schedule[0]["interest_due"]
            ) == ("2025-04-10", "788.49", "100.00")
    await assert_books_agree(session)


async def test_service_a_loan_over_http(api: httpx.AsyncClient, session: AsyncSession) -> None:
    book = await open_book(session)
    loan = await open_loan(session, book, late_fee="50.00", grace_days=3, settlement_fee="0.01")
    await run_servicing(session, as_of=dt.date(2024, 2, 20))
    base = f"/api/v1/loans/{loan.id}"

    listing = await api.get("/api/v1/loans", params={"q": "ramdial", "min_days_past_due": 1})
    assert [row["number"] for row in listing.json()] == [loan.number]
    got = (await api.get(base)).json()
    assert got["balances"] == {
        "principal_outstanding": "10000.00", "interest_receivable": "115.88",
        "fees_outstanding": "0.00", "penalties_outstanding": "50.00", "credit_balance": "0.00",
        "total_owed": "10165.88", "accrued_through": "2024-02-20", "days_past_due": 5,
        "oldest_unpaid_due_date": "2024-02-15", "arrears_amount": "938.49"}

    missing_key = await api.post(f"{base}/repayments", json={"amount": "938.49",
                                                             "paid_on": "2024-02-20"})
    assert missing_key.status_code == 422 and "Idempotency-Key" in missing_key.json()["detail"]
    body = {"amount": "938.49", "paid_on": "2024-02-20"}
    paid = await api.post(f"{base}/repayments", json=body, headers={"Idempotency-Key": "k-1"})
    assert paid.status_code == 201, paid.text
    retry = await api.post(f"{base}/repayments", json=body, headers={"Idempotency-Key": "k-1"})
    assert retry.json()["id"] == paid.json()["id"]
    clash = await api.post(f"{base}/repayments", json={**body, "amount": "1.00"},
                           headers={"Idempotency-Key": "k-1"})
    assert clash.status_code == 409 and clash.json()["error"] == "idempotency_conflict"
    bad = await api.post(f"{base}/repayments", json={**body, "amount": "ten"},
                         headers={"Idempotency-Key": "k-2"})
    assert bad.status_code == 422

    quote = (await api.get(f"{base}/settlement-quote", params={"as_of": "2024-03-01"})).json()
    # principal 9,211.51 + interest 92.12 × 15/29 = 47.64 + fee 1% of 9,211.51 = 92.12
    assert (quote["principal"], quote["interest"], quote["settlement_fee"], quote["total"]) == (
        "9211.51", "47.64", "92.12", "9351.27")
    statement = (await api.get(f"{base}/statement",
                               params={"from": "2024-01-01", "to": "2024-02-29"})).json()
    assert (statement["opening_balance"], statement["closing_balance"]) == ("0.00", "9227.39")
    assert statement["lines"][-1]["type"] == "repayment"

    reversed_ = await api.post(f"/api/v1/loan-transactions/{paid.json()['id']}/reverse",
                               json={"reason": "cheque bounced", "on": "2024-02-21"})
    assert reversed_.status_code == 201, reversed_.text
    twice = await api.post(f"/api/v1/loan-transactions/{paid.json()['id']}/reverse",
                           json={"reason": "again", "on": "2024-02-21"})
    assert twice.status_code == 409
    charged = await api.post(f"{base}/charges", headers={"Idempotency-Key": "c-1"}, json={
        "amount": "25.00", "kind": "fee", "reason": "returned cheque", "on": "2024-02-21"})
    assert charged.status_code == 201, charged.text

    restructured = await api.post(f"{base}/restructure", json={
        "term": 18, "reason": "hardship", "as_of": "2024-02-21", "capitalise_arrears": True})
    assert restructured.status_code == 201, restructured.text
    transactions = (await api.get(f"{base}/transactions")).json()
    assert [t["type"] for t in transactions][-4:] == ["reversal", "accrual", "fee", "restructure"]
    written_off = await api.post(f"{base}/write-off", json={"reason": "fraud",
                                                            "as_of": "2024-02-22"})
    assert written_off.status_code == 201, written_off.text
    recovered = await api.post(f"{base}/recoveries", headers={"Idempotency-Key": "r-1"},
                               json={"amount": "100.00", "received_on": "2024-03-01"})
    assert recovered.status_code == 201 and recovered.json()["type"] == "recovery"
    assert (await api.get(base)).json()["status"] == "written_off"
    assert (await api.get("/api/v1/loans/999999")).status_code == 404
    await assert_books_agree(session)


async def test_the_calculator_is_public(api: httpx.AsyncClient, session: AsyncSession) -> None:
    anonymous = httpx.AsyncClient(transport=api._transport, base_url="http://test")
    response = await anonymous.post("/api/v1/calculator", json={
        "amount": "10000.00", "term": 12, "annual_rate": "0.12",
        "start_date": "2025-01-15"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["instalment"], body["total_interest"], body["total_payable"]) == (
        "888.49", "661.86", "10661.86")
    assert body["apr"] == "0.1268"
    assert len(body["schedule"]) == 12
    assert body["schedule"][0] == {
        "number": 1, "due_date": "2025-02-15", "opening_balance": "10000.00",
        "principal": "788.49", "interest": "100.00", "total": "888.49",
        "closing_balance": "9211.51"}
    assert body["schedule"][-1]["total"] == "888.47"

    await install_catalogue(session)
    product = await anonymous.post("/api/v1/calculator", json={
        "amount": "10000.00", "term": 12, "product_code": "personal",
        "start_date": "2025-01-15"})
    assert product.status_code == 200, product.text
    quoted = product.json()
    assert (quoted["band"], quoted["annual_rate"], quoted["disbursed"]) == ("A", "0.12", "9800.00")
    assert quoted["fees"] == [{"name": "Origination fee", "amount": "200.00",
                               "treatment": "deducted"}]
    assert Decimal(quoted["apr"]) > Decimal(body["apr"])  # the fee is a cost

    for bad, status in (({"amount": "10000.00", "term": 12}, 422),
                        ({"amount": "10000.00", "term": 0, "annual_rate": "0.12"}, 422),
                        ({"amount": "x", "term": 12, "annual_rate": "0.12"}, 422),
                        ({"amount": "100.00", "term": 12, "product_code": "NOPE"}, 404)):
        assert (await anonymous.post("/api/v1/calculator", json=bad)).status_code == status
    await anonymous.aclose()
