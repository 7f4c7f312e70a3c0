"""Nudges that a conversation has replies waiting, fanned out through Redis to every replica.

Whoever queues a reply (an agent turn, a staff member in the console) publishes a nudge on
`outbox:<conversation id>` after its transaction commits. A nudge carries no content: the
outbox row is the truth, and a missed nudge only delays delivery until the periodic sweep.
Twilio delivery listens on every conversation; a web chat or call socket listens on its own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "outbox:"


def topic(conversation_id: int) -> str:
    return f"{PREFIX}{conversation_id}"


async def publish(redis: Redis, conversation_id: int) -> None:
    """Nudge every replica. Without Redis the nudge is dropped with a warning: the replies
    wait in the outbox for the periodic sweep (SMS, WhatsApp) or the chat's next turn."""
    try:
        await redis.publish(topic(conversation_id), b"1")
    except RedisError as error:
        log.warning("Could not nudge the senders of conversation %s (%s); its replies wait "
                    "in the outbox", conversation_id, error)


@contextlib.asynccontextmanager
async def nudges(redis: Redis, conversation_id: int | None = None) -> AsyncIterator[
        AsyncIterator[int]]:
    """Subscribe to one conversation's nudges (or every conversation's, with None); yields an
    iterator of the conversation ids nudged, subscribed before the block runs."""
    pubsub = redis.pubsub()
    if conversation_id is None:
        await pubsub.psubscribe(f"{PREFIX}*")
    else:
        await pubsub.subscribe(topic(conversation_id))

    async def ids() -> AsyncIterator[int]:
        async for message in pubsub.listen():
            if message["type"] in ("message", "pmessage"):
                channel = message["channel"]
                name = channel.decode() if isinstance(channel, bytes) else channel
                yield int(name.removeprefix(PREFIX))

    try:
        yield ids()
    finally:
        await pubsub.aclose()
