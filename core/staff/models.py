"""Staff user records and their sign-in sessions.

- A role decides what a staff member may do; the permission matrix lives with the console
  (`admin/permissions.py`). Stored values stay the original ones (`underwriter`,
  `collector`); `Role.label` is the name people see ("Credit officer").
- Five failed sign-ins in a row lock the account for 30 minutes (`locked_until`).
- The TOTP secret is stored encrypted (`core.crypto.FieldCipher`); two-factor sign-in is on
  once `totp_enabled_at` is set. `totp_last_step` refuses a code used twice.
- A session is a browser sign-in or a personal API token. Only the SHA-256 of its token is
  stored, so a copy of the table lets no one in.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, Enum, ForeignKey, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, CreatedAtMixin, IdMixin
from core.db.types import str_enum


class Role(enum.StrEnum):
    AGENT = "agent"
    COLLECTOR = "collector"
    UNDERWRITER = "underwriter"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name as staff read it: underwriter is "Credit officer"."""
        return _LABELS[self]


_LABELS = {
    Role.AGENT: "Agent",
    Role.COLLECTOR: "Collections officer",
    Role.UNDERWRITER: "Credit officer",
    Role.SUPERVISOR: "Supervisor",
    Role.ADMIN: "Admin",
}


class SessionKind(enum.StrEnum):
    BROWSER = "browser"
    API_TOKEN = "api_token"


class StaffUser(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="staff_role", values_callable=lambda e: [m.value for m in e])
    )
    password_hash: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_enabled_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    def locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


class StaffSession(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "staff_sessions"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SessionKind] = mapped_column(str_enum(SessionKind, "staff_session_kind"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(100))
    second_factor_pending: Mapped[bool] = mapped_column(default=False)
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
