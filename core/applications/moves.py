"""Moving many applications through the lifecycle at once, as `repository.move` moves one.

For batch callers (the decision engine records up to 1,000 decisions per call). Each
application gets what `move` gives it: the transition checked, the changes applied, the
status and its timestamp stamped, and one audit event with the status and every changed
field before and after. Applications changing the same fields are updated with one
executemany UPDATE by primary key (pipelined: one round trip), which also gives the loaded
applications their new values, and the audit events are inserted with one more: a fixed
handful of statements instead of two flushes per application.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import TIMESTAMP_FIELD, Status, check_transition
from core.applications.models import Application
from core.applications.repository import ENTITY, check_time
from core.audit import trail


@dataclass(frozen=True, slots=True)
class Move:
    """One application, the status it moves to and the fields that change with it."""

    application: Application
    target: Status
    changes: Mapping[str, Any]


async def move_many(
    session: AsyncSession, moves: Sequence[Move], *, actor: str, now: dt.datetime
) -> None:
    """Apply every move as `repository.move` would, with one UPDATE per set of changed
    fields and one audit INSERT.

    Raises InvalidTransition, before anything changes, when the lifecycle forbids any move.
    """
    check_time(now)
    for move in moves:
        check_transition(move.application.reference, move.application.status, move.target)
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    events = []
    for move in moves:
        application = move.application
        fields = {**move.changes, TIMESTAMP_FIELD[move.target]: now}
        before = {"status": application.status,
                  **{name: getattr(application, name) for name in fields}}
        values = {**fields, "status": move.target, "status_changed_at": now}
        updates[tuple(values)].append({"id": application.id, **values})
        events.append({
            "action": f"application.{move.target.value}", "entity_type": ENTITY,
            "entity_id": application.id, "before": before,
            "after": {"status": move.target, **fields},
        })
    for rows in updates.values():
        await session.execute(update(Application), rows)
    await trail.record_many(session, events, actor=actor)
