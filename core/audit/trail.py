"""Append to and read the audit trail."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    channel: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction. Values are stored JSON-safe."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        channel=channel,
    )
    session.add(event)
    await session.flush()
    return event


async def history(
    session: AsyncSession, *, entity_type: str, entity_id: object
) -> list[AuditEvent]:
    """Every audit event for one entity, oldest first."""
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id)
    )
    return list(rows)
