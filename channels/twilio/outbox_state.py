"""The states of an SMS or WhatsApp outbox row as Twilio delivers it, in short transactions.

`pending` → `sending` (claimed under a lease) → `sent` (Twilio accepted every part) →
`delivered` → `read`; or `failed`, for good, with `last_error` in words staff can act on, the
failure on the transcript message and in the audit trail. A row only moves forward: a late or
repeated status callback never takes it back. Each part (an SMS split in several messages)
keeps its own provider id and status in `parts`; the row is as far as its least advanced part.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from channels.twilio.failures import UNSUBSCRIBED, describe
from core.audit import trail
from core.conversations import opt_outs
from core.conversations.models import (
    Channel,
    ConversationMessage,
    OutboxMessage,
    OutboxStatus,
)
from core.telemetry import metrics

log = logging.getLogger(__name__)

OUTBOX_LOCK: Final = 0x4F42  # "OB": the namespace of per-conversation claim locks
ACTOR: Final = "system:twilio"
UNFINISHED: Final = (OutboxStatus.PENDING, OutboxStatus.SENDING)
RANK: Final = {OutboxStatus.PENDING: 0, OutboxStatus.SENDING: 0, OutboxStatus.SENT: 1,
               OutboxStatus.DELIVERED: 2, OutboxStatus.READ: 3}
TWILIO_STATUSES: Final = {
    "accepted": OutboxStatus.SENT, "scheduled": OutboxStatus.SENT,
    "queued": OutboxStatus.SENT, "sending": OutboxStatus.SENT, "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED, "read": OutboxStatus.READ,
    "undelivered": OutboxStatus.FAILED, "failed": OutboxStatus.FAILED,
    "canceled": OutboxStatus.FAILED,
}


def new_part(body: str, segments: int | None) -> dict[str, Any]:
    return {"text": body, "segments": segments, "sid": None, "status": OutboxStatus.PENDING.value,
            "error_code": None}


async def due_conversations(
    session: AsyncSession, *, channels: Sequence[Channel], now: dt.datetime, limit: int,
) -> list[int]:
    """Conversations with a row due now (new, retrying, or a lease run out), oldest first."""
    ids = await session.scalars(
        select(OutboxMessage.conversation_id)
        .where(OutboxMessage.status.in_(UNFINISHED), OutboxMessage.next_attempt_at <= now,
               OutboxMessage.channel.in_(channels))
        .group_by(OutboxMessage.conversation_id)
        .order_by(func.min(OutboxMessage.id))
        .limit(limit)
    )
    return list(ids)


async def claim_next(
    session: AsyncSession, *, conversation_id: int, channels: Sequence[Channel],
    now: dt.datetime, lease: dt.timedelta,
) -> OutboxMessage | None:
    """Claim the conversation's oldest unfinished row if it is due: it becomes `sending` until
    `now + lease`, one attempt more. None when there is nothing due, or when the oldest row is
    already being sent or waiting to be retried: rows go out in order.

    Claims of one conversation are serialised by a transaction-level advisory lock, so a
    claimer sees the rows another has just claimed; the lease keeps them off every other
    sender until it runs out (a sender that died while sending).
    """
    await session.execute(
        text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:key))"),
        {"space": OUTBOX_LOCK, "key": str(conversation_id)})
    head = await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.conversation_id == conversation_id,
               OutboxMessage.channel.in_(channels), OutboxMessage.status.in_(UNFINISHED))
        .order_by(OutboxMessage.id).limit(1)
        .with_for_update().execution_options(populate_existing=True)
    )
    if head is None or head.next_attempt_at > now:
        return None
    head.status = OutboxStatus.SENDING
    head.attempts += 1
    head.next_attempt_at = now + lease
    await session.flush()
    return head


async def _locked(session: AsyncSession, outbox_id: int) -> OutboxMessage | None:
    return await session.scalar(
        select(OutboxMessage).where(OutboxMessage.id == outbox_id)
        .with_for_update().execution_options(populate_existing=True))


def _holds(row: OutboxMessage, attempt: int) -> bool:
    return row.status is OutboxStatus.SENDING and row.attempts == attempt


async def record_part(
    session: AsyncSession, *, outbox_id: int, index: int, sid: str, attempt: int,
    now: dt.datetime, lease: dt.timedelta,
) -> bool:
    """Record that Twilio accepted part `index` as `sid`; True while the claim of `attempt` is
    still the sender's to continue (its lease renewed), False when the row has moved on."""
    row = await _locked(session, outbox_id)
    if row is None:
        return False
    parts = [dict(part) for part in row.parts]
    part = parts[index]
    if part["sid"] not in (None, sid):
        log.error("Outbox %s part %s was sent twice: %s and %s", outbox_id, index, part["sid"], sid)
    elif part["sid"] is None:
        part["sid"] = sid
        if part["status"] == OutboxStatus.PENDING.value:
            part["status"] = OutboxStatus.SENT.value
    if index == 0:
        row.provider_message_id = part["sid"]
    row.parts = parts
    ours = _holds(row, attempt)
    if ours:
        row.next_attempt_at = now + lease
    await settle(session, row, now=now)
    return ours and row.status is OutboxStatus.SENDING


