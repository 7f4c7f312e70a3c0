"""Account-import CSV: file-level refusals and row-by-row checks with line and column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.collections.import_rows import (
    MAX_BYTES,
    RowError,
    check_row,
    normalise_lender,
    parse_accounts,
)
from core.errors import ValidationError

TODAY = dt.date(2024, 6, 1)
HEADER = ("lender_code,external_reference,customer_name,principal_outstanding,arrears_amount,"
          "days_past_due,phone,national_id,last_payment_date,last_payment_amount,product\n")
GOOD = ("ACME,AC-1001,Kavita  Singh,12500.00,1500.00,45,868 555 0123,19900101001,2024-04-02,"
        "250,Car\n")


def parse(body: str, header: str = HEADER) -> tuple[list[str], list[RowError]]:
    parsed = parse_accounts((header + body).encode(), lender_code="ACME", today=TODAY)
    return [row.external_reference for row in parsed.rows], parsed.errors


def test_a_good_row() -> None:
    parsed = parse_accounts((HEADER + GOOD).encode(), lender_code="ACME", today=TODAY)
    (row,) = parsed.rows
    assert parsed.errors == [] and parsed.total == 1
    assert (row.line, row.external_reference, row.customer_name, row.phone, row.national_id) == (
        2, "AC-1001", "Kavita Singh", "+18685550123", "19900101001")
    assert (row.principal_outstanding.amount, row.arrears_amount.amount) == (
        Decimal("12500.00"), Decimal("1500.00"))
    assert (row.days_past_due, row.reported_on, row.currency, row.product) == (
        45, TODAY, "TTD", "Car")
    assert (row.last_payment_date, str(row.last_payment_amount)) == (
        dt.date(2024, 4, 2), "TTD 250.00")


def test_every_bad_value_is_reported_with_line_and_column() -> None:
    body = (GOOD
            + "OTHER,AC-1002,Ravi Maharaj,100,abc,x,12,,2099-01-01,,\n"
            + "ACME,AC 1003,,-5,10.001,3,,,,5,\n")
    references, errors = parse(body)
    assert references == ["AC-1001"]
    assert errors == [
        RowError(3, "lender_code", "This file is imported for lender ACME; the row names OTHER."),
        RowError(3, "phone", "'12' is not a valid phone number."),
        RowError(3, "arrears_amount", "'abc' is not an amount."),
        RowError(3, "days_past_due", "'x' is not a whole number of days from 0 to 3650."),
        RowError(3, "last_payment_date", "2099-01-01 is after the import (2024-06-01)."),
        RowError(4, "external_reference",
                 "'AC 1003' is not a reference (up to 60 letters, digits and '-', '_', '.', '/')."),
        RowError(4, "customer_name", "A value is required."),
        RowError(4, "principal_outstanding", "'-5' is negative."),
        RowError(4, "arrears_amount", "10.001 has more precision than TTD allows; round it first."),
        RowError(4, "last_payment_amount", "A payment amount needs its last_payment_date."),
    ]


def test_arrears_and_days_past_due_must_agree() -> None:
    _, errors = parse("ACME,AC-1,A Person,100,0.00,12\nACME,AC-2,A Person,100,50,0\n"
                      "ACME,AC-3,A Person,100,0,0\n",
                      header="lender_code,external_reference,customer_name,"
                             "principal_outstanding,arrears_amount,days_past_due\n")
    assert [(e.line, e.column) for e in errors] == [(2, "days_past_due"), (3, "days_past_due")]
    assert errors[0].message == ("12 days past due with arrears of TTD 0.00: an account is past "
                                 "due exactly when it has arrears.")


def test_a_repeated_reference_and_a_short_line() -> None:
    references, errors = parse(GOOD + GOOD.replace("Kavita", "K.") + "ACME,AC-9\n\n")
    assert references == ["AC-1001"]
    assert errors == [
        RowError(3, "external_reference", "Reference AC-1001 is already on line 2 of this file."),
        RowError(4, None, "The line has 2 values; the header names 11 columns."),
    ]


def test_line_numbers_follow_quoted_line_breaks() -> None:
    body = 'ACME,AC-1,"Name on\ntwo lines",100,0,0\nACME,AC-2,B,100,x,0\n'
    _, errors = parse(body, header="lender_code,external_reference,customer_name,"
                                   "principal_outstanding,arrears_amount,days_past_due\n")
    assert errors == [RowError(4, "arrears_amount", "'x' is not an amount.")]


def test_headers_are_forgiving_about_case_and_spaces() -> None:
    references, errors = parse("acme,R-1,A B,10,1,1\n", header=(
        "Lender Code,External Reference,Customer Name,Principal Outstanding,Arrears Amount,"
        "Days Past Due\n"))
    assert (references, errors) == (["R-1"], [])


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty; the first line must name the columns."),
    (b"\xff\xfe bad", "The file is not UTF-8 text; save it as CSV (UTF-8)."),
    (b"lender_code,external_reference\n", "The header line is not usable (missing column(s): "
     "customer_name, principal_outstanding, arrears_amount, days_past_due)."),
    ((HEADER.replace("product", "arears")).encode(),
     "The header line is not usable (unknown column(s): arears)."),
    ((HEADER.replace("product", "phone")).encode(),
     "The header line is not usable (repeated column(s): phone)."),
])
def test_unreadable_files_are_refused_whole(content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_accounts(content, lender_code="ACME", today=TODAY)
    assert raised.value.message.startswith(message)


def test_too_big_a_file() -> None:
    with pytest.raises(ValidationError, match="larger than 5 MB"):
        parse_accounts(b"x" * (MAX_BYTES + 1), lender_code="ACME", today=TODAY)


def test_lender_codes() -> None:
    assert normalise_lender(" acme-tt ") == "ACME-TT"
    with pytest.raises(ValidationError, match="is not a lender code"):
        normalise_lender("A")


def test_check_row_alone() -> None:
    row, errors = check_row({"lender_code": "ACME", "external_reference": "Z/9",
                             "customer_name": "Z", "principal_outstanding": "1,000.50",
                             "arrears_amount": "0", "days_past_due": "0", "currency": "usd"},
                            line=7, lender_code="ACME", today=TODAY)
    assert errors == [] and row is not None
    assert (row.line, row.currency, str(row.principal_outstanding)) == (7, "USD", "USD 1,000.50")
