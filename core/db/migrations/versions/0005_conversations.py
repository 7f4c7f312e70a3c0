"""Conversations, their transcript, the outbox of replies and escalations.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversations',
    sa.Column('channel', sa.Enum('whatsapp', 'sms', 'web', 'voice', 'terminal', name='conversation_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.Enum('active', 'escalated', 'closed', name='conversation_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_conversations_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    op.create_index(op.f('ix_conversations_customer_id'), 'conversations', ['customer_id'], unique=False)
    op.create_index('uq_conversations_open_address', 'conversations', ['channel', 'address'], unique=True, postgresql_where=sa.text("status <> 'closed'"))
    op.create_table('conversation_messages',
    sa.Column('conversation_id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.Enum('whatsapp', 'sms', 'web', 'voice', 'terminal', name='message_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', name='message_direction', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('author', sa.Enum('borrower', 'agent', 'staff', 'system', name='message_author', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    sa.Column('intent', sa.String(length=40), nullable=True),
    sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_messages_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_messages'))
    )
    op.create_index('ix_conversation_messages_conversation_id_id', 'conversation_messages', ['conversation_id', 'id'], unique=False)
    op.create_index('uq_conversation_messages_provider_id', 'conversation_messages', ['channel', 'provider_message_id'], unique=True, postgresql_where=sa.text('provider_message_id IS NOT NULL'))
    op.create_table('escalations',
    sa.Column('conversation_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Enum('requested', 'misunderstood', 'complaint', 'abuse', 'referred_application', 'hardship', 'dispute', 'verification_locked', name='escalation_reason', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'claimed', 'resolved', 'closed', name='escalation_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.BigInteger(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['claimed_by'], ['staff_users.id'], name=op.f('fk_escalations_claimed_by_staff_users')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_escalations_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations'))
    )
    op.create_index('uq_escalations_open_conversation', 'escalations', ['conversation_id'], unique=True, postgresql_where=sa.text("status IN ('waiting', 'claimed')"))
    op.create_table('outbox',
    sa.Column('conversation_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.Enum('whatsapp', 'sms', 'web', 'voice', 'terminal', name='outbox_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'delivered', 'read', 'failed', name='outbox_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('attempts', sa.SmallInteger(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_outbox_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['message_id'], ['conversation_messages.id'], name=op.f('fk_outbox_message_id_conversation_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_idempotency_key')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id'))
    )
    op.create_index(op.f('ix_outbox_conversation_id'), 'outbox', ['conversation_id'], unique=False)
    op.create_index('ix_outbox_pending', 'outbox', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('ix_outbox_pending', table_name='outbox', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_outbox_conversation_id'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_index('uq_escalations_open_conversation', table_name='escalations', postgresql_where=sa.text("status IN ('waiting', 'claimed')"))
    op.drop_table('escalations')
    op.drop_index('uq_conversation_messages_provider_id', table_name='conversation_messages', postgresql_where=sa.text('provider_message_id IS NOT NULL'))
    op.drop_index('ix_conversation_messages_conversation_id_id', table_name='conversation_messages')
    op.drop_table('conversation_messages')
    op.drop_index('uq_conversations_open_address', table_name='conversations', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index(op.f('ix_conversations_customer_id'), table_name='conversations')
    op.drop_table('conversations')
