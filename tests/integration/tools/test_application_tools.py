"""Application tools: applying runs core's decision engine end to end, all or nothing;
status and documents; another customer's application is never shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import Status
from core.applications.models import Application
from core.customers.consents import has_consent
from core.customers.employment import current_employment
from core.customers.models import ConsentType
from core.scoring.engine import decisions_for
from tests.integration.tools.support import (
    JUDGMENT_ID,
    TT,
    audit_actions,
    borrower,
    call,
    context,
    lender,
    snapshot,
)
from tools.applications import application_status, required_documents, submit_application
from tools.products import quote_loan

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=TT)
ASK = {"product": "PERSONAL", "amount": "20000", "term_months": 24,
       "monthly_income": "10000", "employer": "Ministry of Education"}


async def application(session: AsyncSession, reference: str) -> Application:
    found = await session.scalar(select(Application).where(Application.reference == reference))
    assert found is not None
    return found


async def test_approved_application(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    job = await current_employment(session, customer_id=asha.id)
    result = await call(submit_application, context(session, now=NOW, customer=asha), **ASK)
    reference = result["reference"]
    assert result == {
        "reference": reference, "status": "approved",
        "status_text": f"Application {reference} is approved.", "decision": "approved",
        "reasons": [], "amount": "20000.00", "term_months": 24,
        "requested_amount": "20000.00", "requested_term_months": 24, "currency": "TTD",
        "instalment": "941.47", "frequency": "monthly", "annual_rate": "12.00%",
        "apr": "14.99%", "total_repayable": "22595.27", "offer_expires_on": "2025-07-02"}
    stored = await application(session, reference)
    assert (stored.status, stored.customer_id, stored.channel.value) == (
        Status.APPROVED, asha.id, "whatsapp")
    (decision,) = await decisions_for(session, application_id=stored.id)
    assert (decision.band, decision.outcome.value) == ("A", "approve")
    # The same employer and income were already declared: nothing new to record.
    assert await current_employment(session, customer_id=asha.id) is job
    assert await audit_actions(session) == [
        "application.created", "application.submitted", "application.approved"]
    # The decision's band now prices this borrower's quotes.
    quote = await call(quote_loan, context(session, now=NOW, customer=asha),
                       product="PERSONAL", amount="20000", term_months=24)
    assert (quote["band"], quote["indicative"]) == ("A", False)


async def test_counter_offer_is_priced_on_the_offered_terms(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    result = await call(submit_application, context(session, now=NOW, customer=asha),
                        **{**ASK, "amount": "80000", "term_months": 12})
    assert (result["decision"], result["amount"], result["term_months"]) == (
        "counter_offered", "80000.00", 24)
    assert result["reasons"] == [
        "Your debt repayments, including this loan, would be more than 45% of your income."]
    stored = await application(session, result["reference"])
    assert stored.decision_trace is not None
    assert stored.decision_trace["offer"]["monthly_instalment"] == result["instalment"] == (
        "3765.88")


async def test_declined_with_the_lenders_reasons(session: AsyncSession) -> None:
    await lender(session, NOW)
    ravi = await borrower(session, today=NOW.date(), national_id=JUDGMENT_ID)
    result = await call(submit_application, context(session, now=NOW, customer=ravi), **ASK)
    assert (result["decision"], result["status"], result["instalment"]) == (
        "declined", "declined", None)
    assert result["reasons"] == ["There is a court judgment on your credit file."]


async def test_consents_and_a_new_employer_recorded_with_the_application(
    session: AsyncSession,
) -> None:
    await lender(session, NOW)
    lisa = await borrower(session, today=NOW.date(), employed=False, consents=False)
    turn = context(session, now=NOW, customer=lisa)
    before = await snapshot(session)
    refused = await call(submit_application, turn, **{**ASK, "employer": "TSTT"})
    assert refused["kind"] == "ConflictError"
    assert refused["error"].endswith("can be submitted, the customer must agree to a credit "
                                     "check and the terms and conditions.")
    assert await snapshot(session) == before
    result = await call(submit_application, turn, **{
        **ASK, "employer": " TSTT ", "agreed_to_credit_check_and_terms": True,
        "employed_since": "2020-01-01"})
    assert result["decision"] == "approved"
    for kind in (ConsentType.CREDIT_CHECK, ConsentType.TERMS):
        assert await has_consent(session, customer_id=lisa.id, consent_type=kind)
    job = await current_employment(session, customer_id=lisa.id)
    assert job is not None
    assert (job.employer, job.net_monthly_income, job.gross_monthly_income, job.start_date) == (
        "TSTT", 10000, 10000, dt.date(2020, 1, 1))


@pytest.mark.parametrize(("changes", "message"), [
    ({"amount": "-20000"}, "The amount must be more than zero; '-20000' is not."),
    ({"amount": "twenty"}, "'twenty' is not an amount in TTD; use digits with up to two "
                           "decimals, e.g. 5000 or 5000.50."),
    ({"monthly_income": "0"}, "The monthly income must be more than zero; '0' is not."),
    ({"term_months": 100}, "The Personal Loan runs from 12 months to 60 months; 100 is "
                           "outside that."),
    ({"amount": "200000"}, "The Personal Loan lends from TTD 5,000.00 to TTD 150,000.00; "
                           "TTD 200,000.00 is outside that."),
    ({"product": "GOLD"}, "There is no loan product 'GOLD'."),
    ({"product": "HP_STANDARD", "amount": "2000"},
     "The Hire Purchase finances goods: say what is being bought."),
    ({"employer": "  "}, "Please say the employer's name."),
])
async def test_refusals_write_nothing(
    session: AsyncSession, changes: dict[str, Any], message: str
) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    before = await snapshot(session)
    result = await call(submit_application, context(session, now=NOW, customer=asha),
                        **{**ASK, "employer": "Another Employer", **changes})
    assert result["error"] == message
    assert await snapshot(session) == before


async def test_unverified_borrower_cannot_apply(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    before = await snapshot(session)
    result = await call(submit_application, context(session, now=NOW, claimed=asha), **ASK)
    assert result == {"error": "I need to confirm who you are before I can do that.",
                      "kind": "PermissionDenied"}
    assert await snapshot(session) == before


async def test_status_shows_only_the_borrowers_own_applications(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    ravi = await borrower(session, today=NOW.date(), national_id=JUDGMENT_ID)
    his_ref = (await call(submit_application, context(session, now=NOW, customer=ravi),
                          **ASK))["reference"]
    my_ref = (await call(submit_application, context(session, now=NOW, customer=asha),
                         **ASK))["reference"]
    mine = await call(application_status, context(session, now=NOW, customer=asha))
    assert mine == {"applications": [{
        "reference": my_ref, "product_name": "Personal Loan", "amount": "20000.00",
        "term_months": 24, "currency": "TTD", "status": "approved",
        "status_text": f"Application {my_ref} is approved.", "updated_on": "2025-06-02",
        "offered_amount": "20000.00", "offered_term_months": 24, "expires_on": "2025-07-02",
        "reasons": []}]}
    his = await call(application_status, context(session, now=NOW, customer=ravi),
                     reference=his_ref.lower())
    assert his["applications"][0]["reasons"] == [
        "There is a court judgment on your credit file."]
    before = await snapshot(session)
    someone_elses = await call(application_status, context(session, now=NOW, customer=asha),
                               reference=his_ref)
    missing = await call(application_status, context(session, now=NOW, customer=asha),
                         reference="APP-999999")
    assert someone_elses == {"error": f"There is no application {his_ref}.",
                             "kind": "NotFoundError"}
    assert missing == {"error": "There is no application APP-999999.", "kind": "NotFoundError"}
    assert await snapshot(session) == before


async def test_required_documents(session: AsyncSession) -> None:
    await lender(session, NOW)
    turn = context(session, now=NOW)
    cash = await call(required_documents, turn, product="PERSONAL")
    assert cash["documents"] == [
        "A current national ID card, passport or driver's permit.",
        "Your latest payslip, as proof of the income you declared.",
        "Recent bank statements showing your income; they can speed up the decision "
        "(optional)."]
    assert [(d["type"], d["required"]) for d in cash["items"]] == [
        ("id", True), ("payslip", True), ("bank_statement", False)]
    goods = await call(required_documents, turn, product="HP_STANDARD")
    assert goods["items"][-1] == {
        "type": "other", "required": True,
        "description": "The store's quotation or invoice for the goods."}
    unknown = await call(required_documents, turn, product="NOPE")
    assert unknown["error"] == "There is no loan product 'NOPE'."
