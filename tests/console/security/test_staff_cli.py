"""`lendline create-admin`, `lendline api-token`, and the demo's one user per role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.errors import ConflictError, NotFoundError, ValidationError
from core.staff import sessions
from core.staff.models import Role
from core.staff.service import authenticate
from lendline import demo
from lendline.cli import build_parser

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_the_commands_are_wired() -> None:
    parser = build_parser()
    admin = parser.parse_args(["create-admin", "ops@lender.example", "--name", "Ops",
                               "--password-stdin"])
    assert (admin.email, admin.name, admin.password_stdin) == ("ops@lender.example", "Ops", True)
    token = parser.parse_args(["api-token", "ops@lender.example", "--days", "7"])
    assert (token.email, token.label, token.days) == ("ops@lender.example", "command line", 7)


async def test_create_admin_then_a_token_for_scripts(session: AsyncSession) -> None:
    from lendline.staff_cli import create_admin, new_api_token

    admin = await create_admin(session, email="Ops@Lender.example", name="Olu Ops",
                               password="first-admin-password")
    assert (admin.email, admin.role) == ("ops@lender.example", Role.ADMIN)
    assert await authenticate(session, email="ops@lender.example",
                              password="first-admin-password") == admin
    created = await trail.history(session, entity_type="staff_user", entity_id=admin.id)
    assert [(e.actor, e.action) for e in created] == [("cli:create-admin", "staff.created")]
    with pytest.raises(ConflictError, match="already exists"):
        await create_admin(session, email="ops@lender.example", name="Again",
                           password="first-admin-password")
    with pytest.raises(ValidationError, match="10 characters"):
        await create_admin(session, email="two@lender.example", name="Two", password="short")

    token = await new_api_token(session, email="OPS@lender.example", label="nightly report",
                                days=30, now=NOW)
    found = await sessions.resolve(session, token=token, now=NOW + dt.timedelta(days=29))
    assert found is not None and found[1] == admin and found[0].label == "nightly report"
    with pytest.raises(NotFoundError):
        await new_api_token(session, email="ghost@lender.example", label="x", days=30, now=NOW)
    with pytest.raises(ValidationError):
        await new_api_token(session, email="ops@lender.example", label="x", days=400, now=NOW)


def test_the_demo_has_one_user_per_role() -> None:
    assert sorted(role for _, _, role in demo.STAFF) == sorted(Role)
    assert len({email for email, _, _ in demo.STAFF}) == len(Role)
