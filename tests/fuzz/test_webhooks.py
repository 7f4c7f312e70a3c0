"""Twilio's webhooks on a live app, fed correctly signed forms of anything: never a server
error. (A forged form stops at the signature; these get past it, as only Twilio's can.)
Bounded and derandomised: the same few dozen forms per webhook on every run."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.conftest import LiveApp
from tests.fuzz.conftest import signed_post
from tests.fuzz.strategies import DEEP, json_values, phones, plausible, sids, twilio_forms

LIVE = settings(max_examples=25, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
calls = st.from_regex(r"CA[0-9a-f]{32}", fullmatch=True)
numbers = plausible(st.integers(0, 10**12).map(str), st.sampled_from(["²", "-1", "0"]))


@LIVE
@given(form=twilio_forms)
def test_a_signed_message_webhook_is_accepted_or_refused_as_malformed(
        fuzz_app: LiveApp, form: dict[str, str]) -> None:
    response = signed_post(fuzz_app, "/channels/twilio/messaging", form)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["detail"]


@LIVE
@given(form=st.fixed_dictionaries({}, optional={
           "MessageSid": plausible(sids), "SmsSid": plausible(sids),
           "MessageStatus": plausible(st.sampled_from(["sent", "delivered", "read", "failed",
                                                       "undelivered", " Delivered "])),
           "ErrorCode": numbers}),
       where=st.fixed_dictionaries({}, optional={"outbox": numbers, "part": numbers}))
def test_a_signed_status_callback_is_acknowledged(fuzz_app: LiveApp, form: dict[str, str],
                                                   where: dict[str, str]) -> None:
    path = "/channels/twilio/status" + (f"?{urlencode(where)}" if where else "")
    assert signed_post(fuzz_app, path, form).status_code == 200


voice_forms = st.fixed_dictionaries({}, optional={
    "CallSid": plausible(calls), "From": plausible(phones, st.just("anonymous")),
    "CallStatus": plausible(st.sampled_from(["in-progress", "completed"])),
    "HandoffData": plausible(json_values.map(json.dumps), st.just(DEEP)),
    "SessionStatus": plausible(), "ErrorCode": numbers})


@LIVE
@given(path=st.sampled_from(["/channels/voice/incoming", "/channels/voice/session-ended",
                             "/channels/voice/fallback"]),
       form=voice_forms)
def test_signed_voice_webhooks_answer_twiml(fuzz_app: LiveApp, path: str,
                                            form: dict[str, str]) -> None:
    response = signed_post(fuzz_app, path, form)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response>" in response.text
