"""Entry lines as plain values, and the checks every entry passes before it reaches the database.

A `Line` is one debit or one credit of a positive `Money` to one account code, optionally
tagged with the loan it concerns. Build them with `Line.dr(...)` / `Line.cr(...)`; the posting
rules in `core.ledger.rules` return lists of them and `core.ledger.posting` posts them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.errors import UnbalancedEntry, ValidationError
from core.money import Money

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Line:
    """One side of an entry: exactly one of `debit` / `credit`, strictly positive."""

    account: str
    debit: Money | None = None
    credit: Money | None = None
    loan_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "account", str(self.account).strip())
        if not self.account:
            raise ValidationError("Every entry line needs an account code.")
        if (self.debit is None) == (self.credit is None):
            raise ValidationError(
                f"A line on account {self.account} must have either a debit or a credit."
            )
        if not self.amount.is_positive():
            raise ValidationError(
                f"The amount on account {self.account} must be positive, not {self.amount}."
            )

    @classmethod
    def dr(cls, account: str, amount: Money, *, loan_id: int | None = None) -> Line:
        return cls(account, debit=amount, loan_id=loan_id)

    @classmethod
    def cr(cls, account: str, amount: Money, *, loan_id: int | None = None) -> Line:
        return cls(account, credit=amount, loan_id=loan_id)

    @property
    def amount(self) -> Money:
        amount = self.debit if self.debit is not None else self.credit
        assert amount is not None
        return amount

    @property
    def is_debit(self) -> bool:
        return self.debit is not None

    def mirrored(self) -> Line:
        """The same amount on the other side: what a reversal posts."""
        if self.is_debit:
            return Line.cr(self.account, self.amount, loan_id=self.loan_id)
        return Line.dr(self.account, self.amount, loan_id=self.loan_id)


def entry_currency(lines: Sequence[Line]) -> str:
    """The one currency of a set of lines; mixing currencies is refused."""
    currencies = {line.amount.currency for line in lines}
    if len(currencies) != 1:
        raise ValidationError(
            "All lines of an entry must be in one currency, not " + ", ".join(sorted(currencies))
        )
    return currencies.pop()


def check_balanced(lines: Sequence[Line]) -> Money:
    """Refuse fewer than two lines or debits ≠ credits; returns the entry's total."""
    if len(lines) < 2:
        raise UnbalancedEntry(f"An entry needs at least two lines; this one has {len(lines)}.")
    currency = entry_currency(lines)
    debits = sum((line.debit.amount for line in lines if line.debit is not None), ZERO)
    credits = sum((line.credit.amount for line in lines if line.credit is not None), ZERO)
    if debits != credits:
        raise UnbalancedEntry(
            f"Debits ({Money(debits, currency)}) and credits ({Money(credits, currency)}) "
            f"differ by {Money(debits - credits, currency)}; an entry must balance."
        )
    return Money(debits, currency)


def payload_hash(
    *,
    effective_date: dt.date,
    lines: Sequence[Line],
    description: str,
    source_type: str | None,
    source_id: int | None,
    reverses_entry_id: int | None,
) -> str:
    """A digest of everything that makes two postings the same; line order does not matter.

    The digest is of the `repr` of plain tuples of str, int and None: unambiguous (strings
    are quoted) and cheaper to compute than JSON at month-end volumes.
    """
    canonical = sorted(
        (
            line.account,
            line.is_debit,
            str(line.amount.amount),
            line.amount.currency,
            -1 if line.loan_id is None else line.loan_id,
        )
        for line in lines
    )
    payload = (
        effective_date.isoformat(),
        description,
        source_type,
        source_id,
        reverses_entry_id,
        tuple(canonical),
    )
    return hashlib.sha256(repr(payload).encode()).hexdigest()
