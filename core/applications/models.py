"""Application records: the application, its documents, references and agreements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.applications.lifecycle import Status
from core.db.base import Base, CreatedAtMixin, IdMixin, RateColumn, money
from core.db.types import str_enum

MAX_DOCUMENT_BYTES: Final = 10 * 1024 * 1024


class ApplicationChannel(StrEnum):
    """Where an application came from."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    VOICE = "voice"
    WEB_CHAT = "web_chat"
    EMAIL = "email"
    CONSOLE = "console"
    BRANCH = "branch"
    MERCHANT = "merchant"


class ApplicationDocumentType(StrEnum):
    PAYSLIP = "payslip"
    BANK_STATEMENT = "bank_statement"
    ID = "id"
    PROOF_OF_ADDRESS = "proof_of_address"
    OTHER = "other"


class ReviewStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Application(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint("requested_amount > 0", name="requested_amount_positive"),
        CheckConstraint("requested_term > 0", name="requested_term_positive"),
        CheckConstraint(
            "(offered_amount IS NULL OR offered_amount > 0) "
            "AND (offered_term IS NULL OR offered_term > 0) "
            "AND (offered_rate IS NULL OR offered_rate >= 0)",
            name="offer_positive",
        ),
        CheckConstraint(
            "(merchant_id IS NULL) = (category_id IS NULL) "
            "AND (merchant_id IS NULL) = (item_price IS NULL) "
            "AND (item_price IS NULL) = (down_payment IS NULL) "
            "AND (item_price IS NULL OR (item_price > 0 AND down_payment >= 0 "
            "AND down_payment < item_price))",
            name="hire_purchase_goods",
        ),
        Index("ix_applications_status", "status", "id"),
    )

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"), index=True)
    channel: Mapped[ApplicationChannel] = mapped_column(
        str_enum(ApplicationChannel, "application_channel")
    )
    currency: Mapped[str] = mapped_column(String(3))
    requested_amount: Mapped[money]
    requested_term: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(300))

    status: Mapped[Status] = mapped_column(str_enum(Status, "application_status"))
    status_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    referred_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    disbursed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(String(300))

    decision_outcome: Mapped[Status | None] = mapped_column(
        str_enum(Status, "application_decision_outcome")
    )
    decision_trace: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    offered_amount: Mapped[Decimal | None]
    offered_term: Mapped[int | None] = mapped_column(Integer)
    offered_rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    risk_band: Mapped[str | None] = mapped_column(String(20))
    expires_on: Mapped[dt.date | None] = mapped_column(Date)

    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("merchant_branches.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("merchant_categories.id"))
    item_description: Mapped[str | None] = mapped_column(String(300))
    item_price: Mapped[Decimal | None]
    down_payment: Mapped[Decimal | None]

    loan_id: Mapped[int | None] = mapped_column(BigInteger)


class ApplicationDocument(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "application_documents"
    __table_args__ = (
        CheckConstraint(
            f"size_bytes > 0 AND size_bytes <= {MAX_DOCUMENT_BYTES}", name="size_within_limit"
        ),
        CheckConstraint("(content IS NULL) = (content_removed_at IS NOT NULL)",
                        name="content_or_removed"),
    )

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    document_type: Mapped[ApplicationDocumentType] = mapped_column(
        str_enum(ApplicationDocumentType, "application_document_type")
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The file encrypted with the field cipher (`core.applications.documents`); None once
    # removed under the retention policy (`core.privacy.retention`).
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    content_removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    review_status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, "document_review_status")
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)


class ApplicationReference(IdMixin, CreatedAtMixin, Base):
    """A person who can vouch for the applicant."""

    __tablename__ = "application_references"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    relationship: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))


class LoanAgreement(IdMixin, CreatedAtMixin, Base):
    """One generated version of an application's agreement and, once signed, its acceptance."""

    __tablename__ = "loan_agreements"
    __table_args__ = (UniqueConstraint("application_id", "version"),)

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    generated_by: Mapped[str] = mapped_column(String(200))
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_by_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    acceptance_channel: Mapped[ApplicationChannel | None] = mapped_column(
        str_enum(ApplicationChannel, "acceptance_channel")
    )
    acceptance_address: Mapped[str | None] = mapped_column(String(300))
    otp_verified: Mapped[bool] = mapped_column(default=False)
