"""The loan catalogue, quotes and a soft pre-qualification, for anyone (verified or not).

Terms count instalments of the product's own frequency: months for monthly products, and
fortnights or weeks for the salary advance and the micro-loan (`term_unit` says which).
Amounts are exact text ("12345.67") in `currency`; rates are yearly percentages ("14.50%").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.customers.repository import load_customer
from core.errors import ValidationError
from core.loans.calculator import calculate_for_product
from core.loans.terms import Frequency
from core.money import DEFAULT_CURRENCY, Money
from core.products.models import LoanProduct
from core.products.service import get_product, list_active_products, spec_from_record
from core.products.spec import ProductSpec
from core.scoring.prequalify import prequalify as soft_check
from core.scoring.routing import live_routing
from core.scoring.rules import CompiledRule
from core.scoring.rulesets import active_rule_set, compiled
from tools.context import ToolContext
from tools.inputs import AmountText, parse_amount
from tools.pricing import pricing_band, schedule_figures
from tools.results import Result, amount_text, rate_text, relay_domain_errors

TERM_UNITS: Final = {Frequency.MONTHLY: "months", Frequency.FORTNIGHTLY: "fortnights",
                     Frequency.WEEKLY: "weeks"}
PRODUCT_FIELD: Final = ("The product code from list_products, e.g. PERSONAL, DEBT_CONSOLIDATION, "
                        "AUTO, SALARY_ADVANCE, MICRO_BUSINESS.")
TERM_FIELD: Final = ("Number of instalments: months for monthly products; fortnights or "
                     "weeks for fortnightly or weekly ones (see term_unit in list_products).")


def _row(product: LoanProduct) -> Result:
    spec = spec_from_record(product)
    rates = [t.annual_rate for t in spec.tiers if t.eligible and t.annual_rate is not None]
    return {
        "code": spec.code, "name": spec.name, "description": spec.description,
        "min_amount": amount_text(spec.min_amount), "max_amount": amount_text(spec.max_amount),
        "currency": spec.currency, "min_term_months": spec.min_term,
        "max_term_months": spec.max_term, "term_unit": TERM_UNITS[spec.frequency],
        "frequency": spec.frequency.value, "rate_from": rate_text(min(rates)),
        "rate_to": rate_text(max(rates)), "hire_purchase": spec.hire_purchase,
    }


# Without an args_schema the schema comes from the signature, and pydantic cannot build one
# for ToolContext (its payment provider is a Protocol): Any keeps the context out of it.
@tool("list_products")
@relay_domain_errors
async def list_products(runtime: ToolRuntime[Any]) -> Result:
    """List the loan products offered today, with their amount and term ranges and rates.

    Rates run from the best to the least favourable credit profile. Hire-purchase products
    finance goods at partner stores and are applied for there, not in this conversation.
    """
    context: ToolContext = runtime.context
    products = await list_active_products(context.session, today=context.today)
    return {"products": [_row(product) for product in products]}


class QuoteArgs(BaseModel):
    product: str = Field(description=PRODUCT_FIELD)
    amount: AmountText = Field(description="Amount to borrow, as text, e.g. \"25000\".")
    term_months: int = Field(description=TERM_FIELD)


@tool("quote_loan", args_schema=QuoteArgs)
@relay_domain_errors
async def quote_loan(
    runtime: ToolRuntime[ToolContext], product: str, amount: str, term_months: int
) -> Result:
    """Price a loan: the instalment, APR, total repayable, cost of credit, fees and what is
    paid out.

    A verified borrower is quoted at their own risk band when a credit decision has set
    one; otherwise the quote is indicative (`indicative`: true), at the product's best
    rate, and the decision on an application sets the real terms. Quote only these
    figures; never work amounts out yourself.
    """
    context = runtime.context
    record = await get_product(context.session, code=product)
    requested = parse_amount(amount, record.currency)
    band, indicative = await pricing_band(context, record)
    result = await calculate_for_product(
        context.session, product_code=record.code, amount=requested, term=term_months,
        start_date=context.today, band=band)
    return {
        "product": record.code, "product_name": record.name,
        "amount": amount_text(requested), "term_months": term_months,
        "term_unit": TERM_UNITS[record.frequency],
        **schedule_figures(record, result.schedule, result.fees, result.apr,
                           today=context.today),
        "band": band, "indicative": indicative,
    }


class PrequalifyArgs(BaseModel):
    monthly_income: AmountText = Field(
        description="The borrower's take-home income a month, as text, e.g. \"8500\".")
    amount: AmountText = Field(description="Amount they would like to borrow, as text.")
    term_months: int = Field(description=TERM_FIELD)
    product: str | None = Field(None, description=PRODUCT_FIELD + " Leave empty to check "
                                "every cash loan that lends this amount over this term.")


def _fits(spec: ProductSpec, requested: Money, term: int) -> bool:
    return (spec.min_amount <= requested <= spec.max_amount
            and spec.min_term <= term <= spec.max_term)


async def _check_one(
    context: ToolContext, record: LoanProduct, rules: Sequence[CompiledRule], *,
    income: str, requested: str, term: int,
) -> Result:
    spec = spec_from_record(record)
    loan = parse_amount(requested, spec.currency)
    band, indicative = await pricing_band(context, record)
    born = None
    if context.customer_id is not None:
        born = (await load_customer(context.session, context.customer_id)).date_of_birth
    answer = soft_check(rules, spec, amount=loan, term=term, band=band,
                        monthly_income=parse_amount(income, spec.currency, label="income"),
                        today=context.today, date_of_birth=born)
    tier = spec.tier(band)
    instalment = None
    if answer.monthly_instalment is not None and tier is not None and (
            tier.max_amount is not None and loan <= tier.max_amount):
        priced = await calculate_for_product(context.session, product_code=spec.code,
                                             amount=loan, term=term, start_date=context.today,
                                             band=band)
        instalment = schedule_figures(record, priced.schedule, priced.fees, priced.apr,
                                      today=context.today)["instalment"]
    return {
        "product": spec.code, "product_name": spec.name, "eligible": answer.eligible,
        "max_amount": None if answer.max_amount is None else amount_text(answer.max_amount),
        "instalment": instalment, "frequency": spec.frequency.value,
        "reasons": list(answer.reasons), "currency": spec.currency, "band": band,
        "indicative": indicative,
    }


@tool("prequalify", args_schema=PrequalifyArgs)
@relay_domain_errors
async def prequalify(
    runtime: ToolRuntime[ToolContext], monthly_income: str, amount: str, term_months: int,
    product: str | None = None,
) -> Result:
    """A quick, unrecorded check of whether an amount over a term looks affordable on an
    income under our lending rules, and the most that would be (`max_amount`, same term).

    It is indicative only: the bureau, the credit score and employment are checked when
    the borrower applies, and existing debts are not counted here. `reasons` say why a
    request would not pass. Without a product, every cash loan that lends the amount over
    the term is checked (`products`); the answer leads with the first that passes.
    """
    context = runtime.context
    routing = await live_routing(context.session)
    rules = compiled(await active_rule_set(context.session, code=routing.rule_set_code))
    if product is not None:
        return await _check_one(context, await get_product(context.session, code=product),
                                rules, income=monthly_income, requested=amount,
                                term=term_months)
    requested = parse_amount(amount, DEFAULT_CURRENCY)
    parse_amount(monthly_income, DEFAULT_CURRENCY, label="income")
    candidates = [
        record for record in await list_active_products(
            context.session, today=context.today, hire_purchase=False)
        if _fits(spec_from_record(record), requested, term_months)]
    if not candidates:
        raise ValidationError(f"None of our loans lends {requested} over {term_months} "
                              "instalments; list_products shows what each one lends.")
    answers = [await _check_one(context, record, rules, income=monthly_income,
                                requested=amount, term=term_months) for record in candidates]
    lead = next((answer for answer in answers if answer["eligible"]), answers[0])
    return {**lead, "products": answers}
