"""Apply for a loan, follow applications, and say which documents an application needs.

Applying records the borrower's employment and income, creates and submits the
application and runs the decision engine, all or nothing: a refusal at any step leaves
nothing behind. Only the verified borrower's own applications are visible; another
customer's reference gets the same answer as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.applications import service
from core.applications.agreement import annual_percentage_rate
from core.applications.lifecycle import Status
from core.applications.models import Application
from core.applications.offers import fee_lines, offer_terms
from core.applications.repository import load_by_reference
from core.errors import NotFoundError
from core.loans.schedule import build_schedule
from core.money import Money
from core.products.models import LoanProduct
from core.products.service import get_product
from core.scoring.bureau import SandboxBureau
from core.scoring.engine import decide_application
from tools.applying import (
    declare_employment,
    document_lines,
    documents_for,
    record_consents,
    status_text,
)
from tools.context import ToolContext, require_customer
from tools.inputs import AmountText, application_channel, clean_text, parse_amount
from tools.pricing import schedule_figures
from tools.products import PRODUCT_FIELD, TERM_FIELD
from tools.results import Result, amount_text, relay_domain_errors

DECISIONS: Final = {Status.APPROVED: "approved", Status.DECLINED: "declined",
                    Status.REFERRED: "referred", Status.COUNTER_OFFERED: "counter_offered"}
_OFFERS: Final = frozenset({Status.APPROVED, Status.COUNTER_OFFERED})
MAX_LISTED: Final = 10


class ApplyArgs(BaseModel):
    product: str = Field(description=PRODUCT_FIELD)
    amount: AmountText = Field(description="Amount to borrow, as text, e.g. \"25000\".")
    term_months: int = Field(description=TERM_FIELD)
    monthly_income: AmountText = Field(
        description="The borrower's take-home income a month, as text, e.g. \"8500\".")
    employer: str = Field(description="The name of the borrower's employer.")
    agreed_to_credit_check_and_terms: bool = Field(
        default=False, description="True only after the borrower has said yes, in this "
        "conversation, to a credit check and to the lender's terms and conditions.")
    employed_since: dt.date | None = Field(
        None, description="When the borrower started with this employer, if they said.")


async def _offer(context: ToolContext, application: Application) -> Result:
    """The figures of an approval or counter-offer, priced as the offer letter prices them."""
    product = await context.session.get(LoanProduct, application.product_id)
    assert product is not None and application.offered_amount is not None  # set with an offer
    assert application.offered_term is not None and application.risk_band is not None
    terms = offer_terms(product, amount=Money.of(application.offered_amount,
                                                 application.currency),
                        term=application.offered_term, band=application.risk_band,
                        rate=application.offered_rate, start_date=context.today)
    schedule = build_schedule(terms)
    fees = fee_lines(product, terms)
    return schedule_figures(product, schedule, fees, annual_percentage_rate(schedule, fees),
                            today=context.today)


@tool("submit_application", args_schema=ApplyArgs)
@relay_domain_errors
async def submit_application(
    runtime: ToolRuntime[ToolContext], product: str, amount: str, term_months: int,
    monthly_income: str, employer: str, agreed_to_credit_check_and_terms: bool = False,
    employed_since: dt.date | None = None,
) -> Result:
    """Apply for a cash loan for the verified borrower and get the lender's decision.

    Confirm the product, amount, term, income and employer with the borrower first, and
    ask whether they agree to a credit check and the terms and conditions: the application
    cannot be submitted without that agreement (set agreed_to_credit_check_and_terms only
    when they said yes). `decision` is approved, counter_offered (a different amount or
    term is offered: `amount`, `term_months`), referred (a person will review it) or
    declined; `reasons` are the lender's own words. Hire-purchase loans are applied for at
    the partner store.
    """
    context = runtime.context
    customer_id = require_customer(context)
    record = await get_product(context.session, code=product)
    requested = parse_amount(amount, record.currency)
    income = parse_amount(monthly_income, record.currency, label="monthly income")
    employer_name = clean_text(employer, label="employer's name", limit=200)
    async with context.session.begin_nested():
        if agreed_to_credit_check_and_terms:
            await record_consents(context, customer_id)
        await declare_employment(context, customer_id, employer=employer_name, income=income,
                                 since=employed_since)
        application = await service.create_application(
            context.session, customer_id=customer_id, product_code=record.code,
            term=term_months, channel=application_channel(context.channel), now=context.now,
            actor=context.actor, amount=requested)
        await service.submit_application(
            context.session, application_id=application.id, actor=context.actor,
            now=context.now, channel=context.channel)
        decision = await decide_application(
            context.session, application_id=application.id, now=context.now,
            actor=context.actor, bureau=SandboxBureau())
    offered = application.status in _OFFERS
    figures = await _offer(context, application) if offered else {}
    return {
        "reference": application.reference, "status": application.status.value,
        "status_text": status_text(application), "decision": DECISIONS[application.status],
        "reasons": list(decision.reasons),
        "amount": amount_text(Money.of(application.offered_amount or requested.amount,
                                       application.currency)),
        "term_months": application.offered_term or term_months,
        "requested_amount": amount_text(requested), "requested_term_months": term_months,
        "currency": application.currency, "instalment": figures.get("instalment"),
        "frequency": record.frequency.value, "annual_rate": figures.get("annual_rate"),
        "apr": figures.get("apr"), "total_repayable": figures.get("total_repayable"),
        "offer_expires_on": application.expires_on.isoformat()
        if offered and application.expires_on else None,
    }


def _row(application: Application, product: LoanProduct) -> Result:
    offered = application.offered_amount
    reasons = (application.decision_trace or {}).get("reasons", [])
    return {
        "reference": application.reference, "product_name": product.name,
        "amount": amount_text(Money.of(application.requested_amount, application.currency)),
        "term_months": application.requested_term, "currency": application.currency,
        "status": application.status.value, "status_text": status_text(application),
        "updated_on": application.status_changed_at.date().isoformat(),
        "offered_amount": None if offered is None
        else amount_text(Money.of(offered, application.currency)),
        "offered_term_months": application.offered_term,
        "expires_on": application.expires_on.isoformat() if application.expires_on else None,
        "reasons": list(reasons) if application.status is not Status.APPROVED else [],
    }


class StatusArgs(BaseModel):
    reference: str | None = Field(
        None, description="An application reference such as APP-000123; leave empty for all "
        "of the borrower's recent applications.")


@tool("application_status", args_schema=StatusArgs)
@relay_domain_errors
async def application_status(
    runtime: ToolRuntime[ToolContext], reference: str | None = None
) -> Result:
    """Where the verified borrower's applications stand: status, amounts, any offer and the
    lender's reasons for a decline or referral. Newest first, at most ten.
    """
    context = runtime.context
    customer_id = require_customer(context)
    if reference is not None and reference.strip():
        wanted = reference.strip().upper()
        found = await load_by_reference(context.session, wanted)
        if found.customer_id != customer_id:  # worded as load_by_reference's: nothing leaks
            raise NotFoundError(f"There is no application {wanted}.")
        applications = [found]
    else:
        applications = list(await service.list_applications(
            context.session, customer_id=customer_id, limit=MAX_LISTED))
    rows = []
    for application in applications:
        product = await context.session.get(LoanProduct, application.product_id)
        assert product is not None  # a foreign key guarantees it
        rows.append(_row(application, product))
    return {"applications": rows}


class DocumentsArgs(BaseModel):
    product: str = Field(description=PRODUCT_FIELD)


@tool("required_documents", args_schema=DocumentsArgs)
@relay_domain_errors
async def required_documents(runtime: ToolRuntime[ToolContext], product: str) -> Result:
    """The documents an application for a product needs, as sentences to tell the borrower
    (`documents`; optional ones say so), and as `items` with each one's type and whether it
    is required. Staff review every document before a loan is paid out.
    """
    record = await get_product(runtime.context.session, code=product)
    items = documents_for(record)
    return {"product": record.code, "product_name": record.name,
            "documents": document_lines(items), "items": items}
