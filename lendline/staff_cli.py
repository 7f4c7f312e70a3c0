"""`lendline create-admin EMAIL --name NAME` and `lendline api-token EMAIL`.

Whoever runs these already holds the database, so they need no sign-in: `create-admin` is how
the first admin of a new installation appears (later staff are added in the console), and
`api-token` prints a personal API token for scripts. Both are audited as `cli:...`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError, ValidationError
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from core.staff.sessions import issue_api_token
from lendline.cli_session import in_transaction
from lendline.settings import Settings


def add_commands(commands: Any) -> None:
    """Register `create-admin` and `api-token` on the CLI's subparsers."""
    admin = commands.add_parser("create-admin", help="create an admin staff user (the first one)")
    admin.add_argument("email")
    admin.add_argument("--name", required=True)
    admin.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input instead of prompting")
    admin.set_defaults(run=_create_admin)

    token = commands.add_parser("api-token", help="print a new personal API token for scripts")
    token.add_argument("email")
    token.add_argument("--label", default="command line")
    token.add_argument("--days", type=int, default=90)
    token.set_defaults(run=_api_token)


async def create_admin(session: AsyncSession, *, email: str, name: str,
                       password: str) -> StaffUser:
    """A new admin; refused like any staff user (duplicate email, short password)."""
    return await create_staff(session, email=email, name=name, role=Role.ADMIN,
                              password=password, actor="cli:create-admin")


async def new_api_token(session: AsyncSession, *, email: str, label: str, days: int,
                        now: dt.datetime) -> str:
    """A personal API token for the active staff user with `email`."""
    user = await session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None or not user.active:
        raise NotFoundError(f"There is no active staff user {email}.")
    if not 1 <= days <= 365:
        raise ValidationError("A token lasts from 1 to 365 days.")
    issued = await issue_api_token(session, user=user, label=label, now=now,
                                   actor="cli:api-token", lifetime=dt.timedelta(days=days))
    return issued.token


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (10 or more characters): ")
    if getpass.getpass("Password again: ") != first:
        raise SystemExit("The two passwords differ; nothing was created.")
    return first


def _create_admin(settings: Settings, args: argparse.Namespace) -> None:
    password = read_password(args.password_stdin)
    user = in_transaction(settings, lambda session: create_admin(
        session, email=args.email, name=args.name, password=password))
    print(f"Created admin {user.email}. Sign in at {settings.base_url}/console.")


def _api_token(settings: Settings, args: argparse.Namespace) -> None:
    token = in_transaction(settings, lambda session: new_api_token(
        session, email=args.email, label=args.label, days=args.days,
        now=dt.datetime.now(dt.UTC)))
    print(token)
