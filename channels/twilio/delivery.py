"""The Twilio sender: SMS and WhatsApp outbox rows out through Twilio's REST API.

A row goes out in three short steps, never holding a transaction across the network:
1. Claim (see `outbox_state.claim_next`): the conversation's oldest due row becomes
   `sending` under a lease; rows of a conversation go out in order. In the same transaction
   the row is checked (opt-out; WhatsApp window and template) and, on its first claim, split
   into the messages to send (`parts`).
2. Send each part Twilio has not accepted yet, its StatusCallback URL naming row and part;
   record each accepted sid at once, so a retry never repeats a part.
3. A refusal fails the row for good, a passing failure puts it back to wait (exponential
   backoff, at most `max_attempts` attempts), both with words staff can read.

Twilio's Messages API takes no idempotency key (it sends `I-Twilio-Idempotency-Token` on
its own webhooks to us, nothing we can send to it), so one window remains: Twilio accepts a
part and the sender dies (or times out) before recording it. The status callback closes
most of it, since it names the row and part and adopts the sid (`apply_callback`); and a
send whose outcome is unknown is retried only after `ambiguous_delay`, once the callback had
time to arrive. A part is sent twice only if no callback reaches us before the lease or that
delay runs out.

The sender uses Twilio's own client over `AsyncTwilioHttpClient` (aiohttp, which the
`twilio` package depends on): sends are awaited on the event loop, so a slow Twilio holds no
thread of the shared pool and shutdown can cancel them. That client ignores its own
timeout, so every request runs under `asyncio.timeout`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from channels.twilio import outbox_state, segments, window
from channels.twilio.dispatch import Delivery, Dispatcher
from channels.twilio.failures import Failure, classify
from core.conversations.models import Channel, OutboxMessage
from core.conversations.opt_outs import is_opted_out
from core.db.session import unit_of_work

log = logging.getLogger(__name__)

STATUS_PATH: Final = "/channels/twilio/status"
# Replies an opted-out number still gets, as carriers require: the confirmation of its STOP
# and the answer to HELP (the purposes channels.twilio.keywords queues them with).
SENT_WHEN_OPTED_OUT: Final = frozenset({"opt_out", "help"})


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    """What the sender needs of the settings; `from_settings` gives None without credentials."""

    account_sid: str
    auth_token: str
    public_url: str
    sms_from: str | None = None
    whatsapp_from: str | None = None
    templates: tuple[tuple[str, str], ...] = ()
    api_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> TwilioConfig | None:
        token = settings.twilio_auth_token
        if not settings.twilio_account_sid or token is None:
            return None
        return cls(account_sid=settings.twilio_account_sid, auth_token=token.get_secret_value(),
                   public_url=settings.base_url, sms_from=settings.twilio_sms_from,
                   whatsapp_from=settings.twilio_whatsapp_from,
                   templates=tuple(sorted(settings.whatsapp_templates.items())),
                   api_url=settings.twilio_api_url)

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(channel for channel, sender in ((Channel.SMS, self.sms_from),
                                                     (Channel.WHATSAPP, self.whatsapp_from))
                     if sender)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    first_delay: dt.timedelta = dt.timedelta(seconds=5)  # doubling: 5 s … 320 s, ~11 min in all
    max_delay: dt.timedelta = dt.timedelta(minutes=10)
    ambiguous_delay: dt.timedelta = dt.timedelta(minutes=1)
    lease: dt.timedelta = dt.timedelta(minutes=2)  # renewed after each part
    request_timeout: float = 15.0

    def delay(self, attempt: int, failure: Failure) -> dt.timedelta:
        factor: int = 2 ** (attempt - 1)
        delay = min(self.first_delay * factor, self.max_delay)
        return max(delay, self.ambiguous_delay) if failure.ambiguous else delay


@dataclass(frozen=True, slots=True)
class _Send:
    index: int
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class _Job:
    outbox_id: int
    attempt: int
    parts: int
    sends: list[_Send]


class Refused(Exception):
    """The row cannot be sent at all; the text says why, for staff."""


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_announced: set[str] = set()


def _announce(config: TwilioConfig | None) -> None:
    """Say once per process why SMS or WhatsApp rows will wait in the outbox."""
    missing = [name for channel, name in ((Channel.SMS, "SMS (LENDLINE_TWILIO_SMS_FROM)"),
                                          (Channel.WHATSAPP,
                                           "WhatsApp (LENDLINE_TWILIO_WHATSAPP_FROM)"))
               if config is None or channel not in config.channels]
    key = "credentials" if config is None else ",".join(missing)
    if not missing or key in _announced:
        return
    _announced.add(key)
    if config is None:
        log.info("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN): SMS and "
                 "WhatsApp replies stay pending in the outbox, visible in the console.")
    else:
        log.info("No Twilio sender for %s: those replies stay pending in the outbox.",
                 " or ".join(missing))


class OutboxSender(Dispatcher):
    """Delivers SMS and WhatsApp outbox rows; without a config it does nothing (rows wait)."""

    def __init__(
        self, config: TwilioConfig | None, *, session_factory: async_sessionmaker[AsyncSession],
        policy: RetryPolicy | None = None, clock: Callable[[], dt.datetime] = utc_now,
        concurrency: int = 8,
    ) -> None:
        super().__init__(concurrency=concurrency, clock=clock)
        self.config = config
        self.policy = policy or RetryPolicy()
        self._sessions = session_factory
        self._client: Client | None = None
        self.channels = config.channels if config else ()
        _announce(config)

    @property
    def enabled(self) -> bool:
        return bool(self.channels)

    async def deliver(self, conversation_id: int) -> Delivery:
        """Send the conversation's due SMS and WhatsApp rows, in order, until one must wait."""
        report = Delivery()
        while self.enabled:
            job = await self._claim(conversation_id)
            if job is None:
                break
            if isinstance(job, Delivery):
                report += job
                continue
            outcome = await self._run(job)
            report += outcome
            if outcome.retrying:
                break
        return report

    async def sweep(self, *, limit: int = 500) -> Delivery:
        """Deliver every conversation with a row due: new, retrying, or whose sender died."""
        if not self.enabled:
            return Delivery()
        async with self._sessions() as session:
            ids = await outbox_state.due_conversations(
                session, channels=self.channels, now=self._clock(), limit=limit)
        reports = await asyncio.gather(*(self.bounded(self.deliver, cid) for cid in ids))
        return sum(reports, Delivery())

    async def _claim(self, conversation_id: int) -> _Job | Delivery | None:
        now = self._clock()
        async with unit_of_work(self._sessions) as session:
            row = await outbox_state.claim_next(session, conversation_id=conversation_id,
                                                channels=self.channels, now=now,
                                                lease=self.policy.lease)
            if row is None:
                return None
            try:
                sends = await self._plan(session, row, now)
            except Refused as refused:
                await outbox_state.fail(session, row, reason=str(refused), code=None, now=now)
                return Delivery(failed=1)
            if not sends:  # every part was accepted (callbacks adopted them): nothing to send
                await outbox_state.settle(session, row, now=now)
                return Delivery(sent=1)
            return _Job(row.id, row.attempts, len(row.parts), sends)

    async def _plan(self, session: AsyncSession, row: OutboxMessage, now: dt.datetime,
                    ) -> list[_Send]:
        assert self.config is not None
        if row.attempts > self.policy.max_attempts:
            raise Refused(f"Gave up after {self.policy.max_attempts} attempts: the last one "
                          "never finished (its sender stopped while sending).")
        if row.purpose not in SENT_WHEN_OPTED_OUT and await is_opted_out(
                session, channel=row.channel, address=row.address):
            raise Refused(f"Not sent: {row.address} replied STOP on {row.channel.value}, and "
                          "nothing is sent to the number until it replies START.")
        if not row.parts:
            row.parts = self._split(row)
            if not row.parts:
                raise Refused("Not sent: the message is empty.")
            row.segments = sum(part["segments"] or 0 for part in row.parts) or None
        base = {"status_callback": f"{self.config.public_url.rstrip('/')}{STATUS_PATH}"
                                   f"?outbox={row.id}&part={{index}}"}
        if row.channel is Channel.SMS:
            sender = self.config.sms_from or ""
            base["to"] = row.address
            base["messaging_service_sid" if sender.startswith("MG") else "from_"] = sender
        else:
            base["to"] = f"whatsapp:{row.address}"
            base["from_"] = "whatsapp:" + (self.config.whatsapp_from or "").removeprefix(
                "whatsapp:")
        inside = row.channel is Channel.SMS or window.within_window(
            await window.last_inbound_at(session, address=row.address), now)
        sends = []
        for index, part in enumerate(row.parts):
            if part["sid"] is not None:
                continue
            params = {**base, "status_callback": base["status_callback"].format(index=index)}
            if inside:
                params["body"] = part["text"]
            else:
                try:
                    template = window.template_for(dict(self.config.templates),
                                                   purpose=row.purpose, text=part["text"])
                except window.NoTemplate as missing:
                    raise Refused(str(missing)) from None
                params["content_sid"] = row.template_sid = template.content_sid
                params["content_variables"] = template.content_variables
            sends.append(_Send(index, params))
        return sends

    @staticmethod
    def _split(row: OutboxMessage) -> list[dict[str, Any]]:
        if row.channel is Channel.SMS:
            texts = segments.split(segments.sms_text(row.body))
            return [outbox_state.new_part(text, segments.segments(text)) for text in texts]
        texts = segments.split(row.body, max_chars=window.PART_CHARS, max_segments=None)
        return [outbox_state.new_part(text, None) for text in texts]

    async def _run(self, job: _Job) -> Delivery:
        messages = self._twilio().messages  # its first use imports much of twilio.rest
        for position, send in enumerate(job.sends):
            try:
                async with asyncio.timeout(self.policy.request_timeout):
                    message = await messages.create_async(**send.params)
            except Exception as error:  # every failure is classified; none may stop the sender
                return await self._failed(job, send, classify(error))
            async with unit_of_work(self._sessions) as session:
                ours = await outbox_state.record_part(
                    session, outbox_id=job.outbox_id, index=send.index, sid=str(message.sid),
                    attempt=job.attempt, now=self._clock(), lease=self.policy.lease)
            if not ours and position < len(job.sends) - 1:
                log.warning("Outbox %s moved on while it was being sent; stopping", job.outbox_id)
                return Delivery()
        return Delivery(sent=1)

    async def _failed(self, job: _Job, send: _Send, failure: Failure) -> Delivery:
        now = self._clock()
        where = f" (part {send.index + 1} of {job.parts})" if job.parts > 1 else ""
        log.warning("Outbox %s attempt %s%s failed: %s", job.outbox_id, job.attempt, where,
                    failure.reason)
        async with unit_of_work(self._sessions) as session:
            if failure.permanent:
                await outbox_state.fail_claimed(
                    session, outbox_id=job.outbox_id, attempt=job.attempt,
                    reason=f"Twilio refused it{where}: {failure.reason}", code=failure.code,
                    now=now)
                return Delivery(failed=1)
            at = await outbox_state.retry_later(
                session, outbox_id=job.outbox_id, attempt=job.attempt,
                reason=failure.reason + where, code=failure.code,
                at=now + self.policy.delay(job.attempt, failure),
                max_attempts=self.policy.max_attempts, now=now)
        if at is not None:
            return Delivery(retrying=1, retry_at=at)
        return Delivery(failed=int(job.attempt >= self.policy.max_attempts))

    def _twilio(self) -> Client:
        if self._client is None:
            assert self.config is not None
            client = Client(self.config.account_sid, self.config.auth_token,
                            http_client=AsyncTwilioHttpClient())
            if self.config.api_url:
                client.api.base_url = self.config.api_url.rstrip("/")
            self._client = client
        return self._client

    async def release(self) -> None:
        if self._client is not None:
            http = self._client.http_client
            self._client = None
            if isinstance(http, AsyncTwilioHttpClient):
                await http.close()
