"""Staff users: password hashing, authentication, and the API's HTTP Basic guard."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import CurrentStaff
from core.errors import ConflictError, ValidationError
from core.staff.models import Role
from core.staff.service import authenticate, create_staff, verify_password
from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD


async def test_authenticate_accepts_the_right_password_only(session: AsyncSession, staff) -> None:  # type: ignore[no-untyped-def]
    assert verify_password(STAFF_PASSWORD, staff.password_hash)
    assert staff.password_hash.startswith("scrypt$")
    assert STAFF_PASSWORD not in staff.password_hash
    assert (
        await authenticate(session, email=STAFF_EMAIL.upper(), password=STAFF_PASSWORD)
    ) == staff
    assert await authenticate(session, email=STAFF_EMAIL, password="wrong-password") is None
    assert await authenticate(session, email="nobody@x.example", password=STAFF_PASSWORD) is None


async def test_bad_staff_input_is_refused(session: AsyncSession, staff) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConflictError, match="already exists"):
        await create_staff(
            session,
            email=STAFF_EMAIL,
            name="Dup",
            role=Role.AGENT,
            password="long-enough-pw",
            actor="test",
        )
    with pytest.raises(ValidationError, match="10 characters"):
        await create_staff(
            session,
            email="new@x.example",
            name="N",
            role=Role.AGENT,
            password="short",
            actor="test",
        )
    with pytest.raises(ValidationError, match="not an email"):
        await create_staff(
            session,
            email="no-at-sign",
            name="N",
            role=Role.AGENT,
            password="long-enough-pw",
            actor="test",
        )


async def test_health_and_basic_auth_guard(api: httpx.AsyncClient) -> None:
    router = APIRouter()

    @router.get("/whoami-test")
    async def whoami(user: CurrentStaff) -> dict[str, str]:
        return {"email": user.email, "role": user.role.value}

    api._transport.app.include_router(router, prefix="/api/v1")  # type: ignore[attr-defined]
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    me = await api.get("/api/v1/whoami-test")
    assert me.json() == {"email": STAFF_EMAIL, "role": "supervisor"}
    denied = await api.get("/api/v1/whoami-test", auth=(STAFF_EMAIL, "nope"))
    assert denied.status_code == 401
