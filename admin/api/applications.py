"""Applications API (staff only): create, view and move applications through their
lifecycle, decide referred ones, prepare and sign the agreement, documents and references.

The signing code is never returned by this API: it goes to the customer over the channel,
and staff enter the code the customer reads back. A wrong code answers 422 without raising,
so the used-up try is committed with the request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from admin.api.application_views import (
    AgreementIn,
    AgreementOut,
    ApplicationDetail,
    ApplicationIn,
    ApplicationOut,
    ChannelIn,
    DecisionIn,
    DocumentOut,
    DraftPatch,
    GoodsIn,
    ReferenceIn,
    ReferenceOut,
    ReviewIn,
    SignIn,
    SigningOut,
    StatusChangeOut,
    WithdrawIn,
)
from admin.auth import CurrentStaff
from admin.deps import SessionDep
from core.applications import decisions, documents, service, signing
from core.applications.lifecycle import Status
from core.applications.models import (
    MAX_DOCUMENT_BYTES,
    ApplicationDocumentType,
)
from core.applications.offers import HirePurchaseRequest
from core.applications.repository import load_application, status_history
from core.money import Money
from core.otp.service import derive_key
from core.products.models import LoanProduct
from core.products.service import get_product

router = APIRouter(prefix="/applications", tags=["applications"])


@dataclass(frozen=True, slots=True)
class Context:
    """Who acts, when (in the lender's time zone), and the lender's signing settings."""

    actor: str
    now: dt.datetime
    lender_name: str
    otp_key: bytes


def context(request: Request, staff: CurrentStaff) -> Context:
    settings: Any = request.app.state.settings
    return Context(
        actor=f"staff:{staff.id}", now=dt.datetime.now(ZoneInfo(settings.timezone)),
        lender_name=settings.lender_name, otp_key=derive_key(settings.resolved_secret_key()),
    )


Ctx = Annotated[Context, Depends(context)]


def _goods(body: GoodsIn | None, currency: str) -> HirePurchaseRequest | None:
    if body is None:
        return None
    return HirePurchaseRequest(
        merchant_code=body.merchant_code, category_code=body.category_code,
        item_description=body.item_description, branch_name=body.branch_name,
        price=Money.of(body.price, currency), down_payment=Money.of(body.down_payment, currency),
    )


async def _currency(session: AsyncSession, product_code: str | None, application_id: int) -> str:
    if product_code is not None:
        return (await get_product(session, code=product_code)).currency
    application = await load_application(session, application_id)
    product = await session.get(LoanProduct, application.product_id)
    assert product is not None  # a foreign key guarantees it
    return product.currency


def _inline(filename: str) -> str:
    """A Content-Disposition header that survives quotes and non-ASCII names (RFC 6266)."""
    return f"inline; filename*=UTF-8''{quote(filename, safe='')}"


async def _out(session: AsyncSession, application_id: int) -> ApplicationOut:
    return ApplicationOut.of(await load_application(session, application_id))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create(body: ApplicationIn, session: SessionDep, ctx: Ctx) -> ApplicationOut:
    """Start a draft application for a customer."""
    currency = (await get_product(session, code=body.product_code)).currency
    application = await service.create_application(
        session, customer_id=body.customer_id, product_code=body.product_code, term=body.term,
        channel=body.channel, now=ctx.now, actor=ctx.actor, purpose=body.purpose,
        amount=None if body.amount is None else Money.of(body.amount, currency),
        goods=_goods(body.goods, currency),
    )
    return ApplicationOut.of(application)


@router.get("")
async def list_applications(
    session: SessionDep, staff: CurrentStaff,
    status_filter: Annotated[Status | None, Query(alias="status")] = None,
    customer_id: int | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[ApplicationOut]:
    """Applications, newest first, optionally by status and/or customer."""
    rows = await service.list_applications(session, status=status_filter, customer_id=customer_id,
                                           limit=limit, offset=offset)
    return [ApplicationOut.of(a) for a in rows]


@router.get("/{application_id}")
async def get_application(
    application_id: int, session: SessionDep, staff: CurrentStaff
) -> ApplicationDetail:
    """The application with its documents, references, decision trace and status history."""
    application = await load_application(session, application_id)
    return ApplicationDetail(
        application=ApplicationOut.of(application), decision_trace=application.decision_trace,
        documents=[DocumentOut.of(d) for d in
                   await documents.list_documents(session, application_id=application_id)],
        references=[ReferenceOut.of(r) for r in
                    await documents.list_references(session, application_id=application_id)],
        status_history=[StatusChangeOut.of(c)
                        for c in await status_history(session, application_id)],
    )


@router.patch("/{application_id}")
async def update(
    application_id: int, body: DraftPatch, session: SessionDep, ctx: Ctx
) -> ApplicationOut:
    """Change a draft; only the fields sent change."""
    sent = body.model_fields_set
    currency = await _currency(session, body.product_code, application_id)
    changes: dict[str, Any] = {}
    if "product_code" in sent and body.product_code is not None:
        changes["product_code"] = body.product_code
    if "amount" in sent:
        changes["amount"] = None if body.amount is None else Money.of(body.amount, currency)
    if "term" in sent and body.term is not None:
        changes["term"] = body.term
    if "purpose" in sent:
        changes["purpose"] = body.purpose
    if "goods" in sent:
        changes["goods"] = _goods(body.goods, currency)
    await service.update_draft(session, application_id=application_id, actor=ctx.actor,
                               now=ctx.now, **changes)
    return await _out(session, application_id)


@router.post("/{application_id}/submit")
async def submit(application_id: int, session: SessionDep, ctx: Ctx) -> ApplicationOut:
    """Submit a draft for a decision (needs credit-check and terms consent)."""
    await service.submit_application(session, application_id=application_id, actor=ctx.actor,
                                     now=ctx.now)
    return await _out(session, application_id)


@router.post("/{application_id}/decision")
async def decide(
    application_id: int, body: DecisionIn, session: SessionDep, ctx: Ctx
) -> ApplicationOut:
    """Decide a REFERRED application (staff override): approve, decline or counter-offer."""
    currency = await _currency(session, None, application_id)
    await decisions.record_staff_decision(
        session, application_id=application_id, outcome=body.outcome, reason=body.reason,
        actor=ctx.actor, now=ctx.now, offered_term=body.offered_term,
        offered_rate=body.offered_rate, risk_band=body.risk_band,
        offered_amount=(None if body.offered_amount is None
                        else Money.of(body.offered_amount, currency)),
    )
    return await _out(session, application_id)


@router.post("/{application_id}/accept")
async def accept(
    application_id: int, session: SessionDep, ctx: Ctx, body: ChannelIn | None = None
) -> ApplicationOut:
    """Record that the customer accepted the offer."""
    channel = (body or ChannelIn()).channel
    await decisions.accept_offer(session, application_id=application_id, actor=ctx.actor,
                                 now=ctx.now, channel=channel)
    return await _out(session, application_id)


@router.post("/{application_id}/withdraw")
async def withdraw(
    application_id: int, body: WithdrawIn, session: SessionDep, ctx: Ctx
) -> ApplicationOut:
    """Withdraw an open application."""
    await service.withdraw_application(session, application_id=application_id, actor=ctx.actor,
                                       now=ctx.now, reason=body.reason)
    return await _out(session, application_id)


@router.post("/{application_id}/agreement", status_code=status.HTTP_201_CREATED)
async def generate_agreement(
    application_id: int, session: SessionDep, ctx: Ctx, body: AgreementIn | None = None
) -> AgreementOut:
    """Prepare the next agreement version and send the customer a signing code."""
    wanted = body or AgreementIn()
    generated = await signing.generate_agreement(
        session, application_id=application_id, lender_name=ctx.lender_name,
        otp_secret=ctx.otp_key, start_date=wanted.start_date or ctx.now.date(),
        first_due_date=wanted.first_due_date, actor=ctx.actor, now=ctx.now,
    )
    return AgreementOut.of(generated.agreement, generated.code.expires_at)


@router.post("/{application_id}/agreement/code")
async def resend_code(application_id: int, session: SessionDep, ctx: Ctx) -> AgreementOut:
    """Send a fresh signing code for the current agreement (the old one stops working)."""
    code = await signing.resend_agreement_code(session, application_id=application_id,
                                               otp_secret=ctx.otp_key, now=ctx.now)
    agreement = await signing.current_agreement(session, application_id=application_id)
    return AgreementOut.of(agreement, code.expires_at)


@router.get("/{application_id}/agreement.pdf", response_class=Response)
async def agreement_pdf(
    application_id: int, session: SessionDep, staff: CurrentStaff, version: int | None = None
) -> Response:
    """The agreement PDF (the latest version unless `version` is given)."""
    agreement = await signing.current_agreement(session, application_id=application_id,
                                                version=version, with_pdf=True)
    application = await load_application(session, application_id)
    name = f"{application.reference}-agreement-v{agreement.version}.pdf"
    return Response(content=agreement.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": _inline(name),
                             "X-Content-SHA256": agreement.pdf_sha256})


@router.post("/{application_id}/sign")
async def sign(
    application_id: int, body: SignIn, session: SessionDep, ctx: Ctx, response: Response
) -> SigningOut:
    """Sign the current agreement with the code the customer received; 422 when refused."""
    result = await signing.sign_agreement(
        session, application_id=application_id, code=body.code, otp_secret=ctx.otp_key,
        channel=body.channel, address=body.address, actor=ctx.actor, now=ctx.now,
    )
    if not result.signed:
        response.status_code = 422
    verification = result.verification
    return SigningOut(signed=result.signed, outcome=verification.outcome.value,
                      tries_left=verification.tries_left, message=verification.message,
                      application=await _out(session, application_id))


@router.post("/{application_id}/documents", status_code=status.HTTP_201_CREATED)
async def upload_document(
    request: Request, application_id: int, session: SessionDep, ctx: Ctx,
    document_type: Annotated[ApplicationDocumentType, Form()],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG, at most 10 MB.")],
) -> DocumentOut:
    """Attach a document (multipart form: `document_type`, `file`)."""
    content = await file.read(MAX_DOCUMENT_BYTES + 1)
    document = await documents.attach_document(
        session, application_id=application_id, document_type=document_type,
        filename=file.filename or "", content_type=file.content_type or "", content=content,
        actor=ctx.actor, cipher=request.app.state.field_cipher,
    )
    return DocumentOut.of(document)


@router.get("/{application_id}/documents/{document_id}/content", response_class=Response)
async def document_content(
    request: Request, application_id: int, document_id: int, session: SessionDep,
    staff: CurrentStaff,
) -> Response:
    """The document's bytes, for review (409 once removed under the retention policy)."""
    document = await documents.load_document(session, application_id=application_id,
                                             document_id=document_id, with_content=True)
    content = documents.document_content(document, cipher=request.app.state.field_cipher)
    return Response(content=content, media_type=document.content_type,
                    headers={"Content-Disposition": _inline(document.filename)})


@router.post("/{application_id}/documents/{document_id}/review")
async def review_document(
    application_id: int, document_id: int, body: ReviewIn, session: SessionDep, ctx: Ctx
) -> DocumentOut:
    """Accept or reject a document (a note is required to reject)."""
    document = await documents.review_document(
        session, application_id=application_id, document_id=document_id, status=body.status,
        note=body.note, actor=ctx.actor, now=ctx.now,
    )
    return DocumentOut.of(document)


@router.post("/{application_id}/references", status_code=status.HTTP_201_CREATED)
async def add_reference(
    application_id: int, body: ReferenceIn, session: SessionDep, ctx: Ctx
) -> ReferenceOut:
    """Add a personal reference before the decision."""
    reference = await documents.add_reference(
        session, application_id=application_id, name=body.name,
        relationship=body.relationship, phone=body.phone, actor=ctx.actor,
    )
    return ReferenceOut.of(reference)
