"""The console shell: security headers, escaping, navigation by permission, the staff page,
the staff-only API docs, and "from where" on every audit event."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.console.rendering import NAV
from admin.middleware import CONSOLE_CSP
from core.audit import trail
from core.audit.models import AuditEvent
from core.staff.models import Role, StaffUser
from core.staff.service import authenticate
from tests.console.security.conftest import csrf_in, email_of, signed_in


async def test_console_pages_carry_strict_headers(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser]
) -> None:
    login = await browser.get("/console/login")
    assert login.headers["content-security-policy"] == CONSOLE_CSP
    assert "'unsafe-inline'" not in CONSOLE_CSP and "script-src 'self'" in CONSOLE_CSP
    for name, value in {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
                        "cache-control": "no-store", "referrer-policy": "same-origin"}.items():
        assert login.headers[name] == value
    assert login.headers["strict-transport-security"].startswith("max-age=")
    assert "<script>" not in login.text and " on" + "click=" not in login.text
    static = await browser.get("/console/static/htmx.min.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")
    assert static.headers["x-content-type-options"] == "nosniff"
    healthz = await browser.get("/healthz")
    assert "content-security-policy" not in healthz.headers


async def test_borrower_and_staff_text_is_escaped(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    people[Role.AGENT].name = '<script>alert("x")</script>'
    await session.flush()
    await signed_in(browser, email_of(Role.AGENT))
    page = (await browser.get("/console/account")).text
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


async def test_the_navigation_shows_what_the_role_may_open(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser]
) -> None:
    await signed_in(browser, email_of(Role.AGENT))
    home = await browser.get("/console")
    assert home.status_code == 303
    page = (await browser.get("/console/account")).text
    assert 'href="/console/account" aria-current="page"' in page
    assert 'href="/console/staff"' not in page
    staff_page = await browser.get("/console/staff")
    assert staff_page.status_code == 403
    assert "Only admins may manage staff accounts." in staff_page.text
    assert [item.href for item in NAV][-1] == "/console/account"


async def test_an_admin_adds_and_deactivates_staff(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    token = await signed_in(browser, email_of(Role.ADMIN))
    page = await browser.get("/console/staff")
    assert page.status_code == 200 and "Credit officer" in page.text
    short = await browser.post("/console/staff", data={
        "csrf_token": token, "email": "new@console.example", "name": "Nia New",
        "role": "collector", "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    added = await browser.post("/console/staff", data={
        "csrf_token": token, "email": "new@console.example", "name": "Nia New",
        "role": "collector", "password": "temporary-password-1"})
    assert added.headers["location"] == "/console/staff?notice=created"
    nia = await session.scalar(select(StaffUser).where(StaffUser.email == "new@console.example"))
    assert nia is not None and nia.role is Role.COLLECTOR
    for _ in range(5):
        await authenticate(session, email=nia.email, password="forgotten-it")
    reset = await browser.post(f"/console/staff/{nia.id}/password", data={
        "csrf_token": token, "password": "second-temporary-1"})
    assert reset.headers["location"] == "/console/staff?notice=password"
    assert not nia.locked(dt.datetime.now(dt.UTC))
    assert await authenticate(session, email=nia.email, password="second-temporary-1") == nia
    off = await browser.post(f"/console/staff/{nia.id}", data={"csrf_token": token,
                                                              "role": "collector"})
    assert off.headers["location"] == "/console/staff?notice=updated"
    assert not nia.active
    created = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "staff.created", AuditEvent.entity_id == str(nia.id)))
    assert created is not None and created.actor == f"staff:{people[Role.ADMIN].id}"


async def test_api_docs_are_for_staff_only(
    browser: httpx.AsyncClient, api: httpx.AsyncClient, people: dict[Role, StaffUser]
) -> None:
    assert (await browser.get("/openapi.json")).status_code == 401
    docs = await browser.get("/docs")
    assert (docs.status_code, docs.headers["location"]) == (303, "/console/login?next=%2Fdocs")
    schema = (await api.get("/openapi.json")).json()
    console_by_token = await api.get("/console/account", follow_redirects=False)
    assert console_by_token.status_code == 303, "console pages take only the session cookie"
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    await signed_in(browser, email_of(Role.AGENT))
    assert (await browser.get("/docs")).status_code == 200
    login_page = await browser.get("/console/login")
    assert login_page.status_code == 303, "signed in already"
    assert csrf_in((await browser.get("/console/account")).text)


async def test_every_audit_event_says_where_it_came_from(
    browser: httpx.AsyncClient, people: dict[Role, StaffUser], session: AsyncSession
) -> None:
    browser.headers["User-Agent"] = "Mozilla/5.0 (audit test)"
    await signed_in(browser, email_of(Role.COLLECTOR))
    event = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "staff.signed_in").order_by(AuditEvent.id.desc()).limit(1))
    assert event is not None
    assert (event.actor, event.ip, event.user_agent) == (
        f"staff:{people[Role.COLLECTOR].id}", "127.0.0.1", "Mozilla/5.0 (audit test)")
    offline = await trail.record(session, actor="system:job", action="job.ran",
                                 entity_type="job", entity_id=1)
    assert (offline.ip, offline.user_agent) == (None, None)
    with trail.use_origin(trail.Origin(ip="203.0.113.9", user_agent="x" * 400)):
        await trail.record_many(session, [{"action": "bulk", "entity_type": "job",
                                           "entity_id": 2}], actor="system:job")
    bulk = await session.scalar(select(AuditEvent).where(AuditEvent.action == "bulk"))
    assert bulk is not None and (bulk.ip, len(bulk.user_agent or "")) == ("203.0.113.9", 300)
