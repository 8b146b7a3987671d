"""Grouped alerts: run results are gathered per flow, and each window ends with at most one mail
per flow, counting failed records per reason — never one mail per record.

``on_result`` hears every run's end (scheduler, webhook worker); ``flush`` closes the window (the
scheduler calls it every ``settings.window``). Each mail sent is logged (``alert_sent``) and kept in
:attr:`Alerts.sent`; a mail the server refused is logged (``alert_not_sent``) and tried again at the
next window's end.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import jinja2
import structlog

from tradewind.engine.runner import RunResult
from tradewind.engine.services import Services
from tradewind.notify import mail
from tradewind.notify.reports import Reports
from tradewind.notify.settings import MailSettings, describe
from tradewind.notify.watch import Watch
from tradewind.store import failures, runs, watch

log = structlog.get_logger("tradewind.notify")
Send = Callable[[MailSettings, str, str], None]


@dataclass
class Window:
    since: datetime
    run_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sent:
    """One mail of the send log."""

    flow: str
    subject: str
    failed_records: int
    failed_runs: int
    sent_at: datetime


def _environment(settings: MailSettings) -> jinja2.Environment:
    loader: jinja2.BaseLoader = jinja2.PackageLoader("tradewind.notify", "templates")
    if settings.template is not None:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(settings.template.parent), loader])
    return jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                              undefined=jinja2.StrictUndefined)


class Alerts:
    def __init__(self, services: Services, settings: MailSettings, send: Send = mail.send) -> None:
        self.services = services
        self.settings = settings
        self.send = send
        self.sent: list[Sent] = []
        self.pending: dict[str, Window] = {}
        self.lock = threading.Lock()
        self.templates = _environment(settings)
        self.template_name = settings.template.name if settings.template else "alert.txt.j2"
        self.watch: Watch | None = None
        self.reports: Reports | None = None

    def on_result(self, result: RunResult) -> None:
        """Note a run that failed or failed records (as ``events`` choose); others need no mail."""
        events = self.settings.events
        failed_run = result.status == "failed" and "failed_runs" in events
        failed_records = bool(result.counts.get("failed")) and "failed_records" in events
        if result.dry_run or not (failed_run or failed_records):
            return
        with self.lock:
            self.pending.setdefault(result.flow, Window(since=datetime.now(UTC))).run_ids.append(result.run_id)

    def flush(self) -> list[Sent]:
        """End the window: one mail per flow that had failures in it."""
        with self.lock:
            closing, self.pending = self.pending, {}
        done = []
        for flow, window in sorted(closing.items()):
            sent = self._mail(flow, window)
            if sent is None:
                with self.lock:  # keep it for the next window
                    self.pending.setdefault(flow, Window(since=window.since)).run_ids[:0] = window.run_ids
            else:
                done.append(sent)
        return done

    def _mail(self, flow: str, window: Window) -> Sent | None:
        until = datetime.now(UTC)
        with self.services.store.begin() as conn:
            reasons = watch.failure_reasons(conn, window.run_ids)
            ended = [r for r in (runs.get(conn, i) for i in window.run_ids) if r is not None]
            queued = failures.count(conn, flow)
        failed_runs = [r for r in ended if r.status == "failed"]
        records = sum(reasons.values())
        body = self.templates.get_template(self.template_name).render(
            flow=flow, since=f"{window.since:%Y-%m-%d %H:%M}", until=f"{until:%Y-%m-%d %H:%M}",
            reasons=sorted(reasons.items(), key=lambda item: (-item[1], item[0])), failed_runs=failed_runs,
            failed_records=records, queued=queued, app_url=self.settings.app_url)
        subject = f"[tradewind] {flow}: {records} failed record(s)" + \
            (f", {len(failed_runs)} failed run(s)" if failed_runs else "")
        try:
            self.send(self.settings, subject, body)
        except (OSError, smtplib.SMTPException) as error:
            log.error("alert_not_sent", flow=flow, error=type(error).__name__)
            return None
        sent = Sent(flow=flow, subject=subject, failed_records=records, failed_runs=len(failed_runs), sent_at=until)
        self.sent.append(sent)
        log.info("alert_sent", flow=flow, failed_records=records, failed_runs=len(failed_runs),
                 recipients=len(self.settings.recipients))
        return sent


def install(services: Services, environ: Mapping[str, str] | None = None, send: Send = mail.send) -> Alerts | None:
    """Mail for ``services`` when the project's ``notify:`` block or ``TRADEWIND_NOTIFY_TO`` names a
    recipient: every run's result is heard (grouped alerts, re-authorisation); scheduler chores close
    an alert window every ``window``, check the daily quotas as often, and send each status report."""
    settings = MailSettings.resolve(services.project.notify, environ)
    if settings is None:
        return None
    alerts = Alerts(services, settings, send)
    alerts.watch = Watch(services, settings, send)
    alerts.reports = Reports(services, settings, alerts.templates, send)
    services.listeners.extend([alerts.on_result, alerts.watch.on_result])
    services.chores["alerts"] = (settings.window, alerts.flush)
    services.chores["quota_check"] = (settings.window, alerts.watch.check_quotas)
    services.chores.update(alerts.reports.chores())
    log.info("notify_on", **describe(settings))
    return alerts
