"""Customers API (staff only): register, find, view and change customers, their contact
points, identity documents and consents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field

from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.crypto import FieldCipher
from core.customers import consents, contacts, identity, service
from core.customers.models import (
    DEFAULT_TIME_ZONE,
    Consent,
    ConsentType,
    ContactChannel,
    ContactPoint,
    Customer,
    CustomerStatus,
    DocumentType,
)
from core.customers.repository import load_customer
from core.customers.summary import (
    ConsentView,
    ContactView,
    CustomerSummary,
    DocumentView,
    customer_summary,
)
from core.customers.validation import display_address
from core.errors import ValidationError
from core.staff.models import StaffUser

router = APIRouter(prefix="/customers", tags=["customers"])


def field_cipher(request: Request) -> FieldCipher:
    """The app's cipher for identity numbers, made once by the app factory."""
    state = request.app.state
    cipher: FieldCipher = state.field_cipher
    return cipher


CipherDep = Annotated[FieldCipher, Depends(field_cipher)]


def _actor(staff: StaffUser) -> str:
    return f"staff:{staff.id}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _today() -> dt.date:
    return _now().astimezone(ZoneInfo(DEFAULT_TIME_ZONE)).date()


class ContactIn(BaseModel):
    channel: ContactChannel
    address: str = Field(examples=["+1 868 555 0101"])
    primary: bool = False


class CustomerIn(BaseModel):
    first_name: str
    last_name: str
    date_of_birth: dt.date
    email: str | None = None
    preferred_language: str = "en"
    time_zone: str = DEFAULT_TIME_ZONE
    preferred_channel: ContactChannel | None = None
    contacts: list[ContactIn] = []


class ProfilePatch(BaseModel):
    """Only the fields sent are changed; `"email": null` clears the email."""

    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: dt.date | None = None
    email: str | None = None
    preferred_language: str | None = None
    time_zone: str | None = None
    preferred_channel: ContactChannel | None = None


_NULLABLE = frozenset({"email", "preferred_channel"})


class StatusIn(BaseModel):
    status: CustomerStatus
    reason: str


class CustomerBrief(BaseModel):
    id: int
    number: str
    name: str
    date_of_birth: dt.date
    status: CustomerStatus

    @classmethod
    def of(cls, customer: Customer) -> CustomerBrief:
        return cls(
            id=customer.id, number=customer.number, name=customer.full_name,
            date_of_birth=customer.date_of_birth, status=customer.status,
        )


class DocumentIn(BaseModel):
    document_type: DocumentType
    number: str
    expiry_date: dt.date | None = None
    issuing_country: str = "TT"


class ConsentIn(BaseModel):
    consent_type: ConsentType
    granted: bool
    source: str = Field(examples=["branch form signed in person"])
    channel: ContactChannel | None = None
    reference: str | None = None


@router.post("", status_code=status.HTTP_201_CREATED)
async def register(body: CustomerIn, session: SessionDep, staff: CurrentStaff) -> CustomerSummary:
    """Register a customer; the first contact point given on each channel becomes primary."""
    customer = await service.register_customer(
        session, first_name=body.first_name, last_name=body.last_name,
        date_of_birth=body.date_of_birth, today=_today(), actor=_actor(staff), email=body.email,
        preferred_language=body.preferred_language, time_zone=body.time_zone,
        preferred_channel=body.preferred_channel,
        contacts=[(c.channel, c.address) for c in body.contacts],
    )
    return await customer_summary(session, customer_id=customer.id)


