"""Log lines: one JSON object per line with the request, conversation and channel the work
is for; text for a person at a terminal; the format chosen by LENDLINE_LOG_FORMAT."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import sys

import pytest

from core.telemetry import context
from lendline.observability.logs import TextFormatter, configure_logging, log_format, make_handler
from lendline.settings import Settings


def record(message: str = "Turn done", **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("agent.conversation", logging.INFO, "conversation.py", 1, message,
                             None, None)
    made.__dict__.update(extra)
    return made


def emit(handler: logging.Handler, made: logging.LogRecord) -> str:
    handler.handle(made)
    stream = handler.stream  # type: ignore[attr-defined]
    return str(stream.getvalue())


def test_a_json_line_carries_the_context_of_the_task() -> None:
    handler = make_handler("json", io.StringIO())
    with context.bound(request_id="req-0001abcd", conversation_id=42, channel="sms"):
        text = emit(handler, record())
    line = json.loads(text)
    assert set(line) == {"timestamp", "level", "logger", "message", "request_id",
                         "conversation_id", "channel"}
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO", "agent.conversation", "Turn done")
    assert (line["request_id"], line["conversation_id"], line["channel"]) == (
        "req-0001abcd", 42, "sms")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    stamp = dt.datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60


def test_context_is_left_out_where_unknown_and_ends_with_its_block() -> None:
    handler = make_handler("json", io.StringIO())
    with context.bound(request_id="req-0001abcd"):
        pass
    line = json.loads(emit(handler, record()))
    assert "request_id" not in line and "conversation_id" not in line


def test_an_exception_and_extra_fields_go_in_their_own_keys() -> None:
    handler = make_handler("json", io.StringIO())
    try:
        raise RuntimeError("the model timed out")
    except RuntimeError:
        made = logging.LogRecord("agent.writer", logging.WARNING, "writer.py", 1,
                                 "LLM answer failed", None, sys.exc_info())
    made.__dict__["attempt"] = 2
    line = json.loads(emit(handler, made))
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("RuntimeError: the model timed out")
    assert line["extra"] == {"attempt": 2}


def test_the_text_format_names_the_context_after_the_message() -> None:
    handler = make_handler("text", io.StringIO())
    assert isinstance(handler.formatter, TextFormatter)
    with context.bound(conversation_id=7, channel="web"):
        text = emit(handler, record("Texted %s", args=("+18685550101",)))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO agent.conversation: "
                        r"Texted \+\*{7}0101 \[conversation_id=7 channel=web\]\n", text)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("setting", "environment", "stream", "chosen"), [
    ("auto", "development", Terminal(), "text"),
    ("auto", "development", io.StringIO(), "json"),
    ("auto", "production", Terminal(), "json"),
    ("json", "development", Terminal(), "json"),
    ("text", "production", io.StringIO(), "text"),
])
def test_the_format_follows_the_setting_and_auto_follows_the_terminal(
        settings: Settings, setting: str, environment: str, stream: io.StringIO,
        chosen: str) -> None:
    configured = settings.model_copy(update={"log_format": setting, "environment": environment})
    assert log_format(configured, stream) == chosen


def test_configuring_twice_keeps_one_handler_of_ours(settings: Settings) -> None:
    root = logging.getLogger()
    saved_level, saved = root.level, list(root.handlers)
    try:
        first = configure_logging(settings, stream=io.StringIO())
        second = configure_logging(settings, stream=io.StringIO(), level=logging.WARNING)
        assert first not in root.handlers and second in root.handlers
        assert root.level == logging.WARNING
    finally:
        for handler in list(root.handlers):
            if handler not in saved:
                root.removeHandler(handler)
        root.setLevel(saved_level)


def test_the_default_handler_writes_to_the_stderr_of_the_moment(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved_level, saved = root.level, list(root.handlers)
    try:
        configure_logging(settings.model_copy(update={"log_format": "json"}))
        logging.getLogger("tests.observability").warning("Texted %s", "+18685550101")
    finally:
        for handler in list(root.handlers):
            if handler not in saved:
                root.removeHandler(handler)
        root.setLevel(saved_level)
    [line] = [json.loads(text) for text in capsys.readouterr().err.splitlines()
              if text.startswith("{")]
    assert line["message"] == "Texted +*******0101"
