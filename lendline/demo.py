"""The demo lender: staff, catalogue, chart of accounts, ~50 customers, applications and loans.

Seeded once, on the first start of an empty database (`seed_if_empty`). Every record goes
through the same core services a real request would use, so the demo data obeys every rule
the product enforces: loans are disbursed from signed applications, repayments are
allocated and posted, and one servicing run brings the book up to today, leaving loans
current, in each arrears bucket, paid off, settled early, restructured and written off.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions, signing
from core.applications import service as applications
from core.applications.lifecycle import Status
from core.applications.models import ApplicationChannel
from core.collections.assignment import auto_assign
from core.collections.delinquency import run_delinquency
from core.crypto import FieldCipher
from core.customers import consents, employment, identity
from core.customers.models import ConsentType, ContactChannel, DocumentType, EmploymentStatus
from core.customers.service import register_customer
from core.ledger.chart import AccountCode, ensure_chart
from core.ledger.lines import Line
from core.ledger.posting import post_entry
from core.loans import disbursement, repayment, restructure, servicing, settlement, writeoff
from core.loans.calendar import add_months
from core.loans.models import Instalment
from core.loans.provisioning import run_provisioning
from core.money import Money
from core.products.catalogue import install_catalogue
from core.scoring.install import install_decisioning
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff

ACTOR = "system:demo"
OPENING_CAPITAL = Money.of(2_500_000)
DEMO_PASSWORD = "lendline-demo"
STAFF = (
    ("admin@lendline.example", "Avery Admin", Role.ADMIN),
    ("supervisor@lendline.example", "Sita Supervisor", Role.SUPERVISOR),
    ("underwriter@lendline.example", "Ulric Underwriter", Role.UNDERWRITER),
    ("collector@lendline.example", "Colette Collector", Role.COLLECTOR),
    ("agent@lendline.example", "Andre Agent", Role.AGENT),
)
FIRST = (
    "Asha", "Kevon", "Renee", "Darnell", "Priya", "Marcus", "Shanice", "Vishnu", "Keisha",
    "Ravi", "Alana", "Jerome", "Nadia", "Andre", "Kamla", "Tyrone", "Gabrielle", "Sanjay",
    "Tricia", "Rishi", "Latoya", "Curtis", "Anjali", "Brent", "Simone",
)
LAST = (
    "Ramdial", "Joseph", "Mohammed", "Charles", "Persad", "Baptiste", "Ali", "Maharaj",
    "Williams", "Singh", "Lewis", "Rampersad", "Phillip", "Khan", "Garcia", "Ramkissoon",
    "Thomas", "De Freitas", "Boodoo", "Alexander",
)
EMPLOYERS = (
    ("Ministry of Education", "Teacher"), ("Republic Bank", "Teller"),
    ("Atlantic LNG", "Technician"), ("Massy Stores", "Supervisor"),
    ("Regional Health Authority", "Nurse"), ("TSTT", "Engineer"),
    ("Caribbean Airlines", "Customer agent"), ("Self-employed", "Contractor"),
)


@dataclass(frozen=True)
class Scenario:
    """One demo borrower's story. `days_past_due` < 0: next instalment due in that many days."""

    kind: str
    product: str = "PERSONAL"
    amount: int = 20_000
    term: int = 24
    days_past_due: int = -10
    paid: int = 6


