"""The export of everything held about a demo customer, after a phone call in which they
verified with their ID digits; and the staff API in front of it."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from agent.conversation import Inbound
from core.applications.documents import attach_document
from core.applications.lifecycle import Status
from core.applications.models import Application
from core.audit.models import AuditEvent
from core.collections.models import CollectionCase
from core.conversations.models import ConversationMessage, Direction
from core.customers.models import ContactChannel, ContactPoint, Customer, IdentityDocument
from core.customers.service import register_customer
from core.money import Money
from core.payments.sandbox_provider import SandboxProvider
from core.payments.service import create_payment_link
from core.privacy.export import FORMAT, SECTIONS, export_archive, export_customer
from core.privacy.masking import DIGITS_MASK, MASK
from core.staff.models import Role, StaffUser
from core.staff.service import create_staff
from lendline.settings import Settings
from tests.agent.clock import Clock
from tests.agent.conftest import make_agent
from tests.privacy.conftest import TODAY

NOW = dt.datetime.combine(TODAY, dt.time(16), tzinfo=dt.UTC)
PDF = b"%PDF-1.4 payslip for March"
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")


async def in_collections(session: AsyncSession) -> tuple[Customer, IdentityDocument, str]:
    """The demo customer of the first collections case, their national ID and phone."""
    customer_id = await session.scalar(
        select(CollectionCase.customer_id).where(CollectionCase.customer_id.is_not(None))
        .order_by(CollectionCase.id).limit(1))
    customer = await session.get_one(Customer, customer_id)
    document = await session.scalar(select(IdentityDocument).where(
        IdentityDocument.customer_id == customer.id))
    phone = await session.scalar(select(ContactPoint.address).where(
        ContactPoint.customer_id == customer.id, ContactPoint.channel == ContactChannel.VOICE))
    assert document is not None and phone is not None
    return customer, document, phone


async def phone_call(connection: AsyncConnection, settings: Settings, customer: Customer,
                     phone: str, digits: str) -> int:
    """A balance enquiry by phone: date of birth spoken, the ID's last four keyed in."""
    agent = make_agent(connection, settings, Clock(NOW))
    await agent.converse(Inbound(channel="voice", address=phone, text="what is my balance"))
    await agent.converse(Inbound(channel="voice", address=phone,
                                 text=f"{customer.date_of_birth:%d %B %Y}"))
    result = await agent.converse(Inbound(channel="voice", address=phone, dtmf=digits))
    assert "verified" in " ".join(reply["text"] for reply in result.replies)
    return result.conversation_id


async def test_id_digits_keyed_in_leave_the_transcript_and_the_audit_trail(
        demo_connection: AsyncConnection, demo_session: AsyncSession,
        settings: Settings) -> None:
    customer, document, phone = await in_collections(demo_session)
    conversation = await phone_call(demo_connection, settings, customer, phone, document.last4)

    said = (await demo_session.scalars(select(ConversationMessage.body).where(
        ConversationMessage.conversation_id == conversation,
        ConversationMessage.direction == Direction.INBOUND)
        .order_by(ConversationMessage.id))).all()
    assert said == ["what is my balance", f"{customer.date_of_birth:%d %B %Y}", DIGITS_MASK]
    [call] = (await demo_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "tool.verify_date_of_birth",
        AuditEvent.entity_id == str(conversation)))).all()
    assert call.after is not None and call.after["args"] == {
        "date_of_birth": customer.date_of_birth.isoformat(), "id_digits": MASK}


