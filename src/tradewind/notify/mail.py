"""Sending one mail over SMTP (the standard library's client; STARTTLS and login when configured)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from tradewind.notify.settings import MailSettings

TIMEOUT = 30.0


def send(settings: MailSettings, subject: str, body: str, *, message_id: str | None = None) -> None:
    """Send ``body`` to ``settings.recipients``; ``message_id`` names the message (the send log keeps it)."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    message["Subject"] = subject
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT) as client:
        if settings.starttls:
            client.starttls()
        if settings.username and settings.password:
            client.login(settings.username, settings.password)
        client.send_message(message)
