"""Mail: failed runs and records grouped into one mail per flow and window, a connection needing
re-authorisation, a daily quota running out, and daily or weekly status reports per flow."""

from tradewind.notify.alerts import Alerts, Sent, install
from tradewind.notify.reports import Report, Reports
from tradewind.notify.settings import MailSettings
from tradewind.notify.watch import Watch

__all__ = ["Alerts", "MailSettings", "Report", "Reports", "Sent", "Watch", "install"]
