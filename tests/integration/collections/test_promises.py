"""Promises to pay: the checks when one is made, kept or broken at the edges of the grace
days, broken promises counted once, and a second evaluation that changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.cases import load_case, transition_case
from core.collections.delinquency import run_delinquency
from core.collections.lifecycle import CaseState
from core.collections.models import CollectionCase, PromiseStatus, PromiseToPay
from core.collections.promises import (
    cancel_promise,
    create_promise,
    evaluate_case_promises,
    evaluate_promises,
)
from core.errors import ConflictError, DomainError, NotFoundError, ValidationError
from core.loans.models import Loan
from core.loans.repayment import record_repayment
from core.loans.servicing import run_servicing
from core.money import Money
from tests.integration.collections.helpers import (
    ACTOR,
    actions,
    case_of,
    counts,
    month_end_loans,
)
from tests.integration.servicing_book import m

D = dt.date
MADE = D(2024, 2, 10)
"""10 days past due: TTD 888.49 in arrears, the next instalment (888.49) due 29 February."""
PROMISED = D(2024, 2, 20)


async def promised(session: AsyncSession, *, amount: str = "888.49",
                   date: dt.date = PROMISED, grace: int = 3,
                   ) -> tuple[Loan, CollectionCase, PromiseToPay]:
    (loan,) = await month_end_loans(session)
    await run_delinquency(session, as_of=MADE, actor=ACTOR)
    case = await case_of(session, loan_id=loan.id)
    assert case is not None
    promise = await create_promise(session, case_id=case.id, amount=m(amount),
                                   promised_date=date, grace_days=grace, today=MADE, actor=ACTOR)
    return loan, case, promise


async def pay(session: AsyncSession, loan: Loan, amount: str, on: dt.date, key: str) -> None:
    await run_servicing(session, as_of=on, actor=ACTOR)
    await record_repayment(session, loan_id=loan.id, amount=m(amount), paid_on=on,
                           idempotency_key=key, actor=ACTOR)


async def status_of(session: AsyncSession, promise: PromiseToPay) -> PromiseToPay:
    await session.refresh(promise)
    return promise


async def test_paid_on_the_last_day_of_grace_is_kept(session: AsyncSession) -> None:
    loan, case, promise = await promised(session)
    await pay(session, loan, "888.49", D(2024, 2, 23), "last-grace-day")
    early = await evaluate_promises(session, as_of=D(2024, 2, 22), actor=ACTOR)
    assert early.decided == ()  # the payment is dated later than the evaluation
    kept = await evaluate_promises(session, as_of=D(2024, 2, 23), actor=ACTOR)
    assert (kept.kept, kept.broken) == (1, 0)
    promise = await status_of(session, promise)
    assert (promise.status, promise.paid_amount, promise.evaluated_on) == (
        PromiseStatus.KEPT, Decimal("888.49"), D(2024, 2, 23))
    assert (await load_case(session, case.id)).broken_promises == 0
    again = await evaluate_promises(session, as_of=D(2024, 3, 10), actor=ACTOR)
    assert again.decided == ()
    assert await actions(session, "collection_case", case.id) == [
        "collections.case_opened", "collections.promise_made", "collections.promise_kept"]


async def test_paid_a_day_after_the_grace_is_broken(session: AsyncSession) -> None:
    loan, case, promise = await promised(session)
    assert (await evaluate_promises(session, as_of=D(2024, 2, 23), actor=ACTOR)).decided == ()
    await pay(session, loan, "888.49", D(2024, 2, 24), "too-late")
    broken = await evaluate_promises(session, as_of=D(2024, 2, 24), actor=ACTOR)
    assert broken.decided == ((promise.id, PromiseStatus.BROKEN),)
    promise = await status_of(session, promise)
    assert (promise.status, promise.paid_amount) == (PromiseStatus.BROKEN, Decimal("0.00"))
    assert (await load_case(session, case.id)).broken_promises == 1
    rerun = await evaluate_promises(session, as_of=D(2024, 2, 24), actor=ACTOR)
    assert rerun.decided == ()
    assert (await load_case(session, case.id)).broken_promises == 1


async def test_a_part_payment_is_not_enough(session: AsyncSession) -> None:
    loan, case, promise = await promised(session, amount="800.00", grace=0)
    await pay(session, loan, "500.00", D(2024, 2, 15), "part")
    await pay(session, loan, "299.99", D(2024, 2, 20), "rest-but-a-cent")
    result = await evaluate_case_promises(session, case_id=case.id, as_of=D(2024, 2, 21),
                                          actor=ACTOR)
    assert result.broken == 1
    promise = await status_of(session, promise)
    assert promise.paid_amount == Decimal("799.99")
    # 1–30, the run's TTD 888.49 in arrears, one broken promise, never contacted
    assert (await load_case(session, case.id)).priority == 10 + 5 + 10 + 10


async def test_kept_early_when_covered_before_the_date(session: AsyncSession) -> None:
    loan, case, promise = await promised(session, amount="400.00")
    await pay(session, loan, "250.00", D(2024, 2, 12), "first")
    await pay(session, loan, "150.00", D(2024, 2, 14), "second")
    result = await evaluate_case_promises(session, case_id=case.id, as_of=D(2024, 2, 14),
                                          actor=ACTOR)
    assert result.decided == ((promise.id, PromiseStatus.KEPT),)


async def test_the_daily_run_judges_promises(session: AsyncSession) -> None:
    _, case, promise = await promised(session, date=D(2024, 2, 12), grace=0)
    result = await run_delinquency(session, as_of=D(2024, 2, 13), actor=ACTOR)
    assert result.promises.decided == ((promise.id, PromiseStatus.BROKEN),)
    assert result.cases.rescored == 1
    refreshed = await load_case(session, case.id)
    assert (refreshed.broken_promises, refreshed.priority) == (1, 10 + 5 + 10 + 10)


async def test_bad_promises_change_nothing(session: AsyncSession) -> None:
    _, case, _ = await promised(session)
    before = await counts(session)
    cases: list[tuple[dict[str, Any], type[DomainError], str]] = [
        ({"amount": m("0.00")}, ValidationError, "A promise must be for more than zero"),
        ({"amount": Money.of("10", "USD")}, ValidationError, "is in TTD, not USD"),
        ({"promised_date": D(2024, 2, 9)}, ValidationError,
         "A promise must be dated from today (10 February 2024) to 11 March 2024 (30 days); "
         "09 February 2024 is outside that."),
        ({"promised_date": D(2024, 3, 12)}, ValidationError, "12 March 2024 is outside that."),
        ({"grace_days": 11}, ValidationError, "Grace days must be 0 to 10, not 11."),
        ({"amount": m("1776.99")}, ValidationError,
         "A promise of TTD 1,776.99 is more than the TTD 1,776.98 owed now plus the next "
         "instalment."),
        ({}, ConflictError, "already a promise of TTD 888.49 due 20 February 2024"),
    ]
    for changes, error, message in cases:
        kwargs: dict[str, Any] = {"amount": m("100.00"), "promised_date": D(2024, 2, 25),
                                  "grace_days": 3, **changes}
        with pytest.raises(error) as raised:
            await create_promise(session, case_id=case.id, today=MADE, actor=ACTOR, **kwargs)
        assert message in raised.value.message
    with pytest.raises(NotFoundError):
        await create_promise(session, case_id=0, amount=m("1"), promised_date=MADE, today=MADE,
                             actor=ACTOR)
    assert await counts(session) == before


async def test_cancel_then_promise_again_but_not_while_disputed(session: AsyncSession) -> None:
    _, case, promise = await promised(session)
    with pytest.raises(ValidationError, match="Say why"):
        await cancel_promise(session, case_id=case.id, promise_id=promise.id, reason=" ",
                             actor=ACTOR)
    with pytest.raises(NotFoundError):
        await cancel_promise(session, case_id=case.id + 1, promise_id=promise.id, reason="x",
                             actor=ACTOR)
    cancelled = await cancel_promise(session, case_id=case.id, promise_id=promise.id,
                                     reason="asked for a later date", actor=ACTOR)
    assert cancelled.status is PromiseStatus.CANCELLED
    with pytest.raises(ConflictError, match="only a pending promise can be cancelled"):
        await cancel_promise(session, case_id=case.id, promise_id=promise.id, reason="again",
                             actor=ACTOR)
    later = await create_promise(session, case_id=case.id, amount=m("1776.98"),
                                 promised_date=D(2024, 3, 1), today=MADE, actor=ACTOR)
    assert later.status is PromiseStatus.PENDING
    await cancel_promise(session, case_id=case.id, promise_id=later.id, reason="disputed",
                         actor=ACTOR)
    await transition_case(session, case_id=case.id, target=CaseState.DISPUTED, actor=ACTOR,
                          now=dt.datetime(2024, 2, 10, 15, tzinfo=dt.UTC),
                          reason="says the loan was repaid")
    with pytest.raises(ConflictError, match="is disputed; it takes no promises"):
        await create_promise(session, case_id=case.id, amount=m("100.00"),
                             promised_date=D(2024, 2, 20), today=MADE, actor=ACTOR)
