"""Identity documents (encrypted, found by keyed hash), consent history and employment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.crypto import FieldCipher
from core.customers.consents import consent_history, grant_consent, has_consent, withdraw_consent
from core.customers.employment import current_employment, set_employment
from core.customers.identity import (
    add_identity_document,
    find_customer_by_document,
    matches_verification,
    reveal_document_number,
    verify_identity_document,
)
from core.customers.models import (
    ConsentType,
    ContactChannel,
    Customer,
    DocumentType,
    EmploymentStatus,
)
from core.customers.service import register_customer
from core.customers.summary import customer_summary
from core.errors import ConflictError, NotFoundError, ValidationError
from core.money import Money
from lendline.settings import Settings
from tests.integration.rows import CUSTOMER_TABLES, row_counts

TODAY = date(2025, 3, 14)
NOW = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
ACTOR = "staff:7"
NATIONAL_ID = DocumentType.NATIONAL_ID


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    return FieldCipher(settings.resolved_secret_key())


async def customer(
    session: AsyncSession, first_name: str = "Marisa", phone: str = "868 555 0106"
) -> Customer:
    return await register_customer(
        session, first_name=first_name, last_name="Baptiste", date_of_birth=date(1985, 1, 1),
        today=TODAY, actor=ACTOR, contacts=[(ContactChannel.WHATSAPP, phone)],
    )


async def test_document_numbers_are_encrypted_and_found_by_hash(
    session: AsyncSession, cipher: FieldCipher
) -> None:
    marisa = await customer(session)
    document = await add_identity_document(
        session, cipher=cipher, customer_id=marisa.id, document_type=NATIONAL_ID,
        number="1985-0101-001", today=TODAY, actor=ACTOR, expiry_date=date(2030, 1, 1),
    )
    assert document.last4 == "1001" and document.issuing_country == "TT"
    assert document.number_hash == cipher.lookup_hash("19850101001")
    stored = await session.execute(
        text("SELECT row_to_json(d)::text FROM identity_documents d WHERE id = :id"),
        {"id": document.id},
    )
    raw = stored.scalar_one()
    assert "19850101001" not in raw and "1985-0101-001" not in raw
    assert cipher.decrypt(document.number_encrypted) == "19850101001"
    for form in ("19850101001", "1985 0101 001", " 1985-0101-001 "):
        assert await find_customer_by_document(session, cipher=cipher, number=form) == marisa
    assert await find_customer_by_document(
        session, cipher=cipher, number="19850101001", document_type=DocumentType.PASSPORT
    ) is None
    assert await find_customer_by_document(session, cipher=cipher, number="19850101002") is None
    other_key = FieldCipher("another-secret-" + "z" * 32)
    assert await find_customer_by_document(session, cipher=other_key, number="19850101001") is None

    revealed = await reveal_document_number(session, cipher=cipher, customer_id=marisa.id,
                                            document_id=document.id, actor=ACTOR)
    assert revealed == "19850101001"
    events = await trail.history(session, entity_type="customer", entity_id=marisa.id)
    assert [e.action for e in events][-2:] == ["customer.document_added",
                                               "customer.document_revealed"]
    assert "19850101001" not in str([(e.before, e.after) for e in events])


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"number": "19850101001"}, ConflictError,
         "That national ID number is already on file for another customer."),
        ({"number": "12#4"}, ValidationError, "should be 5 to 20 letters and digits"),
        ({"expiry_date": date(2025, 3, 13)}, ValidationError, "expired on 13 March 2025"),
        ({"issuing_country": "TTO"}, ValidationError, "not a two-letter country code"),
        ({"customer_id": 999_999}, NotFoundError, "no customer with id 999999"),
    ],
)
async def test_bad_documents_change_nothing(
    session: AsyncSession, cipher: FieldCipher, changes: dict[str, Any],
    error: type[Exception], message: str,
) -> None:
    first = await customer(session)
    second = await customer(session, "Dexter", "868 555 0107")
    await add_identity_document(session, cipher=cipher, customer_id=first.id,
                                document_type=NATIONAL_ID, number="19850101001", today=TODAY,
                                actor=ACTOR)
    values: dict[str, Any] = {"customer_id": second.id, "document_type": NATIONAL_ID,
                              "number": "19900202002", "today": TODAY, "actor": ACTOR}
    before = await row_counts(session, CUSTOMER_TABLES)
    with pytest.raises(error, match=message):
        await add_identity_document(session, cipher=cipher, **{**values, **changes})
    assert await row_counts(session, CUSTOMER_TABLES) == before


async def test_same_document_twice_and_verification(
    session: AsyncSession, cipher: FieldCipher
) -> None:
    marisa = await customer(session)
    passport = await add_identity_document(
        session, cipher=cipher, customer_id=marisa.id, document_type=DocumentType.PASSPORT,
        number="TA123456", today=TODAY, actor=ACTOR, expiry_date=TODAY,
    )
    with pytest.raises(ConflictError, match="passport number is already on file for this customer"):
        await add_identity_document(
            session, cipher=cipher, customer_id=marisa.id, document_type=DocumentType.PASSPORT,
            number="ta 123 456", today=TODAY, actor=ACTOR,
        )
    await verify_identity_document(session, customer_id=marisa.id, document_id=passport.id,
                                   now=NOW, actor=ACTOR)
    assert passport.verified_at == NOW
    born = date(1985, 1, 1)
    assert await matches_verification(session, customer_id=marisa.id, date_of_birth=born,
                                      id_last4="3456")
    assert not await matches_verification(session, customer_id=marisa.id, date_of_birth=born,
                                          id_last4="3457")
    assert not await matches_verification(session, customer_id=marisa.id,
                                          date_of_birth=date(1985, 1, 2), id_last4="3456")


async def test_consent_history_is_append_only(session: AsyncSession) -> None:
    marisa = await customer(session)

    async def consent(kind: ConsentType, channel: ContactChannel | None = None) -> bool:
        return await has_consent(session, customer_id=marisa.id, consent_type=kind,
                                 channel=channel)

    credit = ConsentType.CREDIT_CHECK
    assert not await consent(credit)
    await grant_consent(session, customer_id=marisa.id, consent_type=credit, now=NOW,
                        source="whatsapp conversation", actor="agent", reference="bureau v1")
    assert await consent(credit)
    await withdraw_consent(session, customer_id=marisa.id, consent_type=credit,
                           now=NOW + timedelta(days=1), source="branch letter", actor=ACTOR)
    assert not await consent(credit)
    await grant_consent(session, customer_id=marisa.id, consent_type=credit,
                        now=NOW + timedelta(days=2), source="web form", actor="agent")
    assert await consent(credit)
    history = await consent_history(session, customer_id=marisa.id, consent_type=credit)
    assert [(c.granted, c.source) for c in history] == [
        (True, "whatsapp conversation"), (False, "branch letter"), (True, "web form")
    ]
    assert history[0].reference == "bureau v1"


async def test_marketing_consent_per_channel(session: AsyncSession) -> None:
    marisa = await customer(session)
    marketing, sms, whatsapp = ConsentType.MARKETING, ContactChannel.SMS, ContactChannel.WHATSAPP

    async def decide(*, granted: bool, hours: int, channel: ContactChannel | None) -> None:
        record = grant_consent if granted else withdraw_consent
        await record(session, customer_id=marisa.id, consent_type=marketing,
                     now=NOW + timedelta(hours=hours), source="chat", actor="agent",
                     channel=channel)

    async def state() -> tuple[bool, bool, bool]:
        return (
            await has_consent(session, customer_id=marisa.id, consent_type=marketing),
            await has_consent(session, customer_id=marisa.id, consent_type=marketing,
                              channel=sms),
            await has_consent(session, customer_id=marisa.id, consent_type=marketing,
                              channel=whatsapp),
        )

    await decide(granted=True, hours=1, channel=sms)
    assert await state() == (False, True, False)
    await decide(granted=True, hours=2, channel=None)
    assert await state() == (True, True, True)
    await decide(granted=False, hours=3, channel=whatsapp)
    assert await state() == (True, True, False)
    await decide(granted=False, hours=4, channel=None)  # "stop all marketing" wins everywhere
    assert await state() == (False, False, False)
    await decide(granted=True, hours=5, channel=whatsapp)
    assert await state() == (False, False, True)
    assert len(await consent_history(session, customer_id=marisa.id)) == 5


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"channel": ContactChannel.SMS}, ValidationError, "Only marketing consent is given per"),
        ({"source": "  "}, ValidationError, "where the consent decision came from"),
        ({"now": datetime(2025, 3, 14, 9, 0)}, ValidationError, "needs a time zone"),
        ({"customer_id": 999_999}, NotFoundError, "no customer with id 999999"),
    ],
)
async def test_bad_consents_change_nothing(
    session: AsyncSession, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    marisa = await customer(session)
    values: dict[str, Any] = {"customer_id": marisa.id, "consent_type": ConsentType.TERMS,
                              "now": NOW, "source": "web", "actor": ACTOR}
    before = await row_counts(session, CUSTOMER_TABLES)
    with pytest.raises(error, match=message):
        await withdraw_consent(session, **{**values, **changes})
    assert await row_counts(session, CUSTOMER_TABLES) == before


def ttd(amount: str) -> Money:
    return Money.of(amount)


async def test_employment_declarations_supersede(session: AsyncSession) -> None:
    marisa = await customer(session)
    first = await set_employment(
        session, customer_id=marisa.id, status=EmploymentStatus.EMPLOYED,
        employer="Republic Bank", occupation="Teller", start_date=date(2015, 9, 1),
        gross_monthly_income=ttd("9500"), net_monthly_income=ttd("7800.50"),
        monthly_expenses=ttd("4200"), today=date(2025, 1, 10), actor=ACTOR,
    )
    assert first.other_monthly_income == 0 and first.currency == "TTD"
    second = await set_employment(
        session, customer_id=marisa.id, status=EmploymentStatus.SELF_EMPLOYED,
        occupation="Caterer", gross_monthly_income=ttd("12000"),
        net_monthly_income=ttd("10000"), other_monthly_income=ttd("1500"),
        monthly_expenses=ttd("5000"), today=TODAY, actor=ACTOR,
    )
    assert first.superseded_on == TODAY and second.superseded_on is None
    assert await current_employment(session, customer_id=marisa.id) == second
    events = await trail.history(session, entity_type="customer", entity_id=marisa.id)
    assert events[-1].before is not None and events[-1].before["employer"] == "Republic Bank"
    assert events[-1].after is not None and events[-1].after["gross_monthly_income"] == "12000.00"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gross_monthly_income": ttd("-1")}, "gross monthly income cannot be negative"),
        ({"monthly_expenses": ttd("-0.01")}, "monthly expenses cannot be negative"),
        ({"net_monthly_income": ttd("9500.01")}, "net monthly income \\(TTD 9,500.01\\) cannot"),
        ({"employer": None}, "Please give the employer's name"),
        ({"start_date": date(2025, 3, 15)}, "start date 15 March 2025 is in the future"),
        ({"start_date": date(1984, 12, 31)}, "before the customer's birth"),
        ({"monthly_expenses": Money.of("100", "USD")}, "same currency"),
    ],
)
async def test_bad_employment_changes_nothing(
    session: AsyncSession, changes: dict[str, Any], message: str
) -> None:
    marisa = await customer(session)
    values: dict[str, Any] = {
        "customer_id": marisa.id, "status": EmploymentStatus.CONTRACT, "employer": "NGC",
        "gross_monthly_income": ttd("9500"), "net_monthly_income": ttd("8000"),
        "monthly_expenses": ttd("3000"), "today": TODAY, "actor": ACTOR,
    }
    await set_employment(session, **values)
    before = await row_counts(session, CUSTOMER_TABLES)
    with pytest.raises(ValidationError, match=message):
        await set_employment(session, **{**values, **changes})
    assert await row_counts(session, CUSTOMER_TABLES) == before
    current = await current_employment(session, customer_id=marisa.id)
    assert current is not None and current.employer == "NGC"


async def test_customer_summary(session: AsyncSession, cipher: FieldCipher) -> None:
    marisa = await customer(session)
    await add_identity_document(session, cipher=cipher, customer_id=marisa.id,
                                document_type=NATIONAL_ID, number="19850101001", today=TODAY,
                                actor=ACTOR)
    await set_employment(session, customer_id=marisa.id, status=EmploymentStatus.RETIRED,
                         gross_monthly_income=ttd("6000"), net_monthly_income=ttd("6000"),
                         monthly_expenses=ttd("2500"), today=TODAY, actor=ACTOR)
    await grant_consent(session, customer_id=marisa.id, consent_type=ConsentType.TERMS, now=NOW,
                        source="web", actor=ACTOR, reference="terms v3")
    await withdraw_consent(session, customer_id=marisa.id, consent_type=ConsentType.MARKETING,
                           now=NOW, source="web", actor=ACTOR, channel=ContactChannel.SMS)
    summary = await customer_summary(session, customer_id=marisa.id)
    assert summary.number == marisa.number and summary.status == "active"
    assert [(c.channel, c.display, c.primary, c.verified) for c in summary.contacts] == [
        (ContactChannel.WHATSAPP, "+1 868-555-0106", True, False)
    ]
    assert [(d.document_type, d.last4) for d in summary.documents] == [(NATIONAL_ID, "1001")]
    assert "19850101001" not in summary.model_dump_json()
    assert summary.employment is not None
    assert summary.employment.net_monthly_income == ttd("6000").amount
    assert {(c.consent_type, c.channel, c.granted) for c in summary.consents} == {
        (ConsentType.TERMS, None, True), (ConsentType.MARKETING, ContactChannel.SMS, False)
    }
    with pytest.raises(NotFoundError):
        await customer_summary(session, customer_id=999_999)
