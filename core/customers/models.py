"""Customer records: the person, how to reach them, their identity, income and consents."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin, money
from core.db.types import str_enum

DEFAULT_TIME_ZONE: Final = "America/Port_of_Spain"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    CLOSED = "closed"
    DECEASED = "deceased"


class ContactChannel(StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"
    VOICE = "voice"
    EMAIL = "email"

    @property
    def is_phone(self) -> bool:
        """WhatsApp, SMS and voice are addressed by an E.164 phone number."""
        return self is not ContactChannel.EMAIL


class DocumentType(StrEnum):
    NATIONAL_ID = "national_id"
    PASSPORT = "passport"
    DRIVERS_PERMIT = "drivers_permit"


class EmploymentStatus(StrEnum):
    EMPLOYED = "employed"
    CONTRACT = "contract"
    SELF_EMPLOYED = "self_employed"
    UNEMPLOYED = "unemployed"
    RETIRED = "retired"
    STUDENT = "student"


class ConsentType(StrEnum):
    CREDIT_CHECK = "credit_check"
    TERMS = "terms"
    MARKETING = "marketing"
    DATA_SHARING = "data_sharing"


class Customer(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "customers"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    preferred_language: Mapped[str] = mapped_column(String(10), default="en")
    time_zone: Mapped[str] = mapped_column(String(60), default=DEFAULT_TIME_ZONE)
    preferred_channel: Mapped[ContactChannel | None] = mapped_column(
        str_enum(ContactChannel, "preferred_channel")
    )
    status: Mapped[CustomerStatus] = mapped_column(
        str_enum(CustomerStatus, "customer_status"), default=CustomerStatus.ACTIVE
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ContactPoint(IdMixin, CreatedAtMixin, Base):
    """A way to reach a customer. Among active rows a (channel, address) has one owner."""

    __tablename__ = "contact_points"
    __table_args__ = (
        Index(
            "uq_contact_points_active_address", "channel", "address",
            unique=True, postgresql_where=text("active"),
        ),
        Index(
            "uq_contact_points_one_primary", "customer_id", "channel",
            unique=True, postgresql_where=text("active AND is_primary"),
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[ContactChannel] = mapped_column(str_enum(ContactChannel, "contact_channel"))
    address: Mapped[str] = mapped_column(String(254))
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    is_primary: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class IdentityDocument(IdMixin, CreatedAtMixin, Base):
    """An identity document. The number is stored encrypted; `number_hash` finds it."""

    __tablename__ = "identity_documents"
    __table_args__ = (UniqueConstraint("document_type", "number_hash"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    document_type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType, "document_type"))
    number_encrypted: Mapped[str] = mapped_column(Text)
    number_hash: Mapped[str] = mapped_column(String(64))
    last4: Mapped[str] = mapped_column(String(4))
    issuing_country: Mapped[str] = mapped_column(String(2), default="TT")
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class Employment(IdMixin, CreatedAtMixin, Base):
    """Employment and monthly income as declared; a new declaration supersedes the last."""

    __tablename__ = "employments"
    __table_args__ = (
        Index(
            "uq_employments_current", "customer_id",
            unique=True, postgresql_where=text("superseded_on IS NULL"),
        ),
        CheckConstraint(
            "gross_monthly_income >= 0 AND net_monthly_income >= 0 "
            "AND other_monthly_income >= 0 AND monthly_expenses >= 0",
            name="amounts_not_negative",
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[EmploymentStatus] = mapped_column(
        str_enum(EmploymentStatus, "employment_status")
    )
    employer: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    gross_monthly_income: Mapped[money]
    net_monthly_income: Mapped[money]
    other_monthly_income: Mapped[money]
    monthly_expenses: Mapped[money]
    declared_on: Mapped[dt.date] = mapped_column(Date)
    superseded_on: Mapped[dt.date | None] = mapped_column(Date)


class Consent(IdMixin, CreatedAtMixin, Base):
    """One consent decision. Rows are only ever added: the latest decides (see consents.py)."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_lookup", "customer_id", "consent_type", "channel"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    consent_type: Mapped[ConsentType] = mapped_column(str_enum(ConsentType, "consent_type"))
    channel: Mapped[ContactChannel | None] = mapped_column(
        str_enum(ContactChannel, "consent_channel")
    )
    granted: Mapped[bool]
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(200))
