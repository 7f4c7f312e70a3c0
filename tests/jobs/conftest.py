"""The maintenance jobs' test world: services run on the test's connection (their units of
work become savepoints of its rolled-back transaction), and borrowers with loans due.

Port of Spain is UTC−4 all year: Monday 12 February 2024 10:00 there is 14:00 UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.customers.models import ContactChannel, Customer
from core.customers.service import register_customer
from core.ledger.chart import ensure_chart
from core.loans.models import Loan
from core.products.catalogue import PRODUCTS
from core.products.service import create_product
from lendline import jobs
from tests.integration.servicing_book import Book, open_loan

ACTOR = "staff:jobs-test"
LENDER = "Island Credit Union (demo)"
PORT_OF_SPAIN = "America/Port_of_Spain"
START = dt.date(2024, 1, 15)
"""A loan of TTD 10,000 over 12 months at 12% started here is first due Thursday 15 Feb."""


def local(text: str) -> dt.datetime:
    """Port of Spain wall-clock time as UTC."""
    return (dt.datetime.fromisoformat(text) + dt.timedelta(hours=4)).replace(tzinfo=dt.UTC)


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=connection, expire_on_commit=False,
                              join_transaction_mode="create_savepoint")


@pytest.fixture
def worker_db(sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs open their units of work on the test's connection."""
    monkeypatch.setattr(jobs, "_sessions", sessions)


@dataclass
class Lender:
    """The chart and the PERSONAL product, so borrowers can be given loans."""

    session: AsyncSession
    product_id: int | None = None
    count: int = 0

    async def borrower(
        self, first_name: str = "Asha", *, preferred: ContactChannel | None =
        ContactChannel.WHATSAPP, time_zone: str = PORT_OF_SPAIN, start: dt.date = START,
    ) -> tuple[Customer, Loan]:
        """A borrower with SMS and WhatsApp on one number (the first +18685550101), and a
        loan started on `start`."""
        if self.product_id is None:
            await ensure_chart(self.session, actor=ACTOR)
            self.product_id = (await create_product(self.session, spec=PRODUCTS[0],
                                                    actor=ACTOR)).id
        self.count += 1
        phone = f"+1 868 555 {100 + self.count:04d}"  # the fictional 555-01xx range
        customer = await register_customer(
            self.session, first_name=first_name, last_name="Ramdial",
            date_of_birth=dt.date(1988, 7, 2), today=dt.date(2024, 1, 1), actor=ACTOR,
            preferred_channel=preferred, time_zone=time_zone,
            contacts=[(ContactChannel.SMS, phone), (ContactChannel.WHATSAPP, phone)])
        loan = await open_loan(self.session, Book(customer.id, self.product_id), start=start)
        return customer, loan


@pytest.fixture
def lender(session: AsyncSession) -> Lender:
    return Lender(session)
