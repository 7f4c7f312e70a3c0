"""Every webhook and socket parser, fed anything: a parsed value or its documented error, never
another exception (which would be a 500 or a dropped socket). No I/O; each property runs a
bounded, derandomised number of examples, so a run is the same every time.

Parsers: Twilio's message form (`MalformedMessage`), the numbers of a status callback, the
incoming call's TwiML and the session-ended hand-over data, the web chat's client frames
(`FrameError`) and ConversationRelay's frames (`BadFrame`).
"""

from __future__ import annotations

import json
import string
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

from channels.twilio.inbound import (
    MAX_BODY,
    MAX_MEDIA,
    InboundMessage,
    MalformedMessage,
    parse_inbound,
)
from channels.twilio.status import _number
from channels.voice import relay_protocol
from channels.voice.calls import caller_address
from channels.voice.incoming import _handoff_data, connect_twiml
from channels.web import protocol
from tests.fuzz.strategies import (
    DEEP,
    frames,
    json_values,
    plausible,
    texts,
    twilio_forms,
    xml_texts,
)

BOUNDED = settings(max_examples=150, derandomize=True, deadline=None)

@BOUNDED
@given(twilio_forms)
@example({"MessageSid": "SM" + "a" * 32, "From": "+18685550101", "NumMedia": "²"})
def test_a_message_form_is_a_message_or_malformed(form: dict[str, str]) -> None:
    try:
        message = parse_inbound(form)
    except MalformedMessage as refused:
        assert str(refused)
        return
    assert message.address.startswith("+") and message.address[1:].isdigit()
    assert len(message.body) <= MAX_BODY and len(message.media) <= MAX_MEDIA
    assert message.body.strip() or message.media
    assert InboundMessage.from_json(json.loads(json.dumps(message.to_json()))) == message


@BOUNDED
@given(plausible(st.integers(0, 10**12).map(str), st.sampled_from(["²", "1\n", "-1", "٣"])))
def test_a_status_callback_number_is_a_small_number_or_none(value: str) -> None:
    number = _number(value)
    if value.isascii() and value.isdigit() and len(value) <= 9:
        assert number == int(value)
    else:
        assert number is None


class Voice:
    base_url = "https://lendline.example.com"
    voice_mode = "relay"
    elevenlabs_voice_id = "voice"
    elevenlabs_tts_model = "eleven_flash_v2_5"
    lender_name = "Island Credit Union & Co <demo>"


@BOUNDED
@given(caller=xml_texts, call_sid=xml_texts, mode=st.sampled_from(["relay", "stream"]))
def test_the_incoming_call_twiml_is_xml_that_names_this_call(caller: str, call_sid: str,
                                                             mode: str) -> None:
    voice = Voice()
    voice.voice_mode = mode
    root = ET.fromstring(connect_twiml(voice, caller=caller, call_sid=call_sid))
    if mode == "relay":
        [relay] = root.iter("ConversationRelay")
        query = parse_qs(urlsplit(relay.attrib["url"]).query, keep_blank_values=True)
        assert query == {"caller": [caller], "call": [call_sid]}
    else:
        named = {item.attrib["name"]: item.attrib["value"] for item in root.iter("Parameter")}
        assert named == {"From": caller, "CallSid": call_sid}
    address = caller_address(caller, call_sid)
    assert address == caller or address == f"unknown:{call_sid}"


@BOUNDED
@given(plausible(json_values.map(json.dumps), st.just(DEEP)))
def test_hand_over_data_is_an_object_or_nothing(raw: str) -> None:
    data = _handoff_data({"HandoffData": raw})
    assert data is None if not raw else isinstance(data, dict)


chat_frames = frames(["hello", "message", "typing"], {
    "id": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True) | texts,
    "text": st.sampled_from(["", "  ", "hi", "x" * (protocol.MAX_TEXT + 1)]) | texts,
    "session": texts})
ERROR_CODES = {"frame_too_large", "invalid_json", "invalid_frame", "unknown_type",
               "message_too_long", "empty_message"}


@BOUNDED
@given(chat_frames)
@example(DEEP)
@example("x" * (protocol.MAX_FRAME + 1))
def test_a_chat_frame_is_hello_or_message_or_a_frame_error(raw: str) -> None:
    try:
        frame = protocol.parse(raw)
    except protocol.FrameError as refused:
        assert refused.code in ERROR_CODES and refused.message
        return
    if isinstance(frame, protocol.Message):
        assert frame.text.strip() and len(frame.text) <= protocol.MAX_TEXT
    else:
        assert isinstance(frame, protocol.Hello)


relay_frames = frames(["setup", "prompt", "interrupt", "dtmf", "error", "info"], {
    "callSid": texts, "from": texts, "to": texts, "customParameters": json_values,
    "voicePrompt": texts, "last": st.booleans(), "lang": texts,
    "utteranceUntilInterrupt": texts, "durationUntilInterruptMs": st.integers(),
    "digit": st.sampled_from(list(string.digits + "*#")) | texts, "description": texts})


@BOUNDED
@given(relay_frames)
@example(DEEP)
def test_a_relay_frame_is_a_message_or_a_bad_frame(raw: str) -> None:
    try:
        message = relay_protocol.parse(raw)
    except relay_protocol.BadFrame as refused:
        assert str(refused)
        return
    if isinstance(message, relay_protocol.Dtmf):
        assert message.digit in relay_protocol.KEYS
    elif isinstance(message, relay_protocol.Prompt):
        assert message.text and message.text == message.text.strip()
    else:
        assert isinstance(message, relay_protocol.Setup | relay_protocol.Interrupt
                          | relay_protocol.Error)
