"""Registered secrets are masked in log lines and in the tracebacks logs render (structlog and stdlib)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import pytest
import structlog

from tradewind import log


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    log.configure("INFO")
    yield
    structlog.reset_defaults()
    logging.basicConfig(handlers=[logging.NullHandler()], force=True)


def _fail_with(token: str) -> None:
    refresh_token = token  # a rich traceback would print this local
    raise ValueError(f"refused {refresh_token}")


def test_tracebacks_are_masked(capsys: pytest.CaptureFixture[str], configured: None) -> None:
    secret = "tok-" + secrets.token_urlsafe(16)
    log.register_secret(secret)
    try:
        _fail_with(secret)
    except ValueError:
        structlog.get_logger("t").exception("exchange_failed", account="exact_online:1")
        logging.getLogger("t.stdlib").exception("exchange %d of %s failed", 2, secret)
    err = capsys.readouterr().err
    assert "exchange_failed" in err and "exchange 2 of *** failed" in err and "ValueError: refused ***" in err
    assert secret not in err
