"""Whatever arrives, the offline understander answers with a valid `Understanding`."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from agent.understanding.model import Intent, Understanding
from agent.understanding.offline import EXPECTABLE, OfflineUnderstander, understand_text

EXPECTING = st.sampled_from(sorted(EXPECTABLE)) | st.none() | st.just("shoe_size")
TODAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
# Words the parsers react to, so that random messages reach deep into them.
PIECES = st.sampled_from([
    "5k", "$", "tt$", "-", "-5", "1,000", "5,000.50", ".", "/", "30/11", "31/02/1985", "2026",
    "12", "123456", "0", "99999999999", "half", "a", "an", "and", "million", "hundred",
    "thousand", "grand", "five", "fifteen", "twenty", "months", "month", "years", "year",
    "weeks", "in", "the", "30th", "of", "next", "last", "friday", "gone", "end", "payday",
    "today", "tomorrow", "nov", "may", "born", "ref", "abc123", "a@b.com", "868-555-0150",
    "id", "my", "i", "go", "pay", "will", "actually", "make", "it", "no", "yes", "ok",
    "code", "is", "?", "stop", "talk", "to", "a", "person", "hire", "purchase", "fridge",
    "car", "ah", "eh", "doh", "wha", "de", "🙂", "👍", "\u200d", "\n", "٣", "１２",
])
MESSAGES = st.text(max_size=2000) | st.lists(PIECES, max_size=40).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=MESSAGES, expecting=EXPECTING, today=TODAYS)
def test_any_message_is_understood_without_raising(
    text: str, expecting: str | None, today: date,
) -> None:
    understood = understand_text(text, expecting=expecting, today=today)
    assert isinstance(understood, Understanding)
    assert 0 <= understood.confidence <= 1
    assert Understanding.model_validate(understood.model_dump()) == understood
    if understood.intent == Intent.UNKNOWN:
        assert understood.confidence < 0.5
    if understood.intent in {Intent.HUMAN, Intent.COMPLAINT, Intent.ABUSE}:
        assert understood.confidence >= 0.5  # the graph hands over only on real evidence


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300), expecting=EXPECTING)
async def test_the_async_interface_never_raises(text: str, expecting: str | None) -> None:
    understood = await OfflineUnderstander().understand(
        text, expecting=expecting, today=date(2026, 11, 18),
    )
    assert isinstance(understood, Understanding)
