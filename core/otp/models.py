"""One-time code records. The code itself is never stored, only its HMAC."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, Index, LargeBinary, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin
from core.db.types import str_enum


class CodeStatus(enum.StrEnum):
    ACTIVE = "active"
    USED = "used"
    SUPERSEDED = "superseded"
    LOCKED = "locked"


class OneTimeCode(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "one_time_codes"
    __table_args__ = (
        # At most one live code per purpose: issuing supersedes the previous one.
        Index(
            "uq_one_time_codes_active_purpose", "purpose", unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_one_time_codes_purpose_id", "purpose", "id"),
    )

    purpose: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(120))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    status: Mapped[CodeStatus] = mapped_column(str_enum(CodeStatus, "one_time_code_status"))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    max_tries: Mapped[int] = mapped_column(SmallInteger)
    wrong_tries: Mapped[int] = mapped_column(SmallInteger, default=0)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
