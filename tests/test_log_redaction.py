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


def test_email_addresses_never_reach_a_log_line(capsys: pytest.CaptureFixture[str], configured: None) -> None:
    structlog.get_logger("t").warning("transfer_failed", natural_key="email=Jan.Jansen@example.com",
                                      reason="customer jan.jansen@example.com refused", keys={"to": "a.b@shop.nl"})
    logging.getLogger("t.stdlib").info("plain text stays")
    err = capsys.readouterr().err
    assert "J…@example.com" in err and "j…@example.com" in err and "a…@shop.nl" in err
    assert "Jan.Jansen@" not in err and "jan.jansen@" not in err and "a.b@" not in err
