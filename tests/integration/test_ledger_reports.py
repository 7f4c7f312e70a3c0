"""Reports and reconciliation over a small worked book of two loans, January and February 2026.

Jan  2  owner puts in 50,000.00                       Dr 1110 / Cr 3100
Jan 10  loan 42: 10,000.00 paid out, 200.00 fee deducted
Jan 10  loan 43: 5,000.00 paid out, 100.00 fee financed
Jan 31  interest accrued: loan 42 150.00, loan 43 60.00
Jan 31  allowance raised from 0.00 to 300.00
Feb  5  loan 43 charged a 100.00 late fee
Feb 10  loan 42 pays 1,000.00: interest 150.00, principal 830.00, overpayment 20.00
Feb 12  provider settles 1,000.00 less a 29.00 fee
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ValidationError
from core.ledger import rules
from core.ledger.chart import AccountCode as C
from core.ledger.chart import ensure_chart
from core.ledger.lines import Line
from core.ledger.posting import EntryDraft, post_entries_batch
from core.ledger.reconcile import (
    LoanDifference,
    gl_balances_by_loan,
    reconcile,
    reconcile_loans,
)
from core.ledger.reports import balance_sheet, income_statement, trial_balance
from core.money import Money
from tests.conftest import check_constraints

JAN_31, FEB_28 = dt.date(2026, 1, 31), dt.date(2026, 2, 28)
SUBLEDGER_CODES = [
    C.LOANS_PRINCIPAL,
    C.INTEREST_RECEIVABLE,
    C.PENALTIES_RECEIVABLE,
    C.CUSTOMER_CREDIT_BALANCES,
]


def m(value: str) -> Money:
    return Money.of(value)


def day(month: int, dom: int) -> dt.date:
    return dt.date(2026, month, dom)


@pytest.fixture
async def book(session: AsyncSession) -> AsyncSession:
    await ensure_chart(session, actor="test")
    drafts = [
        EntryDraft(
            "capital",
            day(1, 2),
            [Line.dr(C.BANK_OPERATING, m("50000.00")), Line.cr(C.OWNER_CAPITAL, m("50000.00"))],
            "Capital",
        ),
        EntryDraft(
            "disburse-42",
            day(1, 10),
            rules.disbursement(loan_id=42, principal=m("10000.00"), deducted_fee=m("200.00")),
            "Disbursement",
        ),
        EntryDraft(
            "disburse-43",
            day(1, 10),
            rules.disbursement(loan_id=43, principal=m("5000.00"), financed_fee=m("100.00")),
            "Disbursement",
        ),
        EntryDraft(
            "accrue-42", JAN_31, rules.interest_accrual(loan_id=42, amount=m("150.00")), "Accrual"
        ),
        EntryDraft(
            "accrue-43", JAN_31, rules.interest_accrual(loan_id=43, amount=m("60.00")), "Accrual"
        ),
        EntryDraft(
            "provision-jan",
            JAN_31,
            rules.provision(current_allowance=m("0.00"), required_allowance=m("300.00")),
            "Provision",
        ),
        EntryDraft(
            "late-43",
            day(2, 5),
            rules.charge(loan_id=43, amount=m("100.00"), kind=rules.ChargeKind.PENALTY),
            "Late fee",
        ),
        EntryDraft(
            "repay-42",
            day(2, 10),
            rules.repayment(
                loan_id=42,
                received=m("1000.00"),
                interest=m("150.00"),
                principal=m("830.00"),
                overpayment=m("20.00"),
            ),
            "Repayment",
        ),
        EntryDraft(
            "settle",
            day(2, 12),
            rules.clearing_settlement(gross=m("1000.00"), provider_fee=m("29.00")),
            "Provider settlement",
        ),
    ]
    await post_entries_batch(session, entries=drafts, actor="test")
    await check_constraints(session)
    return session


def figures(rows) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {row.code: str(row.amount.amount) for row in rows}


async def test_trial_balance_at_the_end_of_january(book: AsyncSession) -> None:
    tb = await trial_balance(book, as_of=JAN_31)
    assert {
        r.code: (str(r.debit.amount), str(r.credit.amount), str(r.balance.amount)) for r in tb.rows
    } == {
        "1110": ("50000.00", "14800.00", "35200.00"),
        "1210": ("15100.00", "0.00", "15100.00"),
        "1220": ("210.00", "0.00", "210.00"),
        "1290": ("0.00", "300.00", "-300.00"),
        "3100": ("0.00", "50000.00", "-50000.00"),
        "4100": ("0.00", "210.00", "-210.00"),
        "4210": ("0.00", "300.00", "-300.00"),
        "5100": ("300.00", "0.00", "300.00"),
    }
    assert tb.total_debit == tb.total_credit == m("65610.00")
    assert tb.net == Money.zero()


async def test_balance_sheet_at_the_end_of_february_balances(book: AsyncSession) -> None:
    sheet = await balance_sheet(book, as_of=FEB_28)
    assert figures(sheet.assets) == {
        "1110": "36171.00",
        "1120": "0.00",
        "1210": "14270.00",
        "1220": "60.00",
        "1240": "100.00",
        "1290": "-300.00",
    }
    assert figures(sheet.liabilities) == {"2100": "20.00"}
    assert figures(sheet.equity) == {"3100": "50000.00"}
    assert sheet.current_earnings == m("281.00")
    assert (sheet.total_assets, sheet.total_liabilities, sheet.total_equity) == (
        m("50301.00"),
        m("20.00"),
        m("50281.00"),
    )
    assert sheet.balances


async def test_income_statement_per_month(book: AsyncSession) -> None:
    january = await income_statement(book, start=day(1, 1), end=JAN_31)
    assert figures(january.income) == {"4100": "210.00", "4210": "300.00"}
    assert figures(january.expenses) == {"5100": "300.00"}
    assert january.net_income == m("210.00")
    february = await income_statement(book, start=day(2, 1), end=FEB_28)
    assert figures(february.income) == {"4300": "100.00"}
    assert figures(february.expenses) == {"5400": "29.00"}
    assert (february.total_income, february.total_expenses, february.net_income) == (
        m("100.00"),
        m("29.00"),
        m("71.00"),
    )
    with pytest.raises(ValidationError, match="cannot end"):
        await income_statement(book, start=FEB_28, end=JAN_31)


async def test_reconciliation_against_the_loan_subledger(book: AsyncSession) -> None:
    subledger = {
        "1210": Decimal("14270.00"),
        "1220": Decimal("60.00"),
        "1240": Decimal("100.00"),
        "2100": Decimal("20.00"),
    }
    result = await reconcile(book, as_of=FEB_28, subledger=subledger)
    assert result.matched and result.differences == ()
    assert (result.lines[0].code, result.lines[0].name) == ("1210", "Loans receivable – principal")
    off = await reconcile(book, as_of=FEB_28, subledger={**subledger, "1210": Decimal("14269.99")})
    assert not off.matched
    assert [(d.code, d.gl, d.subledger, d.difference) for d in off.differences] == [
        ("1210", m("14270.00"), m("14269.99"), m("0.01"))
    ]
    with pytest.raises(ValidationError, match="no account 1299"):
        await reconcile(book, as_of=FEB_28, subledger={"1299": Decimal(0)})
    with pytest.raises(ValidationError, match="more precision"):
        await reconcile(book, as_of=FEB_28, subledger={"1210": Decimal("1.001")})


async def test_balances_by_loan_drill_down_and_per_loan_reconciliation(book: AsyncSession) -> None:
    by_loan = await gl_balances_by_loan(book, account_codes=SUBLEDGER_CODES, as_of=FEB_28)
    assert {
        loan: {code: str(v.amount) for code, v in codes.items()} for loan, codes in by_loan.items()
    } == {
        42: {"1210": "9170.00", "1220": "0.00", "1240": "0.00", "2100": "20.00"},
        43: {"1210": "5100.00", "1220": "60.00", "1240": "100.00", "2100": "0.00"},
    }
    january = await gl_balances_by_loan(book, account_codes=[C.INTEREST_RECEIVABLE], as_of=JAN_31)
    assert january == {42: {"1220": m("150.00")}, 43: {"1220": m("60.00")}}
    servicing = {
        42: {"1210": Decimal("9170.00"), "2100": Decimal("20.00")},
        43: {"1210": Decimal("5100.00"), "1220": Decimal("59.00"), "1240": Decimal("100.00")},
        44: {"1210": Decimal("1.00")},
    }
    assert await reconcile_loans(
        book, as_of=FEB_28, subledger=servicing, account_codes=SUBLEDGER_CODES
    ) == [
        LoanDifference(43, "1220", m("60.00"), m("59.00")),
        LoanDifference(44, "1210", m("0.00"), m("1.00")),
    ]
