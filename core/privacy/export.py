"""Everything held about one customer, as one JSON document (and a zip with their files).

The document answers a customer's request for their data: profile with identity numbers
decrypted, consents and opt-outs, applications with documents (details), references,
agreements (details), statement analyses, credit decisions and decline overrides, loans
with every schedule version, transactions and allocations, payments with provider events,
collections, every conversation with its messages, and the audit events about all of
these. Amounts are strings of exact decimals, times ISO 8601. Each export is itself
audited (`customer.exported`, with who asked).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any, Final

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from core.applications.models import (
    Application,
    ApplicationDocument,
    ApplicationReference,
    LoanAgreement,
)
from core.applications.override_models import DeclineOverride
from core.audit import trail
from core.audit.models import AuditEvent
from core.crypto import FieldCipher
from core.customers.repository import load_customer
from core.privacy.export_sections import (
    collections,
    contact_rules,
    conversations,
    loans,
    payments,
)
from core.privacy.records import Record, as_json, children, rows_where
from core.scoring.models import CreditDecision, StatementAnalysis

FORMAT: Final = "lendline.customer-export/1"
SECTIONS: Final = ("customer", "consents", "opt_outs", "contact_holds", "contact_approvals",
                   "contact_attempts", "applications", "loans", "payments", "collections",
                   "conversations", "audit_events")


async def export_customer(
    session: AsyncSession, *, cipher: FieldCipher, customer_id: int, actor: str,
    now: dt.datetime, form: str = "json",
) -> dict[str, Any]:
    """The customer's data as one JSON-ready document with every key of `SECTIONS`.

    Raises NotFoundError for an unknown customer. Audited as `customer.exported` (who,
    `form`, and how many records each section holds).
    """
    customer = await load_customer(session, customer_id)
    rules = await contact_rules(session, customer_id=customer_id, cipher=cipher)
    document: dict[str, Any] = {
        "format": FORMAT, "generated_at": now.isoformat(), "generated_by": actor,
        "customer": {**as_json(customer), **rules.pop("profile")},
        **rules,
        "applications": await _applications(session, customer_id),
    }
    document["loans"] = await loans(session, customer_id=customer_id)
    loan_ids = [loan["id"] for loan in document["loans"]]
    document["payments"] = await payments(session, customer_id=customer_id, loan_ids=loan_ids)
    document["collections"] = await collections(session, customer_id=customer_id,
                                                loan_ids=loan_ids, cipher=cipher)
    document["conversations"] = await conversations(session, customer_id=customer_id)
    document["audit_events"] = await _audit_events(session, document)
    await trail.record(session, actor=actor, action="customer.exported", entity_type="customer",
                       entity_id=customer_id,
                       after={"format": form, "sections": counts(document)})
    return document


def counts(document: dict[str, Any]) -> dict[str, int]:
    """How many records each list section of an export holds (collections: cases)."""
    sections = {name: document[name] for name in SECTIONS}
    sections["collections"] = sections["collections"]["cases"]
    return {name: len(value) for name, value in sections.items() if isinstance(value, list)}


async def export_archive(
    session: AsyncSession, *, cipher: FieldCipher, customer_id: int, actor: str,
    now: dt.datetime,
) -> bytes:
    """A zip of `export.json` (see `export_customer`), every uploaded file still held
    (`documents/<application reference>/<id>-<name>`, decrypted) and every agreement PDF
    (`agreements/<application reference>-v<version>.pdf`)."""
    document = await export_customer(session, cipher=cipher, customer_id=customer_id,
                                      actor=actor, now=now, form="zip")
    references = {a["id"]: a["reference"] for a in document["applications"]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", json.dumps(document, indent=2, ensure_ascii=False))
        for file in await rows_where(session, ApplicationDocument,
                                     ApplicationDocument.application_id, references):
            content = await session.scalar(
                select(ApplicationDocument.content).where(ApplicationDocument.id == file.id))
            if content is not None:
                archive.writestr(f"documents/{references[file.application_id]}/"
                                 f"{file.id}-{file.filename}", cipher.decrypt_bytes(content))
        agreements = await session.scalars(
            select(LoanAgreement).where(LoanAgreement.application_id.in_(references))
            .options(undefer(LoanAgreement.pdf)).order_by(LoanAgreement.id))
        for agreement in agreements:
            archive.writestr(f"agreements/{references[agreement.application_id]}-"
                             f"v{agreement.version}.pdf", agreement.pdf)
    return buffer.getvalue()


async def _applications(session: AsyncSession, customer_id: int) -> list[Record]:
    rows = await rows_where(session, Application, Application.customer_id, [customer_id])
    ids = [row.id for row in rows]
    parts = {
        "documents": await children(session, ApplicationDocument,
                                    ApplicationDocument.application_id, ids),
        "references": await children(session, ApplicationReference,
                                     ApplicationReference.application_id, ids),
        "agreements": await children(session, LoanAgreement, LoanAgreement.application_id, ids),
        "statement_analyses": await children(session, StatementAnalysis,
                                             StatementAnalysis.application_id, ids),
        "credit_decisions": await children(session, CreditDecision,
                                           CreditDecision.application_id, ids),
        "decline_overrides": await children(session, DeclineOverride,
                                            DeclineOverride.application_id, ids),
    }
    return [as_json(row, **{name: found.get(row.id, []) for name, found in parts.items()})
            for row in rows]


def _entities(document: dict[str, Any]) -> list[tuple[str, str]]:
    """The (entity type, id) pairs the audit trail may name for this customer's records."""
    cases = document["collections"]
    found = [("customer", document["customer"]["id"])]
    found += [("application", a["id"]) for a in document["applications"]]
    found += [("decline_override", o["id"]) for a in document["applications"]
              for o in a["decline_overrides"]]
    found += [("loan", loan["id"]) for loan in document["loans"]]
    found += [("payment_intent", p["id"]) for p in document["payments"]]
    found += [("collection_case", c["id"]) for c in cases["cases"]]
    found += [("collection_account", a["id"]) for a in cases["accounts"]]
    found += [("settlement_offer", o["id"]) for o in cases["settlement_offers"]]
    found += [("conversation", c["id"]) for c in document["conversations"]]
    return [(kind, str(entity_id)) for kind, entity_id in found]


async def _audit_events(session: AsyncSession, document: dict[str, Any]) -> list[Record]:
    pairs = _entities(document)
    by_type: dict[str, list[str]] = {}
    for kind, entity_id in pairs:
        by_type.setdefault(kind, []).append(entity_id)
    condition = or_(*[and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids))
                      for kind, ids in by_type.items()])
    rows = await session.scalars(select(AuditEvent).where(condition).order_by(AuditEvent.id))
    return [as_json(row) for row in rows]