SCENARIOS: tuple[Scenario, ...] = (
    *(Scenario("current", amount=a, term=t, days_past_due=-d, paid=p) for a, t, d, p in (
        (25_000, 24, 10, 5), (12_000, 12, 3, 2), (40_000, 36, 20, 9), (8_000, 12, 14, 7),
        (60_000, 48, 6, 8), (15_000, 18, 25, 3), (30_000, 36, 1, 11), (10_000, 12, 9, 10),
    )),
    Scenario("current", product="AUTO", amount=120_000, term=60, days_past_due=-12, paid=8),
    Scenario("current", product="SALARY_ADVANCE", amount=3_000, term=4, days_past_due=-5, paid=1),
    Scenario("current", product="MICRO_BUSINESS", amount=20_000, term=26, days_past_due=-3,
             paid=6),
    Scenario("current", product="DEBT_CONSOLIDATION", amount=45_000, term=36, days_past_due=-8,
             paid=4),
    *(Scenario("arrears", amount=a, days_past_due=d, paid=p) for a, d, p in (
        (18_000, 5, 4), (22_000, 12, 6), (9_000, 20, 3), (35_000, 28, 8),
        (14_000, 38, 5), (26_000, 45, 7), (11_000, 57, 2),
        (30_000, 66, 6), (16_000, 80, 4), (20_000, 88, 3),
        (24_000, 95, 5), (13_000, 130, 2), (28_000, 170, 3),
    )),
    Scenario("paid_off", amount=6_000, term=12, days_past_due=-10, paid=12),
    Scenario("paid_off", product="SALARY_ADVANCE", amount=2_000, term=2, days_past_due=-10,
             paid=2),
    Scenario("settled", amount=15_000, term=24, days_past_due=-10, paid=9),
    Scenario("settled", amount=9_000, term=12, days_past_due=-15, paid=4),
    Scenario("restructured", amount=32_000, term=36, days_past_due=50, paid=10),
    Scenario("written_off", amount=17_000, term=24, days_past_due=240, paid=2),
    Scenario("written_off", amount=7_500, term=12, days_past_due=200, paid=1),
    *(Scenario(f"application:{status}") for status in (
        "draft", "draft", "submitted", "submitted", "approved", "declined", "referred",
        "referred", "counter_offered", "accepted", "contract_signed", "withdrawn",
    )),
    *(Scenario("customer_only") for _ in range(8)),
)


async def is_empty(session: AsyncSession) -> bool:
    return not await session.scalar(select(func.count()).select_from(StaffUser))


async def seed_if_empty(session: AsyncSession, *, cipher: FieldCipher, secret: str,
                        lender_name: str, today: dt.date) -> bool:
    """Seed the demo lender into an empty database; returns whether it did."""
    if not await is_empty(session):
        return False
    await seed(session, cipher=cipher, secret=secret, lender_name=lender_name, today=today)
    return True


async def seed(session: AsyncSession, *, cipher: FieldCipher, secret: str, lender_name: str,
               today: dt.date) -> None:
    """Create the whole demo lender as of `today` (deterministic for a given date)."""
    for email, name, role in STAFF:
        await create_staff(session, email=email, name=name, role=role, password=DEMO_PASSWORD,
                           actor=ACTOR)
    await ensure_chart(session)
    await post_entry(
        session, posting_key="demo:opening-capital", effective_date=today - dt.timedelta(days=730),
        lines=[Line.dr(AccountCode.BANK_OPERATING, OPENING_CAPITAL),
               Line.cr(AccountCode.OWNER_CAPITAL, OPENING_CAPITAL)],
        description="Owner's capital paid in", actor=ACTOR,
    )
    await install_catalogue(session, actor=ACTOR)
    await install_decisioning(session, now=dt.datetime.combine(today, dt.time(6), tzinfo=dt.UTC))
    rng = random.Random(2026)
    seeder = _Seeder(session, cipher=cipher, secret=secret, lender=lender_name, today=today)
    for number, scenario in enumerate(SCENARIOS):
        customer_id = await seeder.customer(number, rng)
        if scenario.kind.startswith("application:"):
            await seeder.application_in(customer_id, Status(scenario.kind.split(":")[1]), rng)
        elif scenario.kind != "customer_only":
            await seeder.loan(customer_id, scenario)
    await servicing.run_servicing(session, as_of=today, actor=ACTOR)
    await run_provisioning(session, as_of=today, actor=ACTOR)
    for loan_id, scenario in seeder.endings:
        await seeder.finish(loan_id, scenario)
    await run_delinquency(session, as_of=today, actor=ACTOR)
    await auto_assign(session, actor=ACTOR, now=seeder.now)


