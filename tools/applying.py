"""What applying needs besides the application itself: the borrower's consents and their
employment declaration, an application's status in words, and the documents to ask for.

Core keeps no list of documents per product, so `documents_for` derives it from the product
and from what decisioning reads: a verified identity document always (the decision refers an
unverified one), proof of the income declared, bank statements (the engine analyses them when
given) and, for hire purchase, the store's quotation for the goods.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from core.applications.lifecycle import describe
from core.applications.models import Application, ApplicationDocumentType
from core.customers.consents import grant_consent, has_consent
from core.customers.employment import current_employment, set_employment
from core.customers.models import ConsentType, EmploymentStatus
from core.money import Money
from core.products.models import LoanProduct
from tools.context import ToolContext
from tools.results import Result

APPLICATION_CONSENTS: Final = (ConsentType.CREDIT_CHECK, ConsentType.TERMS)
_DOCUMENTS: Final = (
    (ApplicationDocumentType.ID, "A current national ID card, passport or driver's permit.",
     True),
    (ApplicationDocumentType.PAYSLIP, "Your latest payslip, as proof of the income you "
     "declared.", True),
    (ApplicationDocumentType.BANK_STATEMENT, "Recent bank statements showing your income; "
     "they can speed up the decision.", False),
)


def status_text(application: Application) -> str:
    """"Application APP-000123 is approved"."""
    return f"Application {application.reference} {describe(application.status)}."


def documents_for(product: LoanProduct) -> list[Result]:
    """The documents to ask for with an application for `product` (module docstring):
    each with its `type` (as uploads are filed), `description` and whether `required`."""
    documents: list[Result] = [
        {"type": kind.value, "description": text, "required": required}
        for kind, text, required in _DOCUMENTS
    ]
    if product.hire_purchase:
        documents.append({"type": ApplicationDocumentType.OTHER.value, "required": True,
                          "description": "The store's quotation or invoice for the goods."})
    return documents


def document_lines(documents: list[Result]) -> list[str]:
    """The documents as the borrower is told them: "A current national ID card ...",
    optional ones marked so."""
    return [doc["description"] if doc["required"]
            else f"{str(doc['description']).rstrip('.')} (optional)." for doc in documents]


async def record_consents(context: ToolContext, customer_id: int) -> None:
    """Record the borrower's agreement to a credit check and the terms, where not on file."""
    for kind in APPLICATION_CONSENTS:
        if not await has_consent(context.session, customer_id=customer_id, consent_type=kind):
            await grant_consent(
                context.session, customer_id=customer_id, consent_type=kind, now=context.now,
                source=f"{context.channel} conversation {context.conversation_id}",
                actor=context.actor)


async def declare_employment(
    context: ToolContext, customer_id: int, *, employer: str, income: Money,
    since: dt.date | None,
) -> None:
    """Record that the borrower works for `employer` and takes home `income` a month.

    What the borrower said before about the same employer (start date, occupation, gross
    pay, expenses) is kept; a declaration that changes nothing is not repeated.
    """
    current = await current_employment(context.session, customer_id=customer_id)
    same = current is not None and current.currency == income.currency and (
        (current.employer or "").casefold() == employer.casefold())
    start = since or (current.start_date if same and current else None)
    if same and current is not None and (
        current.status is EmploymentStatus.EMPLOYED and current.start_date == start
        and current.net_monthly_income == income.amount and not current.other_monthly_income
    ):
        return
    gross = income
    if same and current is not None and current.gross_monthly_income > income.amount:
        gross = Money.of(current.gross_monthly_income, income.currency)
    expenses = (Money.of(current.monthly_expenses, income.currency)
                if current is not None and current.currency == income.currency
                else Money.zero(income.currency))
    await set_employment(
        context.session, customer_id=customer_id, status=EmploymentStatus.EMPLOYED,
        gross_monthly_income=gross, net_monthly_income=income, monthly_expenses=expenses,
        today=context.today, actor=context.actor, employer=employer,
        occupation=current.occupation if same and current else None, start_date=start)
