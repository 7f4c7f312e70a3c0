"""Pricing for the product and application tools: which risk band to price with, and the
figures of a schedule as the borrower is told them.

The figures follow the loan agreement's rules (`core.applications.agreement`): the amount
of credit is what is paid out, the total repayable every instalment, the cost of credit the
difference, and the APR counts every fee. Nothing here computes a number itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Final

from core.applications.agreement import AgreementData, AgreementFee, agreement_figures
from core.applications.service import list_applications
from core.loans.schedule import Schedule
from core.products.models import LoanProduct
from core.products.service import spec_from_record
from core.scoring.prequalify import indicative_band
from tools.context import ToolContext
from tools.results import Result, amount_text, rate_text

RECENT_APPLICATIONS: Final = 20


async def pricing_band(context: ToolContext, product: LoanProduct) -> tuple[str, bool]:
    """The band to price with and whether it is only indicative.

    A verified borrower's band is the one the latest decision on their applications gave
    them; anyone else is quoted the product's best band, as the public calculator does
    ("rates from").
    """
    if context.customer_id is not None:
        decided = await list_applications(context.session, customer_id=context.customer_id,
                                          limit=RECENT_APPLICATIONS)
        band = next((a.risk_band for a in decided if a.risk_band is not None), None)
        if band is not None:
            return band, False
    return indicative_band(spec_from_record(product)), True


def schedule_figures(
    product: LoanProduct, schedule: Schedule, fees: Sequence[AgreementFee], apr: Decimal, *,
    today: dt.date,
) -> Result:
    """The instalment, APR, totals and fees of a priced schedule, as quote results give them."""
    terms = schedule.terms
    # The agreement's rules define the amount of credit and the cost of credit; a quote is
    # the same figures before there is anyone to name in an agreement.
    figures = agreement_figures(AgreementData(
        reference="quote", version=1, issued_on=today, lender_name="", borrower_name="",
        customer_number="", product_name=product.name, schedule=schedule, fees=tuple(fees)))
    regular = schedule.instalments[min(terms.deferred_instalments, terms.term - 1)]
    return {
        "instalment": amount_text(regular.total), "frequency": terms.frequency.value,
        "instalments": terms.term, "first_due_date": schedule.instalments[0].due_date.isoformat(),
        "annual_rate": rate_text(terms.annual_rate), "apr": rate_text(apr),
        "total_repayable": amount_text(figures.total_payable),
        "total_cost_of_credit": amount_text(figures.cost_of_credit),
        "fees": [{"name": fee.name, "amount": amount_text(fee.amount),
                  "how_paid": fee.treatment.description} for fee in fees],
        "disbursed_amount": amount_text(figures.amount_of_credit), "currency": terms.currency,
    }
