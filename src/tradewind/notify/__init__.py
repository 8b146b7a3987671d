"""Alerts by e-mail: failed runs and failed records grouped into one mail per flow and window."""

from tradewind.notify.alerts import Alerts, Sent, install
from tradewind.notify.settings import MailSettings

__all__ = ["Alerts", "MailSettings", "Sent", "install"]