@router.get("")
async def search(
    session: SessionDep, staff: CurrentStaff, cipher: CipherDep,
    q: Annotated[str, Query(description="Name, customer number, phone, email or ID number.")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CustomerBrief]:
    found = await service.search_customers(session, query=q, cipher=cipher, limit=limit)
    return [CustomerBrief.of(customer) for customer in found]


@router.get("/{customer_id}")
async def get_customer(
    customer_id: int, session: SessionDep, staff: CurrentStaff
) -> CustomerSummary:
    return await customer_summary(session, customer_id=customer_id)


@router.patch("/{customer_id}")
async def update(
    customer_id: int, body: ProfilePatch, session: SessionDep, staff: CurrentStaff
) -> CustomerSummary:
    changes = body.model_dump(exclude_unset=True)
    cleared = sorted(k for k, v in changes.items() if v is None and k not in _NULLABLE)
    if cleared:
        raise ValidationError(f"These fields cannot be cleared: {', '.join(cleared)}.")
    await service.update_profile(
        session, customer_id=customer_id, today=_today(), actor=_actor(staff), **changes
    )
    return await customer_summary(session, customer_id=customer_id)


@router.post("/{customer_id}/status")
async def change_status(
    customer_id: int, body: StatusIn, session: SessionDep, staff: CurrentStaff
) -> CustomerSummary:
    await service.set_customer_status(
        session, customer_id=customer_id, status=body.status, reason=body.reason,
        actor=_actor(staff),
    )
    return await customer_summary(session, customer_id=customer_id)


def _contact_view(point: ContactPoint) -> ContactView:
    return ContactView(
        id=point.id, channel=point.channel, address=point.address,
        display=display_address(point.channel, point.address), primary=point.is_primary,
        verified=point.verified,
    )


@router.post("/{customer_id}/contacts", status_code=status.HTTP_201_CREATED)
async def add_contact(
    customer_id: int, body: ContactIn, session: SessionDep, staff: CurrentStaff
) -> ContactView:
    point = await contacts.add_contact_point(
        session, customer_id=customer_id, channel=body.channel, address=body.address,
        primary=body.primary, actor=_actor(staff),
    )
    return _contact_view(point)


@router.post("/{customer_id}/contacts/{contact_id}/verify")
async def verify_contact(
    customer_id: int, contact_id: int, session: SessionDep, staff: CurrentStaff
) -> ContactView:
    point = await contacts.verify_contact_point(
        session, customer_id=customer_id, contact_id=contact_id, now=_now(), actor=_actor(staff)
    )
    return _contact_view(point)


@router.delete("/{customer_id}/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_contact(
    customer_id: int, contact_id: int, session: SessionDep, staff: CurrentStaff
) -> None:
    await contacts.remove_contact_point(
        session, customer_id=customer_id, contact_id=contact_id, now=_now(), actor=_actor(staff)
    )


@router.post("/{customer_id}/documents", status_code=status.HTTP_201_CREATED)
async def add_document(
    customer_id: int, body: DocumentIn, session: SessionDep, staff: CurrentStaff,
    cipher: CipherDep,
) -> DocumentView:
    """Record an identity document; the number is stored encrypted, only its last 4 shown."""
    document = await identity.add_identity_document(
        session, cipher=cipher, customer_id=customer_id, document_type=body.document_type,
        number=body.number, today=_today(), actor=_actor(staff), expiry_date=body.expiry_date,
        issuing_country=body.issuing_country,
    )
    return DocumentView(
        id=document.id, document_type=document.document_type, last4=document.last4,
        issuing_country=document.issuing_country, expiry_date=document.expiry_date,
        verified=document.verified,
    )


def _consent_view(consent: Consent) -> ConsentView:
    return ConsentView(
        consent_type=consent.consent_type, channel=consent.channel, granted=consent.granted,
        recorded_at=consent.recorded_at, source=consent.source, reference=consent.reference,
    )


@router.get("/{customer_id}/consents")
async def consent_history(
    customer_id: int, session: SessionDep, staff: CurrentStaff
) -> list[ConsentView]:
    """Every consent decision, oldest first (withdrawals are new entries, never deletions)."""
    await load_customer(session, customer_id)
    history = await consents.consent_history(session, customer_id=customer_id)
    return [_consent_view(consent) for consent in history]


@router.post("/{customer_id}/consents", status_code=status.HTTP_201_CREATED)
async def record_consent(
    customer_id: int, body: ConsentIn, session: SessionDep, staff: CurrentStaff
) -> ConsentView:
    """Record a grant (`granted: true`) or a withdrawal (`granted: false`)."""
    record = consents.grant_consent if body.granted else consents.withdraw_consent
    consent = await record(
        session, customer_id=customer_id, consent_type=body.consent_type, now=_now(),
        source=body.source, actor=_actor(staff), channel=body.channel, reference=body.reference,
    )
    return _consent_view(consent)
