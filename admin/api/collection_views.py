"""Request and response bodies of the collections API. Amounts travel as strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from core.audit.models import AuditEvent
from core.collections.accounts import ImportReport
from core.collections.assignment import OfficerLoad
from core.collections.buckets import Bucket
from core.collections.cases import CaseDetail, QueueLine
from core.collections.delinquency import DelinquencyResult
from core.collections.lifecycle import CaseState, CloseReason
from core.collections.models import (
    CaseContact,
    CaseNote,
    CollectionCase,
    ContactDirection,
    ContactOutcome,
    PromiseStatus,
    PromiseToPay,
)
from core.collections.nba import Action, NextBestAction
from core.collections.reports import PortfolioAtRisk
from core.customers.models import ContactChannel


class RunIn(BaseModel):
    as_of: dt.date | None = Field(default=None, description="Today (lender's time zone) if empty.")


class RunOut(BaseModel):
    as_of: dt.date
    changed: bool
    snapshot_rows_written: int
    cases_opened: int
    cases_moved: int
    cases_closed: int
    cases_rescored: int
    promises_kept: int
    promises_broken: int
    loans_behind_servicing: int
    par: PortfolioAtRisk

    @classmethod
    def of(cls, result: DelinquencyResult) -> RunOut:
        cases = result.cases
        return cls(as_of=result.as_of, changed=result.changed,
                   snapshot_rows_written=result.snapshot_rows_written, cases_opened=cases.opened,
                   cases_moved=cases.moved, cases_closed=cases.closed,
                   cases_rescored=cases.rescored, promises_kept=result.promises.kept,
                   promises_broken=result.promises.broken,
                   loans_behind_servicing=result.loans_behind_servicing, par=result.par)


class QueueOut(BaseModel):
    bucket: Bucket
    open_cases: int
    unassigned: int
    arrears: Decimal

    @classmethod
    def of(cls, line: QueueLine) -> QueueOut:
        return cls(bucket=line.bucket, open_cases=line.open_cases, unassigned=line.unassigned,
                   arrears=line.arrears.amount)


class CaseOut(BaseModel):
    id: int
    number: str
    loan_id: int | None
    account_id: int | None
    customer_id: int | None
    state: CaseState
    bucket: Bucket
    days_past_due: int
    arrears_amount: Decimal
    currency: str
    priority: int
    broken_promises: int
    assigned_to: int | None
    opened_on: dt.date
    closed_on: dt.date | None
    close_reason: CloseReason | None
    last_contact_at: dt.datetime | None

    @classmethod
    def of(cls, case: CollectionCase) -> CaseOut:
        return cls(
            id=case.id, number=case.number, loan_id=case.loan_id, account_id=case.account_id,
            customer_id=case.customer_id, state=case.state, bucket=case.bucket,
            days_past_due=case.days_past_due, arrears_amount=case.arrears_amount,
            currency=case.currency, priority=case.priority,
            broken_promises=case.broken_promises, assigned_to=case.assigned_to,
            opened_on=case.opened_on, closed_on=case.closed_on, close_reason=case.close_reason,
            last_contact_at=case.last_contact_at,
        )


class ContactIn(BaseModel):
    channel: ContactChannel
    direction: ContactDirection
    outcome: ContactOutcome
    at: dt.datetime | None = Field(default=None, description="Now if empty.")
    note: str | None = None


class ContactOut(BaseModel):
    id: int
    at: dt.datetime
    channel: ContactChannel
    direction: ContactDirection
    outcome: ContactOutcome
    actor: str
    note: str | None

    @classmethod
    def of(cls, contact: CaseContact) -> ContactOut:
        return cls(id=contact.id, at=contact.at, channel=contact.channel,
                   direction=contact.direction, outcome=contact.outcome, actor=contact.actor,
                   note=contact.note)


class NoteIn(BaseModel):
    text: str


class NoteOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    text: str

    @classmethod
    def of(cls, note: CaseNote) -> NoteOut:
        return cls(id=note.id, at=note.created_at, actor=note.actor, text=note.text)


class PromiseIn(BaseModel):
    amount: str = Field(examples=["500.00"])
    promised_date: dt.date
    grace_days: int = 3


class PromiseOut(BaseModel):
    id: int
    amount: Decimal
    currency: str
    made_on: dt.date
    promised_date: dt.date
    grace_days: int
    status: PromiseStatus
    paid_amount: Decimal | None
    evaluated_on: dt.date | None

    @classmethod
    def of(cls, promise: PromiseToPay) -> PromiseOut:
        return cls(id=promise.id, amount=promise.amount, currency=promise.currency,
                   made_on=promise.made_on, promised_date=promise.promised_date,
                   grace_days=promise.grace_days, status=promise.status,
                   paid_amount=promise.paid_amount, evaluated_on=promise.evaluated_on)


class EvaluateIn(BaseModel):
    as_of: dt.date | None = Field(default=None, description="Today if empty.")


class CancelIn(BaseModel):
    reason: str


class TransitionIn(BaseModel):
    state: CaseState
    reason: str | None = None


class AssignIn(BaseModel):
    officer_id: int


class AutoAssignIn(BaseModel):
    bucket: Bucket | None = None
    limit: int | None = Field(default=None, ge=1)


class AutoAssignOut(BaseModel):
    assigned: list[tuple[int, int]] = Field(description="(case id, officer id) pairs.")
    left_unassigned: int


class OfficerOut(BaseModel):
    staff_id: int
    name: str
    open_cases: int
    capacity: int

    @classmethod
    def of(cls, load: OfficerLoad) -> OfficerOut:
        return cls(staff_id=load.staff_id, name=load.name, open_cases=load.open_cases,
                   capacity=load.capacity)


class CapacityIn(BaseModel):
    max_open_cases: int


class NbaOut(BaseModel):
    action: Action
    channel: ContactChannel | None
    reasons: list[str]
    next_contact_at: dt.datetime | None

    @classmethod
    def of(cls, best: NextBestAction) -> NbaOut:
        return cls(action=best.action, channel=best.channel, reasons=list(best.reasons),
                   next_contact_at=best.next_contact_at)


class EvaluationOut(BaseModel):
    kept: list[int]
    broken: list[int]
    promises: list[PromiseOut]
    next_best_action: NbaOut


class HistoryOut(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, event: AuditEvent) -> HistoryOut:
        return cls(at=event.at, actor=event.actor, action=event.action, before=event.before,
                   after=event.after)


class CaseDetailOut(BaseModel):
    case: CaseOut
    contacts: list[ContactOut]
    notes: list[NoteOut]
    promises: list[PromiseOut]
    history: list[HistoryOut]

    @classmethod
    def of(cls, detail: CaseDetail) -> CaseDetailOut:
        return cls(case=CaseOut.of(detail.case),
                   contacts=[ContactOut.of(c) for c in detail.contacts],
                   notes=[NoteOut.of(n) for n in detail.notes],
                   promises=[PromiseOut.of(p) for p in detail.promises],
                   history=[HistoryOut.of(e) for e in detail.history])


class RowErrorOut(BaseModel):
    line: int
    column: str | None
    message: str


class ImportOut(BaseModel):
    import_id: int | None
    dry_run: bool
    lender_code: str
    filename: str
    rows_total: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    cases_opened: int
    cases_closed: int
    errors: list[RowErrorOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            import_id=report.import_id, dry_run=report.import_id is None,
            lender_code=report.lender_code, filename=report.filename,
            rows_total=report.rows_total, created=report.created, updated=report.updated,
            unchanged=report.unchanged, rejected=report.rejected,
            cases_opened=report.cases.opened, cases_closed=report.cases.closed,
            errors=[RowErrorOut(line=e.line, column=e.column, message=e.message)
                    for e in report.errors])
