"""Supporting documents and personal references on an application.

Documents are kept in the database (at most `MAX_DOCUMENT_BYTES`), encrypted with the field
cipher (ID scans and bank statements carry identity and account numbers), and must be a
PDF, JPEG or PNG whose first bytes match the declared type, so a renamed executable or an
empty upload is refused with a clear message. Each starts PENDING until staff review it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.applications.lifecycle import FINAL, Status, describe
from core.applications.models import (
    MAX_DOCUMENT_BYTES,
    Application,
    ApplicationDocument,
    ApplicationDocumentType,
    ApplicationReference,
    ReviewStatus,
)
from core.applications.repository import ENTITY, check_time, load_application
from core.audit import trail
from core.crypto import FieldCipher
from core.customers.validation import normalise_phone
from core.errors import ConflictError, InvalidTransition, NotFoundError, ValidationError

CONTENT_SIGNATURES: Final = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
MAX_REFERENCES: Final = 5
_VERDICTS: Final = frozenset({ReviewStatus.ACCEPTED, ReviewStatus.REJECTED})
_REFERENCE_STATUSES: Final = frozenset({Status.DRAFT, Status.SUBMITTED, Status.REFERRED})


def _open(application: Application, action: str) -> None:
    if application.status in FINAL:
        raise InvalidTransition(f"Application {application.reference} "
                                f"{describe(application.status)}; {action}.")


def _filename(value: str) -> str:
    name = re.split(r"[\\/]", value.strip())[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    if not name or len(name) > 255:
        raise ValidationError("A document needs a file name of 1 to 255 characters.")
    return name


def _check_content(content_type: str, content: bytes) -> str:
    kind = content_type.split(";")[0].strip().lower()
    if kind not in CONTENT_SIGNATURES:
        raise ValidationError(f"{content_type!r} files are not accepted; send a PDF, JPEG or PNG.")
    if not content:
        raise ValidationError("The document is empty.")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            f"The document is {len(content) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_DOCUMENT_BYTES // 1024 // 1024} MB."
        )
    if not content.startswith(CONTENT_SIGNATURES[kind]):
        raise ValidationError(f"The file's content is not a {kind.split('/')[1].upper()}.")
    return kind


async def attach_document(
    session: AsyncSession, *, application_id: int, document_type: ApplicationDocumentType | str,
    filename: str, content_type: str, content: bytes, actor: str, cipher: FieldCipher,
) -> ApplicationDocument:
    """Attach a PDF, JPEG or PNG to an open application, stored encrypted with `cipher`;
    it waits for review (PENDING).

    Raises ValidationError for an unknown document type, a bad file name, another content
    type, content that does not match it, an empty file or one over 10 MB;
    InvalidTransition when the application is declined, disbursed, withdrawn or expired.
    """
    try:
        kind = ApplicationDocumentType(document_type)
    except ValueError:
        allowed = ", ".join(t.value for t in ApplicationDocumentType)
        raise ValidationError(f"{document_type!r} is not a document type; use {allowed}.") from None
    name = _filename(filename)
    mime = _check_content(content_type, content)
    application = await load_application(session, application_id)
    _open(application, "it takes no more documents")
    document = ApplicationDocument(
        application_id=application.id, document_type=kind, filename=name, content_type=mime,
        size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest(),
        content=cipher.encrypt_bytes(content),
        uploaded_by=actor, review_status=ReviewStatus.PENDING,
    )
    session.add(document)
    await session.flush()
    await trail.record(
        session, actor=actor, action="application.document_attached", entity_type=ENTITY,
        entity_id=application.id,
        after={"document_id": document.id, "document_type": kind, "filename": name,
               "content_type": mime, "size_bytes": len(content), "sha256": document.sha256},
    )
    return document


async def review_document(
    session: AsyncSession, *, application_id: int, document_id: int,
    status: ReviewStatus | str, actor: str, now: dt.datetime, note: str | None = None,
) -> ApplicationDocument:
    """Accept or reject a document, with a note (required to reject). A later review
    replaces an earlier one; both are in the audit trail."""
    check_time(now)
    if not isinstance(status, str) or status not in _VERDICTS:
        raise ValidationError(f"{status!r} is not a review outcome; use accepted or rejected.")
    verdict = ReviewStatus(status)
    cleaned = " ".join(note.split()) if note else None
    if verdict is ReviewStatus.REJECTED and not cleaned:
        raise ValidationError("Say why the document is rejected, so the customer can fix it.")
    document = await load_document(session, application_id=application_id,
                                   document_id=document_id)
    _open(await load_application(session, application_id), "its documents are closed")
    before = {"document_id": document.id, "review_status": document.review_status,
              "review_note": document.review_note}
    document.review_status, document.review_note = verdict, cleaned
    document.reviewed_by, document.reviewed_at = actor, now
    await session.flush()
    await trail.record(
        session, actor=actor, action="application.document_reviewed", entity_type=ENTITY,
        entity_id=application_id, before=before,
        after={"document_id": document.id, "review_status": verdict, "review_note": cleaned},
    )
    return document


async def add_reference(
    session: AsyncSession, *, application_id: int, name: str, relationship: str, phone: str,
    actor: str,
) -> ApplicationReference:
    """Add a personal reference before the decision (at most `MAX_REFERENCES`).

    Raises ValidationError for an empty name or relationship or a bad phone number,
    InvalidTransition once the application is decided, ValidationError past the limit.
    """
    cleaned_name, cleaned_relationship = " ".join(name.split()), " ".join(relationship.split())
    if not 0 < len(cleaned_name) <= 200 or not 0 < len(cleaned_relationship) <= 100:
        raise ValidationError("A reference needs a name and how they know the applicant.")
    number = normalise_phone(phone)
    application = await load_application(session, application_id, for_update=True)
    if application.status not in _REFERENCE_STATUSES:
        raise InvalidTransition(f"Application {application.reference} "
                                f"{describe(application.status)}; references are closed.")
    count = await session.scalar(select(func.count()).where(
        ApplicationReference.application_id == application.id))
    if count is not None and count >= MAX_REFERENCES:
        raise ValidationError(f"An application takes at most {MAX_REFERENCES} references.")
    reference = ApplicationReference(application_id=application.id, name=cleaned_name,
                                     relationship=cleaned_relationship, phone=number)
    session.add(reference)
    await session.flush()
    await trail.record(
        session, actor=actor, action="application.reference_added", entity_type=ENTITY,
        entity_id=application.id,
        after={"reference_id": reference.id, "name": cleaned_name,
               "relationship": cleaned_relationship, "phone": number},
    )
    return reference


async def load_document(
    session: AsyncSession, *, application_id: int, document_id: int, with_content: bool = False
) -> ApplicationDocument:
    """One document of the application (its bytes only `with_content`); NotFoundError."""
    query = select(ApplicationDocument).where(
        ApplicationDocument.id == document_id, ApplicationDocument.application_id == application_id
    )
    if with_content:
        query = query.options(undefer(ApplicationDocument.content))
    document = await session.scalar(query)
    if document is None:
        raise NotFoundError(f"Application {application_id} has no document {document_id}.")
    return document


def document_content(document: ApplicationDocument, *, cipher: FieldCipher) -> bytes:
    """The file's bytes, decrypted (load the document `with_content` first).

    Raises ConflictError when the file was removed under the retention policy.
    """
    if document.content is None:
        removed = document.content_removed_at
        when = f" on {removed:%d %B %Y}" if removed is not None else ""
        raise ConflictError(f"Document {document.id} ({document.filename}) was removed under "
                            f"the retention policy{when}; its details are kept, the file is "
                            "not.")
    return cipher.decrypt_bytes(document.content)


async def list_documents(
    session: AsyncSession, *, application_id: int
) -> Sequence[ApplicationDocument]:
    """The application's documents, oldest first (content not loaded)."""
    rows = await session.scalars(select(ApplicationDocument)
                                 .where(ApplicationDocument.application_id == application_id)
                                 .order_by(ApplicationDocument.id))
    return rows.all()


async def list_references(
    session: AsyncSession, *, application_id: int
) -> Sequence[ApplicationReference]:
    """The application's references, oldest first."""
    rows = await session.scalars(select(ApplicationReference)
                                 .where(ApplicationReference.application_id == application_id)
                                 .order_by(ApplicationReference.id))
    return rows.all()
