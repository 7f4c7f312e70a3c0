"""The dashboard: today's conversations by channel, containment, escalations waiting and
their median wait, applications and decisions, portfolio at risk by bucket and promises
kept, each with a small server-drawn chart.

"Today" is the UTC day. Containment is the share of conversations finished today that never
reached a person (no escalation). Portfolio at risk comes from the latest delinquency run.
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import Result, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin.auth import require, utcnow
from admin.console.charts import bar_chart
from admin.console.rendering import render
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.applications.lifecycle import Status
from core.applications.models import Application
from core.collections.models import DelinquencyRun, PromiseStatus, PromiseToPay
from core.collections.reports import portfolio_at_risk
from core.conversations.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Escalation,
    EscalationStatus,
)
from core.money import Money

router = APIRouter(prefix="/console/dashboard", include_in_schema=False,
                   dependencies=[Depends(require(P.DASHBOARD_VIEW))])

DECISION_DAYS = 30


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a whole-number percentage, or a dash when there is no whole."""
    if whole == 0:
        return "—"
    return f"{(Decimal(100) * part / whole).quantize(Decimal(1))}%"


def _counts(rows: Result[Any]) -> dict[Any, int]:
    return {key: count for key, count in rows}


def _wait(seconds: int) -> str:
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


async def _conversations(session: AsyncSession, start: dt.datetime) -> dict[str, Any]:
    counted = _counts(await session.execute(
        select(Conversation.channel, func.count()).where(Conversation.created_at >= start)
        .group_by(Conversation.channel)))
    escalated = exists().where(Escalation.conversation_id == Conversation.id)
    finished = await session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.status == ConversationStatus.CLOSED, Conversation.closed_at >= start)) or 0
    contained = await session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.status == ConversationStatus.CLOSED, Conversation.closed_at >= start,
        ~escalated)) or 0
    rows = [(channel.value, counted.get(channel, 0), str(counted.get(channel, 0)))
            for channel in Channel]
    return {"total": sum(counted.values()), "finished": finished, "contained": contained,
            "containment": percent(contained, finished),
            "chart": bar_chart(rows, title="Conversations today by channel")}


async def _escalations(session: AsyncSession, now: dt.datetime) -> dict[str, Any]:
    since = (await session.scalars(select(Escalation.waiting_since).where(
        Escalation.status == EscalationStatus.WAITING))).all()
    waits = [int((now - at).total_seconds()) for at in since]
    return {"waiting": len(waits),
            "median_wait": _wait(int(statistics.median(waits))) if waits else "—"}


async def _applications(session: AsyncSession, now: dt.datetime) -> dict[str, Any]:
    by_status = _counts(await session.execute(select(Application.status, func.count())
                                              .group_by(Application.status)))
    decided = _counts(await session.execute(
        select(Application.decision_outcome, func.count())
        .where(Application.decided_at >= now - dt.timedelta(days=DECISION_DAYS),
               Application.decision_outcome.is_not(None))
        .group_by(Application.decision_outcome)))
    outcomes = (Status.APPROVED, Status.COUNTER_OFFERED, Status.REFERRED, Status.DECLINED)
    return {
        "by_status": [(s.value, by_status[s]) for s in Status if s in by_status],
        "referred": by_status.get(Status.REFERRED, 0),
        "chart": bar_chart([(s.value, decided.get(s, 0), str(decided.get(s, 0)))
                            for s in outcomes],
                           title=f"Decisions in the last {DECISION_DAYS} days"),
    }


async def _portfolio(session: AsyncSession) -> dict[str, Any] | None:
    as_of = await session.scalar(select(func.max(DelinquencyRun.as_of)))
    if as_of is None:
        return None
    par = await portfolio_at_risk(session, as_of=as_of)
    rows = [(line.bucket.value, line.principal_outstanding,
             f"{line.loans} · {Money.of(line.principal_outstanding, par.currency)}")
            for line in par.buckets]
    return {"par": par, "money": lambda value: str(Money.of(value, par.currency)),
            "chart": bar_chart(rows, title="Principal outstanding by days past due",
                               width=520, tone="bad")}


async def _promises(session: AsyncSession) -> dict[str, Any]:
    counted = _counts(await session.execute(select(PromiseToPay.status, func.count())
                                            .group_by(PromiseToPay.status)))
    kept, broken = counted.get(PromiseStatus.KEPT, 0), counted.get(PromiseStatus.BROKEN, 0)
    return {"kept": kept, "broken": broken, "pending": counted.get(PromiseStatus.PENDING, 0),
            "rate": percent(kept, kept + broken),
            "chart": bar_chart([("kept", kept, str(kept)), ("broken", broken, str(broken))],
                               title="Promises to pay kept and broken", tone="ok")}


@router.get("")
async def dashboard(request: Request, session: SessionDep) -> Response:
    now = utcnow()
    start = dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC)
    return render(request, "dashboard.html", {
        "today": now.date(),
        "conversations": await _conversations(session, start),
        "escalations": await _escalations(session, now),
        "applications": await _applications(session, now),
        "portfolio": await _portfolio(session),
        "promises": await _promises(session),
    })
