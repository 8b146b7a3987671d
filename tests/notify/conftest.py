"""The SMTP server fixture (aiosmtpd on loopback) for every mail test."""

from tests.notify.test_alerts import smtp

__all__ = ["smtp"]
