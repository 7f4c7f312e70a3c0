"""The voice webhooks over HTTP and the relay socket's handshake: TwiML for both voice modes,
the end of a connected session, the fallback, and forged signatures (403, audited)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from channels.voice.incoming import APOLOGY, CONNECTING
from tests.channels.conftest import LiveApp
from tests.channels.voice_relay.conftest import (
    ASHA,
    STRANGER,
    answer,
    answer_url,
    call_form,
    call_sid,
    post_signed,
    query,
    sign,
)


async def refusals(app: LiveApp) -> list[dict[str, object]]:
    return await query(app, "select entity_id, after from audit_events where "
                            "action = 'webhook.refused' order by id")


async def count(app: LiveApp, table: str) -> int:
    return int((await query(app, f"select count(*) as n from {table}"))[0]["n"])


async def test_an_incoming_call_is_connected_to_conversation_relay_with_elevenlabs(
    relay_app: LiveApp,
) -> None:
    sid = call_sid()
    twiml = await answer(relay_app, ASHA, sid)
    connect_ = twiml.find("Connect")
    assert connect_ is not None
    assert connect_.attrib == {"action": f"{relay_app.url}/channels/voice/session-ended"}
    relay = connect_.find("ConversationRelay")
    assert relay is not None
    assert relay.attrib == {
        "url": f"{relay_app.ws_url}/channels/voice/relay?caller=%2B18685550101&call={sid}",
        "ttsProvider": "ElevenLabs", "voice": "21m00Tcm4TlvDq8ikWAM-flash_v2_5",
        "language": "en-US", "dtmfDetection": "true", "interruptible": "any",
        "welcomeGreeting": "Thank you for calling Island Credit Union (demo). How can I help "
                           "you today?",
    }


async def test_in_stream_mode_the_call_is_connected_to_a_media_stream(
    relay_app: LiveApp,
) -> None:
    state = relay_app.app.state
    state.settings = relay_app.settings.model_copy(update={"voice_mode": "stream"})
    sid = call_sid()
    try:
        stream = (await answer(relay_app, ASHA, sid)).find("./Connect/Stream")
    finally:
        state.settings = relay_app.settings
    assert stream is not None
    assert stream.attrib == {"url": f"{relay_app.ws_url}/channels/voice/stream"}
    assert [(p.attrib["name"], p.attrib["value"]) for p in stream.findall("Parameter")] == [
        ("From", ASHA), ("CallSid", sid)]


@pytest.mark.parametrize("path", ["/channels/voice/incoming", "/channels/voice/session-ended",
                                  "/channels/voice/fallback"])
async def test_a_forged_webhook_is_refused_and_audited(relay_app: LiveApp, path: str) -> None:
    before, conversations = len(await refusals(relay_app)), await count(relay_app,
                                                                        "conversations")
    sid = call_sid()
    form = call_form(ASHA, sid)
    forged = [
        await post_signed(relay_app, path, form, signature=""),
        await post_signed(relay_app, path, form, signature="bm90IGEgc2lnbmF0dXJl"),
        # signed for another caller, then posted as Asha
        await post_signed(relay_app, path, form,
                          signature=sign(f"{relay_app.url}{path}", call_form(STRANGER, sid))),
    ]
    assert [response.status_code for response in forged] == [403, 403, 403]
    assert forged[0].json() == {"detail": "The request's Twilio signature is not valid."}
    audited = (await refusals(relay_app))[before:]
    assert [event["entity_id"] for event in audited] == [path] * 3
    assert [event["after"] for event in audited] == [
        {"reason": reason, "url": f"{relay_app.url}{path}", "from": ASHA, "sid": sid}
        for reason in ("missing signature", "bad signature", "bad signature")]
    assert await count(relay_app, "conversations") == conversations


async def test_a_forged_socket_is_refused_and_audited(relay_app: LiveApp) -> None:
    before, messages = len(await refusals(relay_app)), await count(relay_app,
                                                                   "conversation_messages")
    sid = call_sid()
    url = answer_url(await answer(relay_app, ASHA, sid))
    stranger = url.replace("%2B18685550101", "%2B18685559999")
    no_call = f"{relay_app.ws_url}/channels/voice/relay?caller=%2B18685550101"
    attempts = [(url, {}), (url, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}),
                (stranger, {"X-Twilio-Signature": sign(url)}),  # a signature for another URL
                (no_call, {"X-Twilio-Signature": sign(no_call)})]
    for target, headers in attempts:
        with pytest.raises(InvalidStatus) as refused:
            await connect(target, additional_headers=headers)
        assert refused.value.response.status_code == 403
    audited = (await refusals(relay_app))[before:]
    assert [event["after"]["reason"] for event in audited] == [  # type: ignore[index]
        "missing signature", "bad signature", "bad signature", "no call in the socket URL"]
    assert {event["entity_id"] for event in audited} == {"/channels/voice/relay"}
    assert audited[2]["after"] == {"reason": "bad signature",
                                   "url": f"{relay_app.ws_url}/channels/voice/relay",
                                   "from": STRANGER, "sid": sid}
    assert await count(relay_app, "conversation_messages") == messages


async def test_after_a_hand_over_the_caller_is_told_and_queued_for_staff(
    relay_app: LiveApp,
) -> None:
    sid = call_sid()
    handoff = '{"reasonCode": "live-agent-handoff", "reason": "requested"}'
    response = await post_signed(relay_app, "/channels/voice/session-ended", call_form(
        STRANGER, sid, CallStatus="in-progress", SessionId="VX1", SessionStatus="ended",
        SessionDuration="42", HandoffData=handoff))
    assert response.status_code == 200
    twiml = ET.fromstring(response.text)
    assert [(child.tag, child.text) for child in twiml] == [("Say", CONNECTING),
                                                           ("Enqueue", "staff")]
    queued = await query(relay_app, "select actor, entity_type, after from audit_events "
                                    "where action = 'call.queued_for_staff' and entity_id = "
                                    ":sid", sid=sid)
    assert queued == [{"actor": "twilio-voice", "entity_type": "call", "after": {
        "conversation_id": None, "queue": "staff",
        "handoff": {"reasonCode": "live-agent-handoff", "reason": "requested"}}}]


@pytest.mark.parametrize("fields", [
    {"SessionStatus": "failed", "ErrorCode": "64107", "ErrorMessage": "invalid message"},
    {"SessionStatus": "ended"},  # our socket closed without a hand-over
])
async def test_a_session_that_ends_without_a_hand_over_gets_an_apology(
    relay_app: LiveApp, fields: dict[str, str],
) -> None:
    response = await post_signed(relay_app, "/channels/voice/session-ended",
                                 call_form(ASHA, call_sid(), CallStatus="in-progress",
                                           **fields))
    twiml = ET.fromstring(response.text)
    assert [(child.tag, child.text) for child in twiml] == [("Say", APOLOGY), ("Hangup", None)]


async def test_a_call_that_is_over_gets_no_more_instructions(relay_app: LiveApp) -> None:
    response = await post_signed(relay_app, "/channels/voice/session-ended",
                                 call_form(ASHA, call_sid(), CallStatus="completed",
                                           HandoffData='{"reason": "requested"}'))
    assert list(ET.fromstring(response.text)) == []


async def test_the_fallback_apologises(relay_app: LiveApp) -> None:
    response = await post_signed(relay_app, "/channels/voice/fallback",
                                 call_form(ASHA, call_sid(), ErrorCode="11200"))
    assert response.status_code == 200
    twiml = ET.fromstring(response.text)
    assert [(child.tag, child.text) for child in twiml] == [("Say", APOLOGY), ("Hangup", None)]
