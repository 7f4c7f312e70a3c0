"""The declarative base every area's `models.py` maps onto.

Money columns are NUMERIC(18, 2) and rates NUMERIC(12, 8): exact in the database as in
Python. Constraint names follow one convention so migrations stay predictable.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from sqlalchemy import BigInteger, DateTime, Identity, MetaData, Numeric, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MoneyColumn = Numeric(18, 2, asdecimal=True)
RateColumn = Numeric(12, 8, asdecimal=True)

money = Annotated[Decimal, mapped_column(MoneyColumn)]
rate = Annotated[Decimal, mapped_column(RateColumn)]
json_object = Annotated[dict[str, Any], mapped_column(JSONB)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        Decimal: MoneyColumn,
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


class IdMixin:
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)


class CreatedAtMixin:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )
