"""Alembic environment: runs migrations on a synchronous psycopg 3 connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from core.db.migrations.env_filters import include_name
from core.db.registry import metadata
from core.db.session import async_url

config = context.config


def run_migrations_online() -> None:
    url = async_url(config.get_main_option("sqlalchemy.url") or "")
    connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            include_name=include_name,
            target_metadata=metadata,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
