"""When deliveries run in a serving process: on every nudge, on a timer when a row waits to
be retried, and a sweep whenever listening (re)starts, for rows queued while nobody listened.

Nudges arrive on every replica (see `channels.live`); claims in the database decide which one
sends. In this process one pass per conversation runs at a time (a nudge during a pass asks
for another pass after it) and at most `concurrency` passes at once, which also bounds the
database connections the sender holds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from redis.asyncio import Redis

from channels import live

log = logging.getLogger(__name__)

T = TypeVar("T")
RELISTEN_SECONDS = 5.0


@dataclass(slots=True)
class Delivery:
    """What one pass did: rows sent, failed for good, and put back to retry (and when)."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    retry_at: dt.datetime | None = None

    def __add__(self, other: Delivery) -> Delivery:
        times = [at for at in (self.retry_at, other.retry_at) if at is not None]
        return Delivery(self.sent + other.sent, self.failed + other.failed,
                        self.retrying + other.retrying, min(times, default=None))

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.retrying} retrying"


class Dispatcher:
    """Background scheduling of `deliver(conversation_id)` and `sweep()` (subclass's)."""

    def __init__(self, *, concurrency: int, clock: Callable[[], dt.datetime]) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._active: set[int] = set()
        self._again: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()
        self.closed = False

    @property
    def enabled(self) -> bool:
        raise NotImplementedError

    async def deliver(self, conversation_id: int) -> Delivery:
        raise NotImplementedError

    async def sweep(self) -> Delivery:
        raise NotImplementedError

    async def bounded(self, work: Callable[[int], Awaitable[T]], conversation_id: int) -> T:
        async with self._slots:
            return await work(conversation_id)

    def nudge(self, conversation_id: int) -> None:
        """Deliver the conversation soon, in the background of this process."""
        if self.closed or not self.enabled:
            return
        if conversation_id in self._active:
            self._again.add(conversation_id)
            return
        self._active.add(conversation_id)
        self._spawn(self._drain(conversation_id))

    async def _drain(self, conversation_id: int) -> None:
        try:
            while True:
                self._again.discard(conversation_id)
                report = await self.bounded(self.deliver, conversation_id)
                if report.retry_at is not None:
                    self._retry(conversation_id, report.retry_at)
                if conversation_id not in self._again:
                    return
        finally:
            self._active.discard(conversation_id)

    def _retry(self, conversation_id: int, at: dt.datetime) -> None:
        delay = max(0.0, (at - self._clock()).total_seconds())
        previous = self._timers.pop(conversation_id, None)
        if previous is not None:
            previous.cancel()
        self._timers[conversation_id] = asyncio.get_running_loop().call_later(
            delay, self._timer_fired, conversation_id)

    def _timer_fired(self, conversation_id: int) -> None:
        self._timers.pop(conversation_id, None)
        self.nudge(conversation_id)

    def start(self, redis: Redis) -> None:
        """Listen for nudges until `close()`; nothing to listen for when disabled."""
        if self.enabled and self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen(redis))

    async def _listen(self, redis: Redis) -> None:
        while True:
            try:
                async with live.nudges(redis) as ids:
                    self.listening.set()
                    self._spawn(self.sweep())
                    async for conversation_id in ids:
                        self.nudge(conversation_id)
            except Exception:  # Redis went away: the sweep covers the gap, then listen again
                log.warning("Lost the outbox nudges; listening again in %s s", RELISTEN_SECONDS,
                            exc_info=True)
            self.listening.clear()
            await asyncio.sleep(RELISTEN_SECONDS)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("An outbox delivery failed; the periodic sweep will pick its rows up",
                      exc_info=task.exception())

    async def close(self, *, grace: float = 10.0) -> None:
        """Stop listening, let sends in flight finish for up to `grace` seconds, then cancel."""
        self.closed = True
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.release()

    async def release(self) -> None:
        """Free the subclass's resources (its HTTP client) once nothing runs."""
