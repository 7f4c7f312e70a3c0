"""One web chat socket: frames in, the agent's turns, replies and status out.

The socket reads one frame at a time, so a borrower's messages are taken in order; a turn
that is running when the page goes away still commits, and its replies stay in the outbox
until the page is back. Replies reach the page from the outbox only: after a turn, on
(re)connect, and whenever a nudge arrives (a staff member's reply from the console, a
document uploaded over HTTP). A reply is marked sent in the same transaction that writes it
to the socket, so one lost with the connection is sent again on reconnect; the page drops
a reply id it already shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Collection

from fastapi import WebSocket, WebSocketDisconnect
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.conversation import Agent, Inbound
from channels import live
from channels.rate_limit import RateLimiter, Verdict
from channels.web import protocol
from channels.web.delivery import history, latest_conversation, provider_id, take_replies
from channels.web.tokens import SessionTokens
from core.errors import DomainError

log = logging.getLogger(__name__)

UNAVAILABLE = ("Sorry, something went wrong on our side and your message was not taken. "
               "Please send it again.")
TOO_FAST = ("You're sending messages faster than we can answer, so that one was not taken. "
            "Please wait a minute, then send it again.")


def limit_key(session_id: str) -> str:
    """Whose messages the rate limit counts: the chat session's, uploads included."""
    return f"web:{session_id}"


def session_topic(session_id: str) -> str:
    return f"web-chat:{session_id}"


async def nudge_session(redis: Redis, session_id: str) -> None:
    """Tell the chat's socket, on whichever replica, to deliver what is waiting for it (when
    Redis is down the replies wait for the chat's next turn or reconnect)."""
    try:
        await redis.publish(session_topic(session_id), b"1")
    except RedisError as error:
        log.warning("Could not nudge a web chat (%s); its replies wait in the outbox", error)


