"""Status reports, re-authorisation and quota alerts against a real SMTP server (aiosmtpd on
loopback), after real runs against the sandboxes; the ``notify:`` block read from the project file."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from tests.e2e.slice import start_world
from tests.notify.test_alerts import Inbox, _items_without_code
from tradewind.notify import install
from tradewind.store import notices
from tradewind.store.db import Store, now
from tradewind.store.tables import call_budgets


def _notify_block(port: int) -> str:
    return f"""
notify:
  to: [ops@example.com]
  sender: tradewind@example.com
  smtp_host: 127.0.0.1
  smtp_port: {port}
  app_url: https://tw.example.com
  window: 5m
  quota_threshold: 0.9
  reports:
    products: {{every: daily}}
    orders: {{every: weekly}}
"""


def test_a_daily_status_report_says_what_the_flow_did(tmp_path: Path, store: Store, smtp: tuple[Inbox, int],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    world = start_world(tmp_path, store, exact_extra={"items": _items_without_code(3)}, monkeypatch=monkeypatch,
                        extra_flows=_notify_block(port))
    try:
        alerts = install(world.services, environ={})
        assert alerts is not None and alerts.reports is not None
        assert (timedelta(days=1), timedelta(days=7)) == (world.services.chores["report:products"][0],
                                                          world.services.chores["report:orders"][0])
        assert timedelta(minutes=5) == world.services.chores["alerts"][0]
        ran = world.run("products")
        assert (12, 2, 3) == (ran.counts["created"], ran.counts["skipped"], ran.counts["failed"])
        assert alerts.reports.mail("orders") is None  # no run, nothing waiting: no mail
        world.services.chores["report:products"][1]()
    finally:
        world.exact.stop()
        world.shop.stop()
    [mail] = inbox.messages
    body = mail.get_content()
    assert "[tradewind] products daily report: 1 run(s), 12 written, 3 failed" == mail["Subject"]
    assert ("tradewind@example.com", "ops@example.com") == (mail["From"], mail["To"])
    assert "Runs: 1 (1 partial)" in body
    assert "  written       12  (12 created, 0 updated)" in body
    assert "  skipped        2" in body and "  failed         3" in body
    [reason_line] = [line for line in body.splitlines() if line.startswith("       3  ")]
    assert "sku" in reason_line.lower()
    assert "Waiting now: 3 failed record(s) in the retry queue, 0 parked on another flow." in body
    assert "https://tw.example.com/api/v1/failures?flow=products" in body


def test_a_refused_refresh_token_alerts_once_until_the_connection_recovers(
        tmp_path: Path, store: Store, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    world = start_world(tmp_path, store, monkeypatch=monkeypatch, extra_flows=_notify_block(port))
    try:
        install(world.services, environ={})
        world.fault(world.exact, times=3, status=400, body={"error": "invalid_grant"}, path_contains="oauth2/token")
        first, second = world.run("products"), world.run("products")
        assert ("failed", "failed") == (first.status, second.status)
        assert first.error is not None and "re-authorisation" in first.error
        assert 1 == len(inbox.messages)  # two refused runs, one mail
        assert "[tradewind] connection erp needs re-authorisation" == inbox.messages[0]["Subject"]
        third = world.run("products")  # the third refusal
        assert third.status == "failed" and 1 == len(inbox.messages)
        with store.begin() as conn:
            assert notices.standing(conn, "reauth:erp")
        assert world.run("products").status == "succeeded"  # authorised again: the notice is cleared
        with store.begin() as conn:
            assert not notices.standing(conn, "reauth:erp")  # a later refusal is mailed anew
    finally:
        world.exact.stop()
        world.shop.stop()


def test_a_quota_that_will_run_out_before_the_day_ends_alerts_once(
        tmp_path: Path, store: Store, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    world = start_world(tmp_path, store, monkeypatch=monkeypatch, extra_flows=_notify_block(port))
    try:
        alerts = install(world.services, environ={})
        assert alerts is not None and alerts.watch is not None
        half_day = time.time() + 12 * 3600  # the window began 12 hours ago and resets in 12
        rows = [dict(account="exact_online:1", remaining=400), dict(account="exact_online:2", remaining=600)]
        with store.begin() as conn:  # 600 calls in 12 hours: 1,200 by the reset, over 1,000; 400: 800, under 900
            conn.execute(insert(call_budgets), [dict(row, window="day", limit=1000, seconds=86400.0,
                                                     reset_at=half_day, period=0, updated_at=now()) for row in rows])
        assert ["exact_online:1"] == world.services.chores["quota_check"][1]()
        assert [] == alerts.watch.check_quotas()  # once a day
    finally:
        world.exact.stop()
        world.shop.stop()
    [mail] = inbox.messages
    assert str(mail["Subject"]).strip().startswith("[tradewind] exact_online:1: daily call quota will run out before ")
    body = mail.get_content()
    assert "has used 600 of its 1000 daily calls" in body and "use about 1200 by" in body
