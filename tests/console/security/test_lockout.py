"""Five failed sign-ins in a row lock an account for thirty minutes."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEvent
from core.staff import lockout
from core.staff.models import Role, StaffUser
from core.staff.service import authenticate, unlock_staff
from tests.console.security.conftest import PASSWORD, sign_in

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


async def actions(session: AsyncSession, user: StaffUser) -> list[str]:
    rows = await session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "staff_user", AuditEvent.entity_id == str(user.id),
        AuditEvent.action != "staff.created").order_by(AuditEvent.id))
    return list(rows)


async def test_the_fifth_wrong_password_locks_for_thirty_minutes(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    agent = people[Role.AGENT]
    for minute in range(4):
        now = T0 + dt.timedelta(minutes=minute)
        assert await authenticate(session, email=agent.email, password="wrong", now=now) is None
    assert (agent.failed_logins, agent.locked_until) == (4, None)
    assert await authenticate(session, email=agent.email, password="wrong",
                              now=T0 + dt.timedelta(minutes=4)) is None
    assert agent.locked_until == T0 + dt.timedelta(minutes=34)
    assert agent.failed_logins == 0
    for minute in (5, 33):
        still = T0 + dt.timedelta(minutes=minute, seconds=59)
        assert await authenticate(session, email=agent.email, password=PASSWORD, now=still) is None
    after = T0 + dt.timedelta(minutes=34)
    assert await authenticate(session, email=agent.email, password=PASSWORD, now=after) == agent
    assert await actions(session, agent) == [
        *["staff.sign_in_failed"] * 5, "staff.locked",
        "staff.sign_in_refused", "staff.sign_in_refused"]
    failed = await session.scalar(select(AuditEvent).where(
        AuditEvent.entity_id == str(agent.id), AuditEvent.action == "staff.sign_in_failed")
        .order_by(AuditEvent.id.desc()).limit(1))
    assert failed is not None and failed.after == {"wrong": "password", "attempt": 5}


async def test_only_a_complete_sign_in_clears_the_count(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    collector = people[Role.COLLECTOR]
    for _ in range(3):
        await authenticate(session, email=collector.email, password="wrong", now=T0)
    assert await authenticate(session, email=collector.email, password=PASSWORD, now=T0)
    assert collector.failed_logins == 3, "the password alone does not clear it (2FA may follow)"
    await lockout.record_sign_in(session, collector, now=T0)
    assert (collector.failed_logins, collector.last_login_at) == (0, T0)


async def test_an_admin_can_unlock_early(session: AsyncSession,
                                         people: dict[Role, StaffUser]) -> None:
    agent = people[Role.AGENT]
    for _ in range(5):
        await authenticate(session, email=agent.email, password="wrong", now=T0)
    assert agent.locked(T0)
    await unlock_staff(session, staff_id=agent.id, actor="staff:1")
    assert not agent.locked(T0)
    assert await authenticate(session, email=agent.email, password=PASSWORD, now=T0) == agent


async def test_unknown_and_inactive_users_are_refused_alike(
    session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    agent = people[Role.AGENT]
    agent.active = False
    assert await authenticate(session, email=agent.email, password=PASSWORD, now=T0) is None
    assert await authenticate(session, email="nobody@console.example", password=PASSWORD,
                              now=T0) is None
    refusals = list(await session.scalars(select(AuditEvent).where(
        AuditEvent.action == "staff.sign_in_refused").order_by(AuditEvent.id)))
    assert [(event.entity_id, event.after) for event in refusals[-2:]] == [
        (str(agent.id), {"email": agent.email, "reason": "inactive"}),
        ("unknown", {"email": "nobody@console.example", "reason": "unknown email"}),
    ]


async def test_the_sign_in_page_locks_after_five_failures(
    browser: httpx.AsyncClient, session: AsyncSession, people: dict[Role, StaffUser]
) -> None:
    underwriter = people[Role.UNDERWRITER]
    for _ in range(5):
        failed = await sign_in(browser, underwriter.email, "not-the-password")
        assert failed.status_code == 401
        assert "locked for 30 minutes after 5 failed attempts" in failed.text
    assert underwriter.locked(dt.datetime.now(dt.UTC))
    refused = await sign_in(browser, underwriter.email, PASSWORD)
    assert refused.status_code == 401, "the right password does not open a locked account"
    assert "__Host-lendline-session" not in refused.headers.get("set-cookie", "")
    assert (await browser.get("/console/account")).status_code == 303
