"""Logging for every entry point: one handler on the root logger, JSON lines or text,
each record carrying its request, conversation and channel and masked of personal data
(and of the job arguments procrastinate would log: whole inbound messages).

`configure_logging(settings)` is called once by the CLI before anything logs; uvicorn runs
with `log_config=None`, so its access and error logs propagate to the same handler. The
masking filter is added to every handler the root logger has, not only ours: whatever
writes a record (a library, uvicorn, a job) has it masked before any handler sees it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Mapping
from typing import IO, Any, Final, Literal

from core.telemetry import context
from lendline.observability.masking import mask
from lendline.settings import Settings

CONTEXT_FIELDS: Final = ("request_id", "conversation_id", "channel")
UVICORN: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")
_STANDARD: Final = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName", *CONTEXT_FIELDS}
_PLAIN: Final = (str, int, float, bool, type(None))
_traceback = logging.Formatter()


class ContextFilter(logging.Filter):
    """Adds the task's request id, conversation id and channel to the record (unless the
    call passed its own in `extra`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = context.current()
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, values.get(name))
        return True


class JobArgumentsFilter(logging.Filter):
    """Keeps jobs' arguments out of procrastinate's lines (its `job` and `jobs` extras and
    the call in its message): they hold whole inbound messages, the borrower's own text.
    The task and job id stay, enough to find the job's row."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("procrastinate"):
            return True
        job, jobs = getattr(record, "job", None), getattr(record, "jobs", None)
        if isinstance(job, dict):
            record.job = self._short(record, job)
        if isinstance(jobs, list):
            record.jobs = [self._short(record, item) if isinstance(item, dict) else item
                           for item in jobs]
        return True

    @staticmethod
    def _short(record: logging.LogRecord, job: dict[str, Any]) -> dict[str, Any]:
        call = job.get("call_string")
        if isinstance(call, str) and call:
            short = f"{job.get('task_name')}[{job.get('id')}](…)"
            record.msg, record.args = record.getMessage().replace(call, short), None
        return {key: value for key, value in job.items()
                if key not in ("task_kwargs", "call_string")}


class MaskingFilter(logging.Filter):
    """Masks personal data in the message (after merging its arguments), in extra fields
    and in the traceback. The record is changed in place, for every handler after it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _traceback.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for name, value in extra_fields(record).items():
            setattr(record, name, _masked(value))
        return True


def _masked(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, _PLAIN):
        return value
    if depth < 4 and isinstance(value, Mapping):
        return {str(key): _masked(item, depth + 1) for key, item in value.items()}
    if depth < 4 and isinstance(value, list | tuple | set | frozenset):
        return [_masked(item, depth + 1) for item in value]
    return mask(str(value))


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What the call added with `extra=`, beyond the standard and context fields."""
    return {name: value for name, value in record.__dict__.items() if name not in _STANDARD}


def _timestamp(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC), level, logger, message, the context
    fields that are known, `exception` (the traceback) and `extra`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": _timestamp(record), "level": record.levelname,
            "logger": record.name, "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        extra = extra_fields(record)
        if extra:
            line["extra"] = extra
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level logger: message [request_id=… conversation_id=… channel=…]`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        known = [f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS
                 if getattr(record, name, None) is not None]
        if not known:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [{' '.join(known)}]{newline}{rest}"


def log_format(settings: Settings, stream: IO[str]) -> Literal["json", "text"]:
    """The format `auto` stands for: text on a terminal outside production, else JSON."""
    if settings.log_format != "auto":
        return settings.log_format
    terminal = hasattr(stream, "isatty") and stream.isatty()
    return "text" if terminal and settings.environment != "production" else "json"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a record comes (a test's capture swaps it)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def make_handler(fmt: Literal["json", "text"], stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing `fmt` to `stream` (default: the current `sys.stderr`), with the
    context, job arguments and masking filters."""
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    for kind in (ContextFilter, JobArgumentsFilter, MaskingFilter):
        handler.addFilter(kind())
    return handler


def configure_logging(
    settings: Settings, *, level: int | str | None = None, stream: IO[str] | None = None,
) -> logging.Handler:
    """Install the process's log handler on the root logger (replacing one installed before)
    at `level` (default `settings.log_level`); returns it."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "lendline", False)]:
        root.removeHandler(old)
    handler = make_handler(log_format(settings, stream or sys.stderr), stream)
    handler.lendline = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level or settings.log_level)
    for name in UVICORN:  # undo a uvicorn logging config applied before, if any
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for other in root.handlers:
        if not any(isinstance(f, MaskingFilter) for f in other.filters):
            for kind in (ContextFilter, JobArgumentsFilter, MaskingFilter):
                other.addFilter(kind())
    return handler
