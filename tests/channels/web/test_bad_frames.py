"""Whatever a page or a stranger sends down the socket, it gets a clear `error` frame, nothing
is written, and the same socket still carries the conversation afterwards."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from channels.web.tokens import SessionTokens
from tests.channels.conftest import LiveApp
from tests.channels.web.conftest import Chat, chat, replies, written

LONG = "a" * 4_001
BAD_FRAMES: list[tuple[str, Any, str, str]] = [
    ("not-json", "hello there", "invalid_json", "That frame is not valid JSON."),
    ("not-an-object", "[1, 2]", "invalid_frame", "A frame must be a JSON object with a 'type'."),
    ("no-type", {"id": "x1", "text": "hi"}, "invalid_frame",
     "A frame needs a 'type': one of hello, message."),
    ("unknown-type", {"type": "shout", "id": "x1"}, "unknown_type",
     "Unknown frame type 'shout'; send one of hello, message."),
    ("no-id", {"type": "message", "text": "hi"}, "invalid_frame",
     "That message frame is not valid: 'id' is missing."),
    ("bad-id", {"type": "message", "id": "two words", "text": "hi"}, "invalid_frame",
     "That message frame is not valid: 'id' must be 1 to 64 letters, digits, '-' or '_'."),
    ("no-text", {"type": "message", "id": "x1"}, "invalid_frame",
     "That message frame is not valid: 'text' is missing."),
    ("text-not-a-string", {"type": "message", "id": "x1", "text": 42}, "invalid_frame",
     "That message frame is not valid: 'text': input should be a valid string."),
    ("too-long", {"type": "message", "id": "x1", "text": LONG}, "message_too_long",
     "A message can be at most 4,000 characters; this one has 4,001."),
    ("blank", {"type": "message", "id": "x1", "text": "  \n "}, "empty_message",
     "That message is empty."),
    ("huge-frame", {"type": "message", "id": "x1", "text": "hi", "pad": "x" * 70_000},
     "frame_too_large", "A frame can be at most 65,536 characters."),
    ("binary", b"\x00\x01hello", "binary_frame",
     "Binary frames are not accepted: send JSON text frames, and documents to /chat/upload."),
    ("second-hello", {"type": "hello"}, "already_started",
     "This chat has already started; send messages on it."),
]


@pytest.mark.parametrize(("frame", "code", "message"),
                         [case[1:] for case in BAD_FRAMES], ids=[case[0] for case in BAD_FRAMES])
async def test_a_bad_frame_gets_an_error_and_the_socket_carries_on(
    web_app: LiveApp, frame: Any, code: str, message: str,
) -> None:
    async with chat(web_app) as page:
        await page.say("hi")
        before = written(web_app)
        await page.send(frame)
        refused = await page.receive()
        assert refused["type"] == "error"
        assert (refused["code"], refused["message"]) == (code, message)
        if isinstance(frame, dict) and "id" in frame and code != "frame_too_large":
            assert refused["id"] == frame["id"]  # the page can mark that message not sent
        assert written(web_app) == before
        assert "assistant" in " ".join(replies(await page.say("hi")))


async def test_a_message_before_hello_is_refused(web_app: LiveApp) -> None:
    before = written(web_app)
    async with connect(web_app.ws_url + "/chat/ws") as socket:
        page = Chat(socket)
        await page.send({"type": "message", "id": "early", "text": "hi"})
        assert await page.receive() == {"type": "error", "code": "no_session", "id": "early",
                                        "message": "Say hello before sending messages."}
        assert written(web_app) == before
        await page.hello()
        assert page.welcome["history"] == []


def _forged(app: LiveApp) -> list[str]:
    genuine_id, genuine = SessionTokens(app.settings.resolved_secret_key()).issue()
    _, elsewhere = SessionTokens("another server's secret").issue()
    return [
        "not-a-token",
        f"{genuine_id}.{'A' * 43}",  # our session id, signature guessed
        f"{'B' * 32}.{genuine.partition('.')[2]}",  # a chosen id with another's signature
        elsewhere,  # signed with another secret
        genuine_id,  # no signature at all
    ]


async def test_a_session_token_we_did_not_issue_is_refused(web_app: LiveApp) -> None:
    async with connect(web_app.ws_url + "/chat/ws") as socket:
        page = Chat(socket)
        for token in _forged(web_app):
            before = written(web_app)
            await page.send({"type": "hello", "session": token})
            refused = await page.receive()
            assert refused["type"] == "error" and refused["code"] == "invalid_session"
            assert "Say hello without a session" in refused["message"]
            assert written(web_app) == before
        await page.hello()
        assert page.token not in _forged(web_app)
        assert "assistant" in " ".join(replies(await page.say("hi")))


async def test_a_resumed_token_is_only_ever_the_one_issued(web_app: LiveApp) -> None:
    async with chat(web_app) as first:
        await first.say("hi")
    assert first.token is not None
    async with connect(web_app.ws_url + "/chat/ws") as socket:
        page = Chat(socket)
        tampered = first.token[:-1] + ("A" if first.token[-1] != "A" else "B")
        await page.send(json.dumps({"type": "hello", "session": tampered}))
        assert (await page.receive())["code"] == "invalid_session"
        welcome = await page.hello(first.token)
        assert welcome["history"][0]["text"] == "hi"


async def test_a_flood_from_one_chat_is_refused_past_the_limit(web_app: LiveApp) -> None:
    limit = web_app.settings.messages_per_minute
    async with chat(web_app) as page:
        for _ in range(limit):
            assert (await page.say("hi"))[-1]["type"] == "ack"
        before = written(web_app)
        refused = await page.say("hi", message_id="one-too-many")
        assert refused == [{"type": "error", "code": "rate_limited", "id": "one-too-many",
                            "message": "You're sending messages faster than we can answer, so "
                            "that one was not taken. Please wait a minute, then send it again."}]
        assert written(web_app) == before
        async with httpx.AsyncClient(base_url=web_app.url) as client:
            upload = await client.post("/chat/upload", data={"session": page.token, "id": "d1"},
                                       files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")})
        assert upload.status_code == 429 and upload.json()["error"] == "rate_limited"
        assert written(web_app) == before
