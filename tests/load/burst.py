"""A burst of signed WhatsApp and SMS webhooks from many borrowers, and the check that every
message was answered exactly once and in order. Shared by `tests/load` (a small burst on a
live app) and `bench/bench_burst.py` (2,000 messages on a `lendline serve` process).

Each borrower sends its messages one after another (the next once the previous one is
acknowledged), many borrowers at once. The order a borrower's messages were acknowledged in
is the order they must be answered in. Afterwards `check` reads, for every borrower:

- the transcript in the database: the borrower's messages in the order they were sent, each
  followed by exactly one reply of the agent, nothing else;
- what the fake Twilio accepted for the borrower: exactly the parts of those replies, each
  once, in the order of the transcript.

Anything else is a problem, named in words: a message lost or unanswered, answered twice,
out of order, a reply never sent or sent twice. Answer latency is from the moment a message
was posted to the moment Twilio accepted the first part of its reply.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from fastapi import Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

from tests.channels.fake_twilio import FakeTwilio

PATH = "/channels/twilio/messaging"
TASK = "twilio_inbound:handle_message"
LENDER_NUMBER = "+18685550000"
# Questions the offline agent answers in one message without starting a flow or escalating.
QUESTIONS = ("hi", "what loans do you offer?", "what documents do I need to apply?",
             "how long does approval take", "what are your opening hours?", "thanks")


@dataclass(frozen=True)
class Borrower:
    """One sender and the signed webhooks it will post, in order."""

    address: str  # bare E.164
    channel: str  # "sms" or "whatsapp"
    forms: tuple[tuple[dict[str, str], str], ...]  # (form, X-Twilio-Signature)

    @property
    def recipient(self) -> str:
        """`To` of the replies Twilio is asked to send to this borrower."""
        return f"whatsapp:{self.address}" if self.channel == "whatsapp" else self.address


@dataclass(frozen=True)
class Posted:
    sid: str
    address: str
    started: float  # perf_counter when the POST started
    ack_seconds: float


def borrowers(messages: int, senders: int, *, auth_token: str, signed_url: str,
              account_sid: str, first_number: int = 7_000_000) -> list[Borrower]:
    """`messages` webhooks spread over `senders` borrowers (the first ones send one more
    when it does not divide), half on WhatsApp and half on SMS, with deterministic SIDs."""
    validator = RequestValidator(auth_token)
    plans: dict[int, list[tuple[dict[str, str], str]]] = defaultdict(list)
    for n in range(messages):
        who, turn = n % senders, n // senders
        address = f"+1868{first_number + who}"
        prefix = "whatsapp:" if who % 2 else ""
        sid = "SM" + hashlib.sha256(f"{signed_url}:{first_number}:{n}".encode()).hexdigest()[:32]
        form = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "AccountSid": account_sid,
                "From": prefix + address, "To": prefix + LENDER_NUMBER,
                "Body": QUESTIONS[turn % len(QUESTIONS)], "NumMedia": "0", "NumSegments": "1",
                "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        plans[who].append((form, validator.compute_signature(signed_url, form)))
    return [Borrower(address=f"+1868{first_number + who}",
                     channel="whatsapp" if who % 2 else "sms", forms=tuple(plans[who]))
            for who in sorted(plans)]


async def post_burst(url: str, senders: Sequence[Borrower], *, in_flight: int) -> list[Posted]:
    """Every borrower posts its webhooks in order, all borrowers at once, at most `in_flight`
    requests open; returns what was acknowledged. A refused webhook raises."""
    slots = asyncio.Semaphore(in_flight)
    posted: list[Posted] = []
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        async def send(borrower: Borrower) -> None:
            for form, signature in borrower.forms:
                async with slots:
                    started = time.perf_counter()
                    response = await client.post(PATH, data=form,
                                                 headers={"X-Twilio-Signature": signature})
                    elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{form['MessageSid']}: {response.status_code} "
                                       f"{response.text[:200]}")
                posted.append(Posted(form["MessageSid"], borrower.address, started, elapsed))

        await asyncio.gather(*(send(borrower) for borrower in senders))
    return posted


class TimedTwilio(FakeTwilio):
    """The fake Twilio, also noting when it accepted each message (perf_counter by sid)."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.accepted_at: dict[str, float] = {}
        super().__init__(account_sid, auth_token)

    async def _create(self, account_sid: str, request: Request) -> JSONResponse:
        response = await super()._create(account_sid, request)
        if response.status_code == 201:
            self.accepted_at[json.loads(bytes(response.body))["sid"]] = time.perf_counter()
        return response


