"""Twilio delivering the same message several times at once, over real HTTP to the live
app: every delivery is acknowledged, and there is one turn and one reply."""

from __future__ import annotations

from channels.twilio.messaging import EMPTY_TWIML
from tests.channels.conftest import LiveApp
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.twilio_inbound.conftest import form, inbound, job_done, number
from tests.faults.conftest import deliver_at_once, jobs_answered_once, sent_once


def test_the_same_webhook_five_times_at_once_is_one_turn_and_one_reply(
        fault_app: LiveApp, twilio: FakeTwilio) -> None:
    sender = number(501)
    params = form(sender, "hello")
    for response in deliver_at_once(fault_app, params):
        assert (response.status_code, response.text) == (200, EMPTY_TWIML)
    assert job_done(fault_app, params["MessageSid"]) == "succeeded"
    jobs_answered_once(fault_app, params["MessageSid"])
    [message] = inbound(fault_app, params["MessageSid"])
    assert (message.channel, message.address, message.body) == ("sms", sender, "hello")
    [reply] = sent_once(fault_app, twilio, sender)
    assert reply["Body"].startswith("Hi! I'm the Island Credit Union (demo) assistant.")
