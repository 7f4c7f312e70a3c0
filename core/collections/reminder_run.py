"""Send the day's payment reminders within the contact rules, once per borrower and day.

For each borrower with something due (`core.collections.reminders.reminders_due`):
1. Already reminded that day (a contact attempt keyed `payment-reminder:{customer}:{date}`):
   nothing more.
2. The channels are WhatsApp and SMS, the borrower's preferred one first. A channel is
   usable when contact compliance allows an automated collections contact now
   (`core.compliance.service.check_contact`: an active contact point, channel opt-out,
   hours in the borrower's time zone, caps, cooling-off, holds including disputes), the
   number has not replied STOP, and on WhatsApp the 24-hour window is open or an approved
   template for `payment_reminder` is configured.
3. On the first usable channel the message joins the borrower's conversation on that number
   and is queued to the outbox (purpose `payment_reminder`, the key of its WhatsApp
   template), and the attempt is logged with compliance under the key above, so the caps
   count it and a rerun sends nothing.
4. No usable channel, but one will be before `deadline` (the end of the lender's day) by
   the passing of time alone: DEFERRED until then, nothing written; the caller runs again.
   Otherwise SKIPPED, every reason audited (`collections.reminder_skipped` on entity
   `payment_reminder` `{customer}:{date}`), once per distinct set of reasons.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import trail
from core.audit.models import AuditEvent
from core.collections.reminders import CustomerDue, DueItem, reminder_text, reminders_due
from core.compliance.decision import CHANNEL_NAMES
from core.compliance.models import ActorKind, ContactAttempt, ContactPurpose
from core.compliance.policy import ContactProfile
from core.compliance.service import check_contact, record_contact
from core.conversations.models import Author, Channel
from core.conversations.opt_outs import is_opted_out
from core.conversations.outbox import enqueue_reply
from core.conversations.store import open_conversation
from core.conversations.takeover import reply_window
from core.customers.models import ContactChannel, ContactPoint, Customer
from core.db.session import unit_of_work
from core.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

PURPOSE: Final = "payment_reminder"  # the outbox purpose, and the WhatsApp template's key
ACTOR: Final = "system:reminders"
ENTITY: Final = "payment_reminder"
SKIPPED_ACTION: Final = "collections.reminder_skipped"


class Status(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    DEFERRED = "deferred"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """The lender's reminder settings: `days_before` an instalment's due date to remind
    (0 = on the day), `whatsapp_template` the ContentSid approved for `payment_reminder`."""

    lender_name: str
    time_zone: str
    days_before: tuple[int, ...] = (3, 0)
    whatsapp_template: str | None = None
    batch_size: int = 100
    profile: ContactProfile | None = None

    def deadline(self, as_of: dt.date) -> dt.datetime:
        """The end of `as_of` in the lender's time zone: a reminder not sent by then is
        skipped, not carried into the next day."""
        midnight = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0),
                                       tzinfo=ZoneInfo(self.time_zone))
        return midnight.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class ReminderOutcome:
    customer_id: int
    status: Status
    channel: ContactChannel | None = None
    reasons: tuple[str, ...] = ()
    retry_at: dt.datetime | None = None
    outbox_id: int | None = None


@dataclass
class ReminderReport:
    """What a run did; `retry_at` is the earliest moment a deferred reminder may go."""

    as_of: dt.date
    counts: Counter[Status] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    retry_at: dt.datetime | None = None

    def add(self, outcome: ReminderOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.channel is not None:
            self.channels[outcome.channel.value] += 1
        if outcome.retry_at is not None:
            self.retry_at = min(self.retry_at or outcome.retry_at, outcome.retry_at)

    def summary(self) -> str:
        by_channel = ", ".join(f"{name} {n}" for name, n in sorted(self.channels.items()))
        deferred = (f" until {self.retry_at:%Y-%m-%d %H:%M} UTC"
                    if self.retry_at is not None else "")
        return (f"{self.as_of}: {self.counts[Status.SENT]} sent"
                + (f" ({by_channel})" if by_channel else "")
                + f", {self.counts[Status.ALREADY_SENT]} already sent, "
                f"{self.counts[Status.DEFERRED]} deferred{deferred}, "
                f"{self.counts[Status.SKIPPED]} skipped, {self.failed} failed")


@dataclass(frozen=True, slots=True)
class _Blocked:
    reasons: list[str]
    codes: list[str]
    next_at: dt.datetime | None


def reminder_key(customer_id: int, as_of: dt.date) -> str:
    """The idempotency key of a borrower's reminder for a day (on its contact attempt)."""
    return f"payment-reminder:{customer_id}:{as_of.isoformat()}"