class _Seeder:
    def __init__(self, session: AsyncSession, *, cipher: FieldCipher, secret: str, lender: str,
                 today: dt.date) -> None:
        self.session, self.cipher, self.secret, self.lender = session, cipher, secret, lender
        self.today = today
        self.now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
        self.endings: list[tuple[int, Scenario]] = []

    async def customer(self, number: int, rng: random.Random) -> int:
        first, last = FIRST[number % len(FIRST)], LAST[(number * 7) % len(LAST)]
        phone = f"+1868555{101 + number:04d}"
        born = dt.date(1965 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
        customer = await register_customer(
            self.session, first_name=first, last_name=last, date_of_birth=born,
            today=self.today, actor=ACTOR,
            email=f"{first}.{last}.{number}@example.tt".lower().replace(" ", ""),
            preferred_channel=ContactChannel.WHATSAPP,
            contacts=((ContactChannel.WHATSAPP, phone), (ContactChannel.SMS, phone),
                      (ContactChannel.VOICE, phone)),
        )
        await identity.add_identity_document(
            self.session, cipher=self.cipher, customer_id=customer.id,
            document_type=DocumentType.NATIONAL_ID,
            number=f"{born:%Y%m%d}{rng.randrange(1000):03d}", today=self.today, actor=ACTOR,
        )
        employer, occupation = EMPLOYERS[number % len(EMPLOYERS)]
        gross = Money.of(6_000 + rng.randrange(40) * 500)
        await employment.set_employment(
            self.session, customer_id=customer.id,
            status=EmploymentStatus.SELF_EMPLOYED if employer == "Self-employed"
            else EmploymentStatus.EMPLOYED,
            gross_monthly_income=gross, net_monthly_income=gross.times(Decimal("0.8")),
            monthly_expenses=gross.times(Decimal("0.35")), today=self.today, actor=ACTOR,
            employer=None if employer == "Self-employed" else employer, occupation=occupation,
            start_date=self.today - dt.timedelta(days=400 + rng.randrange(4000)),
        )
        joined = self.now - dt.timedelta(days=5 * 365)
        for kind in (ConsentType.TERMS, ConsentType.CREDIT_CHECK):
            await consents.grant_consent(self.session, customer_id=customer.id,
                                         consent_type=kind, now=joined, source="demo",
                                         actor=ACTOR)
        return customer.id

    async def application_in(self, customer_id: int, target: Status,
                             rng: random.Random) -> int:
        """An application walked through the lifecycle up to `target`."""
        amount = Money.of(5_000 + rng.randrange(30) * 1_000)
        app = await applications.create_application(
            self.session, customer_id=customer_id, product_code="PERSONAL", term=24,
            channel=ApplicationChannel.WHATSAPP, now=self.now, actor=ACTOR, amount=amount,
            purpose="Home repairs",
        )
        if target is Status.DRAFT:
            return app.id
        await applications.submit_application(self.session, application_id=app.id, actor=ACTOR,
                                              now=self.now)
        if target is Status.WITHDRAWN:
            await applications.withdraw_application(self.session, application_id=app.id,
                                                    actor=ACTOR, now=self.now,
                                                    reason="Found the money elsewhere")
            return app.id
        if target is Status.SUBMITTED:
            return app.id
        outcome = {Status.DECLINED: Status.DECLINED, Status.REFERRED: Status.REFERRED,
                   Status.COUNTER_OFFERED: Status.COUNTER_OFFERED}.get(target, Status.APPROVED)
        trace = {"source": "demo seed", "note": "Seeded decision; no scoring engine ran."}
        offered = amount.times(Decimal("0.6")) if outcome is Status.COUNTER_OFFERED else None
        await decisions.record_decision(
            self.session, application_id=app.id, outcome=outcome, trace=trace, actor=ACTOR,
            now=self.now, risk_band=None if outcome is Status.DECLINED else "B",
            offered_amount=offered, offered_term=36 if offered else None,
        )
        if target in (Status.APPROVED, Status.DECLINED, Status.REFERRED,
                      Status.COUNTER_OFFERED):
            return app.id
        await decisions.accept_offer(self.session, application_id=app.id, actor=ACTOR,
                                     now=self.now)
        if target is Status.ACCEPTED:
            return app.id
        await self._sign(app.id, start=self.today, now=self.now)
        return app.id

    async def _sign(self, application_id: int, *, start: dt.date, now: dt.datetime,
                    first_due: dt.date | None = None) -> None:
        generated = await signing.generate_agreement(
            self.session, application_id=application_id, lender_name=self.lender,
            otp_secret=self.secret, start_date=start, first_due_date=first_due, actor=ACTOR,
            now=now,
        )
        await signing.sign_agreement(
            self.session, application_id=application_id, code=generated.code.code,
            otp_secret=self.secret, channel=ApplicationChannel.WHATSAPP, address="demo",
            actor=ACTOR, now=now,
        )

    async def loan(self, customer_id: int, scenario: Scenario) -> int:
        """A loan disbursed so that, after `paid` instalments paid on time, the oldest unpaid
        instalment falls `days_past_due` days before today."""
        unpaid_due = self.today - dt.timedelta(days=scenario.days_past_due)
        if scenario.product in ("SALARY_ADVANCE", "MICRO_BUSINESS"):
            days = 14 if scenario.product == "SALARY_ADVANCE" else 7
            first_due = unpaid_due - dt.timedelta(days=days * scenario.paid)
            start = first_due - dt.timedelta(days=days)
        else:
            first_due = add_months(unpaid_due, -scenario.paid)
            start = add_months(first_due, -1)
        applied = dt.datetime.combine(start - dt.timedelta(days=3), dt.time(10), tzinfo=dt.UTC)
        app = await applications.create_application(
            self.session, customer_id=customer_id, product_code=scenario.product,
            term=scenario.term, channel=ApplicationChannel.WHATSAPP, now=applied, actor=ACTOR,
            amount=Money.of(scenario.amount), purpose="Demo loan",
        )
        await applications.submit_application(self.session, application_id=app.id, actor=ACTOR,
                                              now=applied)
        decided = applied + dt.timedelta(hours=2)
        await decisions.record_decision(
            self.session, application_id=app.id, outcome=Status.APPROVED,
            trace={"source": "demo seed", "note": "Seeded decision; no scoring engine ran."},
            actor=ACTOR, now=decided, risk_band="B",
        )
        await decisions.accept_offer(self.session, application_id=app.id, actor=ACTOR,
                                     now=decided)
        await self._sign(app.id, start=start, first_due=first_due, now=decided)
        loan = await disbursement.disburse_application(
            self.session, application_id=app.id, disbursed_on=start, actor=ACTOR,
            now=dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC), first_due_date=first_due,
        )
        instalments = list(await self.session.scalars(
            select(Instalment).where(Instalment.loan_id == loan.id)
            .order_by(Instalment.number).limit(scenario.paid)
        ))
        for row in instalments:
            if row.due_date > self.today:
                break
            await repayment.record_repayment(
                self.session, loan_id=loan.id,
                amount=Money.of(row.principal_due + row.interest_due + row.fee_due),
                paid_on=row.due_date, idempotency_key=f"demo:{loan.id}:{row.number}",
                actor=ACTOR,
            )
        if scenario.kind in ("settled", "restructured", "written_off"):
            self.endings.append((loan.id, scenario))
        return loan.id

    async def finish(self, loan_id: int, scenario: Scenario) -> None:
        if scenario.kind == "settled":
            await settlement.settle(self.session, loan_id=loan_id, as_of=self.today,
                                    idempotency_key=f"demo:settle:{loan_id}", actor=ACTOR)
        elif scenario.kind == "restructured":
            await restructure.restructure(
                self.session, loan_id=loan_id, as_of=self.today, term=48,
                reason="Hardship: reduced hours", actor=ACTOR, capitalise_arrears=True,
                first_due_date=add_months(self.today, 1),
            )
        elif scenario.kind == "written_off":
            await writeoff.write_off(self.session, loan_id=loan_id, as_of=self.today,
                                     reason="Over 180 days past due; no contact", actor=ACTOR)
