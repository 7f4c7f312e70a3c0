"""The escalation queue and conversation takeover over the staff API: the console's twins.

List the queue, read an escalated conversation's whole transcript, claim it (of two staff
claiming at once exactly one wins; the other gets 409 naming who has it), reply through the
borrower's channel, add internal notes, transfer it, and resolve it (hand back to the agent,
which resumes, or close). Each route declares its permission with `require`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from admin import takeover as actions
from admin.auth import CurrentPrincipal, require, utcnow
from admin.console.suggest import suggest_reply
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.conversations import takeover
from core.conversations.models import Channel
from core.conversations.takeover import QueueEntry
from core.conversations.timeline import Entry, timeline

router = APIRouter(prefix="/escalations", tags=["escalations"])

VIEW = [Depends(require(P.CONVERSATIONS_VIEW))]
REPLY = [Depends(require(P.CONVERSATIONS_REPLY))]
CLAIM = [Depends(require(P.ESCALATIONS_CLAIM))]
Body = Annotated[str, Field(min_length=1, max_length=takeover.MAX_TEXT)]


class EscalationOut(BaseModel):
    id: int
    conversation_id: int
    channel: str
    address: str
    customer_id: int | None
    customer_name: str | None
    reason: str
    detail: str
    priority: int = Field(description="1 is the most urgent.")
    status: str = Field(description="waiting, claimed, resolved or closed")
    waiting_since: dt.datetime
    claimed_by: int | None
    claimed_by_name: str | None
    claimed_at: dt.datetime | None

    @classmethod
    def of(cls, entry: QueueEntry) -> EscalationOut:
        return cls(id=entry.escalation_id, conversation_id=entry.conversation_id,
                   channel=entry.channel.value, address=entry.address,
                   customer_id=entry.customer_id, customer_name=entry.customer_name,
                   reason=entry.reason.value, detail=entry.detail, priority=entry.priority,
                   status=entry.status.value, waiting_since=entry.waiting_since,
                   claimed_by=entry.claimed_by, claimed_by_name=entry.claimed_by_name,
                   claimed_at=entry.claimed_at)


class EntryOut(BaseModel):
    kind: Literal["message", "tool", "event", "note"]
    at: dt.datetime
    conversation_id: int
    channel: str
    author: str
    text: str
    by: str | None
    intent: str | None
    delivery: str | None = Field(description="An outbound message's outbox status.")
    delivery_error: str | None
    citations: list[str] = Field(description="Knowledge sources an agent answer cited.")
    tool: str | None
    args: dict[str, Any]
    result: dict[str, Any]

    @classmethod
    def of(cls, entry: Entry) -> EntryOut:
        return cls(kind=entry.kind, at=entry.at, conversation_id=entry.conversation_id,
                   channel=entry.channel.value, author=entry.author, text=entry.text,
                   by=entry.by, intent=entry.intent, delivery=entry.delivery,
                   delivery_error=entry.delivery_error, citations=list(entry.citations),
                   tool=entry.tool, args=dict(entry.args), result=dict(entry.result))


class WindowOut(BaseModel):
    open: bool
    sendable: bool
    last_inbound_at: dt.datetime | None
    closes_at: dt.datetime | None
    template: str | None = Field(description="The template used outside the window.")
    explanation: str


class EscalationDetail(EscalationOut):
    transcript: list[EntryOut]
    whatsapp_window: WindowOut | None


class ReplyIn(BaseModel):
    body: Body


class ReplyOut(BaseModel):
    message_id: int
    outbox_id: int
    status: str


class NoteIn(BaseModel):
    body: Body


class NoteOut(BaseModel):
    id: int
    conversation_id: int
    body: str
    created_at: dt.datetime


class TransferIn(BaseModel):
    staff_id: int


class ResolveIn(BaseModel):
    action: actions.Resolution = "hand_back"
    message: str | None = Field(default=None, max_length=takeover.MAX_TEXT,
                                description="What the agent says on taking over.")


class ResolveOut(BaseModel):
    escalation: EscalationOut
    replies: list[str] = Field(description="What the agent said to the borrower.")


class SuggestionOut(BaseModel):
    text: str
    source: Literal["llm", "template"]


@router.get("", dependencies=CLAIM)
async def list_escalations(session: SessionDep) -> list[EscalationOut]:
    """Open escalations (waiting and claimed), most urgent and longest waiting first."""
    return [EscalationOut.of(entry) for entry in await takeover.queue(session)]


@router.get("/{escalation_id}", dependencies=VIEW)
async def get_escalation(escalation_id: int, request: Request,
                         session: SessionDep) -> EscalationDetail:
    """The escalation and its conversation's whole transcript, across the customer's
    channels, with tool calls, staff actions and internal notes."""
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    view = await timeline(session, conversation_id=entry.conversation_id)
    window = None
    if entry.channel is Channel.WHATSAPP:
        found = await takeover.reply_window(session, address=entry.address, now=utcnow(),
                                            template=actions.whatsapp_template(request))
        window = WindowOut(open=found.open, sendable=found.sendable,
                           last_inbound_at=found.last_inbound_at, closes_at=found.closes_at,
                           template=found.template, explanation=found.explanation)
    return EscalationDetail(**EscalationOut.of(entry).model_dump(),
                            transcript=[EntryOut.of(item) for item in view.entries],
                            whatsapp_window=window)


@router.post("/{escalation_id}/claim", dependencies=CLAIM)
async def claim(escalation_id: int, request: Request, session: SessionDep,
                principal: CurrentPrincipal) -> EscalationOut:
    """Take the escalation. 409 when someone else has it."""
    return EscalationOut.of(await actions.claim(request, session, escalation_id=escalation_id,
                                                staff=principal.staff))


@router.get("/{escalation_id}/suggested-reply", dependencies=REPLY)
async def suggested_reply(escalation_id: int, request: Request, session: SessionDep,
                          principal: CurrentPrincipal) -> SuggestionOut:
    """A reply to edit before sending: by the LLM when configured, from templates otherwise."""
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    view = await timeline(session, conversation_id=entry.conversation_id)
    suggested = await suggest_reply(session, entry=entry, timeline=view, staff=principal.staff,
                                    lender=request.app.state.settings.lender_name,
                                    model=getattr(request.app.state, "reply_model", None))
    return SuggestionOut(text=suggested.text, source=suggested.source)


@router.post("/{escalation_id}/reply", dependencies=REPLY,
             status_code=status.HTTP_202_ACCEPTED)
async def reply(escalation_id: int, payload: ReplyIn, request: Request, session: SessionDep,
                principal: CurrentPrincipal) -> ReplyOut:
    """Send `body` to the borrower on their channel (queued in the outbox; on WhatsApp outside
    the 24-hour window it goes as the staff-reply template, or is refused without one)."""
    row = await actions.reply(request, session, escalation_id=escalation_id,
                              staff=principal.staff, body=payload.body)
    return ReplyOut(message_id=row.message_id, outbox_id=row.id, status=row.status.value)


@router.post("/{escalation_id}/notes", dependencies=REPLY,
             status_code=status.HTTP_201_CREATED)
async def add_note(escalation_id: int, payload: NoteIn, session: SessionDep,
                   principal: CurrentPrincipal) -> NoteOut:
    """Add an internal note to the escalated conversation: for staff only, never sent."""
    entry = await takeover.queue_entry(session, escalation_id=escalation_id)
    note = await actions.note(session, conversation_id=entry.conversation_id,
                              staff=principal.staff, body=payload.body)
    return NoteOut(id=note.id, conversation_id=note.conversation_id, body=note.body,
                   created_at=note.created_at)


@router.post("/{escalation_id}/transfer", dependencies=CLAIM)
async def transfer(escalation_id: int, payload: TransferIn, request: Request,
                   session: SessionDep, principal: CurrentPrincipal) -> EscalationOut:
    """Pass the conversation to a colleague (by the holder, or a supervisor or admin)."""
    return EscalationOut.of(await actions.transfer(
        request, session, escalation_id=escalation_id, staff=principal.staff,
        to_staff_id=payload.staff_id))


@router.post("/{escalation_id}/resolve", dependencies=CLAIM)
async def resolve(escalation_id: int, payload: ResolveIn, request: Request,
                  session: SessionDep, principal: CurrentPrincipal) -> ResolveOut:
    """Hand the conversation back to the agent (the graph resumes and the agent tells the
    borrower, or says `message`) or close it."""
    entry, result = await actions.resolve(request, session, escalation_id=escalation_id,
                                          staff=principal.staff, action=payload.action,
                                          message=payload.message)
    return ResolveOut(escalation=EscalationOut.of(entry), replies=result.texts)