def _channels(preferred: ContactChannel | None) -> list[ContactChannel]:
    messaging = [ContactChannel.WHATSAPP, ContactChannel.SMS]
    return sorted(messaging, key=lambda channel: channel is not preferred)


async def _address(session: AsyncSession, customer_id: int, channel: ContactChannel) -> str:
    address = await session.scalar(
        select(ContactPoint.address)
        .where(ContactPoint.customer_id == customer_id, ContactPoint.channel == channel,
               ContactPoint.active)
        .order_by(ContactPoint.is_primary.desc(), ContactPoint.id).limit(1))
    assert address is not None  # compliance refuses a channel without an active contact point
    return address


async def _usable(session: AsyncSession, customer: Customer, channel: ContactChannel,
                  now: dt.datetime, policy: ReminderPolicy) -> tuple[str | None, _Blocked | None]:
    """The address to remind the customer at on `channel`, or why not and until when."""
    name = CHANNEL_NAMES[channel]
    decision = await check_contact(session, customer_id=customer.id, channel=channel,
                                   purpose=ContactPurpose.COLLECTIONS, at=now,
                                   actor_kind=ActorKind.AUTOMATED, profile=policy.profile)
    if not decision.allowed:
        return None, _Blocked([f"{name}: {reason}" for reason in decision.reasons],
                              [code.value for code in decision.codes], decision.next_allowed_at)
    address = await _address(session, customer.id, channel)
    if await is_opted_out(session, channel=Channel(channel.value), address=address):
        return None, _Blocked([f"{name}: {address} replied STOP, and nothing is sent to it "
                               "until it replies START."], ["number_opted_out"], None)
    if channel is ContactChannel.WHATSAPP:
        window = await reply_window(session, address=address, now=now,
                                    template=policy.whatsapp_template)
        if not window.sendable:
            return None, _Blocked([
                f"{name}: the number has not written in the last 24 hours and no approved "
                f"WhatsApp template is configured for '{PURPOSE}' (LENDLINE_WHATSAPP_TEMPLATES)."
            ], ["whatsapp_window"], None)
    return address, None


def _describe(items: Sequence[DueItem]) -> list[dict[str, Any]]:
    return [{"kind": item.kind, "id": item.ref_id, "reference": item.reference,
             "amount": str(item.amount), "due_date": item.due_date, "held": item.held}
            for item in items]


async def _send(session: AsyncSession, customer: Customer, due: CustomerDue,
                channel: ContactChannel, address: str, *, as_of: dt.date, now: dt.datetime,
                policy: ReminderPolicy) -> ReminderOutcome:
    items = due.live
    text = reminder_text(first_name=customer.first_name, lender_name=policy.lender_name,
                         items=items, as_of=as_of)
    conversation = await open_conversation(session, channel=Channel(channel.value),
                                           address=address, now=now, customer_id=customer.id)
    row = await enqueue_reply(session, conversation=conversation, body=text, now=now,
                              author=Author.SYSTEM, purpose=PURPOSE, intent=PURPOSE)
    loans = sorted({item.loan_id for item in items if item.loan_id is not None})
    references = ", ".join(sorted({item.reference for item in items}))
    attempt = await record_contact(
        session, customer_id=customer.id, channel=channel, purpose=ContactPurpose.COLLECTIONS,
        at=now, actor_kind=ActorKind.AUTOMATED, actor=ACTOR,
        idempotency_key=reminder_key(customer.id, as_of), loan_id=loans[0] if len(loans) == 1
        else None, reference=f"payment reminder: {references}"[:200], profile=policy.profile)
    await trail.record(session, actor=ACTOR, action="collections.reminder_sent",
                       entity_type=ENTITY, entity_id=f"{customer.id}:{as_of}",
                       after={"channel": channel, "outbox_id": row.id, "attempt_id": attempt.id,
                              "items": _describe(due.items)}, channel=channel.value)
    return ReminderOutcome(customer.id, Status.SENT, channel=channel, outbox_id=row.id)


