"""Data protection: uploaded documents encrypted at rest and removable under the retention
policy; identity and account numbers masked where earlier versions kept them in clear.

Existing rows are changed in place:
- every document still stored in clear is encrypted with the field cipher; this needs the
  secret key, which `core.db.migrate.upgrade` passes as `config.attributes["field_keys"]`
  (`lendline migrate` and `serve` do), and stops with a clear message when it is missing;
- a voice transcript keeps no ID digits a caller answered the verification with (found
  from the `tool.verify_date_of_birth` audit events);
- those digits, and any other value under a sensitive key, are masked in the audit trail
  (its append-only trigger is suspended for these updates and restored).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from core.crypto import FieldCipher
from core.privacy.masking import SENSITIVE_KEYS, mask_sensitive, redact_verification_answers

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FERNET_PREFIX = b"gAAAAA"
"""How every Fernet token starts (version byte 0x80, base64); no PDF, JPEG or PNG does."""


def upgrade() -> None:
    op.add_column("application_documents",
                  sa.Column("content_removed_at", sa.DateTime(timezone=True), nullable=True))
    op.alter_column("application_documents", "content", existing_type=sa.LargeBinary(),
                    nullable=True)
    op.create_check_constraint(op.f("ck_application_documents_content_or_removed"),
                               "application_documents",
                               "(content IS NULL) = (content_removed_at IS NOT NULL)")
    connection = op.get_bind()
    encrypt_documents(connection, _cipher())
    redact_transcripts(connection)
    mask_audit_events(connection)


def downgrade() -> None:
    """Files go back to clear text (0011 serves them as stored). Refused when retention has
    removed any: 0011 cannot hold a document without its file. Masking stays."""
    connection = op.get_bind()
    removed = connection.execute(sa.text(
        "SELECT count(*) FROM application_documents WHERE content IS NULL")).scalar_one()
    if removed:
        raise RuntimeError(f"{removed} document(s) were removed under the retention policy; "
                           "revision 0011 cannot hold a document without its file.")
    decrypt_documents(connection, _cipher())
    op.drop_constraint(op.f("ck_application_documents_content_or_removed"),
                       "application_documents", type_="check")
    op.alter_column("application_documents", "content", existing_type=sa.LargeBinary(),
                    nullable=False)
    op.drop_column("application_documents", "content_removed_at")


def _cipher() -> FieldCipher | None:
    keys = context.config.attributes.get("field_keys")
    return FieldCipher(keys[0], keys[1:]) if keys else None


def encrypt_documents(connection: sa.Connection, cipher: FieldCipher | None) -> int:
    """Encrypt every document stored in clear, one at a time; returns how many."""
    return _recode(connection, cipher, "<>", lambda c, content: c.encrypt_bytes(content))


def decrypt_documents(connection: sa.Connection, cipher: FieldCipher | None) -> int:
    """Decrypt every encrypted document, one at a time; returns how many."""
    return _recode(connection, cipher, "=", lambda c, content: c.decrypt_bytes(content))


def _recode(connection: sa.Connection, cipher: FieldCipher | None, compare: str,
            change: Callable[[FieldCipher, bytes], bytes]) -> int:
    ids = connection.execute(sa.text(
        "SELECT id FROM application_documents WHERE content IS NOT NULL "
        f"AND substring(content FROM 1 FOR 6) {compare} :prefix ORDER BY id"),
        {"prefix": FERNET_PREFIX}).scalars().all()
    if not ids:
        return 0
    if cipher is None:
        raise RuntimeError(
            f"Migration 0012 rewrites {len(ids)} stored document(s) and needs the secret key: "
            "run it with `lendline migrate` (which passes LENDLINE_SECRET_KEY), not bare "
            "alembic.")
    for document_id in ids:
        content = connection.execute(sa.text(
            "SELECT content FROM application_documents WHERE id = :id"),
            {"id": document_id}).scalar_one()
        connection.execute(sa.text(
            "UPDATE application_documents SET content = :content WHERE id = :id"),
            {"content": change(cipher, bytes(content)), "id": document_id})
    return len(ids)


def redact_transcripts(connection: sa.Connection) -> int:
    """Take the ID digits given to voice verification out of the callers' messages."""
    calls = connection.execute(sa.text(
        "SELECT entity_id, at, after -> 'args' ->> 'id_digits' AS digits FROM audit_events "
        "WHERE action = 'tool.verify_date_of_birth' AND entity_type = 'conversation' "
        "AND after -> 'args' ->> 'id_digits' IS NOT NULL "
        "AND after -> 'args' ->> 'id_digits' <> :masked"),
        {"masked": "[masked]"}).all()
    changed = 0
    for conversation_id, at, digits in calls:
        given = [{"name": "verify_date_of_birth", "args": {"id_digits": digits}}]
        # The answer was recorded in the turn that made the call: within a minute of it
        # (the event's time is its transaction's start, the message's the app's clock).
        messages = connection.execute(sa.text(
            "SELECT id, body FROM conversation_messages WHERE conversation_id = :conversation "
            "AND direction = 'inbound' AND created_at BETWEEN :at - interval '1 minute' "
            "AND :at + interval '1 minute'"),
            {"conversation": int(conversation_id), "at": at}).all()
        for message_id, body in messages:
            redacted = redact_verification_answers(body, given)
            if redacted != body:
                connection.execute(sa.text(
                    "UPDATE conversation_messages SET body = :body WHERE id = :id"),
                    {"body": redacted, "id": message_id})
                changed += 1
    return changed


def mask_audit_events(connection: sa.Connection) -> int:
    """Mask values under sensitive keys in the audit trail; returns the events changed."""
    pattern = '"(' + "|".join(sorted(SENSITIVE_KEYS)) + ')"'
    rows = connection.execute(sa.text(
        "SELECT id, before, after FROM audit_events "
        "WHERE before::text ~ :pattern OR after::text ~ :pattern"), {"pattern": pattern}).all()
    changes = [(event_id, _masked(before), _masked(after)) for event_id, before, after in rows
               if (_masked(before), _masked(after)) != (before, after)]
    if not changes:
        return 0
    connection.execute(sa.text(
        "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    for event_id, before, after in changes:
        connection.execute(sa.text(
            "UPDATE audit_events SET before = CAST(:before AS jsonb), "
            "after = CAST(:after AS jsonb) WHERE id = :id"),
            {"before": _json(before), "after": _json(after), "id": event_id})
    connection.execute(sa.text(
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    return len(changes)


def _masked(values: Any) -> Any:
    return None if values is None else mask_sensitive(values)


def _json(values: Any) -> str | None:
    return None if values is None else json.dumps(values)
