"""One-time codes: hashing, expiry at the five-minute edge, locking on the third wrong try."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.otp.models import CodeStatus, OneTimeCode
from core.otp.service import Outcome, Verification, derive_key, issue, verify

SECRET = "otp-test-secret"
T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)
PURPOSE = "agreement:APP-000123"
SUBJECT = "customer:42"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def check(session: AsyncSession, code: str, now: dt.datetime = T0) -> Verification:
    return await verify(
        session, purpose=PURPOSE, subject=SUBJECT, code=code, secret=SECRET, now=now
    )


async def test_code_is_six_digits_and_stored_only_as_a_keyed_hash(session: AsyncSession) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    assert len(issued.code) == 6 and issued.code.isdigit()
    assert issued.expires_at == T0 + dt.timedelta(minutes=5)
    assert issued.code not in repr(issued)
    row = await session.scalar(select(OneTimeCode).where(OneTimeCode.purpose == PURPOSE))
    assert row is not None and row.status is CodeStatus.ACTIVE
    assert issued.code.encode() not in row.code_hash and len(row.code_hash) == 32
    other_key = await verify(session, purpose=PURPOSE, subject=SUBJECT, code=issued.code,
                             secret="another-secret", now=T0)
    assert other_key.outcome is Outcome.WRONG


@pytest.mark.parametrize(
    ("after", "outcome"),
    [(dt.timedelta(minutes=4, seconds=59), Outcome.OK),
     (dt.timedelta(minutes=5), Outcome.EXPIRED),
     (dt.timedelta(minutes=5, seconds=1), Outcome.EXPIRED)],
)
async def test_expiry_edge(session: AsyncSession, after: dt.timedelta, outcome: Outcome) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    assert (await check(session, issued.code, T0 + after)).outcome is outcome


async def test_third_wrong_try_locks_even_the_right_code_out(session: AsyncSession) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    first = await check(session, wrong(issued.code))
    assert (first.outcome, first.tries_left) == (Outcome.WRONG, 2)
    assert first.message == "That code is not right; you have 2 tries left."
    second = await check(session, wrong(issued.code))
    assert (second.outcome, second.tries_left) == (Outcome.WRONG, 1)
    assert second.message == "That code is not right; you have 1 try left."
    assert (await check(session, wrong(issued.code))).outcome is Outcome.LOCKED
    assert (await check(session, issued.code)).outcome is Outcome.LOCKED
    row = await session.scalar(select(OneTimeCode).where(OneTimeCode.purpose == PURPOSE))
    assert row is not None and (row.status, row.wrong_tries) == (CodeStatus.LOCKED, 3)


async def test_two_wrong_then_right_is_ok_and_consumes_the_code(session: AsyncSession) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    await check(session, wrong(issued.code))
    await check(session, wrong(issued.code))
    spaced = f"{issued.code[:3]} {issued.code[3:]}"
    result = await check(session, spaced)
    assert result.ok and result.message == "The code is correct."
    assert (await check(session, issued.code)).outcome is Outcome.NO_CODE


async def test_new_code_supersedes_the_old(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws = iter([111111, 222222])
    monkeypatch.setattr(secrets, "randbelow", lambda _: next(draws))
    old = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    new = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    assert (old.code, new.code) == ("111111", "222222")
    assert (await check(session, old.code)).outcome is Outcome.WRONG
    assert (await check(session, new.code)).ok
    statuses = await session.scalars(
        select(OneTimeCode.status).where(OneTimeCode.purpose == PURPOSE).order_by(OneTimeCode.id)
    )
    assert list(statuses) == [CodeStatus.SUPERSEDED, CodeStatus.USED]


async def test_a_new_code_after_locking_works(session: AsyncSession) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    for _ in range(3):
        await check(session, wrong(issued.code))
    fresh = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    assert (await check(session, fresh.code)).ok


async def test_no_code_for_unknown_purpose_or_other_subject(session: AsyncSession) -> None:
    assert (await check(session, "123456")).outcome is Outcome.NO_CODE
    issued = await issue(session, purpose=PURPOSE, subject="customer:7", secret=SECRET, now=T0)
    assert (await check(session, issued.code)).outcome is Outcome.NO_CODE
    assert (await check(session, "000000")).message.startswith("There is no code waiting")


async def test_expired_code_does_not_use_up_tries(session: AsyncSession) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0)
    late = T0 + dt.timedelta(minutes=6)
    for _ in range(4):
        assert (await check(session, wrong(issued.code), late)).outcome is Outcome.EXPIRED
    row = await session.scalar(select(OneTimeCode).where(OneTimeCode.purpose == PURPOSE))
    assert row is not None and row.wrong_tries == 0


async def test_custom_ttl_and_tries(session: AsyncSession) -> None:
    issued = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0,
                         ttl=dt.timedelta(minutes=1), max_tries=1)
    assert (await check(session, issued.code, T0 + dt.timedelta(seconds=61))).outcome is (
        Outcome.EXPIRED)
    again = await issue(session, purpose=PURPOSE, subject=SUBJECT, secret=SECRET, now=T0,
                        max_tries=1)
    assert (await check(session, wrong(again.code))).outcome is Outcome.LOCKED


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"purpose": " "}, "purpose"), ({"subject": ""}, "subject"), ({"secret": ""}, "secret key"),
     ({"now": dt.datetime(2025, 3, 1, 9, 0)}, "time zone"),
     ({"ttl": dt.timedelta(0)}, "valid for some time"), ({"max_tries": 0}, "at least one try")],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    session: AsyncSession, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"purpose": PURPOSE, "subject": SUBJECT, "secret": SECRET, "now": T0}
    with pytest.raises(ValidationError, match=message):
        await issue(session, **{**args, **kwargs})  # type: ignore[arg-type]
    assert await session.scalar(select(func.count()).select_from(OneTimeCode)) == 0


def test_derived_key_is_stable_per_secret_and_refuses_none() -> None:
    key = derive_key("app-secret")
    assert len(key) == 32 and key == derive_key("app-secret") != derive_key("other-secret")
    assert key != b"app-secret"
    with pytest.raises(ValidationError, match="secret key"):
        derive_key("")
