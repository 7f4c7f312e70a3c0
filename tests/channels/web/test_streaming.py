"""On the LLM path an answer reaches the page as it is written: `token` frames, sentence by
sentence, then the authoritative `reply` marked `streamed`."""

from __future__ import annotations

from tests.agent.fake_openai import FakeOpenAI, Running
from tests.channels.conftest import LiveApp
from tests.channels.web.conftest import chat, llm_agent, questions_to_the_knowledge_base

ANSWER = ("Send a recent payslip and a photo of your ID. Our team reviews every document. "
          "You can send them right here in the chat.")


async def test_an_llm_answer_streams_sentence_by_sentence_then_arrives_whole(
    web_app: LiveApp,
) -> None:
    fake = FakeOpenAI(questions_to_the_knowledge_base, lambda messages: ANSWER)
    with Running(fake) as server, llm_agent(web_app, server.base_url):
        async with chat(web_app) as page:
            frames = await page.say("what documents do I need to apply?")
    kinds = [frame["type"] for frame in frames]
    tokens = [frame for frame in frames if frame["type"] == "token"]
    (final,) = [frame for frame in frames if frame["type"] == "reply"]
    assert kinds[0] == "typing" and kinds[-2:] == ["typing", "ack"]
    assert kinds.index("token") < kinds.index("reply")
    assert [token["text"] for token in tokens[:3]] == [
        "Send a recent payslip and a photo of your ID.", " Our team reviews every document.",
        " You can send them right here in the chat."]
    assert tokens[3]["text"].startswith("\n\n(Source: ")
    assert {token["turn"] for token in tokens} == {page.ids[0]}
    assert final["streamed"] is True
    assert final["text"] == "".join(token["text"] for token in tokens)
    assert fake.requests[-1]["stream"] is True
