"""Identity and account numbers at rest: ciphertext in the tables, found by keyed hash,
masked where only a trace is kept, moved to a new key by `rotate_keys`, and migration 0012
bringing rows written by earlier versions into line."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications.documents import attach_document, document_content, load_document
from core.applications.models import Application, ApplicationChannel
from core.applications.service import create_application
from core.audit import trail
from core.audit.models import AuditEvent
from core.collections.accounts import import_accounts
from core.collections.models import CollectionAccount
from core.conversations.models import Channel
from core.conversations.store import open_conversation, record_inbound
from core.crypto import CipherError, FieldCipher
from core.customers.identity import add_identity_document, find_customer_by_document
from core.customers.models import Customer, DocumentType, IdentityDocument
from core.money import Money
from core.privacy.rotation import RotationReport, rotate_keys
from core.scoring.bank_statements import analyse_bank_statement
from core.scoring.cashflow import TransactionLabel
from core.scoring.statements import Transaction
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from tests.integration.tools.support import CIPHER, borrower, lender

NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
NATIONAL_ID = "19900501001"
PDF = b"%PDF-1.4 statement for account 001234567"
OLD, NEW = "previous-secret-key-0001", "current-secret-key-0002"
MIGRATION = Path(__file__).parents[2] / "core/db/migrations/versions/0012_data_protection.py"
STATEMENT = """date,description,amount,balance
2025-03-25,SALARY ACME 0012345678,8000.00,8500.00
2025-04-05,TRANSFER TO 555-123-4567-89,-1500.00,7000.00
2025-04-25,SALARY ACME 0012345678,8000.00,15000.00
2025-05-05,TRANSFER TO 555-123-4567-89,-1500.00,13500.00
2025-05-25,SALARY ACME 0012345678,8000.00,21500.00
2025-05-27,ZX*77 CARD 4111 1111 1111 1111,-40.00,21460.00
"""


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0012", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def rows_as_text(session: AsyncSession, table: str) -> str:
    return " ".join((await session.scalars(text(f"SELECT t::text FROM {table} t"))).all())


async def customer_with_application(session: AsyncSession) -> tuple[Customer, Application]:
    await lender(session, NOW)
    customer = await borrower(session, today=NOW.date(), national_id=NATIONAL_ID)
    application = await create_application(
        session, customer_id=customer.id, product_code="PERSONAL", term=12,
        channel=ApplicationChannel.WHATSAPP, now=NOW, actor="test", amount=Money.of(5000))
    return customer, application


async def test_identity_numbers_are_ciphertext_found_by_their_hash(
        empty_session: AsyncSession) -> None:
    session = empty_session
    customer, _ = await customer_with_application(session)
    await import_accounts(
        session, lender_code="ACME", filename="accounts.csv", cipher=CIPHER,
        content=(b"lender_code,external_reference,customer_name,principal_outstanding,"
                 b"arrears_amount,days_past_due,national_id\n"
                 b"ACME,AC-1,Kavita Singh,1250.00,150.00,45,1988-0101-777\n"),
        today=NOW.date(), actor="test")

    stored = await rows_as_text(session, "identity_documents")
    imported = await rows_as_text(session, "collection_accounts")
    assert NATIONAL_ID not in stored and "19880101777" not in imported
    document = await session.scalar(select(IdentityDocument))
    account = await session.scalar(select(CollectionAccount))
    assert document is not None and account is not None
    assert document.number_hash == CIPHER.lookup_hash(NATIONAL_ID) and document.last4 == "1001"
    assert CIPHER.decrypt(document.number_encrypted) == NATIONAL_ID
    assert account.national_id_hash == CIPHER.lookup_hash("19880101777")
    assert await find_customer_by_document(session, cipher=CIPHER,
                                           number="1990 0501-001") == customer
    assert await find_customer_by_document(session, cipher=FieldCipher(NEW),
                                           number=NATIONAL_ID) is None


async def test_uploaded_files_are_ciphertext(empty_session: AsyncSession) -> None:
    session = empty_session
    _, application = await customer_with_application(session)
    document = await attach_document(
        session, application_id=application.id, document_type="bank_statement",
        filename="statement.pdf", content_type="application/pdf", content=PDF, actor="test",
        cipher=CIPHER)

    raw = await session.scalar(text("SELECT content FROM application_documents WHERE id = :id"),
                               {"id": document.id})
    assert raw.startswith(b"gAAAAA") and b"001234567" not in raw and b"%PDF" not in raw
    loaded = await load_document(session, application_id=application.id,
                                 document_id=document.id, with_content=True)
    assert document_content(loaded, cipher=CIPHER) == PDF
    assert (loaded.size_bytes, loaded.content_removed_at) == (len(PDF), None)
    with pytest.raises(CipherError):
        document_content(loaded, cipher=FieldCipher(NEW))


async def test_the_audit_trail_keeps_no_id_digits(empty_session: AsyncSession) -> None:
    session = empty_session
    await trail.record(session, actor="agent:conversation-7", action="tool.verify_date_of_birth",
                       entity_type="conversation", entity_id=7,
                       after={"args": {"date_of_birth": dt.date(1972, 6, 17),
                                       "id_digits": "7974"}, "result": {"verified": True}})
    await trail.record_many(session, [{"action": "x.imported", "entity_type": "x",
                                       "entity_id": 1, "after": {"national_id": "19720617974"}}],
                            actor="test")
    stored = await rows_as_text(session, "audit_events")
    assert "7974" not in stored and stored.count("[masked]") == 2
    assert "1972-06-17" in stored


class Labeller:
    """Stands in for an LLM labeller: records what it was shown."""

    name = "recording"

    def __init__(self) -> None:
        self.shown: list[str] = []

    async def label(self, transactions: Sequence[Transaction]
                    ) -> Mapping[int, TransactionLabel]:
        self.shown = [t.description for t in transactions]
        return {}


async def test_statement_lines_reach_a_labeller_with_only_last_four_digits(
        empty_session: AsyncSession) -> None:
    session = empty_session
    _, application = await customer_with_application(session)
    labeller = Labeller()
    row = await analyse_bank_statement(session, application_id=application.id,
                                       csv_text=STATEMENT, actor="test", labeler=labeller)
    assert labeller.shown == ["ZX*77 CARD ************1111"]
    assert "0012345678" not in json.dumps(row.details)
    assert row.monthly_income == Money.of(8000).amount


async def test_migration_0012_encrypts_and_masks_what_earlier_versions_kept(
        empty_session: AsyncSession) -> None:
    session = empty_session
    steps = migration()
    _, application = await customer_with_application(session)
    document_id = await session.scalar(text(
        "INSERT INTO application_documents (application_id, document_type, filename, "
        "content_type, size_bytes, sha256, content, uploaded_by, review_status) VALUES "
        "(:app, 'bank_statement', 'old.pdf', 'application/pdf', :size, :sha, :content, "
        "'customer', 'pending') RETURNING id"),
        {"app": application.id, "size": len(PDF), "sha": "0" * 64, "content": PDF})
    call = await open_conversation(session, channel=Channel.VOICE, address="+18685550101",
                                   now=NOW)
    answer = await record_inbound(session, conversation=call, body="7 9 7 4", now=NOW)
    later = await record_inbound(session, conversation=call, body="7974 dollars?",
                                 now=NOW + dt.timedelta(hours=2))
    assert answer is not None and later is not None
    await session.execute(text(
        "INSERT INTO audit_events (at, actor, action, entity_type, entity_id, after) VALUES "
        "(:at, 'agent', 'tool.verify_date_of_birth', 'conversation', :conversation, "
        "CAST(:after AS jsonb))"),
        {"at": NOW, "conversation": str(call.id), "after": json.dumps(
            {"args": {"date_of_birth": "1972-06-17", "id_digits": "7974"}})})
    await session.flush()
    connection = await session.connection()

    async def run(step: str, *args: Any) -> int:
        count: int = await connection.run_sync(getattr(steps, step), *args)
        return count

    with pytest.raises(RuntimeError, match="rewrites 1 stored document"):
        await run("encrypt_documents", None)
    assert await run("encrypt_documents", CIPHER) == 1
    assert await run("redact_transcripts") == 1
    assert await run("mask_audit_events") == 1
    for step in ("redact_transcripts", "mask_audit_events"):
        assert await run(step) == 0
    assert await run("encrypt_documents", CIPHER) == 0
    assert await run("decrypt_documents", CIPHER) == 1
    assert await session.scalar(text("SELECT content FROM application_documents WHERE id = "
                                     ":id"), {"id": document_id}) == PDF
    assert await run("encrypt_documents", CIPHER) == 1

    session.expire_all()
    stored = await session.scalar(text("SELECT content FROM application_documents WHERE id = "
                                       ":id"), {"id": document_id})
    assert CIPHER.decrypt_bytes(stored) == PDF
    bodies = (await session.scalars(text(
        "SELECT body FROM conversation_messages ORDER BY id"))).all()
    assert bodies == ["••••", "7974 dollars?"]
    event = await session.scalar(select(AuditEvent).where(
        AuditEvent.action == "tool.verify_date_of_birth"))
    assert event is not None and event.after == {
        "args": {"date_of_birth": "1972-06-17", "id_digits": "[masked]"}}
    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text("UPDATE audit_events SET actor = 'x'"))


async def test_rotate_keys_moves_every_secret_to_the_current_key(
        empty_session: AsyncSession) -> None:
    session = empty_session
    old = FieldCipher(OLD)
    customer, application = await customer_with_application(session)
    await session.execute(text("DELETE FROM identity_documents"))
    await add_identity_document(session, cipher=old, customer_id=customer.id,
                                document_type=DocumentType.NATIONAL_ID, number=NATIONAL_ID,
                                today=NOW.date(), actor="test")
    document = await attach_document(
        session, application_id=application.id, document_type="payslip", filename="p.pdf",
        content_type="application/pdf", content=PDF, actor="test", cipher=old)
    staff = await create_staff(session, email="rotate@lendline.example", name="Rory",
                               role=Role.ADMIN, password="long-enough-password", actor="test")
    staff.totp_secret = old.encrypt("JBSWY3DPEHPK3PXP")
    await import_accounts(
        session, lender_code="ACME", filename="accounts.csv", cipher=old,
        content=(b"lender_code,external_reference,customer_name,principal_outstanding,"
                 b"arrears_amount,days_past_due,national_id\n"
                 b"ACME,AC-9,Kavita Singh,1250.00,150.00,45,19880101777\n"),
        today=NOW.date(), actor="test")
    await session.flush()

    both, staff_id, document_id = FieldCipher(NEW, [OLD]), staff.id, document.id
    application_id = application.id
    report = await rotate_keys(session, cipher=both, actor="cli:ops")
    assert report == RotationReport(identity_numbers=1, imported_national_ids=1, documents=1,
                                    two_factor_secrets=1, lookup_hashes=2)
    assert await rotate_keys(session, cipher=both, actor="cli:ops") == RotationReport(
        0, 0, 0, 0, 0)

    new = FieldCipher(NEW)
    session.expire_all()
    assert await find_customer_by_document(session, cipher=new, number=NATIONAL_ID) == customer
    account = await session.scalar(select(CollectionAccount))
    assert account is not None and account.national_id_encrypted is not None
    assert new.decrypt(account.national_id_encrypted) == "19880101777"
    assert account.national_id_hash == new.lookup_hash("19880101777")
    rotated_staff = await session.scalar(select(StaffUser).where(StaffUser.id == staff_id))
    assert rotated_staff is not None and rotated_staff.totp_secret is not None
    assert new.decrypt(rotated_staff.totp_secret) == "JBSWY3DPEHPK3PXP"
    loaded = await load_document(session, application_id=application_id,
                                 document_id=document_id, with_content=True)
    assert document_content(loaded, cipher=new) == PDF
    actions = (await session.scalars(select(AuditEvent.after).where(
        AuditEvent.action == "privacy.keys_rotated").order_by(AuditEvent.id))).all()
    assert actions == [
        {"identity_numbers": 1, "imported_national_ids": 1, "documents": 1,
         "two_factor_secrets": 1, "lookup_hashes": 2},
        {"identity_numbers": 0, "imported_national_ids": 0, "documents": 0,
         "two_factor_secrets": 0, "lookup_hashes": 0}]


async def test_rotation_stops_at_a_value_no_key_opens(empty_session: AsyncSession) -> None:
    session = empty_session
    await customer_with_application(session)
    with pytest.raises(CipherError, match="could not be decrypted"):
        await rotate_keys(session, cipher=FieldCipher(NEW), actor="cli:ops")
