"""What the borrower tells us about a loan, put where staff look: the audit trail, the
loan's open collections case (a contact record, or a note for web chat, which the contact
log has no channel for) and, when the borrower needs protecting, a contact hold."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import trail
from core.collections.contacts import add_note, log_contact
from core.collections.lifecycle import CaseState
from core.collections.models import CollectionCase, ContactDirection, ContactOutcome
from core.compliance.holds import list_holds, place_hold
from core.compliance.models import HoldType
from tools.context import ToolContext
from tools.inputs import contact_channel


async def open_case(context: ToolContext, loan_id: int) -> CollectionCase | None:
    """The loan's open collections case, if it has one (a loan has at most one)."""
    return await context.session.scalar(select(CollectionCase).where(
        CollectionCase.loan_id == loan_id, CollectionCase.state != CaseState.CLOSED))


async def audit_loan(context: ToolContext, loan_id: int, action: str, **after: object) -> None:
    """An audit event on the loan, from this conversation."""
    await trail.record(
        context.session, actor=context.actor, action=action, entity_type="loan",
        entity_id=loan_id, channel=context.channel,
        after={"conversation_id": context.conversation_id, **after})


async def record_on_case(
    context: ToolContext, case: CollectionCase, outcome: ContactOutcome, note: str
) -> None:
    """Log the borrower's message on the case as an inbound contact with `outcome` (which
    moves the case as the contact log does), or as a note when the channel has no place
    in the contact log."""
    channel = contact_channel(context.channel)
    if channel is None:
        await add_note(context.session, case_id=case.id, actor=context.actor,
                       text=f"{outcome.value.replace('_', ' ').capitalize()} "
                       f"(by {context.channel} chat): {note}")
        return
    await log_contact(
        context.session, case_id=case.id, channel=channel, direction=ContactDirection.INBOUND,
        outcome=outcome, at=context.now, now=context.now, actor=context.actor, note=note)


async def hold_contact(
    context: ToolContext, customer_id: int, kind: HoldType, reason: str
) -> bool:
    """Place an open-ended hold of `kind` from now, unless one already applies; whether one
    was placed. Staff release it once the matter is dealt with."""
    current = await list_holds(context.session, customer_id=customer_id, active_at=context.now)
    if any(hold.hold_type is kind for hold in current):
        return False
    await place_hold(context.session, customer_id=customer_id, hold_type=kind,
                     reason=reason[:500], actor=context.actor, starts_at=context.now)
    return True
