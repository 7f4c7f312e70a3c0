"""Loan products with their risk-band tiers, and hire-purchase merchants, branches and
categories. Field meanings are documented on `core.products.spec.ProductSpec`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAtMixin, IdMixin, RateColumn, money, rate
from core.db.types import str_enum
from core.loans.terms import DayCount, Frequency, InterestCalculation, InterestMethod
from core.products.spec import FeeTreatment, OverpaymentHandling


class LoanProduct(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "loan_products"
    __table_args__ = (
        CheckConstraint("min_amount > 0 AND min_amount <= max_amount", name="amount_range"),
        CheckConstraint("min_term >= 1 AND min_term <= max_term", name="term_range"),
        CheckConstraint("min_rate >= 0 AND min_rate <= max_rate", name="rate_range"),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    min_amount: Mapped[money]
    max_amount: Mapped[money]
    min_term: Mapped[int]
    max_term: Mapped[int]
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency, "product_frequency"))
    min_rate: Mapped[rate]
    max_rate: Mapped[rate]
    method: Mapped[InterestMethod] = mapped_column(str_enum(InterestMethod, "interest_method"))
    calculation: Mapped[InterestCalculation] = mapped_column(
        str_enum(InterestCalculation, "interest_calculation")
    )
    day_count: Mapped[DayCount] = mapped_column(str_enum(DayCount, "day_count"))
    principal_grace: Mapped[int] = mapped_column(default=0)
    interest_grace: Mapped[int] = mapped_column(default=0)
    rounding_multiple: Mapped[Decimal | None] = mapped_column(RateColumn)
    overpayment: Mapped[OverpaymentHandling] = mapped_column(
        str_enum(OverpaymentHandling, "overpayment")
    )
    origination_fee_fixed: Mapped[money]
    origination_fee_percent: Mapped[rate]
    origination_fee_treatment: Mapped[FeeTreatment] = mapped_column(
        str_enum(FeeTreatment, "fee_treatment")
    )
    late_fee: Mapped[money]
    late_fee_grace_days: Mapped[int] = mapped_column(default=0)
    early_settlement_fee_percent: Mapped[rate]
    hire_purchase: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)

    tiers: Mapped[list[ProductTier]] = relationship(
        lazy="selectin", order_by="ProductTier.band", cascade="all, delete-orphan"
    )


class ProductTier(IdMixin, Base):
    """Eligibility, rate and cap of one risk band on one product."""

    __tablename__ = "product_tiers"
    __table_args__ = (
        UniqueConstraint("product_id", "band"),
        CheckConstraint("band IN ('A', 'B', 'C', 'D', 'E')", name="band"),
    )

    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id", ondelete="CASCADE"))
    band: Mapped[str] = mapped_column(String(1))
    eligible: Mapped[bool] = mapped_column(default=True)
    annual_rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    max_amount: Mapped[Decimal | None]


category_products = Table(
    "merchant_category_products",
    Base.metadata,
    Column("category_id", ForeignKey("merchant_categories.id", ondelete="CASCADE"),
           primary_key=True),
    Column("product_id", ForeignKey("loan_products.id"), primary_key=True),
)


class Merchant(IdMixin, CreatedAtMixin, Base):
    """A retailer whose goods customers buy on hire purchase."""

    __tablename__ = "merchants"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)

    branches: Mapped[list[MerchantBranch]] = relationship(
        lazy="selectin", order_by="MerchantBranch.id"
    )
    categories: Mapped[list[MerchantCategory]] = relationship(
        lazy="selectin", order_by="MerchantCategory.id"
    )


class MerchantBranch(IdMixin, Base):
    __tablename__ = "merchant_branches"
    __table_args__ = (UniqueConstraint("merchant_id", "name"),)

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(120))
    town: Mapped[str] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)


class MerchantCategory(IdMixin, Base):
    """A kind of goods a merchant sells on credit, its down payment and allowed products."""

    __tablename__ = "merchant_categories"
    __table_args__ = (
        UniqueConstraint("merchant_id", "code"),
        CheckConstraint(
            "min_down_payment_percent >= 0 AND min_down_payment_percent < 1",
            name="down_payment_percent",
        ),
    )

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    min_down_payment_percent: Mapped[rate]
    active: Mapped[bool] = mapped_column(default=True)

    products: Mapped[list[LoanProduct]] = relationship(
        secondary=category_products, lazy="selectin", order_by="LoanProduct.code"
    )
