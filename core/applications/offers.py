"""An application against its product: what may be asked for, and the terms of an offer.

A draft is checked against the product's own limits (offered today, currency, amount and
term range), because no risk band is known yet. An offer is quoted through
`core.products.quote.quote_terms` with the decision's risk band, which adds the band's
eligibility and limit; a decided rate replaces the band's rate if it is within the
product's range.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.agreement import AgreementFee, FeeTreatment, HirePurchaseGoods
from core.applications.models import Application
from core.errors import NotFoundError, ValidationError
from core.loans.terms import LoanTerms
from core.money import Money
from core.products import spec as product_spec
from core.products.merchants import get_merchant, percent_text
from core.products.models import LoanProduct, Merchant, MerchantBranch, MerchantCategory
from core.products.quote import origination_fee, quote_terms, term_words
from core.products.service import spec_from_record


@dataclass(frozen=True, slots=True, kw_only=True)
class HirePurchaseRequest:
    """Goods bought on hire purchase: the loan finances price − down payment."""

    merchant_code: str
    category_code: str
    item_description: str
    price: Money
    down_payment: Money
    branch_name: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedGoods:
    """Hire-purchase goods that passed `check_goods`, with the records they refer to."""

    merchant: Merchant
    branch: MerchantBranch | None
    category: MerchantCategory
    item_description: str
    price: Money
    down_payment: Money

    @property
    def financed(self) -> Money:
        return self.price - self.down_payment


def check_request(product: LoanProduct, *, amount: Money, term: int, today: date) -> None:
    """Refuse an amount or term outside the product, or a product not offered `today`."""
    spec = spec_from_record(product)
    if not spec.active or (spec.effective_from is not None and today < spec.effective_from) or (
        spec.effective_to is not None and today > spec.effective_to
    ):
        raise ValidationError(f"The {spec.name} is not offered at present.")
    if not isinstance(amount, Money) or amount.currency != spec.currency:
        raise ValidationError(f"The {spec.name} lends in {spec.currency}.")
    if not spec.min_amount <= amount <= spec.max_amount:
        raise ValidationError(
            f"The {spec.name} lends from {spec.min_amount} to {spec.max_amount}; "
            f"{amount} is outside that."
        )
    if isinstance(term, bool) or not isinstance(term, int):
        raise ValidationError("The term must be a whole number of instalments.")
    if not spec.min_term <= term <= spec.max_term:
        raise ValidationError(
            f"The {spec.name} runs from {term_words(spec.min_term, spec.frequency)} to "
            f"{term_words(spec.max_term, spec.frequency)}; {term} is outside that."
        )


async def check_goods(
    session: AsyncSession, product: LoanProduct, goods: HirePurchaseRequest | None
) -> CheckedGoods | None:
    """Goods are required for a hire-purchase product and refused for any other.

    Checks the merchant, category and branch exist and are active, the category may be
    financed by the product, and the down payment is at least the category's minimum
    (rounded up to the cent) and less than the price.
    """
    if not product.hire_purchase:
        if goods is not None:
            raise ValidationError(f"The {product.name} is not a hire-purchase product.")
        return None
    if goods is None:
        raise ValidationError(f"The {product.name} finances goods: say what is being bought.")
    merchant = await get_merchant(session, code=goods.merchant_code)
    category = next((c for c in merchant.categories
                     if c.code == goods.category_code.strip().upper()), None)
    if category is None:
        raise NotFoundError(f"{merchant.name} has no category {goods.category_code!r}.")
    if not merchant.active or not category.active:
        raise ValidationError(f"{category.name} at {merchant.name} is not offered on credit now.")
    if product.id not in {p.id for p in category.products}:
        raise ValidationError(f"The {product.name} cannot finance {category.name}.")
    branch = None
    if goods.branch_name is not None:
        wanted = goods.branch_name.strip().lower()
        branch = next((b for b in merchant.branches if b.name.lower() == wanted and b.active),
                      None)
        if branch is None:
            raise NotFoundError(f"{merchant.name} has no open branch {goods.branch_name!r}.")
    description = " ".join(goods.item_description.split())
    if not description or len(description) > 300:
        raise ValidationError("Describe the goods in 1 to 300 characters.")
    price, down = goods.price, goods.down_payment
    if not price.is_positive() or down.currency != price.currency or down.is_negative():
        raise ValidationError("The price must be positive and the down payment in its currency.")
    minimum = price.times(category.min_down_payment_percent, mode=ROUND_UP)
    if down < minimum:
        raise ValidationError(
            f"A down payment of {down} is below the minimum of {minimum} "
            f"({percent_text(category.min_down_payment_percent)} of {price})."
        )
    if down >= price:
        raise ValidationError("The down payment covers the whole price; nothing to finance.")
    return CheckedGoods(merchant, branch, category, description, price, down)


async def stored_goods(
    session: AsyncSession, application: Application
) -> HirePurchaseRequest | None:
    """The goods on an application as a request again (None for a cash loan)."""
    if application.merchant_id is None or application.category_id is None:
        return None
    merchant = await session.get(Merchant, application.merchant_id)
    category = await session.get(MerchantCategory, application.category_id)
    branch = (await session.get(MerchantBranch, application.branch_id)
              if application.branch_id is not None else None)
    assert merchant is not None and category is not None  # foreign keys guarantee them
    currency = application.currency
    return HirePurchaseRequest(
        merchant_code=merchant.code, category_code=category.code,
        branch_name=branch.name if branch is not None else None,
        item_description=application.item_description or "",
        price=Money.of(application.item_price or 0, currency),
        down_payment=Money.of(application.down_payment or 0, currency),
    )


def offer_terms(
    product: LoanProduct, *, amount: Money, term: int, band: str, rate: Decimal | None,
    start_date: date, first_due_date: date | None = None,
) -> LoanTerms:
    """The terms of an offer: `quote_terms` for the band, with `rate` instead when given."""
    terms = quote_terms(product, amount=amount, term=term, band=band, start_date=start_date,
                        first_due_date=first_due_date)
    if rate is None or rate == terms.annual_rate:
        return terms
    spec = spec_from_record(product)
    if not isinstance(rate, Decimal) or not spec.min_rate <= rate <= spec.max_rate:
        raise ValidationError(
            f"The {spec.name} charges {percent_text(spec.min_rate)} to "
            f"{percent_text(spec.max_rate)} a year; {percent_text(rate)} is outside that."
        )
    return dataclasses.replace(terms, annual_rate=rate)


def fee_lines(product: LoanProduct, terms: LoanTerms) -> tuple[AgreementFee, ...]:
    """The product's origination fee on `terms`, as the agreement lists it (none if zero)."""
    fee = origination_fee(product, terms.principal)
    if not fee:
        return ()
    financed = product.origination_fee_treatment is product_spec.FeeTreatment.FINANCED
    treatment = FeeTreatment.FINANCED if financed else FeeTreatment.DEDUCTED
    return (AgreementFee("Origination fee", fee, treatment),)


async def agreement_goods(
    session: AsyncSession, application: Application
) -> HirePurchaseGoods | None:
    """The goods as the agreement prints them (None for a cash loan)."""
    if application.merchant_id is None or application.item_price is None:
        return None
    merchant = await session.get(Merchant, application.merchant_id)
    assert merchant is not None  # a foreign key guarantees it
    currency = application.currency
    return HirePurchaseGoods(
        merchant=merchant.name, description=application.item_description or "",
        price=Money.of(application.item_price, currency),
        down_payment=Money.of(application.down_payment or 0, currency),
    )
