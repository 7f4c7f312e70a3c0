"""Documents sent into the chat over HTTP: the agent files them on the verified borrower's
application and answers on the socket; a wrong upload gets a 4xx and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from channels.web.tokens import SessionTokens
from tests.channels.conftest import LiveApp
from tests.channels.web.conftest import chat, one_time_code, query, replies, written

SUBMITTED = "+18685550135"  # a demo customer whose application is submitted, awaiting review
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def upload(app: LiveApp, **form: Any) -> httpx.Response:
    files = form.pop("files", None)
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as client:
        return await client.post("/chat/upload", data=form, files=files)


async def test_a_document_is_filed_on_the_application_and_answered_on_the_socket(
    web_app: LiveApp,
) -> None:
    async with chat(web_app) as page:
        await page.say("what's the status of my application")
        await page.say("868 555 0135")
        status = await page.say(one_time_code(web_app, SUBMITTED))
        assert "APP-" in replies(status)[-1]
        customer = query(web_app, "select customer_id from conversations where address = :a",
                         a=page.token.partition(".")[0] if page.token else "")
        before = query(web_app, "select count(*) from application_documents d join "
                       "applications a on a.id = d.application_id where a.customer_id = :c",
                       c=customer)

        sent = await upload(web_app, session=page.token, id="doc-1",
                            files={"file": ("payslip-nov.pdf", PDF, "application/pdf")})
        assert sent.status_code == 200, sent.text
        assert sent.json() == {"id": "doc-1", "duplicate": False}
        answer = await page.receive()
        assert answer["type"] == "reply"
        assert "I've added payslip-nov.pdf to application APP-" in answer["text"]
        await page.quiet(1)

        again = await upload(web_app, session=page.token, id="doc-1",
                             files={"file": ("payslip-nov.pdf", PDF, "application/pdf")})
        assert again.json() == {"id": "doc-1", "duplicate": True}
        await page.quiet()

    assert query(web_app, "select count(*) from application_documents d join applications a "
                 "on a.id = d.application_id where a.customer_id = :c and d.filename = "
                 "'payslip-nov.pdf' and d.document_type = 'payslip'", c=customer) == 1
    assert query(web_app, "select count(*) from application_documents d join applications a "
                 "on a.id = d.application_id where a.customer_id = :c", c=customer) == before + 1


async def test_a_document_before_verifying_is_not_filed_and_the_borrower_is_told_why(
    web_app: LiveApp,
) -> None:
    async with chat(web_app) as page:
        sent = await upload(web_app, session=page.token, id="first", text="my ID card",
                            files={"file": ("id-card.png", PNG, "image/png")})
        assert sent.status_code == 200
        answer = await page.receive()
        assert "only once I've confirmed it's you" in answer["text"]
        assert page.token is not None
        assert query(web_app, "select body from conversation_messages where "
                     "provider_message_id = :id",
                     id=page.token.partition(".")[0] + ":first") == "my ID card [file: id-card.png]"


def _token(app: LiveApp) -> str:
    return SessionTokens(app.settings.resolved_secret_key()).issue()[1]


BAD_UPLOADS: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("no-session", {"id": "u1", "files": {"file": ("a.pdf", PDF, "application/pdf")}},
     401, "invalid_session", "That chat session is not one of ours; reload the chat and try "
     "again."),
    ("forged-session", {"session": "B" * 32 + "." + "C" * 43, "id": "u1",
                        "files": {"file": ("a.pdf", PDF, "application/pdf")}},
     401, "invalid_session", "That chat session is not one of ours; reload the chat and try "
     "again."),
    ("no-file", {"session": "TOKEN", "id": "u1", "files": {"text": (None, "here")}},
     422, "invalid_upload", "Choose a file to send (the 'file' field)."),
    ("bad-id", {"session": "TOKEN", "id": "no spaces please",
                "files": {"file": ("a.pdf", PDF, "application/pdf")}}, 422, "invalid_upload",
     "'id' must be 1 to 64 letters, digits, '-' or '_'."),
    ("caption-too-long", {"session": "TOKEN", "id": "u1", "text": "x" * 4_001,
                          "files": {"file": ("a.pdf", PDF, "application/pdf")}},
     422, "message_too_long", "A message can be at most 4,000 characters."),
    ("empty", {"session": "TOKEN", "id": "u1", "files": {"file": ("a.pdf", b"",
                                                                  "application/pdf")}},
     422, "empty_file", "That file is empty."),
    ("wrong-type", {"session": "TOKEN", "id": "u1",
                    "files": {"file": ("notes.txt", b"hello", "text/plain")}},
     415, "unsupported_type", "Send a PDF, JPEG or PNG file."),
    ("disguised", {"session": "TOKEN", "id": "u1",
                   "files": {"file": ("payslip.pdf", b"MZ\x90\x00 not a pdf",
                                      "application/pdf")}},
     415, "unsupported_type", "That file is not really a PDF; send a PDF, JPEG or PNG file."),
    ("too-large", {"session": "TOKEN", "id": "u1",
                   "files": {"file": ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024),
                                      "application/pdf")}},
     413, "file_too_large", "A document can be at most 10 MB."),
]


@pytest.mark.parametrize(("form", "status", "code", "detail"),
                         [case[1:] for case in BAD_UPLOADS], ids=[case[0] for case in BAD_UPLOADS])
async def test_a_bad_upload_is_refused_and_writes_nothing(
    web_app: LiveApp, form: dict[str, Any], status: int, code: str, detail: str,
) -> None:
    if form.get("session") == "TOKEN":
        form = {**form, "session": _token(web_app)}
    before = written(web_app)
    refused = await upload(web_app, **form)
    assert refused.status_code == status
    assert refused.json() == {"error": code, "detail": detail}
    assert written(web_app) == before


async def test_an_upload_that_is_not_multipart_is_refused(web_app: LiveApp) -> None:
    before = written(web_app)
    async with httpx.AsyncClient(base_url=web_app.url) as client:
        refused = await client.post("/chat/upload",
                                    json={"session": _token(web_app), "file": "JVBERi0="})
    assert refused.status_code == 415
    assert refused.json() == {"error": "invalid_upload",
                              "detail": "Send the document as multipart/form-data."}
    assert written(web_app) == before
