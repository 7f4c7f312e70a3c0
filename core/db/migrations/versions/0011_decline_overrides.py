"""Maker-checker overrides of the decision engine's declines.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STATUSES = ("draft", "submitted", "referred", "approved", "counter_offered", "declined",
            "accepted", "contract_signed", "disbursed", "withdrawn", "expired")


def upgrade() -> None:
    op.create_table(
        "decline_overrides",
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("credit_decision_id", sa.BigInteger(), nullable=False),
        sa.Column("application_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Enum("pending", "approved", "rejected",
                                    name="decline_override_status", native_enum=False,
                                    create_constraint=True, length=40), nullable=False),
        sa.Column("outcome", sa.Enum(*STATUSES, name="decline_override_outcome",
                                     native_enum=False, create_constraint=True, length=40),
                  nullable=False),
        sa.Column("risk_band", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("offered_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("offered_term", sa.Integer(), nullable=False),
        sa.Column("offered_rate", sa.Numeric(precision=12, scale=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by_staff_id", sa.BigInteger(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by_staff_id", sa.BigInteger(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_note", sa.Text(), nullable=True),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("outcome IN ('approved', 'counter_offered')",
                           name=op.f("ck_decline_overrides_outcome_is_offer")),
        sa.CheckConstraint("offered_amount > 0 AND offered_term > 0 AND offered_rate >= 0",
                           name=op.f("ck_decline_overrides_offer_positive")),
        sa.CheckConstraint("(status = 'pending') = (checked_by_staff_id IS NULL) "
                           "AND (status = 'pending') = (checked_at IS NULL)",
                           name=op.f("ck_decline_overrides_checked")),
        sa.CheckConstraint("status <> 'approved' OR checked_by_staff_id <> proposed_by_staff_id",
                           name=op.f("ck_decline_overrides_four_eyes")),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name=op.f("fk_decline_overrides_application_id_applications")),
        sa.ForeignKeyConstraint(
            ["credit_decision_id"], ["credit_decisions.id"],
            name=op.f("fk_decline_overrides_credit_decision_id_credit_decisions")),
        sa.ForeignKeyConstraint(
            ["proposed_by_staff_id"], ["staff_users.id"],
            name=op.f("fk_decline_overrides_proposed_by_staff_id_staff_users")),
        sa.ForeignKeyConstraint(
            ["checked_by_staff_id"], ["staff_users.id"],
            name=op.f("fk_decline_overrides_checked_by_staff_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decline_overrides")),
    )
    op.create_index(op.f("ix_decline_overrides_application_id"), "decline_overrides",
                    ["application_id"], unique=False)
    op.create_index("uq_decline_overrides_pending_application", "decline_overrides",
                    ["application_id"], unique=True,
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index("uq_decline_overrides_pending_application", table_name="decline_overrides")
    op.drop_index(op.f("ix_decline_overrides_application_id"), table_name="decline_overrides")
    op.drop_table("decline_overrides")
