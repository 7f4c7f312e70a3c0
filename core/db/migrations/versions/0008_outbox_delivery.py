"""Outbox delivery through Twilio: a leased 'sending' state, the parts sent, segments,
template and provider error code, rows found by provider id for status callbacks.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STATUSES = ("pending", "sending", "sent", "delivered", "read", "failed")
OLD_STATUSES = ("pending", "sent", "delivered", "read", "failed")


def _status_check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_outbox_outbox_status"), "outbox", type_="check")
    op.create_check_constraint(op.f("ck_outbox_outbox_status"), "outbox", _status_check(STATUSES))
    op.add_column("outbox", sa.Column(
        "parts", postgresql.JSONB(astext_type=sa.Text()),
        server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column("outbox", sa.Column("segments", sa.SmallInteger(), nullable=True))
    op.add_column("outbox", sa.Column("template_sid", sa.String(length=40), nullable=True))
    op.add_column("outbox", sa.Column("error_code", sa.Integer(), nullable=True))
    op.drop_index("ix_outbox_pending", table_name="outbox",
                  postgresql_where=sa.text("status = 'pending'"))
    op.create_index("ix_outbox_due", "outbox", ["next_attempt_at"], unique=False,
                    postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.create_index(op.f("ix_outbox_provider_message_id"), "outbox", ["provider_message_id"],
                    unique=False)


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
    op.drop_index(op.f("ix_outbox_provider_message_id"), table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox",
                  postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.create_index("ix_outbox_pending", "outbox", ["next_attempt_at"], unique=False,
                    postgresql_where=sa.text("status = 'pending'"))
    op.drop_column("outbox", "error_code")
    op.drop_column("outbox", "template_sid")
    op.drop_column("outbox", "segments")
    op.drop_column("outbox", "parts")
    op.drop_constraint(op.f("ck_outbox_outbox_status"), "outbox", type_="check")
    op.create_check_constraint(op.f("ck_outbox_outbox_status"), "outbox",
                               _status_check(OLD_STATUSES))
