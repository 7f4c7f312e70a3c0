"""Media: fetched from Twilio with the account's credentials (never sent to another host),
checked for type, content and size, filed on the verified borrower's application by the
agent; refused files are explained, and a Twilio outage is retried, then given up politely."""

from __future__ import annotations

import re
from typing import Any

import pytest

from channels.rate_limit import Verdict
from channels.twilio import inbound_jobs
from channels.twilio.inbound import Media, parse_inbound
from channels.twilio.media import (
    NOT_DOWNLOADED,
    Fetched,
    File,
    MediaSource,
    MediaUnavailable,
    Refused,
)
from core.applications.models import MAX_DOCUMENT_BYTES
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp
from tests.channels.twilio_inbound.conftest import (
    FakeTwilio,
    form,
    inbound,
    job_done,
    number,
    post,
    replies,
    rows,
)

PDF = b"%PDF-1.4\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _source(fake: FakeTwilio, token: str = TWILIO_TOKEN) -> MediaSource:
    return MediaSource(TWILIO_SID, token, api_url=fake.url)


async def test_a_file_is_fetched_with_credentials_and_the_cdn_never_sees_them(
        fake_twilio: FakeTwilio) -> None:
    url = fake_twilio.media(PDF, "application/pdf")
    media_sid = url.rsplit("/", 1)[-1]
    fetched = await _source(fake_twilio).fetch([Media(url, "application/pdf")])
    assert fetched.files == (File(f"{media_sid}.pdf", "application/pdf", PDF),)
    assert fetched.refused == ()
    assert [seen for seen in fake_twilio.seen if media_sid in seen[0]] == [
        (url.removeprefix(fake_twilio.url), True), (f"/cdn/{media_sid}", False)]


@pytest.mark.parametrize(("content", "declared", "served", "reason"), ids=[
    "heic", "exe as pdf", "png as jpeg", "empty", "over 10 MB"], argvalues=[
    (b"heic", "image/heic", "image/heic", "only a PDF, JPEG or PNG can be accepted"),
    (b"MZ\x90\x00 an exe", "application/pdf", "application/pdf",
     "its content is not a PDF, JPEG or PNG as it claims"),
    (PNG, "image/jpeg", "image/png", "its content is not a PDF, JPEG or PNG as it claims"),
    (b"", "image/png", "image/png", "it is empty"),
    (b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES, "application/pdf", "application/pdf",
     "it is over the 10 MB limit"),
])
async def test_a_file_that_is_not_what_we_accept_is_refused_with_the_reason(
        fake_twilio: FakeTwilio, content: bytes, declared: str, served: str,
        reason: str) -> None:
    url = fake_twilio.media(content, served)
    fetched = await _source(fake_twilio).fetch([Media(url, declared)])
    assert fetched == Fetched(refused=(Refused(declared, reason),))


async def test_credentials_go_only_to_the_twilio_api_host(fake_twilio: FakeTwilio) -> None:
    url = fake_twilio.media(PDF, "application/pdf").replace("127.0.0.1", "localhost")
    fetched = await _source(fake_twilio).fetch([Media(url, "application/pdf")])
    assert fetched.refused == (
        Refused("application/pdf", "it did not come from our messaging provider"),)
    assert not [seen for seen in fake_twilio.seen if url.rsplit("/", 1)[-1] in seen[0]]


async def test_a_missing_file_or_refused_credentials_are_final(fake_twilio: FakeTwilio) -> None:
    gone = fake_twilio.media(PDF, "application/pdf", status=404)
    wrong = fake_twilio.media(PDF, "application/pdf")
    assert (await _source(fake_twilio).fetch([Media(gone, "application/pdf")])).refused == (
        Refused("application/pdf", NOT_DOWNLOADED),)
    refused = await _source(fake_twilio, "wrong").fetch([Media(wrong, "application/pdf")])
    assert refused.refused == (Refused("application/pdf", NOT_DOWNLOADED),)


async def test_a_twilio_outage_is_a_reason_to_retry(fake_twilio: FakeTwilio) -> None:
    url = fake_twilio.media(PDF, "application/pdf", failures=1)
    with pytest.raises(MediaUnavailable, match="Twilio answered 500"):
        await _source(fake_twilio).fetch([Media(url, "application/pdf")])
    unreachable = MediaSource(TWILIO_SID, TWILIO_TOKEN, api_url="http://127.0.0.1:9")
    with pytest.raises(MediaUnavailable, match="could not be fetched"):
        await unreachable.fetch([Media("http://127.0.0.1:9/Media/ME1", "application/pdf")])


