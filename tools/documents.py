"""Take the files a borrower sends and add them to their open application for review.

The files come with the borrower's message through the run context, never through the
model's arguments, and go only to the verified borrower's own most recent open application.
Each file is checked by the core (PDF, JPEG or PNG whose content matches, at most 10 MB);
one refused file does not stop the others.
"""

from __future__ import annotations

import re
from typing import Final

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from pydantic import BaseModel, Field

from core.applications.documents import attach_document
from core.applications.lifecycle import OPEN
from core.applications.models import ApplicationDocumentType
from core.applications.repository import reference_for
from core.applications.service import list_applications
from core.errors import DomainError
from tools.context import ToolContext, require_customer
from tools.results import Result, relay_domain_errors

KINDS: Final = (
    (re.compile(r"pay ?slip|pay ?stub|salary", re.I), ApplicationDocumentType.PAYSLIP),
    (re.compile(r"bank|statement", re.I), ApplicationDocumentType.BANK_STATEMENT),
    (re.compile(r"\bid\b|identi|passport|licen[cs]e|national", re.I), ApplicationDocumentType.ID),
    (re.compile(r"address|utility|bill|electric|water", re.I),
     ApplicationDocumentType.PROOF_OF_ADDRESS),
)


def document_kind(*hints: str) -> ApplicationDocumentType:
    """The document type a file name or the borrower's words suggest; staff confirm it."""
    for hint in hints:
        for pattern, kind in KINDS:
            if pattern.search(hint.replace("_", " ").replace("-", " ")):
                return kind
    return ApplicationDocumentType.OTHER


class AttachArgs(BaseModel):
    note: str = Field(default="", description="What the borrower said about the files, if "
                      "anything (\"here is my payslip\"); used to tell what kind they are.")


@tool("attach_documents", args_schema=AttachArgs)
@relay_domain_errors
async def attach_documents(runtime: ToolRuntime[ToolContext], note: str = "") -> Result:
    """Attach the files sent with this message to the verified borrower's most recent open
    application. Returns the application `reference`, the `attached` files (filename, type)
    and the `refused` ones with the reason, to tell the borrower; `error` when there is no
    open application."""
    return await attach_files(runtime.context, note)


async def attach_files(context: ToolContext, note: str = "") -> Result:
    """`attach_documents` for a caller outside the graph (a conversation a person holds)."""
    customer_id = require_customer(context)
    application = next(iter(
        [a for a in await list_applications(context.session, customer_id=customer_id,
                                            limit=20) if a.status in OPEN]), None)
    if application is None:
        return {"error": "You have no open application to add documents to. Start one and "
                         "send them again."}
    attached: list[dict[str, str]] = []
    refused: list[dict[str, str]] = []
    for file in context.attachments:
        kind = document_kind(file.filename, note)
        try:
            async with context.session.begin_nested():
                await attach_document(
                    context.session, application_id=application.id, document_type=kind,
                    filename=file.filename, content_type=file.content_type,
                    content=file.content, actor=context.actor, cipher=context.cipher)
        except DomainError as error:
            refused.append({"filename": file.filename, "reason": str(error)})
        else:
            attached.append({"filename": file.filename, "type": kind.value})
    return {"reference": reference_for(application.id), "attached": attached,
            "refused": refused}
