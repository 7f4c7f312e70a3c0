"""Provisioning: the allowance for loan losses (1290) held at what the book's arrears require.

The required allowance is the principal outstanding of the ACTIVE loans times a loss rate
for their delinquency bucket, rounded to the cent per bucket. One run compares it with the
GL balance of 1290 as of the date and posts ONE entry for the difference through
`core.ledger.rules.provision` (Dr 5100 / Cr 1290 when it rises, the reverse when it falls).
The run reads the book as serviced: run `run_servicing` through the date first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.buckets import ORDER, Bucket, bucket_sql
from core.errors import ValidationError
from core.ledger import rules
from core.ledger.chart import AccountCode
from core.ledger.models import Account, JournalEntry, JournalLine
from core.ledger.posting import post_entry
from core.money import DEFAULT_CURRENCY, Money

SYSTEM_ACTOR: Final = "system:provisioning"

DEFAULT_LOSS_RATES: Final[Mapping[str, Decimal]] = {
    Bucket.CURRENT.value: Decimal("0.01"),
    Bucket.DPD_1_30.value: Decimal("0.05"),
    Bucket.DPD_31_60.value: Decimal("0.25"),
    Bucket.DPD_61_90.value: Decimal("0.50"),
    Bucket.DPD_90_PLUS.value: Decimal("1.00"),
}
"""The demo lender's loss rates by bucket: a fraction of the principal outstanding expected
to be lost. Illustrative figures, not calibrated on any history; a lender sets its own."""

_EXPOSURE = f"""
SELECT bucket, count(*) AS loans, COALESCE(sum(principal_outstanding), 0) AS principal
FROM (
    SELECT {bucket_sql("dpd")} AS bucket, principal_outstanding
    FROM (
        SELECT l.principal_outstanding,
               COALESCE(GREATEST(CAST(:as_of AS date) - l.oldest_unpaid_due_date, 0), 0) AS dpd
        FROM loans l
        WHERE l.status = 'active' AND l.currency = :currency
    ) x
) b
GROUP BY bucket
"""


@dataclass(frozen=True, slots=True)
class BucketProvision:
    bucket: Bucket
    loans: int
    principal: Money
    rate: Decimal
    required: Money


@dataclass(frozen=True, slots=True)
class ProvisionResult:
    """`previous` is the 1290 credit balance before the run (negative for a debit balance),
    `change` what the entry moved it by (negative: a release). `posted` is false when there
    was nothing to change or the date was already provisioned (`entry_id` is then that
    date's entry, or None)."""

    as_of: dt.date
    buckets: tuple[BucketProvision, ...]
    required: Money
    previous: Money
    change: Money
    entry_id: int | None
    posted: bool


def posting_key(as_of: dt.date) -> str:
    return f"provision:{as_of.isoformat()}"


def _checked_rates(rates: Mapping[str, Decimal] | None) -> dict[Bucket, Decimal]:
    given = dict(DEFAULT_LOSS_RATES if rates is None else rates)
    names = {bucket.value for bucket in ORDER}
    if given.keys() != names:
        raise ValidationError(
            "Loss rates are needed for exactly the buckets " + ", ".join(names)
            + f"; got {', '.join(sorted(given)) or 'none'}."
        )
    for name, rate in given.items():
        if not isinstance(rate, Decimal) or not Decimal(0) <= rate <= Decimal(1):
            raise ValidationError(f"The loss rate for {name} must be between 0 and 1, not {rate}.")
    return {Bucket(name): rate for name, rate in given.items()}


async def allowance_balance(
    session: AsyncSession, *, as_of: dt.date, currency: str = DEFAULT_CURRENCY
) -> Money:
    """The credit balance of 1290 at the end of `as_of` (negative if it is in debit)."""
    balance = await session.scalar(
        select(func.coalesce(func.sum(JournalLine.credit - JournalLine.debit), 0))
        .join(Account, Account.id == JournalLine.account_id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(Account.code == AccountCode.ALLOWANCE_FOR_LOAN_LOSSES.value,
               JournalEntry.effective_date <= as_of, JournalEntry.currency == currency)
    )
    return Money.of(balance or 0, currency)


async def run_provisioning(
    session: AsyncSession,
    *,
    as_of: dt.date,
    actor: str = SYSTEM_ACTOR,
    rates: Mapping[str, Decimal] | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> ProvisionResult:
    """Bring the allowance for loan losses to what the book requires at the end of `as_of`.

    `rates` maps every bucket value ("current", "1-30", "31-60", "61-90", "90+") to a loss
    rate between 0 and 1 (default `DEFAULT_LOSS_RATES`); anything else raises
    `ValidationError` before anything is read. Days past due are counted from each loan's
    oldest unpaid due date to `as_of`. Posts one entry keyed `provision:{as_of}` dated
    `as_of` (source type `provisioning`) and audits `loans.provisioned` with the figures. A
    date is provisioned once: a rerun for it posts nothing, even if the book moved since
    (the next date's run trues the allowance up); so does a run with nothing to change.
    """
    loss_rates = _checked_rates(rates)
    found = {
        Bucket(row.bucket): (int(row.loans), Decimal(row.principal))
        for row in await session.execute(
            text(_EXPOSURE), {"as_of": as_of, "currency": currency}
        )
    }
    buckets = []
    for bucket in ORDER:
        loans, principal = found.get(bucket, (0, Decimal(0)))
        exposure = Money.of(principal, currency)
        buckets.append(BucketProvision(bucket, loans, exposure, loss_rates[bucket],
                                       exposure.times(loss_rates[bucket])))
    required = sum((b.required for b in buckets), Money.zero(currency))
    previous = await allowance_balance(session, as_of=as_of, currency=currency)
    key = posting_key(as_of)
    done = await session.scalar(select(JournalEntry.id).where(JournalEntry.posting_key == key))
    change = Money.zero(currency) if done is not None else required - previous
    result = ProvisionResult(as_of, tuple(buckets), required, previous, change, done,
                             posted=False)
    if not change:
        return result
    # A debit balance (write-offs beyond the allowance) is topped up from zero: the rule
    # takes non-negative balances, and only the difference matters to it.
    overdrawn = max(-previous, Money.zero(currency))
    lines = rules.provision(current_allowance=previous + overdrawn,
                            required_allowance=required + overdrawn)
    entry = await post_entry(
        session, posting_key=key, effective_date=as_of, lines=lines,
        description=f"Provision for loan losses as of {as_of.isoformat()}",
        source_type="provisioning", actor=actor,
    )
    await trail.record(
        session, actor=actor, action="loans.provisioned", entity_type="journal_entry",
        entity_id=entry.id, before={"allowance": previous.amount},
        after={"allowance": required.amount, "change": change.amount, "as_of": as_of,
               "buckets": {b.bucket.value: {"loans": b.loans, "principal": b.principal.amount,
                                            "rate": b.rate, "required": b.required.amount}
                           for b in buckets}},
    )
    return ProvisionResult(as_of, tuple(buckets), required, previous, change, entry.id,
                           posted=True)
