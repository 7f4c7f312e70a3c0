"""Reading an account-import CSV: the columns, and each row checked on its own.

The first line names the columns (any order, case and spaces ignored). A file-level fault
(not UTF-8, too big, no header, a missing, unknown or repeated column) refuses the whole file
with a `ValidationError`. Otherwise every row is checked on its own and every bad value is
reported as (line, column, message); a row with any error is left out, the others go on.
Line numbers are the file's own, the header being line 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from core.customers.models import DocumentType
from core.customers.validation import normalise_document_number, normalise_phone
from core.errors import ValidationError
from core.money import DEFAULT_CURRENCY, MINOR_UNITS, Money

MAX_BYTES: Final = 5 * 1024 * 1024
MAX_ROWS: Final = 50_000
MAX_DAYS_PAST_DUE: Final = 3650

COLUMNS: Final = {
    "lender_code": "the lender placing the account; must be the lender the file is imported for",
    "external_reference": "the lender's account reference, unique within the lender",
    "customer_name": "the borrower's full name",
    "principal_outstanding": "principal still owed, e.g. 12500.00",
    "arrears_amount": "the overdue amount; more than zero exactly when days_past_due is",
    "days_past_due": "whole days past due on reported_on",
    "phone": "optional; a phone number, read as Trinidad and Tobago's without a +",
    "national_id": "optional; links the account to our customer with that national ID",
    "currency": f"optional; {DEFAULT_CURRENCY} when empty",
    "last_payment_date": "optional; YYYY-MM-DD, not after the import",
    "last_payment_amount": "optional; needs last_payment_date",
    "product": "optional; the lender's product name",
    "reported_on": "optional; YYYY-MM-DD the figures are as of; the import date when empty",
}
"""Every column with what it holds (the documentation repeats this table)."""
REQUIRED: Final = ("lender_code", "external_reference", "customer_name",
                   "principal_outstanding", "arrears_amount", "days_past_due")

_LENDER = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,19}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,59}$")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    message: str


@dataclass(frozen=True, slots=True)
class AccountRow:
    line: int
    external_reference: str
    customer_name: str
    phone: str | None
    national_id: str | None
    currency: str
    principal_outstanding: Money
    arrears_amount: Money
    days_past_due: int
    reported_on: dt.date
    last_payment_date: dt.date | None
    last_payment_amount: Money | None
    product: str | None


@dataclass(frozen=True, slots=True)
class ParsedFile:
    rows: list[AccountRow]
    errors: list[RowError]
    total: int
    """Data rows read (blank lines not counted)."""


def normalise_lender(code: str) -> str:
    """A lender code: 2 to 20 letters, digits, '-' or '_', upper-cased."""
    cleaned = code.strip().upper()
    if not _LENDER.match(cleaned):
        raise ValidationError(f"{code.strip()!r} is not a lender code (2 to 20 letters, digits, "
                              "'-' or '_').")
    return cleaned


def _header(names: list[str]) -> list[str]:
    header = [re.sub(r"\s+", "_", name.strip().lower()) for name in names]
    repeated = sorted({n for n in header if header.count(n) > 1})
    unknown = [n for n in header if n not in COLUMNS]
    missing = [n for n in REQUIRED if n not in header]
    problems = []
    if repeated:
        problems.append("repeated column(s): " + ", ".join(repeated))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(unknown))
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if problems:
        raise ValidationError("The header line is not usable (" + "; ".join(problems) + "). "
                              "Columns are: " + ", ".join(COLUMNS) + ".")
    return header


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date (YYYY-MM-DD).") from None


def _amount(text: str, currency: str) -> Money:
    amount = Money.of(text, currency)
    if amount.is_negative():
        raise ValidationError(f"{text!r} is negative.")
    return amount


def _days(text: str) -> int:
    if not re.fullmatch(r"\d{1,5}", text) or int(text) > MAX_DAYS_PAST_DUE:
        raise ValidationError(f"{text!r} is not a whole number of days from 0 to "
                              f"{MAX_DAYS_PAST_DUE}.")
    return int(text)


def _text(limit: int) -> Callable[[str], str]:
    def check(text: str) -> str:
        cleaned = " ".join(text.split())
        if len(cleaned) > limit:
            raise ValidationError(f"Longer than {limit} characters.")
        return cleaned
    return check


def _reference(text: str) -> str:
    if not _REFERENCE.match(text):
        raise ValidationError(f"{text!r} is not a reference (up to 60 letters, digits and "
                              "'-', '_', '.', '/').")
    return text


def _currency(text: str) -> str:
    code = text.upper()
    if code not in MINOR_UNITS:
        raise ValidationError(f"{text!r} is not a currency we keep.")
    return code


def check_row(
    values: Mapping[str, str], *, line: int, lender_code: str, today: dt.date
) -> tuple[AccountRow | None, list[RowError]]:
    """One data row's values by column: the account row, or the errors found."""
    errors: list[RowError] = []
    out: dict[str, Any] = {}

    def take(column: str, parse: Callable[[str], Any], *, required: bool = False) -> None:
        text = (values.get(column) or "").strip()
        if not text:
            if required:
                errors.append(RowError(line, column, "A value is required."))
            out[column] = None
            return
        try:
            out[column] = parse(text)
        except ValidationError as error:
            errors.append(RowError(line, column, error.message))

    take("lender_code", normalise_lender, required=True)
    if "lender_code" in out and out["lender_code"] not in (None, lender_code):
        errors.append(RowError(line, "lender_code", f"This file is imported for lender "
                               f"{lender_code}; the row names {out['lender_code']}."))
    take("external_reference", _reference, required=True)
    take("customer_name", _text(200), required=True)
    take("phone", normalise_phone)
    take("national_id", lambda t: normalise_document_number(DocumentType.NATIONAL_ID, t))
    take("currency", _currency)
    currency = out.get("currency") or DEFAULT_CURRENCY
    take("principal_outstanding", lambda t: _amount(t, currency), required=True)
    take("arrears_amount", lambda t: _amount(t, currency), required=True)
    take("days_past_due", _days, required=True)
    take("reported_on", _date)
    take("last_payment_date", _date)
    take("last_payment_amount", lambda t: _amount(t, currency))
    take("product", _text(60))
    _cross_checks(out, errors, line=line, today=today)
    if errors:
        return None, errors
    return AccountRow(
        line=line, external_reference=out["external_reference"],
        customer_name=out["customer_name"], phone=out["phone"],
        national_id=out["national_id"], currency=currency,
        principal_outstanding=out["principal_outstanding"],
        arrears_amount=out["arrears_amount"], days_past_due=out["days_past_due"],
        reported_on=out["reported_on"] or today, last_payment_date=out["last_payment_date"],
        last_payment_amount=out["last_payment_amount"], product=out["product"],
    ), []


