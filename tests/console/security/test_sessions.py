"""Sessions: the cookie, the list on the Account page, revoking, expiry, sign-out, deactivation."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.errors import ConflictError, NotFoundError
from core.staff import sessions
from core.staff.models import Role, StaffUser
from core.staff.service import change_password, update_staff
from tests.console.security.conftest import PASSWORD, sign_in, signed_in

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


async def test_the_session_cookie_is_host_only_secure_httponly_and_samesite(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser]
) -> None:
    answer = await sign_in(browser, people[Role.AGENT].email)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/account"
    cookie = next(value for value in answer.headers.get_list("set-cookie")
                  if value.startswith("__Host-lendline-session="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= attributes
    assert not any(part.startswith("domain") for part in attributes)


async def test_sessions_are_listed_and_another_one_can_be_revoked(
    app: object, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    laptop = httpx.AsyncClient(transport=transport, base_url="https://test",
                               headers={"User-Agent": "Laptop/1.0"})
    phone = httpx.AsyncClient(transport=transport, base_url="https://test",
                              headers={"User-Agent": "Phone/2.0"})
    async with laptop, phone:
        token = await signed_in(laptop, people[Role.SUPERVISOR].email)
        await signed_in(phone, people[Role.SUPERVISOR].email)
        page = (await laptop.get("/console/account")).text
        assert "Laptop/1.0" in page and "Phone/2.0" in page and "(this session)" in page
        ids = [int(found) for found in re.findall(r"/console/account/sessions/(\d+)/revoke",
                                                  page)]
        assert len(ids) == 2
        listed = (await laptop.get("/api/v1/me/sessions")).json()
        other = next(row["id"] for row in listed if not row["current"])
        ended = await laptop.post(f"/console/account/sessions/{other}/revoke",
                                  data={"csrf_token": token})
        assert (ended.status_code, ended.headers["location"]) == (
            303, "/console/account?notice=revoked")
        assert (await phone.get("/console/account")).status_code == 303, "phone is signed out"
        assert (await laptop.get("/console/account")).status_code == 200
        stranger = await laptop.post(f"/console/account/sessions/{other + 1000}/revoke",
                                     data={"csrf_token": token})
        assert stranger.status_code == 404
    revoked = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "staff.session_revoked").order_by(AuditEvent.id.desc()).limit(1))
    assert revoked is not None and revoked.entity_id == str(other)
    assert (revoked.actor, revoked.user_agent) == (f"staff:{people[Role.SUPERVISOR].id}",
                                                   "Laptop/1.0")


async def test_signing_out_ends_the_session(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser]
) -> None:
    token = await signed_in(browser, people[Role.COLLECTOR].email)
    stolen = browser.cookies["__Host-lendline-session"]
    out = await browser.post("/console/logout", data={"csrf_token": token})
    assert (out.status_code, out.headers["location"]) == (303, "/console/login")
    browser.cookies.set("__Host-lendline-session", stolen)
    assert (await browser.get("/console/account")).status_code == 303, "the old cookie is dead"


async def test_browser_sessions_end_when_idle_or_old_tokens_when_expired(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    user = people[Role.AGENT]
    browser = await sessions.open_browser_session(session, user=user, now=T0)
    assert await sessions.resolve(session, token=browser.token, now=T0) is not None
    for minutes in (29, 58):
        found = await sessions.resolve(session, token=browser.token,
                                       now=T0 + dt.timedelta(minutes=minutes))
        assert found is not None, "each use keeps it alive"
    assert await sessions.resolve(session, token=browser.token,
                                  now=T0 + dt.timedelta(minutes=88)) is None, "30 minutes idle"
    busy = await sessions.open_browser_session(session, user=user, now=T0)
    for minutes in range(20, 12 * 60, 20):
        assert await sessions.resolve(session, token=busy.token,
                                      now=T0 + dt.timedelta(minutes=minutes)) is not None
    assert await sessions.resolve(session, token=busy.token,
                                  now=T0 + dt.timedelta(hours=12)) is None, "12 hours at most"
    api = await sessions.issue_api_token(session, user=user, label="report", now=T0,
                                         actor="test", lifetime=dt.timedelta(days=2))
    assert api.token.startswith("llt_") and api.session.token_hash != api.token
    assert await sessions.resolve(session, token=api.token, now=T0 + dt.timedelta(days=1))
    assert await sessions.resolve(session, token=api.token, now=T0 + dt.timedelta(days=2)) is None
    with pytest.raises(NotFoundError):
        await sessions.revoke_session(session, staff_id=people[Role.ADMIN].id,
                                      session_id=api.session.id, now=T0, actor="test")


async def test_a_password_change_ends_every_other_session(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    user = people[Role.AGENT]
    kept = await sessions.open_browser_session(session, user=user, now=T0)
    other = await sessions.open_browser_session(session, user=user, now=T0)
    token = await sessions.issue_api_token(session, user=user, label="x", now=T0, actor="test")
    await change_password(session, user=user, current=PASSWORD, new="a-new-password-2",
                          now=T0, keep_session=kept.session.id)
    assert await sessions.resolve(session, token=kept.token, now=T0) is not None
    assert await sessions.resolve(session, token=other.token, now=T0) is None
    assert await sessions.resolve(session, token=token.token, now=T0) is None


async def test_deactivating_ends_every_session_and_the_last_admin_stays(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    agent = people[Role.AGENT]
    open_one = await sessions.open_browser_session(session, user=agent, now=T0)
    await update_staff(session, staff_id=agent.id, role=Role.AGENT, active=False, now=T0,
                       actor="staff:1")
    assert await sessions.resolve(session, token=open_one.token, now=T0) is None
    admins = list(await session.scalars(select(StaffUser).where(StaffUser.role == Role.ADMIN,
                                                                StaffUser.active)))
    for other in admins[:-1]:
        await update_staff(session, staff_id=other.id, role=Role.ADMIN, active=False, now=T0,
                           actor="test")
    last = admins[-1]
    with pytest.raises(ConflictError, match="last active admin"):
        await update_staff(session, staff_id=last.id, role=Role.SUPERVISOR, active=True,
                           now=T0, actor="test")
    assert last.role is Role.ADMIN and last.active
