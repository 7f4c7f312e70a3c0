"""Sentence-by-sentence streaming: only whole, checked, channel-shaped sentences go out."""

from __future__ import annotations

from agent.capabilities import capabilities_for
from agent.streaming import SentenceStream

SOURCES = ["The late fee is TT$150.00, charged once per missed instalment."]


async def _streamed(tokens: list[str], channel: str = "web", tail: str = "") -> tuple[
        list[str], bool]:
    out: list[str] = []

    async def sink(fragment: str) -> None:
        out.append(fragment)

    stream = SentenceStream(sink, sources=SOURCES, capabilities=capabilities_for(channel))
    for token in tokens:
        await stream.feed(token)
    complete = await stream.finish(tail)
    return out, complete


async def test_tokens_are_held_until_a_sentence_ends() -> None:
    out, complete = await _streamed(["The late ", "fee is TT$150.00. ", "It is charged ",
                                     "once."], tail="\n\n(Source: Fees)")
    assert out == ["The late fee is TT$150.00.", " It is charged once.", "\n\n(Source: Fees)"]
    assert "".join(out) == "The late fee is TT$150.00. It is charged once.\n\n(Source: Fees)"
    assert complete


async def test_a_sentence_with_an_invented_number_stops_the_stream() -> None:
    out, complete = await _streamed(["The fee is TT$150.00. ", "We can make it TT$20. ",
                                     "Ask us."], tail="(Source: Fees)")
    assert out == ["The fee is TT$150.00."]
    assert not complete


async def test_an_unsupported_promise_stops_the_stream() -> None:
    out, complete = await _streamed(["Your late fee is waived. ", "Thanks."])
    assert out == []
    assert not complete


async def test_voice_gets_spoken_sentences_and_sms_plain_ones() -> None:
    spoken, _ = await _streamed(["The late fee is TT$150.00."], channel="voice")
    assert spoken == ["The late fee is 150 dollars."]
    plain, _ = await _streamed(["The fee is *TT$150.00*."], channel="sms")
    assert plain == ["The fee is TT$150.00."]


async def test_nothing_is_sent_for_an_empty_answer() -> None:
    out, complete = await _streamed([])
    assert out == []
    assert complete
