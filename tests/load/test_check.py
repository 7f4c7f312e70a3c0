"""The burst check names every way a burst can go wrong (no I/O: transcripts written here)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.load import burst

ADDRESS = "+18687000001"
BORROWER = burst.Borrower(address=ADDRESS, channel="whatsapp", forms=())
SENT = [burst.Posted(sid, ADDRESS, started=float(n), ack_seconds=0.01)
        for n, sid in enumerate(["SMa", "SMb", "SMc"])]


def inbound(sid: str) -> tuple[Any, ...]:
    return ("inbound", sid, None, None)


def reply(*sids: str, status: str = "sent") -> tuple[Any, ...]:
    return ("outbound", None, status, [{"sid": sid, "status": status} for sid in sids])


def twilio_with(*sids: str) -> burst.TimedTwilio:
    twilio = burst.TimedTwilio("AC" + "0" * 32, "token")
    twilio.messages = [{"To": f"whatsapp:{ADDRESS}", "sid": sid} for sid in sids]
    twilio.accepted_at = {sid: 10.0 + n for n, sid in enumerate(sids)}
    return twilio


def problems(rows: list[tuple[Any, ...]], twilio: burst.TimedTwilio) -> list[str]:
    outcome = burst.Outcome()
    burst._check_one(outcome, BORROWER, SENT, rows, twilio)
    return outcome.problems


GOOD = [inbound("SMa"), reply("R1"), inbound("SMb"), reply("R2", "R3"), inbound("SMc"),
        reply("R4")]


def test_a_burst_answered_once_in_order_has_no_problems() -> None:
    outcome = burst.Outcome()
    burst._check_one(outcome, BORROWER, SENT, GOOD, twilio_with("R1", "R2", "R3", "R4"))
    assert outcome.problems == []
    assert (outcome.replies, outcome.parts) == (3, 4)
    assert outcome.answer_seconds == [10.0, 10.0, 11.0]  # first part accepted − posted


@pytest.mark.parametrize(("rows", "accepted", "found"), [
    (GOOD[:4], ("R1", "R2", "R3"), "transcript 1 lost"),
    ([GOOD[2], GOOD[3], GOOD[0], GOOD[1], *GOOD[4:]], ("R2", "R3", "R1", "R4"),
     "transcript out of order"),
    ([*GOOD[:2], inbound("SMx"), *GOOD[2:]], ("R1", "R2", "R3", "R4"), "1 unexpected"),
    ([*GOOD[:5]], ("R1", "R2", "R3"), "SMc has 0 replies, not 1"),
    ([*GOOD, reply("R5")], ("R1", "R2", "R3"), "SMc has 2 replies, not 1"),
    ([*GOOD[:5], reply("R4", status="failed")], ("R1", "R2", "R3"), "is failed, not sent"),
    (GOOD, ("R1", "R2", "R3", "R4", "R4b"), "1 sent twice or unasked"),
    (GOOD, ("R1", "R2", "R3"), "not sent or out of order"),
    (GOOD, ("R2", "R3", "R1", "R4"), "not sent or out of order"),
])
def test_each_way_a_burst_goes_wrong_is_named(rows: list[tuple[Any, ...]],
                                              accepted: tuple[str, ...], found: str) -> None:
    [problem] = problems(rows, twilio_with(*accepted))
    assert found in problem and ADDRESS in problem
