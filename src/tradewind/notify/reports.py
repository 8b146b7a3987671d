"""Status reports: a daily or weekly mail per flow — its runs, the records written, skipped and
failed, the top failure reasons and what waits — rendered from ``report.txt.j2``. A flow with no run
and nothing waiting sends nothing when its report says ``skip_empty``."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import jinja2
import structlog

from tradewind.engine.services import Services
from tradewind.notify import mail
from tradewind.notify.settings import MailSettings
from tradewind.store import reports

log = structlog.get_logger("tradewind.notify")
Send = Callable[[MailSettings, str, str], None]
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass(frozen=True)
class Report:
    flow: str
    subject: str
    body: str


class Reports:
    def __init__(self, services: Services, settings: MailSettings, templates: jinja2.Environment,
                 send: Send = mail.send) -> None:
        self.services = services
        self.settings = settings
        self.templates = templates
        self.send = send

    def chores(self) -> dict[str, tuple[timedelta, Callable[[], object]]]:
        """One scheduler chore per reported flow, on its period."""
        return {f"report:{flow}": (PERIODS[spec.every], partial(self.mail, flow))
                for flow, spec in sorted(self.settings.reports.items())}

    def render(self, flow: str, until: datetime | None = None) -> Report | None:
        """The report of ``flow`` for the period ending ``until`` (now); None when it is empty and skipped."""
        spec = self.settings.reports[flow]
        until = until or datetime.now(UTC)
        since = until - PERIODS[spec.every]
        with self.services.store.begin() as conn:
            period = reports.flow_period(conn, flow, since, until)
        if period.empty and spec.skip_empty:
            return None
        body = self.templates.get_template("report.txt.j2").render(
            p=period, since=f"{since:%Y-%m-%d %H:%M}", until=f"{until:%Y-%m-%d %H:%M}", app_url=self.settings.app_url)
        written = period.records["created"] + period.records["updated"]
        subject = (f"[tradewind] {flow} {spec.every} report: {sum(period.runs.values())} run(s), {written} written, "
                   f"{period.records['failed']} failed")
        return Report(flow=flow, subject=subject, body=body)

    def mail(self, flow: str, until: datetime | None = None) -> Report | None:
        report = self.render(flow, until)
        if report is None:
            log.info("report_skipped", flow=flow, reason="nothing to report")
            return None
        try:
            self.send(self.settings, report.subject, report.body)
        except (OSError, smtplib.SMTPException) as error:
            log.error("report_not_sent", flow=flow, error=type(error).__name__)
            return None
        log.info("report_sent", flow=flow, recipients=len(self.settings.recipients))
        return report
