"""A phone call as Twilio makes it: the signed incoming-call webhook, then the signed
ConversationRelay socket the TwiML names, with `setup`, prompts, keys and interruptions."""

from __future__ import annotations

import asyncio
import itertools
import json
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect

from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, live_app

ASHA = "+18685550101"
STRANGER = "+18685559999"
WAIT = 30.0
T = TypeVar("T")
_sids = itertools.count(1)


def call_sid() -> str:
    return f"CA{next(_sids):032x}"


def sign(url: str, params: dict[str, str] | None = None) -> str:
    return str(RequestValidator(TWILIO_TOKEN).compute_signature(url, params or {}))


def twilio_overrides() -> dict[str, Any]:
    return {"twilio_account_sid": TWILIO_SID, "twilio_auth_token": SecretStr(TWILIO_TOKEN)}


@pytest.fixture(scope="package")
def relay_app(settings: Settings, postgres: EmbeddedPostgres,
              embedded_redis: EmbeddedRedis) -> Iterator[LiveApp]:
    """The app (offline understanding) answering calls over ConversationRelay."""
    with live_app(settings, postgres, embedded_redis, database="voice_relay",
                  **twilio_overrides()) as app:
        yield app


async def post_signed(app: LiveApp, path: str, form: dict[str, str], *,
                      signature: str | None = None) -> httpx.Response:
    url = f"{app.url}{path}"
    headers = {"X-Twilio-Signature": sign(url, form) if signature is None else signature}
    async with httpx.AsyncClient() as client:
        return await client.post(url, data=form, headers=headers)


def call_form(caller: str, sid: str, **extra: str) -> dict[str, str]:
    return {"AccountSid": TWILIO_SID, "CallSid": sid, "From": caller, "To": "+18685550000",
            "CallStatus": "ringing", "Direction": "inbound", **extra}


async def answer(app: LiveApp, caller: str, sid: str) -> ET.Element:
    """Twilio's incoming-call webhook: the TwiML we answer, parsed."""
    response = await post_signed(app, "/channels/voice/incoming", call_form(caller, sid))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.text)


class Call:
    """One call's ConversationRelay socket, driven as Twilio drives it."""

    def __init__(self, socket: ClientConnection, sid: str, caller: str) -> None:
        self.socket = socket
        self.sid = sid
        self.caller = caller

    async def frame(self, within: float = WAIT) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        return data

    async def reply(self) -> str:
        """The words of one reply: text tokens up to the one marked last."""
        words = ""
        while True:
            frame = await self.frame()
            assert frame["type"] == "text", frame
            words += str(frame["token"])
            if frame["last"]:
                return words

    async def send(self, message: dict[str, Any] | str) -> None:
        await self.socket.send(message if isinstance(message, str) else json.dumps(message))

    async def say(self, words: str) -> str:
        await self.send({"type": "prompt", "voicePrompt": words, "lang": "en-US", "last": True})
        return await self.reply()

    async def key(self, keys: str) -> None:
        for key in keys:
            await self.send({"type": "dtmf", "digit": key})

    async def interrupt(self, heard: str) -> None:
        await self.send({"type": "interrupt", "utteranceUntilInterrupt": heard,
                         "durationUntilInterruptMs": 1200})

    async def hang_up(self) -> None:
        await self.socket.close()


async def place_call(app: LiveApp, caller: str = ASHA, *, sid: str | None = None,
                     setup: bool = True) -> Call:
    """Ring our number, open the socket the TwiML names (signed) and send `setup`."""
    sid = sid or call_sid()
    relay = answer_url(await answer(app, caller, sid))
    socket = await connect(relay, additional_headers={"X-Twilio-Signature": sign(relay)})
    call = Call(socket, sid, caller)
    if setup:
        await call.send({"type": "setup", "sessionId": "VX" + sid[2:], "accountSid": TWILIO_SID,
                         "callSid": sid, "from": caller, "to": "+18685550000",
                         "direction": "inbound", "callStatus": "RINGING",
                         "customParameters": {}})
    return call


def answer_url(twiml: ET.Element) -> str:
    relay = twiml.find("./Connect/ConversationRelay")
    assert relay is not None
    return relay.attrib["url"]


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = WAIT) -> T:
    """Poll `check` until it returns something (the server finishes a call after it ends)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found is not None:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the server")
        await asyncio.sleep(0.1)


async def query(app: LiveApp, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows from the app's own database, read on its own event loop."""
    async def read() -> list[dict[str, Any]]:
        async with app.app.state.session_factory() as session:
            result = await session.execute(text(sql), params)
            return [dict(row._mapping) for row in result]
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(read(), app.loop))


async def conversation_of(app: LiveApp, address: str) -> dict[str, Any] | None:
    rows = await query(app, "select * from conversations where channel = 'voice' and "
                            "address = :address order by id desc limit 1", address=address)
    return rows[0] if rows else None


async def messages(app: LiveApp, conversation_id: int) -> list[dict[str, Any]]:
    return await query(app, "select * from conversation_messages where conversation_id = :c "
                            "order by id", c=conversation_id)
