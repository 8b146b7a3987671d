"""Alerts against a real SMTP server (aiosmtpd on loopback) after real runs: a burst of failed
records gives one grouped mail per flow with counts per reason; nothing failed, no mail."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.slice import World, start_world
from tradewind.notify import Alerts, MailSettings, install
from tradewind.store.db import Store


class Inbox:
    """An aiosmtpd handler keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    yield w
    w.exact.stop()
    w.shop.stop()


def _alerts(world: World, port: int) -> Alerts:
    """Alerts installed on the world's services, as ``tradewind serve`` does: every run is heard."""
    alerts = install(world.services, {"TRADEWIND_NOTIFY_TO": "ops@example.com, erp@example.com",
                                      "TRADEWIND_NOTIFY_SMTP_HOST": "127.0.0.1",
                                      "TRADEWIND_NOTIFY_SMTP_PORT": str(port),
                                      "TRADEWIND_NOTIFY_APP_URL": "https://tw.example.com/"})
    assert alerts is not None and (alerts.settings.window, alerts.flush) == world.services.chores["alerts"]
    return alerts


def _items_without_code(n: int) -> list[dict[str, Any]]:
    """Items whose code is blank (blanks of different lengths: the ERP keeps codes unique)."""
    return [{"ID": f"00000000-0000-0000-0000-{i:012d}", "Code": " " * (i + 1), "Description": f"Broken {i}",
             "IsSalesItem": True, "Modified": "2026-01-01T00:00:00.000Z"} for i in range(n)]


def test_a_burst_of_failed_records_gives_one_grouped_mail(tmp_path: Path, store: Store, smtp: tuple[Inbox, int],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    world = start_world(tmp_path, store, exact_extra={"items": _items_without_code(200)}, monkeypatch=monkeypatch)
    try:
        _burst(world, inbox, port)
    finally:
        world.exact.stop()
        world.shop.stop()


def _burst(world: World, inbox: Inbox, port: int) -> None:
    alerts = _alerts(world, port)
    first = world.run("products")
    assert 200 == first.counts["failed"]
    assert [] == inbox.messages  # nothing before the window closes
    [sent] = alerts.flush()
    assert ("products", 200) == (sent.flow, sent.failed_records)
    [mail] = inbox.messages
    body = mail.get_content()
    assert "[tradewind] products: 200 failed record(s)" == mail["Subject"]
    assert "ops@example.com, erp@example.com" == mail["To"]
    counted = {line.split(None, 1)[1]: int(line.split(None, 1)[0]) for line in body.splitlines()
               if line.startswith("  ") and line.split(None, 1)[0].isdigit()}
    [(reason, count)] = counted.items()  # one reason, counted once: not a line per record
    assert 200 == count and "sku" in reason.lower(), counted
    assert "https://tw.example.com/api/v1/failures?flow=products" in body
    assert [] == alerts.flush() and 1 == len(inbox.messages)  # a window without failures sends nothing


def test_no_mail_when_nothing_failed(world: World, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    alerts = _alerts(world, port)
    world.run("products")
    world.add_orders(3, seed=4)
    ran = world.run("orders")
    assert 0 == ran.counts.get("failed", 0) and ran.counts["created"] == 3
    assert [] == alerts.flush()
    assert [] == inbox.messages and [] == alerts.sent


def test_alerts_are_off_without_recipients_and_the_password_never_shows() -> None:
    assert MailSettings.from_environ({"TRADEWIND_NOTIFY_SMTP_HOST": "mail"}) is None
    settings = MailSettings.from_environ({"TRADEWIND_NOTIFY_TO": "ops@example.com",
                                          "TRADEWIND_NOTIFY_SMTP_PASSWORD": "hunter2-secret"})
    assert settings is not None and "hunter2-secret" not in repr(settings)
