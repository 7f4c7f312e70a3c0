"""One read model of a customer for staff screens and the agent: `customer_summary`.

Identity numbers appear only as their type and last four characters.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from core.customers.consents import consent_history, current_decisions
from core.customers.contacts import list_contact_points
from core.customers.employment import current_employment
from core.customers.identity import list_identity_documents
from core.customers.models import (
    ConsentType,
    ContactChannel,
    CustomerStatus,
    DocumentType,
    EmploymentStatus,
)
from core.customers.repository import load_customer
from core.customers.validation import display_address


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class ContactView(_View):
    id: int
    channel: ContactChannel
    address: str
    display: str
    primary: bool
    verified: bool


class DocumentView(_View):
    id: int
    document_type: DocumentType
    last4: str
    issuing_country: str
    expiry_date: date | None
    verified: bool


class EmploymentView(_View):
    status: EmploymentStatus
    employer: str | None
    occupation: str | None
    start_date: date | None
    currency: str
    gross_monthly_income: Decimal
    net_monthly_income: Decimal
    other_monthly_income: Decimal
    monthly_expenses: Decimal
    declared_on: date


class ConsentView(_View):
    consent_type: ConsentType
    channel: ContactChannel | None
    granted: bool
    recorded_at: datetime
    source: str
    reference: str | None


class CustomerSummary(_View):
    id: int
    number: str
    first_name: str
    last_name: str
    date_of_birth: date
    email: str | None
    preferred_language: str
    time_zone: str
    preferred_channel: ContactChannel | None
    status: CustomerStatus
    contacts: list[ContactView]
    documents: list[DocumentView]
    employment: EmploymentView | None
    consents: list[ConsentView]
    """The latest decision per consent type and channel."""


async def customer_summary(session: AsyncSession, *, customer_id: int) -> CustomerSummary:
    """Profile, active contact points, documents (last 4 only), current employment and the
    current consent decisions of one customer. Raises NotFoundError for an unknown id."""
    customer = await load_customer(session, customer_id)
    contacts = await list_contact_points(session, customer_id=customer_id)
    documents = await list_identity_documents(session, customer_id=customer_id)
    employment = await current_employment(session, customer_id=customer_id)
    consents = current_decisions(await consent_history(session, customer_id=customer_id))
    return CustomerSummary(
        id=customer.id, number=customer.number, first_name=customer.first_name,
        last_name=customer.last_name, date_of_birth=customer.date_of_birth,
        email=customer.email, preferred_language=customer.preferred_language,
        time_zone=customer.time_zone, preferred_channel=customer.preferred_channel,
        status=customer.status,
        contacts=[
            ContactView(
                id=c.id, channel=c.channel, address=c.address,
                display=display_address(c.channel, c.address), primary=c.is_primary,
                verified=c.verified,
            )
            for c in contacts
        ],
        documents=[
            DocumentView(
                id=d.id, document_type=d.document_type, last4=d.last4,
                issuing_country=d.issuing_country, expiry_date=d.expiry_date,
                verified=d.verified,
            )
            for d in documents
        ],
        employment=None if employment is None else EmploymentView(
            status=employment.status, employer=employment.employer,
            occupation=employment.occupation, start_date=employment.start_date,
            currency=employment.currency,
            gross_monthly_income=employment.gross_monthly_income,
            net_monthly_income=employment.net_monthly_income,
            other_monthly_income=employment.other_monthly_income,
            monthly_expenses=employment.monthly_expenses, declared_on=employment.declared_on,
        ),
        consents=[
            ConsentView(
                consent_type=c.consent_type, channel=c.channel, granted=c.granted,
                recorded_at=c.recorded_at, source=c.source, reference=c.reference,
            )
            for c in consents
        ],
    )