def _send(live: LiveApp, sender: str, body: str, *media: str, **fields: str) -> Any:
    params = form(sender, body, NumMedia=str(len(media)), **fields, **{
        key: value for index, url in enumerate(media)
        for key, value in ((f"MediaUrl{index}", url), (f"MediaContentType{index}",
                                                        "application/pdf"))})
    assert post(live, params).status_code == 200
    assert job_done(live, params["MessageSid"]) == "succeeded"
    [message] = inbound(live, params["MessageSid"])
    return message


def test_a_verified_borrower_s_pdf_is_filed_on_their_application(
        twilio_app: LiveApp, fake_twilio: FakeTwilio) -> None:
    borrower = "+18685550133"  # a demo customer with a draft application
    _send(twilio_app, f"whatsapp:{borrower}", "what's my balance")
    [code] = [row.body for row in replies(twilio_app, borrower, "whatsapp")
              if row.purpose == "one_time_code"]
    _send(twilio_app, f"whatsapp:{borrower}", re.findall(r"\b\d{6}\b", code)[0])
    url = fake_twilio.media(PDF, "application/pdf")
    media_sid = url.rsplit("/", 1)[-1]
    message = _send(twilio_app, f"whatsapp:{borrower}", "here is my payslip", url)
    assert message.meta["attachments"] == [
        {"filename": f"{media_sid}.pdf", "content_type": "application/pdf",
         "size_bytes": len(PDF)}]
    [document] = rows(twilio_app, "SELECT d.content_type, CAST(d.document_type AS text) AS "
                                  "kind FROM application_documents d JOIN applications a ON "
                                  "a.id = d.application_id JOIN contact_points p ON "
                                  "p.customer_id = a.customer_id WHERE d.filename = :name AND "
                                  "p.address = :phone AND p.channel = 'whatsapp'",
                      name=f"{media_sid}.pdf", phone=borrower)
    assert tuple(document) == ("application/pdf", "payslip")
    assert any(f"added {media_sid}.pdf to application APP-" in row.body
               for row in replies(twilio_app, borrower, "whatsapp"))


def test_a_message_of_nothing_but_a_refused_file_is_answered_with_the_reason(
        twilio_app: LiveApp, fake_twilio: FakeTwilio) -> None:
    sender = number(300)
    url = fake_twilio.media(b"GIF89a", "image/gif")
    params = form(sender, "", NumMedia="1", MediaUrl0=url, MediaContentType0="image/gif")
    assert post(twilio_app, params).status_code == 200
    job_done(twilio_app, params["MessageSid"])
    [message] = inbound(twilio_app, params["MessageSid"])
    assert message.intent == "media_refused"
    assert message.meta["refused_media"] == [
        {"content_type": "image/gif", "reason": "only a PDF, JPEG or PNG can be accepted"}]
    assert [(row.body, row.purpose) for row in replies(twilio_app, sender)] == [
        ("I couldn't take the image/gif file you sent: only a PDF, JPEG or PNG can be "
         "accepted.", "media_refused")]


def test_a_twilio_outage_is_retried_and_the_file_then_received(
        twilio_app: LiveApp, fake_twilio: FakeTwilio) -> None:
    sender = number(301)
    url = fake_twilio.media(PNG, "image/png", failures=1)
    params = form(sender, "my id", NumMedia="1", MediaUrl0=url, MediaContentType0="image/png")
    assert post(twilio_app, params).status_code == 200
    assert job_done(twilio_app, params["MessageSid"]) == "succeeded"
    [job] = rows(twilio_app, "SELECT attempts FROM procrastinate_jobs WHERE "
                             "args->'message'->>'sid' = :sid", sid=params["MessageSid"])
    assert job.attempts == 2
    [message] = inbound(twilio_app, params["MessageSid"])
    assert [file["content_type"] for file in message.meta["attachments"]] == ["image/png"]


def test_on_the_last_attempt_an_outage_is_explained_and_the_words_answered(
        twilio_app: LiveApp, fake_twilio: FakeTwilio) -> None:
    sender = number(302)
    url = fake_twilio.media(PDF, "application/pdf", failures=100)
    message = parse_inbound(form(sender, "what loans do you have", NumMedia="1",
                                 MediaUrl0=url, MediaContentType0="application/pdf"))
    with pytest.raises(MediaUnavailable):
        twilio_app.run(inbound_jobs.handle(inbound_jobs.wiring(), message, Verdict.ANSWER))
    outcome = twilio_app.run(inbound_jobs.handle(inbound_jobs.wiring(), message,
                                                 Verdict.ANSWER, final_attempt=True))
    assert outcome == "answered"
    [kept] = inbound(twilio_app, message.sid)
    assert kept.meta["refused_media"] == [{"content_type": "application/pdf",
                                           "reason": NOT_DOWNLOADED}]
    sent = replies(twilio_app, sender)
    assert sent[0].purpose == "reply"
    assert (sent[-1].body, sent[-1].purpose) == (
        f"I couldn't take the application/pdf file you sent: {NOT_DOWNLOADED}.",
        "media_refused")
