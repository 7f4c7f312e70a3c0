"""Request and response bodies of the loans API. Amounts travel as strings ("888.49"),
rates as fractions ("0.12"), dates as ISO dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from core.applications.agreement import FeeTreatment
from core.ledger.rules import ChargeKind, ReceivedInto
from core.loans.calculator import Calculation
from core.loans.models import Instalment, Loan, LoanTransaction
from core.loans.schedule import Schedule
from core.loans.settlement import SettlementQuote
from core.loans.statement import Statement
from core.loans.terms import Frequency, InterestMethod


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}"


class LoanSummary(BaseModel):
    id: int
    number: str
    customer_id: int
    status: str
    principal: str
    principal_outstanding: str
    days_past_due: int
    arrears_amount: str
    disbursed_on: dt.date
    maturity_date: dt.date

    @classmethod
    def of(cls, loan: Loan) -> LoanSummary:
        return cls(
            id=loan.id, number=loan.number, customer_id=loan.customer_id,
            status=loan.status.value, principal=str(loan.principal),
            principal_outstanding=str(loan.principal_outstanding),
            days_past_due=loan.days_past_due, arrears_amount=str(loan.arrears_amount),
            disbursed_on=loan.disbursed_on, maturity_date=loan.maturity_date,
        )


class Balances(BaseModel):
    principal_outstanding: str
    interest_receivable: str
    fees_outstanding: str
    penalties_outstanding: str
    credit_balance: str
    total_owed: str
    accrued_through: dt.date
    days_past_due: int
    oldest_unpaid_due_date: dt.date | None
    arrears_amount: str


class LoanOut(LoanSummary):
    currency: str
    product_id: int
    application_id: int | None
    closed_on: dt.date | None
    amount_financed: str
    deducted_fee: str
    financed_fee: str
    annual_rate: str
    term: int
    frequency: str
    method: str
    schedule_version: int
    overpayment: str
    late_fee: str
    late_fee_grace_days: int
    early_settlement_fee_percent: str
    written_off_amount: str
    recovered_amount: str
    balances: Balances

    @classmethod
    def full(cls, loan: Loan) -> LoanOut:
        owed = (loan.principal_outstanding + loan.interest_receivable + loan.fees_outstanding
                + loan.penalties_outstanding - loan.credit_balance)
        return cls(
            **LoanSummary.of(loan).model_dump(), currency=loan.currency,
            product_id=loan.product_id, application_id=loan.application_id,
            closed_on=loan.closed_on, amount_financed=str(loan.amount_financed),
            deducted_fee=str(loan.deducted_fee), financed_fee=str(loan.financed_fee),
            annual_rate=_rate(loan.annual_rate), term=loan.term,
            frequency=loan.frequency.value, method=loan.method.value,
            schedule_version=loan.schedule_version, overpayment=loan.overpayment.value,
            late_fee=str(loan.late_fee), late_fee_grace_days=loan.late_fee_grace_days,
            early_settlement_fee_percent=_rate(loan.early_settlement_fee_percent),
            written_off_amount=str(loan.written_off_amount),
            recovered_amount=str(loan.recovered_amount),
            balances=Balances(
                principal_outstanding=str(loan.principal_outstanding),
                interest_receivable=str(loan.interest_receivable),
                fees_outstanding=str(loan.fees_outstanding),
                penalties_outstanding=str(loan.penalties_outstanding),
                credit_balance=str(loan.credit_balance), total_owed=str(owed),
                accrued_through=loan.accrued_through, days_past_due=loan.days_past_due,
                oldest_unpaid_due_date=loan.oldest_unpaid_due_date,
                arrears_amount=str(loan.arrears_amount),
            ),
        )


class InstalmentOut(BaseModel):
    id: int
    version: int
    number: int
    period_start: dt.date
    due_date: dt.date
    status: str
    principal_due: str
    interest_due: str
    fee_due: str
    penalty_due: str
    principal_paid: str
    interest_paid: str
    fee_paid: str
    penalty_paid: str
    interest_accrued: str
    paid_on: dt.date | None

    @classmethod
    def of(cls, row: Instalment) -> InstalmentOut:
        return cls(
            id=row.id, version=row.version, number=row.number, period_start=row.period_start,
            due_date=row.due_date, status=row.status.value, principal_due=str(row.principal_due),
            interest_due=str(row.interest_due), fee_due=str(row.fee_due),
            penalty_due=str(row.penalty_due), principal_paid=str(row.principal_paid),
            interest_paid=str(row.interest_paid), fee_paid=str(row.fee_paid),
            penalty_paid=str(row.penalty_paid), interest_accrued=str(row.interest_accrued),
            paid_on=row.paid_on,
        )


class TransactionOut(BaseModel):
    id: int
    loan_id: int
    type: str
    amount: str
    balance_change: str
    effective_date: dt.date
    idempotency_key: str
    journal_entry_id: int | None
    reverses_transaction_id: int | None
    reversed_by_transaction_id: int | None
    description: str
    actor: str

    @classmethod
    def of(cls, row: LoanTransaction) -> TransactionOut:
        return cls(
            id=row.id, loan_id=row.loan_id, type=row.type.value, amount=str(row.amount),
            balance_change=str(row.balance_change), effective_date=row.effective_date,
            idempotency_key=row.idempotency_key, journal_entry_id=row.journal_entry_id,
            reverses_transaction_id=row.reverses_transaction_id,
            reversed_by_transaction_id=row.reversed_by_transaction_id,
            description=row.description, actor=row.actor,
        )


class StatementLineOut(BaseModel):
    transaction_id: int
    date: dt.date
    type: str
    description: str
    amount: str
    change: str
    balance: str
    reversed: bool


class StatementOut(BaseModel):
    loan_id: int
    number: str
    start: dt.date
    end: dt.date
    opening_balance: str
    closing_balance: str
    lines: list[StatementLineOut]

    @classmethod
    def of(cls, statement: Statement) -> StatementOut:
        return cls(
            loan_id=statement.loan_id, number=statement.number, start=statement.start,
            end=statement.end, opening_balance=str(statement.opening_balance.amount),
            closing_balance=str(statement.closing_balance.amount),
            lines=[StatementLineOut(
                transaction_id=line.transaction_id, date=line.date, type=line.type.value,
                description=line.description, amount=str(line.amount.amount),
                change=str(line.change.amount), balance=str(line.balance.amount),
                reversed=line.reversed,
            ) for line in statement.lines],
        )


class QuoteOut(BaseModel):
    loan_id: int
    as_of: dt.date
    principal: str
    interest: str
    fees: str
    penalties: str
    settlement_fee: str
    credit: str
    total: str

    @classmethod
    def of(cls, quote: SettlementQuote) -> QuoteOut:
        return cls(
            loan_id=quote.loan_id, as_of=quote.as_of, principal=str(quote.principal.amount),
            interest=str(quote.interest.amount), fees=str(quote.fees.amount),
            penalties=str(quote.penalties.amount),
            settlement_fee=str(quote.settlement_fee.amount), credit=str(quote.credit.amount),
            total=str(quote.total.amount),
        )


class RepaymentIn(BaseModel):
    amount: str = Field(examples=["888.49"])
    paid_on: dt.date | None = Field(default=None, description="Default: today.")
    idempotency_key: str | None = Field(
        default=None, max_length=200, description="Or send the Idempotency-Key header.")
    received_into: ReceivedInto = ReceivedInto.BANK
    reference: str | None = Field(default=None, max_length=200)


class SettleIn(BaseModel):
    as_of: dt.date | None = None
    amount: str | None = Field(default=None, description="If sent, must equal the payoff.")
    idempotency_key: str | None = Field(default=None, max_length=200)
    received_into: ReceivedInto = ReceivedInto.BANK


class RestructureIn(BaseModel):
    term: int
    reason: str = Field(min_length=1, max_length=300)
    as_of: dt.date | None = None
    annual_rate: str | None = Field(default=None, examples=["0.10"])
    frequency: Frequency | None = None
    method: InterestMethod | None = None
    first_due_date: dt.date | None = None
    capitalise_arrears: bool = False


class WriteOffIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300)
    as_of: dt.date | None = None


class RecoveryIn(BaseModel):
    amount: str
    received_on: dt.date | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)
    received_into: ReceivedInto = ReceivedInto.BANK


class ChargeIn(BaseModel):
    amount: str
    kind: ChargeKind
    reason: str = Field(min_length=1, max_length=300)
    on: dt.date | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)


class ReverseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300)
    on: dt.date | None = None


class DisburseIn(BaseModel):
    application_id: int
    disbursed_on: dt.date | None = None
    first_due_date: dt.date | None = None


class CalculatorIn(BaseModel):
    """Either `product_code` (rate, fees and frequency from the product) or `annual_rate`."""

    amount: str = Field(examples=["10000.00"])
    term: int = Field(examples=[12])
    product_code: str | None = Field(default=None, examples=["PERSONAL"])
    band: str | None = Field(default=None, description="Risk band; default: the best.")
    annual_rate: str | None = Field(default=None, examples=["0.12"])
    method: InterestMethod = InterestMethod.DECLINING_EQUAL_INSTALMENT
    frequency: Frequency = Frequency.MONTHLY
    start_date: dt.date | None = Field(default=None, description="Default: today.")
    first_due_date: dt.date | None = None
    currency: str = "TTD"


class CalculatorRow(BaseModel):
    number: int
    due_date: dt.date
    opening_balance: str
    principal: str
    interest: str
    total: str
    closing_balance: str


class CalculatorFee(BaseModel):
    name: str
    amount: str
    treatment: str


class CalculatorOut(BaseModel):
    currency: str
    principal: str
    annual_rate: str
    term: int
    frequency: str
    method: str
    start_date: dt.date
    product_code: str | None
    band: str | None
    instalment: str
    apr: str
    disbursed: str
    total_principal: str
    total_interest: str
    total_fees: str
    total_payable: str
    cost_of_credit: str
    fees: list[CalculatorFee]
    schedule: list[CalculatorRow]

    @classmethod
    def of(cls, result: Calculation) -> CalculatorOut:
        schedule: Schedule = result.schedule
        terms, totals = schedule.terms, schedule.totals
        fees = sum((f.amount.amount for f in result.fees), Decimal(0))
        payable = totals.payable.amount + sum(
            (f.amount.amount for f in result.fees if f.treatment is FeeTreatment.UPFRONT),
            Decimal(0))
        return cls(
            currency=terms.currency, principal=str(terms.principal.amount),
            annual_rate=_rate(terms.annual_rate), term=terms.term,
            frequency=terms.frequency.value, method=terms.method.value,
            start_date=terms.start_date, product_code=result.product_code, band=result.band,
            instalment=str(schedule.instalments[terms.deferred_instalments].total.amount),
            apr=_rate(result.apr), disbursed=str(result.disbursed.amount),
            total_principal=str(totals.principal.amount),
            total_interest=str(totals.interest.amount),
            total_fees=str(fees), total_payable=str(payable),
            cost_of_credit=str(payable - result.disbursed.amount),
            fees=[CalculatorFee(name=f.name, amount=str(f.amount.amount),
                                treatment=f.treatment.value) for f in result.fees],
            schedule=[CalculatorRow(
                number=row.number, due_date=row.due_date,
                opening_balance=str(row.opening_principal.amount),
                principal=str(row.principal.amount), interest=str(row.interest.amount),
                total=str(row.total.amount), closing_balance=str(row.closing_principal.amount),
            ) for row in schedule.instalments],
        )
