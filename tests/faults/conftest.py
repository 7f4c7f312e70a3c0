"""The fault tests' world: a PostgreSQL and a Redis of the package's own (the tests stop and
start them; the session's shared servers are never touched), the fake Twilio REST API, and
the app serving on them with the offline understander and no demo data (the faults are in
the plumbing, not the conversation)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from channels.twilio.segments import sms_text
from core.conversations.escalations import open_escalation
from core.conversations.models import Channel, EscalationReason
from core.conversations.store import open_conversation, record_inbound
from core.staff import sessions
from core.staff.models import Role
from core.staff.service import create_staff
from lendline.settings import Settings
from tests.channels.conftest import TWILIO_SID, TWILIO_TOKEN, LiveApp, live_app
from tests.channels.fake_twilio import FakeTwilio, running
from tests.channels.twilio_inbound.conftest import PATH, PUBLIC, rows, signature
from tests.faults.servers import Postgres, Redis, scratch_folder

SMS_FROM = "+18685550000"
T = TypeVar("T")


@pytest.fixture(scope="package")
def fault_root() -> Iterator[Path]:
    with scratch_folder("ll-faults-") as root:
        yield root


@pytest.fixture(scope="package")
def fault_postgres(fault_root: Path) -> Iterator[Postgres]:
    server = Postgres(fault_root / "pg")
    yield server
    server.stop()


@pytest.fixture(scope="package")
def fault_redis(fault_root: Path) -> Iterator[Redis]:
    (fault_root / "redis").mkdir()
    server = Redis(fault_root / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def twilio() -> Iterator[FakeTwilio]:
    with running(FakeTwilio(TWILIO_SID, TWILIO_TOKEN)) as fake:
        yield fake


@pytest.fixture(scope="package")
def fault_app(settings: Settings, fault_postgres: Postgres, fault_redis: Redis,
              twilio: FakeTwilio) -> Iterator[LiveApp]:
    """The app on the package's own servers, sending SMS replies to the fake Twilio."""
    with live_app(settings, fault_postgres, fault_redis,  # type: ignore[arg-type]  # duck-typed
                  database="faults", seed_demo_data=False, public_url=PUBLIC,
                  twilio_account_sid=TWILIO_SID, twilio_auth_token=SecretStr(TWILIO_TOKEN),
                  twilio_api_url=twilio.url, twilio_sms_from=SMS_FROM) as app:
        assert app.run(app.app.state.outbox.listening.wait()) is True
        yield app


@pytest.fixture(scope="package")
def api_token(fault_app: LiveApp) -> str:
    """A supervisor's personal API token in the app's database."""
    async def issue() -> str:
        async with fault_app.app.state.session_factory() as session, session.begin():
            user = await create_staff(session, email="faults@lendline.example", name="Fay Ult",
                                      role=Role.SUPERVISOR, password="fault-password-1",
                                      actor="test")
            issued = await sessions.issue_api_token(session, user=user, label="fault tests",
                                                    now=dt.datetime.now(dt.UTC), actor="test")
            return issued.token
    token: str = fault_app.run(issue())
    return token


def escalated(app: LiveApp, address: str) -> int:
    """An SMS conversation with `address` waiting for a person; the escalation's id."""
    async def escalate() -> int:
        now = dt.datetime.now(dt.UTC)
        async with app.app.state.session_factory() as session, session.begin():
            conversation = await open_conversation(session, channel=Channel.SMS,
                                                   address=address, now=now)
            await record_inbound(session, conversation=conversation, body="a person please",
                                 now=now)
            escalation = await open_escalation(
                session, conversation_id=conversation.id, reason=EscalationReason.REQUESTED,
                detail="a person please", now=now)
            return escalation.id
    found: int = app.run(escalate())
    return found


def wait_for(check: Callable[[], T], *, timeout: float = 30, what: str = "it") -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up waiting for {what} after {timeout} s")
        time.sleep(0.05)
    return result


def signed(params: dict[str, str]) -> dict[str, str]:
    """The headers of a Twilio message webhook with this form, signed as Twilio signs it."""
    return {"X-Twilio-Signature": signature(params)}


def deliver(url: str, params: dict[str, str], *, timeout: float = 30) -> httpx.Response:
    """POST a signed Twilio message webhook to the app at `url`."""
    return httpx.post(f"{url}{PATH}", data=params, timeout=timeout, headers=signed(params))


AT_ONCE = 5


def deliver_at_once(app: LiveApp, params: dict[str, str]) -> list[httpx.Response]:
    """POST the same signed webhook `AT_ONCE` times from as many threads, released together."""
    start = threading.Barrier(AT_ONCE)

    def one(_: int) -> httpx.Response:
        start.wait(timeout=10)
        return deliver(app.url, params)

    with ThreadPoolExecutor(AT_ONCE) as pool:
        return list(pool.map(one, range(AT_ONCE)))


def jobs_answered_once(app: LiveApp, sid: str) -> None:
    """Every job queued for the message succeeded at its first attempt. There may be more
    than one: a delivery that comes after the first job has started is queued again (the
    queueing lock only holds while a job waits), and its job finds the message in the
    transcript and stops there."""
    jobs = rows(app, "SELECT status, attempts FROM procrastinate_jobs "
                     "WHERE args->'message'->>'sid' = :sid", sid=sid)
    assert jobs and all((job.status, job.attempts) == ("succeeded", 1) for job in jobs), jobs


def outbox(app: LiveApp, address: str) -> list[Any]:
    """The SMS replies queued for `address`, oldest first, with their delivery status."""
    return rows(app, "SELECT body, status FROM outbox WHERE address = :address ORDER BY id",
                address=address)


def sent_once(app: LiveApp, twilio: FakeTwilio, address: str) -> list[dict[str, Any]]:
    """Wait until every reply queued for `address` is sent; Twilio got each exactly once."""
    wait_for(lambda: (queued := outbox(app, address))
             and all(row.status == "sent" for row in queued), what=f"replies to {address}")
    messages = twilio.to(address)
    assert [message["Body"] for message in messages] == [sms_text(row.body) for row in
                                                        outbox(app, address)]
    return messages
