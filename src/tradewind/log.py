"""Structured logging (structlog) with secret redaction.

Events, not sentences: ``run_started flow=orders run_id=…``. Context (run, flow) is bound once.
Secrets never reach a log: values resolved from secret references (and OAuth tokens as they are
received or read back) are registered here and replaced by ``***`` wherever they appear, tracebacks
included: structlog's ``format_exc_info`` renders them to text *before* redaction (and without the
local variables a rich traceback would show), the stdlib filter masks its own traceback text.
Keys that name credentials are masked whatever their value.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEY = re.compile(r"(token|secret|password|authorization|api_key|refresh)", re.IGNORECASE)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Mask ``value`` in every later log event (called when a secret reference is resolved)."""
    if value and len(value) >= 4:
        with _lock:
            _secrets.add(value)


def _mask(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def redact(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask credential-named keys and any registered secret value, and e-mail
    addresses (personal data: a record's key or a vendor's message may hold one) as ``j…@example.com``."""
    for key, value in list(event.items()):
        if _SECRET_KEY.search(key) and key != "event":
            event[key] = "***"
        elif isinstance(value, str) and _secrets:
            event[key] = _mask(value)
        elif _secrets and not isinstance(value, int | float | bool | type(None)):
            event[key] = _mask(repr(value))
        shown = event[key] if isinstance(event[key], str) else None
        if shown is None and not isinstance(event[key], int | float | bool | type(None)):
            shown = repr(event[key])
        if shown is not None and "@" in shown:
            event[key] = _EMAIL.sub(r"\1…@\2", shown)
    return event


def mask(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (for output that bypasses logging)."""
    return _mask(text) if _secrets else text


class _RedactingFilter(logging.Filter):
    """The same masking for stdlib logging (httpx, uvicorn, apscheduler), tracebacks included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            # the message formatted first, then masked: masking arguments one by one would break "%d"
            record.msg, record.args = _mask(record.getMessage()), None
            if record.exc_info and record.exc_info[0] is not None:
                record.exc_text = _mask(logging.Formatter().formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = _mask(record.stack_info)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """stdlib records to whatever ``sys.stderr`` is at the time; a record that cannot be written is
    reported in one line, never with logging's own dump of the record's (unmasked) traceback."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        print(f"--- logging error in {record.name}: {type(error).__name__}", file=sys.__stderr__)


class _Stderr:
    """A structlog logger writing to whatever ``sys.stderr`` is at the time of each event (a
    captured or replaced stream stays correct)."""

    def msg(self, message: str) -> None:
        stream = sys.stderr  # one write per line: print's separate newline lets threads share a line
        stream.write(message + "\n")
        stream.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def _stderr_factory(*args: Any) -> _Stderr:
    return _Stderr()


def configure(level: str | None = None, *, json: bool | None = None) -> None:
    """Set up structlog and stdlib logging once for a process (CLI, server, worker)."""
    level_name = (level or os.environ.get("TRADEWIND_LOG_LEVEL", "INFO")).upper()
    as_json = json if json is not None else os.environ.get("TRADEWIND_LOG_FORMAT") == "json"
    renderer: Any = structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,  # traceback → text, so ``redact`` sees it
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level_name)),
        logger_factory=_stderr_factory,
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.addFilter(_RedactingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
