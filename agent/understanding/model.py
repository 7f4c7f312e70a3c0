"""What understanding produces, whichever implementation ran: one intent, its slots, a confidence.

The offline understander and the LLM understander both return `Understanding`, so the graph
never knows which one ran. Slots hold exactly what the borrower said, parsed but not judged:
an amount of "-5" is parsed to `Decimal("-5")` and refused later by the flow that uses it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Intent(StrEnum):
    """Everything a borrower can mean in one message."""

    GREET = "greet"
    GOODBYE = "goodbye"
    THANKS = "thanks"
    # identity
    PROVIDE_CODE = "provide_code"
    RESEND_CODE = "resend_code"
    # flows
    PREQUALIFY = "prequalify"
    APPLY = "apply"
    APPLICATION_STATUS = "application_status"
    BALANCE = "balance"
    NEXT_PAYMENT = "next_payment"
    SCHEDULE = "schedule"
    MAKE_PAYMENT = "make_payment"
    PROMISE_TO_PAY = "promise_to_pay"
    SETTLEMENT = "settlement"
    HARDSHIP = "hardship"
    DISPUTE = "dispute"
    UPDATE_CONTACT = "update_contact"
    OPT_OUT = "opt_out"
    QUESTION = "question"
    # answers to what the agent asked
    AFFIRM = "affirm"
    DENY = "deny"
    INFORM = "inform"
    # repair
    CORRECTION = "correction"
    CANCEL = "cancel"
    HUMAN = "human"
    REPEAT = "repeat"
    START_OVER = "start_over"
    COMPLAINT = "complaint"
    ABUSE = "abuse"
    UNKNOWN = "unknown"


class Slots(BaseModel):
    """Values found in the message. Every field is optional; absent means not said."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal | None = Field(None, description="A money amount in TTD, e.g. 5000 for '5k'")
    term_months: int | None = Field(None, description="A loan term in months, e.g. 18")
    date: dt.date | None = Field(None, description="A calendar date, resolved against today")
    product: str | None = Field(
        None, description="A product code: PERSONAL, SALARY_ADVANCE, AUTO, DEBT_CONSOLIDATION, "
        "MICRO_BUSINESS, HP_STANDARD or HP_PROMO")
    income: Decimal | None = Field(None, description="Monthly income in TTD")
    employer: str | None = Field(None, description="The employer's name")
    code: str | None = Field(None, description="A six-digit one-time code")
    email: str | None = Field(None, description="An e-mail address")
    phone: str | None = Field(None, description="A phone number as written")
    date_of_birth: dt.date | None = Field(None, description="The borrower's date of birth")
    id_digits: str | None = Field(None, description="Digits of the national ID number")
    method: str | None = Field(None, description="Payment method: 'link' or 'recorded'")
    reference: str | None = Field(None, description="A payment reference quoted by the borrower")
    question: str | None = Field(None, description="The question itself, for the knowledge base")
    choice: int | None = Field(
        None, description="The 1-based number of the option picked from a list the agent gave")

    def filled(self) -> dict[str, object]:
        """Only the slots the message actually carried."""
        return {name: value for name, value in self if value is not None}


class Understanding(BaseModel):
    """One message understood: the intent, its slots and how sure the understander is."""

    model_config = ConfigDict(frozen=True)

    intent: Intent
    slots: Slots = Field(default_factory=Slots)
    confidence: float = Field(ge=0, le=1)
