"""Credit decisions on applications, staff overrides of referrals, and accepting an offer.

A decision is recorded with `record_decision`, or many at once with `record_decisions` (the
decision engine's batches), which checks each exactly as `record_decision` does; staff
decide referred applications with `record_staff_decision`, which keeps the engine's trace
inside theirs. An approval or counter-offer is an offer: amount, term and rate checked
against the product and the risk band (`offers.offer_terms`), valid until `expires_on`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import DECISIONS, Status, check_transition, describe
from core.applications.models import Application
from core.applications.moves import Move, move_many
from core.applications.offers import offer_terms
from core.applications.repository import check_time, json_safe, load_application, move
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError
from core.money import Money
from core.products.models import LoanProduct
from core.products.spec import BANDS

OFFER_VALID_DAYS: Final = 30
SIGNING_VALID_DAYS: Final = 14
_OFFERS: Final = frozenset({Status.APPROVED, Status.COUNTER_OFFERED})


def _outcome(value: Status | str) -> Status:
    if isinstance(value, str) and value in DECISIONS:
        return Status(value)
    allowed = ", ".join(sorted(s.value for s in DECISIONS))
    raise ValidationError(f"{value!r} is not a decision; use one of: {allowed}.")


def _band(value: str | None) -> str | None:
    if value is None:
        return None
    band = value.strip().upper()
    if band not in BANDS:
        raise ValidationError(f"{value!r} is not a risk band; use A to E.")
    return band


async def _offer(
    session: AsyncSession, application: Application, outcome: Status, *, band: str | None,
    amount: Money | None, term: int | None, rate: Decimal | None, today: dt.date,
) -> dict[str, Any]:
    if outcome is Status.COUNTER_OFFERED and amount is None and term is None and rate is None:
        raise ValidationError("A counter-offer must change the amount, the term or the rate.")
    if band is None:
        raise ValidationError("An offer needs the risk band it is priced for.")
    product = await session.get(LoanProduct, application.product_id)
    assert product is not None  # a foreign key guarantees it
    terms = offer_terms(
        product, band=band, rate=rate, start_date=today,
        amount=amount or Money.of(application.requested_amount, application.currency),
        term=application.requested_term if term is None else term,
    )
    return {"offered_amount": terms.principal.amount, "offered_term": terms.term,
            "offered_rate": terms.annual_rate}


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """One decision for `record_decisions`: the arguments `record_decision` takes for it."""

    application_id: int
    outcome: Status | str
    trace: Mapping[str, Any]
    offered_amount: Money | None = None
    offered_term: int | None = None
    offered_rate: Decimal | None = None
    risk_band: str | None = None
    expires_on: dt.date | None = None


async def _checked(
    session: AsyncSession, application: Application, record: DecisionRecord, decided: Status,
    *, actor: str, today: dt.date,
) -> dict[str, Any]:
    """The changes `record` makes to `application`, after every check of `record_decision`."""
    check_transition(application.reference, application.status, decided)
    band = _band(record.risk_band) or application.risk_band
    changes: dict[str, Any] = {
        "decision_outcome": decided, "decision_trace": json_safe(record.trace),
        "decided_by": actor, "risk_band": band, "offered_amount": None, "offered_term": None,
        "offered_rate": None, "expires_on": None,
    }
    offer = (record.offered_amount, record.offered_term, record.offered_rate)
    if decided in _OFFERS:
        amount, term, rate = offer
        changes.update(await _offer(session, application, decided, band=band, today=today,
                                    amount=amount, term=term, rate=rate))
        valid_until = record.expires_on or today + dt.timedelta(days=OFFER_VALID_DAYS)
        if valid_until < today:
            raise ValidationError("An offer cannot expire before it is made.")
        changes["expires_on"] = valid_until
    elif (*offer, record.expires_on) != (None, None, None, None):
        raise ValidationError(f"A {decided.value} decision makes no offer; leave the offer out.")
    return changes


async def record_decision(
    session: AsyncSession, *, application_id: int, outcome: Status | str,
    trace: Mapping[str, Any], actor: str, now: dt.datetime, offered_amount: Money | None = None,
    offered_term: int | None = None, offered_rate: Decimal | None = None,
    risk_band: str | None = None, expires_on: dt.date | None = None,
) -> Application:
    """Record a credit decision: APPROVED, DECLINED, REFERRED or COUNTER_OFFERED.

    `trace` (inputs, rule outcomes, score, reasons) is stored as JSON. An approval offers
    the requested amount and term unless `offered_*` say otherwise, at the band's rate
    unless `offered_rate` is given; a counter-offer must change at least one of them. Both
    need a risk band (given, or recorded by an earlier referral) and stay open until
    `expires_on` (default `OFFER_VALID_DAYS` after `now`). DECLINED and REFERRED take no
    offer. Raises InvalidTransition from a status that cannot take this decision,
    ValidationError for an offer outside the product or the band.
    """
    check_time(now)
    record = DecisionRecord(
        application_id=application_id, outcome=outcome, trace=trace,
        offered_amount=offered_amount, offered_term=offered_term, offered_rate=offered_rate,
        risk_band=risk_band, expires_on=expires_on)
    decided = _outcome(outcome)
    application = await load_application(session, application_id, for_update=True)
    changes = await _checked(session, application, record, decided, actor=actor,
                             today=now.date())
    return await move(session, application, decided, actor=actor, now=now, changes=changes)


async def record_decisions(
    session: AsyncSession, *, decisions: Sequence[DecisionRecord], actor: str, now: dt.datetime
) -> list[Application]:
    """Record many credit decisions at once; the applications, in the order given.

    Each decision is checked exactly as `record_decision` checks one, and each application
    ends up as `record_decision` would leave it, with the same audit event. The applications
    are locked with one query (in id order); when every decision has passed, they are
    updated with one executemany UPDATE per set of changed fields (referrals stamp
    `referred_at`, the rest `decided_at`) and their audit events inserted with one statement
    (`moves.move_many`).
    Raises, and writes nothing, if any decision fails: ValidationError (naming the
    application) for a repeated application or anything `record_decision` refuses as
    invalid, NotFoundError for an unknown id, InvalidTransition for an application that
    cannot take its decision.
    """
    check_time(now)
    if not decisions:
        return []
    ids = [record.application_id for record in decisions]
    repeated = [i for i, count in Counter(ids).items() if count > 1]
    if repeated:
        raise ValidationError(f"Application id {repeated[0]} appears twice; record one "
                              "decision per application.")
    found = {a.id: a for a in await session.scalars(
        select(Application).where(Application.id.in_(ids)).order_by(Application.id)
        .with_for_update())}
    moves = []
    for record in decisions:
        application = found.get(record.application_id)
        if application is None:
            raise NotFoundError(f"There is no application with id {record.application_id}.")
        try:
            decided = _outcome(record.outcome)
            changes = await _checked(session, application, record, decided, actor=actor,
                                     today=now.date())
        except ValidationError as error:
            raise ValidationError(f"Application {application.reference}: {error.message}"
                                  ) from None
        moves.append(Move(application, decided, changes))
    await move_many(session, moves, actor=actor, now=now)
    return [move.application for move in moves]


async def record_staff_decision(
    session: AsyncSession, *, application_id: int, outcome: Status | str, reason: str,
    actor: str, now: dt.datetime, offered_amount: Money | None = None,
    offered_term: int | None = None, offered_rate: Decimal | None = None,
    risk_band: str | None = None,
) -> Application:
    """A staff member decides a REFERRED application, giving a reason.

    The stored trace is `{"staff_override": true, "reason", "decided_by", "engine": <the
    engine's trace>}`. Raises InvalidTransition unless the application is referred, and the
    errors of `record_decision`.
    """
    cleaned = " ".join(reason.split())
    if not cleaned:
        raise ValidationError("Give the reason for the decision.")
    application = await load_application(session, application_id, for_update=True)
    if application.status is not Status.REFERRED:
        raise InvalidTransition(
            f"Application {application.reference} {describe(application.status)}; "
            "staff decide only referred applications."
        )
    trace = {"staff_override": True, "reason": cleaned, "decided_by": actor,
             "engine": application.decision_trace}
    return await record_decision(
        session, application_id=application_id, outcome=outcome, trace=trace, actor=actor,
        now=now, offered_amount=offered_amount, offered_term=offered_term,
        offered_rate=offered_rate, risk_band=risk_band,
    )


async def accept_offer(
    session: AsyncSession, *, application_id: int, actor: str, now: dt.datetime,
    channel: str | None = None,
) -> Application:
    """The customer accepts an APPROVED or COUNTER_OFFERED offer before it expires.

    The agreement must then be signed within `SIGNING_VALID_DAYS`. Raises InvalidTransition
    from any other status, ConflictError when the offer has expired.
    """
    check_time(now)
    application = await load_application(session, application_id, for_update=True)
    check_transition(application.reference, application.status, Status.ACCEPTED)
    today = now.date()
    if application.expires_on is not None and application.expires_on < today:
        raise ConflictError(f"The offer on application {application.reference} expired on "
                            f"{application.expires_on:%d %B %Y}.")
    return await move(
        session, application, Status.ACCEPTED, actor=actor, now=now, channel=channel,
        changes={"expires_on": today + dt.timedelta(days=SIGNING_VALID_DAYS)},
    )
