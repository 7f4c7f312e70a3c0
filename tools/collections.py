"""Arrangements and problems on a loan: a promise to pay, a hardship request, a dispute.

Each is recorded where staff work: on the loan's collections case when it has one (a
promise, a contact record or note, a move to disputed), in the audit trail always, and as a
contact hold that stops automated reminders (hardship) or all collections contact until
resolved (dispute). The agent should also hand hardship and disputes to a person.
"""

from __future__ import annotations

import datetime as dt

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.collections.cases import transition_case
from core.collections.lifecycle import ACTIVE, CaseState
from core.collections.models import ContactOutcome
from core.collections.promises import create_promise
from core.compliance.models import HoldType
from core.errors import ConflictError
from tools.casework import audit_loan, hold_contact, open_case, record_on_case
from tools.context import ToolContext, require_customer
from tools.inputs import AmountText, clean_text, parse_amount
from tools.loan_access import LOAN_FIELD, chosen_loan
from tools.results import Result, amount_text, relay_domain_errors

DETAIL_LIMIT = 1000


class PromiseArgs(BaseModel):
    amount: AmountText = Field(description="The amount the borrower promises to pay, as text.")
    date: dt.date = Field(description="The date they promise to pay by, as YYYY-MM-DD "
                          "(today up to 30 days ahead).")
    loan_id: int | None = Field(None, description=LOAN_FIELD)


@tool("promise_to_pay", args_schema=PromiseArgs)
@relay_domain_errors
async def promise_to_pay(
    runtime: ToolRuntime[ToolContext], amount: str, date: dt.date, loan_id: int | None = None
) -> Result:
    """Record the borrower's promise to pay an overdue loan: an amount by a date.

    Only a loan in arrears takes promises. The date may be from today up to 30 days ahead;
    the amount may be up to what is overdue plus the next instalment. A payment counts if it
    arrives within `grace_days` after the date. One open promise at a time per loan.
    """
    context = runtime.context
    view, others = await chosen_loan(context, loan_id=loan_id)
    promised = parse_amount(amount, view.currency)
    case = await open_case(context, view.loan_id)
    if case is None:
        raise ConflictError(f"Loan {view.number} is not being collected, so there is no "
                            "promise to record; a payment link pays it now.")
    async with context.session.begin_nested():
        promise = await create_promise(context.session, case_id=case.id, amount=promised,
                                       promised_date=date, today=context.today,
                                       actor=context.actor)
        await record_on_case(context, case, ContactOutcome.PROMISE_TO_PAY,
                             f"Promised {promised} by {date:%d %B %Y}.")
    return {
        "promise_id": promise.id, "amount": amount_text(promised), "date": date.isoformat(),
        "currency": promised.currency, "grace_days": promise.grace_days,
        "loan_id": view.loan_id, "loan_number": view.number, "other_loans": others,
    }


class DetailArgs(BaseModel):
    detail: str = Field(description="What the borrower said, in their words (up to 1,000 "
                        "characters).")
    loan_id: int | None = Field(None, description=LOAN_FIELD)


@tool("request_hardship", args_schema=DetailArgs)
@relay_domain_errors
async def request_hardship(
    runtime: ToolRuntime[ToolContext], detail: str, loan_id: int | None = None
) -> Result:
    """Record that the borrower is in financial hardship and asks for help with a loan.

    Automated reminders stop (people may still call) and the team reviews the request;
    promise nothing about the outcome. Hand the conversation to a person afterwards.
    """
    context = runtime.context
    customer_id = require_customer(context)
    view, others = await chosen_loan(context, loan_id=loan_id)
    said = clean_text(detail, label="hardship details", limit=DETAIL_LIMIT)
    async with context.session.begin_nested():
        await audit_loan(context, view.loan_id, "loan.hardship_requested", detail=said)
        case = await open_case(context, view.loan_id)
        if case is not None:
            await record_on_case(context, case, ContactOutcome.HARDSHIP, said)
        held = await hold_contact(context, customer_id, HoldType.HARDSHIP,
                                  f"Hardship reported on loan {view.number}: {said}")
    return {"recorded": True, "loan_id": view.loan_id, "loan_number": view.number,
            "case_number": case.number if case else None, "reminders_paused": held,
            "other_loans": others}


@tool("raise_dispute", args_schema=DetailArgs)
@relay_domain_errors
async def raise_dispute(
    runtime: ToolRuntime[ToolContext], detail: str, loan_id: int | None = None
) -> Result:
    """Record that the borrower disputes a loan or an amount on it (what they dispute and
    why, in `detail`). Collections contact about the loan stops until the team has looked
    into it. Hand the conversation to a person afterwards.
    """
    context = runtime.context
    customer_id = require_customer(context)
    view, others = await chosen_loan(context, loan_id=loan_id)
    said = clean_text(detail, label="dispute details", limit=DETAIL_LIMIT)
    async with context.session.begin_nested():
        await audit_loan(context, view.loan_id, "loan.dispute_raised", detail=said)
        case = await open_case(context, view.loan_id)
        if case is not None:
            if case.state in ACTIVE:
                await transition_case(context.session, case_id=case.id,
                                      target=CaseState.DISPUTED, actor=context.actor,
                                      now=context.now, reason=said)
            await record_on_case(context, case, ContactOutcome.DISPUTE, said)
        held = await hold_contact(context, customer_id, HoldType.DISPUTE,
                                  f"Dispute raised on loan {view.number}: {said}")
    return {"recorded": True, "loan_id": view.loan_id, "loan_number": view.number,
            "case_number": case.number if case else None, "contact_paused": held,
            "other_loans": others}
