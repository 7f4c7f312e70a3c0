"""Export everything held about one customer (staff with `customers.export`).

`GET /api/v1/customers/{id}/export` answers the JSON document of `core.privacy.export`
as a download; `?format=zip` adds the customer's uploaded files and agreement PDFs. Every
export is written to the audit trail with who asked, from where and when.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from admin.auth import require
from admin.deps import SessionDep
from admin.permissions import Permission as P
from core.privacy.export import export_archive, export_customer
from core.staff.models import StaffUser

router = APIRouter(prefix="/customers", tags=["customers"])
Exporter = Annotated[StaffUser, Depends(require(P.CUSTOMERS_EXPORT))]


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/{customer_id}/export", response_class=Response,
    responses={200: {"description": "The export as a download.",
                     "content": {"application/json": {}, "application/zip": {}}}},
)
async def export(
    request: Request, customer_id: int, session: SessionDep, staff: Exporter,
    form: Annotated[Literal["json", "zip"], Query(alias="format")] = "json",
) -> Response:
    """Everything held about the customer: profile with identity numbers decrypted,
    consents and opt-outs, applications and decisions, loans with schedules and
    transactions, payments, collections, conversations with messages, and the audit
    events about them (`format=zip`: plus their uploaded files and agreements). 404 for an
    unknown customer. Audited as `customer.exported`."""
    cipher, actor = request.app.state.field_cipher, f"staff:{staff.id}"
    now = dt.datetime.now(dt.UTC)
    if form == "zip":
        archive = await export_archive(session, cipher=cipher, customer_id=customer_id,
                                       actor=actor, now=now)
        return Response(archive, media_type="application/zip",
                        headers=_attachment(f"customer-{customer_id}-export.zip"))
    document = await export_customer(session, cipher=cipher, customer_id=customer_id,
                                     actor=actor, now=now)
    return Response(json.dumps(document, indent=2, ensure_ascii=False),
                    media_type="application/json",
                    headers=_attachment(f"customer-{customer_id}-export.json"))
