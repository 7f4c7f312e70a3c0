"""A request that changes something with the session cookie needs the session's CSRF token."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.staff.models import Role, SessionKind, StaffSession, StaffUser
from tests.console.security.conftest import PASSWORD, csrf_in, email_of, signed_in


async def tokens_of(session: AsyncSession, user: StaffUser) -> int:
    return await session.scalar(select(func.count()).select_from(StaffSession).where(
        StaffSession.staff_id == user.id, StaffSession.kind == SessionKind.API_TOKEN)) or 0


async def test_console_forms_need_the_token(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    agent = people[Role.AGENT]
    token = await signed_in(browser, agent.email)
    missing = await browser.post("/console/account/tokens", data={"label": "script"})
    assert missing.status_code == 403
    assert "did not come from the console" in missing.text
    wrong = await browser.post("/console/account/tokens",
                               data={"label": "script", "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert await tokens_of(session, agent) == 0
    made = await browser.post("/console/account/tokens",
                              data={"label": "script", "csrf_token": token})
    assert made.status_code == 200 and 'id="new-token">llt_' in made.text
    assert await tokens_of(session, agent) == 1


async def test_htmx_and_scripts_send_it_as_a_header(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    token = await signed_in(browser, people[Role.SUPERVISOR].email)
    page = await browser.get("/console/account")
    assert f'hx-headers:inherited=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text
    refused = await browser.delete("/api/v1/me/sessions/1")
    assert (refused.status_code, refused.json()["error"]) == (403, "csrf_failed")
    listed = await browser.get("/api/v1/me/sessions")
    assert listed.status_code == 200, "reading needs no token"
    own = listed.json()[0]
    assert own["current"] and own["kind"] == "browser"
    ended = await browser.delete(f"/api/v1/me/sessions/{own['id']}",
                                 headers={"X-CSRF-Token": token})
    assert ended.status_code == 204
    assert (await browser.get("/api/v1/me")).status_code == 401


async def test_a_token_of_another_session_is_refused(
    app: object, people: dict[Role, StaffUser]
) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as first, \
            httpx.AsyncClient(transport=transport, base_url="https://test") as second:
        mine = await signed_in(first, email_of(Role.AGENT))
        theirs = await signed_in(second, email_of(Role.COLLECTOR))
        assert mine != theirs
        crossed = await first.post("/console/account/sessions/revoke-others",
                                   data={"csrf_token": theirs})
        assert crossed.status_code == 403


async def test_the_sign_in_form_is_protected_too(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser]
) -> None:
    page = await browser.get("/console/login")
    assert "__Host-lendline-login" in page.headers["set-cookie"]
    form = {"email": email_of(Role.AGENT), "password": PASSWORD, "csrf_token": csrf_in(page.text)}
    forged = await browser.post("/console/login", data={**form, "csrf_token": "forged" * 7})
    assert forged.status_code == 403
    browser.cookies.clear()
    no_cookie = await browser.post("/console/login", data=form)
    assert no_cookie.status_code == 403 and "did not keep the sign-in cookie" in no_cookie.text
    assert "__Host-lendline-session" not in no_cookie.headers.get("set-cookie", "")
    page = await browser.get("/console/login")
    accepted = await browser.post("/console/login", data={**form, "csrf_token": csrf_in(page.text)})
    assert accepted.status_code == 303


async def test_bearer_tokens_need_no_csrf_token(api: httpx.AsyncClient) -> None:
    me = (await api.get("/api/v1/me")).json()
    listed = (await api.get("/api/v1/me/sessions")).json()
    assert me["role"] == "supervisor" and "staff.manage" not in me["permissions"]
    assert (await api.delete(f"/api/v1/me/sessions/{listed[0]['id']}")).status_code == 204
    assert (await api.get("/api/v1/me")).status_code == 401, "the token is revoked"
