"""The demo lender seeds through the real services into a consistent, believable book."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.models import Application
from core.collections.models import CollectionCase
from core.crypto import FieldCipher
from core.customers.contacts import find_customer_by_contact
from core.customers.models import ContactChannel, Customer
from core.ledger.chart import AccountCode
from core.ledger.reports import balance_sheet, trial_balance
from core.loans.models import Loan, LoanStatus
from core.loans.subledger import balance_drift, reconcile_subledger
from core.money import Money
from core.staff.models import StaffUser
from core.staff.service import authenticate
from lendline import demo

TODAY = dt.date(2026, 11, 21)
SECRET = "demo-test-secret-" + "z" * 32


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    for limit, name in ((30, "1-30"), (60, "31-60"), (90, "61-90")):
        if days_past_due <= limit:
            return name
    return "90+"


async def test_demo_lender_is_seeded_once_and_consistent(session: AsyncSession) -> None:
    seeded = await demo.seed_if_empty(
        session, cipher=FieldCipher(SECRET), secret=SECRET, lender_name="Demo", today=TODAY
    )
    assert seeded
    again = await demo.seed_if_empty(
        session, cipher=FieldCipher(SECRET), secret=SECRET, lender_name="Demo", today=TODAY
    )
    assert not again

    assert await session.scalar(select(func.count()).select_from(StaffUser)) == len(demo.STAFF)
    assert await authenticate(session, email=demo.STAFF[0][0], password=demo.DEMO_PASSWORD)
    customers = await session.scalar(select(func.count()).select_from(Customer))
    assert customers == len(demo.SCENARIOS) >= 50

    loans = list(await session.scalars(select(Loan)))
    statuses = Counter(loan.status for loan in loans)
    assert statuses[LoanStatus.PAID_OFF] == 2
    assert statuses[LoanStatus.SETTLED] == 2
    assert statuses[LoanStatus.WRITTEN_OFF] == 2
    buckets = Counter(bucket(loan.days_past_due) for loan in loans
                      if loan.status is LoanStatus.ACTIVE)
    assert set(buckets) == {"current", "1-30", "31-60", "61-90", "90+"}
    assert buckets["current"] >= 12

    application_states = {s for s in await session.scalars(select(Application.status))}
    for state in ("draft", "submitted", "approved", "declined", "referred", "counter_offered",
                  "accepted", "contract_signed", "withdrawn", "disbursed"):
        assert state in {str(s) for s in application_states}, state

    first = await find_customer_by_contact(
        session, channel=ContactChannel.WHATSAPP, address="+18685550101"
    )
    assert first is not None and first.first_name == "Asha"

    trial = await trial_balance(session, as_of=TODAY)
    assert trial.net == Money.zero()
    assert trial.total_debit == trial.total_credit
    sheet = await balance_sheet(session, as_of=TODAY)
    assert sheet.balances
    bank = next(row for row in trial.rows if row.code == AccountCode.BANK_OPERATING)
    assert bank.balance.amount > 0, "the lender lends out of paid-in capital"
    allowance = next(row for row in trial.rows
                     if row.code == AccountCode.ALLOWANCE_FOR_LOAN_LOSSES)
    assert allowance.balance.amount <= 0, "provisioning builds the allowance before write-offs"

    cases = list(await session.scalars(select(CollectionCase)))
    in_arrears = [loan for loan in loans if loan.status is LoanStatus.ACTIVE
                  and loan.days_past_due > 0]
    assert len(cases) >= len(in_arrears) > 0
    assert all(case.assigned_to is not None for case in cases)

    reconciliation = await reconcile_subledger(session, as_of=TODAY)
    assert reconciliation.matched, reconciliation.differences
    assert await balance_drift(session) == []
