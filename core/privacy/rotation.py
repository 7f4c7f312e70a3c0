"""Re-encrypt every stored secret under the current key after the key changed.

With the new secret in LENDLINE_SECRET_KEY and the old one in
LENDLINE_PREVIOUS_SECRET_KEYS, everything still decrypts; `rotate_keys` then re-encrypts
what is still under an old secret and recomputes the lookup hashes (which only the current
secret keys), after which the old secret can be dropped. Covered: identity document
numbers, lenders' imported national IDs, uploaded documents and staff two-factor secrets.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.applications.models import ApplicationDocument
from core.audit import trail
from core.collections.models import CollectionAccount
from core.crypto import FieldCipher
from core.customers.models import IdentityDocument
from core.staff.models import StaffUser


@dataclass(frozen=True, slots=True)
class RotationReport:
    """How many values were re-encrypted, per kind, and lookup hashes recomputed."""

    identity_numbers: int
    imported_national_ids: int
    documents: int
    two_factor_secrets: int
    lookup_hashes: int


def _rotated(cipher: FieldCipher, token: str) -> str | None:
    fresh = cipher.rotate(token.encode("ascii"))
    return None if fresh is None else fresh.decode("ascii")


async def rotate_keys(session: AsyncSession, *, cipher: FieldCipher, actor: str) -> RotationReport:
    """Re-encrypt values under a previous key with the current one and bring every lookup
    hash to the current key; a second run finds nothing to do. Raises `CipherError` (and
    changes nothing, once the caller rolls back) when a value opens with no known key.
    Audited as `privacy.keys_rotated` with the counts."""
    numbers = hashes = 0
    for document in await session.scalars(select(IdentityDocument).order_by(IdentityDocument.id)):
        if (token := _rotated(cipher, document.number_encrypted)) is not None:
            document.number_encrypted, numbers = token, numbers + 1
        fresh = cipher.lookup_hash(cipher.decrypt(document.number_encrypted))
        if fresh != document.number_hash:
            document.number_hash, hashes = fresh, hashes + 1
    imported = 0
    for account in await session.scalars(
            select(CollectionAccount).where(CollectionAccount.national_id_encrypted.is_not(None))
            .order_by(CollectionAccount.id)):
        assert account.national_id_encrypted is not None
        if (token := _rotated(cipher, account.national_id_encrypted)) is not None:
            account.national_id_encrypted, imported = token, imported + 1
        fresh = cipher.lookup_hash(cipher.decrypt(account.national_id_encrypted))
        if fresh != account.national_id_hash:
            account.national_id_hash, hashes = fresh, hashes + 1
    secrets = 0
    for staff in await session.scalars(select(StaffUser).where(StaffUser.totp_secret.is_not(None))):
        assert staff.totp_secret is not None
        if (token := _rotated(cipher, staff.totp_secret)) is not None:
            staff.totp_secret, secrets = token, secrets + 1
    await session.flush()
    report = RotationReport(identity_numbers=numbers, imported_national_ids=imported,
                            documents=await _documents(session, cipher),
                            two_factor_secrets=secrets, lookup_hashes=hashes)
    await trail.record(session, actor=actor, action="privacy.keys_rotated", entity_type="secret",
                       entity_id="field_cipher", after=asdict(report))
    return report


async def _documents(session: AsyncSession, cipher: FieldCipher) -> int:
    """Uploaded files one at a time, so memory holds one file, not all of them."""
    ids = (await session.scalars(select(ApplicationDocument.id).where(
        ApplicationDocument.content.is_not(None)).order_by(ApplicationDocument.id))).all()
    rotated = 0
    for document_id in ids:
        document = await session.get_one(ApplicationDocument, document_id,
                                          options=[undefer(ApplicationDocument.content)],
                                          populate_existing=True)
        assert document.content is not None
        if (fresh := cipher.rotate(document.content)) is not None:
            document.content, rotated = fresh, rotated + 1
            await session.flush()
        session.expunge(document)
    return rotated
