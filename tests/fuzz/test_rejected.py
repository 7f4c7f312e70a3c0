"""A refused request writes nothing: for a sample of requests the live app refuses (forged or
malformed webhooks, missing or wrong credentials, a role without the permission, invalid
bodies, unknown records, a domain rule), the row count of every table is the same after as
before. The one exception is by design: a forged webhook is audited, one `audit_events` row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from twilio.request_validator import RequestValidator

from tests.channels.conftest import LiveApp
from tests.fuzz.conftest import PUBLIC, row_counts, signed_post

MESSAGE = {"MessageSid": "SM" + "f" * 32, "AccountSid": "AC" + "0" * 32,
           "From": "+18685559871", "To": "+18685550000", "Body": "hi", "NumMedia": "0"}
FORGED = RequestValidator("not-our-token").compute_signature(
    PUBLIC + "/channels/twilio/messaging", MESSAGE)


@dataclass(frozen=True)
class Caller:
    app: LiveApp
    admin: str
    agent: str

    def api(self, method: str, path: str, *, token: str | None, **options: object,
            ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.request(method, self.app.url + path, headers=headers, timeout=30,
                             **options)  # type: ignore[arg-type]


Request = Callable[[Caller], httpx.Response]
CASES: list[tuple[str, int, bool, Request]] = [
    ("message webhook without a signature", 403, True,
     lambda c: httpx.post(c.app.url + "/channels/twilio/messaging", data=MESSAGE)),
    ("message webhook signed with another token", 403, True,
     lambda c: signed_post(c.app, "/channels/twilio/messaging", MESSAGE, signature=FORGED)),
    ("status callback signed with another token", 403, True,
     lambda c: signed_post(c.app, "/channels/twilio/status", {"MessageSid": "SM1"},
                           signature=FORGED)),
    ("incoming call signed with another token", 403, True,
     lambda c: signed_post(c.app, "/channels/voice/incoming", {"CallSid": "CA1"},
                           signature=FORGED)),
    ("signed message webhook without a sender", 400, False,
     lambda c: signed_post(c.app, "/channels/twilio/messaging",
                           {**MESSAGE, "From": ""})),
    ("signed message webhook with a control character", 400, False,
     lambda c: signed_post(c.app, "/channels/twilio/messaging",
                           {**MESSAGE, "Body": "hi\x07"})),
    ("signed message webhook with a superscript media count", 400, False,
     lambda c: signed_post(c.app, "/channels/twilio/messaging",
                           {**MESSAGE, "NumMedia": "²"})),
    ("staff API without a token", 401, False,
     lambda c: c.api("POST", "/api/v1/customers", token=None, json={})),
    ("staff API with an unknown token", 401, False,
     lambda c: c.api("POST", "/api/v1/customers", token="llt_unknown", json={})),
    ("staff API by a role without the permission", 403, False,
     lambda c: c.api("POST", "/api/v1/ledger/periods", token=c.agent, json={})),
    ("customer without a name", 422, False,
     lambda c: c.api("POST", "/api/v1/customers", token=c.admin,
                     json={"first_name": "Ann", "date_of_birth": "1990-01-01"})),
    ("customer born in the future", 422, False,
     lambda c: c.api("POST", "/api/v1/customers", token=c.admin,
                     json={"first_name": "Ann", "last_name": "Lee",
                           "date_of_birth": "2190-01-01",
                           "contacts": [{"channel": "sms", "address": "+18685559872"}]})),
    ("status of a customer that does not exist", 404, False,
     lambda c: c.api("POST", "/api/v1/customers/999999999/status", token=c.admin,
                     json={"status": "blocked", "reason": "fuzz"})),
    ("customer id beyond what the database can hold", 422, False,
     lambda c: c.api("POST", f"/api/v1/customers/{2**80}/status", token=c.admin,
                     json={"status": "blocked", "reason": "fuzz"})),
    ("claim of an escalation that does not exist", 404, False,
     lambda c: c.api("POST", "/api/v1/escalations/999999999/claim", token=c.admin)),
    ("chat upload without a chat token", 401, False,
     lambda c: httpx.post(c.app.url + "/chat/upload", files={"file": ("a.pdf", b"%PDF-1.4")})),
    ("sandbox payment webhook without a signature", 400, False,
     lambda c: httpx.post(c.app.url + "/api/v1/payments/webhooks/sandbox",
                          content=b'{"type": "payment.succeeded"}')),
]


@pytest.mark.parametrize(("name", "status", "audited", "send"), CASES,
                         ids=[case[0] for case in CASES])
def test_a_refused_request_writes_nothing(fuzz_app: LiveApp, admin_token: str,
                                          agent_token: str, name: str, status: int,
                                          audited: bool, send: Request) -> None:
    before = row_counts(fuzz_app)
    response = send(Caller(fuzz_app, admin_token, agent_token))
    after = row_counts(fuzz_app)
    assert response.status_code == status, response.text
    changed = {table: after[table] - before[table] for table in after
               if after[table] != before.get(table)}
    assert changed == ({"audit_events": 1} if audited else {})
