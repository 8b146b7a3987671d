"""Alerts that are no run's failure count: a connection that needs re-authorisation (one mail, then
none until a run through it succeeds again) and a daily call quota that will run out before the day
ends (one mail per account and day). What was sent is remembered in the store (``notices``), so
neither a restart nor the next failing run repeats it."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from tradewind.connectors import calls
from tradewind.engine.runner import RunResult
from tradewind.engine.services import Services
from tradewind.notify import mail
from tradewind.notify.quota import at_risk, forecast
from tradewind.notify.settings import MailSettings
from tradewind.store import budgets, notices

log = structlog.get_logger("tradewind.notify")
Send = Callable[[MailSettings, str, str], None]


class Watch:
    def __init__(self, services: Services, settings: MailSettings, send: Send = mail.send,
                 clock: Callable[[], float] = time.time) -> None:
        self.services = services
        self.settings = settings
        self.send = send
        self.clock = clock

    def on_result(self, result: RunResult) -> None:
        """A run refused for its refresh token alerts once; a completed run clears its connections."""
        if result.dry_run or "reauthorisation" not in self.settings.events:
            return
        flow = self.services.project.flows.get(result.flow)
        if flow is None:
            return
        ends = [flow.source.name, flow.target.name]
        if result.status in ("succeeded", "partial"):
            with self.services.store.begin() as conn:
                for name in ends:
                    if notices.clear(conn, f"reauth:{name}"):
                        log.info("reauthorised", connection=name)
            return
        if result.status == "failed" and calls.COUNTERS.was_refused(result.error):
            named = [n for n in ends if _names(result.error or "", self.services, n)] or ends
            for name in named:
                self._reauth(name, result)

    def _reauth(self, connection: str, result: RunResult) -> None:
        key = f"reauth:{connection}"
        with self.services.store.begin() as conn:
            if notices.standing(conn, key):
                return
        subject = f"[tradewind] connection {connection} needs re-authorisation"
        body = (f"Flow {result.flow} stopped: {result.error}\n\n"
                f"Runs through connection {connection} fail until the app is authorised again. This is the only "
                f"mail about it until a run through {connection} succeeds.\n")
        if self._send(subject, body, kind="reauthorisation", connection=connection):
            with self.services.store.begin() as conn:
                notices.note(conn, key, subject)

    def check_quotas(self) -> list[str]:
        """Mail once a day per account whose daily quota will run out before its window resets."""
        if "quota" not in self.settings.events:
            return []
        now = self.clock()
        with self.services.store.begin() as conn:
            windows = budgets.in_window(conn, "day")
        sent = []
        for account, window in windows:
            found = forecast(account, window, now)
            if found is None or not at_risk(found, self.settings.quota_threshold):
                continue
            key = f"quota:{account}:{int(window.reset_at)}"
            with self.services.store.begin() as conn:
                if notices.standing(conn, key):
                    continue
            reset = datetime.fromtimestamp(found.reset_at, UTC)
            when = (f"at about {datetime.fromtimestamp(found.runs_out_at, UTC):%H:%M} UTC"
                    if found.runs_out_at is not None else "near the end of the day")
            subject = f"[tradewind] {account}: daily call quota will run out before {reset:%H:%M} UTC"
            body = (f"{account} has used {found.used} of its {found.limit} daily calls. At today's rate it will "
                    f"use about {found.projected} by {reset:%Y-%m-%d %H:%M} UTC, when the quota resets: the calls "
                    f"left run out {when}. Runs then wait for the reset (they do not fail).\n")
            if self._send(subject, body, kind="quota", account=account):
                with self.services.store.begin() as conn:
                    notices.note(conn, key, subject)
                sent.append(account)
        return sent

    def _send(self, subject: str, body: str, **what: str) -> bool:
        try:
            self.send(self.settings, subject, body)
        except (OSError, smtplib.SMTPException) as error:
            log.error("alert_not_sent", error=type(error).__name__, **what)
            return False
        log.info("alert_sent", recipients=len(self.settings.recipients), **what)
        return True


def _names(error: str, services: Services, connection: str) -> bool:
    """Whether a refusal's message names ``connection``'s system account (``exact_online:123456``)."""
    found = services.project.connections.get(connection)
    if found is None:
        return False
    try:
        connector = found.open()
    except Exception:  # noqa: BLE001 - a connection that cannot even open is named by the fallback
        return False
    try:
        return connector.account_key() in error
    finally:
        connector.close()
