"""The retention policy: what is removed once it is older than the lender needs it.

- Transcripts (messages, their outbox copies, staff notes on the conversation), measured
  from when each was written: the text becomes `REMOVED`; who, when, channel, direction
  and intent stay.
- Uploaded documents, from the application closing (declined, withdrawn, expired) or its
  loan closing: the file is deleted; its name, type, size, hash and review stay.
- Finished background jobs (their arguments hold message bodies), from their last event:
  deleted.
- Web chat sessions, from the chat's last activity: closed and unlinked from the
  browser's token, so the token no longer shows the history.

Records a customer still needs are never touched: nothing of a customer with an active loan
or an open collections case, or one that ended within the retention period, or under a
current legal or dispute hold, is redacted or deleted, nor a conversation waiting for
staff. So a transcript or file is kept for the period after the customer's last loan or
case ended, however old it is itself. Loans, schedules, transactions, the ledger, decisions and
the audit trail are outside the policy altogether. A run is idempotent and writes one audit
event with its counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Final

from sqlalchemy import (
    CursorResult,
    Select,
    Text,
    and_,
    cast,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from core.applications.lifecycle import Status
from core.applications.models import Application, ApplicationDocument
from core.audit import trail
from core.collections.lifecycle import OPEN as OPEN_CASE
from core.collections.models import CollectionCase
from core.compliance.models import ContactHold, HoldType
from core.conversations.models import (
    Channel,
    Conversation,
    ConversationMessage,
    ConversationStatus,
    Escalation,
    EscalationStatus,
    OutboxMessage,
    OutboxStatus,
)
from core.conversations.note_models import ConversationNote
from core.loans.models import Loan, LoanStatus

REMOVED: Final = "[removed under retention policy]"
ACTOR: Final = "system:retention"
TEXT_META: Final = ("heard", "profile_name", "wa_id", "attachments")
"""Message metadata that repeats what was said or who said it; removed with the body."""
EXPIRED_SESSION: Final = "expired-"
_HOLDS: Final = (HoldType.LEGAL, HoldType.DISPUTE)
_CLOSED_APPLICATION: Final = (Status.DECLINED, Status.WITHDRAWN, Status.EXPIRED)
_WAITING: Final = (OutboxStatus.PENDING, OutboxStatus.SENDING)
_FINISHED_JOBS: Final = text("""
    DELETE FROM procrastinate_jobs j
    WHERE j.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
      AND (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) < :cutoff
""")

_LOAN_ENDED: Final = func.coalesce(Loan.closed_on, Loan.disbursed_on)
"""When a loan that is not active ended (a cancelled one has no closing date)."""
_PARTS_WITHOUT_TEXT: Final[ColumnClause[Any]] = literal_column(
    "(SELECT coalesce(jsonb_agg(part.value - 'text' ORDER BY part.ordinality), '[]'::jsonb) "
    "FROM jsonb_array_elements(outbox.parts) WITH ORDINALITY AS part)")
"""The outbox row's parts (provider ids, statuses) without the text each one carried."""


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How many days each kind of record is kept; None keeps it forever."""

    transcripts: int | None = 2555
    documents: int | None = 2555
    finished_jobs: int | None = 30
    web_sessions: int | None = 30

    @classmethod
    def of_days(cls, **days: int) -> RetentionPolicy:
        """A policy from settings-style day counts, where 0 means keep forever."""
        return cls(**{name: value or None for name, value in days.items()})


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one run changed, by kind of record."""

    messages_redacted: int
    outbox_redacted: int
    notes_redacted: int
    documents_removed: int
    jobs_deleted: int
    web_sessions_closed: int


async def apply_retention(
    session: AsyncSession, *, policy: RetentionPolicy, now: dt.datetime, actor: str = ACTOR,
) -> RetentionReport:
    """Redact and delete what is past `policy` at `now` (see the module docstring); a rerun
    at the same `now` changes nothing. Audited as `privacy.retention_applied` with the
    policy and the counts."""
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware.")
    outbox = messages = notes = 0
    if policy.transcripts is not None:
        cutoff = _before(now, policy.transcripts)
        outbox, messages, notes = await _transcripts(session, cutoff,
                                                     held_customers(now, since=cutoff))
    report = RetentionReport(
        messages_redacted=messages, outbox_redacted=outbox, notes_redacted=notes,
        documents_removed=await _documents(session, policy.documents, now),
        jobs_deleted=await _jobs(session, policy.finished_jobs, now),
        web_sessions_closed=await _web_sessions(session, policy.web_sessions, now),
    )
    await trail.record(session, actor=actor, action="privacy.retention_applied",
                       entity_type="retention", entity_id=now.isoformat(),
                       after={"policy_days": asdict(policy), **asdict(report)})
    return report