async def _skip(session: AsyncSession, due: CustomerDue, as_of: dt.date, reasons: list[str],
                codes: list[str]) -> ReminderOutcome:
    entity_id = f"{due.customer_id}:{as_of}"
    last = await session.scalar(
        select(AuditEvent.after)
        .where(AuditEvent.entity_type == ENTITY, AuditEvent.entity_id == entity_id,
               AuditEvent.action == SKIPPED_ACTION)
        .order_by(AuditEvent.id.desc()).limit(1))
    if last is None or last.get("codes") != codes:
        await trail.record(session, actor=ACTOR, action=SKIPPED_ACTION, entity_type=ENTITY,
                           entity_id=entity_id, after={"reasons": reasons, "codes": codes,
                                                       "items": _describe(due.items)})
    return ReminderOutcome(due.customer_id, Status.SKIPPED, reasons=tuple(reasons))


async def send_reminder(
    session: AsyncSession, *, due: CustomerDue, as_of: dt.date, now: dt.datetime,
    policy: ReminderPolicy,
) -> ReminderOutcome:
    """Remind one borrower of what is due on `as_of` (the lender's date) at `now` (aware),
    or say why not (see the module docstring). Idempotent for (borrower, day): reminders for
    one borrower are decided one at a time (the customer row is locked). Raises
    `NotFoundError` for an unknown customer."""
    customer = await session.scalar(select(Customer).where(Customer.id == due.customer_id)
                                    .with_for_update(key_share=True))
    if customer is None:
        raise NotFoundError(f"There is no customer with id {due.customer_id}.")
    key = reminder_key(customer.id, as_of)
    if await session.scalar(select(ContactAttempt.id)
                            .where(ContactAttempt.idempotency_key == key)) is not None:
        return ReminderOutcome(customer.id, Status.ALREADY_SENT)
    if not due.live:
        return await _skip(session, due, as_of, [item.held for item in due.items if item.held],
                           ["held_debt"])
    blocked: list[_Blocked] = []
    for channel in _channels(customer.preferred_channel):
        address, why = await _usable(session, customer, channel, now, policy)
        if address is not None:
            return await _send(session, customer, due, channel, address, as_of=as_of, now=now,
                               policy=policy)
        assert why is not None
        blocked.append(why)
    reasons = [reason for why in blocked for reason in why.reasons]
    later = [why.next_at for why in blocked if why.next_at is not None]
    if later and min(later) < policy.deadline(as_of):
        return ReminderOutcome(customer.id, Status.DEFERRED, reasons=tuple(reasons),
                               retry_at=min(later))
    return await _skip(session, due, as_of, reasons,
                       [code for why in blocked for code in why.codes])


async def run_reminders(
    sessions: async_sessionmaker[AsyncSession], *, as_of: dt.date, policy: ReminderPolicy,
    clock: Callable[[], dt.datetime],
) -> ReminderReport:
    """Send every reminder due on `as_of` (`send_reminder` for each borrower). Owns its
    transactions: one to find who is due, then one per `policy.batch_size` borrowers, each
    borrower in a savepoint so a domain error (logged, counted as failed) spares the rest.
    A rerun sends nothing twice; `retry_at` says when deferred reminders may go."""
    async with unit_of_work(sessions) as session:
        due = await reminders_due(session, as_of=as_of, days_before=policy.days_before)
    report = ReminderReport(as_of)
    for start in range(0, len(due), policy.batch_size):
        async with unit_of_work(sessions) as session:
            for customer in due[start:start + policy.batch_size]:
                try:
                    async with session.begin_nested():
                        outcome = await send_reminder(session, due=customer, as_of=as_of,
                                                      now=clock(), policy=policy)
                except DomainError as error:
                    log.warning("Reminder for customer %s on %s failed: %s",
                                customer.customer_id, as_of, error)
                    report.failed += 1
                    continue
                report.add(outcome)
    return report
