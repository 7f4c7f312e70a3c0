"""The webhook's form read into a message, keywords recognised, refusals worded: no I/O."""

from __future__ import annotations

import pytest

from channels.twilio.inbound import InboundMessage, MalformedMessage, Media, parse_inbound
from channels.twilio.inbound_jobs import refusal
from channels.twilio.keywords import Keyword, detect
from channels.twilio.media import Refused
from tests.channels.twilio_inbound.conftest import form

SID = "SM" + "ab" * 16


def test_an_sms_is_read_with_the_bare_number_and_the_extra_fields_ignored() -> None:
    message = parse_inbound(form("+18685550101", "What's my balance?", MessageSid=SID,
                                 SomethingNew="tolerated"))
    assert message == InboundMessage(sid=SID, channel="sms", address="+18685550101",
                                     body="What's my balance?")
    assert message.meta == {}


def test_a_whatsapp_message_keeps_the_profile_name_wa_id_and_media() -> None:
    message = parse_inbound(form(
        "whatsapp:+447700900123", "", MessageSid=SID, ProfileName=" Asha\x00  R. ",
        WaId="447700900123", NumMedia="2",
        MediaUrl0="https://api.twilio.com/m/ME1", MediaContentType0="application/pdf",
        MediaUrl1="https://api.twilio.com/m/ME2", MediaContentType1="IMAGE/JPEG; x=y"))
    assert (message.channel, message.address) == ("whatsapp", "+447700900123")
    assert message.meta == {"profile_name": "Asha R.", "wa_id": "447700900123"}
    assert message.media == (Media("https://api.twilio.com/m/ME1", "application/pdf"),
                             Media("https://api.twilio.com/m/ME2", "image/jpeg"))
    assert InboundMessage.from_json(message.to_json()) == message


def test_line_breaks_tabs_and_emoji_are_text() -> None:
    body = "line one\r\nline two\tand 👍🏽 — ok\u200d"
    assert parse_inbound(form("+18685550101", body)).body == body


@pytest.mark.parametrize(("fields", "reason"), [
    ({"MessageSid": ""}, "MessageSid is missing: this is not a Twilio message webhook."),
    ({"MessageSid": "SM123"}, "MessageSid 'SM123' is not a Twilio message SID."),
    ({"From": ""}, "From is missing: the message needs its sender's number."),
    ({"From": "+1868"}, "From '+1868' is not a phone number in E.164 form, like +18685550101 "
                        "or whatsapp:+18685550101."),
    ({"From": "18685550101"}, "From '18685550101' is not a phone number in E.164 form"),
    ({"From": "whatsapp:someone"}, "From 'whatsapp:someone' is not a phone number"),
    ({"From": "+99912345678"}, "From '+99912345678' is not a phone number"),
    ({"Body": "x" * 1_601}, "Body is 1,601 characters; a message can be at most 1,600."),
    ({"Body": "hi\x00there"}, "Body contains the control character U+0000 at position 3; "
                              "only text, tabs and line breaks are accepted."),
    ({"Body": "bell\x07"}, "Body contains the control character U+0007 at position 5"),
    ({"Body": "  \n "}, "The message has no text and no media."),
    ({"Body": "", "NumMedia": "many"}, "NumMedia 'many' is not a number of attachments from 0 "
                                       "to 10."),
    ({"NumMedia": "11"}, "NumMedia '11' is not a number of attachments from 0 to 10."),
    ({"NumMedia": "1"}, "NumMedia is 1 but MediaUrl0 is missing."),
    ({"NumMedia": "1", "MediaUrl0": "file:///etc/passwd"},
     "NumMedia is 1 but MediaUrl0 is not a URL."),
])
def test_a_malformed_form_is_refused_with_the_reason(fields: dict[str, str],
                                                     reason: str) -> None:
    with pytest.raises(MalformedMessage) as refused:
        parse_inbound(form("+18685550101", **fields))
    assert str(refused.value).startswith(reason)


def test_the_longest_body_twilio_sends_is_accepted() -> None:
    assert len(parse_inbound(form("+18685550101", "é" * 1_600)).body) == 1_600


@pytest.mark.parametrize(("body", "keyword", "word"), [
    *((word, Keyword.STOP, word) for word in
      ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")),
    *((word, Keyword.START, word) for word in ("START", "YES", "UNSTOP")),
    ("HELP", Keyword.HELP, "HELP"), ("INFO", Keyword.HELP, "INFO"),
    ("  stop\n", Keyword.STOP, "STOP"), ("Stop.", Keyword.STOP, "STOP"),
    ("unsubscribe!", Keyword.STOP, "UNSUBSCRIBE"), ("yes", Keyword.START, "YES"),
])
def test_keywords_and_their_synonyms(body: str, keyword: Keyword, word: str) -> None:
    command = detect(body)
    assert command is not None
    assert (command.keyword, command.word) == (keyword, word)


@pytest.mark.parametrize("body", ["stop calling me", "please help", "yes please", "STOP IT",
                                  "", "stopp", "HELP?"])
def test_a_sentence_is_not_a_keyword(body: str) -> None:
    assert detect(body) is None


def test_refused_files_are_explained_one_by_one() -> None:
    assert refusal((Refused("image/heic", "only a PDF, JPEG or PNG can be accepted"),
                    Refused("application/pdf", "it is over the 10 MB limit"))) == (
        "I couldn't take the image/heic file you sent: only a PDF, JPEG or PNG can be "
        "accepted. I couldn't take the application/pdf file you sent: it is over the 10 MB "
        "limit.")
