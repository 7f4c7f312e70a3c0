"""The web chat under test: the real app on its own demo-seeded database, a websocket client
that speaks the chat's protocol, and ways to read what the app wrote."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from agent.conversation import Agent
from channels import live
from core.conversations.models import Author
from core.conversations.outbox import enqueue_reply
from core.conversations.store import get_conversation
from lendline.assistant import build_agent
from lendline.embedded import EmbeddedPostgres, EmbeddedRedis
from lendline.settings import Settings
from tests.channels.conftest import LiveApp, live_app, query

Frame = dict[str, Any]
WAIT = 30


@pytest.fixture(scope="package")
def web_app(settings: Settings, postgres: EmbeddedPostgres,
            embedded_redis: EmbeddedRedis) -> Iterator[LiveApp]:
    """The app without an LLM: the offline understander drives every conversation."""
    with live_app(settings, postgres, embedded_redis, database="web_chat") as app:
        yield app


def written(app: LiveApp) -> tuple[int, ...]:
    """Row counts of every table a chat writes to: unchanged means nothing was written."""
    return tuple(query(app, f"select count(*) from {table}") for table in (
        "conversations", "conversation_messages", "outbox", "application_documents",
        "escalations"))


def one_time_code(app: LiveApp, phone: str) -> str:
    """The code last sent by SMS to `phone` (the borrower reads it on their phone)."""
    body = query(app, "select body from outbox where channel = 'sms' and address = :phone "
                 "and purpose = 'one_time_code' order by id desc limit 1", phone=phone)
    found = re.search(r"\b\d{6}\b", body or "")
    assert found, f"no code was sent to {phone}"
    return found.group(0)


def session_id(token: str) -> str:
    return token.partition(".")[0]


def conversation_of(app: LiveApp, token: str) -> int:
    found: int = query(app, "select id from conversations where channel = 'web' and "
                       "address = :address and status <> 'closed'", address=session_id(token))
    return found


def staff_reply(app: LiveApp, conversation_id: int, body: str) -> None:
    """What the console does when a staff member answers: queue the reply, then nudge."""
    async def reply() -> None:
        factory = app.app.state.session_factory
        async with factory() as session, session.begin():
            conversation = await get_conversation(session, conversation_id)
            await enqueue_reply(session, conversation=conversation, body=body,
                                now=dt.datetime.now(dt.UTC), author=Author.STAFF,
                                purpose="staff_reply")
        await live.publish(app.app.state.services.redis, conversation_id)
    app.run(reply())


def hand_back(app: LiveApp, conversation_id: int, action: str = "hand_back") -> None:
    """What the console does when a person hands the conversation back (or closes it)."""
    async def resume() -> None:
        agent: Agent = app.app.state.agent
        await agent.resume(conversation_id, actor="staff:test", action=action)
        await live.publish(app.app.state.services.redis, conversation_id)
    app.run(resume())


def questions_to_the_knowledge_base(text: str) -> dict[str, Any]:
    """The fake model's understanding: a question when it ends with '?', else a greeting."""
    if "?" in text:
        return {"intent": "question", "slots": {"question": text}, "confidence": 0.9}
    return {"intent": "greet", "slots": {}, "confidence": 0.9}


@contextlib.contextmanager
def llm_agent(app: LiveApp, base_url: str) -> Iterator[None]:
    """The app's agent wired as `build_agent` wires it when OPENAI_BASE_URL is set."""
    offline = app.app.state.agent
    settings = app.settings.model_copy(update={"openai_base_url": base_url})
    app.app.state.agent = build_agent(settings, app.app.state.services,
                                      cipher=app.app.state.field_cipher)
    try:
        yield
    finally:
        app.app.state.agent = offline


class Chat:
    """A page's side of the socket."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.token: str | None = None
        self.welcome: Frame = {}
        self.ids: list[str] = []

    async def send(self, frame: Frame | str | bytes) -> None:
        await self.socket.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def receive(self, within: float = WAIT) -> Frame:
        frame: Frame = json.loads(await asyncio.wait_for(self.socket.recv(), within))
        return frame

    async def until(self, *kinds: str) -> list[Frame]:
        """Frames up to and including the first of one of `kinds`."""
        frames = [await self.receive()]
        while frames[-1]["type"] not in kinds:
            frames.append(await self.receive())
        return frames

    async def quiet(self, seconds: float = 0.5) -> None:
        """Nothing more arrives for a while."""
        with pytest.raises(TimeoutError):
            extra = await self.receive(within=seconds)
            pytest.fail(f"unexpected frame {extra}")

    async def hello(self, token: str | None = None) -> Frame:
        await self.send({"type": "hello", "session": token} if token else {"type": "hello"})
        self.welcome = await self.receive()
        assert self.welcome["type"] == "welcome", self.welcome
        self.token = self.welcome["session"]
        return self.welcome

    async def say(self, words: str, *, message_id: str | None = None) -> list[Frame]:
        """Send a message (with a fresh id unless given); the frames up to its ack or error."""
        self.ids.append(message_id or uuid.uuid4().hex)
        await self.send({"type": "message", "id": self.ids[-1], "text": words})
        return await self.until("ack", "error")


def replies(frames: list[Frame]) -> list[str]:
    return [frame["text"] for frame in frames if frame["type"] == "reply"]


@contextlib.asynccontextmanager
async def chat(app: LiveApp, token: str | None = None) -> AsyncIterator[Chat]:
    """A connected chat that has said hello (resuming `token` when given)."""
    async with connect(app.ws_url + "/chat/ws") as socket:
        page = Chat(socket)
        await page.hello(token)
        yield page
