"""The verified borrower's loans: balances, the next payment, the schedule, the payoff, and
paying (a payment link, or telling us about a payment made elsewhere).

Figures are as of today (see `tools.loan_access`). Amounts are exact text in `currency`.
Without a `loan_id` a tool acts on the borrower's only active loan or, with several, the
most overdue (then the one due soonest), and lists the others' ids in `other_loans`.
"""

from __future__ import annotations

from typing import Final

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.loans.models import InstalmentStatus
from core.loans.settlement import settlement_quote as payoff_quote
from tools.context import ToolContext
from tools.loan_access import LOAN_FIELD, LoanView, Row, chosen_loan, loan_views
from tools.payments import create_payment_link, report_payment
from tools.results import Result, amount_text, relay_domain_errors

__all__ = ["create_payment_link", "loan_balance", "next_payment", "payment_schedule",
           "report_payment", "settlement_quote"]

MAX_ROWS: Final = 12


class LoanArgs(BaseModel):
    loan_id: int | None = Field(None, description=LOAN_FIELD)


class BalanceArgs(BaseModel):
    loan_id: int | None = Field(None, description="The loan's id; leave empty for every "
                                "active loan of the borrower.")


def _balance(view: LoanView) -> Result:
    return {
        "loan_id": view.loan_id, "loan_number": view.number, "product_name": view.product_name,
        "status": view.status.value, "principal_outstanding": amount_text(view.principal),
        "interest_due": amount_text(view.interest), "fees_due": amount_text(view.fees),
        "late_fees_due": amount_text(view.penalties), "credit_balance": amount_text(view.credit),
        "total_outstanding": amount_text(view.owed), "overdue_amount": amount_text(view.overdue),
        "days_past_due": view.days_past_due, "currency": view.currency,
        "as_of": view.as_of.isoformat(),
    }


@tool("loan_balance", args_schema=BalanceArgs)
@relay_domain_errors
async def loan_balance(runtime: ToolRuntime[ToolContext], loan_id: int | None = None) -> Result:
    """What the verified borrower owes today on one loan, or on each active loan.

    `total_outstanding` is everything owed now (principal, interest accrued so far, fees and
    late fees, less any credit); it is not the amount to close the loan early, which
    settlement_quote gives. `overdue_amount` is unpaid on instalments already past due.
    """
    views = await loan_views(runtime.context, loan_id=loan_id)
    return {"loans": [_balance(view) for view in views]}


@tool("next_payment", args_schema=LoanArgs)
@relay_domain_errors
async def next_payment(runtime: ToolRuntime[ToolContext], loan_id: int | None = None) -> Result:
    """The next instalment due on a loan: its date and what is still to pay on it, and what
    is already overdue. `due_date` is null when no instalment is left to fall due.
    """
    view, others = await chosen_loan(runtime.context, loan_id=loan_id)
    upcoming = view.next_row()
    return {
        "loan_id": view.loan_id, "loan_number": view.number,
        "due_date": upcoming.due_date.isoformat() if upcoming else None,
        "amount_due": amount_text(upcoming.unpaid) if upcoming else "0.00",
        "overdue_amount": amount_text(view.overdue), "days_past_due": view.days_past_due,
        "currency": view.currency, "other_loans": others,
    }


class ScheduleArgs(LoanArgs):
    upcoming_only: bool = Field(
        default=True, description="True for the instalments still to pay; false for all, "
        "paid ones included.")


def _status(row: Row, view: LoanView) -> str:
    if row.status is InstalmentStatus.PAID or not row.unpaid:
        return "paid"
    if row.due_date < view.as_of:
        return "overdue"
    return "due" if row.due_date == view.as_of else "upcoming"


@tool("payment_schedule", args_schema=ScheduleArgs)
@relay_domain_errors
async def payment_schedule(
    runtime: ToolRuntime[ToolContext], loan_id: int | None = None, upcoming_only: bool = True
) -> Result:
    """A loan's instalments in date order, at most twelve (`more` counts the rest): the
    amount of each, what is still unpaid and its status (paid, overdue, due today,
    upcoming).
    """
    view, others = await chosen_loan(runtime.context, loan_id=loan_id)
    rows = [row for row in view.rows if row.unpaid or not upcoming_only]
    return {
        "loan_id": view.loan_id, "loan_number": view.number, "currency": view.currency,
        "instalments": [
            {"number": row.number, "due_date": row.due_date.isoformat(),
             "amount": amount_text(row.amount), "unpaid": amount_text(row.unpaid),
             "status": _status(row, view)}
            for row in rows[:MAX_ROWS]
        ],
        "more": max(len(rows) - MAX_ROWS, 0), "other_loans": others,
    }


@tool("settlement_quote", args_schema=LoanArgs)
@relay_domain_errors
async def settlement_quote(
    runtime: ToolRuntime[ToolContext], loan_id: int | None = None
) -> Result:
    """What it takes to pay a loan off in full today (early settlement), and its parts.

    Interest not yet earned is not charged; an early-settlement fee may apply. The figure
    holds for a payment made today (`valid_until`): interest accrues daily after that.
    """
    context = runtime.context
    view, others = await chosen_loan(context, loan_id=loan_id)
    quote = await payoff_quote(context.session, loan_id=view.loan_id, as_of=context.today)
    return {
        "loan_id": view.loan_id, "loan_number": view.number,
        "payoff_amount": amount_text(quote.total), "valid_until": quote.as_of.isoformat(),
        "currency": view.currency,
        "breakdown": {"principal": amount_text(quote.principal),
                      "interest": amount_text(quote.interest), "fees": amount_text(quote.fees),
                      "late_fees": amount_text(quote.penalties),
                      "settlement_fee": amount_text(quote.settlement_fee),
                      "credit_used": amount_text(quote.credit)},
        "other_loans": others,
    }