def held_customers(now: dt.datetime, *, since: dt.datetime) -> Select[tuple[int]]:
    """Customers whose records the policy must not touch at `now`: an active loan or one
    that ended after `since`, an open collections case or one closed after `since`, or a
    current legal or dispute hold."""
    current = [or_(end.is_(None), end > now)
               for end in (ContactHold.ends_at, ContactHold.released_at)]
    held = union(
        select(Loan.customer_id).where(or_(Loan.status == LoanStatus.ACTIVE,
                                           _LOAN_ENDED >= since.date())),
        select(CollectionCase.customer_id).where(
            or_(CollectionCase.state.in_(OPEN_CASE), CollectionCase.closed_on >= since.date()),
            CollectionCase.customer_id.is_not(None)),
        select(ContactHold.customer_id).where(ContactHold.hold_type.in_(_HOLDS),
                                              ContactHold.starts_at <= now, *current),
    ).subquery()
    return select(held.c.customer_id)


def _before(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


async def _bulk(session: AsyncSession, statement: Any) -> int:
    """Run an UPDATE over many rows; the session's loaded objects are not synchronised
    (a retention run works in a session of its own), so no row ids are fetched back."""
    return _rows(await session.execute(
        statement.execution_options(synchronize_session=False)))


def _rows(result: Any) -> int:
    counted: CursorResult[Any] = result
    return counted.rowcount


async def _transcripts(
    session: AsyncSession, cutoff: dt.datetime, held: Select[tuple[int]],
) -> tuple[int, int, int]:
    waiting = exists().where(Escalation.conversation_id == Conversation.id,
                             Escalation.status.in_([EscalationStatus.WAITING,
                                                    EscalationStatus.CLAIMED]))
    conversations = select(Conversation.id).where(
        or_(Conversation.customer_id.is_(None), Conversation.customer_id.not_in(held)),
        not_(waiting))
    due = and_(ConversationMessage.created_at < cutoff, ConversationMessage.body != REMOVED,
               ConversationMessage.conversation_id.in_(conversations))
    outbox = await _bulk(session, update(OutboxMessage).where(
        OutboxMessage.message_id == ConversationMessage.id,
        OutboxMessage.status.not_in(_WAITING), due,
    ).values(body=REMOVED, parts=_PARTS_WITHOUT_TEXT))
    messages = await _bulk(session, update(ConversationMessage).where(
        due, not_(exists().where(OutboxMessage.message_id == ConversationMessage.id,
                                 OutboxMessage.status.in_(_WAITING))),
    ).values(body=REMOVED,
             meta=ConversationMessage.meta.op("-")(cast(array(TEXT_META), ARRAY(Text)))))
    notes = await _bulk(session, update(ConversationNote).where(
        ConversationNote.created_at < cutoff, ConversationNote.body != REMOVED,
        ConversationNote.conversation_id.in_(conversations),
    ).values(body=REMOVED))
    return outbox, messages, notes


async def _documents(session: AsyncSession, days: int | None, now: dt.datetime) -> int:
    if days is None:
        return 0
    cutoff = _before(now, days)
    closed = select(Application.id).where(
        Application.customer_id.not_in(held_customers(now, since=cutoff)),
        or_(and_(Application.status.in_(_CLOSED_APPLICATION),
                 Application.status_changed_at < cutoff),
            exists().where(Loan.application_id == Application.id,
                           Loan.status != LoanStatus.ACTIVE, _LOAN_ENDED < cutoff.date())))
    return await _bulk(session, update(ApplicationDocument).where(
        ApplicationDocument.content.is_not(None), ApplicationDocument.application_id.in_(closed),
    ).values(content=None, content_removed_at=now))


async def _jobs(session: AsyncSession, days: int | None, now: dt.datetime) -> int:
    if days is None:
        return 0
    return _rows(await session.execute(_FINISHED_JOBS, {"cutoff": _before(now, days)}))


async def _web_sessions(session: AsyncSession, days: int | None, now: dt.datetime) -> int:
    if days is None:
        return 0
    return await _bulk(session, update(Conversation).where(
        Conversation.channel == Channel.WEB, Conversation.last_activity_at < _before(now, days),
        Conversation.status != ConversationStatus.ESCALATED,
        not_(Conversation.address.startswith(EXPIRED_SESSION)),
    ).values(status=ConversationStatus.CLOSED, closed_at=func.coalesce(Conversation.closed_at, now),
             address=EXPIRED_SESSION + cast(Conversation.id, Text)))
