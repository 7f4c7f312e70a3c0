"""Files sent with a message go to the verified borrower's open application, whether the
agent or a person holds the conversation; nobody else's, and a bad file is refused alone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from agent.conversation import Agent, Attachment, Inbound
from core.applications.models import Application, ApplicationDocument
from tests.agent.test_llm_path import code_in

APPLICANT = "+18685550145"
ASHA = "+18685550101"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PAYSLIP = Attachment("payslip-nov.png", "image/png", PNG)
NOT_A_PDF = Attachment("statement.pdf", "application/pdf", b"MZ\x90\x00 not a pdf")


async def _referred_application(agent: Agent) -> int:
    """Apply as a new borrower through to the core's referral (the conversation escalates)."""
    started = await agent.converse(Inbound("whatsapp", APPLICANT,
                                           "I want to apply for a personal loan"))
    for said in (code_in(started.replies), "20000", "24 months", "12000", "Massy Stores"):
        await agent.converse(Inbound("whatsapp", APPLICANT, said))
    submitted = await agent.converse(Inbound("whatsapp", APPLICANT, "yes"))
    assert submitted.escalated
    return submitted.conversation_id


async def _documents(connection: AsyncConnection) -> list[ApplicationDocument]:
    return list((await connection.execute(
        select(ApplicationDocument.filename, ApplicationDocument.document_type)
        .join(Application, Application.id == ApplicationDocument.application_id)
        .order_by(ApplicationDocument.id))).all())


async def test_files_sent_while_a_person_holds_the_conversation_are_filed(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    await _referred_application(agent)
    result = await agent.converse(Inbound(
        "whatsapp", APPLICANT, "here is my payslip and statement",
        attachments=(PAYSLIP, NOT_A_PDF)))
    assert result.escalated
    said = " ".join(result.texts)
    assert "added payslip-nov.png to application APP-" in said
    assert "couldn't add statement.pdf: The file's content is not a PDF." in said
    assert "A member of our team has your conversation" in said
    assert [(row.filename, row.document_type.value) for row in
            await _documents(agent_connection)] == [("payslip-nov.png", "payslip")]


async def test_after_hand_back_the_agent_files_documents_and_answers_the_words(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    conversation_id = await _referred_application(agent)
    await agent.resume(conversation_id, actor="staff:test", action="hand_back")
    result = await agent.converse(Inbound("whatsapp", APPLICANT, "",
                                          attachments=(PAYSLIP,)))
    assert not result.escalated
    assert len(result.texts) == 1
    assert "I've added payslip-nov.png to application APP-" in result.texts[0]
    assert len(await _documents(agent_connection)) == 1


async def test_an_unverified_sender_is_told_how_to_verify_and_nothing_is_filed(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    result = await agent.converse(Inbound("whatsapp", ASHA, "my payslip",
                                          attachments=(PAYSLIP,)))
    assert "only once I've confirmed it's you" in result.texts[0]
    assert await _documents(agent_connection) == []


async def test_a_verified_borrower_with_no_open_application_is_told_so(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    asked = await agent.converse(Inbound("whatsapp", ASHA, "what's my balance"))
    await agent.converse(Inbound("whatsapp", ASHA, code_in(asked.replies)))
    result = await agent.converse(Inbound("whatsapp", ASHA, "", attachments=(PAYSLIP,)))
    assert result.texts == ["You have no open application to add documents to. Start one "
                            "and send them again."]
    assert await _documents(agent_connection) == []


async def test_words_about_the_files_get_no_second_answer_but_a_question_does(
    agent: Agent, agent_connection: AsyncConnection,
) -> None:
    conversation_id = await _referred_application(agent)
    await agent.resume(conversation_id, actor="staff:test", action="hand_back")
    filed = await agent.converse(Inbound("whatsapp", APPLICANT, "here is my payslip",
                                         attachments=(PAYSLIP,)))
    assert len(filed.texts) == 1 and "I've added payslip-nov.png" in filed.texts[0]
    both = await agent.converse(Inbound(
        "whatsapp", APPLICANT, "and what documents do I need to apply?",
        attachments=(Attachment("payslip-oct.png", "image/png", PNG),)))
    assert "I've added payslip-oct.png" in both.texts[0]
    assert both.intent == "question" and len(both.texts) == 2
