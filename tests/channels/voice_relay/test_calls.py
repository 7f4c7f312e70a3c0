"""Whole calls over the ConversationRelay socket, as Twilio places them, against the real app
(offline understanding) on its demo-seeded database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from channels import live
from channels.voice.incoming import CONNECTING
from core.conversations.models import Author
from core.conversations.outbox import enqueue_reply
from core.conversations.store import get_conversation
from tests.channels.conftest import LiveApp
from tests.channels.voice_relay.conftest import (
    ASHA,
    STRANGER,
    Call,
    call_form,
    conversation_of,
    eventually,
    messages,
    place_call,
    post_signed,
    query,
)

SPOKEN_AMOUNT = re.compile(r"\b\d{1,3}(,\d{3})* dollars and \d{1,2} cents?\b")


async def closed(app: LiveApp, address: str) -> dict[str, Any]:
    """The call's conversation once the server has finished with the ended call."""
    async def check() -> dict[str, Any] | None:
        found = await conversation_of(app, address)
        return found if found is not None and found["status"] != "active" else None
    return await eventually(check)


async def pending_rows(app: LiveApp, conversation_id: int) -> int:
    rows = await query(app, "select count(*) as n from outbox where conversation_id = :c and "
                            "status = 'pending'", c=conversation_id)
    return int(rows[0]["n"])


async def test_a_call_checks_a_balance_with_keyed_id_digits_and_hears_it_in_words(
    relay_app: LiveApp,
) -> None:
    call = await place_call(relay_app, ASHA)
    assert "What is your date of birth?" in await call.say("what is my balance")
    assert "last 4 digits" in await call.say("17 June 1972")
    await call.key("7974#")
    said = await call.reply()
    assert said.startswith("Thank you, you're verified. Your Personal Loan")
    assert SPOKEN_AMOUNT.search(said), said
    assert not set("$*#%") & set(said) and "TT" not in said
    await call.hang_up()

    conversation = await closed(relay_app, ASHA)
    assert conversation["status"] == "closed" and conversation["customer_id"] is not None
    transcript = await messages(relay_app, conversation["id"])
    heard = [(m["body"], m["provider_message_id"], m["meta"]) for m in transcript
             if m["direction"] == "inbound"]
    # The keyed ID digits are masked in the transcript once the turn is done
    # (docs/data-protection.md).
    assert heard == [(said_, f"{call.sid}-{n}", {"call_sid": call.sid}) for n, said_ in
                     enumerate(["what is my balance", "17 June 1972", "••••"], start=1)]
    spoken = [m["body"] for m in transcript if m["direction"] == "outbound"]
    assert spoken[-2] == "Thank you, you're verified." and " ".join(spoken[-2:]) == said
    assert await pending_rows(relay_app, conversation["id"]) == 0

    again = await place_call(relay_app, ASHA)  # a new call must verify again
    assert "What is your date of birth?" in await again.say("what is my balance")
    await again.hang_up()
    assert (await closed(relay_app, ASHA))["id"] != conversation["id"]


async def test_star_starts_an_entry_again_and_a_pause_ends_it(relay_app: LiveApp) -> None:
    caller = "+18685550102"
    call = await place_call(relay_app, caller)
    await call.say("when is my next payment")
    assert "last 4 digits" in await call.say("20 April 1971")
    await call.key("99*0636")  # no '#': the pause ends the entry
    started = asyncio.get_running_loop().time()
    said = await call.reply()
    assert asyncio.get_running_loop().time() - started > 2
    assert said.startswith("Thank you, you're verified.") and "next payment" in said
    await call.hang_up()
    transcript = await messages(relay_app, (await closed(relay_app, caller))["id"])
    # Verified, so the entry was 0636, not 990636; the transcript keeps it masked.
    assert [m["body"] for m in transcript if m["direction"] == "inbound"][-1] == "••••"


