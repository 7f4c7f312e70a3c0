"""Identity tools: a one-time code to the registered phone, the date-of-birth check for
voice, and finding a customer by phone for web chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.customers.models import ContactChannel, ContactPoint
from core.otp.models import CodeStatus, OneTimeCode
from tests.integration.tools.support import (
    TT,
    audit_actions,
    borrower,
    call,
    context,
    lender,
    snapshot,
)
from tools.identity import (
    check_verification_code,
    find_customer_by_phone,
    send_verification_code,
    verify_date_of_birth,
)

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=TT)
PHONE = "+18685550150"


def other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_code_sent_to_the_registered_number_verifies_the_borrower(
    session: AsyncSession,
) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date(), phone=PHONE)
    claimed = context(session, now=NOW, claimed=asha)
    sent = await call(send_verification_code, claimed)
    assert len(sent["code"]) == 6 and sent["code"].isdigit()
    assert sent["expires_at"] == "2025-06-02T10:05:00-04:00"
    assert sent["destination"] == "your number ending in 0150" and sent["channel"] == "whatsapp"
    code = await session.scalar(select(OneTimeCode))
    assert code is not None and code.subject == f"customer:{asha.id}"
    assert code.purpose == "verify:conversation-4242" and code.status is CodeStatus.ACTIVE

    later = context(session, now=NOW + dt.timedelta(minutes=4), claimed=asha)
    spaced = f" {sent['code'][:3]} {sent['code'][3:]}"
    checked = await call(check_verification_code, later, code=spaced)
    assert checked == {"verified": True, "outcome": "ok", "tries_left": 0,
                       "message": "The code is correct.", "customer_id": asha.id}
    point = await session.get(ContactPoint, sent["contact_point_id"])
    assert point is not None and point.channel is ContactChannel.WHATSAPP and point.verified
    assert await audit_actions(session) == [
        "customer.verification_code_sent", "customer.contact_verified",
        "customer.identity_verified"]


async def test_wrong_codes_count_down_then_lock(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    claimed = context(session, now=NOW, claimed=asha)
    code = (await call(send_verification_code, claimed))["code"]
    first = await call(check_verification_code, claimed, code=other(code))
    assert (first["verified"], first["outcome"], first["tries_left"]) == (False, "wrong", 2)
    assert first["message"] == "That code is not right; you have 2 tries left."
    await call(check_verification_code, claimed, code=other(code))
    third = await call(check_verification_code, claimed, code=other(code))
    assert (third["outcome"], third["customer_id"]) == ("locked", None)
    right = await call(check_verification_code, claimed, code=code)
    assert (right["verified"], right["outcome"]) == (False, "locked")
    assert (await audit_actions(session)).count("customer.verification_failed") == 4


async def test_expired_code_and_no_code(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    none_yet = await call(check_verification_code, context(session, now=NOW, claimed=asha),
                          code="123456")
    assert (none_yet["outcome"], none_yet["verified"]) == ("no_code", False)
    code = (await call(send_verification_code, context(session, now=NOW, claimed=asha)))["code"]
    late = context(session, now=NOW + dt.timedelta(minutes=5), claimed=asha)
    expired = await call(check_verification_code, late, code=code)
    assert (expired["outcome"], expired["verified"]) == ("expired", False)


async def test_web_chat_and_voice_send_by_sms(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date(), phone=PHONE)
    for channel in ("web", "voice"):
        sent = await call(send_verification_code,
                          context(session, now=NOW, claimed=asha, channel=channel))
        assert (sent["channel"], sent["destination"]) == ("sms", "your number ending in 0150")


async def test_malformed_code_or_no_claimed_customer_writes_nothing(
    session: AsyncSession,
) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date())
    claimed = context(session, now=NOW, claimed=asha)
    await call(send_verification_code, claimed)
    before = await snapshot(session)
    malformed = await call(check_verification_code, claimed, code="12ab56")
    assert malformed == {"error": "A code is six digits, like 123456; please check it and "
                         "try again.", "kind": "ValidationError"}
    anonymous = context(session, now=NOW)
    assert (await call(send_verification_code, anonymous))["kind"] == "NotFoundError"
    assert (await call(check_verification_code, anonymous, code="123456"))["error"] == (
        "I can't tell which customer you are yet; please give the phone number you "
        "registered with us.")
    assert await snapshot(session) == before
    assert (await session.scalar(select(OneTimeCode.wrong_tries))) == 0


async def test_date_of_birth_and_id_digits(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date(), national_id="TT00000024")
    voice = context(session, now=NOW, claimed=asha, channel="voice")
    right = await call(verify_date_of_birth, voice, date_of_birth="1990-05-01",
                       id_digits="0 0 2 4")
    assert right == {"verified": True, "customer_id": asha.id, "tries_left": 3}
    wrong = await call(verify_date_of_birth, voice, date_of_birth="1990-05-02",
                       id_digits="0024")
    assert wrong == {"verified": False, "customer_id": None, "tries_left": 2}
    assert await audit_actions(session) == ["customer.identity_verified",
                                            "customer.verification_failed"]


async def test_date_of_birth_locks_after_three_wrong_answers(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date(), national_id="TT00000024")
    voice = context(session, now=NOW, claimed=asha, channel="voice")
    for tries_left in (2, 1, 0):
        wrong = await call(verify_date_of_birth, voice, date_of_birth="1990-05-01",
                           id_digits="9999")
        assert wrong["tries_left"] == tries_left
    before = await snapshot(session)
    locked = await call(verify_date_of_birth, voice, date_of_birth="1990-05-01",
                        id_digits="0024")
    assert locked == {"verified": False, "customer_id": None, "tries_left": 0}
    assert await snapshot(session) == before
    short = await call(verify_date_of_birth, voice, date_of_birth="1990-05-01", id_digits="24")
    assert short["error"] == "Please give the last four digits of your ID number."


async def test_find_customer_by_phone(session: AsyncSession) -> None:
    await lender(session, NOW)
    asha = await borrower(session, today=NOW.date(), phone=PHONE)
    web = context(session, now=NOW, channel="web")
    before = await snapshot(session)
    assert await call(find_customer_by_phone, web, phone="868 555 0150") == {
        "found": True, "customer_id": asha.id}
    assert await call(find_customer_by_phone, web, phone="+1 (868) 555-0151") == {
        "found": False, "customer_id": None}
    garbage = await call(find_customer_by_phone, web, phone="call me")
    assert garbage == {"error": "'call me' is not a phone number.", "kind": "ValidationError"}
    assert await snapshot(session) == before
