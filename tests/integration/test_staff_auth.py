"""Staff users: password hashing, authentication, and the API's token guard."""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import CurrentStaff, require
from admin.permissions import Permission
from core.errors import ConflictError, ValidationError
from core.staff.models import Role, StaffUser
from core.staff.service import authenticate, create_staff, verify_password
from tests.conftest import STAFF_EMAIL, STAFF_PASSWORD


async def test_authenticate_accepts_the_right_password_only(session: AsyncSession, staff) -> None:  # type: ignore[no-untyped-def]
    assert verify_password(STAFF_PASSWORD, staff.password_hash)
    assert staff.password_hash.startswith("$argon2id$")
    assert STAFF_PASSWORD not in staff.password_hash
    assert (
        await authenticate(session, email=STAFF_EMAIL.upper(), password=STAFF_PASSWORD)
    ) == staff
    assert await authenticate(session, email=STAFF_EMAIL, password="wrong-password") is None
    assert await authenticate(session, email="nobody@x.example", password=STAFF_PASSWORD) is None


async def test_an_old_scrypt_hash_still_signs_in_and_is_upgraded(
    session: AsyncSession, staff: StaffUser
) -> None:
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(STAFF_PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1)
    staff.password_hash = (f"scrypt${base64.b64encode(salt).decode()}$"
                           f"{base64.b64encode(digest).decode()}")
    await session.flush()
    assert await authenticate(session, email=STAFF_EMAIL, password="not-the-password") is None
    assert staff.password_hash.startswith("scrypt$")
    assert await authenticate(session, email=STAFF_EMAIL, password=STAFF_PASSWORD) == staff
    assert staff.password_hash.startswith("$argon2id$")
    assert verify_password(STAFF_PASSWORD, staff.password_hash)


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


async def test_health_and_the_token_guard(api: httpx.AsyncClient) -> None:
    router = APIRouter()

    @router.get("/whoami-test")
    async def whoami(
        user: Annotated[StaffUser, Depends(require(Permission.ACCOUNT))],
    ) -> dict[str, str]:
        return {"email": user.email, "role": user.role.value}

    @router.get("/undeclared-test")
    async def undeclared(user: CurrentStaff) -> dict[str, str]:
        return {"email": user.email}

    api._transport.app.include_router(router, prefix="/api/v1")  # type: ignore[attr-defined]
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    me = await api.get("/api/v1/whoami-test")
    assert me.json() == {"email": STAFF_EMAIL, "role": "supervisor"}
    denied = await api.get("/api/v1/whoami-test", auth=(STAFF_EMAIL, "nope"))
    assert (denied.status_code, denied.json()["error"]) == (401, "unauthenticated")
    assert denied.headers["WWW-Authenticate"] == "Bearer"
    async with httpx.AsyncClient(transport=api._transport, base_url="http://test") as plain:
        basic = await plain.get("/api/v1/whoami-test", auth=(STAFF_EMAIL, STAFF_PASSWORD))
    assert basic.status_code == 401
    assert "HTTP Basic with a password is no longer supported" in basic.json()["detail"]
    closed = await api.get("/api/v1/undeclared-test")
    assert closed.status_code == 403
    assert closed.json()["detail"] == ("No permission is declared for GET "
                                       "/api/v1/undeclared-test, so nobody may use it yet.")