def settled(database_url: str) -> tuple[int, int]:
    """(message jobs still to run, replies still to send) in the database."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s AND "
            "status IN ('todo', 'doing')), (SELECT count(*) FROM outbox WHERE status IN "
            "('pending', 'sending'))", (TASK,)).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def wait_settled(database_url: str, *, timeout: float, poll: float = 0.25) -> float:
    """Wait until every message job has run and every reply has gone; perf_counter then."""
    deadline = time.monotonic() + timeout
    while (waiting := settled(database_url)) != (0, 0):
        if time.monotonic() > deadline:
            raise TimeoutError(f"After {timeout:.0f} s, {waiting[0]} message jobs had not run "
                               f"and {waiting[1]} replies were not sent.")
        time.sleep(poll)
    return time.perf_counter()


@dataclass
class Outcome:
    """What `check` found: problems in words (none when all is well) and answer latencies."""

    problems: list[str] = field(default_factory=list)
    answer_seconds: list[float] = field(default_factory=list)
    replies: int = 0
    parts: int = 0
    failed_jobs: int = 0


_TRANSCRIPT = """
SELECT c.address, m.direction::text, m.provider_message_id, o.status::text, o.parts
FROM conversation_messages m JOIN conversations c ON c.id = m.conversation_id
LEFT JOIN outbox o ON o.message_id = m.id
WHERE c.address = ANY(%s) ORDER BY m.id
"""


def check(database_url: str, senders: Sequence[Borrower], posted: Sequence[Posted],
          twilio: TimedTwilio) -> Outcome:
    """Compare what was acknowledged with the transcripts and with what Twilio accepted."""
    outcome = Outcome()
    sent: dict[str, list[Posted]] = defaultdict(list)
    for item in sorted(posted, key=lambda item: item.started):
        sent[item.address].append(item)
    transcript: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    with psycopg.connect(database_url) as connection:
        for row in connection.execute(_TRANSCRIPT, ([b.address for b in senders],)):
            transcript[row[0]].append(row[1:])
        failed = connection.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = "
                                    "%s AND status = 'failed'", (TASK,)).fetchone()
    outcome.failed_jobs = int(failed[0]) if failed else 0
    if outcome.failed_jobs:
        outcome.problems.append(f"{outcome.failed_jobs} message jobs failed")
    for borrower in senders:
        _check_one(outcome, borrower, sent[borrower.address], transcript[borrower.address],
                   twilio)
    return outcome


def _check_one(outcome: Outcome, borrower: Borrower, sent: list[Posted],
               rows: list[tuple[Any, ...]], twilio: TimedTwilio) -> None:
    who = f"{borrower.channel}:{borrower.address}"
    inbound = [sid for direction, sid, *_ in rows if direction == "inbound"]
    expected = [item.sid for item in sent]
    if inbound != expected:
        missing = [sid for sid in expected if sid not in inbound]
        extra = len(inbound) - len(set(inbound)) + len(set(inbound) - set(expected))
        kind = (f"{len(missing)} lost" if missing else f"{extra} unexpected" if extra
                else "out of order")
        outcome.problems.append(f"{who}: transcript {kind}: {inbound} vs sent {expected}")
        return
    turns: list[list[tuple[Any, ...]]] = []
    for row in rows:
        if row[0] == "inbound":
            turns.append([])
        elif not turns:
            outcome.problems.append(f"{who}: a reply before any message")
        else:
            turns[-1].append(row)
    wanted: list[str] = []
    for item, replies in zip(sent, turns, strict=True):
        if len(replies) != 1:
            outcome.problems.append(f"{who}: {item.sid} has {len(replies)} replies, not 1")
            continue
        _, _, status, parts = replies[0]
        sids = [part.get("sid") for part in parts or []]
        if status not in ("sent", "delivered", "read") or not sids or None in sids:
            outcome.problems.append(f"{who}: the reply to {item.sid} is {status}, not sent")
            continue
        outcome.replies += 1
        wanted.extend(sids)
        if sids[0] in twilio.accepted_at:
            outcome.answer_seconds.append(twilio.accepted_at[sids[0]] - item.started)
    accepted = [message["sid"] for message in twilio.to(borrower.recipient)]
    outcome.parts += len(accepted)
    if accepted != wanted:
        twice = len(accepted) - len(set(accepted)) + len(set(accepted) - set(wanted))
        kind = f"{twice} sent twice or unasked" if twice else "not sent or out of order"
        outcome.problems.append(f"{who}: Twilio got {accepted}, the replies are {wanted}: {kind}")
