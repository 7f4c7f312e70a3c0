"""The ports the payments service calls out through, implemented elsewhere.

- `ApplyPayment` is implemented by loan servicing: it applies money received to a loan.
- `EventReceived` is implemented by the composition root: it schedules processing of a stored
  event (a background job enqueued in the same transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.money import Money


@dataclass(frozen=True, slots=True)
class PaymentToApply:
    """Money a provider confirmed, ready to be applied to a loan.

    - `loan_id`, `customer_id`: from the payment intent the borrower paid.
    - `amount`: exactly what the provider took; always equal to the intent's amount (a
      mismatch is flagged for staff and never reaches the applier).
    - `idempotency_key`: `"{provider}:{provider_event_id}"`, e.g. `"stripe:evt_1Q..."`; the
      same payment is always offered under the same key.
    - `received_at`: when the provider took the payment (the event's timestamp, UTC); the
      value date for allocation.
    - `provider`, `provider_payment_id`: where the money is, for reconciliation (a Stripe
      PaymentIntent id such as `pi_...`, or the sandbox's `sbx_pay_...`).
    - `intent_reference`: our payment link reference (`pay_...`).
    """

    loan_id: int
    customer_id: int | None
    amount: Money
    idempotency_key: str
    received_at: dt.datetime
    provider: str
    provider_payment_id: str | None
    intent_reference: str


ApplyPayment = Callable[[AsyncSession, PaymentToApply], Awaitable[str]]
"""Apply a confirmed payment to its loan in the caller's transaction; return a reference to
what was recorded (a repayment or journal id), kept on the event.

Contract for implementers: use the given session, `flush()` and never `commit()` (the
payments service commits the application and the event's "processed" mark together, or
neither); raise to refuse, and the event stays unprocessed with the error recorded while the
job retries; treat `idempotency_key` as unique, returning the earlier result for a repeat.
"""

EventReceived = Callable[[AsyncSession, int], Awaitable[None]]
"""Called with the id of a newly stored event that needs processing, inside the transaction
that stored it; it must schedule `process_event` for that id (e.g. enqueue a job)."""
