"""The next best action for one case: its facts, the decision table (`core.collections.nba`)
and contact compliance (`core.compliance`), asked for each channel the plan could use.

The compliance check is a parameter (`ContactCheck`), so the decision can be exercised with
a stand-in; `compliance_check` is the real one. An imported account not linked to one of
our customers has no record compliance could check (time zone, opt-outs, holds), so it is
never contacted automatically: the answer is HOLD until it is linked.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.collections.cases import load_case
from core.collections.models import CaseContact, CollectionCase, PromiseStatus, PromiseToPay
from core.collections.nba import (
    Action,
    CaseFacts,
    NextBestAction,
    PendingPromise,
    Verdict,
    plan,
    resolve,
)
from core.compliance.models import ActorKind, ContactPurpose
from core.compliance.service import check_contact
from core.customers.models import DEFAULT_TIME_ZONE, ContactChannel, Customer
from core.money import Money

UNLINKED = ("The account is not linked to a customer record, so contact rules cannot be "
            "checked; link it to a customer first.")


class ContactCheck(Protocol):
    """May the customer be contacted on `channel` at `at` (by a machine when `automated`)?"""

    async def __call__(
        self, session: AsyncSession, *, customer_id: int, channel: ContactChannel,
        at: dt.datetime, automated: bool,
    ) -> Verdict: ...


async def compliance_check(
    session: AsyncSession, *, customer_id: int, channel: ContactChannel, at: dt.datetime,
    automated: bool,
) -> Verdict:
    """`core.compliance.service.check_contact` for a collections contact."""
    decision = await check_contact(
        session, customer_id=customer_id, channel=channel, purpose=ContactPurpose.COLLECTIONS,
        at=at, actor_kind=ActorKind.AUTOMATED if automated else ActorKind.HUMAN,
    )
    return Verdict(allowed=decision.allowed, reason="; ".join(decision.reasons),
                   next_allowed_at=None if decision.allowed else decision.next_allowed_at)


async def case_facts(
    session: AsyncSession, case: CollectionCase, *, today: dt.date
) -> CaseFacts:
    """What the decision table needs to know about the case on `today`."""
    promise = await session.scalar(select(PromiseToPay).where(
        PromiseToPay.case_id == case.id, PromiseToPay.status == PromiseStatus.PENDING))
    last_outcome = await session.scalar(
        select(CaseContact.outcome).where(CaseContact.case_id == case.id)
        .order_by(CaseContact.at.desc(), CaseContact.id.desc()).limit(1))
    customer = (await session.get(Customer, case.customer_id)
                if case.customer_id is not None else None)
    return CaseFacts(
        state=case.state, bucket=case.bucket, days_past_due=case.days_past_due,
        broken_promises=case.broken_promises,
        pending_promise=None if promise is None else PendingPromise(
            Money.of(promise.amount, promise.currency), promise.promised_date,
            promise.grace_days),
        preferred_channel=customer.preferred_channel if customer is not None else None,
        last_outcome=last_outcome, today=today,
    )


async def next_best_action(
    session: AsyncSession, *, case_id: int, now: dt.datetime,
    check: ContactCheck = compliance_check, time_zone: str = DEFAULT_TIME_ZONE,
) -> NextBestAction:
    """What to do next on the case at `now` (aware), with the reasons, deterministic for the
    same facts. Contact compliance is asked for each channel the plan could use; when it
    allows none the action is HOLD with its reasons and `next_contact_at`. Read-only.
    Raises NotFoundError for an unknown case."""
    case = await load_case(session, case_id)
    facts = await case_facts(session, case, today=now.astimezone(ZoneInfo(time_zone)).date())
    planned = plan(facts)
    if not planned.channels:
        return resolve(planned, {})
    if case.customer_id is None:
        return NextBestAction(Action.HOLD, None, (*planned.reasons, UNLINKED))
    automated = planned.action in (Action.REMINDER_WHATSAPP, Action.REMINDER_SMS)
    verdicts = {}
    for channel in planned.channels:
        verdicts[channel] = await check(
            session, customer_id=case.customer_id, channel=channel, at=now,
            automated=automated)
    return resolve(planned, verdicts)
