"""Personal data never reaches a log line: phone numbers, identity numbers, dates of birth
and e-mail addresses are masked in the message, its arguments, extra fields and tracebacks,
while amounts, due dates and ids stay readable."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from lendline.observability.logs import configure_logging, make_handler
from lendline.observability.masking import mask
from lendline.settings import Settings

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize(("text", "masked"), [
    ("Call CA12 from +18685550101", "Call CA12 from +*******0101"),
    ("From whatsapp:+18685550102", "From whatsapp:+*******0102"),
    ("+1 (868) 555-0101 or 868 555 0101", "+* (***) ***-0101 or *** *** 0101"),
    ("call +33 1 23 45 67 89 today", "call +** * ** ** 67 89 today"),
    ("WaId 18685550102, local 555-0199", "WaId *******0102, local ***-0199"),
    ("relay?caller=%2B18685550101&call=CA9", "relay?caller=%2B*******0101&call=CA9"),
    ("my national id is 19850314007", "my national id is *********07"),
    ("19850314007", "*********07"),
    ("ID number: AB 12-345 please", "ID number: ** **-*45 please"),
    ("passport is P1234567.", "passport is ******67."),
    ("born 14/03/1985", "born **/**/****"),
    ("DOB: 2012-01-31", "DOB: ****-**-**"),
    ("date of birth is March 14, 1985", "date of birth is *** **, ****"),
    ("The date of birth 14 March 1985 is in the future.",
     "The date of birth ** *** **** is in the future."),
    ("Customer(date_of_birth=datetime.date(1985, 3, 14))",
     "Customer(date_of_birth=datetime.date(****, *, **))"),
    ("opened 1985-03-14T10:00:00Z", "opened ****-**-**T10:00:00Z"),
    ("asha.ramdial.1@example.tt wrote", "a***@***.tt wrote"),
])
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask(text, today=TODAY) == masked
    assert mask(masked, today=TODAY) == masked, "masking twice changes nothing"


@pytest.mark.parametrize("text", [
    "Instalment of TTD 1,500.00 due 2026-12-20; paid 15/12/2026 and 20.12.2026",
    "balance +1500.00 after a payment of 12,345.67 (12.5% a year)",
    "Outbox 17 attempt 3 (part 2 of 3) failed: Twilio error 21610",
    "Job handle_message[4521] for SM3f9c0a1b2c3d4e5f60718293a4b5c6d7 took 0.84 s",
    "request 8f14e45fceea167a5a36dedd4bea2543 id 1234567 ref ABC12345",
    "loan opened 2015-06-01, schedule from 2024-01-31 to 2027-01-31",
    "the national id is pending review, case 12345",
])
def test_amounts_due_dates_and_ids_are_left_alone(text: str) -> None:
    assert mask(text, today=TODAY) == text


def test_a_date_sixteen_years_back_is_read_as_a_birth_date() -> None:
    assert mask("2010-11-20", today=TODAY) == "****-**-**"
    assert mask("2011-01-01", today=TODAY) == "2011-01-01"


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records go only to a JSON handler writing to a buffer."""
    stream = io.StringIO()
    logger = logging.getLogger("tests.observability.masking")
    logger.propagate, logger.level = False, logging.DEBUG
    handler = make_handler("json", stream)
    logger.addHandler(handler)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_arguments_are_merged_into_the_message_and_masked(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    logger.info("Call %s from %s: %d attempts, owes %s", "CA123", "+18685550101", 3, "1,500.00")
    [line] = lines(stream)
    assert line["message"] == "Call CA123 from +*******0101: 3 attempts, owes 1,500.00"


def test_extra_fields_are_masked_at_any_depth(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    job = {"id": 12, "task_kwargs": {"message": {
        "address": "whatsapp:+18685550102", "body": "born 14/03/1985, id card 19850314007",
        "amount": "1,500.00", "due": dt.date(2026, 12, 20), "birth": dt.date(1985, 3, 14)}}}
    logger.info("Job ended", extra={"job": job, "email": "asha@example.tt", "attempts": 2})
    [line] = lines(stream)
    message = line["extra"]["job"]["task_kwargs"]["message"]
    assert message == {"address": "whatsapp:+*******0102",
                       "body": "born **/**/****, id card *********07",
                       "amount": "1,500.00", "due": "2026-12-20", "birth": "****-**-**"}
    assert line["extra"]["email"] == "a***@***.tt"
    assert line["extra"]["attempts"] == 2


def test_a_traceback_is_masked(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    try:
        raise ValueError("'+18685550101' is not a valid phone number.")
    except ValueError:
        logger.exception("Could not add the contact of %s", "asha@example.tt")
    [line] = lines(stream)
    assert line["message"] == "Could not add the contact of a***@***.tt"
    assert "ValueError: '+*******0101' is not a valid phone number." in line["exception"]
    assert "18685550101" not in json.dumps(line)


def test_uvicorn_access_lines_are_masked(json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    logger.handle(logging.LogRecord(
        "uvicorn.access", logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5555", "GET", "/channels/voice/relay?caller=%2B18685550101", "1.1", 101),
        None))
    [line] = lines(stream)
    assert line["message"] == ('10.0.0.7:5555 - "GET /channels/voice/relay?caller='
                               '%2B*******0101 HTTP/1.1" 101')


def test_configure_logging_masks_for_handlers_it_did_not_install(settings: Settings) -> None:
    root = logging.getLogger()
    other_stream, ours_stream = io.StringIO(), io.StringIO()
    other = logging.StreamHandler(other_stream)
    saved_level, saved_handlers = root.level, list(root.handlers)
    root.addHandler(other)
    try:
        ours = configure_logging(settings.model_copy(update={"log_format": "text"}),
                                 stream=ours_stream)
        logging.getLogger("tests.observability").warning("Texted %s", "+18685550101")
    finally:
        for handler in list(root.handlers):
            if handler not in saved_handlers:
                root.removeHandler(handler)
        root.setLevel(saved_level)
    assert other_stream.getvalue() == "Texted +*******0101\n"
    assert ours_stream.getvalue().endswith("WARNING tests.observability: Texted +*******0101\n")
    assert getattr(ours, "lendline", False), "marked, so configuring again replaces it"


def test_a_jobs_arguments_stay_out_of_procrastinates_lines(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    call = ("twilio_inbound:handle_message[812](message={'sid': 'SM1', 'channel': 'sms', "
            "'address': '+18685550101', 'body': 'my password is hunter2'}, verdict='answer')")
    job = {"id": 812, "queue": "messaging", "task_name": "twilio_inbound:handle_message",
           "attempts": 0, "call_string": call,
           "task_kwargs": {"message": {"body": "my password is hunter2"}}}
    made = logging.LogRecord("procrastinate.worker", logging.INFO, "worker.py", 1,
                             f"Job {call} ended with status: Success, lasted 0.842 s", None, None)
    made.__dict__.update(job=job, action="job_success")
    logger.handle(made)
    [line] = lines(stream)
    assert line["message"] == ("Job twilio_inbound:handle_message[812](…) ended with status: "
                               "Success, lasted 0.842 s")
    assert line["extra"] == {"job": {"id": 812, "queue": "messaging", "attempts": 0,
                                     "task_name": "twilio_inbound:handle_message"},
                             "action": "job_success"}


def test_deferred_jobs_lose_their_arguments_too(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    made = logging.LogRecord("procrastinate.jobs", logging.INFO, "manager.py", 1,
                             "Deferred 1 job", None, None)
    made.__dict__["jobs"] = [{"id": 9, "task_name": "twilio_inbound:handle_message",
                              "task_kwargs": {"message": {"body": "my password is hunter2"}},
                              "call_string": "twilio_inbound:handle_message[9](...)"}]
    logger.handle(made)
    [line] = lines(stream)
    assert line["message"] == "Deferred 1 job"
    assert line["extra"] == {"jobs": [{"id": 9, "task_name": "twilio_inbound:handle_message"}]}
