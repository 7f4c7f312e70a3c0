"""Paying a loan: a hosted payment link, or the borrower's report of a payment they made
another way (bank transfer, branch), which is recorded for staff and never posted."""

from __future__ import annotations

import datetime as dt

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.collections.models import ContactOutcome
from core.customers.repository import load_customer
from core.errors import ConflictError, PaymentProviderError, ValidationError
from core.loans.settlement import settlement_quote
from core.payments import service
from tools.casework import audit_loan, open_case, record_on_case
from tools.context import ToolContext, require_customer
from tools.inputs import AmountText, clean_text, parse_amount
from tools.loan_access import LOAN_FIELD, chosen_loan
from tools.results import Result, amount_text, relay_domain_errors


class LinkArgs(BaseModel):
    amount: AmountText | None = Field(
        None, description="Amount to pay, as text; leave empty for what is due now, or the "
        "next instalment when nothing is due yet.")
    loan_id: int | None = Field(None, description=LOAN_FIELD)


@tool("create_payment_link", args_schema=LinkArgs)
@relay_domain_errors
async def create_payment_link(
    runtime: ToolRuntime[ToolContext], amount: str | None = None, loan_id: int | None = None
) -> Result:
    """Make a secure link where the verified borrower pays a loan by card; send them `url`.

    Without an amount the link asks for what is due now (overdue plus anything due today)
    or, when nothing is due yet, the next instalment. An amount may be anything up to the
    payoff. The payment reaches the loan once the payment provider confirms it.
    """
    context = runtime.context
    customer_id = require_customer(context)
    if context.payments is None:
        raise PaymentProviderError("Card payments are not available right now; please try "
                                   "again later or pay by bank transfer.")
    view, others = await chosen_loan(context, loan_id=loan_id)
    payoff = (await settlement_quote(context.session, loan_id=view.loan_id,
                                     as_of=context.today)).total
    if not payoff.is_positive():
        raise ConflictError(f"Nothing is left to pay on loan {view.number}.")
    if amount is not None:
        wanted = parse_amount(amount, view.currency)
    else:
        upcoming = view.next_row()
        due = view.due_by(context.today)
        wanted = due if due else upcoming.unpaid if upcoming else payoff
        wanted = wanted.min(payoff)
    customer = await load_customer(context.session, customer_id)
    intent = await service.create_payment_link(
        context.session, context.payments, loan_id=view.loan_id, customer_id=customer_id,
        amount=wanted, max_amount=payoff, description=f"Repayment of loan {view.number}",
        success_url=context.payment_return_url, actor=context.actor,
        customer_email=customer.email)
    return {
        "url": intent.link_url, "reference": intent.reference,
        "amount": amount_text(wanted), "currency": view.currency, "loan_id": view.loan_id,
        "loan_number": view.number,
        "expires_at": intent.expires_at.isoformat() if intent.expires_at else None,
        "other_loans": others,
    }


class ReportArgs(BaseModel):
    amount: AmountText = Field(description="The amount the borrower says they paid, as text.")
    reference: str = Field(description="The payment's reference, as on their receipt or bank "
                           "transfer (up to 100 characters).")
    paid_on: dt.date = Field(description="The date they paid, as YYYY-MM-DD.")
    loan_id: int | None = Field(None, description=LOAN_FIELD)


@tool("report_payment", args_schema=ReportArgs)
@relay_domain_errors
async def report_payment(
    runtime: ToolRuntime[ToolContext], amount: str, reference: str, paid_on: dt.date,
    loan_id: int | None = None,
) -> Result:
    """Record that the borrower says they paid a loan another way (bank transfer, at a
    branch). It does not change the balance: the payment is matched to the loan when the
    money reaches the lender, and staff can see the report meanwhile. Tell the borrower so.
    """
    context = runtime.context
    view, others = await chosen_loan(context, loan_id=loan_id)
    paid = parse_amount(amount, view.currency)
    quoted = clean_text(reference, label="payment reference", limit=100)
    if paid_on > context.today:
        raise ValidationError(f"A payment cannot be dated in the future ({paid_on:%d %B %Y}).")
    if paid_on < view.disbursed_on:
        raise ValidationError(f"Loan {view.number} was paid out on "
                              f"{view.disbursed_on:%d %B %Y}; a payment on it cannot be dated "
                              "before that.")
    async with context.session.begin_nested():
        await audit_loan(context, view.loan_id, "loan.payment_reported",
                         amount=paid.amount, currency=paid.currency, reference=quoted,
                         paid_on=paid_on)
        case = await open_case(context, view.loan_id)
        if case is not None:
            await record_on_case(context, case, ContactOutcome.PAID,
                                 f"Says they paid {paid} on {paid_on:%d %B %Y}, reference "
                                 f"{quoted}; to be matched when the money arrives.")
    return {
        "recorded": True, "posted": False, "reference": quoted, "amount": amount_text(paid),
        "currency": paid.currency, "paid_on": paid_on.isoformat(), "loan_id": view.loan_id,
        "loan_number": view.number, "other_loans": others,
    }
