"""Sending one mail over SMTP (the standard library's client; STARTTLS and login when configured).

:func:`send` is for alerts and reports. :func:`deliver` is for mail whose every copy counts (an invoice to
a customer): it walks the SMTP dialogue step by step so that it can tell what became of the message —

* refused or unreachable before the message was handed over (connect, EHLO, STARTTLS, login, MAIL, RCPT,
  or a DATA command answered without 354): nothing reached anyone. A 5xx refusal is
  :class:`~tradewind.errors.RejectedByTarget`, the rest :class:`~tradewind.errors.TransientError`;
* the connection lost (or timed out) while the message was being sent or before the server's final answer:
  the server may have taken it — :class:`~tradewind.errors.OutcomeUnknown`, never sent again by guess;
* the final answer a refusal (4xx, 5xx after the message): not taken, an error of the kinds above.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import parseaddr

from tradewind.errors import OutcomeUnknown, RejectedByTarget, TransientError
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


def deliver(settings: MailSettings, message: EmailMessage, recipients: Sequence[str]) -> str:
    """Hand ``message`` to the SMTP server of ``settings`` for ``recipients`` (envelope: To and Bcc, which
    the message's headers leave out); the server's final answer. Errors as the module docstring says."""
    try:
        client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    except (OSError, smtplib.SMTPException) as error:
        raise TransientError(f"the mail server {settings.host}:{settings.port} cannot be reached "
                             f"({_why(error)}); nothing was sent") from None
    try:
        _envelope(client, settings, message, recipients)
        try:
            code, answer = client.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        except smtplib.SMTPDataError as error:  # DATA itself refused (no 354): the message was not sent
            raise _refused(error.smtp_code, error.smtp_error, "DATA") from None
        except (OSError, smtplib.SMTPException) as error:
            raise OutcomeUnknown(f"the mail server went away while taking the message ({_why(error)}); it may "
                                 "have been sent") from None
        if code != 250:
            raise _refused(code, answer, "the message")
        return answer.decode(errors="replace")
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def greet(client: smtplib.SMTP, settings: MailSettings) -> None:
    """Greeting, STARTTLS and login as the settings ask: what every session does before its mail."""
    client.ehlo_or_helo_if_needed()
    if settings.starttls:
        client.starttls()
        client.ehlo()
    if settings.username and settings.password:
        client.login(settings.username, settings.password)


def _envelope(client: smtplib.SMTP, settings: MailSettings, message: EmailMessage, recipients: Sequence[str]) -> None:
    """Everything before the message: greeting, STARTTLS, login, sender and recipients (nothing sent yet)."""
    try:
        greet(client, settings)
        sender = parseaddr(str(message["From"]))[1]
        code, answer = client.mail(sender)
        if code != 250:
            raise _refused(code, answer, f"the sender {sender}")
        for recipient in recipients:
            code, answer = client.rcpt(recipient)
            if code not in (250, 251):
                raise _refused(code, answer, f"the recipient {recipient}")
    except smtplib.SMTPAuthenticationError as error:
        raise RejectedByTarget(f"the mail server refused the login ({error.smtp_code}); nothing was sent",
                               status=error.smtp_code) from None
    except smtplib.SMTPResponseException as error:
        raise _refused(error.smtp_code, error.smtp_error, "the mail") from None
    except (OSError, smtplib.SMTPException) as error:
        raise TransientError(f"the mail server {settings.host}:{settings.port} failed before the message was sent "
                             f"({_why(error)}); nothing was sent") from None


def _refused(code: int, answer: bytes | str, what: str) -> TransientError | RejectedByTarget:
    text = (answer.decode(errors="replace") if isinstance(answer, bytes) else answer).strip()
    message = f"the mail server refused {what}: {code} {text}; nothing was sent"
    return TransientError(message, status=code) if 400 <= code < 500 else RejectedByTarget(message, status=code)


def _why(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
