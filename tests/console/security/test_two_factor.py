"""Optional two-factor sign-in: QR enrolment on the Account page, then a code at every sign-in."""

from __future__ import annotations

import base64
import datetime as dt
import re
import urllib.parse

import httpx
import pyotp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.crypto import FieldCipher
from core.errors import ConflictError, ValidationError
from core.staff import two_factor
from core.staff.models import Role, StaffUser
from tests.console.security.conftest import csrf_in, sign_in, signed_in

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def secret_on(page: str) -> str:
    found = re.search(r'id="secret">([A-Z2-7 ]+)<', page)
    assert found, "the enrolment page shows the key"
    return found.group(1).replace(" ", "")


async def test_enrol_then_sign_in_with_a_code(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    user = people[Role.UNDERWRITER]
    token = await signed_in(browser, user.email)
    started = await browser.post("/console/account/two-factor/start", data={"csrf_token": token})
    assert started.headers["location"] == "/console/account/two-factor"
    page = (await browser.get("/console/account/two-factor")).text
    secret = secret_on(page)
    qr = re.search(r'<img class="qr" src="data:image/svg\+xml;charset=utf-8,([^"]+)"', page)
    assert qr, "the QR code is an inline SVG image (no network, no inline script)"
    assert user.totp_secret is not None and secret not in user.totp_secret, "stored encrypted"
    assert "<svg" in urllib.parse.unquote(qr.group(1))
    wrong = await browser.post("/console/account/two-factor/confirm",
                               data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    assert not user.two_factor
    confirmed = await browser.post("/console/account/two-factor/confirm",
                                   data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert confirmed.headers["location"] == "/console/account?notice=two-factor-on"
    assert user.two_factor
    await browser.post("/console/logout", data={"csrf_token": token})

    password_only = await sign_in(browser, user.email)
    assert password_only.headers["location"].startswith("/console/login/two-factor?next=")
    half = browser.cookies["__Host-lendline-session"]
    assert (await browser.get("/console/account")).status_code == 303, "a code is still due"
    step = (await browser.get("/console/login/two-factor")).text
    bad = await browser.post("/console/login/two-factor",
                             data={"csrf_token": csrf_in(step), "code": "123456"})
    assert bad.status_code == 401 and "That code is not right" in bad.text
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)  # the code used to enrol is spent
    done = await browser.post("/console/login/two-factor", data={
        "csrf_token": csrf_in(step), "code": pyotp.TOTP(secret).at(soon), "next": "/console/staff"})
    assert (done.status_code, done.headers["location"]) == (303, "/console/staff")
    assert browser.cookies["__Host-lendline-session"] != half, "a new token after the code"
    assert (await browser.get("/console/account")).status_code == 200
    assert user.failed_logins == 0


async def test_a_code_counts_once_and_wrong_codes_lock(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    cipher = FieldCipher("two-factor-test-secret-key-0123456789")
    user = people[Role.AGENT]
    secret = await two_factor.start_enrolment(session, user=user, cipher=cipher)
    totp = pyotp.TOTP(secret)
    with pytest.raises(ValidationError):
        await two_factor.confirm_enrolment(session, user=user, code="12345", cipher=cipher,
                                           now=T0)
    await two_factor.confirm_enrolment(session, user=user, code=totp.at(T0), cipher=cipher,
                                       now=T0)
    with pytest.raises(ConflictError, match="already on"):
        await two_factor.start_enrolment(session, user=user, cipher=cipher)
    later = T0 + dt.timedelta(seconds=60)
    assert await two_factor.check_code(session, user=user, code=totp.at(later), cipher=cipher,
                                       now=later)
    assert not await two_factor.check_code(session, user=user, code=totp.at(later),
                                           cipher=cipher, now=later), "no replay"
    drift = T0 + dt.timedelta(seconds=120)
    assert await two_factor.check_code(session, user=user, code=totp.at(drift - dt.timedelta(
        seconds=30)), cipher=cipher, now=drift), "30 seconds of clock drift are allowed"
    for _ in range(4):
        assert not await two_factor.check_code(session, user=user, code="000000",
                                               cipher=cipher, now=drift)
    assert user.locked(drift), "the replayed code and four wrong ones make five failures"
    await two_factor.turn_off(session, user=user, actor="staff:1")
    assert (user.two_factor, user.totp_secret) == (False, None)


def test_the_provisioning_uri_names_the_lender_and_the_user() -> None:
    secret = base64.b32encode(b"0123456789abcdefghij").decode()
    uri = two_factor.provisioning_uri(secret, email="sita@lendline.example",
                                      issuer="Lendline (Island Credit Union)")
    assert uri.startswith("otpauth://totp/Lendline%20%28Island%20Credit%20Union%29:sita%40")
    assert f"secret={secret}" in uri
