"""The offline understander: deterministic, no model, no I/O, the same answer every time.

A message is normalised (creole, misspellings, emoji), its values found and masked, then read
in this order, the first reading that applies winning:

1. nothing readable ("", "🙂", "???") is UNKNOWN with confidence 0;
2. a command or an escalation pattern ("talk to a person", "stop", "I lost my job");
3. a one-time code ("123456"), unless a number of another kind was asked for;
4. the answer to what the agent asked (`expecting`), unless the message is really a question
   or a request of its own, which is what lets a borrower digress and come back;
5. a correction that carries new values ("actually make it 12 months");
6. a promise: a future payment with a time ("I go pay 500 Friday");
7. a question about policy, products, fees, hours or documents;
8. the nearest examples of the similarity classifier, or UNKNOWN when nothing is near.

Confidence is 0.95 for patterns, 0.9 for expected answers, and for the classifier grows with
its score and its margin over the runner-up; below 0.5 the graph asks the borrower to clarify.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from agent.understanding import identifiers, patterns
from agent.understanding.extract import Mentions, extract
from agent.understanding.intents import default_classifier
from agent.understanding.model import Intent, Understanding
from agent.understanding.phrasing import leading_polarity, normalise, polarity, strip_pleasantries
from agent.understanding.slotting import answer_to, is_mash, slots_for, to_slots

EXPECTABLE = frozenset({
    "amount", "term_months", "product", "income", "employer", "date", "code", "email", "phone",
    "date_of_birth", "id_digits", "method", "confirm", "reference", "choice", "paid_date",
    "detail",
})
_RULE_CONFIDENCE = 0.95
_ANSWER_CONFIDENCE = 0.9
_REQUEST_CONFIDENCE = 0.85
_OPEN_QUESTION_CONFIDENCE = 0.65  # a question on no topic we know: the knowledge base decides
_LOOSE_ANSWER_CONFIDENCE = 0.85  # a yes or no with more words after it
_UNASKED_CONFIDENCE = 0.7  # a value, but not the one asked for
_NAMED_TIME_CONFIDENCE = 0.55  # "payday" when a date was asked for
_BARE_VALUE_CONFIDENCE = 0.45  # a value with nothing asked: below 0.5, so the graph checks
_MAX_SIMILARITY_CONFIDENCE = 0.95
_UNKNOWN_BELOW = 0.2
_FULL_MARGIN = 0.2  # a lead this large over the runner-up intent counts in full
_DIGRESSION_SCORE = 0.6
_SHORT = 4  # words (placeholders included) in a message that is just a value or two
_SOFT_RULES = frozenset({Intent.UPDATE_CONTACT, Intent.PREQUALIFY, Intent.RESEND_CODE})
_SITUATIONS = frozenset({Intent.DISPUTE, Intent.COMPLAINT, Intent.HARDSHIP}) | _SOFT_RULES
_ANSWERING = frozenset({
    Intent.INFORM, Intent.APPLY, Intent.PREQUALIFY, Intent.MAKE_PAYMENT,
    Intent.PROMISE_TO_PAY, Intent.CORRECTION, Intent.UNKNOWN, Intent.AFFIRM, Intent.PROVIDE_CODE,
})
_VALUE_SLOTS = ("amount", "term_months", "date", "product", "email", "phone", "income",
                "date_of_birth")
_WHEN = re.compile(r"\b(?:next week|next month|this week|this month|weekend|end of)\b")
_WORDS = re.compile(r"[a-z]+")
_GIBBERISH_MIN_WORDS = 6
_GIBBERISH_KNOWN_SHARE = 0.25
_NUMBER_ASKED = frozenset({"amount", "income", "term_months", "phone", "id_digits",
                           "reference", "choice", "date", "date_of_birth", "paid_date", "detail"})
# In a free-text description only a short, plain request to repair the conversation counts;
# "the fee is wrong" or "I lost my job" there is the description itself.
_REPAIR = frozenset({Intent.CANCEL, Intent.HUMAN, Intent.START_OVER, Intent.REPEAT})
_MAX_REPAIR_WORDS = 12
# These hand the conversation to a person or change its tone: never on a weak reading.
_NEEDS_EVIDENCE = frozenset({Intent.HUMAN, Intent.COMPLAINT, Intent.ABUSE})
_EVIDENCE = 0.5
_SMALL_TALK = frozenset({Intent.GREET, Intent.GOODBYE, Intent.THANKS, Intent.UNKNOWN})
_OPEN_QUESTION_MIN_WORDS = 3
_LONG = 25  # words: past this, the opening sentence is also read on its own
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")


class OfflineUnderstander:
    """Understands a message with patterns, parsers and example similarity; never raises."""

    async def understand(self, text: str, *, expecting: str | None,
                         today: dt.date) -> Understanding:
        """The intent, slots and confidence of one message.

        `expecting` is what the agent just asked for (a slot name such as "amount", or
        "confirm"), or None; `today` resolves dates such as "next Friday".
        """
        return understand_text(text, expecting=expecting, today=today)


def _result(intent: Intent, confidence: float, values: dict[str, Any] | None = None,
            ) -> Understanding:
    return Understanding(intent=intent, slots=to_slots(values or {}),
                         confidence=round(min(max(confidence, 0.0), 1.0), 3))


def understand_text(text: str, *, expecting: str | None, today: dt.date) -> Understanding:
    """`OfflineUnderstander.understand`, synchronously."""
    expecting = expecting if expecting in EXPECTABLE else None
    norm = normalise(text)
    if not any(char.isalnum() for char in norm):
        return _result(Intent.UNKNOWN, 0.0)
    mentions = extract(norm, text, today=today, birth=expecting == "date_of_birth",
                       past=expecting == "paid_date")
    if _gibberish(mentions.masked) and identifiers.spoken_digits(norm) is None:
        return _result(Intent.UNKNOWN, 0.05)
    reading = _Reading(norm, text, mentions, expecting)
    return (reading.by_rule() or reading.by_code() or reading.as_answer()
            or reading.by_form() or reading.by_similarity())


def _gibberish(text: str) -> bool:
    """A long message of which hardly a word (or value) is one borrowers use: noise."""
    words = _WORDS.findall(text)
    if len(words) < _GIBBERISH_MIN_WORDS:
        return False
    known = default_classifier().knows
    return sum(known(word) for word in words) < _GIBBERISH_KNOWN_SHARE * len(words)


class _Reading:
    """One message being read; each method returns an understanding or None to pass it on."""

    def __init__(self, text: str, original: str, mentions: Mentions,
                 expecting: str | None) -> None:
        self.text, self.original, self.mentions = text, original, mentions
        self.expecting = expecting
        self._answer = answer_to(expecting, mentions, text, original) if expecting else {}

    def slots(self, intent: Intent, *, bare: bool | None = None) -> dict[str, Any]:
        """Everything the message fills for `intent`."""
        return slots_for(intent, self.mentions, self.text, expecting=self.expecting,
                         original=self.original, bare=bare)

    def values(self, intent: Intent, *, bare: bool | None = None) -> dict[str, Any]:
        """Slots a correction or an unasked answer can carry: values, not descriptions."""
        found = self.slots(intent, bare=bare)
        return {name: found[name] for name in _VALUE_SLOTS if name in found}

    def by_rule(self) -> Understanding | None:
        """A command or escalation pattern, unless it is really the answer asked for."""
        intent = patterns.rule_intent(self.text)
        if intent is None:
            return None
        if self.expecting == "detail" and (
                intent not in _REPAIR or len(self.text.split()) > _MAX_REPAIR_WORDS):
            return None
        if intent in _SITUATIONS and self.expecting == "employer" and "employer" in self._answer:
            return None  # "Central Bank" is where the borrower works, not a complaint
        if intent in _SOFT_RULES and self._answer:
            return None
        return _result(intent, _RULE_CONFIDENCE, self.slots(intent))

    def by_code(self) -> Understanding | None:
        """A one-time code, unless another kind of number was asked for."""
        code = patterns.code_in(self.text)
        if self.expecting == "code":
            code = self._answer.get("code") or code
        elif self.expecting in _NUMBER_ASKED:
            return None
        return _result(Intent.PROVIDE_CODE, _RULE_CONFIDENCE, {"code": code}) if code else None

    def _digression(self) -> Understanding | None:
        """A question or request of its own, made while the agent waits for an answer."""
        if not (patterns.is_question(self.text) or self.expecting == "employer"):
            return None
        if patterns.is_policy_question(self.text):
            return _result(Intent.QUESTION, _RULE_CONFIDENCE, self.slots(Intent.QUESTION))
        if (request := self.by_request()) is not None and request.intent not in _ANSWERING:
            return request
        found = self.by_similarity()
        if found.intent not in _ANSWERING and found.confidence >= _DIGRESSION_SCORE:
            return found
        return None

    def as_answer(self) -> Understanding | None:
        """The answer to what was asked, or a value that answers something else."""
        if self.expecting is None:
            return None
        if self.expecting == "confirm":
            return self._confirmation()
        if self.expecting == "detail" and not is_mash(self.text):
            return _result(Intent.INFORM, _ANSWER_CONFIDENCE,
                           self.values(Intent.INFORM, bare=False))
        if self._answer:
            if (digression := self._digression()) is not None:
                return digression
            # Beside the answer, only numbers marked as money are amounts: the bare "18"
            # that answers a term is not also an amount.
            besides = self.values(Intent.INFORM, bare=False)
            if self.expecting == "income":
                besides.pop("amount", None)
            if self.expecting == "choice" and self.mentions.product:
                besides["product"] = self.mentions.product
            return _result(Intent.INFORM, _ANSWER_CONFIDENCE, {**besides, **self._answer})
        if self.expecting == "choice" and self.mentions.product:
            return _result(Intent.INFORM, _ANSWER_CONFIDENCE, {"product": self.mentions.product})
        if self.expecting == "date" and self.mentions.named_time and not self.mentions.dates:
            return _result(Intent.INFORM, _NAMED_TIME_CONFIDENCE)
        if (unasked := self.values(Intent.INFORM)) and self._short():
            return _result(Intent.INFORM, _UNASKED_CONFIDENCE, unasked)
        return None

    def _short(self) -> bool:
        return len(self.mentions.masked.split()) <= _SHORT

    def _confirmation(self) -> Understanding | None:
        """Yes, no, or no with new values (a correction), to a read-back."""
        said = polarity(self.text)
        if said is not None:
            return _result(Intent.AFFIRM if said else Intent.DENY, _RULE_CONFIDENCE)
        said, rest = leading_polarity(self.text)
        changes = self.values(Intent.CORRECTION)
        if changes and (said is not None or patterns.is_correction(self.text)
                        or self._short()):
            return _result(Intent.CORRECTION, _ANSWER_CONFIDENCE, changes)
        if said is not None and not patterns.is_question(rest):
            return _result(Intent.AFFIRM if said else Intent.DENY, _LOOSE_ANSWER_CONFIDENCE)
        return None

    def by_form(self) -> Understanding | None:
        """A bare yes or no, a correction, a promise, or a policy question, by its form."""
        said = polarity(self.text)
        if said is not None:
            return _result(Intent.AFFIRM if said else Intent.DENY, _ANSWER_CONFIDENCE)
        changes = self.values(Intent.CORRECTION)
        if changes and patterns.is_correction(self.text):
            return _result(Intent.CORRECTION, _ANSWER_CONFIDENCE, changes)
        if patterns.is_promise(self.text) and (
            self.mentions.dates or self.mentions.named_time or _WHEN.search(self.text)
        ):
            return _result(Intent.PROMISE_TO_PAY, _RULE_CONFIDENCE,
                           self.slots(Intent.PROMISE_TO_PAY))
        if patterns.is_policy_question(self.text):
            return _result(Intent.QUESTION, _RULE_CONFIDENCE, self.slots(Intent.QUESTION))
        return self.by_request()

    def by_request(self) -> Understanding | None:
        """A plain request ("balance pls", "apply for a personal loan", "what can you do")."""
        intent = patterns.request_intent(strip_pleasantries(self.text))
        if intent is None:
            return None
        return _result(intent, _REQUEST_CONFIDENCE, self.slots(intent))

    def by_similarity(self) -> Understanding:
        """The intent of the nearest examples; an open question, or UNKNOWN, when none is near.

        A long message is also read by its opening sentence, where a request usually is.
        """
        masked = self.mentions.masked
        found = self._nearest(masked)
        if len(masked.split()) > _LONG:
            opening = self._nearest(_SENTENCE.split(masked, maxsplit=1)[0])
            if opening[1] > found[1]:
                found = opening
        intent, confidence = found
        if intent in _NEEDS_EVIDENCE and confidence < _EVIDENCE:
            intent = Intent.UNKNOWN
        if ((intent in _SMALL_TALK or confidence < _EVIDENCE) and not self._answer
                and patterns.is_question(self.text)
                and len(self.text.split()) >= _OPEN_QUESTION_MIN_WORDS):
            intent, confidence = Intent.QUESTION, _OPEN_QUESTION_CONFIDENCE
        if intent == Intent.UNKNOWN:
            return _result(Intent.UNKNOWN, min(confidence, _UNKNOWN_BELOW))
        if intent == Intent.INFORM and not self.expecting:
            confidence = min(confidence, _BARE_VALUE_CONFIDENCE)
        return _result(intent, confidence, self.slots(intent))

    def _nearest(self, masked: str) -> tuple[Intent, float]:
        found = default_classifier().classify(strip_pleasantries(masked))
        if found.score < _UNKNOWN_BELOW:
            return Intent.UNKNOWN, found.score
        margin = min(1.0, (found.score - found.runner_up) / _FULL_MARGIN)
        return found.intent, min(_MAX_SIMILARITY_CONFIDENCE,
                                 found.score ** 0.7 * (0.55 + 0.45 * margin))
