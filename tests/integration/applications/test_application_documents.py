"""Documents and references on an application: types, sizes, content checks and review."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.applications import decisions
from core.applications.documents import (
    MAX_REFERENCES,
    add_reference,
    attach_document,
    list_documents,
    list_references,
    review_document,
)
from core.applications.models import (
    MAX_DOCUMENT_BYTES,
    Application,
    ApplicationDocumentType,
    ReviewStatus,
)
from core.applications.service import submit_application, withdraw_application
from core.crypto import FieldCipher
from core.errors import DomainError, InvalidTransition, NotFoundError, ValidationError
from tests.integration.applications.conftest import ACTOR, NOW
from tests.integration.applications.helpers import snapshot

PDF = b"%PDF-1.4\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 10
CIPHER = FieldCipher("documents-test-secret-key")


def attach(session: AsyncSession, application: Application, **kwargs: Any) -> Awaitable[Any]:
    values: dict[str, Any] = {"document_type": "payslip", "filename": "march.pdf",
                              "content_type": "application/pdf", "content": PDF}
    return attach_document(session, application_id=application.id, actor="customer",
                           cipher=CIPHER, **{**values, **kwargs})


async def expect(
    session: AsyncSession, error: type[DomainError], message: str, call: Awaitable[Any]
) -> None:
    before = await snapshot(session)
    with pytest.raises(error, match=message):
        await call
    assert await snapshot(session) == before


async def test_attach_and_review_a_document(session: AsyncSession, draft: Application) -> None:
    document = await attach(session, draft, filename="C:\\Users\\ana\\payslip march.pdf",
                            content_type="application/pdf; charset=binary")
    assert (document.document_type, document.filename, document.content_type) == (
        ApplicationDocumentType.PAYSLIP, "payslip march.pdf", "application/pdf")
    assert (document.size_bytes, document.review_status) == (len(PDF), ReviewStatus.PENDING)
    assert len(document.sha256) == 64
    png = await attach(session, draft, document_type=ApplicationDocumentType.ID,
                       filename="id.png", content_type="image/png", content=PNG)
    assert [d.id for d in await list_documents(session, application_id=draft.id)] == [
        document.id, png.id]

    await review_document(session, application_id=draft.id, document_id=document.id,
                          status="rejected", note="Page 2 is missing", actor="staff:3", now=NOW)
    assert (document.review_status, document.review_note, document.reviewed_by) == (
        ReviewStatus.REJECTED, "Page 2 is missing", "staff:3")
    await review_document(session, application_id=draft.id, document_id=document.id,
                          status=ReviewStatus.ACCEPTED, actor="staff:3", now=NOW)
    assert (document.review_status, document.review_note) == (ReviewStatus.ACCEPTED, None)


async def test_bad_documents_are_refused(session: AsyncSession, draft: Application) -> None:
    too_big = b"%PDF-" + b"\0" * MAX_DOCUMENT_BYTES
    await expect(session, ValidationError, "is 10.0 MB; the limit is 10 MB",
                 attach(session, draft, content=too_big))
    await expect(session, ValidationError, "'application/x-msdownload' files are not accepted",
                 attach(session, draft, content_type="application/x-msdownload"))
    await expect(session, ValidationError, "content is not a PDF",
                 attach(session, draft, content=b"MZ\x90\x00 not a pdf"))
    await expect(session, ValidationError, "content is not a PNG",
                 attach(session, draft, content=PDF, content_type="image/png"))
    await expect(session, ValidationError, "empty", attach(session, draft, content=b""))
    await expect(session, ValidationError, "'selfie' is not a document type",
                 attach(session, draft, document_type="selfie"))
    await expect(session, ValidationError, "file name", attach(session, draft, filename="a/"))
    await expect(session, NotFoundError, "no application", attach_document(
        session, application_id=0, document_type="payslip", filename="a.pdf",
        content_type="application/pdf", content=PDF, actor="c", cipher=CIPHER))


async def test_exactly_ten_megabytes_is_accepted(
    session: AsyncSession, draft: Application
) -> None:
    content = b"%PDF-" + b"\0" * (MAX_DOCUMENT_BYTES - 5)
    document = await attach(session, draft, content=content)
    assert document.size_bytes == 10 * 1024 * 1024


async def test_bad_reviews_are_refused(session: AsyncSession, draft: Application) -> None:
    document = await attach(session, draft)

    def review(**kwargs: Any) -> Awaitable[Any]:
        values: dict[str, Any] = {"application_id": draft.id, "document_id": document.id,
                                  "status": "rejected", "note": "blurry", "actor": "s",
                                  "now": NOW}
        return review_document(session, **{**values, **kwargs})

    await expect(session, ValidationError, "Say why", review(note=" "))
    await expect(session, ValidationError, "'pending' is not a review outcome",
                 review(status="pending"))
    await expect(session, NotFoundError, "has no document", review(document_id=document.id + 99))
    await withdraw_application(session, application_id=draft.id, actor="c", now=NOW)
    await expect(session, InvalidTransition, "is withdrawn; its documents are closed", review())
    await expect(session, InvalidTransition, "is withdrawn; it takes no more documents",
                 attach(session, draft))


async def test_references_until_the_decision(session: AsyncSession, draft: Application) -> None:
    reference = await add_reference(session, application_id=draft.id, name=" Joe  Bloggs ",
                                    relationship="employer", phone="868 555 0111", actor=ACTOR)
    assert (reference.name, reference.phone) == ("Joe Bloggs", "+18685550111")

    def add(**kwargs: Any) -> Awaitable[Any]:
        values: dict[str, Any] = {"application_id": draft.id, "name": "Mary",
                                  "relationship": "sister", "phone": "+18685550112",
                                  "actor": ACTOR}
        return add_reference(session, **{**values, **kwargs})

    await expect(session, ValidationError, "not a phone number", add(phone="call me"))
    await expect(session, ValidationError, "how they know", add(relationship=""))
    for _ in range(MAX_REFERENCES - 1):
        await add()
    await expect(session, ValidationError, "at most 5 references", add())
    assert len(await list_references(session, application_id=draft.id)) == MAX_REFERENCES

    await submit_application(session, application_id=draft.id, actor=ACTOR, now=NOW)
    await decisions.record_decision(session, application_id=draft.id, outcome="declined",
                                    trace={}, actor="e", now=NOW)
    await expect(session, InvalidTransition, "is declined; references are closed", add())
