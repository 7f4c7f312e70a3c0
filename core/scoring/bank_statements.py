"""Analyse an applicant's bank statement and keep the result for the decision.

The CSV is read (`core.scoring.statements`), analysed (`core.scoring.cashflow`) and
stored as a `StatementAnalysis` on the application; the engine reads the latest one as the
`statement_*` facts. An LLM labeller, when configured, is asked only about the rows the
deterministic rules could not place; without one those rows are simply left out. Long
numbers in descriptions (account and card numbers) are cut to their last four digits
before the rows are analysed, so a labeller never sees them (stored results keep only
letter-only group names anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.lifecycle import FINAL, describe
from core.applications.repository import ENTITY, load_application
from core.audit import trail
from core.errors import InvalidTransition
from core.privacy.masking import mask_account_numbers
from core.scoring.cashflow import Cashflow, Recurring, TransactionLabeler, analyse
from core.scoring.models import StatementAnalysis
from core.scoring.statements import parse_statement


def _recurring(groups: Sequence[Recurring]) -> list[dict[str, Any]]:
    return [{"description": g.description, "frequency": g.frequency,
             "typical_amount": str(g.typical_amount), "occurrences": g.occurrences,
             "monthly_amount": str(g.monthly_amount),
             "label": None if g.label is None else g.label.value} for g in groups]


def details(result: Cashflow, labeller: str | None) -> dict[str, Any]:
    return {"income_sources": _recurring(result.income_sources),
            "obligations": _recurring(result.obligations),
            "unclear_lines": result.unclear, "labeller": labeller,
            "labels": {str(line): label.value for line, label in sorted(result.labels.items())}}


async def analyse_bank_statement(
    session: AsyncSession, *, application_id: int, csv_text: str, actor: str,
    labeler: TransactionLabeler | None = None,
) -> StatementAnalysis:
    """Read, analyse and store a CSV statement for an open application.

    Raises NotFoundError for an unknown application, InvalidTransition for a closed one,
    ValidationError (listing bad lines) for a statement that cannot be read; then nothing
    is stored.
    """
    application = await load_application(session, application_id)
    if application.status in FINAL:
        raise InvalidTransition(f"Application {application.reference} "
                                f"{describe(application.status)}; its statement is no longer "
                                "needed.")
    transactions = [replace(t, description=mask_account_numbers(t.description))
                    for t in parse_statement(csv_text)]
    first = analyse(transactions)
    result = first
    if labeler is not None and first.unclear:
        unclear = set(first.unclear)
        answers = await labeler.label([t for t in transactions if t.line in unclear])
        result = analyse(transactions, {line: label for line, label in answers.items()
                                        if line in unclear})
    row = StatementAnalysis(
        application_id=application.id, currency=application.currency,
        period_start=transactions[0].date, period_end=transactions[-1].date,
        transactions=result.transactions, monthly_income=result.monthly_income,
        monthly_obligations=result.monthly_obligations, minimum_balance=result.minimum_balance,
        average_balance=result.average_balance, days_negative=result.days_negative,
        details=details(result, None if labeler is None else labeler.name), analysed_by=actor)
    session.add(row)
    await session.flush()
    await trail.record(session, actor=actor, action="application.statement_analysed",
                       entity_type=ENTITY, entity_id=application.id,
                       after={"analysis_id": row.id, "monthly_income": row.monthly_income,
                              "monthly_obligations": row.monthly_obligations,
                              "days_negative": row.days_negative})
    return row


async def latest_analysis(
    session: AsyncSession, *, application_id: int
) -> StatementAnalysis | None:
    """The most recent analysis for the application, or None."""
    return await session.scalar(
        select(StatementAnalysis).where(StatementAnalysis.application_id == application_id)
        .order_by(StatementAnalysis.id.desc()).limit(1))
