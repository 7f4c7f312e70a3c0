"""Storing a bank-statement analysis: the labeller is asked only about unclear rows, and a
statement that cannot be read, or a closed application, changes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal as D

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.service import withdraw_application
from core.audit import trail
from core.errors import InvalidTransition, NotFoundError, ValidationError
from core.scoring.bank_statements import analyse_bank_statement, latest_analysis
from core.scoring.cashflow import TransactionLabel
from core.scoring.statements import Transaction
from tests.integration.decisioning_support import ACTOR, NOW, applicant, counts, demo_lender

STATEMENT = """date,description,amount,balance
2025-03-25,SALARY ACME,8000.00,8500.00
2025-04-02,Mum,500.00,9000.00
2025-04-25,SALARY ACME,8000.00,17000.00
2025-05-03,ZX*77 ONLINE,-40.00,16960.00
2025-05-25,SALARY ACME,8000.00,24960.00
"""


class ScriptedLabeller:
    """Stands in for an LLM: labels a gift from a parent as income."""

    name = "scripted"

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def label(self, transactions: Sequence[Transaction]
                    ) -> Mapping[int, TransactionLabel]:
        self.asked = [t.description for t in transactions]
        return {t.line: TransactionLabel.INCOME for t in transactions if t.description == "Mum"}


async def test_only_unclear_rows_reach_the_labeller(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session)
    labeller = ScriptedLabeller()
    row = await analyse_bank_statement(session, application_id=app.id, csv_text=STATEMENT,
                                       actor=ACTOR, labeler=labeller)
    assert labeller.asked == ["Mum", "ZX*77 ONLINE"]
    # 62 days is 2.037 months: 8,000 a month of salary plus 500 / 2.037 of gifts.
    assert row.monthly_income == (D(8000) + D(500) / (D(62) / D("30.4375"))).quantize(D("0.01"))
    assert (row.minimum_balance, row.days_negative, row.transactions) == (D("8500.00"), 0, 5)
    assert row.details["labeller"] == "scripted"
    assert row.details["unclear_lines"] == [5]
    assert await latest_analysis(session, application_id=app.id) is row
    events = await trail.history(session, entity_type="application", entity_id=app.id)
    assert events[-1].action == "application.statement_analysed"


async def test_refusals_store_nothing(session: AsyncSession) -> None:
    await demo_lender(session)
    app = await applicant(session)
    before = await counts(session)
    with pytest.raises(ValidationError, match="line 3: 'yesterday' is not a date"):
        await analyse_bank_statement(session, application_id=app.id, actor=ACTOR,
                                     csv_text=STATEMENT.replace("2025-04-02", "yesterday"))
    with pytest.raises(NotFoundError):
        await analyse_bank_statement(session, application_id=0, csv_text=STATEMENT, actor=ACTOR)
    assert await counts(session) == before
    await withdraw_application(session, application_id=app.id, actor=ACTOR, now=NOW)
    closed = await counts(session)
    with pytest.raises(InvalidTransition, match="is withdrawn; its statement is no longer"):
        await analyse_bank_statement(session, application_id=app.id, csv_text=STATEMENT,
                                     actor=ACTOR)
    assert await counts(session) == closed
