"""The sender against the fake Twilio: each reply sent once, in order, retried with backoff,
refused for good where it must be, and never free text outside WhatsApp's window."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.twilio import outbox_state
from channels.twilio.delivery import OutboxSender
from core.audit.models import AuditEvent
from core.conversations.models import Channel, ConversationMessage, OutboxStatus
from core.conversations.opt_outs import is_opted_out, set_opt_out
from core.db.session import unit_of_work
from tests.agent.clock import Clock
from tests.channels.fake_twilio import FakeTwilio
from tests.channels.twilio_outbound.conftest import (
    POLICY,
    PUBLIC,
    SMS_FROM,
    START,
    TEMPLATES,
    WHATSAPP_FROM,
    config,
    number,
    queue,
    rows,
)

Sessions = async_sessionmaker[AsyncSession]


async def test_an_sms_reply_goes_out_once_with_its_status_callback(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    address = number()
    conversation = await queue(sessions, channel=Channel.SMS, address=address,
                               bodies=["Your balance is **TTD 1,200.00**."], now=START)

    report = await sender.deliver(conversation)

    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    [message] = twilio.to(address)
    [row] = await rows(sessions, conversation)
    assert message["From"] == SMS_FROM
    assert message["Body"] == "Your balance is TTD 1,200.00."
    assert message["StatusCallback"] == (f"{PUBLIC}/channels/twilio/status"
                                         f"?outbox={row.id}&part=0")
    assert (row.status, row.attempts, row.provider_message_id) == (
        OutboxStatus.SENT, 1, message["sid"])
    assert (row.sent_at, row.segments, row.last_error) == (START, 1, None)
    assert row.parts == [{"text": "Your balance is TTD 1,200.00.", "segments": 1,
                          "sid": message["sid"], "status": "sent", "error_code": None}]
    assert (await sender.deliver(conversation)).sent == 0
    assert len(twilio.requests) == 1


async def test_nudged_twice_and_raced_by_two_senders_each_reply_goes_once_in_order(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    address = number()
    bodies = ["One.", "Two.", "Three."]
    conversation = await queue(sessions, channel=Channel.SMS, address=address, bodies=bodies,
                               now=START)
    other = OutboxSender(config(twilio), session_factory=sessions, policy=POLICY, clock=clock)
    twilio.slow_next(0.3)  # the first send is in flight while everyone else tries

    sender.nudge(conversation)
    sender.nudge(conversation)
    reports = await asyncio.gather(other.deliver(conversation), other.sweep(),
                                   sender.deliver(conversation))
    await sender.close()
    await other.close()

    assert [message["Body"] for message in twilio.to(address)] == bodies
    assert sum(report.sent for report in reports) <= 3
    assert [row.status for row in await rows(sessions, conversation)] == [OutboxStatus.SENT] * 3
    assert [row.attempts for row in await rows(sessions, conversation)] == [1, 1, 1]


async def test_passing_failures_are_retried_with_doubling_backoff_then_sent(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    address = number()
    conversation = await queue(sessions, channel=Channel.SMS, address=address,
                               bodies=["Hello.", "Second."], now=START)
    twilio.fail_next(500)
    twilio.fail_next(429, code=20429, message="Too Many Requests")

    first = await sender.deliver(conversation)
    [row, second] = await rows(sessions, conversation)
    assert (first.retrying, first.retry_at) == (1, START + dt.timedelta(seconds=5))
    assert (row.status, row.attempts, row.error_code) == (OutboxStatus.PENDING, 1, 20500)
    assert row.last_error == ("Twilio was unavailable (HTTP 500): Scripted failure (Twilio error "
                              "20500). Attempt 1 of 4; trying again at 16:00:05 UTC.")
    assert second.status is OutboxStatus.PENDING and second.attempts == 0, "waits its turn"

    clock.advance(seconds=4)
    assert (await sender.deliver(conversation)).sent == 0, "not due yet"
    clock.advance(seconds=1)
    retried = await sender.deliver(conversation)
    assert retried.retry_at == START + dt.timedelta(seconds=5 + 10)
    [row, _] = await rows(sessions, conversation)
    assert row.last_error is not None and row.last_error.startswith(
        "Twilio was unavailable (HTTP 429): Twilio is limiting how fast we send (too many "
        "requests) (Twilio error 20429). Attempt 2 of 4")

    clock.advance(seconds=10)
    assert (await sender.deliver(conversation)).sent == 2
    assert [message["Body"] for message in twilio.to(address)] == ["Hello.", "Second."]
    assert len(twilio.requests) == 4
    [row, second] = await rows(sessions, conversation)
    assert (row.status, row.attempts, row.last_error, row.error_code) == (
        OutboxStatus.SENT, 3, None, None)
    assert row.sent_at == START + dt.timedelta(seconds=15)


async def test_after_the_last_attempt_the_row_fails_where_staff_see_it(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    conversation = await queue(sessions, channel=Channel.SMS, address=number(),
                               bodies=["Hello."], now=START)
    twilio.fail_next(503, times=4)
    for _ in range(4):
        await sender.deliver(conversation)
        clock.advance(minutes=1)
    [row] = await rows(sessions, conversation)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 4)
    assert row.last_error == ("Gave up after 4 attempts: Twilio was unavailable (HTTP 503): "
                              "Scripted failure (Twilio error 20503)")
    assert (await sender.deliver(conversation)).sent == 0
    assert twilio.messages == []


async def test_a_refused_number_fails_at_once_with_the_reason_on_the_transcript(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    conversation = await queue(sessions, channel=Channel.SMS, address=number(),
                               bodies=["Hello.", "Next."], now=START)
    twilio.fail_next(400, code=21211, message="The 'To' number is not a valid phone number.")

    report = await sender.deliver(conversation)

    assert (report.sent, report.failed) == (1, 1), "the next reply is not held up"
    [row, _] = await rows(sessions, conversation)
    reason = "Twilio refused it: the number is not a valid phone number (Twilio error 21211)"
    assert (row.status, row.error_code, row.last_error) == (OutboxStatus.FAILED, 21211, reason)
    async with sessions() as session:
        message = await session.get_one(ConversationMessage, row.message_id)
        audit = await session.scalar(select(AuditEvent).where(
            AuditEvent.entity_type == "outbox", AuditEvent.entity_id == str(row.id)))
    assert message.meta["delivery"] == {"status": "failed", "error": reason}
    assert audit is not None and audit.action == "message.delivery_failed"


async def test_an_unsubscribed_recipient_fails_and_the_number_is_opted_out(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    address = number()
    conversation = await queue(sessions, channel=Channel.SMS, address=address,
                               bodies=["Hello."], now=START)
    twilio.fail_next(400, code=21610, message="Attempt to send to unsubscribed recipient")

    await sender.deliver(conversation)

    [row] = await rows(sessions, conversation)
    assert row.status is OutboxStatus.FAILED and row.error_code == 21610
    async with sessions() as session:
        assert await is_opted_out(session, channel=Channel.SMS, address=address)


async def test_an_opted_out_number_gets_nothing_but_the_answers_to_stop_and_help(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    address = number()
    async with unit_of_work(sessions) as session:
        await set_opt_out(session, channel=Channel.SMS, address=address, opted_out=True,
                          keyword="STOP", now=START)
    conversation = await queue(sessions, channel=Channel.SMS, address=address,
                               bodies=["A payment reminder."], now=START)
    for purpose, body in (("opt_out", "Stopped."), ("help", "Reply START to resubscribe."),
                          ("reply", "Anything else.")):
        await queue(sessions, channel=Channel.SMS, address=address, now=START, bodies=[body],
                    purpose=purpose)

    report = await sender.deliver(conversation)

    assert (report.sent, report.failed) == (2, 2)
    assert [message["Body"] for message in twilio.to(address)] == [
        "Stopped.", "Reply START to resubscribe."]
    [reminder, *_] = await rows(sessions, conversation)
    assert reminder.status is OutboxStatus.FAILED and reminder.attempts == 1
    assert reminder.last_error == (f"Not sent: {address} replied STOP on sms, and nothing is "
                                   "sent to the number until it replies START.")


async def test_whatsapp_inside_the_window_is_free_text(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    address = number()
    conversation = await queue(sessions, channel=Channel.WHATSAPP, address=address,
                               bodies=["*Hi!* How can I help?"], now=START,
                               inbound_at=START - dt.timedelta(hours=23, minutes=59))
    await sender.deliver(conversation)
    [message] = twilio.to(f"whatsapp:{address}")
    assert message["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert message["Body"] == "*Hi!* How can I help?"
    assert "ContentSid" not in message


async def test_whatsapp_outside_the_window_sends_the_purposes_template(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    address = number()
    conversation = await queue(sessions, channel=Channel.WHATSAPP, address=address, now=START,
                               bodies=["A person has replied:\nplease call us."],
                               inbound_at=START - dt.timedelta(hours=24))
    code_conversation = await queue(
        sessions, channel=Channel.WHATSAPP, address=number(), now=START,
        purpose="one_time_code", bodies=["Your code is 482913. It expires in 5 minutes."])

    await sender.deliver(conversation)
    await sender.deliver(code_conversation)

    [reply, code] = twilio.messages
    assert "Body" not in reply and "Body" not in code
    assert reply["ContentSid"] == TEMPLATES["reply"]
    assert json.loads(reply["ContentVariables"]) == {"1": "A person has replied: please call us."}
    assert code["ContentSid"] == TEMPLATES["one_time_code"]
    assert json.loads(code["ContentVariables"]) == {"1": "482913"}
    [row] = await rows(sessions, conversation)
    assert (row.status, row.template_sid) == (OutboxStatus.SENT, TEMPLATES["reply"])


async def test_whatsapp_outside_the_window_without_a_template_is_never_free_text(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio) -> None:
    conversation = await queue(sessions, channel=Channel.WHATSAPP, address=number(), now=START,
                               bodies=["Your payment is due."], purpose="payment_reminder")
    report = await sender.deliver(conversation)
    assert report.failed == 1 and twilio.requests == []
    [row] = await rows(sessions, conversation)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == (
        "Not sent: the number has not written on WhatsApp in the last 24 hours, and no approved "
        "WhatsApp template is configured for 'payment_reminder' messages "
        "(LENDLINE_WHATSAPP_TEMPLATES). WhatsApp refuses free text outside the window.")


async def test_a_long_sms_goes_as_whole_segment_messages_each_sent_once(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    address = number()
    body = " ".join(["word"] * 400)  # 1,999 GSM-7 characters: 14 segments in one message
    conversation = await queue(sessions, channel=Channel.SMS, address=address, bodies=[body],
                               now=START)
    twilio.fail_next(500)
    twilio.slow_next(0)
    twilio.fail_next(500)  # the first part is accepted, the second fails: only it is retried

    await sender.deliver(conversation)
    clock.advance(seconds=5)
    await sender.deliver(conversation)
    clock.advance(seconds=10)
    await sender.deliver(conversation)

    messages = twilio.to(address)
    assert [len(message["Body"]) for message in messages] == [1529, 469]
    assert " ".join(message["Body"] for message in messages) == body
    assert [parse_qs(urlsplit(m["StatusCallback"]).query)["part"] for m in messages] == [
        ["0"], ["1"]]
    [row] = await rows(sessions, conversation)
    assert (row.status, row.attempts, row.segments) == (OutboxStatus.SENT, 3, 10 + 4)
    assert [part["sid"] for part in row.parts] == [message["sid"] for message in messages]


async def test_a_send_answered_too_late_is_adopted_by_its_callback_not_sent_again(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    conversation = await queue(sessions, channel=Channel.SMS, address=number(),
                               bodies=["Hello."], now=START)
    twilio.slow_next(POLICY.request_timeout + 1)

    report = await sender.deliver(conversation)

    assert report.retry_at == START + dt.timedelta(minutes=1), "waits for the callback first"
    [accepted] = twilio.messages
    [row] = await rows(sessions, conversation)
    assert row.status is OutboxStatus.PENDING and row.parts[0]["sid"] is None
    query = parse_qs(urlsplit(accepted["StatusCallback"]).query)
    async with unit_of_work(sessions) as session:
        assert await outbox_state.apply_callback(
            session, sid=accepted["sid"], status="sent", error_code=None,
            outbox_id=int(query["outbox"][0]), part=int(query["part"][0]), now=clock())
    clock.advance(minutes=2)
    assert (await sender.sweep()).sent == 0
    [row] = await rows(sessions, conversation)
    assert (row.status, row.provider_message_id) == (OutboxStatus.SENT, accepted["sid"])
    assert len(twilio.messages) == 1


async def test_a_row_left_sending_by_a_dead_sender_is_sent_when_its_lease_runs_out(
        sender: OutboxSender, sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    conversation = await queue(sessions, channel=Channel.SMS, address=number(),
                               bodies=["Hello."], now=START)
    async with unit_of_work(sessions) as session:
        claimed = await outbox_state.claim_next(
            session, conversation_id=conversation, channels=[Channel.SMS], now=clock(),
            lease=POLICY.lease)
        assert claimed is not None
    assert (await sender.sweep()).sent == 0, "leased to the dead sender"
    clock.advance(minutes=2)
    assert (await sender.sweep()).sent == 1
    [row] = await rows(sessions, conversation)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


async def test_without_credentials_rows_stay_pending(
        sessions: Sessions, twilio: FakeTwilio, clock: Clock) -> None:
    conversation = await queue(sessions, channel=Channel.SMS, address=number(),
                               bodies=["Hello."], now=START)
    idle = OutboxSender(None, session_factory=sessions, clock=clock)
    assert not idle.enabled
    assert str(await idle.deliver(conversation)) == "0 sent, 0 failed, 0 retrying"
    assert str(await idle.sweep()) == "0 sent, 0 failed, 0 retrying"
    idle.nudge(conversation)
    await idle.close()
    [row] = await rows(sessions, conversation)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert twilio.requests == []
