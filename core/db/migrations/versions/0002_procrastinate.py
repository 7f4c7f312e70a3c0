"""The procrastinate job queue's own schema, on the application's database.

Jobs are enqueued in the same transaction as the change that causes them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Straight to psycopg: the schema's own '%' characters are not bind placeholders.
    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, "
               "procrastinate_jobs, procrastinate_workers CASCADE")
