"""The loan agreement of an accepted offer: generate it, send a code, sign it with the code.

Generating builds the schedule from the offer (`offers.offer_terms`, `build_schedule`),
renders and stores the PDF with its SHA-256, supersedes any unsigned earlier version and
issues a one-time code for purpose "agreement:{reference}" to subject "customer:{id}";
the caller sends the code over the channel. Signing verifies the code against the current
version only. A wrong code is not an exception but a result, so the caller can commit the
used-up try: raising would roll it back and make the try limit meaningless.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.applications.agreement import (
    AgreementData,
    agreement_figures,
    annual_percentage_rate,
    render_agreement,
)
from core.applications.lifecycle import Status, describe
from core.applications.models import Application, ApplicationChannel, LoanAgreement
from core.applications.offers import agreement_goods, fee_lines, offer_terms
from core.applications.repository import ENTITY, check_time, json_safe, load_application, move
from core.audit import trail
from core.customers.repository import load_customer
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.loans.schedule import build_schedule
from core.money import Money
from core.otp.service import DEFAULT_TTL, IssuedCode, Verification, issue, verify
from core.products.models import LoanProduct
from core.products.spec import as_enum

__all__ = ["GeneratedAgreement", "SigningResult", "agreement_purpose", "current_agreement",
           "generate_agreement", "resend_agreement_code", "sign_agreement"]

SIGNING_STATUS: Final = Status.ACCEPTED


def agreement_purpose(reference: str) -> str:
    """The one-time code purpose for signing an application's agreement."""
    return f"agreement:{reference}"


def _subject(application: Application) -> str:
    return f"customer:{application.customer_id}"


@dataclass(frozen=True, slots=True)
class GeneratedAgreement:
    """The stored agreement, and the code to send to the customer (never stored)."""

    agreement: LoanAgreement
    code: IssuedCode


@dataclass(frozen=True, slots=True)
class SigningResult:
    """The code check and the agreement it was for; `signed` when the code was right."""

    verification: Verification
    agreement: LoanAgreement

    @property
    def signed(self) -> bool:
        return self.verification.ok


async def _accepted(session: AsyncSession, application_id: int, now: dt.datetime,
                    action: str) -> Application:
    check_time(now)
    application = await load_application(session, application_id, for_update=True)
    if application.status is not SIGNING_STATUS:
        raise InvalidTransition(f"Application {application.reference} "
                                f"{describe(application.status)}; {action}.")
    if application.expires_on is not None and application.expires_on < now.date():
        raise ConflictError(f"The accepted offer on {application.reference} lapsed on "
                            f"{application.expires_on:%d %B %Y}; it can no longer be signed.")
    return application


async def current_agreement(
    session: AsyncSession, *, application_id: int, version: int | None = None,
    with_pdf: bool = False,
) -> LoanAgreement:
    """The given version of the agreement, or the latest one; NotFoundError when none.

    The PDF bytes are loaded only `with_pdf`.
    """
    query = select(LoanAgreement).where(LoanAgreement.application_id == application_id)
    if with_pdf:
        query = query.options(undefer(LoanAgreement.pdf))
    if version is not None:
        query = query.where(LoanAgreement.version == version)
    agreement = await session.scalar(query.order_by(LoanAgreement.version.desc()).limit(1))
    if agreement is None:
        which = f"version {version} of " if version is not None else ""
        raise NotFoundError(f"There is no {which}agreement for application {application_id}.")
    return agreement