class ChatSocket:
    """The server side of one page's websocket, from accept to close."""

    def __init__(self, websocket: WebSocket, *, agent: Agent, tokens: SessionTokens,
                 limiter: RateLimiter, sessions: async_sessionmaker[AsyncSession],
                 redis: Redis) -> None:
        self.websocket = websocket
        self.agent = agent
        self.tokens = tokens
        self.limiter = limiter
        self.sessions = sessions
        self.redis = redis
        self.session_id: str | None = None
        self.conversation_id: int | None = None
        self.state: str | None = None
        self.writing = asyncio.Lock()
        self.delivering = asyncio.Lock()
        self.listener: asyncio.Task[None] | None = None

    async def send(self, frame: protocol.Frame) -> None:
        async with self.writing:
            await self.websocket.send_text(json.dumps(frame))

    async def run(self) -> None:
        await self.websocket.accept()
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text") is not None:
                    await self.handle(message["text"])
                else:
                    await self.send(protocol.error(
                        "binary_frame", "Binary frames are not accepted: send JSON text "
                        "frames, and documents to /chat/upload."))
        except WebSocketDisconnect:
            return
        finally:
            if self.listener is not None:
                self.listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.listener

    async def handle(self, raw: str) -> None:
        try:
            frame = protocol.parse(raw)
        except protocol.FrameError as refused:
            await self.send(protocol.error(refused.code, refused.message, ref=refused.ref))
            return
        if isinstance(frame, protocol.Hello):
            await self.hello(frame)
        else:
            await self.message(frame)

    async def hello(self, frame: protocol.Hello) -> None:
        if self.session_id is not None:
            await self.send(protocol.error("already_started", "This chat has already started; "
                                           "send messages on it."))
            return
        if frame.session is None:
            session_id, token = self.tokens.issue()
        else:
            token = frame.session
            found = self.tokens.session_id(token)
            if found is None:
                await self.send(protocol.error(
                    "invalid_session", "That chat session is not one of ours (it may have "
                    "expired or been altered). Say hello without a session to start a new "
                    "chat."))
                return
            session_id = found
        self.session_id = session_id
        async with self.sessions() as session, session.begin():
            conversation = await latest_conversation(session, address=session_id)
            replies: list[protocol.Frame] = []
            shown: list[protocol.Frame] = []
            if conversation is not None:
                self.conversation_id = conversation.id
                self.state = conversation.status.value
                replies = await take_replies(session, conversation_id=conversation.id,
                                             now=self.agent.clock())
                shown = await history(session, conversation_id=conversation.id,
                                      exclude=[reply["id"] for reply in replies])
            await self.send(protocol.welcome(token=token, lender=self.agent.lender_name,
                                             state=self.state or "active", history=shown))
            for reply in replies:
                await self.send(reply)
        self.listener = asyncio.create_task(self.listen(session_id))

    async def message(self, frame: protocol.Message) -> None:
        if self.session_id is None:
            await self.send(protocol.error("no_session", "Say hello before sending messages.",
                                           ref=frame.id))
            return
        if await self.limiter.hit_or_answer(limit_key(self.session_id)) is not Verdict.ANSWER:
            await self.send(protocol.error("rate_limited", TOO_FAST, ref=frame.id))
            return
        await self.send(protocol.typing(on=True))

        async def stream(fragment: str) -> None:
            # The turn must finish and commit whether or not the page is still there.
            with contextlib.suppress(Exception):
                await self.send(protocol.token(turn=frame.id, text=fragment))

        try:
            result = await self.agent.converse(Inbound(
                channel="web", address=self.session_id, text=frame.text,
                provider_message_id=provider_id(self.session_id, frame.id)), stream=stream)
        except DomainError as refused:
            await self.send(protocol.typing(on=False))
            await self.send(protocol.error(refused.code, refused.message, ref=frame.id))
            return
        except Exception:
            log.exception("A web chat turn failed")
            await self.send(protocol.typing(on=False))
            await self.send(protocol.error("unavailable", UNAVAILABLE, ref=frame.id))
            return
        moved = result.conversation_id != self.conversation_id
        await self.deliver(streamed={reply["text"] for reply in result.replies
                                     if reply.get("streamed")})
        await self.send(protocol.typing(on=False))
        await self.send(protocol.ack(ref=frame.id, duplicate=result.duplicate))
        if moved:
            await nudge_session(self.redis, self.session_id)

    async def deliver(self, *, streamed: Collection[str] = ()) -> None:
        """Send the chat's waiting replies, then its new state if it changed."""
        assert self.session_id is not None
        async with self.delivering, self.sessions() as session, session.begin():
            conversation = await latest_conversation(session, address=self.session_id)
            if conversation is None:
                return
            self.conversation_id = conversation.id
            for reply in await take_replies(session, conversation_id=conversation.id,
                                            now=self.agent.clock(), streamed=streamed):
                await self.send(reply)
            if conversation.status.value != (self.state or "active"):
                await self.send(protocol.status(state=conversation.status.value))
            self.state = conversation.status.value

    async def listen(self, session_id: str) -> None:
        """Deliver on every nudge for this chat: its session's, and its conversation's once
        it has one (subscribing before delivering, so no reply falls between the two)."""
        pubsub = self.redis.pubsub()
        following: int | None = None
        try:
            await pubsub.subscribe(session_topic(session_id))
            while True:
                if self.conversation_id is not None and self.conversation_id != following:
                    if following is not None:
                        await pubsub.unsubscribe(live.topic(following))
                    following = self.conversation_id
                    await pubsub.subscribe(live.topic(following))
                    await self.deliver()
                if await pubsub.get_message(ignore_subscribe_messages=True, timeout=None):
                    await self.deliver()
        except (WebSocketDisconnect, RuntimeError):
            log.debug("A web chat socket went away while delivering")
        except Exception:
            log.exception("Live delivery stopped on a web chat; replies now wait for its next "
                          "turn or reconnect")
        finally:
            await pubsub.aclose()
