"""STOP, START and HELP over the live webhook: the number's opt-out, the customer's compliance
opt-out, one confirmation each, silence while opted out, and YES left to the agent otherwise."""

from __future__ import annotations

from typing import Any

from channels.twilio.keywords import help_reply, start_reply, stop_reply
from tests.channels.conftest import LiveApp
from tests.channels.twilio_inbound.conftest import (
    form,
    inbound,
    job_done,
    number,
    post,
    replies,
    rows,
)

LENDER = "Island Credit Union (demo)"


def _send(live: LiveApp, sender: str, body: str) -> Any:
    params = form(sender, body)
    assert post(live, params).status_code == 200
    assert job_done(live, params["MessageSid"]) == "succeeded"
    [message] = inbound(live, params["MessageSid"])
    return message


def _opt_out(live: LiveApp, channel: str, address: str) -> Any:
    return rows(live, "SELECT opted_out, keyword FROM number_opt_outs WHERE address = :a AND "
                      "CAST(channel AS text) = :c", a=address, c=channel)


def _compliance(live: LiveApp, customer_id: int) -> list[Any]:
    return rows(live, "SELECT CAST(channel AS text) AS channel, opted_out, source, actor FROM "
                      "channel_opt_outs WHERE customer_id = :c ORDER BY id", c=customer_id)


def test_stop_from_a_customer_opts_the_number_and_the_customer_out_then_start_back_in(
        twilio_app: LiveApp) -> None:
    customer = "+18685550104"
    stopped = _send(twilio_app, customer, "Unsubscribe")
    assert stopped.intent == "opt_out"
    assert _opt_out(twilio_app, "sms", customer) == [(True, "UNSUBSCRIBE")]
    assert _opt_out(twilio_app, "whatsapp", customer) == []
    assert _compliance(twilio_app, stopped.customer_id) == [
        ("sms", True, "replied UNSUBSCRIBE by SMS", f"sms:{customer}")]
    assert [(r.body, r.purpose) for r in replies(twilio_app, customer)] == [
        (stop_reply(LENDER), "opt_out")]

    again = _send(twilio_app, customer, "STOP")  # already out: recorded, not confirmed twice
    assert again.intent == "opt_out"
    quiet = _send(twilio_app, customer, "what's my balance?")
    assert quiet.intent == "opted_out"
    assert len(replies(twilio_app, customer)) == 1

    started = _send(twilio_app, customer, "start")
    assert started.intent == "opt_in"
    assert _opt_out(twilio_app, "sms", customer) == [(False, "START")]
    assert [row.opted_out for row in _compliance(twilio_app, stopped.customer_id)] == [
        True, True, False]
    assert [(r.body, r.purpose) for r in replies(twilio_app, customer)][1:] == [
        (start_reply(LENDER), "opt_in")]


def test_stop_from_a_number_nobody_holds_opts_the_number_out(twilio_app: LiveApp) -> None:
    sender = number(100)
    message = _send(twilio_app, sender, "quit")
    assert message.customer_id is None
    assert _opt_out(twilio_app, "sms", sender) == [(True, "QUIT")]
    assert replies(twilio_app, sender)[0].purpose == "opt_out"


def test_yes_from_a_number_that_is_not_opted_out_goes_to_the_agent(twilio_app: LiveApp) -> None:
    sender = number(101)
    message = _send(twilio_app, sender, "Yes")
    assert message.intent not in {"opt_in", "opted_out"}
    assert _opt_out(twilio_app, "sms", sender) == []
    assert replies(twilio_app, sender)[0].purpose == "reply"


def test_help_is_answered_with_the_help_text_even_when_opted_out(twilio_app: LiveApp) -> None:
    sender = number(102)
    assert _send(twilio_app, sender, "HELP").intent == "help"
    _send(twilio_app, sender, "end")
    assert _send(twilio_app, sender, "info").intent == "help"
    assert [(r.body, r.purpose) for r in replies(twilio_app, sender)] == [
        (help_reply(LENDER), "help"), (stop_reply(LENDER), "opt_out"),
        (help_reply(LENDER), "help")]
    assert _opt_out(twilio_app, "sms", sender) == [(True, "END")]


def test_whatsapp_keeps_its_own_opt_out(twilio_app: LiveApp) -> None:
    sender = number(103)
    _send(twilio_app, f"whatsapp:{sender}", "STOP")
    assert _opt_out(twilio_app, "whatsapp", sender) == [(True, "STOP")]
    assert _opt_out(twilio_app, "sms", sender) == []
    assert _send(twilio_app, sender, "hello").intent != "opted_out"
