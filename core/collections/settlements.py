"""Settlement offers: make one, approve it (maker–checker), reject it, accept it.

Following an accepted offer against the payments and closing the loan when it is paid is
`core.collections.settlement_progress`; reading offers is `settlement_queries`. Limits come
from `settlement_policy.json` (see `core.collections.settlement_policy`). Every refusal
raises before anything is written, so a refused request leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.collections.buckets import bucket_for
from core.collections.settlement_models import (
    OPEN_STATUSES,
    OfferKind,
    OfferStatus,
    SettlementInstalment,
    SettlementOffer,
)
from core.collections.settlement_policy import SettlementPolicy, load_settlement_policy
from core.collections.settlement_queries import load_offer, offer_instalments, percent, view
from core.errors import (
    ConflictError,
    InvalidTransition,
    NotFoundError,
    PermissionDenied,
    ValidationError,
)
from core.loans.calendar import Frequency, due_dates
from core.loans.models import Loan, LoanStatus
from core.loans.settlement import owed_total
from core.loans.transactions import up_to_date
from core.money import Money
from core.staff.models import Role, StaffUser


def _article(role: Role) -> str:
    return f"an {role.value}" if role.value[0] in "aeiou" else f"a {role.value}"


async def _staff(session: AsyncSession, staff_id: int) -> StaffUser:
    staff = await session.get(StaffUser, staff_id)
    if staff is None:
        raise NotFoundError(f"There is no staff user {staff_id}.")
    if not staff.active:
        raise PermissionDenied(f"Staff user {staff_id} is not active.")
    return staff


@dataclass(frozen=True, slots=True)
class _Position:
    loan: Loan
    days_past_due: int
    balance: Money


async def _position(session: AsyncSession, loan_id: int, today: dt.date) -> _Position:
    """The loan as servicing through `today` would leave it, worked out and rolled back."""
    async with session.begin_nested() as savepoint:
        loan = await up_to_date(session, loan_id=loan_id, as_of=today)
        if today < loan.accrued_through:
            raise ValidationError(f"Loan {loan.number} has been serviced through "
                                  f"{loan.accrued_through}; an offer cannot be dated {today}.")
        days, balance = loan.days_past_due, owed_total(loan)
        await savepoint.rollback()
    fresh = await session.scalar(select(Loan).where(Loan.id == loan_id)
                                 .execution_options(populate_existing=True))
    assert fresh is not None  # up_to_date found it above
    return _Position(fresh, days, balance)


def _plan(kind: OfferKind, amount: Money, instalments: int, first_due: dt.date,
          frequency: Frequency, today: dt.date, policy: SettlementPolicy) -> list[tuple[dt.date,
                                                                                      Money]]:
    if kind is OfferKind.LUMP_SUM and instalments != 1:
        raise ValidationError("A lump sum is paid in one instalment.")
    if kind is OfferKind.PLAN and not 2 <= instalments <= policy.max_plan_instalments:
        raise ValidationError(f"A payment plan has 2 to {policy.max_plan_instalments} "
                              "instalments.")
    latest = today + dt.timedelta(days=policy.max_days_to_first_payment)
    if not today <= first_due <= latest:
        raise ValidationError(f"The first payment must be due between {today} and {latest}.")
    return list(zip(due_dates(first_due, frequency, instalments, first_due=first_due),
                    amount.split(instalments), strict=True))


async def make_offer(
    session: AsyncSession, *, loan_id: int, staff_id: int, kind: OfferKind, amount: Money,
    first_due_date: dt.date, today: dt.date, instalments: int = 1,
    frequency: Frequency = Frequency.MONTHLY, expires_on: dt.date | None = None,
    note: str | None = None,
) -> SettlementOffer:
    """Offer to settle an ACTIVE loan in arrears for `amount`, as a lump sum due on
    `first_due_date` or a plan of `instalments` payments from it (`amount` split into
    near-equal parts, the larger first, every `frequency` period).

    The balance is what the loan owes after servicing through `today`; the discount is the
    balance less `amount`. Within the maker's own limit for the loan's bucket the offer is
    APPROVED at once; above it, it is PROPOSED until a second person approves it
    (`approve_offer`). The borrower may accept until `expires_on` (by default the policy's
    validity, never after the first due date). Refused, changing nothing:
    `PermissionDenied` for an inactive maker or a role that makes no offers;
    `ConflictError` for a loan not active, not in arrears, or with an open offer;
    `ValidationError` for an amount not above zero or above the balance, a discount above
    every limit, or dates, instalment counts or a note out of range; `NotFoundError` for an
    unknown loan or staff user.
    """
    policy = load_settlement_policy()
    if not isinstance(amount, Money) or not amount.is_positive():
        raise ValidationError(f"A settlement amount must be more than zero, not {amount}.")
    if note is not None and len(note.strip()) > 500:
        raise ValidationError("Keep the note to 500 characters.")
    schedule = _plan(kind, amount, instalments, first_due_date, frequency, today, policy)
    accept_by = expires_on or min(today + dt.timedelta(days=policy.offer_valid_days),
                                  first_due_date)
    if not today <= accept_by <= first_due_date:
        raise ValidationError(f"The borrower must be able to accept between {today} and the "
                              f"first due date, {first_due_date}.")
    maker = await _staff(session, staff_id)
    if not any(maker.role in limits for limits in policy.limits_percent.values()):
        raise PermissionDenied(f"A staff member with the {maker.role.value} role cannot make "
                               "settlement offers.")
    position = await _position(session, loan_id, today)
    loan, balance = position.loan, position.balance
    if loan.status is not LoanStatus.ACTIVE:
        raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}; "
                            "only an active loan can be settled.")
    bucket = bucket_for(position.days_past_due)
    highest = policy.highest(bucket)
    if highest is None:
        raise ConflictError(f"Loan {loan.number} is {bucket.label}; settlement offers are for "
                            "loans in arrears.")
    if amount.currency != loan.currency:
        raise ValidationError(f"Loan {loan.number} is kept in {loan.currency}.")
    if amount > balance:
        raise ValidationError(f"Loan {loan.number} owes {balance} on {today}; a settlement of "
                              f"{amount} is more than that.")
    ratio = (balance - amount).amount / balance.amount
    required = policy.least_role(bucket, ratio)
    if required is None:
        raise ValidationError(f"A discount of {percent(ratio)} on loan {loan.number} is above "
                              f"the {highest}% anyone may grant on loans {bucket.label}.")
    open_offer = await session.scalar(select(SettlementOffer.id).where(
        SettlementOffer.loan_id == loan.id, SettlementOffer.status.in_(OPEN_STATUSES)))
    if open_offer is not None:
        raise ConflictError(f"Loan {loan.number} already has an open settlement offer "
                            f"({open_offer}); close it first.")
    approved = policy.allows(bucket, maker.role, ratio)
    offer = SettlementOffer(
        loan_id=loan.id, customer_id=loan.customer_id, kind=kind,
        status=OfferStatus.APPROVED if approved else OfferStatus.PROPOSED,
        currency=loan.currency, offered_on=today, expires_on=accept_by,
        days_past_due=position.days_past_due, bucket=bucket, balance=balance.amount,
        amount=amount.amount, discount=(balance - amount).amount, frequency=frequency,
        grace_days=policy.grace_days, made_by_staff_id=maker.id, maker_role=maker.role,
        required_role=required, approved_by_staff_id=maker.id if approved else None,
        approved_on=today if approved else None, paid=Decimal(0),
        note=note.strip() if note and note.strip() else None,
    )
    session.add(offer)
    await session.flush()
    session.add_all(SettlementInstalment(offer_id=offer.id, number=number, due_date=due,
                                         amount=part.amount, paid=Decimal(0))
                    for number, (due, part) in enumerate(schedule, start=1))
    await session.flush()
    await trail.record(session, actor=f"staff:{maker.id}", action="settlement.offered",
                       entity_type="settlement_offer", entity_id=offer.id,
                       after={**view(offer), "discount_percent": percent(ratio),
                              "schedule": [(due, part.amount) for due, part in schedule]})
    return offer


def _refuse_transition(offer: SettlementOffer, doing: str) -> InvalidTransition:
    return InvalidTransition(f"Settlement offer {offer.id} is {offer.status.value}; it cannot "
                             f"be {doing}.")


async def approve_offer(session: AsyncSession, *, offer_id: int, staff_id: int,
                        today: dt.date) -> SettlementOffer:
    """Approve a PROPOSED offer as the second person (the checker).

    Refused, changing nothing: `PermissionDenied` for the maker themself, an inactive staff
    member, or one whose limit for the offer's bucket is below its discount (the error names
    the role needed); `InvalidTransition` for an offer that is not PROPOSED;
    `ConflictError` after the offer's acceptance deadline; `NotFoundError`.
    """
    offer = await load_offer(session, offer_id, lock=True)
    checker = await _staff(session, staff_id)
    if offer.status is not OfferStatus.PROPOSED:
        raise _refuse_transition(offer, "approved")
    if checker.id == offer.made_by_staff_id:
        raise PermissionDenied("You made this offer; a second person must approve it.")
    if today > offer.expires_on:
        raise ConflictError(f"Settlement offer {offer.id} could be accepted until "
                            f"{offer.expires_on}; it can no longer be approved.")
    policy = load_settlement_policy()
    if not policy.allows(offer.bucket, checker.role, offer.discount_ratio):
        limit = policy.limit(offer.bucket, checker.role)
        own = "none" if limit is None else percent(limit)
        raise PermissionDenied(
            f"A discount of {percent(offer.discount_ratio)} on a loan {offer.bucket.label} "
            f"needs approval by {_article(offer.required_role)}; the {checker.role.value} "
            f"limit there is {own}.")
    before = view(offer)
    offer.status, offer.approved_by_staff_id, offer.approved_on = (
        OfferStatus.APPROVED, checker.id, today)
    await session.flush()
    await trail.record(session, actor=f"staff:{checker.id}", action="settlement.approved",
                       entity_type="settlement_offer", entity_id=offer.id, before=before,
                       after=view(offer))
    return offer


async def reject_offer(session: AsyncSession, *, offer_id: int, reason: str, actor: str,
                       today: dt.date) -> SettlementOffer:
    """Close a PROPOSED or APPROVED offer: the checker refuses it, the maker withdraws it or
    the borrower declines it. `InvalidTransition` for any other state, `ValidationError`
    for an empty reason or actor."""
    if not reason.strip() or not actor.strip():
        raise ValidationError("Say who rejects the offer and why.")
    offer = await load_offer(session, offer_id, lock=True)
    if offer.status not in {OfferStatus.PROPOSED, OfferStatus.APPROVED}:
        raise _refuse_transition(offer, "rejected")
    before = view(offer)
    offer.status, offer.closed_on = OfferStatus.REJECTED, max(today, offer.offered_on)
    offer.close_reason = reason.strip()[:500]
    await session.flush()
    await trail.record(session, actor=actor.strip(), action="settlement.rejected",
                       entity_type="settlement_offer", entity_id=offer.id, before=before,
                       after=view(offer))
    return offer


async def accept_offer(session: AsyncSession, *, offer_id: int, accepted_on: dt.date, via: str,
                       actor: str) -> SettlementOffer:
    """Record the borrower's acceptance of an APPROVED offer on `accepted_on` (`via` says
    how: "whatsapp chat", "phone call with staff:7"). From then on payments on the loan count
    toward it (`settlement_progress.evaluate_offer`).

    Refused, changing nothing: `InvalidTransition` unless APPROVED (a PROPOSED offer names
    the approval it waits for); `ConflictError` after the acceptance deadline, once the first
    payment date has passed, or for a loan no longer active; `ValidationError` for a date
    before the offer or an empty `via` or actor.
    """
    if not via.strip() or not actor.strip():
        raise ValidationError("Say how the borrower accepted and who records it.")
    offer = await load_offer(session, offer_id, lock=True)
    if offer.status is OfferStatus.PROPOSED:
        raise InvalidTransition(f"Settlement offer {offer.id} still needs approval by "
                                f"{_article(offer.required_role)} before the borrower can "
                                "accept it.")
    if offer.status is not OfferStatus.APPROVED:
        raise _refuse_transition(offer, "accepted")
    if accepted_on < offer.offered_on:
        raise ValidationError(f"The offer was made on {offer.offered_on}; it cannot be "
                              f"accepted on {accepted_on}.")
    if accepted_on > offer.expires_on:
        raise ConflictError(f"Settlement offer {offer.id} could be accepted until "
                            f"{offer.expires_on}.")
    first = (await offer_instalments(session, offer.id))[0]
    if accepted_on > first.due_date:
        raise ConflictError(f"The first payment was due on {first.due_date}; make a new offer.")
    loan = await session.get_one(Loan, offer.loan_id)
    if loan.status is not LoanStatus.ACTIVE:
        raise ConflictError(f"Loan {loan.number} is {loan.status.value.replace('_', ' ')}.")
    before = view(offer)
    offer.status, offer.accepted_on = OfferStatus.ACCEPTED, accepted_on
    offer.accepted_via = via.strip()[:200]
    await session.flush()
    await trail.record(session, actor=actor.strip(), action="settlement.accepted",
                       entity_type="settlement_offer", entity_id=offer.id, before=before,
                       after={**view(offer), "via": offer.accepted_via})
    return offer

