"""Snapshots of what an application touches, to show a refused request changed nothing."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

TABLES = ("applications", "application_documents", "application_references",
          "loan_agreements", "one_time_codes", "audit_events")


async def snapshot(session: AsyncSession) -> dict[str, Any]:
    """Row counts of every table an application touches, and every application row."""
    counts = {table: await session.scalar(text(f"SELECT count(*) FROM {table}"))
              for table in TABLES}
    rows = (await session.execute(text("SELECT * FROM applications ORDER BY id"))).mappings()
    return {"counts": counts, "applications": [dict(row) for row in rows]}


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
