"""Twilio's voice webhooks: the incoming call, the end of the connected session, the fallback.

- `POST /channels/voice/incoming` (the number's "A call comes in" URL) answers TwiML that
  connects the call to our websocket: ConversationRelay with ElevenLabs speaking
  (`voice_mode` "relay") or a Media Stream (`voice_mode` "stream").
- `POST /channels/voice/session-ended` is the `<Connect action>`: Twilio calls it when the
  socket session ends with the caller still on the line. When the agent handed the call to a
  person (the relay's `end` carries `HandoffData`, or the call's conversation is escalated)
  it says so and puts the call in the `staff` queue (`<Enqueue>`); otherwise it apologises
  and hangs up.
- `POST /channels/voice/fallback` (the number's "Primary handler fails" URL) apologises.

Every webhook is signed (`channels.twilio.signature`); a forged one gets 403 and is audited.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from twilio.twiml.voice_response import Connect, VoiceResponse

from channels.twilio.signature import signed_form
from channels.voice.calls import (
    FALLBACK_PATH,
    INCOMING_PATH,
    SESSION_ENDED_PATH,
    STREAM_PATH,
    caller_address,
    http_url,
    relay_url,
    websocket_base,
)
from core.audit import trail
from core.conversations.models import Channel, ConversationStatus
from core.conversations.store import find_open_conversation

log = logging.getLogger(__name__)

router = APIRouter(tags=["voice"])


class VoiceSettings(Protocol):
    """What the TwiML needs of the app's settings (channels do not import the app's)."""

    @property
    def base_url(self) -> str: ...
    @property
    def voice_mode(self) -> str: ...
    @property
    def elevenlabs_voice_id(self) -> str: ...
    @property
    def elevenlabs_tts_model(self) -> str: ...
    @property
    def lender_name(self) -> str: ...

STAFF_QUEUE = "staff"
CONNECTING = "Please hold while I connect you to a member of our team."
APOLOGY = ("We're sorry, our assistant can't take your call right now. Please call back in a "
           "few minutes, or send us a message on WhatsApp.")


def greeting(settings: VoiceSettings) -> str:
    return f"Thank you for calling {settings.lender_name}. How can I help you today?"


def elevenlabs_voice(settings: VoiceSettings) -> str:
    """ConversationRelay's ElevenLabs voice: `<voice id>-<model>`, the model without the
    `eleven_` prefix ElevenLabs' own API uses (e.g. `21m00Tcm4TlvDq8ikWAM-flash_v2_5`)."""
    return f"{settings.elevenlabs_voice_id}-{settings.elevenlabs_tts_model.removeprefix('eleven_')}"


def connect_twiml(settings: VoiceSettings, *, caller: str, call_sid: str) -> str:
    """The incoming call's TwiML for the configured voice mode."""
    response = VoiceResponse()
    connect = Connect(action=http_url(settings.base_url, SESSION_ENDED_PATH))
    if settings.voice_mode == "stream":
        stream = connect.stream(url=f"{websocket_base(settings.base_url)}{STREAM_PATH}")
        stream.parameter(name="From", value=caller)
        stream.parameter(name="CallSid", value=call_sid)
    else:
        connect.conversation_relay(
            url=relay_url(settings.base_url, caller=caller, call_sid=call_sid),
            welcome_greeting=greeting(settings), language="en-US",
            tts_provider="ElevenLabs", voice=elevenlabs_voice(settings),
            dtmf_detection=True, interruptible="any",
        )
    response.append(connect)
    return str(response)


def apology_twiml() -> str:
    response = VoiceResponse()
    response.say(APOLOGY)
    response.hangup()
    return str(response)


def handoff_twiml() -> str:
    response = VoiceResponse()
    response.say(CONNECTING)
    response.enqueue(STAFF_QUEUE)
    return str(response)


def twiml(body: str) -> Response:
    return Response(content=body, media_type="application/xml")


@router.post(INCOMING_PATH)
async def incoming_call(request: Request) -> Response:
    """A call to our number: connect it to the agent."""
    form = await signed_form(request)
    settings: VoiceSettings = request.app.state.settings
    return twiml(connect_twiml(settings, caller=form.get("From", ""),
                               call_sid=form.get("CallSid", "")))


def _handoff_data(form: dict[str, str]) -> dict[str, Any] | None:
    raw = form.get("HandoffData", "")
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    return data if isinstance(data, dict) else {"detail": raw[:500]}


@router.post(SESSION_ENDED_PATH)
async def session_ended(request: Request) -> Response:
    """The connected session ended: connect the caller to staff after a hand-over, or
    apologise when the agent could not carry on (an error, a lost socket)."""
    form = await signed_form(request)
    if form.get("CallStatus") == "completed":
        return twiml(str(VoiceResponse()))
    handoff = _handoff_data(form)
    call_sid = form.get("CallSid", "")
    async with request.app.state.session_factory() as session, session.begin():
        conversation = await find_open_conversation(
            session, channel=Channel.VOICE,
            address=caller_address(form.get("From", ""), call_sid))
        escalated = (conversation is not None
                     and conversation.status is ConversationStatus.ESCALATED)
        if handoff is None and not escalated:
            log.warning("Voice session %s ended without a hand-over (status %s, error %s %s)",
                        call_sid, form.get("SessionStatus"), form.get("ErrorCode"),
                        form.get("ErrorMessage"))
            return twiml(apology_twiml())
        await trail.record(
            session, actor="twilio-voice", action="call.queued_for_staff", entity_type="call",
            entity_id=call_sid,
            after={"conversation_id": conversation.id if conversation is not None else None,
                   "queue": STAFF_QUEUE, "handoff": handoff or {}},
        )
    return twiml(handoff_twiml())


@router.post(FALLBACK_PATH)
async def fallback(request: Request) -> Response:
    """Twilio could not reach the incoming-call webhook: apologise rather than go silent."""
    await signed_form(request)
    return twiml(apology_twiml())
