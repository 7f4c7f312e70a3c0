"""Per-number messaging opt-out (STOP / START).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('number_opt_outs',
    sa.Column('channel', sa.Enum('whatsapp', 'sms', 'web', 'voice', 'terminal', name='number_opt_out_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('keyword', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_opt_outs')),
    sa.UniqueConstraint('channel', 'address', name=op.f('uq_number_opt_outs_channel_address'))
    )


def downgrade() -> None:
    op.drop_table('number_opt_outs')
