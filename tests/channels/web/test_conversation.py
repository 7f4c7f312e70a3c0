"""The web chat over a real websocket: a whole application, resuming after a reconnect,
resends answered once, and replies from a person delivered live or on return."""

from __future__ import annotations

from tests.channels.conftest import LiveApp
from tests.channels.web.conftest import (
    chat,
    conversation_of,
    hand_back,
    one_time_code,
    query,
    replies,
    session_id,
    staff_reply,
)

APPLICANT = "+18685550145"  # a demo customer with no loan and no application
RETURNING = "+18685550147"


async def test_a_whole_application_over_the_socket(web_app: LiveApp) -> None:
    async with chat(web_app) as page:
        assert page.token is not None
        asked = await page.say("I want to apply for a personal loan")
        assert [frame["type"] for frame in asked] == ["typing", "reply", "typing", "ack"]
        assert asked[0]["on"] is True and asked[2]["on"] is False
        assert asked[3] == {"type": "ack", "id": page.ids[0], "duplicate": False}
        assert "mobile number" in replies(asked)[0]

        sent = await page.say("+1 868 555 0145")
        assert "6-digit code" in replies(sent)[-1] and "0145" in replies(sent)[-1]
        code = one_time_code(web_app, APPLICANT)
        assert all(code not in reply for reply in replies(sent))

        verified = await page.say(code)
        assert replies(verified) == ["Thank you, you're verified.",
                                     "How much would you like to borrow?"]
        for words, question in (("20000", "how many months"), ("24 months", "monthly income"),
                                ("12000", "employer")):
            assert question in replies(await page.say(words))[-1]
        read_back = replies(await page.say("Massy Stores"))[-1]
        assert "TT$20,000.00 over 24 months" in read_back and "TT$941.47 a month" in read_back

        submitted = await page.say("yes")
        said = " ".join(replies(submitted))
        assert "APP-" in said and "credit officer" in said
        assert {"type": "status", "state": "escalated",
                "message": "A member of our team has your conversation and will reply here."
                } in submitted
        assert all(frame["author"] == "agent" for frame in submitted if frame["type"] == "reply")

    conversation = conversation_of(web_app, page.token)
    customer = query(web_app, "select customer_id from conversations where id = :id",
                     id=conversation)
    assert query(web_app, "select count(*) from applications where customer_id = :customer "
                 "and status = 'referred' and requested_amount = 20000 and requested_term = 24",
                 customer=customer) == 1
    assert query(web_app, "select count(*) from outbox where conversation_id = :id and "
                 "channel = 'web' and status = 'pending'", id=conversation) == 0


async def test_a_reconnect_resumes_the_same_conversation_with_its_history(
    web_app: LiveApp,
) -> None:
    async with chat(web_app) as page:
        await page.say("I want a personal loan")
        await page.say("868 555 0147")
        await page.say(one_time_code(web_app, RETURNING))
        token, sent = page.token, page.ids
    assert token is not None

    async with chat(web_app, token) as again:
        assert again.token == token
        welcome_history = again.welcome["history"]
        said = [(entry["author"], entry["text"]) for entry in welcome_history]
        assert said[0] == ("borrower", "I want a personal loan")
        assert ("agent", "Thank you, you're verified.") in said
        assert said[-1] == ("agent", "How much would you like to borrow?")
        assert [entry.get("client_id") for entry in welcome_history
                if entry["author"] == "borrower"] == sent
        assert query(web_app, "select count(*) from conversation_messages where "
                     "conversation_id = :id and body = '[one-time code sent by sms]'",
                     id=conversation_of(web_app, token)) == 1
        assert "[one-time code sent by sms]" not in [text for _, text in said]
        assert "how many months" in replies(await again.say("15000"))[-1]


async def test_a_message_resent_after_a_reconnect_is_answered_once(web_app: LiveApp) -> None:
    async with chat(web_app) as page:
        first = await page.say("hello", message_id="resent-1")
        assert first[-1] == {"type": "ack", "id": "resent-1", "duplicate": False}
        assert len(replies(first)) == 1
    async with chat(web_app, page.token) as again:
        resent = await again.say("hello", message_id="resent-1")
        assert resent[-1] == {"type": "ack", "id": "resent-1", "duplicate": True}
        assert replies(resent) == []
    assert page.token is not None
    assert query(web_app, "select count(*) from conversation_messages where "
                 "provider_message_id = :id", id=f"{session_id(page.token)}:resent-1") == 1


async def test_a_reply_queued_while_the_page_was_away_arrives_on_return(
    web_app: LiveApp,
) -> None:
    async with chat(web_app) as page:
        await page.say("hi")
    assert page.token is not None
    staff_reply(web_app, conversation_of(web_app, page.token), "Hello from Sita at the branch.")

    async with chat(web_app, page.token) as back:
        shown = [entry["text"] for entry in back.welcome["history"]]
        assert "Hello from Sita at the branch." not in shown
        arrived = await back.receive()
        assert arrived["type"] == "reply" and arrived["author"] == "staff"
        assert arrived["text"] == "Hello from Sita at the branch."
        await back.quiet()

    async with chat(web_app, page.token) as later:
        assert later.welcome["history"][-1]["text"] == "Hello from Sita at the branch."
        assert later.welcome["history"][-1]["author"] == "staff"
        await later.quiet()


async def test_a_person_answers_live_and_hands_the_conversation_back(web_app: LiveApp) -> None:
    async with chat(web_app) as page:
        handed = await page.say("lemme talk to somebody")
        assert handed[-2]["type"] == "typing"
        assert {"type": "status", "state": "escalated",
                "message": "A member of our team has your conversation and will reply here."
                } in handed
        assert page.token is not None
        conversation = conversation_of(web_app, page.token)

        staff_reply(web_app, conversation, "Hi, this is Andre. How can I help?")
        live_reply = await page.receive()
        assert (live_reply["author"], live_reply["text"]) == (
            "staff", "Hi, this is Andre. How can I help?")

        hand_back(web_app, conversation)
        back = await page.until("status")
        assert "back with you" in replies(back)[0]
        assert back[-1]["state"] == "active"
        assert "mobile number" in replies(await page.say("what's my balance"))[-1]


async def test_after_a_person_closes_the_chat_a_new_message_starts_a_new_conversation(
    web_app: LiveApp,
) -> None:
    async with chat(web_app) as page:
        await page.say("I want to speak to a person")
        assert page.token is not None
        first = conversation_of(web_app, page.token)
        hand_back(web_app, first, action="close")
        closed = await page.until("status")
        assert closed[-1]["state"] == "closed"

        again = await page.say("hi")
        assert {"type": "status", "state": "active",
                "message": "You're chatting with our assistant."} in again
        second = conversation_of(web_app, page.token)
        assert second != first
        staff_reply(web_app, second, "Hello again, this is Sita.")
        arrived = await page.receive()
        assert (arrived["author"], arrived["text"]) == ("staff", "Hello again, this is Sita.")

    async with chat(web_app, page.token) as back:
        assert back.welcome["state"] == "active"
        assert [entry["text"] for entry in back.welcome["history"]] == [
            "hi", *replies(again), "Hello again, this is Sita."]
