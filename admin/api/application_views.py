"""Request and response bodies of the applications API. Amounts travel as strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from core.applications.lifecycle import Status
from core.applications.models import (
    Application,
    ApplicationChannel,
    ApplicationDocument,
    ApplicationDocumentType,
    ApplicationReference,
    LoanAgreement,
    ReviewStatus,
)
from core.applications.repository import StatusChange
from core.money import Money


def _amount(value: Decimal | None, currency: str) -> str | None:
    """An amount with its currency's decimals: "10000.00"."""
    return None if value is None else str(Money.of(value, currency).amount)


def _rate(value: Decimal | None) -> str | None:
    """A rate as a fraction without trailing zeros: "0.18"."""
    return None if value is None else f"{value.normalize():f}"


class GoodsIn(BaseModel):
    merchant_code: str
    category_code: str
    item_description: str
    price: str = Field(examples=["6000.00"])
    down_payment: str = Field(examples=["600.00"])
    branch_name: str | None = None


class ApplicationIn(BaseModel):
    customer_id: int
    product_code: str
    term: int
    channel: ApplicationChannel = ApplicationChannel.CONSOLE
    amount: str | None = Field(default=None, examples=["10000.00"])
    purpose: str | None = None
    goods: GoodsIn | None = None


class DraftPatch(BaseModel):
    """Only the fields sent are changed; `"goods": null` turns it into a cash loan."""

    product_code: str | None = None
    amount: str | None = None
    term: int | None = None
    purpose: str | None = None
    goods: GoodsIn | None = None


class DecisionIn(BaseModel):
    outcome: Status = Field(examples=["approved"])
    reason: str
    offered_amount: str | None = None
    offered_term: int | None = None
    offered_rate: Decimal | None = Field(default=None, examples=["0.15"])
    risk_band: str | None = None


class ChannelIn(BaseModel):
    channel: ApplicationChannel = ApplicationChannel.CONSOLE


class AgreementIn(BaseModel):
    start_date: dt.date | None = Field(default=None, description="Expected disbursement date.")
    first_due_date: dt.date | None = None


class SignIn(BaseModel):
    code: str
    channel: ApplicationChannel
    address: str = Field(description="Phone number, email, or IP address and user agent.")


class WithdrawIn(BaseModel):
    reason: str | None = None


class ReviewIn(BaseModel):
    status: ReviewStatus
    note: str | None = None


class ReferenceIn(BaseModel):
    name: str
    relationship: str
    phone: str


class ApplicationOut(BaseModel):
    id: int
    reference: str
    customer_id: int
    product_id: int
    channel: ApplicationChannel
    status: Status
    currency: str
    requested_amount: str
    requested_term: int
    purpose: str | None
    created_at: dt.datetime
    status_changed_at: dt.datetime
    expires_on: dt.date | None
    decision_outcome: Status | None
    risk_band: str | None
    offered_amount: str | None
    offered_term: int | None
    offered_rate: str | None
    item_description: str | None
    item_price: str | None
    down_payment: str | None
    loan_id: int | None

    @classmethod
    def of(cls, a: Application) -> ApplicationOut:
        return cls(
            id=a.id, reference=a.reference, customer_id=a.customer_id, product_id=a.product_id,
            channel=a.channel, status=a.status, currency=a.currency,
            requested_amount=str(Money.of(a.requested_amount, a.currency).amount),
            requested_term=a.requested_term,
            purpose=a.purpose, created_at=a.created_at, status_changed_at=a.status_changed_at,
            expires_on=a.expires_on, decision_outcome=a.decision_outcome, risk_band=a.risk_band,
            offered_amount=_amount(a.offered_amount, a.currency), offered_term=a.offered_term,
            offered_rate=_rate(a.offered_rate), item_description=a.item_description,
            item_price=_amount(a.item_price, a.currency),
            down_payment=_amount(a.down_payment, a.currency), loan_id=a.loan_id,
        )


class DocumentOut(BaseModel):
    id: int
    document_type: ApplicationDocumentType
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    review_status: ReviewStatus
    reviewed_by: str | None
    review_note: str | None

    @classmethod
    def of(cls, d: ApplicationDocument) -> DocumentOut:
        return cls(id=d.id, document_type=d.document_type, filename=d.filename,
                   content_type=d.content_type, size_bytes=d.size_bytes, sha256=d.sha256,
                   review_status=d.review_status, reviewed_by=d.reviewed_by,
                   review_note=d.review_note)


class ReferenceOut(BaseModel):
    id: int
    name: str
    relationship: str
    phone: str

    @classmethod
    def of(cls, r: ApplicationReference) -> ReferenceOut:
        return cls(id=r.id, name=r.name, relationship=r.relationship, phone=r.phone)


class StatusChangeOut(BaseModel):
    at: dt.datetime
    actor: str
    status: Status
    previous: Status | None
    channel: str | None

    @classmethod
    def of(cls, c: StatusChange) -> StatusChangeOut:
        return cls(at=c.at, actor=c.actor, status=c.status, previous=c.previous,
                   channel=c.channel)


class ApplicationDetail(BaseModel):
    application: ApplicationOut
    decision_trace: dict[str, object] | None
    documents: list[DocumentOut]
    references: list[ReferenceOut]
    status_history: list[StatusChangeOut]


class AgreementOut(BaseModel):
    """The code itself is never returned here: it goes to the customer over the channel."""

    version: int
    pdf_sha256: str
    generated_at: dt.datetime
    terms: dict[str, object]
    accepted_at: dt.datetime | None
    acceptance_channel: ApplicationChannel | None
    code_expires_at: dt.datetime | None = None

    @classmethod
    def of(cls, a: LoanAgreement, code_expires_at: dt.datetime | None = None) -> AgreementOut:
        return cls(version=a.version, pdf_sha256=a.pdf_sha256, generated_at=a.generated_at,
                   terms=a.terms, accepted_at=a.accepted_at,
                   acceptance_channel=a.acceptance_channel, code_expires_at=code_expires_at)


class SigningOut(BaseModel):
    signed: bool
    outcome: str
    tries_left: int
    message: str
    application: ApplicationOut
