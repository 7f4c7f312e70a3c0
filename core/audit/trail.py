"""Append to and read the audit trail.

Who and what are the caller's arguments; when is the database clock; from where is the
request's `Origin`, which the web layer sets for the duration of a request (`use_origin`) so
services need not pass it along. Identity and account numbers under a sensitive key are
stored masked (`core.privacy.masking.mask_sensitive`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import enum
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.privacy.masking import mask_sensitive


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client's address and its user agent."""

    ip: str | None
    user_agent: str | None


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


@contextlib.contextmanager
def use_origin(origin: Origin) -> Iterator[None]:
    """Record `origin` on every audit event appended inside the block."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def _where() -> dict[str, str | None]:
    origin = _origin.get()
    if origin is None:
        return {"ip": None, "user_agent": None}
    return {"ip": origin.ip and origin.ip[:64],
            "user_agent": origin.user_agent and origin.user_agent[:300]}


def json_safe(value: Any) -> Any:
    """A value as the audit trail stores it: Decimals and dates as strings, enums by value."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _stored(values: Mapping[str, Any] | None) -> Any:
    return None if values is None else mask_sensitive(json_safe(values))


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
    """Append one audit event in the caller's transaction. Values are stored JSON-safe,
    sensitive ones masked."""
    event = AuditEvent(
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=_stored(before),
        after=_stored(after),
        channel=channel,
        **_where(),
    )
    session.add(event)
    await session.flush()
    return event


async def record_many(
    session: AsyncSession, events: Sequence[Mapping[str, Any]], *, actor: str
) -> None:
    """Append many audit events with one INSERT (bulk services: imports, batch decisions).

    Each event carries `action`, `entity_type`, `entity_id` and optionally `before`,
    `after` and `channel`, stored exactly as `record` would store them.
    """
    if not events:
        return
    where = _where()
    await session.execute(insert(AuditEvent), [
        {
            "actor": actor,
            "action": event["action"],
            "entity_type": event["entity_type"],
            "entity_id": str(event["entity_id"]),
            "before": _stored(event.get("before")),
            "after": _stored(event.get("after")),
            "channel": event.get("channel"),
            **where,
        }
        for event in events
    ])


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
