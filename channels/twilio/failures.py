"""Why a Twilio send failed, in words staff can act on, and whether trying again can help.

Permanent: Twilio refused this message for good (a number that is not a phone, a recipient
who replied STOP to the carrier, WhatsApp outside the 24-hour window); retrying would fail
the same way. Transient: Twilio or the network was unavailable or busy (5xx, 429, a timeout,
a refused connection); the send is retried with backoff up to a limit. A send is ambiguous
when Twilio may have accepted it although we got no answer (a timeout, a dropped
connection): its retry waits long enough for the status callback to report it first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException

UNSUBSCRIBED: Final = 21610
OUTSIDE_WINDOW: Final = 63016
TRANSIENT_CODES: Final = frozenset({20429, 63018})  # too many requests (API, WhatsApp)

KNOWN: Final = {
    20003: "Twilio refused our credentials (check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)",
    20429: "Twilio is limiting how fast we send (too many requests)",
    21211: "the number is not a valid phone number",
    21408: "sending to this country is not enabled on the Twilio account",
    21606: "our sender number cannot send to this number",
    21610: "the recipient replied STOP to our number and has unsubscribed",
    21612: "Twilio cannot route a message from our number to this one",
    21614: "the number is not a mobile number and cannot receive SMS",
    30003: "the phone was unreachable (off or out of coverage)",
    30004: "the recipient's carrier or phone blocks the message",
    30005: "the number is unknown or no longer exists",
    30006: "the number is a landline or its carrier cannot receive SMS",
    30007: "the carrier filtered the message as spam",
    30008: "the carrier could not deliver it (unknown error)",
    63016: "WhatsApp refuses free text outside the 24-hour window; it needs an approved template",
    63018: "WhatsApp is limiting how fast we send",
    63024: "the number is not a valid WhatsApp recipient",
}


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    permanent: bool
    code: int | None = None
    ambiguous: bool = False

    @property
    def unsubscribed(self) -> bool:
        return self.code == UNSUBSCRIBED


def describe(code: int | None, detail: str = "") -> str:
    """Twilio's error `code` in plain words, with the code for looking it up."""
    if code is None:
        return detail or "Twilio gave no reason"
    known = KNOWN.get(code)
    if known is None:
        return f"{detail or 'Twilio refused the message'} (Twilio error {code})"
    return f"{known} (Twilio error {code})"


def classify(error: BaseException) -> Failure:
    """The `Failure` an exception from a Twilio send amounts to; unknown errors are transient."""
    if isinstance(error, TwilioRestException | TwilioServiceException):
        status = error.status
        code = error.code if error.code != status else None
        detail = str(getattr(error, "msg", "") or getattr(error, "detail", "") or "")
        detail = detail.removeprefix("Unable to create record: ")
        if status == 429 or status >= 500 or code in TRANSIENT_CODES:
            return Failure(f"Twilio was unavailable (HTTP {status}): {describe(code, detail)}",
                           permanent=False, code=code)
        if status == 401:
            return Failure(describe(20003), permanent=False, code=code or 20003)
        return Failure(describe(code, detail), permanent=True, code=code)
    if isinstance(error, aiohttp.ClientConnectorError):
        return Failure(f"Could not connect to Twilio ({error.os_error or error})",
                       permanent=False)
    if isinstance(error, TimeoutError):
        return Failure("Twilio did not answer in time; it may still have sent the message",
                       permanent=False, ambiguous=True)
    if isinstance(error, aiohttp.ClientError):
        return Failure(f"The connection to Twilio failed ({type(error).__name__}); it may still "
                       "have sent the message", permanent=False, ambiguous=True)
    return Failure(f"Sending failed unexpectedly: {type(error).__name__}: {error}",
                   permanent=False)
