"""Bank statements: reading CSV in its common shapes, and the deterministic analysis of
income, obligations and balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from core.errors import ValidationError
from core.scoring.cashflow import TransactionLabel, analyse, group_key, keyword_label
from core.scoring.statements import parse_statement


def three_months() -> str:
    """March–May 2025: salary on the 25th, a loan on the 1st, a streaming service on the
    10th, groceries every Saturday, and two one-off rows."""
    rows: list[tuple[dt.date, str, D]] = []
    for month in (3, 4, 5):
        rows.append((dt.date(2025, month, 1), f"ABC FINANCE LOAN REPAYMENT {month:04d}", D(-1200)))
        rows.append((dt.date(2025, month, 10), f"NETFLIX.COM {month}77", D("-60.00")))
        rows.append((dt.date(2025, month, 25), "SALARY MINISTRY OF EDUCATION", D(9500)))
    day = dt.date(2025, 3, 1)
    while day <= dt.date(2025, 5, 31):
        rows.append((day, "MASSY SUPERMARKET", D(-400) - day.day))
        day += dt.timedelta(days=7)
    rows.append((dt.date(2025, 4, 12), "POS PURCHASE 8812 KFC", D("-85.50")))
    rows.append((dt.date(2025, 5, 3), "CASH DEPOSIT BRANCH", D(2000)))
    rows.sort(key=lambda r: r[0])
    balance = D(1500)
    lines = ["Date,Description,Amount,Balance"]
    for date, text, amount in rows:
        balance += amount
        lines.append(f"{date:%d/%m/%Y},{text},{amount:.2f},{balance:.2f}")
    return "\n".join(lines) + "\n"


def test_salary_and_recurring_debits_are_found() -> None:
    transactions = parse_statement(three_months())
    result = analyse(transactions)
    assert result.period == ("2025-03-01", "2025-05-31")
    assert [(g.description, g.frequency, g.typical_amount, g.monthly_amount, g.occurrences)
            for g in result.income_sources] == [
        ("salary ministry of", "monthly", D("9500.00"), D("9500.00"), 3)]
    assert [(g.description, g.frequency, g.monthly_amount, g.label) for g in result.obligations
            ] == [("abc finance loan", "monthly", D("1200.00"), TransactionLabel.OBLIGATION),
                  ("netflix com", "monthly", D("60.00"), None)]
    assert (result.monthly_income, result.monthly_obligations) == (D("9500.00"), D("1260.00"))
    unclear = {t.description for t in transactions if t.line in result.unclear}
    assert unclear == {"POS PURCHASE 8812 KFC", "CASH DEPOSIT BRANCH"}


def test_a_labeller_places_unclear_rows() -> None:
    transactions = parse_statement(three_months())
    deposit = next(t for t in transactions if t.description == "CASH DEPOSIT BRANCH")
    result = analyse(transactions, {deposit.line: TransactionLabel.INCOME})
    # 92 days is 92 / 30.4375 months; the one-off deposit counts spread over them.
    expected = D(9500) + (D(2000) / (D(92) / D("30.4375")))
    assert result.monthly_income == expected.quantize(D("0.01"))
    assert deposit.line not in result.unclear


def test_fortnightly_pay_becomes_a_monthly_amount() -> None:
    lines = ["date,details,credit,debit"]
    for week in range(0, 84, 14):
        lines.append(f"{dt.date(2025, 1, 3) + dt.timedelta(days=week)},PAYROLL ACME LTD,4000.00,")
    result = analyse(parse_statement("\n".join(lines)))
    assert [(g.frequency, g.monthly_amount) for g in result.income_sources] == [
        ("fortnightly", D("8666.67"))]
    assert result.minimum_balance is None and result.days_negative == 0


def test_amounts_of_different_size_are_not_one_recurring_income() -> None:
    text = "date,description,amount\n2025-01-05,ACME,1000\n2025-02-05,ACME,3000\n"
    assert analyse(parse_statement(text)).monthly_income == D(0)


def test_balance_behaviour() -> None:
    text = ("Date,Description,Money In,Money Out,Balance\n"
            "01 Mar 2025,Opening deposit,100.00,,100.00\n"
            "02-Mar-2025,Rent,,150.00,-50.00\n"
            "04/03/2025,Salary,250.00,,200.00\n")
    result = analyse(parse_statement(text))
    # End-of-day balances 100, −50, −50 (no rows on the 3rd), 200.
    assert (result.minimum_balance, result.average_balance, result.days_negative) == (
        D("-50.00"), D("50.00"), 2)


def test_amount_formats() -> None:
    text = ('date,description,amount\n2025-01-01,A,"TTD 1,200.50"\n2025-01-02,B,(50.25)\n'
            "2025-01-03,C,$-7\n")
    assert [t.amount for t in parse_statement(text)] == [D("1200.50"), D("-50.25"), D(-7)]


@pytest.mark.parametrize(("text", "message"), [
    ("", "The statement file is empty."),
    ("when,what,amount\n", "needs a date and a description column"),
    ("date,description,balance\n", "needs an amount column, or debit and credit columns"),
    ("date,description,amount\n2025-13-01,X,1\n", "line 2: '2025-13-01' is not a date"),
    ("date,description,amount\n2025-01-01,X,abc\n", "line 2: 'abc' is not an amount"),
    ("date,description,amount\n2025-01-01,X,1.005\n", "line 2: '1.005' is not an amount in cents"),
    ("date,description,debit,credit\n2025-01-01,X,5,6\n",
     "line 2: fill exactly one of debit and credit"),
    ("date,description,amount\n2025-01-01,X\n", "line 2: 2 cells, expected at least 3"),
    ("date,description,amount\n2025-01-01,X,\n", "line 2: the amount is empty"),
    ("date,description,amount\n\n", "The statement has no transactions."),
])
def test_bad_statements_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_statement(text)
    assert message in caught.value.message


def test_every_bad_line_is_listed() -> None:
    text = "date,description,amount\nx,A,1\n2025-01-01,B,1\ny,C,z\n"
    with pytest.raises(ValidationError) as caught:
        parse_statement(text)
    assert caught.value.message == ("The statement has errors: line 2: 'x' is not a date (use "
                                    "2025-03-31 or 31/03/2025); line 4: 'y' is not a date (use "
                                    "2025-03-31 or 31/03/2025).")


def test_keywords_and_grouping() -> None:
    assert keyword_label("MONTHLY RENT PAYMENT") is TransactionLabel.OBLIGATION
    assert keyword_label("Transfer to own account") is TransactionLabel.TRANSFER
    assert keyword_label("TSTT bill") is TransactionLabel.LIVING
    assert keyword_label("Parent") is None
    assert group_key("NETFLIX.COM 377") == group_key("netflix.com 477") == "netflix com"
    assert group_key("12345") == "(no description)"
