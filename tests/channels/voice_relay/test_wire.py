"""ConversationRelay's messages, keyed entries, what a caller heard, and the TwiML: no I/O."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET

import pytest

from channels.voice import relay_protocol as protocol
from channels.voice.calls import caller_address, relay_url, websocket_base
from channels.voice.dtmf import MAX_DIGITS, DigitEntry
from channels.voice.incoming import connect_twiml, elevenlabs_voice
from channels.voice.talk import heard_parts
from lendline.settings import Settings

SID = "CA" + "0" * 31 + "7"


def test_twilios_messages_are_read_as_documented() -> None:
    setup = protocol.parse(json.dumps({
        "type": "setup", "sessionId": "VX1", "accountSid": "AC1", "callSid": SID,
        "from": "+18685550101", "to": "+18685550000", "direction": "inbound",
        "customParameters": {"callReference": "bar"}, "somethingNew": True}))
    assert setup == protocol.Setup(SID, "+18685550101", "+18685550000",
                                   {"callReference": "bar"})
    assert protocol.parse('{"type": "prompt", "voicePrompt": " balance please ", "lang": '
                          '"en-US", "last": true}') == protocol.Prompt("balance please",
                                                                       last=True, lang="en-US")
    assert protocol.parse('{"type": "prompt", "voicePrompt": "bal", "last": false}') == (
        protocol.Prompt("bal", last=False))
    assert protocol.parse('{"type": "interrupt", "utteranceUntilInterrupt": "First I need", '
                          '"durationUntilInterruptMs": 1820}') == protocol.Interrupt(
                              "First I need", 1820)
    assert protocol.parse('{"type": "dtmf", "digit": "#"}') == protocol.Dtmf("#")
    assert protocol.parse('{"type": "error", "description": "Invalid message"}') == (
        protocol.Error("Invalid message"))


@pytest.mark.parametrize(("raw", "reason"), [
    ("balance please", "the frame is not JSON"),
    ("[1, 2]", "the frame is not a JSON object with a 'type'"),
    ('{"voicePrompt": "hi"}', "the frame is not a JSON object with a 'type'"),
    ('{"type": "transcript", "text": "hi"}', "'transcript' is not a message type we know"),
    ('{"type": "prompt", "last": true}', "a prompt message without text ('voicePrompt')"),
    ('{"type": "prompt", "voicePrompt": "  ", "last": true}',
     "a prompt message without text ('voicePrompt')"),
    ('{"type": "prompt", "voicePrompt": 42}', "a prompt message without text ('voicePrompt')"),
    ('{"type": "prompt", "voicePrompt": "hi", "last": "yes"}',
     "a prompt message's 'last' must be true or false"),
    ('{"type": "dtmf", "digit": "x"}', "'x' is not a phone key"),
    ('{"type": "dtmf", "digit": "12"}', "'12' is not a phone key"),
    ('{"type": "dtmf"}', "a dtmf message needs 'digit' as text"),
    ('{"type": "setup", "from": "+18685550101"}', "a setup message needs 'callSid' as text"),
    ('{"type": "setup", "callSid": "CA1", "from": "+1", "customParameters": [1]}',
     "a setup message's 'customParameters' must be an object"),
])
def test_a_bad_frame_is_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(protocol.BadFrame) as refused:
        protocol.parse(raw)
    assert str(refused.value) == reason


def test_our_messages_are_what_twilio_expects() -> None:
    assert json.loads(protocol.text("Hello.", last=False)) == {
        "type": "text", "token": "Hello.", "last": False}
    end = json.loads(protocol.end({"reason": "requested", "conversationId": 7}))
    assert end["type"] == "end"
    assert json.loads(end["handoffData"]) == {"reason": "requested", "conversationId": 7}


async def test_keys_gather_into_entries_ended_by_hash_a_pause_or_the_limit() -> None:
    entries: list[str] = []
    keys = DigitEntry(entries.append, pause=0.3)
    for key in "79*7974#":
        keys.press(key)
    keys.press("#")
    assert entries == ["7974"]
    for key in "1234":
        keys.press(key)
    await asyncio.sleep(0.2)
    keys.press("5")  # the pause starts again from the last key
    await asyncio.sleep(0.2)
    assert entries == ["7974"]
    await asyncio.sleep(0.3)
    assert entries == ["7974", "12345"]
    for _ in range(MAX_DIGITS):
        keys.press("9")
    assert entries[-1] == "9" * MAX_DIGITS
    keys.press("3")
    keys.flush()
    keys.flush()
    assert entries[-1] == "3" and len(entries) == 4


def test_what_was_heard_is_split_across_the_replies_of_a_cycle() -> None:
    spoken = [(1, "Thank you, you're verified."), (2, "Your balance is 5 dollars.")]
    assert heard_parts(spoken, "Thank you, you're ver") == [(1, "Thank you, you're ver"),
                                                           (2, "")]
    assert heard_parts(spoken, "Thank you, you're verified. Your bal") == [(2, "Your bal")]
    assert heard_parts(spoken, "") == [(1, ""), (2, "")]
    assert heard_parts(spoken, "Thank you, you're verified. Your balance is 5 dollars. ") == []


def test_urls_and_addresses_of_a_call() -> None:
    assert websocket_base("https://lend.example/") == "wss://lend.example"
    assert websocket_base("http://127.0.0.1:8000") == "ws://127.0.0.1:8000"
    assert relay_url("https://lend.example", caller="+18685550101", call_sid=SID) == (
        f"wss://lend.example/channels/voice/relay?caller=%2B18685550101&call={SID}")
    assert caller_address("+18685550101", SID) == "+18685550101"
    for withheld in ("anonymous", "", "+266696687x", "client:alice", "sip:a@b.example"):
        assert caller_address(withheld, SID) == f"unknown:{SID}"


def test_the_twiml_of_each_voice_mode(settings: Settings) -> None:
    public = settings.model_copy(update={"public_url": "https://lend.example"})
    assert elevenlabs_voice(public) == "21m00Tcm4TlvDq8ikWAM-flash_v2_5"
    relay = ET.fromstring(connect_twiml(public, caller="+18685550101", call_sid=SID))
    connect = relay.find("Connect")
    assert connect is not None
    assert connect.attrib == {"action": "https://lend.example/channels/voice/session-ended"}
    assert [child.tag for child in connect] == ["ConversationRelay"]
    assert connect[0].attrib["url"] == (
        f"wss://lend.example/channels/voice/relay?caller=%2B18685550101&call={SID}")
    stream = ET.fromstring(connect_twiml(public.model_copy(update={"voice_mode": "stream"}),
                                         caller="+18685550101", call_sid=SID))
    element = stream.find("./Connect/Stream")
    assert element is not None
    assert element.attrib == {"url": "wss://lend.example/channels/voice/stream"}
    assert {p.attrib["name"]: p.attrib["value"] for p in element.findall("Parameter")} == {
        "From": "+18685550101", "CallSid": SID}
