"""Read a bank statement exported as CSV.

Columns are found by header name (any case; spaces and hyphens count as `_`):

| meaning     | accepted headers                                                   |
| ----------- | ------------------------------------------------------------------ |
| date        | date, transaction_date, posting_date, value_date                   |
| description | description, details, narrative, memo, payee, reference            |
| amount      | amount (credits positive, debits negative), or both of:            |
|             | debit / withdrawal / withdrawals / money_out and                   |
|             | credit / deposit / deposits / money_in (one of the two filled)     |
| balance     | balance, running_balance (optional: the balance after the row)     |

Dates: 2025-03-31, 31/03/2025, 31-03-2025, 31 Mar 2025 or 31-Mar-2025 (the day comes first,
as on Trinidad and Tobago statements). Amounts may carry a currency code or $, thousands
separators, a minus sign or parentheses for a debit. Rows are returned oldest first (rows
of one day keep their order). Every bad line is reported; nothing is half-read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from core.errors import ValidationError

MAX_BYTES: Final = 2_000_000
MAX_ROWS: Final = 10_000
_HEADERS: Final = {
    "date": ("date", "transaction_date", "posting_date", "value_date"),
    "description": ("description", "details", "narrative", "memo", "payee", "reference"),
    "amount": ("amount",),
    "debit": ("debit", "withdrawal", "withdrawals", "money_out"),
    "credit": ("credit", "deposit", "deposits", "money_in"),
    "balance": ("balance", "running_balance"),
}
_FORMATS: Final = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %b %Y", "%d-%b-%Y")
_NOISE: Final = re.compile(r"TTD|USD|TT|\$|,|\s")


@dataclass(frozen=True, slots=True)
class Transaction:
    """One statement row: `amount` is positive for money in, negative for money out."""

    line: int
    date: dt.date
    description: str
    amount: Decimal
    balance: Decimal | None


def parse_date(text: str) -> dt.date:
    cleaned = text.strip()
    for layout in _FORMATS:
        try:
            return dt.datetime.strptime(cleaned, layout).date()
        except ValueError:
            continue
    raise ValidationError(f"{text!r} is not a date (use 2025-03-31 or 31/03/2025)")


def parse_amount(text: str) -> Decimal | None:
    """An amount from a cell; None for an empty cell."""
    cleaned = _NOISE.sub("", text.strip().upper())
    if not cleaned:
        return None
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(f"{text!r} is not an amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValidationError(f"{text!r} is not an amount in cents")
    return -value if negative else value


def _columns(header: list[str]) -> dict[str, int]:
    names = [re.sub(r"[\s\-]+", "_", name.strip().lower()) for name in header]
    found = {}
    for meaning, accepted in _HEADERS.items():
        index = next((i for i, name in enumerate(names) if name in accepted), None)
        if index is not None:
            found[meaning] = index
    if "date" not in found or "description" not in found:
        raise ValidationError("The statement needs a date and a description column.")
    if "amount" not in found and not {"debit", "credit"} <= set(found):
        raise ValidationError("The statement needs an amount column, or debit and credit "
                              "columns.")
    return found


def _amount(row: list[str], at: dict[str, int]) -> Decimal:
    if "amount" in at:
        value = parse_amount(row[at["amount"]])
        if value is None:
            raise ValidationError("the amount is empty")
        return value
    debit, credit = parse_amount(row[at["debit"]]), parse_amount(row[at["credit"]])
    if (debit is None) == (credit is None):
        raise ValidationError("fill exactly one of debit and credit")
    return abs(credit) if credit is not None else -abs(debit or Decimal(0))


def parse_statement(csv_text: str) -> list[Transaction]:
    """The statement's transactions, oldest first. ValidationError lists bad lines (up to
    ten) or says what is wrong with the file."""
    if not isinstance(csv_text, str) or not csv_text.strip():
        raise ValidationError("The statement file is empty.")
    if len(csv_text.encode()) > MAX_BYTES:
        raise ValidationError("A statement may be at most 2 MB.")
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    at = _columns(next(reader))
    width = max(at.values()) + 1
    rows: list[Transaction] = []
    problems: list[str] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            raise ValidationError(f"A statement may have at most {MAX_ROWS:,} rows.")
        line = reader.line_num
        try:
            if len(row) < width:
                raise ValidationError(f"{len(row)} cells, expected at least {width}")
            balance = parse_amount(row[at["balance"]]) if "balance" in at else None
            rows.append(Transaction(line, parse_date(row[at["date"]]),
                                    " ".join(row[at["description"]].split()),
                                    _amount(row, at), balance))
        except ValidationError as error:
            problems.append(f"line {line}: {error.message}")
    if problems:
        raise ValidationError("The statement has errors: " + "; ".join(problems[:10]) + ".")
    if not rows:
        raise ValidationError("The statement has no transactions.")
    return sorted(rows, key=lambda t: (t.date, t.line))