async def noted(app: LiveApp, conversation_id: int, body_start: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        for message in await messages(app, conversation_id):
            if message["body"].startswith(body_start) and message["meta"]:
                return dict(message["meta"])
        return None
    return await eventually(check)


async def test_an_interruption_is_noted_with_what_the_caller_heard(relay_app: LiveApp) -> None:
    caller = "+18685550104"
    call = await place_call(relay_app, caller)
    await call.say("when is my next payment")
    await call.interrupt("First I need to")
    conversation = await conversation_of(relay_app, caller)
    assert conversation is not None
    assert await noted(relay_app, conversation["id"], "First I need") == {
        "interrupted": True, "heard": "First I need to"}

    await call.say("the tenth of February nineteen seventy")
    await call.key("0836#")
    said = await call.reply()
    assert said.startswith("Thank you, you're verified. ")
    await call.interrupt("Thank you, you're verified. Your next")
    assert await noted(relay_app, conversation["id"], "Your next") == {
        "interrupted": True, "heard": "Your next"}
    verified = [m for m in await messages(relay_app, conversation["id"])
                if m["body"] == "Thank you, you're verified."]
    assert verified[0]["meta"] == {}  # heard in full
    await call.hang_up()


async def test_a_dropped_socket_still_commits_the_turn_and_notes_it_unheard(
    relay_app: LiveApp,
) -> None:
    caller = "+18685550105"
    call = await place_call(relay_app, caller)
    await call.send({"type": "prompt", "voicePrompt": "what is my balance", "last": True})
    await call.hang_up()
    conversation = await closed(relay_app, caller)
    assert conversation["status"] == "closed"
    transcript = [(m["direction"], m["body"], m["meta"])
                  for m in await messages(relay_app, conversation["id"])]
    assert transcript == [
        ("inbound", "what is my balance", {"call_sid": call.sid}),
        ("outbound", "First I need to confirm who you are. What is your date of birth?",
         {"interrupted": True, "heard": ""}),
    ]
    assert await pending_rows(relay_app, conversation["id"]) == 0


GARBAGE: list[Any] = [
    "what is my balance", "[1, 2]", {"type": "transcript", "text": "hi"}, {"type": "prompt"},
    {"type": "prompt", "voicePrompt": "   ", "last": True}, {"type": "dtmf", "digit": "x"},
    b"\x00\x01", {"type": "prompt", "voicePrompt": "what is my", "last": False},
    {"type": "error", "description": "Invalid message received"},
    {"type": "setup", "callSid": "CA" + "f" * 32, "from": ASHA},
]


async def test_bad_frames_are_logged_and_ignored_and_the_call_goes_on(
    relay_app: LiveApp, caplog: pytest.LogCaptureFixture,
) -> None:
    caller = "+18685550108"
    call = await place_call(relay_app, caller)
    with caplog.at_level(logging.INFO, logger="channels.voice.relay"):
        for frame in GARBAGE:
            await call.socket.send(frame if isinstance(frame, str | bytes)
                                   else json.dumps(frame))
        said = await call.say("hello")
    assert "assistant" in said
    logged = [record.getMessage() for record in caplog.records
              if record.name == "channels.voice.relay"]
    for reason in ("the frame is not JSON", "the frame is not a JSON object with a 'type'",
                   "'transcript' is not a message type we know",
                   "a prompt message without text ('voicePrompt')", "'x' is not a phone key",
                   "a binary frame", "Invalid message received", "Ignored a second setup"):
        assert any(reason in line for line in logged), (reason, logged)
    await call.hang_up()
    transcript = await messages(relay_app, (await closed(relay_app, caller))["id"])
    assert [m["body"] for m in transcript if m["direction"] == "inbound"] == ["hello"]


@pytest.mark.parametrize(("first", "reason"), [
    ({"type": "prompt", "voicePrompt": "what is my balance", "last": True},
     "the first message must be the call's setup"),
    ({"type": "setup", "callSid": "CA" + "e" * 32, "from": "+18685550109"},
     "setup for another call"),
])
async def test_a_socket_that_does_not_start_with_its_calls_setup_is_closed(
    relay_app: LiveApp, first: dict[str, Any], reason: str,
) -> None:
    caller = "+18685550109"
    call = await place_call(relay_app, caller, setup=False)
    await call.send(first)
    with pytest.raises(ConnectionClosed) as closed_:
        await call.frame()
    assert closed_.value.rcvd is not None
    assert (closed_.value.rcvd.code, closed_.value.rcvd.reason) == (1008, reason)
    assert await conversation_of(relay_app, caller) is None


async def test_a_caller_we_do_not_know_is_not_verified(relay_app: LiveApp) -> None:
    call = await place_call(relay_app, STRANGER)
    assert "date of birth" in await call.say("what is my balance")
    await call.say("17 June 1972")
    await call.key("7974#")
    said = await call.reply()
    assert "verified" not in said and "dollars" not in said
    await call.hang_up()
    conversation = await closed(relay_app, STRANGER)
    assert conversation["customer_id"] is None


async def test_a_withheld_number_gets_a_conversation_of_its_own(relay_app: LiveApp) -> None:
    call = await place_call(relay_app, "anonymous")
    assert "assistant" in await call.say("hello")
    await call.hang_up()
    conversation = await closed(relay_app, f"unknown:{call.sid}")
    assert conversation["customer_id"] is None


async def hand_over_frame(call: Call) -> dict[str, Any]:
    frame = await call.frame()
    assert frame["type"] == "end", frame
    return dict(json.loads(frame["handoffData"]))


async def test_a_hand_over_ends_the_session_for_staff_to_take_the_call(
    relay_app: LiveApp,
) -> None:
    caller = "+18685550107"
    call = await place_call(relay_app, caller)
    assert "member of our team" in await call.say("lemme talk to somebody")
    conversation = await conversation_of(relay_app, caller)
    assert conversation is not None
    assert await hand_over_frame(call) == {
        "reasonCode": "live-agent-handoff", "reason": "requested",
        "conversationId": conversation["id"], "callSid": call.sid}
    await call.hang_up()
    await asyncio.sleep(0.5)
    assert (await conversation_of(relay_app, caller))["status"] == "escalated"  # type: ignore[index]

    # Twilio then calls the <Connect action>; a stream-mode session carries no HandoffData,
    # and the escalated conversation is enough to queue the call.
    response = await post_signed(relay_app, "/channels/voice/session-ended", call_form(
        caller, call.sid, CallStatus="in-progress", SessionStatus="ended"))
    assert [child.tag for child in ET.fromstring(response.text)] == ["Say", "Enqueue"]
    assert ET.fromstring(response.text)[0].text == CONNECTING
    queued = await query(relay_app, "select after from audit_events where action = "
                                    "'call.queued_for_staff' and entity_id = :sid", sid=call.sid)
    assert queued == [{"after": {"conversation_id": conversation["id"], "queue": "staff",
                                 "handoff": {}}}]

    again = await place_call(relay_app, caller)  # while staff have it, straight to the queue
    assert "member of our team has your conversation" in await again.say("hello??")
    assert (await hand_over_frame(again))["conversationId"] == conversation["id"]
    await again.hang_up()


async def test_a_staff_reply_queued_during_a_call_is_spoken(relay_app: LiveApp) -> None:
    caller = "+18685550110"
    call = await place_call(relay_app, caller)
    await call.say("hello")
    conversation = await conversation_of(relay_app, caller)
    assert conversation is not None

    async def staff_reply() -> None:
        async with relay_app.app.state.session_factory() as session, session.begin():
            await enqueue_reply(
                session, conversation=await get_conversation(session, conversation["id"]),
                body="Hello, this is Sita from the team.", now=dt.datetime.now(dt.UTC),
                author=Author.STAFF)
        await live.publish(relay_app.app.state.services.redis, conversation["id"])

    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(staff_reply(), relay_app.loop))
    assert await call.reply() == "Hello, this is Sita from the team."
    assert await pending_rows(relay_app, conversation["id"]) == 0
    await call.hang_up()


async def test_a_prompt_the_agent_refuses_is_answered_with_the_reason_and_not_recorded(
    relay_app: LiveApp,
) -> None:
    caller = "+18685550114"
    call = await place_call(relay_app, caller)
    assert await call.say("blah " * 4_000) == "A message can be at most 16,000 characters."
    assert "assistant" in await call.say("hello")
    await call.hang_up()
    transcript = await messages(relay_app, (await closed(relay_app, caller))["id"])
    assert [(m["body"], m["provider_message_id"]) for m in transcript
            if m["direction"] == "inbound"] == [("hello", f"{call.sid}-2")]
