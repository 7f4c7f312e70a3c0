"""Shared set-up for the settlement scenarios: a loan in arrears and the staff who make and
approve offers.

The loan: TTD 10,000.00 at 12% over 12 months from 15 January 2024, late fee TTD 25.00
after 5 days' grace, never paid. On 20 March 2024 it is 34 days past due (31–60) and owes
TTD 10,230.69: principal 10,000.00, interest 205.69, one late fee 25.00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.loans.models import Loan
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from tests.integration.servicing_book import open_book, open_loan

OFFER_DAY = dt.date(2024, 3, 20)
BALANCE = "10230.69"
PASSWORD = "settle-password-1"
TABLES = ("settlement_offers", "settlement_instalments", "loans", "loan_instalments",
          "loan_transactions", "journal_entries", "audit_events")


@dataclass(frozen=True)
class Team:
    collector: StaffUser
    collector2: StaffUser
    supervisor: StaffUser
    supervisor2: StaffUser
    admin: StaffUser
    agent: StaffUser


async def team(session: AsyncSession) -> Team:
    people = {}
    for name, role in (("collector", Role.COLLECTOR), ("collector2", Role.COLLECTOR),
                       ("supervisor", Role.SUPERVISOR), ("supervisor2", Role.SUPERVISOR),
                       ("admin", Role.ADMIN), ("agent", Role.AGENT)):
        people[name] = await create_staff(
            session, email=f"{name}@settle.example", name=name.title(), role=role,
            password=PASSWORD, actor="test")
    return Team(**people)


async def arrears_loan(session: AsyncSession) -> Loan:
    book = await open_book(session)
    return await open_loan(session, book, late_fee="25.00", grace_days=5)


async def counts(session: AsyncSession) -> dict[str, int]:
    return {table: int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)
            for table in TABLES}
