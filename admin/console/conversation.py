"""A conversation in the console: the whole transcript (every channel of the customer, the
agent's tool calls, decisions and citations inline, internal notes), and taking it over:
claim, reply through the borrower's channel (with a suggested reply to edit), notes,
transfer to a colleague, hand back to the agent or close.

The transcript refreshes itself: htmx polls `…/transcript?version=…` and gets 204 No
Content until something changed. Forms post and redirect back (a refused action re-renders
the page with the reason, and keeps what was typed).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin import takeover as actions
from admin.auth import CurrentPrincipal, Principal, require, utcnow
from admin.console.rendering import mounted_pages, render, templates
from admin.console.suggest import suggest_reply
from admin.deps import SessionDep
from admin.errors import status_for
from admin.permissions import Permission as P
from admin.permissions import can
from core.conversations import escalations, takeover
from core.conversations.models import Channel, EscalationStatus
from core.conversations.timeline import Timeline, timeline
from core.customers.models import Customer
from core.errors import DomainError
from core.staff.service import list_staff

router = APIRouter(prefix="/console/conversations/{conversation_id}", include_in_schema=False)

VIEW = [Depends(require(P.CONVERSATIONS_VIEW))]
REPLY = [Depends(require(P.CONVERSATIONS_REPLY))]
CLAIM = [Depends(require(P.ESCALATIONS_CLAIM))]
NOTICES = {
    "claimed": "You have this conversation. The borrower sees your replies on their channel.",
    "replied": "Your reply is on its way to the borrower.",
    "noted": "Note added. Notes are for staff only and never sent.",
    "transferred": "The conversation is transferred.",
    "hand_back": "Handed back: the agent has the conversation again.",
    "close": "The conversation is closed.",
}
EscalationId = Annotated[int, Form()]
Text = Annotated[str, Form(max_length=takeover.MAX_TEXT * 2)]


def version_of(view: Timeline) -> str:
    return hashlib.sha256(repr(view.entries).encode()).hexdigest()[:16]


def _transcript(view: Timeline) -> dict[str, Any]:
    return {"conversation": view.conversation, "conversations": view.conversations,
            "entries": view.entries, "version": version_of(view)}


async def _page(request: Request, session: AsyncSession, principal: Principal,
                conversation_id: int, *, status_code: int = 200, **extra: Any) -> Response:
    view = await timeline(session, conversation_id=conversation_id)
    conversation = view.conversation
    staff = principal.staff
    open_one = await escalations.open_escalation_for(session, conversation_id=conversation_id)
    entry = (await takeover.queue_entry(session, escalation_id=open_one.id)
             if open_one is not None else None)
    holds = entry is not None and entry.status is EscalationStatus.CLAIMED and (
        entry.claimed_by == staff.id or staff.role in takeover.OVERSEERS)
    customer = (await session.get(Customer, conversation.customer_id)
                if conversation.customer_id is not None else None)
    window = None
    if conversation.channel is Channel.WHATSAPP:
        window = await takeover.reply_window(session, address=conversation.address,
                                             now=utcnow(),
                                             template=actions.whatsapp_template(request))
    colleagues = [person for person in await list_staff(session)
                  if person.active and can(person.role, P.ESCALATIONS_CLAIM)
                  and (entry is None or person.id != entry.claimed_by)]
    customer_page = f"/console/customers/{conversation.customer_id}"
    return render(request, "conversation.html", {
        **_transcript(view), "escalation": entry, "holds": holds, "customer": customer,
        "customer_link": customer_page if "/console/customers/{customer_id}"
        in mounted_pages(request.app) else None,
        "window": window, "colleagues": colleagues, "draft": "", "suggested": None,
        "note_draft": "", "max_text": takeover.MAX_TEXT,
        "notice": NOTICES.get(request.query_params.get("notice", "")), **extra,
    }, status_code=status_code)


def _done(conversation_id: int, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/console/conversations/{conversation_id}?notice={notice}",
                            status_code=303)


async def _refused(request: Request, session: AsyncSession, principal: Principal,
                   conversation_id: int, error: DomainError, **kept: Any) -> Response:
    """The page again with why the action was refused. The core refuses before writing, so
    the request's session is shown as it is; after a commit (the agent refused a hand-back)
    it cannot be used, and a new one is."""
    status_code = status_for(error)
    if session.in_transaction():
        return await _page(request, session, principal, conversation_id,
                           status_code=status_code, error=error.message, **kept)
    async with request.app.state.session_factory() as fresh:
        return await _page(request, fresh, principal, conversation_id,
                           status_code=status_code, error=error.message, **kept)


@router.get("", dependencies=VIEW)
async def conversation_page(conversation_id: int, request: Request, session: SessionDep,
                            principal: CurrentPrincipal) -> Response:
    return await _page(request, session, principal, conversation_id)


@router.get("/transcript", dependencies=VIEW)
async def transcript_fragment(conversation_id: int, request: Request, session: SessionDep,
                              version: str = "") -> Response:
    """The transcript, or 204 when it is still `version` (htmx then leaves it alone)."""
    view = await timeline(session, conversation_id=conversation_id)
    if version_of(view) == version:
        return Response(status_code=204)
    return templates.TemplateResponse(request, "conversation_transcript.html",
                                      _transcript(view))


@router.get("/suggestion", dependencies=REPLY)
async def suggestion(conversation_id: int, request: Request, session: SessionDep,
                     principal: CurrentPrincipal) -> Response:
    """The reply box filled with a suggested reply, for the staff member to edit."""
    open_one = await escalations.open_escalation_for(session, conversation_id=conversation_id)
    view = await timeline(session, conversation_id=conversation_id)
    text, source = "", None
    if open_one is not None:
        entry = await takeover.queue_entry(session, escalation_id=open_one.id)
        suggested = await suggest_reply(
            session, entry=entry, timeline=view, staff=principal.staff,
            lender=request.app.state.settings.lender_name,
            model=getattr(request.app.state, "reply_model", None))
        text, source = suggested.text, suggested.source
    return templates.TemplateResponse(request, "conversation_reply.html", {
        "draft": text, "suggested": source, "max_text": takeover.MAX_TEXT})


@router.post("/claim", dependencies=CLAIM)
async def claim(conversation_id: int, request: Request, session: SessionDep,
                principal: CurrentPrincipal, escalation_id: EscalationId) -> Response:
    try:
        await actions.escalation_of(session, conversation_id=conversation_id,
                                    escalation_id=escalation_id)
        await actions.claim(request, session, escalation_id=escalation_id,
                            staff=principal.staff)
    except DomainError as error:
        return await _refused(request, session, principal, conversation_id, error)
    return _done(conversation_id, "claimed")


@router.post("/reply", dependencies=REPLY)
async def reply(conversation_id: int, request: Request, session: SessionDep,
                principal: CurrentPrincipal, escalation_id: EscalationId,
                body: Text) -> Response:
    try:
        await actions.escalation_of(session, conversation_id=conversation_id,
                                    escalation_id=escalation_id)
        await actions.reply(request, session, escalation_id=escalation_id,
                            staff=principal.staff, body=body)
    except DomainError as error:
        return await _refused(request, session, principal, conversation_id, error, draft=body)
    return _done(conversation_id, "replied")


@router.post("/notes", dependencies=REPLY)
async def add_note(conversation_id: int, request: Request, session: SessionDep,
                   principal: CurrentPrincipal, body: Text) -> Response:
    try:
        await actions.note(session, conversation_id=conversation_id,
                           staff=principal.staff, body=body)
    except DomainError as error:
        return await _refused(request, session, principal, conversation_id, error,
                              note_draft=body)
    return _done(conversation_id, "noted")


@router.post("/transfer", dependencies=CLAIM)
async def transfer(conversation_id: int, request: Request, session: SessionDep,
                   principal: CurrentPrincipal, escalation_id: EscalationId,
                   to_staff_id: Annotated[int, Form()]) -> Response:
    try:
        await actions.escalation_of(session, conversation_id=conversation_id,
                                    escalation_id=escalation_id)
        await actions.transfer(request, session, escalation_id=escalation_id,
                               staff=principal.staff, to_staff_id=to_staff_id)
    except DomainError as error:
        return await _refused(request, session, principal, conversation_id, error)
    return _done(conversation_id, "transferred")


@router.post("/resolve", dependencies=CLAIM)
async def resolve(conversation_id: int, request: Request, session: SessionDep,
                  principal: CurrentPrincipal, escalation_id: EscalationId,
                  action: Annotated[str, Form()],
                  message: Annotated[str, Form(max_length=takeover.MAX_TEXT)] = "") -> Response:
    try:
        await actions.escalation_of(session, conversation_id=conversation_id,
                                    escalation_id=escalation_id)
        await actions.resolve(request, session, escalation_id=escalation_id,
                              staff=principal.staff, action=action, message=message)
    except DomainError as error:
        return await _refused(request, session, principal, conversation_id, error)
    return _done(conversation_id, action)