def _cross_checks(out: dict[str, Any], errors: list[RowError], *, line: int,
                  today: dt.date) -> None:
    arrears, days = out.get("arrears_amount"), out.get("days_past_due")
    if arrears is not None and days is not None and arrears.is_positive() != (days > 0):
        errors.append(RowError(line, "days_past_due", (
            f"{days} days past due with arrears of {arrears}: an account is past due exactly "
            "when it has arrears.")))
    for column in ("reported_on", "last_payment_date"):
        when = out.get(column)
        if when is not None and when > today:
            errors.append(RowError(line, column, f"{when} is after the import ({today})."))
    paid = out.get("last_payment_amount")
    if paid is not None and not paid.is_positive():
        errors.append(RowError(line, "last_payment_amount", "A payment is more than zero."))
    if paid is not None and out.get("last_payment_date") is None and "last_payment_date" in out:
        errors.append(RowError(line, "last_payment_amount",
                               "A payment amount needs its last_payment_date."))


def parse_accounts(content: bytes, *, lender_code: str, today: dt.date) -> ParsedFile:
    """Check a whole file for `lender_code` (see the module docstring); a reference repeated
    within the file is an error on every line after its first."""
    if len(content) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; "
                              "split it.")
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text; save it as CSV (UTF-8).") from None
    reader = csv.reader(io.StringIO(decoded, newline=""))
    try:
        names = next(reader)
    except StopIteration:
        raise ValidationError(
            "The file is empty; the first line must name the columns.") from None
    except csv.Error as error:
        raise ValidationError(f"The header line is not CSV: {error}.") from None
    header = _header(names)
    rows: list[AccountRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    total, line = 0, reader.line_num
    try:
        for fields in reader:
            start, line = line + 1, reader.line_num
            if not any(f.strip() for f in fields):
                continue
            total += 1
            if total > MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS:,} rows; split it.")
            if len(fields) != len(header):
                errors.append(RowError(start, None, f"The line has {len(fields)} values; the "
                                                    f"header names {len(header)} columns."))
                continue
            row, found = check_row(dict(zip(header, fields, strict=True)), line=start,
                                   lender_code=lender_code, today=today)
            if row is not None and row.external_reference in seen:
                found = [RowError(start, "external_reference", (
                    f"Reference {row.external_reference} is already on line "
                    f"{seen[row.external_reference]} of this file."))]
            elif row is not None:
                seen[row.external_reference] = start
                rows.append(row)
            errors.extend(found)
    except csv.Error as error:
        raise ValidationError(f"Line {reader.line_num} is not valid CSV: {error}.") from None
    return ParsedFile(rows=rows, errors=errors, total=total)
