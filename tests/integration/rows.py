"""Row counts, to show that a refused request left the database as it was."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CUSTOMER_TABLES = (
    "customers", "contact_points", "identity_documents", "employments", "consents",
    "audit_events",
)
PRODUCT_TABLES = (
    "loan_products", "product_tiers", "merchants", "merchant_branches", "merchant_categories",
    "merchant_category_products", "audit_events",
)


async def row_counts(session: AsyncSession, tables: tuple[str, ...]) -> dict[str, int]:
    """The number of rows in each table (names come from the constants above, not input)."""
    counts = {}
    for table in tables:
        counts[table] = int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
    return counts
