"""Staff user records."""

from __future__ import annotations

import enum

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin


class Role(enum.StrEnum):
    AGENT = "agent"
    COLLECTOR = "collector"
    UNDERWRITER = "underwriter"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class StaffUser(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="staff_role", values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
