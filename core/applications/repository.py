"""Loading applications, and the one audited way to move one through its lifecycle."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import (
    TIMESTAMP_FIELD,
    Status,
    check_override_transition,
    check_transition,
)
from core.applications.models import Application
from core.audit import trail
from core.errors import NotFoundError, ValidationError

ENTITY: Final = "application"
"""The audit trail's entity type for applications."""


def reference_for(application_id: int) -> str:
    """The reference of an application id: 123 → "APP-000123"."""
    return f"APP-{application_id:06d}"


async def load_application(
    session: AsyncSession, application_id: int, *, for_update: bool = False
) -> Application:
    """The application with this id (locked for the transaction when `for_update`)."""
    query = select(Application).where(Application.id == application_id)
    if for_update:
        query = query.with_for_update()
    application = await session.scalar(query)
    if application is None:
        raise NotFoundError(f"There is no application with id {application_id}.")
    return application


async def load_by_reference(session: AsyncSession, reference: str) -> Application:
    """The application with this reference ("APP-000123", any case)."""
    wanted = reference.strip().upper()
    application = await session.scalar(select(Application).where(Application.reference == wanted))
    if application is None:
        raise NotFoundError(f"There is no application {wanted}.")
    return application


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of an application's history, read back from the audit trail."""

    at: dt.datetime
    actor: str
    status: Status
    previous: Status | None
    channel: str | None


async def status_history(session: AsyncSession, application_id: int) -> list[StatusChange]:
    """Every status the application has had, oldest first (creation included)."""
    events = await trail.history(session, entity_type=ENTITY, entity_id=application_id)
    changes = []
    for event in events:
        if event.after is None or "status" not in event.after:
            continue
        previous = (event.before or {}).get("status")
        changes.append(StatusChange(
            at=event.at, actor=event.actor, status=Status(event.after["status"]),
            previous=Status(previous) if previous else None, channel=event.channel,
        ))
    return changes


def json_safe(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` as plain JSON (decimals, dates and the like become strings), for JSONB."""
    if not isinstance(values, Mapping):
        raise ValidationError("Expected a mapping of names to values.")
    result: dict[str, Any] = json.loads(json.dumps(values, default=str))
    return result


def check_time(now: dt.datetime) -> None:
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise ValidationError("The time must be a date and time with a time zone.")


async def move(
    session: AsyncSession,
    application: Application,
    target: Status,
    *,
    actor: str,
    now: dt.datetime,
    changes: Mapping[str, Any] | None = None,
    channel: str | None = None,
    override: bool = False,
) -> Application:
    """Move `application` to `target`, apply `changes`, stamp the time and audit it.

    Raises InvalidTransition (and writes nothing) when the lifecycle forbids the move.
    The audit event holds the status and every changed field before and after. `override`
    checks the move against `OVERRIDE_TRANSITIONS` instead of `TRANSITIONS`; only an
    approved decline override (`overrides.approve_override`) passes it.
    """
    check_time(now)
    check = check_override_transition if override else check_transition
    check(application.reference, application.status, target)
    fields = dict(changes or {})
    fields[TIMESTAMP_FIELD[target]] = now
    before = {"status": application.status, **{k: getattr(application, k) for k in fields}}
    for name, value in fields.items():
        setattr(application, name, value)
    application.status = target
    application.status_changed_at = now
    await session.flush()
    await trail.record(
        session, actor=actor, action=f"application.{target.value}", entity_type=ENTITY,
        entity_id=application.id, before=before, after={"status": target, **fields},
        channel=channel,
    )
    return application