async def generate_agreement(
    session: AsyncSession, *, application_id: int, lender_name: str, otp_secret: str | bytes,
    start_date: dt.date, actor: str, now: dt.datetime, first_due_date: dt.date | None = None,
    otp_ttl: dt.timedelta = DEFAULT_TTL,
) -> GeneratedAgreement:
    """Generate the next agreement version for an ACCEPTED offer and issue its signing code.

    The schedule runs from `start_date` (the expected disbursement date, not before today).
    Raises InvalidTransition unless the offer is accepted, ConflictError when its signing
    window has lapsed, ValidationError when the product no longer allows the offer.
    """
    application = await _accepted(session, application_id, now,
                                  "an agreement is prepared only for an accepted offer")
    if start_date < now.date():
        raise ValidationError("The loan cannot start before today.")
    product = await session.get(LoanProduct, application.product_id)
    assert product is not None and application.offered_amount is not None  # set on offer
    assert application.offered_term is not None and application.risk_band is not None
    currency = application.currency
    terms = offer_terms(
        product, amount=Money.of(application.offered_amount, currency),
        term=application.offered_term, band=application.risk_band,
        rate=application.offered_rate, start_date=start_date, first_due_date=first_due_date,
    )
    schedule = build_schedule(terms)
    fees = fee_lines(product, terms)
    customer = await load_customer(session, application.customer_id)
    goods = await agreement_goods(session, application)
    latest = await session.scalar(select(func.max(LoanAgreement.version))
                                  .where(LoanAgreement.application_id == application.id))
    version = (latest or 0) + 1
    data = AgreementData(
        reference=application.reference, version=version, issued_on=now.date(),
        lender_name=lender_name, borrower_name=customer.full_name,
        customer_number=customer.number, product_name=product.name, schedule=schedule,
        fees=fees, apr=annual_percentage_rate(schedule, fees), purpose=application.purpose,
        goods=goods,
    )
    pdf = render_agreement(data)
    figures = agreement_figures(data)
    summary = {
        "amount": terms.principal.amount, "term": terms.term,
        "rate": f"{terms.annual_rate.normalize():f}",
        "apr": data.apr, "frequency": terms.frequency, "start_date": start_date,
        "first_due_date": schedule.instalments[0].due_date,
        "instalment": schedule.instalments[0].total.amount,
        "total_interest": figures.total_interest.amount,
        "total_fees": figures.total_fees.amount,
        "cost_of_credit": figures.cost_of_credit.amount,
        "total_payable": figures.total_payable.amount,
    }
    await session.execute(
        update(LoanAgreement)
        .where(LoanAgreement.application_id == application.id,
               LoanAgreement.superseded_at.is_(None), LoanAgreement.accepted_at.is_(None))
        .values(superseded_at=now)
    )
    agreement = LoanAgreement(
        application_id=application.id, version=version, pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(), terms=json_safe(summary),
        generated_at=now, generated_by=actor, otp_verified=False,
    )
    session.add(agreement)
    await session.flush()
    code = await issue(
        session, purpose=agreement_purpose(application.reference), subject=_subject(application),
        secret=otp_secret, now=now, ttl=otp_ttl,
    )
    await trail.record(
        session, actor=actor, action="application.agreement_generated", entity_type=ENTITY,
        entity_id=application.id,
        after={"version": version, "pdf_sha256": agreement.pdf_sha256, **summary},
    )
    return GeneratedAgreement(agreement=agreement, code=code)


async def resend_agreement_code(
    session: AsyncSession, *, application_id: int, otp_secret: str | bytes, now: dt.datetime,
    otp_ttl: dt.timedelta = DEFAULT_TTL,
) -> IssuedCode:
    """A fresh signing code for the current agreement (after one expired or locked).

    The earlier code stops working. Raises InvalidTransition unless the offer is accepted,
    NotFoundError when no agreement has been generated yet.
    """
    application = await _accepted(session, application_id, now, "it has nothing to sign")
    await current_agreement(session, application_id=application.id)
    return await issue(
        session, purpose=agreement_purpose(application.reference), subject=_subject(application),
        secret=otp_secret, now=now, ttl=otp_ttl,
    )


async def sign_agreement(
    session: AsyncSession, *, application_id: int, code: str, otp_secret: str | bytes,
    channel: ApplicationChannel, address: str, actor: str, now: dt.datetime,
) -> SigningResult:
    """Sign the current agreement with the customer's one-time code.

    With the right code the agreement records when, by which customer, on which channel and
    from which address (phone number, email, or IP address and user agent) it was accepted,
    and the application becomes CONTRACT_SIGNED. A wrong, expired or locked code returns an
    unsigned result (see the module docstring); commit it. Raises InvalidTransition unless
    the offer is accepted, NotFoundError when no agreement was generated, ValidationError
    for an empty address.
    """
    where = " ".join(address.split())[:300]
    if not where:
        raise ValidationError("Record the address the agreement is signed from.")
    signing_channel = as_enum(ApplicationChannel, channel, "channel")
    application = await _accepted(session, application_id, now, "it cannot be signed")
    agreement = await current_agreement(session, application_id=application.id)
    verification = await verify(
        session, purpose=agreement_purpose(application.reference), subject=_subject(application),
        code=code, secret=otp_secret, now=now,
    )
    if not verification.ok:
        await trail.record(
            session, actor=actor, action="application.signature_refused", entity_type=ENTITY,
            entity_id=application.id, channel=signing_channel,
            after={"version": agreement.version, "outcome": verification.outcome,
                   "tries_left": verification.tries_left},
        )
        return SigningResult(verification, agreement)
    agreement.accepted_at, agreement.accepted_by_customer_id = now, application.customer_id
    agreement.acceptance_channel, agreement.acceptance_address = signing_channel, where
    agreement.otp_verified = True
    await move(
        session, application, Status.CONTRACT_SIGNED, actor=actor, now=now,
        channel=signing_channel,
        changes={"expires_on": None},
    )
    await trail.record(
        session, actor=actor, action="application.agreement_signed", entity_type=ENTITY,
        entity_id=application.id, channel=signing_channel,
        after={"version": agreement.version, "pdf_sha256": agreement.pdf_sha256,
               "customer_id": application.customer_id, "address": where},
    )
    return SigningResult(verification, agreement)
