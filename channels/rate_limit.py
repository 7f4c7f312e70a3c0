"""Per-sender inbound rate limit in Redis, shared by every replica.

Each sender may send `limit` messages in a window (a minute by default) and be answered.
The first message over the limit earns one polite notice and mutes the sender; while muted,
messages are kept but not answered. Every message that goes over the limit again extends
the mute, so a flood that keeps going stays silent after its single notice, while a sender
who slows down to the limit is answered again once the mute lapses (at most a window after
their last message over it).

One atomic script per message: one round trip, and no two replicas can both decide to send
the notice. Without Redis nothing is counted: `hit_or_answer` answers every message rather
than refuse any.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX: Final = "rate:"

# KEYS[1] counts the window's messages, KEYS[2] is the mute. ARGV: limit, window seconds.
_SCRIPT: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if count <= tonumber(ARGV[1]) then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 'quiet' end
  return 'answer'
end
if redis.call('SET', KEYS[2], '1', 'EX', ARGV[2], 'NX') then return 'notice' end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 'quiet'
"""


class Verdict(StrEnum):
    ANSWER = "answer"  # within the limit
    NOTICE = "notice"  # the first over it: tell the sender, once
    QUIET = "quiet"  # muted: keep the message, say nothing


class RateLimiter:
    """`await limiter.hit(sender)` counts one message from `sender` and says what to do."""

    def __init__(self, redis: Redis, *, limit: int, window_seconds: int = 60) -> None:
        if limit < 1 or window_seconds < 1:
            raise ValueError("A rate limit needs a limit and a window of at least 1.")
        self.redis = redis
        self.limit = limit
        self.window_seconds = window_seconds
        self._script = redis.register_script(_SCRIPT)

    async def hit(self, sender: str) -> Verdict:
        verdict = await self._script(keys=[f"{PREFIX}{sender}", f"{PREFIX}{sender}:muted"],
                                     args=[self.limit, self.window_seconds])
        return Verdict(verdict.decode() if isinstance(verdict, bytes) else verdict)

    async def hit_or_answer(self, sender: str) -> Verdict:
        """`hit`, or ANSWER when Redis cannot be reached: unlimited beats refusing a message."""
        try:
            return await self.hit(sender)
        except RedisError as error:
            log.warning("Rate limit skipped, Redis is unreachable: %s", error)
            return Verdict.ANSWER

