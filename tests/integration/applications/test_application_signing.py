"""Signing the agreement with the one-time code: wrong codes, lockout, expiry, new versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions, signing
from core.applications.lifecycle import Status
from core.applications.models import Application, ApplicationChannel, LoanAgreement
from core.applications.repository import ENTITY
from core.applications.service import submit_application
from core.audit import trail
from core.errors import ValidationError
from core.otp.service import Outcome
from tests.integration.applications.conftest import ACTOR, NOW, SECRET


@pytest.fixture
async def accepted(session: AsyncSession, draft: Application) -> Application:
    await submit_application(session, application_id=draft.id, actor=ACTOR, now=NOW)
    await decisions.record_decision(session, application_id=draft.id, outcome="approved",
                                    trace={}, risk_band="A", actor="engine", now=NOW)
    await decisions.accept_offer(session, application_id=draft.id, actor="c", now=NOW)
    return draft


async def generate(session: AsyncSession, application: Application) -> signing.GeneratedAgreement:
    return await signing.generate_agreement(
        session, application_id=application.id, lender_name="Lender", otp_secret=SECRET,
        start_date=NOW.date(), actor=ACTOR, now=NOW,
    )


async def sign(
    session: AsyncSession, application: Application, code: str,
    at: dt.timedelta = dt.timedelta(minutes=1),
) -> signing.SigningResult:
    return await signing.sign_agreement(
        session, application_id=application.id, code=code, otp_secret=SECRET,
        channel=ApplicationChannel.SMS, address="+18685550101", actor="customer", now=NOW + at,
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_the_third_wrong_code_locks_signing(
    session: AsyncSession, accepted: Application
) -> None:
    generated = await generate(session, accepted)
    first = await sign(session, accepted, wrong(generated.code.code))
    assert (first.signed, first.verification.outcome, first.verification.tries_left) == (
        False, Outcome.WRONG, 2)
    assert (await sign(session, accepted, wrong(generated.code.code))).verification.tries_left == 1
    third = await sign(session, accepted, wrong(generated.code.code))
    assert third.verification.outcome is Outcome.LOCKED
    assert third.verification.message == (
        "Too many wrong codes were entered; please ask for a new one.")
    assert (await sign(session, accepted, generated.code.code)).verification.outcome is (
        Outcome.LOCKED)
    assert accepted.status is Status.ACCEPTED
    assert generated.agreement.accepted_at is None and not generated.agreement.otp_verified
    events = await trail.history(session, entity_type=ENTITY, entity_id=accepted.id)
    refused = [e.after for e in events if e.action == "application.signature_refused"]
    assert refused == [
        {"version": 1, "outcome": "wrong", "tries_left": 2},
        {"version": 1, "outcome": "wrong", "tries_left": 1},
        {"version": 1, "outcome": "locked", "tries_left": 0},
        {"version": 1, "outcome": "locked", "tries_left": 0},
    ]

    fresh = await signing.resend_agreement_code(session, application_id=accepted.id,
                                                otp_secret=SECRET, now=NOW)
    assert (await sign(session, accepted, fresh.code)).signed
    assert accepted.status is Status.CONTRACT_SIGNED


async def test_a_code_works_until_five_minutes_and_not_after(
    session: AsyncSession, accepted: Application
) -> None:
    generated = await generate(session, accepted)
    late = await sign(session, accepted, generated.code.code, dt.timedelta(minutes=5, seconds=1))
    assert late.verification.outcome is Outcome.EXPIRED and not late.signed
    assert accepted.status is Status.ACCEPTED
    on_time = await sign(session, accepted, generated.code.code,
                         dt.timedelta(minutes=4, seconds=59))
    assert on_time.signed and accepted.status is Status.CONTRACT_SIGNED


async def test_a_new_version_supersedes_the_old_and_its_code(
    session: AsyncSession, accepted: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = iter([111111, 222222])
    monkeypatch.setattr(secrets, "randbelow", lambda _: next(draws))
    first = await generate(session, accepted)
    second = await generate(session, accepted)
    assert (first.agreement.version, second.agreement.version) == (1, 2)
    assert first.agreement.pdf_sha256 != second.agreement.pdf_sha256  # the version is printed
    await session.refresh(first.agreement)
    assert first.agreement.superseded_at == NOW and second.agreement.superseded_at is None
    assert (await sign(session, accepted, "111111")).verification.outcome is Outcome.WRONG
    signed = await sign(session, accepted, second.code.code)
    assert signed.signed and signed.agreement.version == 2
    rows = await session.scalars(select(LoanAgreement.version).where(
        LoanAgreement.application_id == accepted.id, LoanAgreement.accepted_at.is_not(None)))
    assert list(rows) == [2]


async def test_signing_needs_an_address(session: AsyncSession, accepted: Application) -> None:
    generated = await generate(session, accepted)
    with pytest.raises(ValidationError, match="address"):
        await signing.sign_agreement(
            session, application_id=accepted.id, code=generated.code.code, otp_secret=SECRET,
            channel=ApplicationChannel.SMS, address="  ", actor="customer", now=NOW,
        )
    assert accepted.status is Status.ACCEPTED


async def test_the_agreement_pdf_is_stored_with_its_hash(
    session: AsyncSession, accepted: Application
) -> None:
    generated = await generate(session, accepted)
    stored = await signing.current_agreement(session, application_id=accepted.id)
    assert stored is generated.agreement
    assert hashlib.sha256(stored.pdf).hexdigest() == stored.pdf_sha256
    again = await signing.current_agreement(session, application_id=accepted.id, version=1)
    assert again is stored