async def retry_later(
    session: AsyncSession, *, outbox_id: int, attempt: int, reason: str, code: int | None,
    at: dt.datetime, max_attempts: int, now: dt.datetime,
) -> dt.datetime | None:
    """Put the claimed row back to wait until `at`, or fail it when it has had `max_attempts`;
    the time of the next attempt, or None when there is none (failed, or no longer ours)."""
    row = await _locked(session, outbox_id)
    if row is None or not _holds(row, attempt):
        return None
    if attempt >= max_attempts:
        await fail(session, row, reason=f"Gave up after {attempt} attempts: {reason}",
                   code=code, now=now)
        return None
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = at
    row.last_error = (f"{reason}. Attempt {attempt} of {max_attempts}; trying again at "
                      f"{at.astimezone(dt.UTC):%H:%M:%S} UTC.")
    row.error_code = code
    await session.flush()
    return at


async def fail_claimed(
    session: AsyncSession, *, outbox_id: int, attempt: int, reason: str, code: int | None,
    now: dt.datetime,
) -> None:
    """Fail the row the sender claimed with `attempt`, unless it has moved on since."""
    row = await _locked(session, outbox_id)
    if row is not None and _holds(row, attempt):
        await fail(session, row, reason=reason, code=code, now=now)


async def fail(
    session: AsyncSession, row: OutboxMessage, *, reason: str, code: int | None,
    now: dt.datetime,
) -> None:
    """Fail the row for good where staff see it: its `last_error`, the transcript message's
    `meta["delivery"]` and the audit trail; and count it (`lendline_outbox_delivery_failures`).
    Twilio's 21610 (the recipient replied STOP to the carrier) also records the number's
    opt-out."""
    before = row.status.value
    row.status = OutboxStatus.FAILED
    metrics.count_delivery_failure(row.channel.value)
    row.last_error = reason
    row.error_code = code
    message = await session.get(ConversationMessage, row.message_id)
    if message is not None:
        message.meta = {**message.meta, "delivery": {"status": "failed", "error": reason}}
    if code == UNSUBSCRIBED:
        await opt_outs.set_opt_out(session, channel=row.channel, address=row.address,
                                   opted_out=True, keyword="STOP", now=now)
    await session.flush()
    await trail.record(
        session, actor=ACTOR, action="message.delivery_failed", entity_type="outbox",
        entity_id=row.id, before={"status": before},
        after={"status": "failed", "error": reason, "error_code": code},
        channel=row.channel.value,
    )


async def settle(session: AsyncSession, row: OutboxMessage, *, now: dt.datetime) -> None:
    """Move the row as far as its parts have gone: failed when any part failed, else to the
    least advanced part's status once every part is accepted; never backwards."""
    if row.status is OutboxStatus.FAILED or not row.parts:
        return
    failed = [index for index, part in enumerate(row.parts) if part["status"] == "failed"]
    if failed:
        code = row.parts[failed[0]]["error_code"]
        which = f"Part {failed[0] + 1} of {len(row.parts)} was not" if len(row.parts) > 1 \
            else "Not"
        await fail(session, row, reason=f"{which} delivered: {describe(code)}", code=code,
                   now=now)
        return
    if any(part["sid"] is None for part in row.parts):
        return
    reached = min((OutboxStatus(part["status"]) for part in row.parts), key=RANK.__getitem__)
    if RANK[reached] > RANK[row.status]:
        if RANK[row.status] == 0:
            row.sent_at, row.last_error, row.error_code = now, None, None
        row.status = reached
    await session.flush()


async def apply_callback(
    session: AsyncSession, *, sid: str, status: str, error_code: int | None,
    outbox_id: int | None, part: int | None, now: dt.datetime,
) -> bool:
    """Apply one of Twilio's status callbacks; False when it is about no message of ours or
    a status we do not follow (ignored).

    The callback URL names the row and part, so a message Twilio accepted but whose sid was
    never recorded (a timeout, a sender that died) is recognised and adopted here: it is not
    sent again.
    """
    reached = TWILIO_STATUSES.get(status.strip().lower())
    if reached is None:
        return False
    row, index = None, None
    if outbox_id is not None and part is not None:
        row = await _locked(session, outbox_id)
        if row is not None and part < len(row.parts) and row.parts[part]["sid"] in (None, sid):
            index = part
    if index is None:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.provider_message_id == sid)
            .with_for_update().execution_options(populate_existing=True))
        index = 0
    if row is None or index >= len(row.parts):
        return False
    parts = [dict(item) for item in row.parts]
    current = parts[index]
    if current["sid"] is None:
        log.info("Outbox %s part %s adopted Twilio message %s from its status callback",
                 row.id, index, sid)
        current["sid"] = sid
        if index == 0:
            row.provider_message_id = sid
    was = OutboxStatus(current["status"])
    if reached is OutboxStatus.FAILED:
        if was not in (OutboxStatus.DELIVERED, OutboxStatus.READ, OutboxStatus.FAILED):
            current["status"], current["error_code"] = reached.value, error_code
    elif was is not OutboxStatus.FAILED and RANK[reached] > RANK[was]:
        current["status"] = reached.value
    row.parts = parts
    await settle(session, row, now=now)
    return True
