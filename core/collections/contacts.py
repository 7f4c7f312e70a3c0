"""The contact log and notes of a case.

Logging a contact also keeps the case moving: the borrower reached on an ASSIGNED case puts
it IN_CONTACT; a DISPUTE outcome on an active case makes it DISPUTED. The case's last
contact time and priority follow. Compliance is checked before contacting (see
`core.collections.next_action`); the log records what happened, and every outbound attempt
on a case with a customer is also logged with contact compliance (`record_contact`), whose
daily and weekly caps count it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.cases import ENTITY, load_case, reference, rescore_case
from core.collections.lifecycle import ACTIVE, CaseState
from core.collections.models import (
    CaseContact,
    CaseNote,
    ContactDirection,
    ContactOutcome,
)
from core.compliance.models import ActorKind, ContactPurpose
from core.compliance.service import record_contact
from core.customers.models import DEFAULT_TIME_ZONE, ContactChannel
from core.errors import ConflictError, ValidationError

MAX_TEXT: Final = 4000


def _text(value: str | None, *, label: str) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(f"The {label} is longer than {MAX_TEXT} characters.")
    return cleaned or None


def _next_state(state: CaseState, outcome: ContactOutcome) -> CaseState:
    if outcome is ContactOutcome.DISPUTE and state in ACTIVE:
        return CaseState.DISPUTED
    if outcome.right_party and state is CaseState.ASSIGNED:
        return CaseState.IN_CONTACT
    return state


async def log_contact(
    session: AsyncSession, *, case_id: int, channel: ContactChannel,
    direction: ContactDirection, outcome: ContactOutcome, at: dt.datetime, now: dt.datetime,
    actor: str, note: str | None = None, automated: bool = False,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> CaseContact:
    """Record a contact or attempt on an open case (see the module docstring).

    Refused, leaving the database unchanged: a time without a time zone or in the future,
    a note over 4,000 characters (`ValidationError`); a closed case (`ConflictError`).
    Audited `collections.contact_logged` (and `collections.case_transition` when the state
    follows)."""
    if at.tzinfo is None or now.tzinfo is None:
        raise ValidationError("The time of a contact needs a time zone.")
    if at > now:
        raise ValidationError(f"A contact cannot be logged in the future ({at:%d %B %Y %H:%M}).")
    cleaned = _text(note, label="contact note")
    case = await load_case(session, case_id, lock=True)
    if case.state is CaseState.CLOSED:
        raise ConflictError(f"Case {reference(case)} is closed; log contacts on an open case.")
    contact = CaseContact(case_id=case.id, at=at, channel=channel, direction=direction,
                          outcome=outcome, actor=actor, note=cleaned)
    session.add(contact)
    if case.last_contact_at is None or at > case.last_contact_at:
        case.last_contact_at = at
    before, after = case.state, _next_state(case.state, outcome)
    if after is not before:
        case.state, case.state_changed_at = after, now
    rescore_case(case, today=now.astimezone(ZoneInfo(time_zone)).date(), time_zone=time_zone)
    await session.flush()
    await trail.record(session, actor=actor, action="collections.contact_logged",
                       entity_type=ENTITY, entity_id=case.id,
                       after={"contact_id": contact.id, "channel": channel,
                              "direction": direction, "outcome": outcome, "at": at})
    if direction is ContactDirection.OUTBOUND and case.customer_id is not None:
        await record_contact(
            session, customer_id=case.customer_id, channel=channel,
            purpose=ContactPurpose.COLLECTIONS, at=at,
            actor_kind=ActorKind.AUTOMATED if automated else ActorKind.HUMAN, actor=actor,
            idempotency_key=f"collections-contact:{contact.id}", loan_id=case.loan_id,
            reference=reference(case))
    if after is not before:
        await trail.record(session, actor=actor, action="collections.case_transition",
                           entity_type=ENTITY, entity_id=case.id, before={"state": before},
                           after={"state": after, "reason": f"contact outcome {outcome.value}"})
    return contact


async def add_note(session: AsyncSession, *, case_id: int, text: str, actor: str) -> CaseNote:
    """Add a note to a case (open or closed); 1 to 4,000 characters. Audited
    `collections.note_added`."""
    cleaned = _text(text, label="note")
    if cleaned is None:
        raise ValidationError("The note cannot be empty.")
    case = await load_case(session, case_id)
    note = CaseNote(case_id=case.id, actor=actor, text=cleaned)
    session.add(note)
    await session.flush()
    await trail.record(session, actor=actor, action="collections.note_added", entity_type=ENTITY,
                       entity_id=case.id, after={"note_id": note.id})
    return note
