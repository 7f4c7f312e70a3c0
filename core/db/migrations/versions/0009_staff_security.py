"""Staff security: sign-in lock, two-factor secrets, sessions and API tokens, and where each
audit event came from.

Existing scrypt password hashes stay valid and are replaced by argon2id on next sign-in.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("ip", sa.String(length=64), nullable=True))
    op.add_column("audit_events", sa.Column("user_agent", sa.String(length=300), nullable=True))

    op.add_column("staff_users", sa.Column("failed_logins", sa.SmallInteger(),
                                           server_default=sa.text("0"), nullable=False))
    op.add_column("staff_users", sa.Column("locked_until", sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column("staff_users", sa.Column("last_login_at", sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column("staff_users", sa.Column("totp_secret", sa.String(length=300), nullable=True))
    op.add_column("staff_users", sa.Column("totp_enabled_at", sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column("staff_users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))

    op.create_table(
        "staff_sessions",
        sa.Column("staff_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Enum("browser", "api_token", name="staff_session_kind",
                                  native_enum=False, create_constraint=True, length=40),
                  nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("second_factor_pending", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"],
                                name=op.f("fk_staff_sessions_staff_id_staff_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    for column in ("totp_last_step", "totp_enabled_at", "totp_secret", "last_login_at",
                   "locked_until", "failed_logins"):
        op.drop_column("staff_users", column)
    op.drop_column("audit_events", "user_agent")
    op.drop_column("audit_events", "ip")