async def test_the_export_holds_every_section_with_identity_numbers_decrypted(
        demo_connection: AsyncConnection, demo_session: AsyncSession,
        settings: Settings) -> None:
    session, cipher = demo_session, settings.field_cipher()
    customer, document, phone = await in_collections(session)
    conversation = await phone_call(demo_connection, settings, customer, phone, document.last4)
    [loan_id] = (await session.scalars(select(CollectionCase.loan_id).where(
        CollectionCase.customer_id == customer.id))).all()
    assert loan_id is not None
    provider = SandboxProvider(base_url="http://lendline.test",
                               app_secret=settings.resolved_secret_key(), now=lambda: NOW)
    await create_payment_link(session, provider, loan_id=loan_id, customer_id=customer.id,
                              amount=Money.of(100), max_amount=Money.of(100_000),
                              description="Arrears", success_url="http://lendline.test/done",
                              actor="staff:1")

    exported = await export_customer(session, cipher=cipher, customer_id=customer.id,
                                     actor="staff:7", now=NOW)

    assert exported["format"] == FORMAT and set(SECTIONS) <= set(exported)
    assert json.loads(json.dumps(exported)) == exported
    profile = exported["customer"]
    [held] = profile["identity_documents"]
    assert cipher.lookup_hash(held["number"]) == document.number_hash
    assert held["number"].endswith(document.last4)
    assert "number_encrypted" not in held and "number_hash" not in held
    assert profile["date_of_birth"] == customer.date_of_birth.isoformat()
    assert len(profile["contact_points"]) == 3 and len(profile["employments"]) == 1
    assert {c["consent_type"] for c in exported["consents"]} == {"terms", "credit_check"}
    [application] = exported["applications"]
    assert application["status"] == Status.DISBURSED.value
    assert application["decided_at"] is not None and application["decision_outcome"]
    assert application["agreements"] and application["decline_overrides"] == []
    assert "credit_decisions" in application
    [loan] = exported["loans"]
    assert loan["id"] == loan_id and AMOUNT.match(loan["principal"])
    assert dt.date.fromisoformat(loan["disbursed_on"]) < TODAY
    assert loan["schedule"] and all(AMOUNT.match(i["principal_due"]) for i in loan["schedule"])
    assert any(t["allocations"] for t in loan["transactions"])
    [payment] = exported["payments"]
    assert (payment["loan_id"], payment["amount"], payment["events"]) == (loan_id, "100.00", [])
    assert [case["loan_id"] for case in exported["collections"]["cases"]] == [loan_id]
    [call] = exported["conversations"]
    assert call["id"] == conversation and call["channel"] == "voice"
    assert [m["body"] for m in call["messages"] if m["direction"] == "inbound"][-1] == DIGITS_MASK
    audited = {(e["entity_type"], e["action"]) for e in exported["audit_events"]}
    assert {("customer", "customer.registered"), ("loan", "loan.disbursed"),
            ("conversation", "tool.verify_date_of_birth"),
            ("payment_intent", "payment_link.created")} <= audited

    [event] = (await session.scalars(select(AuditEvent).where(
        AuditEvent.action == "customer.exported"))).all()
    assert (event.actor, event.entity_id) == ("staff:7", str(customer.id))
    assert event.after is not None and event.after["format"] == "json"
    assert event.after["sections"]["loans"] == 1
    assert event.after["sections"]["audit_events"] == len(exported["audit_events"])


async def test_the_zip_holds_the_uploaded_files_and_agreements_decrypted(
        demo_session: AsyncSession, settings: Settings) -> None:
    session, cipher = demo_session, settings.field_cipher()
    submitted = await session.scalar(select(Application).where(
        Application.status == Status.SUBMITTED).order_by(Application.id).limit(1))
    assert submitted is not None
    upload = await attach_document(
        session, application_id=submitted.id, document_type="payslip", filename="march.pdf",
        content_type="application/pdf", content=PDF, actor="customer", cipher=cipher)
    archive = zipfile.ZipFile(io.BytesIO(await export_archive(
        session, cipher=cipher, customer_id=submitted.customer_id, actor="cli:ops", now=NOW)))
    assert archive.namelist() == ["export.json",
                                  f"documents/{submitted.reference}/{upload.id}-march.pdf"]
    assert archive.read(archive.namelist()[1]) == PDF
    assert json.loads(archive.read("export.json"))["applications"][0]["documents"][0][
        "filename"] == "march.pdf"

    customer, _, _ = await in_collections(session)
    signed = zipfile.ZipFile(io.BytesIO(await export_archive(
        session, cipher=cipher, customer_id=customer.id, actor="cli:ops", now=NOW)))
    [agreement] = [name for name in signed.namelist() if name.startswith("agreements/")]
    assert re.fullmatch(r"agreements/APP-\d+-v1\.pdf", agreement)
    assert signed.read(agreement).startswith(b"%PDF")


async def test_the_api_exports_to_supervisors_and_refuses_others(
        api: httpx.AsyncClient, session: AsyncSession, staff: StaffUser) -> None:
    customer = await register_customer(
        session, first_name="Maya", last_name="Lewis", date_of_birth=dt.date(1988, 4, 2),
        today=TODAY, actor="test", contacts=[(ContactChannel.SMS, "+18685550177")])
    await create_staff(session, email="agent@privacy.example", name="Andre", role=Role.AGENT,
                       password="agent-password-1", actor="test")

    async def count() -> int:
        found = await session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "customer.exported"))
        return int(found or 0)

    refused = await api.get(f"/api/v1/customers/{customer.id}/export",
                            auth=("agent@privacy.example", "agent-password-1"))
    assert refused.status_code == 403
    assert refused.json() == {"error": "permission_denied", "detail": (
        "Only supervisors and admins may export everything held about a customer.")}
    missing = await api.get("/api/v1/customers/999999/export")
    assert missing.status_code == 404 and "999999" in missing.json()["detail"]
    assert await count() == 0

    answer = await api.get(f"/api/v1/customers/{customer.id}/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="customer-{customer.id}-export.json"')
    body = answer.json()
    assert set(SECTIONS) <= set(body) and body["customer"]["first_name"] == "Maya"
    assert body["generated_by"].startswith("staff:")
    zipped = await api.get(f"/api/v1/customers/{customer.id}/export", params={"format": "zip"})
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(zipped.content)).namelist() == ["export.json"]
    assert await count() == 2
    events = (await session.scalars(select(AuditEvent).where(
        AuditEvent.action == "customer.exported").order_by(AuditEvent.id))).all()
    assert [(e.actor, e.entity_id, (e.after or {})["format"]) for e in events] == [
        (f"staff:{staff.id}", str(customer.id), "json"),
        (f"staff:{staff.id}", str(customer.id), "zip")]
    assert all(e.ip is not None and e.at is not None for e in events)
