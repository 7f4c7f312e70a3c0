"""The sender's rules without I/O: which Twilio errors are worth retrying and what staff read,
the backoff, the 24-hour window and the template variables."""

from __future__ import annotations

import datetime as dt
import json

import aiohttp
import pytest
from twilio.base.exceptions import TwilioRestException

from channels.twilio.delivery import RetryPolicy
from channels.twilio.failures import Failure, classify, describe
from channels.twilio.window import NoTemplate, template_for, within_window

URI = "/2010-04-01/Accounts/AC0/Messages.json"


def refused(status: int, code: int, message: str) -> TwilioRestException:
    return TwilioRestException(status, URI, f"Unable to create record: {message}", code, "POST")


def test_a_number_twilio_refuses_is_permanent_in_plain_words() -> None:
    failure = classify(refused(400, 21211, "The 'To' number +1868 is not a valid phone number."))
    assert failure == Failure("the number is not a valid phone number (Twilio error 21211)",
                              permanent=True, code=21211)


def test_an_unsubscribed_recipient_is_permanent_and_says_so() -> None:
    failure = classify(refused(400, 21610, "Attempt to send to unsubscribed recipient"))
    assert failure.permanent and failure.unsubscribed
    assert failure.reason == ("the recipient replied STOP to our number and has unsubscribed "
                              "(Twilio error 21610)")


def test_an_unknown_refusal_keeps_twilios_own_words() -> None:
    failure = classify(refused(400, 21999, "Something new."))
    assert failure == Failure("Something new. (Twilio error 21999)", permanent=True, code=21999)


@pytest.mark.parametrize(("status", "code", "reason"), [
    (500, 20500, "Twilio was unavailable (HTTP 500): Internal Server Error (Twilio error 20500)"),
    (503, 503, "Twilio was unavailable (HTTP 503): Internal Server Error"),
    (429, 20429, "Twilio was unavailable (HTTP 429): Twilio is limiting how fast we send (too "
                 "many requests) (Twilio error 20429)"),
    (400, 63018, "Twilio was unavailable (HTTP 400): WhatsApp is limiting how fast we send "
                 "(Twilio error 63018)"),
    (401, 20003, "Twilio refused our credentials (check TWILIO_ACCOUNT_SID and "
                 "TWILIO_AUTH_TOKEN) (Twilio error 20003)"),
])
def test_busy_or_broken_twilio_is_transient(status: int, code: int, reason: str) -> None:
    failure = classify(refused(status, code, "Internal Server Error"))
    assert (failure.permanent, failure.ambiguous, failure.reason) == (False, False, reason)


def test_a_timeout_or_dropped_connection_may_have_sent_the_message() -> None:
    timeout = classify(TimeoutError())
    dropped = classify(aiohttp.ServerDisconnectedError())
    assert (timeout.permanent, timeout.ambiguous) == (False, True)
    assert (dropped.permanent, dropped.ambiguous) == (False, True)
    assert dropped.reason == ("The connection to Twilio failed (ServerDisconnectedError); it may "
                              "still have sent the message")


def test_callback_error_codes_in_words() -> None:
    assert describe(30007) == "the carrier filtered the message as spam (Twilio error 30007)"
    assert describe(None) == "Twilio gave no reason"
    assert describe(39999) == "Twilio refused the message (Twilio error 39999)"


def test_backoff_doubles_to_a_ceiling_and_waits_longer_when_the_outcome_is_unknown() -> None:
    policy = RetryPolicy()
    plain = Failure("busy", permanent=False)
    unknown = Failure("timeout", permanent=False, ambiguous=True)
    assert [policy.delay(attempt, plain).total_seconds() for attempt in range(1, 10)] == [
        5, 10, 20, 40, 80, 160, 320, 600, 600]
    assert [policy.delay(attempt, unknown).total_seconds() for attempt in (1, 5, 6)] == [
        60, 80, 160]


def test_the_window_is_24_hours_from_the_last_message_in() -> None:
    now = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
    assert within_window(now - dt.timedelta(hours=23, minutes=59, seconds=59), now)
    assert not within_window(now - dt.timedelta(hours=24), now)
    assert not within_window(None, now)


def test_templates_carry_the_code_or_the_message_on_one_line() -> None:
    templates = {"one_time_code": "HX1", "staff_reply": "HX2"}
    code = template_for(templates, purpose="one_time_code",
                        text="Your Island Credit Union code is 048213. It expires in 5 minutes.")
    assert (code.content_sid, code.variables) == ("HX1", {"1": "048213"})
    staff = template_for(templates, purpose="staff_reply",
                         text="Hello Asha,\n\nWe   received your documents.")
    assert json.loads(staff.content_variables) == {"1": "Hello Asha, We received your documents."}


def test_no_template_or_no_code_means_not_sent() -> None:
    with pytest.raises(NoTemplate, match="no approved WhatsApp template is configured for "
                                         "'payment_reminder' messages"):
        template_for({"reply": "HX1"}, purpose="payment_reminder", text="Due Friday.")
    with pytest.raises(NoTemplate, match="needs a code, and the message has none"):
        template_for({"one_time_code": "HX1"}, purpose="one_time_code", text="Your code is …")
