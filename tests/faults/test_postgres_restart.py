"""PostgreSQL stopped and started again under the live app: while it is down every request
that needs it gets a prompt 503 with Retry-After (not a hang, not a 500), and afterwards the
app, its job worker included, carries on by itself."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from admin.auth import SESSION_COOKIE
from lendline.outages import MESSAGE, TRY_AGAIN_LATER
from tests.channels.conftest import LiveApp
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.twilio_inbound.conftest import form, jobs_for, number
from tests.faults.conftest import deliver, sent_once, signed, wait_for
from tests.faults.servers import Postgres

PROMPT = 12.0  # seconds, inside Twilio's 15: the job queue waits 5 s for a connection
RECOVERED = 15.0  # seconds after the restart by which the webhook is accepted again


def unavailable(response: httpx.Response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert elapsed < PROMPT


def timed(request: httpx.Request) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        response = client.send(request)
    return response, time.monotonic() - started


async def chat_closed(app: LiveApp) -> int:
    """Say hello on the web chat; the close code the server answers with."""
    async with connect(app.ws_url + "/chat/ws") as socket:
        await socket.send('{"type": "hello"}')
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 30)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_while_postgres_restarts_requests_get_503_and_the_app_recovers_by_itself(
        fault_app: LiveApp, fault_postgres: Postgres, twilio: FakeTwilio,
        api_token: str) -> None:
    bearer = {"Authorization": f"Bearer {api_token}"}
    url = fault_app.url
    assert httpx.get(f"{url}/api/v1/escalations", headers=bearer).status_code == 200
    during = form(number(801), "hello")
    fault_postgres.halt()
    try:
        webhook, took = timed(httpx.Request("POST", f"{url}/channels/twilio/messaging",
                                            data=during, headers=signed(during)))
        unavailable(webhook, took)
        assert webhook.json() == {"error": "unavailable", "detail": MESSAGE}

        api, took = timed(httpx.Request("GET", f"{url}/api/v1/escalations", headers=bearer))
        unavailable(api, took)

        page, took = timed(httpx.Request("GET", f"{url}/console/queue",
                                         headers={"Cookie": f"{SESSION_COOKIE}=stale"}))
        unavailable(page, took)
        assert page.headers["content-type"].startswith("text/html")
        assert "Briefly unavailable" in page.text

        assert asyncio.run(chat_closed(fault_app)) == TRY_AGAIN_LATER
        assert httpx.get(f"{url}/healthz").status_code == 200
    finally:
        fault_postgres.resume()

    assert httpx.get(f"{url}/api/v1/escalations", headers=bearer).status_code == 200
    after = form(number(802), "hello")
    # As Twilio would with a retry policy: the job queue's pool may take a moment to connect.
    wait_for(lambda: deliver(url, after).status_code == 200, timeout=RECOVERED,
             what="the webhook to be accepted again")
    [reply] = sent_once(fault_app, twilio, after["From"])
    assert reply["Body"].startswith("Hi! I'm the Island Credit Union (demo) assistant.")
    assert jobs_for(fault_app, during["MessageSid"]) == 0  # refused: Twilio still holds it
