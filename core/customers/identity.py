"""Identity documents: numbers stored encrypted, found by keyed hash, checked by last digits.

The full number is kept only as a `FieldCipher` token; `number_hash` (HMAC of the normalised
number) is what lookups and the uniqueness constraint use; `last4` stays in clear so a
verification prompt can ask for "the last four characters of your ID".
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import trail
from core.crypto import FieldCipher, normalise_identifier
from core.customers.models import Customer, DocumentType, IdentityDocument
from core.customers.repository import load_customer
from core.customers.validation import document_label, normalise_document_number
from core.errors import ConflictError, NotFoundError, ValidationError


def _snapshot(document: IdentityDocument) -> dict[str, object]:
    return {
        "document_id": document.id, "document_type": document.document_type,
        "last4": document.last4, "issuing_country": document.issuing_country,
        "expiry_date": document.expiry_date, "verified": document.verified,
    }


async def add_identity_document(
    session: AsyncSession, *, cipher: FieldCipher, customer_id: int,
    document_type: DocumentType, number: str, today: date, actor: str,
    expiry_date: date | None = None, issuing_country: str = "TT",
) -> IdentityDocument:
    """Record an identity document; the number is encrypted and never written in clear.

    Raises ValidationError for a malformed number, an expired document or a bad country
    code; ConflictError when this number is already on file (for anyone).
    """
    customer = await load_customer(session, customer_id)
    canonical = normalise_document_number(document_type, number)
    country = issuing_country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise ValidationError(f"{issuing_country!r} is not a two-letter country code.")
    if expiry_date is not None and expiry_date < today:
        raise ValidationError(
            f"That document expired on {expiry_date:%d %B %Y}; a current one is needed."
        )
    number_hash = cipher.lookup_hash(canonical)
    holder = await session.scalar(
        select(IdentityDocument.customer_id).where(
            IdentityDocument.document_type == document_type,
            IdentityDocument.number_hash == number_hash,
        )
    )
    if holder is not None:
        whose = "this customer" if holder == customer.id else "another customer"
        raise ConflictError(f"That {document_label(document_type)} is already on file for {whose}.")
    document = IdentityDocument(
        customer_id=customer.id, document_type=document_type,
        number_encrypted=cipher.encrypt(canonical), number_hash=number_hash,
        last4=canonical[-4:], issuing_country=country, expiry_date=expiry_date,
    )
    session.add(document)
    await session.flush()
    await trail.record(
        session, actor=actor, action="customer.document_added", entity_type="customer",
        entity_id=customer.id, after=_snapshot(document),
    )
    return document


async def _own_document(
    session: AsyncSession, customer_id: int, document_id: int
) -> IdentityDocument:
    document = await session.get(IdentityDocument, document_id)
    if document is None or document.customer_id != customer_id:
        raise NotFoundError(f"Customer {customer_id} has no identity document {document_id}.")
    return document


async def verify_identity_document(
    session: AsyncSession, *, customer_id: int, document_id: int, now: datetime, actor: str
) -> IdentityDocument:
    """Mark a document verified (seen by staff or checked by a provider); idempotent."""
    document = await _own_document(session, customer_id, document_id)
    if document.verified_at is None:
        document.verified_at = now
        await session.flush()
        await trail.record(
            session, actor=actor, action="customer.document_verified", entity_type="customer",
            entity_id=customer_id, after=_snapshot(document),
        )
    return document


async def reveal_document_number(
    session: AsyncSession, *, cipher: FieldCipher, customer_id: int, document_id: int,
    actor: str,
) -> str:
    """The full document number, decrypted; every reveal is written to the audit trail."""
    document = await _own_document(session, customer_id, document_id)
    number = cipher.decrypt(document.number_encrypted)
    await trail.record(
        session, actor=actor, action="customer.document_revealed", entity_type="customer",
        entity_id=customer_id, after={"document_id": document.id},
    )
    return number


async def list_identity_documents(
    session: AsyncSession, *, customer_id: int
) -> Sequence[IdentityDocument]:
    """The customer's documents, oldest first (numbers stay encrypted)."""
    rows = await session.scalars(
        select(IdentityDocument)
        .where(IdentityDocument.customer_id == customer_id)
        .order_by(IdentityDocument.id)
    )
    return rows.all()


async def find_customer_by_document(
    session: AsyncSession, *, cipher: FieldCipher, number: str,
    document_type: DocumentType = DocumentType.NATIONAL_ID,
) -> Customer | None:
    """The customer holding this document number (any spacing or case), or None."""
    number_hash = cipher.lookup_hash(number)
    return await session.scalar(
        select(Customer)
        .join(IdentityDocument, IdentityDocument.customer_id == Customer.id)
        .where(
            IdentityDocument.document_type == document_type,
            IdentityDocument.number_hash == number_hash,
        )
    )


async def matches_verification(
    session: AsyncSession, *, customer_id: int, date_of_birth: date, id_last4: str
) -> bool:
    """True when the date of birth matches and `id_last4` ends one of the customer's documents.

    The knowledge check the agent uses before disclosing account data (e.g. by DTMF on voice).
    """
    customer = await load_customer(session, customer_id)
    given = normalise_identifier(id_last4).encode()
    documents = await list_identity_documents(session, customer_id=customer_id)
    digits_match = False
    for document in documents:
        digits_match |= hmac.compare_digest(document.last4.encode(), given)
    return digits_match and customer.date_of_birth == date_of_birth
