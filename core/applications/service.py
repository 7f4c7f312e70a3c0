"""Applications from draft to disbursement: create, change, submit, decide, accept, close.

Every input is checked before anything is written, so a refused request leaves the
database as it was. Each status change goes through `repository.move`, which validates it
against the lifecycle, stamps its time and audits it. Dates are taken from `now` in its
own time zone. Documents and references are in `documents`, the agreement in `signing`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import OPEN, Status, check_transition, describe
from core.applications.models import Application, ApplicationChannel
from core.applications.offers import (
    HirePurchaseRequest,
    check_goods,
    check_request,
    stored_goods,
)
from core.applications.repository import (
    ENTITY,
    check_time,
    load_application,
    move,
    reference_for,
)
from core.audit import trail
from core.customers.consents import has_consent
from core.customers.models import ConsentType, CustomerStatus
from core.customers.repository import load_customer
from core.errors import ConflictError, InvalidTransition, ValidationError
from core.money import Money
from core.products.models import LoanProduct
from core.products.service import get_product
from core.products.spec import as_enum

DRAFT_VALID_DAYS: Final = 30
REQUIRED_CONSENTS: Final = (ConsentType.CREDIT_CHECK, ConsentType.TERMS)
_CONSENT_WORDS: Final = {ConsentType.CREDIT_CHECK: "a credit check",
                         ConsentType.TERMS: "the terms and conditions"}


class _Unset(enum.Enum):
    TOKEN = "unset"


UNSET: Final = _Unset.TOKEN
"""Default of `update_draft` arguments: leave the field as it is."""


def _purpose(value: str | None) -> str | None:
    cleaned = " ".join(value.split()) if value else ""
    if len(cleaned) > 300:
        raise ValidationError("Keep the purpose of the loan to 300 characters.")
    return cleaned or None


async def _product_of(session: AsyncSession, application: Application) -> LoanProduct:
    product = await session.get(LoanProduct, application.product_id)
    assert product is not None  # a foreign key guarantees it
    return product


async def _request_fields(
    session: AsyncSession, *, product: LoanProduct, amount: Money | None, term: int,
    goods: HirePurchaseRequest | None, today: dt.date,
) -> dict[str, Any]:
    checked = await check_goods(session, product, goods)
    if checked is not None:
        if amount is not None and amount != checked.financed:
            raise ValidationError(
                f"For goods at {checked.price} with {checked.down_payment} down, the loan is "
                f"{checked.financed}, not {amount}."
            )
        amount = checked.financed
    if amount is None:
        raise ValidationError("Say how much you would like to borrow.")
    check_request(product, amount=amount, term=term, today=today)
    return {
        "product_id": product.id, "currency": amount.currency, "requested_amount": amount.amount,
        "requested_term": term,
        "merchant_id": checked.merchant.id if checked else None,
        "branch_id": checked.branch.id if checked and checked.branch else None,
        "category_id": checked.category.id if checked else None,
        "item_description": checked.item_description if checked else None,
        "item_price": checked.price.amount if checked else None,
        "down_payment": checked.down_payment.amount if checked else None,
    }


async def create_application(
    session: AsyncSession, *, customer_id: int, product_code: str, term: int,
    channel: ApplicationChannel, now: dt.datetime, actor: str, amount: Money | None = None,
    purpose: str | None = None, goods: HirePurchaseRequest | None = None,
) -> Application:
    """Start a DRAFT application with a new reference ("APP-000001").

    A hire-purchase product needs `goods`, and the amount is their price less the down
    payment (`amount` may be left out). Raises NotFoundError for an unknown customer,
    product, merchant or category; ConflictError when the customer is not active;
    ValidationError when the amount or term is outside the product or the goods fail
    their checks. The draft lapses after `DRAFT_VALID_DAYS` days unless submitted.
    """
    check_time(now)
    source = as_enum(ApplicationChannel, channel, "channel")
    customer = await load_customer(session, customer_id)
    if customer.status is not CustomerStatus.ACTIVE:
        raise ConflictError(f"Customer {customer.number} is {customer.status.value}; "
                            "they cannot apply for a loan now.")
    product = await get_product(session, code=product_code)
    fields = await _request_fields(session, product=product, amount=amount, term=term,
                                   goods=goods, today=now.date())
    next_id = int(await session.scalar(
        text("SELECT nextval(pg_get_serial_sequence('applications', 'id'))")
    ))
    application = Application(
        id=next_id, reference=reference_for(next_id), customer_id=customer.id,
        channel=source, purpose=_purpose(purpose), status=Status.DRAFT, status_changed_at=now,
        expires_on=now.date() + dt.timedelta(days=DRAFT_VALID_DAYS),
        **fields,
    )
    session.add(application)
    await session.flush()
    await trail.record(
        session, actor=actor, action="application.created", entity_type=ENTITY,
        entity_id=application.id, channel=source,
        after={"reference": application.reference, "customer_id": customer.id,
               "status": Status.DRAFT, "purpose": application.purpose, **fields},
    )
    return application


async def update_draft(
    session: AsyncSession, *, application_id: int, actor: str, now: dt.datetime,
    product_code: str | _Unset = UNSET, amount: Money | _Unset | None = UNSET,
    term: int | _Unset = UNSET, purpose: str | _Unset | None = UNSET,
    goods: HirePurchaseRequest | _Unset | None = UNSET,
) -> Application:
    """Change a DRAFT's product, amount, term, purpose or goods; the result is re-checked.

    A hire-purchase draft keeps its goods unless `goods` is given; its amount follows them.
    Pass `goods=None` with a cash product to turn it into a cash loan. Raises
    InvalidTransition unless the application is a draft, and the errors of
    `create_application` for the new values. Only changed fields are audited.
    """
    check_time(now)
    application = await load_application(session, application_id, for_update=True)
    if application.status is not Status.DRAFT:
        raise InvalidTransition(f"Application {application.reference} "
                                f"{describe(application.status)}; only a draft can be changed.")
    product = (await _product_of(session, application) if isinstance(product_code, _Unset)
               else await get_product(session, code=product_code))
    if isinstance(goods, _Unset):
        goods = await stored_goods(session, application)
    if isinstance(amount, _Unset):
        amount = None if goods else Money.of(application.requested_amount, application.currency)
    fields = await _request_fields(
        session, product=product, amount=amount, goods=goods, today=now.date(),
        term=application.requested_term if isinstance(term, _Unset) else term,
    )
    if not isinstance(purpose, _Unset):
        fields["purpose"] = _purpose(purpose)
    changed = {k: v for k, v in fields.items() if getattr(application, k) != v}
    if not changed:
        return application
    before = {k: getattr(application, k) for k in changed}
    for name, value in changed.items():
        setattr(application, name, value)
    await session.flush()
    await trail.record(session, actor=actor, action="application.updated", entity_type=ENTITY,
                       entity_id=application.id, before=before, after=changed)
    return application


async def submit_application(
    session: AsyncSession, *, application_id: int, actor: str, now: dt.datetime,
    channel: str | None = None,
) -> Application:
    """Submit a DRAFT for a decision.

    Raises InvalidTransition unless it is a draft; ConflictError when the customer has not
    agreed to a credit check and the terms (latest consent decisions); ValidationError when
    the product no longer offers the amount or term. A submitted application waits for the
    lender, so it no longer lapses.
    """
    check_time(now)
    application = await load_application(session, application_id, for_update=True)
    check_transition(application.reference, application.status, Status.SUBMITTED)
    missing = [
        _CONSENT_WORDS[kind] for kind in REQUIRED_CONSENTS
        if not await has_consent(session, customer_id=application.customer_id, consent_type=kind)
    ]
    if missing:
        raise ConflictError(f"Before application {application.reference} can be submitted, "
                            f"the customer must agree to {' and '.join(missing)}.")
    product = await _product_of(session, application)
    check_request(product, amount=Money.of(application.requested_amount, application.currency),
                  term=application.requested_term, today=now.date())
    return await move(session, application, Status.SUBMITTED, actor=actor, now=now,
                      changes={"expires_on": None}, channel=channel)


async def withdraw_application(
    session: AsyncSession, *, application_id: int, actor: str, now: dt.datetime,
    reason: str | None = None, channel: str | None = None,
) -> Application:
    """Withdraw an open application at the customer's (or staff's) request.

    Raises InvalidTransition when it is declined, disbursed, withdrawn or expired.
    """
    application = await load_application(session, application_id, for_update=True)
    cleaned = " ".join(reason.split())[:300] if reason else None
    return await move(session, application, Status.WITHDRAWN, actor=actor, now=now,
                      changes={"closed_reason": cleaned or None}, channel=channel)


async def expire_stale_applications(
    session: AsyncSession, *, as_of: dt.date, actor: str, now: dt.datetime
) -> list[str]:
    """Expire every open application whose `expires_on` is before `as_of`; their references.

    Drafts lapse `DRAFT_VALID_DAYS` after creation; offers and accepted offers on the dates
    set in `decisions`. Submitted, referred and signed applications have no expiry date and
    are never expired by this batch.
    """
    check_time(now)
    stale = await session.scalars(
        select(Application)
        .where(Application.status.in_(OPEN), Application.expires_on < as_of)
        .order_by(Application.id)
        .with_for_update()
    )
    expired = []
    for application in stale.all():
        reason = f"Not completed by {application.expires_on:%d %B %Y}."
        await move(session, application, Status.EXPIRED, actor=actor, now=now,
                   changes={"closed_reason": reason})
        expired.append(application.reference)
    return expired


async def mark_disbursed(
    session: AsyncSession, *, application_id: int, loan_id: int, actor: str, now: dt.datetime
) -> Application:
    """Record that the loan `loan_id` was paid out for a CONTRACT_SIGNED application.

    Raises InvalidTransition from any other status, ValidationError for a bad loan id.
    """
    if isinstance(loan_id, bool) or not isinstance(loan_id, int) or loan_id < 1:
        raise ValidationError("A disbursement needs the id of the loan it created.")
    application = await load_application(session, application_id, for_update=True)
    return await move(session, application, Status.DISBURSED, actor=actor, now=now,
                      changes={"loan_id": loan_id})


async def list_applications(
    session: AsyncSession, *, status: Status | None = None, customer_id: int | None = None,
    limit: int = 100, offset: int = 0,
) -> Sequence[Application]:
    """Applications, newest first, optionally of one status and/or one customer."""
    if not 1 <= limit <= 500 or offset < 0:
        raise ValidationError("Ask for 1 to 500 applications from a non-negative offset.")
    query = select(Application)
    if status is not None:
        query = query.where(Application.status == Status(status))
    if customer_id is not None:
        query = query.where(Application.customer_id == customer_id)
    rows = await session.scalars(query.order_by(Application.id.desc()).limit(limit).offset(offset))
    return rows.all()
